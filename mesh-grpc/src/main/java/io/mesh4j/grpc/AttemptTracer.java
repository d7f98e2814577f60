package io.mesh4j.grpc;

import io.grpc.CallOptions;
import io.grpc.ClientStreamTracer;
import io.grpc.Metadata;
import io.mesh4j.core.call.Endpoint;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * One attempt as the transport sees it. It carries the endpoint the engine chose to the picker
 * (among the call's stream tracer factories, so the attempt's call options are copied once, not
 * once for the endpoint and once for the tracer), and learns from the transport whether the
 * request went out and whether the server answered, which tells a connect failure and a reset
 * apart from a status the server sent.
 */
final class AttemptTracer extends ClientStreamTracer.Factory {

  final EndpointKey endpoint;
  /** The port a connection to {@link #endpoint} dials: the endpoint's gRPC port. */
  final int dialPort;
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
