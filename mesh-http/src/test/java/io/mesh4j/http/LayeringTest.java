package io.mesh4j.http;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;

import com.tngtech.archunit.core.domain.JavaClass;
import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.library.dependencies.SliceAssignment;
import com.tngtech.archunit.library.dependencies.SliceIdentifier;
import org.junit.jupiter.api.Test;

/**
 * The adapter proves that mesh-core's public API is enough for a transport, and that OkHttp's
 * public API is enough for the mesh: it reaches into neither side's internals.
 */
class LayeringTest {

  private final JavaClasses adapter =
      new ClassFileImporter()
          .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
          .importPackages("io.mesh4j.http");

  @Test
  void adapterUsesOnlyThePublicApiOfMeshCore() {
    noClasses()
        .should()
        .dependOnClassesThat()
        .resideInAnyPackage("io.mesh4j.core.engine..", "io.mesh4j.core.internal..")
        .check(adapter);
  }

  @Test
  void adapterUsesOnlyThePublicApiOfOkHttp() {
    noClasses()
        .should()
        .dependOnClassesThat()
        .resideInAnyPackage("okhttp3.internal..")
        .check(adapter);
  }

  @Test
  void noPackageCycles() {
    slices().matching("io.mesh4j.(**)").should().beFreeOfCycles().check(adapter);
  }

  @Test
  void noFileCycles() {
    // one slice per source file: a top-level class with its nested and package-private companions
    slices()
        .assignedFrom(
            new SliceAssignment() {
              @Override
              public SliceIdentifier getIdentifierOf(JavaClass c) {
                String file = c.getSource().flatMap(s -> s.getFileName()).orElse(c.getName());
                return SliceIdentifier.of(c.getPackageName() + "/" + file);
              }

              @Override
              public String getDescription() {
                return "source files";
              }
            })
        .should()
        .beFreeOfCycles()
        .check(adapter);
  }
}
