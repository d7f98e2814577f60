package io.mesh4j.spring;

import io.mesh4j.core.Mesh;
import io.mesh4j.core.call.Endpoint;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Supplier;
import org.springframework.boot.actuate.endpoint.annotation.ReadOperation;
import org.springframework.boot.actuate.endpoint.annotation.Selector;

/**
 * The {@code mesh} actuator endpoint: the policy version in effect and the endpoints of each
 * destination the application is known to call. The mesh cannot list every destination its
 * policy holds, so "known" means those in {@code mesh4j.calls} and those {@link MeshClient}
 * fields name; {@code /actuator/mesh/{destination}} shows any other.
 */
@org.springframework.boot.actuate.endpoint.annotation.Endpoint(id = "mesh")
public class MeshEndpoint {

  private final Mesh mesh;
  private final Supplier<Set<String>> destinations;

  /**
   * An endpoint on {@code mesh} that reports the destinations {@code destinations} supplies,
   * asked afresh on every read since {@link MeshClient} fields are injected as beans appear.
   */
  public MeshEndpoint(Mesh mesh, Supplier<Set<String>> destinations) {
    this.mesh = mesh;
    this.destinations = destinations;
  }

  /** The version in effect and each known destination's endpoints, destinations sorted. */
  @ReadOperation
  public MeshDescriptor mesh() {
    Map<String, List<Endpoint>> byDestination = new LinkedHashMap<>();
    for (String destination : new TreeSet<>(destinations.get())) {
      byDestination.put(destination, mesh.endpoints(destination));
    }
    return new MeshDescriptor(mesh.appliedVersion(), byDestination);
  }

  /** The endpoints of one destination, local zone first; empty when the mesh does not know it. */
  @ReadOperation
  public List<Endpoint> destination(@Selector String destination) {
    return mesh.endpoints(destination);
  }

  /**
   * What {@link #mesh()} reports.
   *
   * @param appliedVersion the version of the policy in effect, 0 before the first
   * @param destinations each known destination's endpoints, local zone first
   */
  public record MeshDescriptor(long appliedVersion, Map<String, List<Endpoint>> destinations) {}
}
