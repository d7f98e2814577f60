package io.mesh4j.spring;

import static org.assertj.core.api.Assertions.assertThat;

import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.Status;
import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Which mesh service's interceptor admits a call on Spring Boot's server. */
@Timeout(10)
class MeshBootGrpcServerInterceptorTest {

  private static final MethodDescriptor.Marshaller<String> UTF8 =
      new MethodDescriptor.Marshaller<>() {
        @Override
        public InputStream stream(String value) {
          return new ByteArrayInputStream(value.getBytes(StandardCharsets.UTF_8));
        }

        @Override
        public String parse(InputStream stream) {
          throw new UnsupportedOperationException("no message crosses these calls");
        }
      };

  private final List<String> seen = new ArrayList<>();

  /** Records which interceptor saw the call, then lets it through. */
  private ServerInterceptor named(String name) {
    return new ServerInterceptor() {
      @Override
      public <Q, R> ServerCall.Listener<Q> interceptCall(
          ServerCall<Q, R> call, Metadata headers, ServerCallHandler<Q, R> next) {
        seen.add(name);
        return next.startCall(call, headers);
      }
    };
  }

  private String call(MeshBootGrpcServerInterceptor interceptor, String fullMethodName) {
    MethodDescriptor<String, String> method =
        MethodDescriptor.<String, String>newBuilder()
            .setType(MethodDescriptor.MethodType.UNARY)
            .setFullMethodName(fullMethodName)
            .setRequestMarshaller(UTF8)
            .setResponseMarshaller(UTF8)
            .build();
    List<String> started = new ArrayList<>();
    interceptor.interceptCall(
        new ServerCall<String, String>() {
          @Override
          public MethodDescriptor<String, String> getMethodDescriptor() {
            return method;
          }

          @Override
          public void request(int numMessages) {}

          @Override
          public void sendHeaders(Metadata headers) {}

          @Override
          public void sendMessage(String message) {}

          @Override
          public void close(Status status, Metadata trailers) {}

          @Override
          public boolean isCancelled() {
            return false;
          }
        },
        new Metadata(),
        (c, h) -> {
          started.add(fullMethodName);
          return new ServerCall.Listener<>() {};
        });
    assertThat(started).containsExactly(fullMethodName);
    return seen.isEmpty() ? "none" : seen.remove(0);
  }

  private MeshBootGrpcServerInterceptor interceptor(@Nullable ServerInterceptor fallback) {
    return new MeshBootGrpcServerInterceptor(
        Map.of("shop.Catalog", named("catalog.shop")), fallback);
  }

  @Test
  void anAnnotatedServiceIsAdmittedUnderItsOwnMeshService() {
    assertThat(call(interceptor(named("web.shop")), "shop.Catalog/GetItem"))
        .isEqualTo("catalog.shop");
  }

  @Test
  void anyOtherServiceIsAdmittedUnderTheApplicationsMeshService() {
    assertThat(call(interceptor(named("web.shop")), "grpc.health.v1.Health/Check"))
        .isEqualTo("web.shop");
  }

  @Test
  void withoutTheApplicationsMeshServiceOtherServicesPassUnmeshed() {
    assertThat(call(interceptor(null), "grpc.health.v1.Health/Check")).isEqualTo("none");
    assertThat(call(interceptor(null), "shop.Catalog/GetItem")).isEqualTo("catalog.shop");
  }
}
