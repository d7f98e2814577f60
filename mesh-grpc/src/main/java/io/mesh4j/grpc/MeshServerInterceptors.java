package io.mesh4j.grpc;

import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.mesh4j.core.Mesh;
import io.mesh4j.core.call.Admission;
import io.mesh4j.core.call.Inbound;
import io.mesh4j.core.call.InboundCall;
import java.util.Objects;

/**
 * Server-side interceptors that let the mesh admit or refuse incoming calls. Every call is
 * authorized by the service's {@code AuthorizationPolicy} resources (matching the caller's SPIFFE
 * ID and the gRPC method, {@code package.Service/Method}) and then admitted by the service's
 * {@code serverRateLimit}. A refused call is closed at once, before the service sees it, with the
 * status the engine names ({@code PERMISSION_DENIED} for a denial, {@code RESOURCE_EXHAUSTED} for
 * a rate limit) and the engine's message, which names the policy or the limit, as its
 * description.
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
      InboundCall inboundCall =
          InboundCall.builder(service)
              .peer(peers.peer(call, headers))
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
