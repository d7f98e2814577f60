package io.mesh4j.core.policy;

import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * Who may call a service, judged on the caller's verified identity. A call is refused when any
 * {@code DENY} rule matches it, or when {@code ALLOW} policies exist for the service and none of
 * their rules matches it. A service with no policy at all admits every caller, anonymous ones
 * included: to deny by default, give it an {@code ALLOW} policy listing who may call.
 *
 * <p>Request paths are normalized before rules see them ({@code //} collapsed, {@code .} and
 * {@code ..} resolved, percent-escapes decoded, {@code ;params} dropped); a path with an encoded
 * {@code /} or {@code \}, or one whose {@code ..} climbs above the root, is refused outright.
 */
public record AuthorizationPolicy(
    @Field(doc = "Name and namespace of this policy.", required = true) Metadata metadata,
    @Field(doc = "The policy.", required = true) Spec spec)
    implements MeshResource {

  /** What a matching rule does. */
  public enum Action {
    /** Matching calls are allowed; once a service has an ALLOW policy, other calls are refused. */
    ALLOW,
    /** Matching calls are refused. */
    DENY
  }

  /** The policy for one service. */
  public record Spec(
      @Field(
              doc = "Service the policy protects, `name.namespace` (a bare `name` means the policy's namespace).",
              required = true)
          @ServiceName String service,
      @Field(doc = "`ALLOW` or `DENY`.", defaultValue = "ALLOW") Action action,
      @Field(doc = "Rules; any may match. An ALLOW policy without rules allows nothing.")
          @Nullable List<Rule> rules) {}

  /** Matches a call when every condition that is set holds; within a list, any entry may match. */
  public record Rule(
      @Field(doc = "Caller SPIFFE IDs, e.g. `spiffe://cluster.local/ns/shop/sa/frontend`; `*` suffix allowed.")
          @Nullable List<String> principals,
      @Field(doc = "Caller namespaces.") @Nullable List<String> namespaces,
      @Field(doc = "gRPC methods `package.Service/Method`; `package.Service/*` for a whole service.")
          @Nullable List<String> grpcMethods,
      @Field(doc = "HTTP methods, e.g. `GET`.") @Nullable List<String> httpMethods,
      @Field(
              doc = "HTTP paths, matched exactly after normalization: `/admin` does not match"
                  + " `/admin/` (a trailing slash is part of the path); a trailing `*` matches any"
                  + " suffix, so `/admin*` also matches `/administrator`.")
          @Nullable List<String> paths,
      @Field(
              doc = "HTTP path prefixes, by whole segments: `/admin` matches `/admin`, `/admin/`"
                  + " and everything under `/admin/`, but not `/administrator`. Together with"
                  + " `paths` one condition: a path matching an entry of either holds.")
          @Nullable List<String> pathPrefixes) {}
}
