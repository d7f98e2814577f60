package io.mesh4j.grpc;

import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.mesh4j.core.Mesh;
import io.mesh4j.core.call.Admission;
import io.mesh4j.core.call.Inbound;
import java.util.Objects;

/**
 * Server-side interceptors that let the mesh admit or refuse incoming calls. Today the engine
 * applies the service's {@code serverRateLimit}; a refused call is closed at once with the status
 * the engine names ({@code RESOURCE_EXHAUSTED} for a rate limit) and the engine's message as its
 * description, before the service sees it.
 *
 * <p>Add the interceptor with {@code ServerInterceptors.intercept(service, interceptor)} or
 * {@code ServerBuilder.intercept(interceptor)}.
 */
public final class MeshServerInterceptors {

  private MeshServerInterceptors() {}

  /**
   * An interceptor admitting calls to {@code service} ({@code name.namespace}, the mesh name of
   * this server's application) through {@code mesh}. Thread-safe; one instance serves any number
   * of calls.
   */
  public static ServerInterceptor forService(Mesh mesh, String service) {
    Objects.requireNonNull(mesh, "mesh");
    Objects.requireNonNull(service, "service");
    return new Admit(mesh.inbound(), service);
  }

  /** Asks the engine once per call; the engine's answer is lock-free. */
  private static final class Admit implements ServerInterceptor {
    private final Inbound inbound;
    private final String service;

    Admit(Inbound inbound, String service) {
      this.inbound = inbound;
      this.service = service;
    }

    @Override
    public <ReqT, RespT> ServerCall.Listener<ReqT> interceptCall(
        ServerCall<ReqT, RespT> call, Metadata headers, ServerCallHandler<ReqT, RespT> next) {
      Admission admission = inbound.admit(service);
      if (admission.isAdmitted()) {
        return next.startCall(call, headers);
      }
      call.close(MeshStatus.of(admission.refusal()), new Metadata());
      return new ServerCall.Listener<>() {};
    }
  }
}
