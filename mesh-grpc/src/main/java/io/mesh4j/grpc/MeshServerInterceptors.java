package io.mesh4j.grpc;

import io.grpc.Grpc;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.mesh4j.core.Mesh;
import io.mesh4j.core.call.Admission;
import io.mesh4j.core.call.Inbound;
import io.mesh4j.core.call.InboundCall;
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
    public <ReqT, RespT> ServerCall.Listener<ReqT> interceptCall(
        ServerCall<ReqT, RespT> call, Metadata headers, ServerCallHandler<ReqT, RespT> next) {
      String peer = peers.peer(call, headers);
      InboundCall inboundCall =
          InboundCall.builder(service)
              .peer(peer)
              .transport(transport(call, peer))
              .grpc(call.getMethodDescriptor().getFullMethodName())
              .build();
      Admission admission = inbound.admit(inboundCall);
      if (admission.isAdmitted()) {
        return next.startCall(call, headers);
      }
      call.close(MeshStatus.of(admission.refusal()), new Metadata());
      return new ServerCall.Listener<>() {};
    }
  }
}
