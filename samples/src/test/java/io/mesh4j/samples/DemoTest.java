package io.mesh4j.samples;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Runs the README's demo end to end, with real gRPC on loopback, and checks what it observed. */
class DemoTest {

  @Test
  @Timeout(value = 90, unit = TimeUnit.SECONDS)
  void everyDemoPhaseBehavesAsDescribed() throws Exception {
    ByteArrayOutputStream console = new ByteArrayOutputStream();
    List<Demo.Phase> phases =
        Demo.run(Path.of("mesh"), new PrintStream(console, true, StandardCharsets.UTF_8));
    String printed = console.toString(StandardCharsets.UTF_8);

    assertThat(phases).hasSize(7);
    assertThat(phases).allSatisfy(p -> assertThat(p.asExpected()).as(p.title() + "\n" + printed).isTrue());
    // Zero failed user-facing calls everywhere but in the phase whose point is the breaker.
    assertThat(phases.subList(0, 5)).allSatisfy(p -> assertThat(p.failed()).isZero());
    assertThat(phases.get(0).share("v2")).isBetween(16.0, 24.0);
    assertThat(phases.get(1).share("v2")).isEqualTo(100.0);
    assertThat(phases.get(2).share("v2")).isBetween(45.0, 55.0);
    assertThat(phases.get(4).retries()).isPositive();
    assertThat(phases.get(4).ejections()).isPositive();
    assertThat(phases.get(5).meshMessages())
        .anyMatch(m -> m.startsWith("UNAVAILABLE: mesh4j: circuit open for catalog.shop/v2"));
    assertThat(printed).contains("spec.rules[0].backends[0].weight: must be >= 0, got -5");
  }
}
