package io.mesh4j.grpc;

import io.grpc.CallOptions;
import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import io.grpc.MethodDescriptor;
import io.grpc.Server;
import io.grpc.ServerInterceptors;
import io.grpc.ServerServiceDefinition;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.ClientCalls;
import io.grpc.stub.ServerCalls;
import io.mesh4j.core.Mesh;
import io.mesh4j.core.call.MeshFailure;
import io.mesh4j.core.testing.conformance.ServerAdapterConformance;
import io.mesh4j.grpc.testing.EchoService;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.concurrent.TimeUnit;

/** The server conformance kit against the gRPC server interceptor. */
class GrpcServerConformanceTest extends ServerAdapterConformance {

  @Override
  protected Service serve(Mesh mesh) throws Exception {
    ServerCalls.UnaryMethod<String, String> price =
        (request, response) -> {
          response.onNext("price");
          response.onCompleted();
        };
    ServerServiceDefinition service =
        ServerServiceDefinition.builder(EchoService.SERVICE)
            .addMethod(EchoService.UNARY, ServerCalls.asyncUnaryCall(price))
            .addMethod(EchoService.OTHER, ServerCalls.asyncUnaryCall(price))
            .build();
    Server server =
        NettyServerBuilder.forAddress(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0))
            .addService(
                ServerInterceptors.intercept(
                    service, MeshServerInterceptors.forService(mesh, "pricing.shop")))
            .build()
            .start();
    ManagedChannel channel =
        Grpc.newChannelBuilderForAddress(
                "127.0.0.1", server.getPort(), InsecureChannelCredentials.create())
            .build();
    return new Service() {
      @Override
      public Result call(Operation operation) {
        MethodDescriptor<String, String> method =
            operation == Operation.READ ? EchoService.UNARY : EchoService.OTHER;
        try {
          return new Result(
              "OK", ClientCalls.blockingUnaryCall(channel, method, CallOptions.DEFAULT, "p"));
        } catch (StatusRuntimeException e) {
          return new Result(
              e.getStatus().getCode().name(), String.valueOf(e.getStatus().getDescription()));
        }
      }

      @Override
      public void close() throws InterruptedException {
        channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
        server.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
      }
    };
  }

  @Override
  protected String rule(Operation operation) {
    return operation == Operation.READ
        ? "grpcMethods: [test.Echo/Unary]"
        : "grpcMethods: [test.Echo/Other]";
  }

  @Override
  protected String status(MeshFailure.Reason reason) {
    return MeshFailure.of(reason, "pricing.shop", null, "").grpcStatus().name();
  }

  @Override
  protected String okStatus() {
    return "OK";
  }
}
