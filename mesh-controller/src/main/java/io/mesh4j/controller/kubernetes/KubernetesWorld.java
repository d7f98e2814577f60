package io.mesh4j.controller.kubernetes;

import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.dsl.base.ResourceDefinitionContext;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import io.fabric8.kubernetes.client.utils.Serialization;
import io.mesh4j.controller.resolve.PolicyResolver;
import io.mesh4j.controller.resolve.ResourceCondition;
import io.mesh4j.controller.serve.ApplicationStatus;
import io.mesh4j.controller.serve.SnapshotDistributor;
import io.mesh4j.core.policy.MeshConfig;
import io.mesh4j.core.policy.GatewayRoutes;
import io.mesh4j.core.policy.HTTPRoute;
import io.mesh4j.core.policy.ReferenceGrant;
import io.mesh4j.core.policy.MeshResource;
import io.mesh4j.core.policy.PolicyAssembler;
import io.mesh4j.core.policy.PolicySet;
import io.mesh4j.core.policy.Problem;
import io.mesh4j.core.policy.ServiceEndpoints;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.BiConsumer;
import java.util.function.BooleanSupplier;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The Kubernetes input: informers on the mesh4j custom resources, on Gateway API {@code HTTPRoute}s
 * and {@code GRPCRoute}s (when their CRDs are installed), on ConfigMaps labelled {@code
 * mesh4j.io/config: "true"} (each {@code *.yaml}/{@code *.yml} entry holds mesh4j documents),
 * and on Services, EndpointSlices and Pods. On any change the whole cached state is assembled
 * again (level-triggered: which event arrived does not matter), judged resource by resource with
 * mesh-core's reader and validator, and handed to the {@link SnapshotDistributor}, which pushes
 * only what changed. Then the {@code Accepted} condition of every custom resource is written to
 * its status, with an {@code Applied=False} condition while applications refuse it (their NACKs
 * name the resource), by the leader only and only when it changed.
 *
 * <p>Threading: informer callbacks only mark the state dirty; one thread, {@code
 * mesh4j-controller-watch}, rebuilds, so a burst of events costs one rebuild and nothing waits
 * on a timer (an endpoint removal is never delayed by debouncing). Objects from informer caches
 * are never modified.
 */
public final class KubernetesWorld implements AutoCloseable {

  private static final Logger log = LoggerFactory.getLogger(KubernetesWorld.class);

  /** The label that marks ConfigMaps carrying mesh4j documents. */
  public static final String CONFIG_LABEL = "mesh4j.io/config";

  /** The kinds served as custom resources; endpoints come from EndpointSlices instead. */
  static final List<String> KINDS = List.of("TrafficRoute", "DestinationPolicy", "AuthorizationPolicy", "MeshConfig");

  /** The Gateway API kinds read when their CRDs are installed: routes, and the grants they may need. */
  static final List<String> GATEWAY_KINDS = List.of("HTTPRoute", "GRPCRoute", "ReferenceGrant");

  private final KubernetesClient client;
  private final SnapshotDistributor distributor;
  private final BooleanSupplier isLeader;
  private final java.time.InstantSource clock;
  private final ExecutorService rebuilds =
      Executors.newSingleThreadExecutor(
          r -> {
            Thread t = new Thread(r, "mesh4j-controller-watch");
            t.setDaemon(true);
            return t;
          });
  private final AtomicBoolean dirty = new AtomicBoolean();
  // Events from the first informers arrive while the others are still listing; one rebuild at
  // the end of start() covers them all.
  private volatile boolean started;
  private final Map<String, SharedIndexInformer<GenericKubernetesResource>> custom = new LinkedHashMap<>();
  private final Map<String, SharedIndexInformer<GenericKubernetesResource>> gateway = new LinkedHashMap<>();
  private final List<SharedIndexInformer<?>> informers = new ArrayList<>();
  // Set once by start(), before the first rebuild is submitted (which orders the writes).
  private @Nullable SharedIndexInformer<ConfigMap> configMaps;
  private @Nullable SharedIndexInformer<Service> services;
  private @Nullable SharedIndexInformer<EndpointSlice> slices;
  private @Nullable SharedIndexInformer<Pod> pods;

  private volatile @Nullable BiConsumer<Set<String>, List<Pod>> observer;

