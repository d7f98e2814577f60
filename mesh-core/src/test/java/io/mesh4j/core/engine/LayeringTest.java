package io.mesh4j.core.engine;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.methods;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;

import com.tngtech.archunit.core.domain.JavaClass;
import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.domain.JavaMethod;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.lang.ArchCondition;
import com.tngtech.archunit.lang.ConditionEvents;
import com.tngtech.archunit.lang.SimpleConditionEvent;
import io.mesh4j.core.testing.Architecture;
import java.util.concurrent.ThreadLocalRandom;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Checks the fences of the core: no cycles between its packages or its files, the per-call engine
 * behind the public API, no transport, RPC stack or cryptography library (principles 1, 10, 11).
 */
@Timeout(60)
class LayeringTest {

  private static JavaClasses classes;

  @BeforeAll
  static void importClasses() {
    classes =
        new ClassFileImporter()
            .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
            .importPackages("io.mesh4j.core");
  }

  @Test
  void noPackageCycles() {
    Architecture.noPackageCycles(classes);
  }

  @Test
  void noFileCycles() {
    Architecture.noFileCycles(classes);
  }


  @Test
  void theEngineKnowsNoTransport() {
    noClasses()
        .that()
        .resideInAnyPackage("io.mesh4j.core.engine..", "io.mesh4j.core.call..")
        .should()
        .dependOnClassesThat()
        .resideInAnyPackage("io.grpc..", "okhttp3..")
        .check(classes);
  }

  @Test
  void theCoreNeedsNoRpcStackAndNoCryptographyLibrary() {
    // every application links mesh4j-core; the controller client and the authority, which need
    // these, live in mesh4j-client and mesh4j-ca so that only their users carry them
    noClasses()
        .should()
        .dependOnClassesThat()
        .resideInAnyPackage(
            "io.grpc..", "io.netty..", "com.google.protobuf..", "org.bouncycastle..")
        .check(classes);
  }

  @Test
  void theCoreKnowsNoMicrometer() {
    // metrics are mesh4j-micrometer's, which implements the telemetry SPI from outside
    noClasses().should().dependOnClassesThat().resideInAnyPackage("io.micrometer..").check(classes);
  }

  @Test
  void theCoreKnowsNoOpenTelemetry() {
    // tracing is mesh4j-opentelemetry's, likewise
    noClasses()
        .should()
        .dependOnClassesThat()
        .resideInAnyPackage("io.opentelemetry..")
        .check(classes);
  }

  @Test
  void theCallApiDependsOnNoEngineType() {
    noClasses()
        .that()
        .resideInAnyPackage("io.mesh4j.core.call", "io.mesh4j.core.base")
        .should()
        .dependOnClassesThat()
        .resideInAPackage("io.mesh4j.core.engine..")
        .check(classes);
  }

  @Test
  void noPublicSignatureOfThePublicApiMentionsTheEngine() {
    methods()
        .that()
        .arePublic()
        .and()
        .areDeclaredInClassesThat()
        .resideInAnyPackage(
            "io.mesh4j.core",
            "io.mesh4j.core.base",
            "io.mesh4j.core.call",
            "io.mesh4j.core.identity",
            "io.mesh4j.core.policy",
            "io.mesh4j.core.source",
            "io.mesh4j.core.telemetry",
            "io.mesh4j.core.tls")
        .should(
            new ArchCondition<JavaMethod>("mention no engine or internal type") {
              @Override
              public void check(JavaMethod m, ConditionEvents events) {
                boolean bad = isEngine(m.getRawReturnType());
                for (JavaClass p : m.getRawParameterTypes()) {
                  bad |= isEngine(p);
                }
                if (bad) {
                  events.add(SimpleConditionEvent.violated(m, m.getFullName()));
                }
              }
            })
        .check(classes);
  }

  private static boolean isEngine(JavaClass c) {
    return c.getPackageName().startsWith("io.mesh4j.core.engine")
        || c.getPackageName().startsWith("io.mesh4j.core.internal");
  }

  @Test
  void onlyTheDefaultTickerAndRandomReadTheSystemClockAndThreadLocalRandom() {
    noClasses()
        .that()
        .doNotHaveFullyQualifiedName("io.mesh4j.core.base.SystemTicker")
        .should()
        .callMethod(System.class, "nanoTime")
        .orShould()
        .callMethod(System.class, "currentTimeMillis")
        .check(classes);
    noClasses()
        .that()
        .doNotHaveFullyQualifiedName("io.mesh4j.core.base.ThreadLocalMeshRandom")
        .should()
        .callMethod(ThreadLocalRandom.class, "current")
        .check(classes);
  }
}
