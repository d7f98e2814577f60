package io.mesh4j.spring;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The versions an application gets when it imports the BOMs in the order docs/spring.md gives
 * (OpenTelemetry's and gRPC's, then Spring Boot's): this module's {@code dependencyManagement}
 * imports them in that order, and its runtime class path is what Maven resolved from it.
 *
 * <p>Where Spring Boot 4.1's BOM and mesh4j's versions meet: gRPC is mesh4j's (its BOM comes
 * first; Boot manages an older one), protobuf is Boot's (mesh4j's generated code runs on the newer
 * runtime), OpenTelemetry is mesh4j's (Boot's is older than its instrumentation needs), and no
 * Netty artifact comes with the starter: mesh4j's gRPC runs on the Netty shaded inside {@code
 * grpc-netty-shaded}, so Boot's Netty (for WebFlux and Reactor) does not meet it.
 *
 * <p>Reads the class path the dependency plugin's {@code build-classpath} writes before the tests
 * and the expected versions the build passes from its properties.
 */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class BootDependencyVersionsTest {

  private static List<String> entries = List.of();

  @BeforeAll
  static void readClasspath() throws IOException {
    Path path = Path.of(System.getProperty("mesh4j.runtimeClasspath", "target/runtime-classpath.txt"));
    assertThat(path)
        .as("the runtime class path Maven writes before the tests; run the tests through Maven")
        .exists();
    entries =
        Arrays.stream(Files.readString(path).trim().split(File.pathSeparator))
            .map(e -> e.replace(File.separatorChar, '/'))
            .toList();
  }

  @Test
  void grpcIsMeshFourJsOwnVersionInEveryArtifact() {
    String expected = expected("grpc");
    List<String> grpc = entries.stream().filter(e -> e.contains("/io/grpc/grpc-")).toList();
    assertThat(grpc).anyMatch(e -> e.contains("/grpc-netty-shaded/")).anyMatch(e -> e.contains("/grpc-api/"));
    assertThat(grpc).allSatisfy(e -> assertThat(version(e)).as(e).isEqualTo(expected));
  }

  @Test
  void protobufIsSpringBootsRuntime() {
    assertThat(versionsOf("/com/google/protobuf/protobuf-java/")).containsExactly(expected("protobuf"));
  }

  @Test
  void nettyComesOnlyShadedInsideGrpc() {
    assertThat(entries).noneMatch(e -> e.contains("/io/netty/"));
  }

  @Test
  void openTelemetryIsTheVersionMeshFourJsInstrumentationNeeds() {
    String expected = expected("opentelemetry");
    List<String> otel =
        entries.stream().filter(e -> e.contains("/io/opentelemetry/opentelemetry-")).toList();
    assertThat(otel).anyMatch(e -> e.contains("/opentelemetry-api/"));
    assertThat(otel).allSatisfy(e -> assertThat(version(e)).as(e).isEqualTo(expected));
  }

  @Test
  void springBootAndOkHttpAreTheBuiltAgainstVersions() {
    assertThat(versionsOf("/org/springframework/boot/spring-boot/")).containsExactly(expected("spring-boot"));
    assertThat(versionsOf("/com/squareup/okhttp3/okhttp-jvm/")).containsExactly(expected("okhttp"));
  }

  private static List<String> versionsOf(String artifactPath) {
    return entries.stream().filter(e -> e.contains(artifactPath)).map(BootDependencyVersionsTest::version).toList();
  }

  /** The version directory of a jar in the local repository: {@code .../artifact/version/file.jar}. */
  private static String version(String entry) {
    String[] segments = entry.split("/");
    return segments[segments.length - 2];
  }

  private static String expected(String name) {
    String value = System.getProperty("mesh4j.expected." + name);
    assertThat(value).as("mesh4j.expected.%s, set by the build; run the tests through Maven", name).isNotBlank();
    return value;
  }
}
