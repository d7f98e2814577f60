package io.mesh4j.controller.resolve;

import io.mesh4j.core.policy.AuthorizationPolicy;
import io.mesh4j.core.policy.DestinationPolicy;
import io.mesh4j.core.policy.GRPCRoute;
import io.mesh4j.core.policy.GatewayRoutes;
import io.mesh4j.core.policy.HTTPRoute;
import io.mesh4j.core.policy.ReferenceGrant;
import io.mesh4j.core.policy.MeshResource;
import io.mesh4j.core.policy.PolicySet;
import io.mesh4j.core.policy.Problem;
import io.mesh4j.core.policy.ServiceEndpoints;
import io.mesh4j.core.policy.TrafficRoute;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.SortedSet;
import java.util.TreeSet;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.jspecify.annotations.Nullable;

/**
 * Turns the validated world into what one application needs, and refused input into status
 * conditions. A pure function of its arguments: the same world and scope always give the same
 * resources, which is what lets the controller compare snapshots by content and skip pushes.
 *
 * <p>Stateless and thread-safe.
 */
public final class PolicyResolver {

  private static final Pattern SERVICE = Pattern.compile("[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?)?");

  private PolicyResolver() {}

  /**
   * The scope of an application in {@code namespace} that calls and serves the given services
   * ({@code name} means {@code name.namespace}).
   *
   * @throws IllegalArgumentException naming the first service name that is not {@code name} or
   *     {@code name.namespace} made of DNS labels
   */
  public static Scope scope(String namespace, Collection<String> calls, Collection<String> serves) {
    return new Scope(namespace, qualify(namespace, calls, "calls"), qualify(namespace, serves, "serves"));
  }

  private static SortedSet<String> qualify(String namespace, Collection<String> services, String field) {
    TreeSet<String> out = new TreeSet<>();
    int i = 0;
    for (String s : services) {
      if (!SERVICE.matcher(s).matches()) {
        throw new IllegalArgumentException(
            field + "[" + i + "]: must be a service name `name` or `name.namespace` "
                + "(lowercase letters, digits and '-'), got " + (s.isEmpty() ? "\"\"" : s));
      }
      out.add(s.contains(".") ? s : s + "." + namespace);
      i++;
    }
    return out;
  }

  /**
   * The resources an application with {@code scope} needs from {@code world}: the routes,
   * destination policies and endpoints of every service it calls and of every service their
   * rules send to or mirror to (transitively), the authorization policies of the services it serves,
   * and the mesh-wide settings. The result is valid on its own, since every reference a route
   * makes is followed.
   */
  public static List<MeshResource> resolve(PolicySet world, Scope scope) {
    Map<String, TrafficRoute> routes = new LinkedHashMap<>();
    for (TrafficRoute r : world.routes()) {
      routes.put(r.spec().destination(), r);
    }
    Map<String, List<MeshResource>> gatewayRoutes = gatewayRoutes(world, scope.namespace());
    Set<String> destinations = new TreeSet<>();
    Deque<String> pending = new ArrayDeque<>(scope.calls());
    while (!pending.isEmpty()) {
      String service = pending.pop();
      if (!destinations.add(service)) {
        continue;
      }
      TrafficRoute route = routes.get(service);
      if (route != null) {
        for (TrafficRoute.Rule rule : route.spec().rules()) {
          TrafficRoute.Mirror mirror = rule.mirror();
          if (mirror != null && mirror.destination() != null) {
            pending.push(mirror.destination());
          }
          for (TrafficRoute.Backend b : rule.backends()) {
            if (b.destination() != null) {
              pending.push(b.destination());
            }
          }
        }
      }
      for (MeshResource r : gatewayRoutes.getOrDefault(service, List.of())) {
        if (r instanceof HTTPRoute h) {
          List<HTTPRoute.Rule> rules = h.spec().rules();
          for (int i = 0; i < rules.size(); i++) {
            HTTPRoute.Rule rule = rules.get(i);
            pending.addAll(permittedBackends(world, rule.backendRefs(), h, i));
            for (HTTPRoute.Filter f : rule.filters() == null ? List.<HTTPRoute.Filter>of() : rule.filters()) {
              HTTPRoute.RequestMirror mirror = f.requestMirror();
              if (mirror != null) {
                pending.add(mirror.backendRef().service(h.metadata().namespace()));
              }
            }
          }
        } else if (r instanceof GRPCRoute g) {
          List<GRPCRoute.Rule> rules = g.spec().rules();
          for (int i = 0; i < rules.size(); i++) {
            pending.addAll(permittedBackends(world, rules.get(i).backendRefs(), g, i));
          }
        }
      }
    }
    Set<MeshResource> neededRoutes = java.util.Collections.newSetFromMap(new java.util.IdentityHashMap<>());
    for (String d : destinations) {
      neededRoutes.addAll(gatewayRoutes.getOrDefault(d, List.of()));
    }
    List<MeshResource> out = new ArrayList<>();
    world.meshConfig().ifPresent(out::add);
    for (MeshResource r : world.resources()) {
      boolean needed;
      if (r instanceof TrafficRoute route) {
        needed = destinations.contains(route.spec().destination());
      } else if (r instanceof DestinationPolicy policy) {
        needed = destinations.contains(policy.spec().service());
      } else if (r instanceof ServiceEndpoints endpoints) {
        needed = destinations.contains(endpoints.spec().service());
      } else if (r instanceof HTTPRoute || r instanceof GRPCRoute) {
        needed = neededRoutes.contains(r);
      } else if (r instanceof ReferenceGrant grant) {
        // The application's engine checks its backends against the grants, as the controller does.
        needed = destinations.stream().anyMatch(d -> d.endsWith("." + grant.metadata().namespace()));
      } else if (r instanceof AuthorizationPolicy authz) {
        needed = scope.serves().contains(authz.spec().service());
      } else {
        // MeshConfig was added above; it applies to everyone.
        needed = false;
      }
      if (needed) {
        out.add(r);
      }
    }
    return out;
  }

