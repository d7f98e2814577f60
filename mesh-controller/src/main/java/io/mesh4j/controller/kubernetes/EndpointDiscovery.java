package io.mesh4j.controller.kubernetes;

import io.fabric8.kubernetes.api.model.ObjectReference;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.discovery.v1.Endpoint;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointPort;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice;
import io.mesh4j.core.policy.Metadata;
import io.mesh4j.core.policy.ServiceEndpoints;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.jspecify.annotations.Nullable;

/**
 * Turns what Kubernetes knows about a service's backends into mesh4j endpoints: every ready
 * address of its EndpointSlices ({@code discovery.k8s.io/v1}), labelled with its Pod's labels
 * (so route subsets select on them), in its zone, with the SPIFFE identity of its Pod's service
 * account ({@code spiffe://<trust domain>/ns/<namespace>/sa/<service account>}).
 *
 * <p>Only ready endpoints are listed (a missing {@code ready} condition counts as ready, as the
 * API defines), and only while their Pod exists: a deleted Pod's address leaves at once, without
 * waiting for the EndpointSlice controller to catch up. The port is the slice's first port; services that expose several ports need one
 * service per port for mesh4j. Endpoints are sorted by address and port, so unrelated churn
 * (informer resyncs, annotations) gives equal output. A pure function; thread-safe.
 */
public final class EndpointDiscovery {

  /** The label EndpointSlices carry with the name of their service. */
  static final String SERVICE_NAME_LABEL = "kubernetes.io/service-name";

  private EndpointDiscovery() {}

  /** The endpoints of every service that has a slice, one {@link ServiceEndpoints} per service. */
  public static List<ServiceEndpoints> discover(
      List<Service> services, List<EndpointSlice> slices, List<Pod> pods, String trustDomain) {
    Map<String, Pod> podsByRef = new HashMap<>();
    for (Pod pod : pods) {
      podsByRef.put(pod.getMetadata().getNamespace() + "/" + pod.getMetadata().getName(), pod);
    }
    Map<String, Service> servicesByRef = new HashMap<>();
    for (Service s : services) {
      servicesByRef.put(s.getMetadata().getNamespace() + "/" + s.getMetadata().getName(), s);
    }
    Map<String, List<ServiceEndpoints.Endpoint>> byService = new TreeMap<>();
    for (EndpointSlice slice : slices) {
      String namespace = slice.getMetadata().getNamespace();
      Map<String, String> labels = slice.getMetadata().getLabels();
      String service = labels == null ? null : labels.get(SERVICE_NAME_LABEL);
      if (service == null || !servicesByRef.containsKey(namespace + "/" + service)) {
        continue;
      }
      List<ServiceEndpoints.Endpoint> out = byService.computeIfAbsent(namespace + "/" + service, k -> new ArrayList<>());
      Integer port = firstPort(slice.getPorts());
      if (port == null || slice.getEndpoints() == null) {
        continue;
      }
      for (Endpoint e : slice.getEndpoints()) {
        if (e.getConditions() != null && Boolean.FALSE.equals(e.getConditions().getReady())) {
          continue;
        }
        ObjectReference target = e.getTargetRef();
        Pod pod = podOf(target, podsByRef);
        if (pod == null && target != null && "Pod".equals(target.getKind())) {
          // The Pod is gone; its slice just has not caught up yet. Never route to it.
          continue;
        }
        for (String address : e.getAddresses()) {
          out.add(endpoint(address, port, e, pod, trustDomain));
        }
      }
    }
    List<ServiceEndpoints> result = new ArrayList<>();
    byService.forEach(
        (ref, endpoints) -> {
          if (endpoints.isEmpty()) {
            return;
          }
          String[] parts = ref.split("/", 2);
          endpoints.sort(Comparator.comparing(ServiceEndpoints.Endpoint::address).thenComparing(ServiceEndpoints.Endpoint::port));
          result.add(
              new ServiceEndpoints(
                  Metadata.of(parts[0], parts[1]),
                  new ServiceEndpoints.Spec(parts[1] + "." + parts[0], dedupe(endpoints))));
        });
    return result;
  }

  private static List<ServiceEndpoints.Endpoint> dedupe(List<ServiceEndpoints.Endpoint> endpoints) {
    // Slices of one service may overlap while they are being rebalanced.
    Map<String, ServiceEndpoints.Endpoint> unique = new LinkedHashMap<>();
    for (ServiceEndpoints.Endpoint e : endpoints) {
      unique.putIfAbsent(e.address() + ":" + e.port(), e);
    }
    return new ArrayList<>(unique.values());
  }

  private static @Nullable Integer firstPort(@Nullable List<EndpointPort> ports) {
    if (ports == null || ports.isEmpty()) {
      return null;
    }
    return ports.get(0).getPort();
  }

  private static @Nullable Pod podOf(@Nullable ObjectReference ref, Map<String, Pod> pods) {
    if (ref == null || !"Pod".equals(ref.getKind())) {
      return null;
    }
    return pods.get(ref.getNamespace() + "/" + ref.getName());
  }

  private static ServiceEndpoints.Endpoint endpoint(
      String address, int port, Endpoint e, @Nullable Pod pod, String trustDomain) {
    Map<String, String> labels = null;
    String identity = null;
    if (pod != null) {
      Map<String, String> podLabels = pod.getMetadata().getLabels();
      labels = podLabels == null || podLabels.isEmpty() ? null : new TreeMap<>(podLabels);
      String sa = pod.getSpec() == null ? null : pod.getSpec().getServiceAccountName();
      identity =
          "spiffe://" + trustDomain + "/ns/" + pod.getMetadata().getNamespace() + "/sa/" + (sa == null || sa.isEmpty() ? "default" : sa);
    }
    return new ServiceEndpoints.Endpoint(address, port, labels, e.getZone(), 1, identity);
  }
}
