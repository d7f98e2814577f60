package io.mesh4j.grpc;

import io.grpc.CallOptions;
import io.grpc.ClientCall;
import io.grpc.ClientStreamTracer;
import io.grpc.Metadata;
import io.mesh4j.core.call.Endpoint;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * One attempt as the transport sees it. It carries the endpoint the engine chose to the picker
 * (as the attempt starting on the picking thread, which the picker hands to the transport with
 * the connection, or else among the call's stream tracer factories), and learns from the
 * transport whether the request went out and whether the server answered, which tells a connect
 * failure and a reset apart from a status the server sent.
 */
class AttemptTracer extends ClientStreamTracer.Factory {

  final EndpointKey endpoint;
  /** The port a connection to {@link #endpoint} dials: the endpoint's gRPC port. */
  final int dialPort;
  /** The mesh's picker gave the attempt a connection: the channel's picker is the mesh's. */
  volatile boolean pickedByMesh;
  volatile boolean streamCreated;
  volatile boolean serverAnswered;
  // Each written by one transport thread at a time (outbound, inbound); read at the call's end.
  volatile long sentBytes;
  volatile long receivedBytes;

  AttemptTracer(Endpoint endpoint) {
    this.endpoint = EndpointKey.of(endpoint);
    this.dialPort = endpoint.grpcDialPort();
  }

  /** An attempt whose per-try timeout {@link AttemptDeadlines} keeps, or a plain one. */
  static AttemptTracer of(Endpoint endpoint, boolean timed) {
    return timed ? new Timed(endpoint) : new AttemptTracer(endpoint);
  }

  /**
   * Marks the attempt's call closed, so that no timer cancels it any more; answers whether the
   * mesh's timer cancelled it first.
   */
  boolean closedByTimer() {
    return false;
  }

  /**
   * An attempt whose call {@link AttemptDeadlines} cancels when its per-try timeout passes: the
   * tracer is the timer's entry, so keeping the deadline allocates nothing per attempt.
   */
  static final class Timed extends AttemptTracer {
    private static final int NEW = 0;
    private static final int ARMED = 1;
    private static final int CLOSED = 2;
    private static final int FIRED = 3;
    private static final VarHandle STATE;

    static {
      try {
        STATE = MethodHandles.lookup().findVarHandle(Timed.class, "state", int.class);
      } catch (ReflectiveOperationException e) {
        throw new ExceptionInInitializerError(e);
      }
    }

    private volatile int state;
    // Written once before the entry is published to the timer, read by the timer.
    @Nullable ClientCall<?, ?> call;
    long deadline;
    // The timer's link: its arrivals stack first, then its own list.
    @Nullable Timed next;

    Timed(Endpoint endpoint) {
      super(endpoint);
    }

    /** Takes the call to cancel at {@code deadline}; false when the call has closed already. */
    boolean arm(ClientCall<?, ?> call, long deadline) {
      this.call = call;
      this.deadline = deadline;
      return STATE.compareAndSet(this, NEW, ARMED);
    }

    boolean armed() {
      return state == ARMED;
    }

    /** The deadline passed: cancels the call unless it closed first. */
    void fire() {
      ClientCall<?, ?> c = call;
      call = null;
      if (c != null && STATE.compareAndSet(this, ARMED, FIRED)) {
        c.cancel(AttemptDeadlines.CANCELLED, null);
      }
    }

    @Override
    boolean closedByTimer() {
      return (int) STATE.getAndSet(this, CLOSED) == FIRED;
    }
  }

  /**
   * The attempt these options belong to, if the mesh planned one: its {@link #endpoint} is the
   * one the engine chose.
   */
  static @Nullable AttemptTracer chosen(CallOptions options) {
    List<ClientStreamTracer.Factory> factories = options.getStreamTracerFactories();
    // Indexed, newest last: no iterator, and the mesh's factory is usually the last one added.
    for (int i = factories.size() - 1; i >= 0; i--) {
      if (factories.get(i) instanceof AttemptTracer t) {
        return t;
      }
    }
    return null;
  }

  /**
   * The attempt whose call is being started on this thread, with the headers it was started with:
   * while the channel picks within {@code ClientCall.start}, as it does once it has a picker, the
   * picker finds the attempt here and hands the transport the tracer itself, so the attempt's call
   * options need not be copied to carry it. Other picks that run on this thread meanwhile (the
   * channel may replay its pending streams there) have other headers.
   */
  private static final ThreadLocal<Starting> STARTING = ThreadLocal.withInitial(Starting::new);

  /** This thread's attempt being started; cleared by {@link #end} once its call has started. */
  static final class Starting {
    private @Nullable AttemptTracer tracer;
    private @Nullable Metadata headers;

    void end() {
      tracer = null;
      headers = null;
    }
  }

  /** Marks this attempt, started with {@code headers}, as the one starting on this thread. */
  Starting beginStart(Metadata headers) {
    Starting s = STARTING.get();
    s.tracer = this;
    s.headers = headers;
    return s;
  }

  /** The attempt being started on this thread with exactly {@code headers}, if there is one. */
  static @Nullable AttemptTracer startingWith(Metadata headers) {
    Starting s = STARTING.get();
    return s.headers == headers ? s.tracer : null;
  }

  @Override
  @SuppressWarnings("NonAtomicVolatileUpdate") // each byte count has one writer at a time
  public ClientStreamTracer newClientStreamTracer(
      ClientStreamTracer.StreamInfo info, Metadata headers) {
    return new ClientStreamTracer() {
      @Override
      public void streamCreated(io.grpc.Attributes transportAttrs, Metadata headers) {
        streamCreated = true;
      }

      @Override
      public void inboundHeaders() {
        serverAnswered = true;
      }

      @Override
      public void inboundTrailers(Metadata trailers) {
        serverAnswered = true;
      }

      @Override
      public void outboundWireSize(long bytes) {
        sentBytes += bytes;
      }

      @Override
      public void inboundWireSize(long bytes) {
        receivedBytes += bytes;
      }
    };
  }
}
