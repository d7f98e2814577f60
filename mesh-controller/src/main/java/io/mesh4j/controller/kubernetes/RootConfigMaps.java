package io.mesh4j.controller.kubernetes;

import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.ConfigMapBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.api.model.VolumeProjection;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import io.mesh4j.core.identity.Pem;
import java.net.HttpURLConnection;
import java.security.cert.X509Certificate;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.SortedSet;
import java.util.TreeSet;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Puts the CA's trust bundle where Kubernetes workloads can mount it: a ConfigMap {@value #NAME}
 * with key {@value #KEY} (every trusted root, PEM) in every namespace with meshed workloads, kept
 * current through root rotations. A workload mounts it to verify the controller's TLS
 * certificate before sending its token, and nobody copies roots by hand.
 *
 * <p>A namespace has meshed workloads when it holds a mesh4j custom resource or a ConfigMap
 * labelled {@code mesh4j.io/config=true}, or a Pod that projects a ServiceAccount token for the
 * controller's audience (the token a workload presents to the CA: a namespace of callers only,
 * with no policy of its own, still gets the root). Both come from the caches {@link
 * KubernetesWorld} already keeps, so this costs no extra watch on Pods.
 *
 * <p>Only the leader writes, as with status. Its own ConfigMaps are labelled {@value
 * #MANAGED_BY}={@value #CONTROLLER} and watched, so an edit or deletion is repaired. A ConfigMap
 * of that name without the label is someone else's: it is never changed, and never deleted;
 * the controller deletes no ConfigMap at all, since a Pod may still mount it after the
 * namespace's last mesh4j resource is gone and roots are public.
 *
 * <p>Threading: changes only mark the state dirty; one thread, {@code mesh4j-controller-ca-root},
 * writes.
 */
public final class RootConfigMaps implements AutoCloseable {

  private static final Logger log = LoggerFactory.getLogger(RootConfigMaps.class);

  /** The ConfigMap's name in every meshed namespace. */
  public static final String NAME = "mesh4j-ca-root";
  /** Its key holding the trust bundle, PEM. */
  public static final String KEY = "ca.crt";
  /** The label marking what the controller created. */
  public static final String MANAGED_BY = "app.kubernetes.io/managed-by";
  /** Its value. */
  public static final String CONTROLLER = "mesh4j-controller";

  private final KubernetesClient client;
  private final BooleanSupplier isLeader;
  private final Supplier<List<X509Certificate>> bundle;
  private final @Nullable String audience;
  private final ExecutorService writer =
      Executors.newSingleThreadExecutor(
          r -> {
            Thread t = new Thread(r, "mesh4j-controller-ca-root");
            t.setDaemon(true);
            return t;
          });
  private final AtomicBoolean dirty = new AtomicBoolean();
  private volatile SortedSet<String> namespaces = new TreeSet<>();
  private volatile @Nullable SharedIndexInformer<ConfigMap> own;
  // Confined to the writer thread: namespaces whose ConfigMap of this name is someone else's,
  // with the bundle that was refused, so the refusal is logged once per bundle, not per event.
  private final Map<String, String> foreign = new HashMap<>();

  /**
   * @param isLeader whether this replica may write now
   * @param bundle the trust bundle in force
   * @param audience the audience of workloads' projected tokens, or null to go by mesh4j
   *     resources alone
   */
  public RootConfigMaps(
      KubernetesClient client, BooleanSupplier isLeader, Supplier<List<X509Certificate>> bundle, @Nullable String audience) {
    this.client = Objects.requireNonNull(client, "client");
    this.isLeader = Objects.requireNonNull(isLeader, "isLeader");
    this.bundle = Objects.requireNonNull(bundle, "bundle");
    this.audience = audience;
  }

  /** Watches the ConfigMaps it owns, so edits and deletions are repaired. */
  public void start() {
    own =
        client.configMaps().inAnyNamespace().withLabel(MANAGED_BY, CONTROLLER)
            .inform(
                new ResourceEventHandler<>() {
                  @Override
                  public void onAdd(ConfigMap cm) {}

                  @Override
                  public void onUpdate(ConfigMap old, ConfigMap cm) {
                    if (NAME.equals(cm.getMetadata().getName())) {
                      changed();
                    }
                  }

                  @Override
                  public void onDelete(ConfigMap cm, boolean unknown) {
                    if (NAME.equals(cm.getMetadata().getName())) {
                      changed();
                    }
                  }
                });
    changed();
  }

  /** What {@link KubernetesWorld} saw at its last rebuild. */
  public void observed(Set<String> namespacesWithMeshResources, List<Pod> pods) {
    SortedSet<String> meshed = meshedNamespaces(namespacesWithMeshResources, pods, audience);
    if (!meshed.equals(namespaces)) {
      namespaces = meshed;
    }
    changed();
  }

  /** The namespaces that get the ConfigMap. A pure function. */
  static SortedSet<String> meshedNamespaces(Set<String> withMeshResources, List<Pod> pods, @Nullable String audience) {
    SortedSet<String> out = new TreeSet<>(withMeshResources);
    if (audience != null) {
      for (Pod pod : pods) {
        if (projectsTokenFor(pod, audience)) {
          out.add(pod.getMetadata().getNamespace());
        }
      }
    }
    return out;
  }

  private static boolean projectsTokenFor(Pod pod, String audience) {
    if (pod.getSpec() == null || pod.getSpec().getVolumes() == null) {
      return false;
    }
    for (Volume v : pod.getSpec().getVolumes()) {
      if (v.getProjected() == null || v.getProjected().getSources() == null) {
        continue;
      }
      for (VolumeProjection p : v.getProjected().getSources()) {
        if (p.getServiceAccountToken() != null && audience.equals(p.getServiceAccountToken().getAudience())) {
          return true;
        }
      }
    }
    return false;
  }

  /** The trust bundle changed, or leadership did: write what differs. */
  public void changed() {
    if (dirty.compareAndSet(false, true)) {
      try {
        writer.execute(this::reconcile);
      } catch (java.util.concurrent.RejectedExecutionException e) {
        // Closed.
      }
    }
  }

  private void reconcile() {
    dirty.set(false);
    SharedIndexInformer<ConfigMap> cache = own;
    if (cache == null || !isLeader.getAsBoolean()) {
      return;
    }
    String pem;
    try {
      pem = Pem.certificates(bundle.get());
    } catch (RuntimeException e) {
      log.error("Cannot encode the trust bundle; the mesh4j-ca-root ConfigMaps stay as they are", e);
      return;
    }
    for (String ns : namespaces) {
      ConfigMap current = cache.getStore().getByKey(ns + "/" + NAME);
      try {
        if (current == null) {
          if (pem.equals(foreign.get(ns))) {
            continue;
          }
          create(ns, pem);
        } else if (!pem.equals(current.getData() == null ? null : current.getData().get(KEY))) {
          client.configMaps().inNamespace(ns).withName(NAME)
              .edit(cm -> new ConfigMapBuilder(cm).addToData(KEY, pem).build());
          log.info("ConfigMap {}/{} updated: {} root(s)", ns, NAME, bundle.get().size());
        }
      } catch (RuntimeException e) {
        // Nothing is recorded, so the next change tries again.
        log.warn("Could not write ConfigMap {}/{}: {}", ns, NAME, e.toString());
      }
    }
  }

  private void create(String ns, String pem) {
    ConfigMap cm =
        new ConfigMapBuilder()
            .withNewMetadata()
            .withNamespace(ns)
            .withName(NAME)
            .addToLabels(MANAGED_BY, CONTROLLER)
            .endMetadata()
            .addToData(KEY, pem)
            .build();
    try {
      client.configMaps().inNamespace(ns).resource(cm).create();
      foreign.remove(ns);
      log.info("ConfigMap {}/{} created with the CA trust bundle", ns, NAME);
    } catch (KubernetesClientException e) {
      if (e.getCode() != HttpURLConnection.HTTP_CONFLICT) {
        throw e;
      }
      ConfigMap existing = client.configMaps().inNamespace(ns).withName(NAME).get();
      if (existing != null && !CONTROLLER.equals(existing.getMetadata().getLabels() == null ? null : existing.getMetadata().getLabels().get(MANAGED_BY))) {
        foreign.put(ns, pem);
        log.warn("ConfigMap {}/{} exists without {}={}; it is not the controller's and is left alone,"
            + " so workloads in {} do not get the CA root from the controller", ns, NAME, MANAGED_BY, CONTROLLER, ns);
      }
    }
  }

  @Override
  public void close() {
    SharedIndexInformer<ConfigMap> i = own;
    if (i != null) {
      i.close();
    }
    writer.shutdownNow();
    try {
      writer.awaitTermination(5, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
