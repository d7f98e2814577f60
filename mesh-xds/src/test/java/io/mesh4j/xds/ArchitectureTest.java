package io.mesh4j.xds;

import com.tngtech.archunit.core.domain.JavaClasses;
import io.mesh4j.core.testing.Architecture;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The module's fences: no package or file cycles, other modules through their public APIs. */
@Timeout(60)
class ArchitectureTest {

  private static final JavaClasses CLASSES = Architecture.mainClasses("io.mesh4j.xds");

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
    Architecture.usesOnlyPublicApis(CLASSES, "io.mesh4j.xds");
  }
}
