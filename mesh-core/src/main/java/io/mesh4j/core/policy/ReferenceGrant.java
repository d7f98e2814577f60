package io.mesh4j.core.policy;

import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * A Gateway API {@code ReferenceGrant} ({@code gateway.networking.k8s.io/v1beta1}): the owner of
 * a namespace lets routes in other namespaces send to its Services. A route's {@code backendRef}
 * into another namespace is used only when a grant in that namespace names the route's kind and
 * namespace in {@code from} and the Service (or every Service) in {@code to}; otherwise the route
 * reports {@code RefNotPermitted} and the backend's share of calls fails.
 */
public record ReferenceGrant(
    @Field(doc = "Name and namespace of this grant; it grants references into its own namespace.", required = true)
        Metadata metadata,
    @Field(doc = "Who may refer to what.", required = true) Spec spec)
    implements MeshResource {

  /** The API group and version of {@code ReferenceGrant}, as the standard channel serves it. */
  public static final String API_VERSION = "gateway.networking.k8s.io/v1beta1";

  @Override
  public String apiVersion() {
    return API_VERSION;
  }

  /** The grant. */
  public record Spec(
      @Field(doc = "The resources in other namespaces that may refer; 1 to 16.", required = true) List<From> from,
      @Field(doc = "What in this namespace they may refer to; 1 to 16.", required = true) List<To> to) {}

  /** Resources that may refer: one kind in one namespace. */
  public record From(
      @Field(doc = "API group, e.g. `gateway.networking.k8s.io`.", required = true) String group,
      @Field(doc = "Kind, e.g. `HTTPRoute` or `GRPCRoute`.", required = true) String kind,
      @Field(doc = "Namespace of the referring resources.", required = true) String namespace) {}

  /** Resources of this namespace that may be referred to. */
  public record To(
      @Field(doc = "API group; the core group, `\"\"`, for a Service.", defaultValue = "''") String group,
      @Field(doc = "Kind, e.g. `Service`.", required = true) String kind,
      @Field(doc = "Name of the one resource; absent: every resource of the kind.") @Nullable String name) {}

  /**
   * Whether some grant in {@code grants} lets a {@code fromKind} in {@code fromNamespace} refer to
   * the Service {@code namespace/name}. References within one namespace need no grant.
   */
  public static boolean permits(
      List<ReferenceGrant> grants, String fromKind, String fromNamespace, String namespace, String name) {
    if (fromNamespace.equals(namespace)) {
      return true;
    }
    for (ReferenceGrant g : grants) {
      if (!g.metadata().namespace().equals(namespace)) {
        continue;
      }
      boolean from = false;
      for (From f : g.spec().from()) {
        from |= f.group().equals("gateway.networking.k8s.io") && f.kind().equals(fromKind)
            && f.namespace().equals(fromNamespace);
      }
      if (!from) {
        continue;
      }
      for (To t : g.spec().to()) {
        if (t.group().isEmpty() && t.kind().equals("Service") && (t.name() == null || t.name().equals(name))) {
          return true;
        }
      }
    }
    return false;
  }
}
