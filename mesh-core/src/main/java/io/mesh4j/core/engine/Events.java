package io.mesh4j.core.engine;

import io.mesh4j.core.call.MeshFailure;
import io.mesh4j.core.telemetry.ClientCallInfo;
import io.mesh4j.core.telemetry.ClientCallObserver;
import io.mesh4j.core.telemetry.MeshListener;
import io.mesh4j.core.telemetry.MeshView;
import io.mesh4j.core.telemetry.ServerCallInfo;
import io.mesh4j.core.telemetry.ServerCallObserver;
import io.mesh4j.core.call.Endpoint;
import io.mesh4j.core.call.Outcome;
import io.mesh4j.core.telemetry.TlsRefusal;
import io.mesh4j.core.policy.Problem;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Fans events out to the registered listeners, shielding the engine from them: a listener or an
 * observer that throws is counted and logged once, and the event goes on to the others. Callers
 * check {@link #enabled()} before computing an event's arguments, so that nothing is computed
 * when nobody listens; {@link #observesClientCalls()} and {@link #observesServerCalls()} say
 * whether a call needs its info built at all.
 *
 * <p>Thread-safe; immutable apart from the failure counters.
 */
public final class Events implements CallObservers.Failures {

  private static final Logger log = LoggerFactory.getLogger(Events.class);

  private final MeshListener[] listeners;
  private final AtomicBoolean[] logged;
  private final AtomicLong failures = new AtomicLong();
  // Tracing listeners first, so that the others learn the trace id.
  private final MeshListener[] clientObservers;
  private final MeshListener[] serverObservers;
  // The last observer that reads the trace id in a call's info: later ones are not asked for it.
  private final int clientTraceIdReader;
  private final int serverTraceIdReader;
  private final Set<Class<?>> loggedObservers = ConcurrentHashMap.newKeySet();

  public Events(List<MeshListener> listeners) {
    this.listeners = listeners.toArray(new MeshListener[0]);
    this.logged = new AtomicBoolean[this.listeners.length];
    for (int i = 0; i < logged.length; i++) {
      logged[i] = new AtomicBoolean();
    }
    // Tracing listeners first, each group in the order given. Loops rather than streams: this
    // runs once per mesh, on the way to the first call, where each lambda is linked cold.
    List<MeshListener> ordered = new ArrayList<>(listeners.size());
    for (MeshListener l : listeners) {
      if (l.tracesCalls()) {
        ordered.add(l);
      }
    }
    for (MeshListener l : listeners) {
      if (!l.tracesCalls()) {
        ordered.add(l);
      }
    }
    this.clientObservers = observers(ordered, "clientCall", ClientCallInfo.class);
    this.serverObservers = observers(ordered, "serverCall", ServerCallInfo.class);
    this.clientTraceIdReader = lastReader(clientObservers);
    this.serverTraceIdReader = lastReader(serverObservers);
  }

  private static MeshListener[] observers(List<MeshListener> ordered, String method, Class<?> parameter) {
    List<MeshListener> observers = new ArrayList<>(ordered.size());
    for (MeshListener l : ordered) {
      if (overrides(l, method, parameter)) {
        observers.add(l);
      }
    }
    return observers.toArray(new MeshListener[0]);
  }

  private static int lastReader(MeshListener[] observers) {
    for (int i = observers.length - 1; i >= 0; i--) {
      if (observers[i].readsTraceIds()) {
        return i;
      }
    }
    return -1;
  }

  /** Whether {@code l} observes calls: the default methods answer NONE for every call. */
  private static boolean overrides(MeshListener l, String method, Class<?> parameter) {
    try {
      return l.getClass().getMethod(method, parameter).getDeclaringClass() != MeshListener.class;
    } catch (NoSuchMethodException e) {
      throw new AssertionError(e);
    }
  }

  /** Whether any listener observes outgoing calls. */
  public boolean observesClientCalls() {
    return clientObservers.length > 0;
  }

  /** Whether any listener observes incoming calls. */
  public boolean observesServerCalls() {
    return serverObservers.length > 0;
  }

  /** The shielded observers of an outgoing call; NONE when no listener records it. */
  public ClientCallObserver clientCall(ClientCallInfo info) {
    return clientObservers.length == 0
        ? ClientCallObserver.NONE
        : CallObservers.client(this, clientObservers, clientTraceIdReader, info);
  }

  /** The shielded observers of an incoming call; NONE when no listener records it. */
  public ServerCallObserver serverCall(ServerCallInfo info) {
    return serverObservers.length == 0
        ? ServerCallObserver.NONE
        : CallObservers.server(this, serverObservers, serverTraceIdReader, info);
  }

  /** Gives every listener a view of the mesh, once, before any call. */
  public void attach(MeshView mesh) {
    emit(l -> l.attach(mesh));
  }

  /** Counts an observer's failure; the first of each observer class is logged. */
  @Override
  public void observerFailed(Object observer, Throwable failure) {
    failures.incrementAndGet();
    if (loggedObservers.add(observer.getClass())) {
      log.warn(
          "mesh4j: observer {} threw; the call went on, later failures are counted but not logged",
          observer.getClass().getName(),
          failure);
    }
  }

  /** No listeners at all. */
  public static Events none() {
    return new Events(List.of());
  }

  public boolean enabled() {
    return listeners.length > 0;
  }

  /** How many times a listener or a call observer has thrown. */
  public long listenerFailures() {
    return failures.get();
  }

  private interface Event {
    void deliver(MeshListener l);
  }

  private void emit(Event e) {
    for (int i = 0; i < listeners.length; i++) {
      try {
        e.deliver(listeners[i]);
      } catch (RuntimeException | LinkageError ex) {
        failures.incrementAndGet();
        if (logged[i].compareAndSet(false, true)) {
          log.warn(
              "mesh4j: listener {} threw; its later failures are counted but not logged",
              listeners[i].getClass().getName(),
              ex);
        }
      }
    }
  }

  public void snapshotApplied(long version) {
    emit(l -> l.snapshotApplied(version));
  }

  public void snapshotRefused(long version, List<Problem> problems) {
    emit(l -> l.snapshotRefused(version, problems));
  }

  public void stateReset(String key) {
    emit(l -> l.stateReset(key));
  }

  public void breakerStateChanged(
      String destination,
      @Nullable String subset,
      MeshListener.BreakerState from,
      MeshListener.BreakerState to) {
    emit(l -> l.breakerStateChanged(destination, subset, from, to));
  }

  public void concurrencyLimitChanged(String destination, @Nullable String subset, int limit) {
    emit(l -> l.concurrencyLimitChanged(destination, subset, limit));
  }

  public void endpointEjected(String destination, Endpoint endpoint, long nanos, String reason) {
    emit(l -> l.endpointEjected(destination, endpoint, nanos, reason));
  }

  public void endpointReturned(String destination, Endpoint endpoint) {
    emit(l -> l.endpointReturned(destination, endpoint));
  }

  public void retryScheduled(String destination, int nextAttempt, long backoff, Outcome outcome) {
    emit(l -> l.retryScheduled(destination, nextAttempt, backoff, outcome));
  }

  public void hedgeSent(String destination, int attempt) {
    emit(l -> l.hedgeSent(destination, attempt));
  }

  public void mirrorEnded(String destination, @Nullable String subset, Outcome outcome) {
    emit(l -> l.mirrorEnded(destination, subset, outcome));
  }

  public void callRefused(MeshFailure failure) {
    emit(l -> l.callRefused(failure));
  }

  public void faultInjected(String destination, long delayNanos, boolean abort) {
    emit(l -> l.faultInjected(destination, delayNanos, abort));
  }

  public void certificateRenewed(String spiffeId, Instant notAfter) {
    emit(l -> l.certificateRenewed(spiffeId, notAfter));
  }

  public void certificateRenewalFailed(
      String message, boolean retryable, @Nullable Instant notAfter) {
    emit(l -> l.certificateRenewalFailed(message, retryable, notAfter));
  }

  public void certificateExpiring(String spiffeId, Instant notAfter) {
    emit(l -> l.certificateExpiring(spiffeId, notAfter));
  }

  public void tlsRefused(TlsRefusal refusal) {
    emit(l -> l.tlsRefused(refusal));
  }
}
