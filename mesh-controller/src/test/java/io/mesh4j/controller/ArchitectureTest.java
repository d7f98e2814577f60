package io.mesh4j.controller;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.Architectures.layeredArchitecture;

import com.tngtech.archunit.core.domain.JavaClasses;
import io.mesh4j.core.testing.Architecture;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The module's fences: no package or file cycles, other modules through their public APIs. */
@Timeout(60)
class ArchitectureTest {

  private static final JavaClasses CLASSES = Architecture.mainClasses("io.mesh4j.controller");

  @Test
  void noPackageCycles() {
    Architecture.noPackageCycles(CLASSES);
  }

  @Test
  void noFileCycles() {
    Architecture.noFileCycles(CLASSES);
  }

  @Test
  void usesOtherModulesThroughTheirPublicApisOnly() {
    Architecture.usesOnlyPublicApis(CLASSES, "io.mesh4j.controller");
  }

  @Test
  void usesTheWireModelNotTheApplicationsEndOfTheStream() {
    noClasses().should().dependOnClassesThat().resideInAPackage("io.mesh4j.client..").check(CLASSES);
  }

  @Test
  void packagesLayerAsTheirPackageInfosSay() {
    layeredArchitecture()
        .consideringOnlyDependenciesInLayers()
        .layer("command").definedBy("io.mesh4j.controller")
        .layer("kubernetes").definedBy("io.mesh4j.controller.kubernetes..")
        .layer("xds").definedBy("io.mesh4j.controller.xds..")
        .layer("serve").definedBy("io.mesh4j.controller.serve..")
        .layer("ca").definedBy("io.mesh4j.controller.ca..")
        .layer("resolve").definedBy("io.mesh4j.controller.resolve..")
        .layer("crd").definedBy("io.mesh4j.controller.crd..")
        .whereLayer("command").mayNotBeAccessedByAnyLayer()
        .whereLayer("kubernetes").mayOnlyBeAccessedByLayers("command")
        .whereLayer("xds").mayOnlyBeAccessedByLayers("command")
        .whereLayer("serve").mayOnlyBeAccessedByLayers("command", "kubernetes", "xds")
        .whereLayer("ca").mayOnlyBeAccessedByLayers("command", "serve", "xds")
        .whereLayer("resolve").mayOnlyBeAccessedByLayers("command", "kubernetes", "serve", "xds")
        // the CRD classes only feed the schema generator; the controller reads resources untyped
        .whereLayer("crd").mayNotBeAccessedByAnyLayer()
        .check(CLASSES);
  }
}
