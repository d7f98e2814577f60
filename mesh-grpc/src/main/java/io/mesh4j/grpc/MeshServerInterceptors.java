package io.mesh4j.grpc;

import io.grpc.ForwardingServerCall;
import io.grpc.ForwardingServerCallListener;
import io.grpc.Grpc;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.Status;
import io.mesh4j.core.Mesh;
import io.mesh4j.core.call.Admission;
import io.mesh4j.core.call.CallStatus;
import io.mesh4j.core.call.HeaderGetter;
import io.mesh4j.core.call.Inbound;
import io.mesh4j.core.call.InboundCall;
import io.mesh4j.core.call.TelemetryScope;
import java.security.cert.Certificate;
import java.util.Objects;
import javax.net.ssl.SSLPeerUnverifiedException;
import javax.net.ssl.SSLSession;
import org.jspecify.annotations.Nullable;

/**
 * Server-side interceptors that let the mesh admit or refuse incoming calls. Every call is
 * authorized by the service's {@code AuthorizationPolicy} resources (matching the caller's SPIFFE
 * ID and the gRPC method, {@code package.Service/Method}) and then admitted by the service's
 * {@code serverRateLimit}. A refused call is closed at once, before the service sees it, with the
 * status the engine names ({@code PERMISSION_DENIED} for a denial, {@code RESOURCE_EXHAUSTED} for
 * a rate limit) and the engine's message, which names the policy or the limit, as its
 * description.
 *
 * <p>Under {@code mtls: STRICT} (read from the policy in force, per call) a call without a
 * verified peer identity is refused first, with {@code UNAUTHENTICATED} and a message saying
 * whether it came over plaintext or without a client certificate. Identities claimed in request
 * headers are ignored unless a {@link PeerIdentityResolver#fromHeader} resolver is chosen
 * explicitly.
 *
 * <p>When the mesh has telemetry ({@code Mesh.Builder.telemetry}), every call is also observed:
 * the caller's trace context is read from the metadata, the server span is current while the
 * service's code runs (so the calls it makes join the trace), and the call's end is timed and
 * logged, refused calls included.
 *
 * <p>Add the interceptor with {@code ServerInterceptors.intercept(service, interceptor)} or
 * {@code ServerBuilder.intercept(interceptor)}.
 */
public final class MeshServerInterceptors {

  private MeshServerInterceptors() {}

  /**
   * An interceptor admitting calls to {@code service} ({@code name.namespace}, the mesh name of
   * this server's application) through {@code mesh}, taking the caller's identity from the
   * verified TLS client certificate ({@link PeerIdentityResolver#clientCertificate()}).
   * Thread-safe; one instance serves any number of calls.
   */
  public static ServerInterceptor forService(Mesh mesh, String service) {
    return forService(mesh, service, PeerIdentityResolver.clientCertificate());
  }

  /**
   * An interceptor admitting calls to {@code service} through {@code mesh}, taking the caller's
   * identity from {@code peers}. Thread-safe; one instance serves any number of calls.
   */
  public static ServerInterceptor forService(
      Mesh mesh, String service, PeerIdentityResolver peers) {
    Objects.requireNonNull(mesh, "mesh");
    Objects.requireNonNull(service, "service");
    Objects.requireNonNull(peers, "peers");
    return new Admit(mesh.inbound(), service, peers);
  }

  /** How the call arrived, for the engine's STRICT check and its message. */
  static InboundCall.Transport transport(ServerCall<?, ?> call, @Nullable String peer) {
    SSLSession session = call.getAttributes().get(Grpc.TRANSPORT_ATTR_SSL_SESSION);
    if (session == null) {
      return InboundCall.Transport.PLAINTEXT;
    }
    try {
      Certificate[] certs = session.getPeerCertificates();
      return certs.length > 0 ? InboundCall.Transport.MUTUAL_TLS : InboundCall.Transport.TLS;
    } catch (SSLPeerUnverifiedException e) {
      return InboundCall.Transport.TLS;
    }
  }

  /** Asks the engine once per call; the engine's answer is lock-free. */
  private static final class Admit implements ServerInterceptor {
    private final Inbound inbound;
    private final String service;
    private final PeerIdentityResolver peers;

