package io.mesh4j.core.telemetry;

import static org.assertj.core.api.Assertions.assertThat;

import io.mesh4j.core.Mesh;
import io.mesh4j.core.call.MeshFailure;
import io.mesh4j.core.source.StaticConfigSource;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(30)
class CallTelemetryTest {

  private static final ClientCallInfo CALL =
      new ClientCallInfo(Protocol.GRPC, "catalog.shop", "shop.Catalog/Get", null, "default", null, true, null);

  /** Records what it hears; optionally "traces" calls with a fixed trace id. */
  private static final class Recording implements CallTelemetry {
    final List<String> events = new ArrayList<>();
    final @Nullable String traceId;

    Recording(@Nullable String traceId) {
      this.traceId = traceId;
    }

    @Override
    public boolean tracesCalls() {
      return traceId != null;
    }

    @Override
    public ClientCallObserver clientCall(ClientCallInfo call) {
      events.add("start trace=" + call.traceId());
      return new ClientCallObserver() {
        @Override
        public void callEnded(String status, long d, long q, long r, @Nullable MeshFailure refusal) {
          events.add("end " + status);
        }

        @Override
        public @Nullable String traceId() {
          return traceId;
        }
      };
    }

    @Override
    public ServerCallObserver serverCall(ServerCallInfo call) {
      return ServerCallObserver.NONE;
    }
  }

  @Test
  void aMeshWithoutTelemetryHandsOutSharedNoOpObservers() {
    try (Mesh mesh = Mesh.builder().configSource(StaticConfigSource.empty()).build()) {
      assertThat(mesh.telemetry()).isSameAs(CallTelemetry.none());
      assertThat(mesh.telemetry().enabled()).isFalse();
      assertThat(mesh.telemetry().clientCall(CALL)).isSameAs(ClientCallObserver.NONE);
      assertThat(
              mesh.telemetry()
                  .serverCall(new ServerCallInfo(Protocol.HTTP, "a.b", "GET", "/", null, n -> null, null)))
          .isSameAs(ServerCallObserver.NONE);
    }
  }

  @Test
  void tracingIsAskedFirstSoThatTheOthersSeeTheTraceId() {
    Recording log = new Recording(null);
    Recording tracing = new Recording("4bf92f3577b34da6a3ce929d0e0e4736");
    try (Mesh mesh =
        Mesh.builder().configSource(StaticConfigSource.empty()).telemetry(log).telemetry(tracing).build()) {
      ClientCallObserver observer = mesh.telemetry().clientCall(CALL);
      observer.callEnded("OK", 1, -1, -1, null);

      assertThat(tracing.events).containsExactly("start trace=null", "end OK");
      assertThat(log.events)
          .containsExactly("start trace=4bf92f3577b34da6a3ce929d0e0e4736", "end OK");
      assertThat(observer.traceId()).isEqualTo("4bf92f3577b34da6a3ce929d0e0e4736");
    }
  }

  @Test
  void aTelemetryThatIsAlsoAListenerIsRegisteredOnceAsListener() {
    AtomicInteger applied = new AtomicInteger();
    class Both extends MeshListener implements CallTelemetry {
      @Override
      public void snapshotApplied(long version) {
        applied.incrementAndGet();
      }

      @Override
      public ClientCallObserver clientCall(ClientCallInfo call) {
        return ClientCallObserver.NONE;
      }

      @Override
      public ServerCallObserver serverCall(ServerCallInfo call) {
        return ServerCallObserver.NONE;
      }
    }
    Both both = new Both();
    StaticConfigSource source = StaticConfigSource.empty();
    try (Mesh mesh = Mesh.builder().configSource(source).telemetry(both).listener(both).build()) {
      int before = applied.get();
      source.push(
          """
          apiVersion: mesh4j.io/v1alpha1
          kind: MeshConfig
          metadata: {name: mesh}
          """);
      assertThat(applied).hasValue(before + 1);
    }
  }
}
