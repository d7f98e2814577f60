package io.mesh4j.core.engine;

import io.mesh4j.core.call.Attempt;
import io.mesh4j.core.call.HeaderSetter;
import io.mesh4j.core.call.Outcome;
import io.mesh4j.core.call.TelemetryScope;
import io.mesh4j.core.telemetry.CallEnd;
import io.mesh4j.core.telemetry.ClientCallInfo;
import io.mesh4j.core.telemetry.ClientCallObserver;
import io.mesh4j.core.telemetry.MeshListener;
import io.mesh4j.core.telemetry.ServerCallInfo;
import io.mesh4j.core.telemetry.ServerCallObserver;
import java.util.Arrays;
import org.jspecify.annotations.Nullable;

/**
 * The observers of one call, shielded: every event reaches every observer, and an observer that
 * throws (when asked for, or on any event) is reported to the {@link Failures} sink and never
 * reaches the call. The engine holds one of these per observed call and is the only one
 * that calls it; unobserved calls hold {@link ClientCallObserver#NONE} and allocate nothing.
 */
final class CallObservers {

  private CallObservers() {}

  /** Where observers' failures are counted and logged. */
  interface Failures {
    void observerFailed(Object observer, Throwable failure);
  }

  /**
   * Asks every call-observing listener, tracing ones first, for an observer of {@code info}; the
   * trace id an observer knows goes into the info of the later ones, up to {@code lastReader}
   * (the last that reads it).
   */
  @SuppressWarnings("ReferenceEquality") // NONE is a marker: only that instance means "declined"
  static ClientCallObserver client(
      Failures events, MeshListener[] listeners, int lastReader, ClientCallInfo info) {
    // One array per observed call, no list: this runs on every call.
    ClientCallObserver[] observers = new ClientCallObserver[listeners.length];
    int n = 0;
    ClientCallInfo current = info;
    for (int i = 0; i < listeners.length; i++) {
      MeshListener l = listeners[i];
      ClientCallObserver o;
      try {
        o = l.clientCall(current);
      } catch (RuntimeException | LinkageError e) {
        events.observerFailed(l, e);
        continue;
      }
      if (o == ClientCallObserver.NONE) {
        continue;
      }
      observers[n++] = o;
      String traceId = i < lastReader && current.traceId() == null ? traceId(events, o) : null;
      if (traceId != null) {
        current = current.withTraceId(traceId);
      }
    }
    if (n == 0) {
      return ClientCallObserver.NONE;
    }
    return new Client(events, n == observers.length ? observers : Arrays.copyOf(observers, n));
  }

  /** As {@link #client}, for an incoming call. */
  @SuppressWarnings("ReferenceEquality") // NONE is a marker: only that instance means "declined"
  static ServerCallObserver server(
      Failures events, MeshListener[] listeners, int lastReader, ServerCallInfo info) {
    ServerCallObserver[] observers = new ServerCallObserver[listeners.length];
    int n = 0;
    ServerCallInfo current = info;
    for (int i = 0; i < listeners.length; i++) {
      MeshListener l = listeners[i];
      ServerCallObserver o;
      try {
        o = l.serverCall(current);
      } catch (RuntimeException | LinkageError e) {
        events.observerFailed(l, e);
        continue;
      }
      if (o == ServerCallObserver.NONE) {
        continue;
      }
      observers[n++] = o;
      String traceId = null;
      if (i < lastReader && current.traceId() == null) {
        try {
          traceId = o.traceId();
        } catch (RuntimeException | LinkageError e) {
          events.observerFailed(o, e);
        }
      }
      if (traceId != null) {
        current = current.withTraceId(traceId);
      }
    }
    if (n == 0) {
      return ServerCallObserver.NONE;
    }
    return new Server(events, n == observers.length ? observers : Arrays.copyOf(observers, n));
  }

  private static @Nullable String traceId(Failures events, ClientCallObserver o) {
    try {
      return o.traceId();
    } catch (RuntimeException | LinkageError e) {
      events.observerFailed(o, e);
      return null;
    }
  }

  private static final class Client implements ClientCallObserver {
    private final Failures events;
    private final ClientCallObserver[] observers;

    Client(Failures events, ClientCallObserver[] observers) {
      this.events = events;
      this.observers = observers;
    }

    @Override
    public void attemptStarted(Attempt attempt, HeaderSetter headers) {
      for (ClientCallObserver o : observers) {
        try {
          o.attemptStarted(attempt, headers);
        } catch (RuntimeException | LinkageError e) {
          events.observerFailed(o, e);
        }
      }
    }

    @Override
    public void attemptEnded(Attempt attempt, Outcome outcome) {
      for (ClientCallObserver o : observers) {
        try {
          o.attemptEnded(attempt, outcome);
        } catch (RuntimeException | LinkageError e) {
          events.observerFailed(o, e);
        }
      }
    }

    @Override
    public void callEnded(CallEnd end) {
      for (ClientCallObserver o : observers) {
        try {
          o.callEnded(end);
        } catch (RuntimeException | LinkageError e) {
          events.observerFailed(o, e);
        }
      }
    }

    @Override
    public @Nullable String traceId() {
      return CallObservers.traceId(events, observers[0]);
    }
  }

  private static final class Server implements ServerCallObserver {
    private final Failures events;
    private final ServerCallObserver[] observers;

    Server(Failures events, ServerCallObserver[] observers) {
      this.events = events;
      this.observers = observers;
    }

    @Override
    public TelemetryScope activate() {
      TelemetryScope[] scopes = new TelemetryScope[observers.length];
      for (int i = 0; i < observers.length; i++) {
        try {
          scopes[i] = observers[i].activate();
        } catch (RuntimeException | LinkageError e) {
          events.observerFailed(observers[i], e);
          scopes[i] = TelemetryScope.NONE;
        }
      }
      return () -> {
        for (int i = scopes.length - 1; i >= 0; i--) {
          try {
            scopes[i].close();
          } catch (RuntimeException | LinkageError e) {
            events.observerFailed(observers[i], e);
          }
        }
      };
    }

    @Override
    public void callEnded(CallEnd end) {
      for (ServerCallObserver o : observers) {
        try {
          o.callEnded(end);
        } catch (RuntimeException | LinkageError e) {
          events.observerFailed(o, e);
        }
      }
    }

    @Override
    public @Nullable String traceId() {
      try {
        return observers[0].traceId();
      } catch (RuntimeException | LinkageError e) {
        events.observerFailed(observers[0], e);
        return null;
      }
    }
  }
}
