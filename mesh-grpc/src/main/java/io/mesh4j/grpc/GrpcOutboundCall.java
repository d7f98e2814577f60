package io.mesh4j.grpc;

import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.mesh4j.core.call.OutboundCall;
import org.jspecify.annotations.Nullable;

/**
 * The engine's view of a gRPC call, read straight from the method descriptor and the request
 * metadata without copying them. Binary ({@code -bin}) metadata is invisible to header matches,
 * since route rules match text.
 *
 * <p>Valid only while the call is being planned; not thread-safe, as {@link Metadata} is not.
 */
final class GrpcOutboundCall implements OutboundCall {

  private final String destination;
  private final MethodDescriptor<?, ?> method;
  private final Metadata headers;
  private final long timeRemainingNanos;

  GrpcOutboundCall(
      String destination, MethodDescriptor<?, ?> method, Metadata headers, long timeRemainingNanos) {
    this.destination = destination;
    this.method = method;
    this.headers = headers;
    this.timeRemainingNanos = timeRemainingNanos;
  }

  @Override
  public String destination() {
    return destination;
  }

  @Override
  public @Nullable String grpcService() {
    return method.getServiceName();
  }

  @Override
  public String grpcFullMethod() {
    return method.getFullMethodName();
  }

  @Override
  public @Nullable String grpcMethod() {
    return method.getBareMethodName();
  }

  @Override
  public @Nullable String header(String lowerCaseName) {
    if (lowerCaseName.endsWith(Metadata.BINARY_HEADER_SUFFIX)) {
      return null;
    }
    return headers.get(AsciiKeys.of(lowerCaseName));
  }

  @Override
  public boolean idempotent() {
    return method.isIdempotent() || method.isSafe();
  }

  @Override
  public boolean streaming() {
    return method.getType() != MethodDescriptor.MethodType.UNARY;
  }

  @Override
  public long timeRemainingNanos() {
    return timeRemainingNanos;
  }
}
