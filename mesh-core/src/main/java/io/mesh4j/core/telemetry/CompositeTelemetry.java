package io.mesh4j.core.telemetry;

import io.mesh4j.core.Mesh;
import io.mesh4j.core.call.MeshFailure;
import io.mesh4j.core.call.Attempt;
import io.mesh4j.core.call.Outcome;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * Several telemetries behind one: tracing ones first, so the trace id reaches the others through
 * the call's info. Observers that observe nothing are left out of the call's list. Immutable.
 */
final class CompositeTelemetry implements CallTelemetry {

  private final CallTelemetry[] parts;

  CompositeTelemetry(List<CallTelemetry> parts) {
    List<CallTelemetry> ordered = new ArrayList<>(parts);
    // Stable: tracing telemetries first, the others in registration order.
    ordered.sort(Comparator.comparing(t -> !t.tracesCalls()));
    this.parts = ordered.toArray(CallTelemetry[]::new);
  }

  @Override
  public void attach(Mesh mesh) {
    for (CallTelemetry t : parts) {
      t.attach(mesh);
    }
  }

  @Override
  public boolean tracesCalls() {
    return parts[0].tracesCalls();
  }

  @Override
  public ClientCallObserver clientCall(ClientCallInfo call) {
    // One array per call, no list: this runs on every call.
    ClientCallObserver[] observers = new ClientCallObserver[parts.length];
    int n = 0;
    ClientCallInfo info = call;
    for (CallTelemetry t : parts) {
      ClientCallObserver o = t.clientCall(info);
      if (o == ClientCallObserver.NONE) {
        continue;
      }
      observers[n++] = o;
      String traceId = info.traceId() == null ? o.traceId() : null;
      if (traceId != null) {
        info = info.withTraceId(traceId);
      }
    }
    return switch (n) {
      case 0 -> ClientCallObserver.NONE;
      case 1 -> observers[0];
      default -> new Client(n == observers.length ? observers : Arrays.copyOf(observers, n));
    };
  }

  @Override
  public ServerCallObserver serverCall(ServerCallInfo call) {
    // One array per call, no list: this runs on every call.
    ServerCallObserver[] observers = new ServerCallObserver[parts.length];
    int n = 0;
    ServerCallInfo info = call;
    for (CallTelemetry t : parts) {
      ServerCallObserver o = t.serverCall(info);
      if (o == ServerCallObserver.NONE) {
        continue;
      }
      observers[n++] = o;
      String traceId = info.traceId() == null ? o.traceId() : null;
      if (traceId != null) {
        info = info.withTraceId(traceId);
      }
    }
    return switch (n) {
      case 0 -> ServerCallObserver.NONE;
      case 1 -> observers[0];
      default -> new Server(n == observers.length ? observers : Arrays.copyOf(observers, n));
    };
  }

  private record Client(ClientCallObserver[] observers) implements ClientCallObserver {
    @Override
    public void attemptStarted(Attempt attempt, HeaderSetter headers) {
      for (ClientCallObserver o : observers) {
        o.attemptStarted(attempt, headers);
      }
    }

    @Override
    public void attemptEnded(Attempt attempt, Outcome outcome) {
      for (ClientCallObserver o : observers) {
        o.attemptEnded(attempt, outcome);
      }
    }

    @Override
    public void callEnded(
        String status,
        long durationNanos,
        long requestBytes,
        long responseBytes,
        @Nullable MeshFailure refusal) {
      for (ClientCallObserver o : observers) {
        o.callEnded(status, durationNanos, requestBytes, responseBytes, refusal);
      }
    }

    @Override
    public @Nullable String traceId() {
      return observers[0].traceId();
    }
  }

  private record Server(ServerCallObserver[] observers) implements ServerCallObserver {
    @Override
    public TelemetryScope activate() {
      TelemetryScope[] scopes = new TelemetryScope[observers.length];
      for (int i = 0; i < observers.length; i++) {
        scopes[i] = observers[i].activate();
      }
      return () -> {
        for (int i = scopes.length - 1; i >= 0; i--) {
          scopes[i].close();
        }
      };
    }

    @Override
    public void callEnded(
        String status,
        long durationNanos,
        long requestBytes,
        long responseBytes,
        @Nullable MeshFailure refusal) {
      for (ServerCallObserver o : observers) {
        o.callEnded(status, durationNanos, requestBytes, responseBytes, refusal);
      }
    }

    @Override
    public @Nullable String traceId() {
      return observers[0].traceId();
    }
  }
}