  // Confined to the rebuild thread.
  private Map<String, MeshResource> lastGood = Map.of();
  /** What was last written per resource, without timestamps, so unchanged status is not rewritten. */
  private final Map<String, List<Map<String, Object>>> written = new LinkedHashMap<>();
  private long version;

  /**
   * @param isLeader whether this replica may write status now; read on every rebuild
   * @param clock wall time for the conditions' {@code lastTransitionTime}
   */
  public KubernetesWorld(
      KubernetesClient client, SnapshotDistributor distributor, BooleanSupplier isLeader, java.time.InstantSource clock) {
    this.client = client;
    this.distributor = distributor;
    this.isLeader = isLeader;
    this.clock = clock;
    distributor.onRefusalsChanged(this::markDirty);
  }

  /** The API coordinates of a mesh4j kind. */
  static ResourceDefinitionContext context(String kind) {
    return new ResourceDefinitionContext.Builder()
        .withGroup("mesh4j.io")
        .withVersion("v1alpha1")
        .withKind(kind)
        .withPlural(plural(kind))
        .withNamespaced(true)
        .build();
  }

  /** The API coordinates of a Gateway API kind. */
  static ResourceDefinitionContext gatewayContext(String kind) {
    return new ResourceDefinitionContext.Builder()
        .withGroup("gateway.networking.k8s.io")
        .withVersion(gatewayApiVersion(kind).substring("gateway.networking.k8s.io/".length()))
        .withKind(kind)
        .withPlural(kind.toLowerCase(java.util.Locale.ROOT) + "s")
        .withNamespaced(true)
        .build();
  }

  private static String gatewayApiVersion(String kind) {
    // The standard channel serves ReferenceGrant as v1beta1 from v1.0 on; v1 only later.
    return kind.equals("ReferenceGrant") ? ReferenceGrant.API_VERSION : HTTPRoute.GATEWAY_API_VERSION;
  }

  /** The resource name of a mesh4j kind, as its CRD declares it. */
  static String plural(String kind) {
    String lower = kind.toLowerCase(java.util.Locale.ROOT);
    return lower.endsWith("y") ? lower.substring(0, lower.length() - 1) + "ies" : lower + "s";
  }

  /** Starts the informers and waits until their caches are filled, then serves the first world. */
  public void start() {
    ResourceEventHandler<Object> handler = new Changed();
    for (String kind : KINDS) {
      SharedIndexInformer<GenericKubernetesResource> i =
          client.genericKubernetesResources(context(kind)).inAnyNamespace().inform(cast(handler));
      custom.put(kind, i);
      informers.add(i);
    }
    for (String kind : GATEWAY_KINDS) {
      try {
        SharedIndexInformer<GenericKubernetesResource> i =
            client.genericKubernetesResources(gatewayContext(kind)).inAnyNamespace().inform(cast(handler));
        gateway.put(kind, i);
        informers.add(i);
      } catch (RuntimeException e) {
        // Gateway API's CRDs are the cluster's to install; without them there is nothing to read.
        log.info("Not reading Gateway API {}s: {} (install the Gateway API CRDs, standard channel v1.2 or later, and restart"
            + " the controller to use them)", kind, e.getMessage());
      }
    }
    configMaps = client.configMaps().inAnyNamespace().withLabel(CONFIG_LABEL, "true").inform(cast(handler));
    services = client.services().inAnyNamespace().inform(cast(handler));
    slices = client.discovery().v1().endpointSlices().inAnyNamespace().inform(cast(handler));
    pods = client.pods().inAnyNamespace().inform(cast(handler));
    informers.addAll(List.of(configMaps, services, slices, pods));
    started = true;
    markDirty();
  }

  /**
   * Tells {@code observer}, after every rebuild from then on (one follows at once), which
   * namespaces hold mesh4j input (a custom resource or a labelled ConfigMap) and which Pods
   * exist; called on the rebuild thread, so it must hand off anything slow.
   */
  public void observe(BiConsumer<Set<String>, List<Pod>> observer) {
    this.observer = observer;
    markDirty();
  }

  /** Writes every condition again; called when this replica becomes the leader. */
  public void rewriteStatus() {
    onRebuildThread(
        () -> {
          written.clear();
          markDirty();
        });
  }

  private void markDirty() {
    if (started && dirty.compareAndSet(false, true)) {
      onRebuildThread(this::rebuild);
    }
  }

  // A leadership change or an informer's last event may arrive while the controller stops.
  private void onRebuildThread(Runnable task) {
    try {
      rebuilds.execute(task);
    } catch (RejectedExecutionException e) {
      log.debug("Closed; dropped a late rebuild");
    }
  }

