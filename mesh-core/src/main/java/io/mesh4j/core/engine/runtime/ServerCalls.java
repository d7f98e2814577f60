package io.mesh4j.core.engine.runtime;

import io.mesh4j.core.base.Ticker;
import io.mesh4j.core.call.Admission;
import io.mesh4j.core.call.CallStatus;
import io.mesh4j.core.call.InboundCall;
import io.mesh4j.core.call.MeshFailure;
import io.mesh4j.core.call.Protocol;
import io.mesh4j.core.call.TelemetryScope;
import io.mesh4j.core.telemetry.CallEnd;
import io.mesh4j.core.telemetry.ServerCallInfo;
import io.mesh4j.core.telemetry.ServerCallObserver;
import java.util.concurrent.atomic.AtomicBoolean;
import org.jspecify.annotations.Nullable;

/** What observers are told about an incoming call when it arrives. */
final class ServerCalls {

  private ServerCalls() {}

  static ServerCallInfo info(InboundCall call) {
    String grpc = call.grpcMethod();
    if (grpc != null) {
      return new ServerCallInfo(
          Protocol.GRPC, call.service(), grpc, null, call.peer(), call.headers(), null);
    }
    String method = call.httpMethod();
    return new ServerCallInfo(
        Protocol.HTTP,
        call.service(),
        method == null ? "GET" : method,
        call.path(),
        call.peer(),
        call.headers(),
        null);
  }

  /** The answer for an incoming call that listeners observe, from its arrival to its end. */
  static final class ObservedAdmission extends AtomicBoolean implements Admission {

    private static final long serialVersionUID = 1L;

    private final transient @Nullable MeshFailure refusal;
    private final transient ServerCallObserver observer;
    private final transient Ticker ticker;
    private final long startNanos;

    ObservedAdmission(
        @Nullable MeshFailure refusal, ServerCallObserver observer, Ticker ticker, long startNanos) {
      this.refusal = refusal;
      this.observer = observer;
      this.ticker = ticker;
      this.startNanos = startNanos;
    }

    @Override
    public boolean isAdmitted() {
      return refusal == null;
    }

    @Override
    public MeshFailure refusal() {
      MeshFailure r = refusal;
      if (r == null) {
        throw new IllegalStateException("the call was admitted");
      }
      return r;
    }

    @Override
    public TelemetryScope activate() {
      return observer.activate();
    }

    @Override
    public void end(CallStatus status, long requestBytes, long responseBytes) {
      if (compareAndSet(false, true)) {
        long duration = ticker.nanos() - startNanos;
        observer.callEnded(new CallEnd(status, duration, requestBytes, responseBytes, refusal));
      }
    }
  }
}
