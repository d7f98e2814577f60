package io.mesh4j.core.policy;

import io.mesh4j.core.policy.Binder.ComponentModel;
import java.lang.reflect.ParameterizedType;
import java.lang.reflect.Type;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * Renders the configuration reference (markdown) from the model records and their {@link Field}
 * descriptions: every kind, every field path with its type, whether it is required, its default,
 * its bounds and its documentation, and a short example per kind. The README's reference is this
 * text, checked by a test, so documentation and binder cannot drift apart.
 *
 * <p>Stateless and thread-safe.
 */
public final class ConfigReference {

  /** One sentence and one example per kind; the examples are checked to be valid by a test. */
  private static final Map<Class<? extends MeshResource>, String[]> KINDS =
      Map.of(
          TrafficRoute.class,
          new String[] {
            "Routes calls to one destination service: ordered rules, first match wins, each splitting"
                + " traffic between labelled subsets by weight, with timeout, retries, faults and mirroring.",
            """
            apiVersion: mesh4j.io/v1alpha1
            kind: TrafficRoute
            metadata:
              name: catalog
              namespace: shop
            spec:
              destination: catalog
              subsets:
                - name: v1
                  labels: {version: v1}
                - name: v2
                  labels: {version: v2}
              rules:
                - matches:
                    - headers: [{name: x-canary, exact: "true"}]
                  backends: [{subset: v2}]
                - backends:
                    - {subset: v1, weight: 90}
                    - {subset: v2, weight: 10}
                  timeout: 2s
                  retries:
                    attempts: 3
                    perTryTimeout: 500ms
            """
          },
          HTTPRoute.class,
          new String[] {
            "Gateway API's HTTP route attached to a Service (GAMMA, `apiVersion:"
                + " gateway.networking.k8s.io/v1`): calls to the parent Service go to backend Services"
                + " by the most specific match over every route of that Service. mesh4j reads the"
                + " subset below and refuses any other field with its path; see docs/gateway-api.md.",
            """
            apiVersion: gateway.networking.k8s.io/v1
            kind: HTTPRoute
            metadata:
              name: catalog-canary
              namespace: shop
            spec:
              parentRefs:
                - {group: "", kind: Service, name: catalog}
              rules:
                - matches:
                    - headers: [{name: x-canary, value: "true"}]
                  backendRefs: [{name: catalog-v2, port: 8080}]
                - backendRefs:
                    - {name: catalog-v1, port: 8080, weight: 90}
                    - {name: catalog-v2, port: 8080, weight: 10}
                  timeouts: {request: 2s, backendRequest: 500ms}
            """
          },
          GRPCRoute.class,
          new String[] {
            "Gateway API's gRPC route attached to a Service (GAMMA, `apiVersion:"
                + " gateway.networking.k8s.io/v1`), matching gRPC service, method and metadata.",
            """
            apiVersion: gateway.networking.k8s.io/v1
            kind: GRPCRoute
            metadata:
              name: catalog-canary
              namespace: shop
            spec:
              parentRefs:
                - {group: "", kind: Service, name: catalog}
              rules:
                - matches:
                    - method: {service: shop.Catalog, method: GetItem}
                  backendRefs:
                    - {name: catalog-v1, port: 8080, weight: 90}
                    - {name: catalog-v2, port: 8080, weight: 10}
                - backendRefs: [{name: catalog-v1, port: 8080}]
            """
          },
          ReferenceGrant.class,
          new String[] {
            "Gateway API's grant (`apiVersion: gateway.networking.k8s.io/v1beta1`) that lets routes in"
                + " other namespaces send to Services of its own namespace; a route's `backendRef` into"
                + " another namespace needs one there.",
            """
            apiVersion: gateway.networking.k8s.io/v1beta1
            kind: ReferenceGrant
            metadata:
              name: routes-from-shop
              namespace: payments
            spec:
              from:
                - {group: gateway.networking.k8s.io, kind: HTTPRoute, namespace: shop}
              to:
                - {group: "", kind: Service, name: payments-v2}
            """
          },
          DestinationPolicy.class,
          new String[] {
            "Protects and balances calls to one destination service: load balancing, circuit breaking,"
                + " outlier ejection, rate limits and the retry budget.",
            """
            apiVersion: mesh4j.io/v1alpha1
            kind: DestinationPolicy
            metadata:
              name: catalog
              namespace: shop
            spec:
              destination: catalog
              loadBalancer: {policy: ROUND_ROBIN}
              circuitBreaker: {failureRateThreshold: 25}
              outlierDetection: {consecutiveFailures: 3}
            """
          },
          AuthorizationPolicy.class,
          new String[] {
            "Decides who may call a service, on the caller's verified SPIFFE identity or namespace and"
                + " on the method or path called.",
            """
            apiVersion: mesh4j.io/v1alpha1
            kind: AuthorizationPolicy
            metadata:
              name: catalog-callers
              namespace: shop
            spec:
              service: catalog
              action: ALLOW
              rules:
                - principals: [spiffe://cluster.local/ns/shop/sa/frontend]
                  grpcMethods: [shop.Catalog/*]
            """
          },
          MeshConfig.class,
          new String[] {
            "Mesh-wide settings: trust domain, mTLS mode, certificate lifetime, tracing and access logs."
                + " At most one per set.",
            """
            apiVersion: mesh4j.io/v1alpha1
            kind: MeshConfig
            metadata:
              name: mesh
            spec:
              mtls: STRICT
              tracing: {samplingPercent: 5}
            """
          },
          ServiceEndpoints.class,
          new String[] {
            "Lists the endpoints of one service by hand, where no Kubernetes discovers them (local mode,"
                + " tests, demos).",
            """
            apiVersion: mesh4j.io/v1alpha1
            kind: ServiceEndpoints
            metadata:
              name: catalog
              namespace: shop
            spec:
              service: catalog
              endpoints:
                - {address: 10.0.0.11, port: 8080, labels: {version: v1}}
                - {address: 10.0.0.12, port: 8080, labels: {version: v2}}
            """
          });