  private void rebuild() {
    dirty.set(false);
    try {
      List<PolicyAssembler.Document> documents = new ArrayList<>();
      Map<String, GenericKubernetesResource> customByRef = new LinkedHashMap<>();
      for (Map.Entry<String, SharedIndexInformer<GenericKubernetesResource>> e : custom.entrySet()) {
        for (GenericKubernetesResource r : e.getValue().getStore().list()) {
          String ref = e.getKey() + " " + r.getMetadata().getNamespace() + "/" + r.getMetadata().getName();
          customByRef.put(ref, r);
          documents.add(PolicyAssembler.Document.parse(ref, asDocument(e.getKey(), r)));
        }
      }
      Map<String, GenericKubernetesResource> gatewayByRef = new LinkedHashMap<>();
      for (Map.Entry<String, SharedIndexInformer<GenericKubernetesResource>> e : gateway.entrySet()) {
        for (GenericKubernetesResource r : e.getValue().getStore().list()) {
          String ref = e.getKey() + " " + r.getMetadata().getNamespace() + "/" + r.getMetadata().getName();
          if (!e.getKey().equals("ReferenceGrant")) {
            gatewayByRef.put(ref, r);
          }
          documents.add(PolicyAssembler.Document.parse(ref, asDocument(e.getKey(), r)));
        }
      }
      for (ConfigMap cm : cached(configMaps)) {
        if (cm.getData() == null) {
          continue;
        }
        cm.getData().entrySet().stream()
            .filter(d -> d.getKey().endsWith(".yaml") || d.getKey().endsWith(".yml"))
            .sorted(Map.Entry.comparingByKey())
            .forEach(
                d ->
                    documents.add(
                        PolicyAssembler.Document.parse(
                            "ConfigMap " + cm.getMetadata().getNamespace() + "/" + cm.getMetadata().getName() + " " + d.getKey(),
                            d.getValue())));
      }
      // The trust domain comes from the world itself; discover endpoints once it is known.
      PolicyAssembler.Assembly policyOnly = PolicyAssembler.assemble(documents, List.of(), lastGood);
      String trustDomain = policyOnly.world().meshConfig().map(m -> m.spec().trustDomain()).orElse("cluster.local");
      List<ServiceEndpoints> endpoints =
          EndpointDiscovery.discover(cached(services), cached(slices), cached(pods), trustDomain);
      PolicyAssembler.Assembly assembly = PolicyAssembler.assemble(documents, endpoints, lastGood);
      lastGood = assembly.byRef();
      PolicySet world = assembly.world().withVersion(++version);
      distributor.serve(world, assembly.problems());
      writeStatus(PolicyResolver.conditions(world, assembly.problems()), refusals(distributor.applications()), customByRef);
      writeRouteStatus(assembly.problems(), gatewayByRef, notPermitted(world));
      BiConsumer<Set<String>, List<Pod>> o = observer;
      if (o != null) {
        Set<String> namespaces = new TreeSet<>();
        customByRef.values().forEach(r -> namespaces.add(r.getMetadata().getNamespace()));
        cached(configMaps).forEach(cm -> namespaces.add(cm.getMetadata().getNamespace()));
        o.accept(namespaces, cached(pods));
      }
    } catch (VirtualMachineError e) {
      if (!(e instanceof OutOfMemoryError) && !(e instanceof StackOverflowError)) {
        throw e;
      }
      // Bounded readers make these unlikely; if one happens, this thread must go on rebuilding.
      log.error("Rebuilding the world failed; the last good world stays served", e);
    } catch (RuntimeException | LinkageError | AssertionError e) {
      log.error("Rebuilding the world failed; the last good world stays served", e);
    }
  }

  private static <T> List<T> cached(@Nullable SharedIndexInformer<T> informer) {
    if (informer == null) {
      throw new IllegalStateException("informers are not started");
    }
    return informer.getStore().list();
  }

