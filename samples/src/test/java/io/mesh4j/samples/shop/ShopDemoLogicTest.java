package io.mesh4j.samples.shop;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.mesh4j.samples.shop.pricing.PricingMode;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The demo's own logic, without starting anything: edits, tolerances, tallies, the plain view. */
@Timeout(value = 10, unit = TimeUnit.SECONDS)
class ShopDemoLogicTest {

  private static final String BACKENDS =
      "      backends:\n        - subset: v1\n          weight: 90\n        - subset: v2\n          weight: 10\n";

  @Test
  void weightEditsChangeOnlyTheCatalogBackends() {
    String fifty = ShopDemo.fiftyFifty("rules:\n" + BACKENDS);
    assertThat(fifty).contains("subset: v1\n          weight: 50\n        - subset: v2\n          weight: 50\n");
    assertThat(ShopDemo.allToV2(fifty)).contains("subset: v1\n          weight: 0\n        - subset: v2\n          weight: 100\n");
  }

  @Test
  void anEditThatFindsNothingToChangeSaysWhatItLookedFor() {
    assertThatThrownBy(() -> ShopDemo.allToV2("rules:\n" + BACKENDS))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("catalog.yaml does not hold the two weights the demo edits (v1 50, then v2 50");
  }

  @Test
  void weightEditsFindTheWeightsOfBothCatalogRoutesTheDemoRuns() throws java.io.IOException {
    for (java.nio.file.Path file : java.util.List.of(java.nio.file.Path.of("mesh/catalog.yaml"), java.nio.file.Path.of("mesh/gateway-api/catalog.yaml"))) {
      String yaml = java.nio.file.Files.readString(file);
      String allV2 = ShopDemo.allToV2(ShopDemo.fiftyFifty(yaml));
      assertThat(java.util.regex.Pattern.compile("weight: (\\d+)").matcher(allV2).results().map(m -> m.group(1)).toList())
          .as(file.toString()).containsExactly("0", "100");
    }
  }

  @Test
  void toleranceIsFourStandardDeviationsAndAtLeastThreePoints() {
    assertThat(ShopDemo.tolerance(10, 300)).isCloseTo(6.93, org.assertj.core.data.Offset.offset(0.01));
    assertThat(ShopDemo.tolerance(50, 100_000)).isEqualTo(3.0);
    assertThat(ShopDemo.tolerance(0, 300)).isEqualTo(3.0);
  }

  @Test
  void optionsRefuseValuesTheDemoCannotRunWith() {
    assertThatThrownBy(() -> new ShopDemo.Options(Duration.ofMillis(500), 4, false))
        .hasMessage("the demo's phase length must be at least 1s, got PT0.5S");
    assertThatThrownBy(() -> new ShopDemo.Options(Duration.ofSeconds(3), 0, false))
        .hasMessage("the demo's concurrency must be between 1 and 64, got 0");
  }

  @Test
  void aTallyCountsPagesBySubsetAndKeepsTheFirstFailures() throws InterruptedException {
    Tally t = new Tally(0);
    for (int i = 0; i < 9; i++) {
      t.begin();
      t.served("v1", 1_000_000);
    }
    t.begin();
    t.degraded("v2", 3_000_000);
    for (int i = 0; i < 7; i++) {
      t.begin();
      t.failed("failure " + i, 2_000_000);
    }
    t.settle(1_000);
    assertThat(t.calls()).isEqualTo(17);
    assertThat(t.ok()).isEqualTo(10);
    assertThat(t.failed()).isEqualTo(7);
    assertThat(t.degraded()).isEqualTo(1);
    assertThat(t.share("v1")).isEqualTo(90.0);
    assertThat(t.share("v2")).isEqualTo(10.0);
    assertThat(t.byVersion()).containsExactly(Map.entry("v1", 9L), Map.entry("v2", 1L));
    assertThat(t.failures()).containsExactly("failure 0", "failure 1", "failure 2", "failure 3", "failure 4");
  }

  @Test
  void theMeshReadingsOfAPhaseAreTheDifferenceOfTwoReadings() {
    MeshReadings before = new MeshReadings(
        Map.of("pricing.shop", 2L), Map.of(), Map.of(), Map.of("pricing.shop -> open", 1L), Map.of());
    MeshReadings after = new MeshReadings(
        Map.of("pricing.shop", 7L), Map.of("pricing.shop", 1L), Map.of("pricing.shop circuit_open", 4L),
        Map.of("pricing.shop -> open", 1L, "pricing.shop -> closed", 1L), Map.of("pricing.shop", "closed"));
    MeshReadings phase = after.minus(before);
    assertThat(phase.retriesTo("pricing.shop")).isEqualTo(5);
    assertThat(phase.ejectionsIn("pricing.shop")).isEqualTo(1);
    assertThat(phase.transitions("pricing.shop", "open")).isZero();
    assertThat(phase.transitions("pricing.shop", "closed")).isEqualTo(1);
    assertThat(phase.breaker("pricing.shop")).isEqualTo("closed");
    assertThat(phase.breaker("catalog.shop/v1")).isEqualTo("closed");
  }

  @Test
  void thePlainViewIsOneReadableLinePerSecond() {
    Tally t = new Tally(0);
    t.begin();
    t.served("v1", 1_000_000);
    t.begin();
    t.degraded("v2", 1_000_000);
    MeshReadings mesh = new MeshReadings(
        Map.of("pricing.shop", 3L), Map.of(), Map.of(), Map.of(), Map.of("pricing.shop", "open"));
    String line = LiveConsole.line(new LiveConsole.Second(12.0, "phase 5/6", t, Map.of(), Map.of(), mesh, mesh, 4, Map.of(), 0, List.of()));
    assertThat(line).isEqualTo(
        "[ 12.0s]     2 pages/s  ok 100.0%  degraded    1  failed 0  v1  50.0%  v2  50.0%"
            + "  | retries 3  ejections 0  breakers pricing.shop open  | certificates 0/0  traces 0");
    assertThat(line).doesNotContain("\u001b");
  }

  @Test
  void pricingModesParseInAnyCaseAndABadOneListsTheChoices() {
    assertThat(PricingMode.parse("FAIL")).isEqualTo(PricingMode.FAIL);
    assertThat(List.of(PricingMode.values())).extracting(PricingMode::wire).containsExactly("ok", "slow", "fail");
    assertThatThrownBy(() -> PricingMode.parse("broken"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("mode must be one of ok, slow, fail, got 'broken'");
  }
}
