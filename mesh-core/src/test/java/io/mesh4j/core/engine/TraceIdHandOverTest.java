package io.mesh4j.core.engine;

import static org.assertj.core.api.Assertions.assertThat;

import io.mesh4j.core.call.Protocol;
import io.mesh4j.core.telemetry.ClientCallInfo;
import io.mesh4j.core.telemetry.ClientCallObserver;
import io.mesh4j.core.telemetry.MeshListener;
import io.mesh4j.core.telemetry.ServerCallInfo;
import io.mesh4j.core.telemetry.ServerCallObserver;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The trace id a tracing observer knows goes into the call's info for the listeners after it, and
 * is not asked for when none of them reads it.
 */
@Timeout(10)
class TraceIdHandOverTest {

  private static final ClientCallInfo CLIENT =
      new ClientCallInfo(Protocol.GRPC, "catalog.shop", "shop.Catalog/Get", null, "default", null, true, null);
  private static final ServerCallInfo SERVER =
      new ServerCallInfo(Protocol.GRPC, "catalog", "shop.Catalog/Get", null, null, name -> null, null);

  /** A tracer whose observers count how often they are asked for their trace id. */
  private static final class Tracer extends MeshListener {
    final AtomicInteger asked = new AtomicInteger();

    @Override
    public boolean tracesCalls() {
      return true;
    }

    @Override
    public boolean readsTraceIds() {
      return false;
    }

    @Override
    public ClientCallObserver clientCall(ClientCallInfo call) {
      return new ClientCallObserver() {
        @Override
        public String traceId() {
          asked.incrementAndGet();
          return "4bf92f3577b34da6a3ce929d0e0e4736";
        }
      };
    }

    @Override
    public ServerCallObserver serverCall(ServerCallInfo call) {
      return new ServerCallObserver() {
        @Override
        public String traceId() {
          asked.incrementAndGet();
          return "4bf92f3577b34da6a3ce929d0e0e4736";
        }
      };
    }
  }

  /** A listener that keeps the trace ids it was given; {@code reads} is what it declares. */
  private static final class Recorder extends MeshListener {
    final boolean reads;
    final List<@Nullable String> seen = new ArrayList<>();

    Recorder(boolean reads) {
      this.reads = reads;
    }

    @Override
    public boolean readsTraceIds() {
      return reads;
    }

    @Override
    public ClientCallObserver clientCall(ClientCallInfo call) {
      seen.add(call.traceId());
      return new ClientCallObserver() {};
    }

    @Override
    public ServerCallObserver serverCall(ServerCallInfo call) {
      seen.add(call.traceId());
      return new ServerCallObserver() {};
    }
  }

  @Test
  void theTraceIdIsNotAskedForWhenNoLaterListenerReadsIt() {
    Tracer tracer = new Tracer();
    Recorder metrics = new Recorder(false);
    Events events = new Events(List.of(metrics, tracer));

    events.clientCall(CLIENT);
    events.serverCall(SERVER);

    assertThat(tracer.asked).hasValue(0);
    assertThat(metrics.seen).containsExactly(null, null);
  }

  @Test
  void aListenerThatReadsTraceIdsGetsTheTracersOnEveryCall() {
    Tracer tracer = new Tracer();
    Recorder metrics = new Recorder(false);
    Recorder accessLog = new Recorder(true);
    Events events = new Events(List.of(accessLog, tracer, metrics));

    events.clientCall(CLIENT);
    events.serverCall(SERVER);

    assertThat(tracer.asked).hasValue(2);
    assertThat(accessLog.seen)
        .containsExactly("4bf92f3577b34da6a3ce929d0e0e4736", "4bf92f3577b34da6a3ce929d0e0e4736");
  }
}