    Admit(Inbound inbound, String service, PeerIdentityResolver peers) {
      this.inbound = inbound;
      this.service = service;
      this.peers = peers;
    }

    @Override
    @SuppressWarnings("ReferenceEquality") // the shared answer marks a call nobody observes
    public <ReqT, RespT> ServerCall.Listener<ReqT> interceptCall(
        ServerCall<ReqT, RespT> call, Metadata headers, ServerCallHandler<ReqT, RespT> next) {
      String peer = peers.peer(call, headers);
      Admission admission =
          inbound.admit(
              InboundCall.builder(service)
                  .peer(peer)
                  .transport(transport(call, peer))
                  .grpc(call.getMethodDescriptor().getFullMethodName())
                  .headers(new MetadataGetter(headers))
                  .build());
      if (!admission.isAdmitted()) {
        Status status = MeshStatus.of(admission.refusal());
        admission.end(CallStatus.grpc(status.getCode().value()), -1, -1);
        call.close(status, new Metadata());
        return new ServerCall.Listener<>() {};
      }
      if (admission == Admission.admitted()) {
        // Nobody observes the call: nothing to wrap.
        return next.startCall(call, headers);
      }
      Observed<ReqT, RespT> observed = new Observed<>(call, admission);
      ServerCall.Listener<ReqT> listener;
      try (TelemetryScope scope = admission.activate()) {
        listener = next.startCall(observed, headers);
      }
      return new ObservedListener<>(listener, observed);
    }
  }

  /** Reads propagation headers from a call's metadata; binary entries are never trace context. */
  private record MetadataGetter(Metadata headers) implements HeaderGetter {
    @Override
    public @Nullable String get(String name) {
      if (name.endsWith(Metadata.BINARY_HEADER_SUFFIX)) {
        return null;
      }
      return headers.get(AsciiKeys.of(name));
    }
  }

  /** Reports the call's end once: when the service closes it, or when the client cancels it. */
  private static final class Observed<ReqT, RespT>
      extends ForwardingServerCall.SimpleForwardingServerCall<ReqT, RespT> {
    private final Admission admission;

    Observed(ServerCall<ReqT, RespT> call, Admission admission) {
      super(call);
      this.admission = admission;
    }

    @Override
    public void close(Status status, Metadata trailers) {
      end(status);
      super.close(status, trailers);
    }

    void end(Status status) {
      admission.end(CallStatus.grpc(status.getCode().value()), -1, -1);
    }
  }

  /** Runs the service's callbacks with the call's trace context current. */
  private static final class ObservedListener<ReqT>
      extends ForwardingServerCallListener.SimpleForwardingServerCallListener<ReqT> {
    private final Observed<ReqT, ?> call;

    ObservedListener(ServerCall.Listener<ReqT> delegate, Observed<ReqT, ?> call) {
      super(delegate);
      this.call = call;
    }

    @Override
    public void onMessage(ReqT message) {
      try (TelemetryScope scope = call.admission.activate()) {
        super.onMessage(message);
      } catch (RuntimeException | Error e) {
        // grpc-java closes the stream itself (UNKNOWN), past this call's close().
        call.end(Status.UNKNOWN);
        throw e;
      }
    }

    @Override
    public void onHalfClose() {
      try (TelemetryScope scope = call.admission.activate()) {
        super.onHalfClose();
      } catch (RuntimeException | Error e) {
        // grpc-java closes the stream itself (UNKNOWN), past this call's close().
        call.end(Status.UNKNOWN);
        throw e;
      }
    }

    @Override
    public void onCancel() {
      call.end(Status.CANCELLED);
      try (TelemetryScope scope = call.admission.activate()) {
        super.onCancel();
      }
    }

    @Override
    public void onComplete() {
      try (TelemetryScope scope = call.admission.activate()) {
        super.onComplete();
      }
    }

    @Override
    public void onReady() {
      try (TelemetryScope scope = call.admission.activate()) {
        super.onReady();
      } catch (RuntimeException | Error e) {
        // grpc-java closes the stream itself (UNKNOWN), past this call's close().
        call.end(Status.UNKNOWN);
        throw e;
      }
    }
  }
}
