package io.mesh4j.core.policy;

import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * The endpoints of one service, written by hand. Used where there is no Kubernetes to discover
 * them (local mode, tests, the demo); in a cluster, endpoints come from EndpointSlices instead.
 */
public record ServiceEndpoints(
    @Field(doc = "Name and namespace of this list.", required = true) Metadata metadata,
    @Field(doc = "The endpoints.", required = true) Spec spec)
    implements MeshResource {

  /** The endpoints of one service. */
  public record Spec(
      @Field(
              doc = "Service, `name.namespace` (a bare `name` means this resource's namespace).",
              required = true)
          @ServiceName String service,
      @Field(doc = "Its endpoints.", required = true) List<Endpoint> endpoints) {}

  /** One endpoint. */
  public record Endpoint(
      @Field(doc = "IP address or host name.", required = true) String address,
      @Field(doc = "Port.", required = true, min = 1, max = 65535) Integer port,
      @Field(doc = "Labels that subsets select on, e.g. `version: v2`.")
          @Nullable Map<String, String> labels,
      @Field(doc = "Zone, for zone-aware load balancing.") @Nullable String zone,
      @Field(doc = "Relative load-balancing weight.", defaultValue = "1", min = 1) Integer weight,
      @Field(doc = "Expected SPIFFE ID of the endpoint, checked under mTLS.")
          @Nullable String identity,
      @Field(
              doc =
                  "Port that serves gRPC, when it differs from `port`; gRPC clients dial it, HTTP"
                      + " clients dial `port`.",
              min = 1,
              max = 65535)
          @Nullable Integer grpcPort) {

    /** An endpoint whose gRPC clients dial {@code port} too. */
    public Endpoint(
        String address,
        Integer port,
        @Nullable Map<String, String> labels,
        @Nullable String zone,
        Integer weight,
        @Nullable String identity) {
      this(address, port, labels, zone, weight, identity, null);
    }
  }
}
