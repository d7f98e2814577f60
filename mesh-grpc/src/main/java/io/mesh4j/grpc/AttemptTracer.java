package io.mesh4j.grpc;

import io.grpc.CallOptions;
import io.grpc.ClientStreamTracer;
import io.grpc.Metadata;
import io.mesh4j.core.call.Endpoint;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * One attempt as the transport sees it. It carries the endpoint the engine chose to the picker
 * (as the attempt starting on the picking thread, which the picker hands to the transport with
 * the connection, or else among the call's stream tracer factories), and learns from the
 * transport whether the request went out and whether the server answered, which tells a connect
 * failure and a reset apart from a status the server sent.
 */
final class AttemptTracer extends ClientStreamTracer.Factory {

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
