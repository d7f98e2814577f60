package io.mesh4j.core.testing;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;

import com.tngtech.archunit.base.DescribedPredicate;
import com.tngtech.archunit.core.domain.JavaClass;
import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.library.dependencies.Slice;
import com.tngtech.archunit.library.dependencies.SliceAssignment;
import com.tngtech.archunit.library.dependencies.SliceIdentifier;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The fences every module's architecture test checks on its own main classes: no cycle between
 * packages or between source files, and no use of mesh-core's engine or of another module's
 * internals. Each module adds the rules of its own layering.
 */
public final class Architecture {

  private Architecture() {}

  /** The module's main classes (no tests) in {@code packages} and below. */
  public static JavaClasses mainClasses(String... packages) {
    return new ClassFileImporter()
        .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
        .importPackages(packages);
  }

  /** No two packages depend on each other, directly or through others. */
  public static void noPackageCycles(JavaClasses classes) {
    // (**) keeps each package, the module's root package included, a slice of its own
    slices().matching("io.mesh4j.(**)").should().beFreeOfCycles().check(classes);
  }

  /**
   * No two source files written by hand depend on each other, directly or through others.
   * Generated code (protobuf's messages and their {@code OrBuilder} interfaces are a cycle by
   * design) is left out: its source is not under the module's {@code src/main/java}.
   */
  public static void noFileCycles(JavaClasses classes) {
    slices()
        .assignedFrom(SOURCE_FILES)
        .that(DescribedPredicate.describe("are written by hand", Architecture::handWritten))
        .should()
        .beFreeOfCycles()
        .check(classes);
  }

  private static boolean handWritten(Slice slice) {
    return Files.exists(Path.of("src/main/java").resolve(slice.getNamePart(1)));
  }

  /**
   * The module uses other modules through their public APIs only: not mesh-core's engine, and no
   * package named {@code internal} but its own ({@code ownPackage} and below).
   */
  public static void usesOnlyPublicApis(JavaClasses classes, String ownPackage) {
    noClasses()
        .should()
        .dependOnClassesThat(
            DescribedPredicate.describe(
                "belong to mesh-core's engine or another module's internals",
                (JavaClass c) ->
                    !c.getPackageName().startsWith(ownPackage)
                        && (c.getPackageName().startsWith("io.mesh4j.core.engine")
                            || (c.getPackageName().startsWith("io.mesh4j.")
                                && c.getPackageName().contains(".internal")))))
        .check(classes);
  }

  /** One slice per source file: a top-level class with its nested and package-private companions. */
  private static final SliceAssignment SOURCE_FILES =
      new SliceAssignment() {
        @Override
        public SliceIdentifier getIdentifierOf(JavaClass c) {
          String file = c.getSource().flatMap(s -> s.getFileName()).orElse(c.getName());
          return SliceIdentifier.of(c.getPackageName().replace('.', '/') + "/" + file);
        }

        @Override
        public String getDescription() {
          return "source files";
        }
      };
}