  /** The backend Services of rule {@code index} of {@code route} that no missing ReferenceGrant keeps out. */
  private static List<String> permittedBackends(
      PolicySet world, @Nullable List<HTTPRoute.BackendRef> refs, MeshResource route, int index) {
    if (refs == null) {
      return List.of();
    }
    Map<Integer, String> refused = GatewayRoutes.refused(refs, route, index, world.referenceGrants());
    String ns = route.metadata().namespace();
    List<String> out = new ArrayList<>();
    for (int j = 0; j < refs.size(); j++) {
      HTTPRoute.BackendRef b = refs.get(j);
      if (!refused.containsKey(j)) {
        out.add(b.name() + "." + (b.namespace() == null ? ns : b.namespace()));
      }
    }
    return out;
  }

  /**
   * The Gateway API routes that apply to calls from {@code clientNamespace}, by parent Service,
   * as GAMMA orders them: a Service's routes in the client's own namespace (consumer routes)
   * when there are any, otherwise those in the Service's namespace (producer routes); routes in
   * any other namespace never.
   */
  static Map<String, List<MeshResource>> gatewayRoutes(PolicySet world, String clientNamespace) {
    Map<String, List<MeshResource>> consumer = new LinkedHashMap<>();
    Map<String, List<MeshResource>> producer = new LinkedHashMap<>();
    List<MeshResource> all = new ArrayList<>(world.httpRoutes());
    all.addAll(world.grpcRoutes());
    for (MeshResource r : all) {
      List<HTTPRoute.ParentReference> parents =
          r instanceof HTTPRoute h ? h.spec().parentRefs() : ((GRPCRoute) r).spec().parentRefs();
      String ns = r.metadata().namespace();
      for (String parent : GatewayRoutes.parents(parents, ns)) {
        String parentNamespace = parent.substring(parent.indexOf('.') + 1);
        if (ns.equals(clientNamespace)) {
          consumer.computeIfAbsent(parent, k -> new ArrayList<>()).add(r);
        } else if (ns.equals(parentNamespace)) {
          producer.computeIfAbsent(parent, k -> new ArrayList<>()).add(r);
        }
      }
    }
    Map<String, List<MeshResource>> out = new LinkedHashMap<>(producer);
    out.putAll(consumer);
    return out;
  }

  /**
   * The {@code Accepted} condition of every resource: those named by {@code problems} are not
   * accepted, with every problem about them in the message; every other resource of {@code
   * served} is accepted.
   *
   * @param served the world applications are served now (the last good one)
   * @param problems why the latest input was refused; empty when it was accepted
   */
  public static List<ResourceCondition> conditions(PolicySet served, List<Problem> problems) {
    Map<String, List<Problem>> byResource =
        problems.stream().collect(Collectors.groupingBy(Problem::resource, LinkedHashMap::new, Collectors.toList()));
    List<ResourceCondition> out = new ArrayList<>();
    for (MeshResource r : served.resources()) {
      if (!byResource.containsKey(r.ref())) {
        out.add(new ResourceCondition(r.ref(), true, "Accepted", ""));
      }
    }
    byResource.forEach(
        (resource, list) ->
            out.add(
                new ResourceCondition(
                    resource,
                    false,
                    "Invalid",
                    list.stream().map(PolicyResolver::withoutResource).collect(Collectors.joining("\n")))));
    return out;
  }

  /** The problem's message without its resource prefix, which the condition already names. */
  private static String withoutResource(Problem p) {
    String message = p.message();
    String prefix = p.resource() + ": ";
    return message.startsWith(prefix) ? message.substring(prefix.length()) : message;
  }

  /** The condition of {@code resource}, if it has one. */
  public static Optional<ResourceCondition> find(List<ResourceCondition> conditions, String resource) {
    return conditions.stream().filter(c -> c.resource().equals(resource)).findFirst();
  }
}
