package io.mesh4j.controller.kubernetes;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.tuple;

import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServiceBuilder;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointBuilder;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointPort;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointPortBuilder;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSliceBuilder;
import io.mesh4j.core.policy.ServiceEndpoints;
import java.util.List;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.Test;

/** Which of a slice's ports its endpoints get: the port HTTP clients dial and the gRPC one. */
class EndpointDiscoveryTest {

  private static Service service(String name) {
    return new ServiceBuilder()
        .withNewMetadata().withName(name).withNamespace("shop").endMetadata()
        .build();
  }

  private static EndpointPort port(String name, int number, @Nullable String appProtocol) {
    return new EndpointPortBuilder().withName(name).withPort(number).withAppProtocol(appProtocol).build();
  }

  private static EndpointSlice slice(String service, String address, EndpointPort... ports) {
    return new EndpointSliceBuilder()
        .withNewMetadata().withName(service + "-x1").withNamespace("shop")
            .addToLabels(EndpointDiscovery.SERVICE_NAME_LABEL, service).endMetadata()
        .withAddressType("IPv4")
        .withPorts(ports)
        .addToEndpoints(
            new EndpointBuilder().addToAddresses(address).withNewConditions().withReady(true).endConditions().build())
        .build();
  }

  /** The one endpoint discovered for {@code slice}'s service. */
  private static ServiceEndpoints.Endpoint only(EndpointSlice slice) {
    String service = slice.getMetadata().getLabels().get(EndpointDiscovery.SERVICE_NAME_LABEL);
    List<ServiceEndpoints> found =
        EndpointDiscovery.discover(List.of(service(service)), List.of(slice), List.of(), "cluster.local");
    assertThat(found).hasSize(1);
    assertThat(found.get(0).spec().endpoints()).hasSize(1);
    return found.get(0).spec().endpoints().get(0);
  }

  @Test
  void aPortWhoseAppProtocolIsGrpcIsTheGrpcPortAndTheOtherOneThePort() {
    ServiceEndpoints.Endpoint e =
        only(slice("catalog", "10.1.0.1", port("http", 8080, "http"), port("grpc", 7070, "grpc")));

    assertThat(e.port()).isEqualTo(8080);
    assertThat(e.grpcPort()).isEqualTo(7070);
  }

  @Test
  void withoutAppProtocolAPortNamedGrpcDashSomethingIsTheGrpcPortWhereverItIsListed() {
    ServiceEndpoints.Endpoint e =
        only(slice("catalog", "10.1.0.1", port("grpc-api", 9000, null), port("web", 8080, null)));

    assertThat(e.port()).isEqualTo(8080);
    assertThat(e.grpcPort()).isEqualTo(9000);
  }

  @Test
  void aSinglePortSliceHasNoGrpcPortWhetherOrNotItIsGrpc() {
    assertThat(only(slice("catalog", "10.1.0.1", port("http", 8080, null))))
        .extracting(ServiceEndpoints.Endpoint::port, ServiceEndpoints.Endpoint::grpcPort)
        .containsExactly(8080, null);
    assertThat(only(slice("pricing", "10.1.0.2", port("grpc", 7070, "grpc"))))
        .extracting(ServiceEndpoints.Endpoint::port, ServiceEndpoints.Endpoint::grpcPort)
        .containsExactly(7070, null);
  }

  @Test
  void anAppProtocolOtherThanGrpcOutranksAGrpcName() {
    // appProtocol decides when present (case aside); the name only counts without one
    ServiceEndpoints.Endpoint e =
        only(
            slice(
                "catalog",
                "10.1.0.1",
                port("grpc-web", 8081, "http"),
                port("api", 7070, "GRPC"),
                port("grpc-other", 7071, "grpc")));

    assertThat(e.port()).isEqualTo(8081);
    assertThat(e.grpcPort()).isEqualTo(7070);
  }

  @Test
  void withOnlyGrpcPortsTheFirstIsThePortAndNoOtherPortIsNeeded() {
    List<ServiceEndpoints> found =
        EndpointDiscovery.discover(
            List.of(service("catalog")),
            List.of(slice("catalog", "10.1.0.1", port("grpc", 7070, null), port("grpc-admin", 7071, null))),
            List.of(),
            "cluster.local");

    assertThat(found.get(0).spec().endpoints())
        .extracting(ServiceEndpoints.Endpoint::port, ServiceEndpoints.Endpoint::grpcPort)
        .containsExactly(tuple(7070, null));
  }
}
