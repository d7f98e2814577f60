package io.mesh4j.spring;

import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * The mesh's server interceptor on Spring Boot's gRPC server, where one global interceptor sees
 * every service: each call is admitted by the interceptor of its gRPC service's mesh service
 * ({@link MeshGrpcService#service()}), else by that of {@code mesh4j.service}; without either the
 * call passes unmeshed.
 */
final class MeshBootGrpcServerInterceptor implements ServerInterceptor {

  private final Map<String, ServerInterceptor> byGrpcService;
  private final @Nullable ServerInterceptor fallback;

  /**
   * @param byGrpcService the interceptor of each {@link MeshGrpcService} bean's gRPC service name
   * @param fallback the interceptor for any other service, null when {@code mesh4j.service} is
   *     unset
   */
  MeshBootGrpcServerInterceptor(
      Map<String, ServerInterceptor> byGrpcService, @Nullable ServerInterceptor fallback) {
    this.byGrpcService = Map.copyOf(byGrpcService);
    this.fallback = fallback;
  }

  @Override
  public <ReqT, RespT> ServerCall.Listener<ReqT> interceptCall(
      ServerCall<ReqT, RespT> call, Metadata headers, ServerCallHandler<ReqT, RespT> next) {
    String grpcService = call.getMethodDescriptor().getServiceName();
    ServerInterceptor interceptor = grpcService == null ? null : byGrpcService.get(grpcService);
    if (interceptor == null) {
      interceptor = fallback;
    }
    return interceptor == null
        ? next.startCall(call, headers)
        : interceptor.interceptCall(call, headers, next);
  }
}