  private ConfigReference() {}

  /** The whole reference as markdown, ending with a newline. */
  public static String markdown() {
    StringBuilder md = new StringBuilder();
    md.append("Every resource has `apiVersion: ")
        .append(MeshResource.API_VERSION)
        .append("` (Gateway API routes: `")
        .append(HTTPRoute.GATEWAY_API_VERSION)
        .append("`; `ReferenceGrant`: `").append(ReferenceGrant.API_VERSION)
        .append("`), a `kind`, `metadata` and a `spec`; one YAML file may hold several, separated by `---`.")
        .append(" Unknown fields are errors. Kubernetes-managed metadata (`uid`, `resourceVersion`, ...)")
        .append(" and a top-level `status` are ignored.\n\n")
        .append("Durations are whole numbers with units `h`, `m`, `s`, `ms`, `us`, `ns`, largest first:")
        .append(" `250ms`, `5s`, `1m30s`, `2h`. Percentages are plain numbers from 0 to 100.")
        .append(" A service name is `name` or `name.namespace` (lowercase letters, digits and `-`);")
        .append(" a bare `name` means the resource's own namespace.\n\n")
        .append("Reading is bounded, and input past a limit is refused with a problem naming the file, the")
        .append(" document, the position and the limit: a file may have at most ")
        .append(PolicyReader.MAX_FILE_BYTES)
        .append(" bytes (refused by its size, unread) and a directory ")
        .append(PolicyReader.MAX_DIRECTORY_BYTES)
        .append(" bytes in all; one read may build at most ")
        .append(PolicyReader.MAX_NODES)
        .append(" YAML nodes, an alias or merge key (`<<`) counting as every node it repeats, in at most ")
        .append(PolicyReader.MAX_DOCUMENTS)
        .append(" non-empty documents, nested at most ")
        .append(PolicyReader.MAX_DEPTH)
        .append(" levels deep, with at most ")
        .append(PolicyReader.MAX_ALIASES)
        .append(" aliases of mappings or sequences per file. Files must be UTF-8.\n\n");
    md.append("### Common fields\n\n");
    header(md);
    md.append("| `apiVersion` | string | yes |  |  | `").append(MeshResource.API_VERSION)
        .append("`; `").append(HTTPRoute.GATEWAY_API_VERSION).append("` for `HTTPRoute` and `GRPCRoute`; `")
        .append(ReferenceGrant.API_VERSION).append("` for `ReferenceGrant`. |\n");
    md.append("| `kind` | string | yes |  |  | One of ");
    List<Class<? extends MeshResource>> kinds = PolicyReader.kindClasses();
    for (int i = 0; i < kinds.size(); i++) {
      md.append(i == 0 ? "" : ", ").append('`').append(kinds.get(i).getSimpleName()).append('`');
    }
    md.append(". |\n");
    md.append("| `metadata` | object | yes |  |  | Identifies the resource. |\n");
    for (ComponentModel c : Binder.components(Metadata.class)) {
      rows(md, c, "metadata." + c.name());
    }
    for (Class<? extends MeshResource> kind : kinds) {
      String[] about = Objects.requireNonNull(KINDS.get(kind));
      md.append("\n### ").append(kind.getSimpleName()).append("\n\n").append(about[0]).append("\n\n");
      header(md);
      for (ComponentModel c : Binder.components(kind)) {
        if (c.name().equals("spec")) {
          rows(md, c, "spec");
        }
      }
      md.append("\nExample:\n\n```yaml\n").append(about[1]).append("```\n");
    }
    return md.toString();
  }

