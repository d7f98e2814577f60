package io.mesh4j.core.testing.conformance;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.mesh4j.core.Mesh;
import io.mesh4j.core.call.MeshFailure;
import io.mesh4j.core.source.StaticConfigSource;
import io.mesh4j.core.telemetry.CallEnd;
import io.mesh4j.core.telemetry.MeshListener;
import io.mesh4j.core.telemetry.ServerCallInfo;
import io.mesh4j.core.telemetry.ServerCallObserver;
import io.mesh4j.core.testing.FakeTicker;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * What every server adapter must do the same way: each case calls the service {@code
 * pricing.shop}, served behind the adapter under test on loopback, with a plain client of the
 * adapter's protocol, over plaintext and without a caller identity. The service answers {@code
 * price} to its {@code read} operation and to its {@code admin} operation.
 */
@Timeout(60)
public abstract class ServerAdapterConformance {

  /** The operations the service offers, so that a rule can tell them apart. */
  public enum Operation {
    READ,
    ADMIN
  }

  /**
   * How a call ended, as its client saw it.
   *
   * @param status the gRPC code name or the decimal HTTP status
   * @param message the mesh's message, or the service's answer
   */
  public record Result(String status, String message) {}

  /** The service behind the adapter, on loopback; closing it stops it. */
  public interface Service extends AutoCloseable {
    Result call(Operation operation) throws Exception;
  }

  /** Serves {@code pricing.shop} behind the adapter, admitted by {@code mesh}. */
  protected abstract Service serve(Mesh mesh) throws Exception;

  /** What the policy names {@code operation} by: {@code grpcMethods} or {@code paths} entry. */
  protected abstract String rule(Operation operation);

  /** The protocol's words for denied, rate limited, unauthenticated and OK. */
  protected abstract String status(MeshFailure.Reason reason);

  protected abstract String okStatus();

  private final StaticConfigSource source = StaticConfigSource.empty();
  private final List<AutoCloseable> toClose = new ArrayList<>();
  private final Recording recording = new Recording();

  private Service service(MeshListener... listeners) throws Exception {
    Mesh.Builder b = Mesh.builder().configSource(source).ticker(new FakeTicker()).listener(recording);
    for (MeshListener l : listeners) {
      b.listener(l);
    }
    Mesh mesh = b.build();
    toClose.add(mesh);
    Service s = serve(mesh);
    toClose.add(s);
    return s;
  }

  @AfterEach
  void closeAll() throws Exception {
    for (int i = toClose.size() - 1; i >= 0; i--) {
      toClose.get(i).close();
    }
  }

  private void apply(String yaml) {
    assertThat(source.push(yaml).problems()).isEmpty();
  }

  private String denyAdmin() {
    return """
        apiVersion: mesh4j.io/v1alpha1
        kind: AuthorizationPolicy
        metadata: {name: no-admin, namespace: shop}
        spec:
          service: pricing
          action: DENY
          rules:
            - %s
        """
        .formatted(rule(Operation.ADMIN));
  }

  @Test
  void aDenyRuleRefusesItsOperationNamingThePolicyAndAdmitsTheOthers() throws Exception {
    Service service = service();
    apply(denyAdmin());

    Result denied = service.call(Operation.ADMIN);
    Result read = service.call(Operation.READ);

    assertThat(denied.status()).isEqualTo(status(MeshFailure.Reason.DENIED));
    assertThat(denied.message()).contains("AuthorizationPolicy shop/no-admin");
    assertThat(read.status()).isEqualTo(okStatus());
    assertThat(read.message()).isEqualTo("price");
  }

  @Test
  void aServerRateLimitRefusesCallsBeyondItsBucket() throws Exception {
    Service service = service();
    apply(
        """
        apiVersion: mesh4j.io/v1alpha1
        kind: DestinationPolicy
        metadata: {name: pricing, namespace: shop}
        spec:
          destination: pricing
          serverRateLimit: {requestsPerSecond: 1, burst: 2}
        """);

    // The fake ticker never moves: the bucket never refills.
    assertThat(service.call(Operation.READ).status()).isEqualTo(okStatus());
    assertThat(service.call(Operation.READ).status()).isEqualTo(okStatus());
    Result limited = service.call(Operation.READ);

    assertThat(limited.status()).isEqualTo(status(MeshFailure.Reason.RATE_LIMITED));
    assertThat(limited.message()).contains("mesh4j: rate limited for pricing.shop");
  }

  @Test
  void strictMutualTlsRefusesAPlaintextCall() throws Exception {
    Service service = service();
    apply(
        """
        apiVersion: mesh4j.io/v1alpha1
        kind: MeshConfig
        metadata: {name: mesh, namespace: mesh4j-system}
        spec:
          mtls: STRICT
        """);

    Result refused = service.call(Operation.READ);

    assertThat(refused.status()).isEqualTo(status(MeshFailure.Reason.UNAUTHENTICATED));
    assertThat(refused.message()).contains("plaintext");
  }

  @Test
  void everyCallEndsOnceForItsObserversWithItsRealStatusDeniedOnesIncluded() throws Exception {
    Service service = service();
    apply(denyAdmin());

    service.call(Operation.READ);
    service.call(Operation.ADMIN);

    await().atMost(Duration.ofSeconds(10)).until(() -> recording.calls.size() == 2);
    assertThat(recording.calls)
        .containsExactly(
            okStatus() + " refusal=null",
            status(MeshFailure.Reason.DENIED) + " refusal=DENIED");
  }

  @Test
  void anObserverThatThrowsOnEveryEventNeverChangesTheAnswer() throws Exception {
    Service service = service(new Throwing());
    apply(denyAdmin());

    Result read = service.call(Operation.READ);
    Result denied = service.call(Operation.ADMIN);

    assertThat(read.status()).isEqualTo(okStatus());
    assertThat(read.message()).isEqualTo("price");
    assertThat(denied.status()).isEqualTo(status(MeshFailure.Reason.DENIED));
    await().atMost(Duration.ofSeconds(10)).until(() -> recording.calls.size() == 2);
  }

  /** Writes down how each call ended. */
  private static final class Recording extends MeshListener {
    final List<String> calls = new CopyOnWriteArrayList<>();

    @Override
    public ServerCallObserver serverCall(ServerCallInfo call) {
      return new ServerCallObserver() {
        @Override
        public void callEnded(CallEnd end) {
          MeshFailure refusal = end.refusal();
          calls.add(
              end.status().name() + " refusal=" + (refusal == null ? null : refusal.reason()));
        }
      };
    }
  }

  /** Throws when asked for an observer's scope, on the end, and on refusals. */
  private static final class Throwing extends MeshListener {
    @Override
    public void callRefused(MeshFailure failure) {
      throw new IllegalStateException("callRefused");
    }

    @Override
    public ServerCallObserver serverCall(ServerCallInfo call) {
      return new ServerCallObserver() {
        @Override
        public io.mesh4j.core.call.TelemetryScope activate() {
          throw new IllegalStateException("activate");
        }

        @Override
        public void callEnded(CallEnd end) {
          throw new IllegalStateException("callEnded");
        }

        @Override
        public @Nullable String traceId() {
          throw new IllegalStateException("traceId");
        }
      };
    }
  }
}
