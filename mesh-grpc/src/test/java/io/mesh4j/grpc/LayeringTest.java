package io.mesh4j.grpc;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import io.mesh4j.core.testing.Architecture;
import org.junit.jupiter.api.Test;

/**
 * The adapter proves that mesh-core's public API is enough for a transport, and that grpc-java's
 * public API is enough for the mesh: it reaches into neither side's internals.
 */
class LayeringTest {

  private final JavaClasses adapter =
      new ClassFileImporter()
          .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
          .importPackages("io.mesh4j.grpc");

  @Test
  void adapterUsesOnlyThePublicApiOfMeshCore() {
    Architecture.usesOnlyPublicApis(adapter, "io.mesh4j.grpc");
  }

  @Test
  void adapterUsesOnlyThePublicApiOfGrpcJava() {
    noClasses()
        .should()
        .dependOnClassesThat()
        .resideInAnyPackage("io.grpc.internal..", "io.grpc.netty..")
        .orShould()
        .dependOnClassesThat()
        .haveSimpleNameStartingWith("Internal")
        .check(adapter);
  }

  @Test
  void noPackageCycles() {
    Architecture.noPackageCycles(adapter);
  }

  @Test
  void noFileCycles() {
    Architecture.noFileCycles(adapter);
  }
}
