package io.mesh4j.grpc;

import static io.mesh4j.core.testing.TestMesh.CATALOG;
import static io.mesh4j.core.testing.TestMesh.endpoints;
import static org.assertj.core.api.Assertions.assertThat;

import io.grpc.CallOptions;
import io.grpc.Channel;
import io.grpc.ClientCall;
import io.grpc.ClientInterceptor;
import io.grpc.ClientInterceptors;
import io.grpc.ForwardingClientCall;
import io.grpc.ForwardingClientCallListener;
import io.grpc.ForwardingServerCall;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.stub.ClientCalls;
import io.mesh4j.core.testing.TestMesh;
import io.mesh4j.grpc.testing.Backend;
import io.mesh4j.grpc.testing.EchoService;
import io.mesh4j.grpc.testing.GrpcExtension;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/** A route's header changes on real gRPC calls: request metadata the server sees, response metadata the caller sees. */
@Timeout(30)
class HeaderModifiersGrpcTest {

  private static Metadata.Key<String> key(String name) {
    return Metadata.Key.of(name, Metadata.ASCII_STRING_MARSHALLER);
  }

  @RegisterExtension final GrpcExtension grpc = new GrpcExtension();
  private final TestMesh mesh = grpc.register(new TestMesh());

  @Test
  void aRulesRequestAndResponseHeaderChangesApplyToMetadataBothWays() {
    AtomicReference<Metadata> received = new AtomicReference<>();
    ServerInterceptor server =
        new ServerInterceptor() {
          @Override
          public <Q, R> ServerCall.Listener<Q> interceptCall(
              ServerCall<Q, R> call, Metadata headers, ServerCallHandler<Q, R> next) {
            received.set(headers);
            return next.startCall(
                new ForwardingServerCall.SimpleForwardingServerCall<>(call) {
                  @Override
                  public void sendHeaders(Metadata responseHeaders) {
                    responseHeaders.put(key("x-server"), "origin");
                    responseHeaders.put(key("x-internal"), "secret");
                    super.sendHeaders(responseHeaders);
                  }
                },
                headers);
          }
        };
    Backend backend = grpc.backend("v1", server);
    mesh.apply(
        endpoints(backend.port(), "v1")
            + """
            apiVersion: mesh4j.io/v1alpha1
            kind: TrafficRoute
            metadata: {name: catalog, namespace: shop}
            spec:
              destination: catalog.shop
              rules:
                - requestHeaders:
                    set: [{name: x-tenant, value: by-the-mesh}]
                    remove: [x-debug]
                  responseHeaders:
                    set: [{name: x-server, value: mesh}]
                    remove: [x-internal]
            """);
    AtomicReference<Metadata> responseHeaders = new AtomicReference<>();
    ClientInterceptor capture =
        new ClientInterceptor() {
          @Override
          public <Q, R> ClientCall<Q, R> interceptCall(MethodDescriptor<Q, R> method, CallOptions options, Channel next) {
            return new ForwardingClientCall.SimpleForwardingClientCall<>(next.newCall(method, options)) {
              @Override
              public void start(Listener<R> listener, Metadata headers) {
                headers.put(key("x-tenant"), "by-the-app");
                headers.put(key("x-debug"), "1");
                super.start(
                    new ForwardingClientCallListener.SimpleForwardingClientCallListener<>(listener) {
                      @Override
                      public void onHeaders(Metadata h) {
                        responseHeaders.set(h);
                        super.onHeaders(h);
                      }
                    },
                    headers);
              }
            };
          }
        };
    ManagedChannel channel = grpc.channel(MeshChannels.forService(mesh.mesh(), CATALOG));

    String answer =
        ClientCalls.blockingUnaryCall(ClientInterceptors.intercept(channel, capture), EchoService.UNARY, CallOptions.DEFAULT, "hi");

    assertThat(answer).isEqualTo("v1");
    assertThat(received.get().getAll(key("x-tenant"))).containsExactly("by-the-mesh");
    assertThat(received.get().get(key("x-debug"))).isNull();
    assertThat(responseHeaders.get().getAll(key("x-server"))).containsExactly("mesh");
    assertThat(responseHeaders.get().get(key("x-internal"))).isNull();
  }
}
