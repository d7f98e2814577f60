package io.mesh4j.core.source;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.mesh4j.core.policy.InvalidPolicyException;
import io.mesh4j.core.policy.PolicySet;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(10)
class StaticConfigSourceTest {

  private static final String MESH =
      "apiVersion: mesh4j.io/v1alpha1\nkind: MeshConfig\nmetadata: {name: mesh}\n";

  @Test
  void startDeliversTheInitialSetAsVersionOne() {
    RecordingListener listener = new RecordingListener();
    try (StaticConfigSource source = StaticConfigSource.parse(MESH)) {
      source.start(listener);
    }
    assertThat(listener.updates).hasSize(1);
    assertThat(listener.last().version()).isEqualTo(1);
    assertThat(listener.last().meshConfig()).isPresent();
  }

  @Test
  void pushedSetsGetIncreasingVersions() {
    RecordingListener listener = new RecordingListener();
    try (StaticConfigSource source = StaticConfigSource.empty()) {
      source.start(listener);
      assertThat(source.push(PolicySet.parse(MESH)).applied()).isTrue();
      assertThat(source.push(PolicySet.EMPTY).applied()).isTrue();
    }
    assertThat(listener.updates).extracting(PolicySet::version).containsExactly(1L, 2L, 3L);
    assertThat(listener.last().resources()).isEmpty();
  }

  @Test
  void invalidPushIsRejectedAndNothingIsDelivered() {
    RecordingListener listener = new RecordingListener();
    try (StaticConfigSource source = StaticConfigSource.of(PolicySet.EMPTY)) {
      source.start(listener);
      ApplyResult result = source.push(MESH + "spec: {mtls: ON}\n");
      assertThat(result.applied()).isFalse();
      assertThat(listener.lastRejection())
          .containsExactly(
              "MeshConfig default/mesh: spec.mtls: must be one of STRICT, PERMISSIVE, DISABLED, got ON");
      assertThat(source.push(MESH).applied()).isTrue();
    }
    assertThat(listener.updates).extracting(PolicySet::version).containsExactly(1L, 2L);
  }

  @Test
  void invalidInitialYamlThrowsWithEveryProblem() {
    assertThatThrownBy(() -> StaticConfigSource.parse("kind: Nope\n"))
        .isInstanceOf(InvalidPolicyException.class)
        .hasMessageContaining("input (document 1): apiVersion: must be mesh4j.io/v1alpha1")
        .hasMessageContaining("input (document 1): kind: must be one of");
  }

  @Test
  void pushAfterCloseIsAnError() {
    StaticConfigSource source = StaticConfigSource.empty();
    source.start(new RecordingListener());
    source.close();
    assertThatThrownBy(() -> source.push(PolicySet.EMPTY)).isInstanceOf(IllegalStateException.class);
  }
}
