package io.mesh4j.http;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import org.junit.jupiter.api.Test;

/**
 * An application that only makes OkHttp calls through the mesh links this module and mesh4j-core.
 * The controller client (gRPC, Netty, protobuf) and the certificate authority (BouncyCastle) are
 * separate modules so that such an application does not carry them; this holds that line against
 * a dependency that would quietly bring one of them back.
 *
 * <p>Reads the runtime class path Maven resolved for this module (the dependency plugin's {@code
 * build-classpath}, written before the tests run). It also lists this module's optional
 * dependencies (Spring's {@code spring-web} and {@code spring-webflux}, Reactor), which Maven does
 * not pass on to an application; none of them may bring in what is forbidden here either (Reactor
 * Netty is only a test dependency).
 */
class RuntimeClasspathTest {

  // Matched against each entry's path in the local repository, so both group and artifact count.
  private static final List<String> FORBIDDEN =
      List.of("/io/grpc/", "grpc-", "netty", "/com/google/protobuf/", "protobuf-java", "bcprov",
          "bcpkix", "bcutil", "/org/bouncycastle/");

  @Test
  void anOkHttpOnlyApplicationCarriesNoGrpcNettyProtobufOrBouncyCastle() throws IOException {
    String file = System.getProperty("mesh4j.runtimeClasspath", "target/runtime-classpath.txt");
    Path path = Path.of(file);
    assertThat(path)
        .as("the runtime class path Maven writes before the tests; run the tests through Maven")
        .exists();
    List<String> entries =
        Arrays.stream(Files.readString(path).trim().split(File.pathSeparator))
            .map(e -> e.replace(File.separatorChar, '/'))
            .toList();

    assertThat(entries).anyMatch(e -> e.contains("okhttp-jvm"));
    assertThat(entries)
        .as("runtime class path of mesh4j-http")
        .noneMatch(
            e -> FORBIDDEN.stream().anyMatch(f -> e.toLowerCase(Locale.ROOT).contains(f)));
  }
}