  private static String asDocument(String kind, GenericKubernetesResource r) {
    Map<String, Object> metadata = new LinkedHashMap<>();
    metadata.put("name", r.getMetadata().getName());
    metadata.put("namespace", r.getMetadata().getNamespace());
    if (r.getMetadata().getLabels() != null && !r.getMetadata().getLabels().isEmpty()) {
      metadata.put("labels", r.getMetadata().getLabels());
    }
    Map<String, Object> doc = new LinkedHashMap<>();
    doc.put("apiVersion", GATEWAY_KINDS.contains(kind) ? gatewayApiVersion(kind) : MeshResource.API_VERSION);
    doc.put("kind", kind);
    doc.put("metadata", metadata);
    Object spec = r.getAdditionalProperties().get("spec");
    if (spec != null) {
      doc.put("spec", spec);
    } else if (kind.equals(MeshConfig.class.getSimpleName())) {
      doc.put("spec", Map.of());
    }
    return Serialization.asYaml(doc);
  }

  /**
   * What applications currently refuse, by resource: NACK reasons of the version each application
   * was last sent that name a resource ({@code Kind namespace/name: ...}), prefixed with who
   * refused. A refusal ends when the application applies a later version. xDS peers' refusals show
   * on {@code /status} only: they name xDS resources, which do not map one to one to mesh4j's.
   */
  static Map<String, List<String>> refusals(List<ApplicationStatus> applications) {
    Map<String, List<String>> out = new LinkedHashMap<>();
    for (ApplicationStatus a : applications) {
      ApplicationStatus.Nack nack = a.lastNack();
      // An xDS peer's refusal names xDS resources in its own words, never a mesh4j resource.
      if (nack == null || a.kind().equals(ApplicationStatus.XDS)
          || nack.version() != a.sentVersion() || a.ackedVersion() == a.sentVersion()) {
        continue;
      }
      for (String reason : nack.reasons()) {
        int colon = reason.indexOf(": ");
        if (colon > 0) {
          out.computeIfAbsent(reason.substring(0, colon), k -> new ArrayList<>())
              .add(a.namespace() + "/" + a.application() + " refused version " + nack.version() + ": " + reason.substring(colon + 2));
        }
      }
    }
    return out;
  }

  private void writeStatus(
      List<ResourceCondition> conditions,
      Map<String, List<String>> refusals,
      Map<String, GenericKubernetesResource> customByRef) {
    if (!isLeader.getAsBoolean()) {
      return;
    }
    for (ResourceCondition c : conditions) {
      GenericKubernetesResource r = customByRef.get(c.resource());
      if (r == null) {
        continue;
      }
      List<Map<String, Object>> desired = new ArrayList<>();
      Map<String, Object> accepted = new LinkedHashMap<>();
      accepted.put("type", ResourceCondition.TYPE);
      accepted.put("status", c.accepted() ? "True" : "False");
      accepted.put("reason", c.reason());
      accepted.put("message", c.accepted() ? "served to applications" : c.message());
      accepted.put("observedGeneration", r.getMetadata().getGeneration());
      desired.add(accepted);
      List<String> refused = refusals.get(c.resource());
      if (refused != null) {
        // Accepted says what the controller made of the resource; this says what applications did with it.
        Map<String, Object> applied = new LinkedHashMap<>();
        applied.put("type", "Applied");
        applied.put("status", "False");
        applied.put("reason", "RefusedByApplication");
        applied.put("message", String.join("\n", refused));
        applied.put("observedGeneration", r.getMetadata().getGeneration());
        desired.add(applied);
      }
      if (desired.equals(written.get(c.resource()))) {
        continue;
      }
      String now = clock.instant().toString();
      List<Map<String, Object>> stamped = new ArrayList<>();
      for (Map<String, Object> d : desired) {
        Map<String, Object> withTime = new LinkedHashMap<>(d);
        withTime.put("lastTransitionTime", now);
        stamped.add(withTime);
      }
      String kind = c.resource().substring(0, c.resource().indexOf(' '));
      try {
        client.genericKubernetesResources(context(kind))
            .inNamespace(r.getMetadata().getNamespace())
            .withName(r.getMetadata().getName())
            .editStatus(
                current -> {
                  GenericKubernetesResource copy = Serialization.clone(current);
                  copy.setAdditionalProperty("status", Map.of("conditions", stamped));
                  return copy;
                });
        written.put(c.resource(), desired);
        log.info("{}: Accepted={} {}{}", c.resource(), c.accepted() ? "True" : "False", c.message(),
            refused == null ? "" : "; refused by applications: " + refused);
      } catch (RuntimeException e) {
        // The next rebuild tries again, since nothing was recorded as written.
        log.warn("Could not write the status of {}: {}", c.resource(), e.toString());
      }
    }
  }

