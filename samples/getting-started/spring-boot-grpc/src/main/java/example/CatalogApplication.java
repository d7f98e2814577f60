package example;

import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse;
import io.grpc.health.v1.HealthGrpc;
import io.grpc.stub.StreamObserver;
import io.mesh4j.spring.MeshClient;
import io.mesh4j.spring.MeshGrpcService;
import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.stereotype.Component;

/**
 * A catalog that serves a gRPC service on Spring Boot's gRPC server, behind the mesh, and calls
 * the catalog service through the mesh.
 */
@SpringBootApplication
public class CatalogApplication {

  public static void main(String[] args) {
    SpringApplication.run(CatalogApplication.class, args);
  }

  /** Served by Boot's gRPC server; the mesh admits every call first, as {@code catalog.shop}. */
  @MeshGrpcService
  public static class CatalogService extends HealthGrpc.HealthImplBase {
    @Override
    public void check(HealthCheckRequest request, StreamObserver<HealthCheckResponse> reply) {
      reply.onNext(
          HealthCheckResponse.newBuilder()
              .setStatus(HealthCheckResponse.ServingStatus.SERVING)
              .build());
      reply.onCompleted();
    }
  }

  /** Calls {@code catalog.shop}; the mesh picks the version and endpoint of every call. */
  @Component
  public static class Catalog {
    @MeshClient("catalog.shop")
    HealthGrpc.HealthBlockingStub catalog;

    public HealthCheckResponse.ServingStatus status() {
      return catalog.check(HealthCheckRequest.getDefaultInstance()).getStatus();
    }
  }
}