  /** The example of {@code kind} shown in the reference. */
  static String example(Class<? extends MeshResource> kind) {
    return Objects.requireNonNull(KINDS.get(kind), kind.getName())[1];
  }

  private static void header(StringBuilder md) {
    md.append("| Field | Type | Required | Default | Bounds | Description |\n");
    md.append("|---|---|---|---|---|---|\n");
  }

  private static void rows(StringBuilder md, ComponentModel c, String path) {
    ModelTable.Component rules = c.rules();
    String bounds = Binder.boundsText(rules).replaceFirst("^must be ", "");
    String dflt = rules.defaultValue();
    md.append("| `").append(path).append("` | ")
        .append(typeName(c.type(), rules.serviceName()))
        .append(" | ")
        .append(rules.required() ? "yes" : "")
        .append(" | ")
        .append(dflt == null ? "" : "`" + cell(dflt) + "`")
        .append(" | ")
        .append(cell(bounds))
        .append(" | ")
        .append(cell(c.component().getAnnotation(Field.class).doc()))
        .append(" |\n");
    Class<?> nested = recordType(c.type());
    if (nested != null) {
      String prefix = c.type() instanceof ParameterizedType ? path + "[]" : path;
      for (ComponentModel child : Binder.components(nested)) {
        rows(md, child, prefix + "." + child.name());
      }
    }
  }

  private static @Nullable Class<?> recordType(Type type) {
    if (type instanceof Class<?> c) {
      return c.isRecord() ? c : null;
    }
    ParameterizedType p = (ParameterizedType) type;
    if (p.getRawType() == List.class && p.getActualTypeArguments()[0] instanceof Class<?> e && e.isRecord()) {
      return e;
    }
    return null;
  }

  private static String typeName(Type type, boolean serviceName) {
    if (type instanceof ParameterizedType p) {
      if (p.getRawType() == Map.class) {
        return "map of string to string";
      }
      Type element = p.getActualTypeArguments()[0];
      return "list of " + (element instanceof Class<?> c && c.isRecord() ? "objects" : typeName(element, false) + "s");
    }
    Class<?> c = (Class<?>) type;
    if (serviceName) {
      return "service name";
    }
    if (c.isRecord()) {
      return "object";
    }
    if (c.isEnum()) {
      return "one of `" + Binder.enumNames(c).replace(", ", "`, `") + "`";
    }
    if (c == Duration.class) {
      return "duration";
    }
    if (c == Integer.class) {
      return "integer";
    }
    if (c == Double.class) {
      return "number";
    }
    if (c == Boolean.class) {
      return "boolean";
    }
    return "string";
  }

  private static String cell(String text) {
    return text.replace("|", "\\|").replace("\n", " ");
  }
}