  /** The {@code controllerName} of the route status entries this controller writes. */
  static final String CONTROLLER_NAME = "mesh4j.io/controller";

  /** Per route ({@code Kind namespace/name}), its backendRefs no ReferenceGrant permits, each with why. */
  static Map<String, List<String>> notPermitted(PolicySet world) {
    Map<String, List<String>> out = new LinkedHashMap<>();
    List<MeshResource> routes = new ArrayList<>(world.httpRoutes());
    routes.addAll(world.grpcRoutes());
    for (MeshResource route : routes) {
      List<List<HTTPRoute.BackendRef>> rules = new ArrayList<>();
      if (route instanceof HTTPRoute h) {
        h.spec().rules().forEach(r -> rules.add(r.backendRefs()));
      } else if (route instanceof io.mesh4j.core.policy.GRPCRoute g) {
        g.spec().rules().forEach(r -> rules.add(r.backendRefs()));
      }
      for (int i = 0; i < rules.size(); i++) {
        Map<Integer, String> refused = GatewayRoutes.refused(rules.get(i), route, i, world.referenceGrants());
        if (!refused.isEmpty()) {
          out.computeIfAbsent(route.ref(), k -> new ArrayList<>()).addAll(refused.values());
        }
      }
    }
    return out;
  }

  /**
   * Writes each Gateway API route's {@code status.parents[]} entries for its parent Services, as
   * GAMMA implementations do: {@code Accepted} ({@code UnsupportedValue} naming every refused field,
   * {@code NoMatchingParent} for a Service that does not exist) and {@code ResolvedRefs} ({@code
   * InvalidKind}, {@code RefNotPermitted}, {@code BackendNotFound}). Entries other controllers wrote are kept.
   */
  private void writeRouteStatus(
      List<Problem> problems, Map<String, GenericKubernetesResource> routes, Map<String, List<String>> notPermitted) {
    if (!isLeader.getAsBoolean()) {
      return;
    }
    Set<String> services = new java.util.HashSet<>();
    for (Service svc : cached(this.services)) {
      services.add(svc.getMetadata().getName() + "." + svc.getMetadata().getNamespace());
    }
    for (Map.Entry<String, GenericKubernetesResource> e : routes.entrySet()) {
      String ref = e.getKey();
      GenericKubernetesResource r = e.getValue();
      List<Problem> own = problems.stream().filter(p -> p.resource().equals(ref)).toList();
      List<Map<String, Object>> desired =
          RouteStatus.parents(r, own, notPermitted.getOrDefault(ref, List.of()), services::contains, CONTROLLER_NAME);
      if (desired.equals(written.get(ref))) {
        continue;
      }
      String now = clock.instant().toString();
      List<Map<String, Object>> stamped = RouteStatus.stamped(desired, now);
      String kind = ref.substring(0, ref.indexOf(' '));
      try {
        client.genericKubernetesResources(gatewayContext(kind))
            .inNamespace(r.getMetadata().getNamespace())
            .withName(r.getMetadata().getName())
            .editStatus(current -> RouteStatus.merged(current, stamped, CONTROLLER_NAME));
        written.put(ref, desired);
        log.info("{}: status for {} parent(s) written", ref, desired.size());
      } catch (RuntimeException ex) {
        log.warn("Could not write the status of {}: {}", ref, ex.toString());
      }
    }
  }

  @SuppressWarnings("unchecked")
  private static <T> ResourceEventHandler<T> cast(ResourceEventHandler<Object> handler) {
    return (ResourceEventHandler<T>) handler;
  }

  @Override
  public void close() {
    for (SharedIndexInformer<?> i : informers) {
      i.close();
    }
    rebuilds.shutdownNow();
    try {
      rebuilds.awaitTermination(5, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /** Any change anywhere: rebuild from the caches. */
  private final class Changed implements ResourceEventHandler<Object> {
    @Override
    public void onAdd(Object obj) {
      markDirty();
    }

    @Override
    public void onUpdate(Object oldObj, Object newObj) {
      if (oldObj instanceof HasMetadata o && newObj instanceof HasMetadata n
          && java.util.Objects.equals(o.getMetadata().getResourceVersion(), n.getMetadata().getResourceVersion())) {
        // A resync: nothing changed.
        return;
      }
      markDirty();
    }

    @Override
    public void onDelete(Object obj, boolean deletedFinalStateUnknown) {
      markDirty();
    }
  }
}
