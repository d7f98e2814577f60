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
 * waiting for the EndpointSlice controller to catch up. An endpoint's {@code port} is the slice's
 * first port that is not gRPC (its first port when all are), and its {@code grpcPort}, the one gRPC
 * clients dial, the slice's first gRPC port when that is another one. A port is gRPC when its
 * {@code appProtocol} is {@code grpc} or, without an {@code appProtocol}, when its name is {@code
 * grpc} or starts with {@code grpc-} (Istio's naming convention). Endpoints are sorted by address
 * and port, so unrelated churn (informer resyncs, annotations) gives equal output. A pure function;
 * thread-safe.
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
      Ports ports = Ports.of(slice.getPorts());
      if (ports == null || slice.getEndpoints() == null) {
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
          out.add(endpoint(address, ports, e, pod, trustDomain));
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

  /** The port of a slice's endpoints, and the port gRPC clients dial when it is another one. */
  record Ports(int port, @Nullable Integer grpcPort) {

    /** The ports of a slice with {@code ports}; null when it has none. */
    static @Nullable Ports of(@Nullable List<EndpointPort> ports) {
      Integer first = null;
      Integer other = null;
      Integer grpc = null;
      if (ports != null) {
        for (EndpointPort p : ports) {
          Integer number = p.getPort();
          if (number == null) {
            continue; // a slice port without a number stands for "all ports": nothing to dial
          }
          if (first == null) {
            first = number;
          }
          if (isGrpc(p)) {
            if (grpc == null) {
              grpc = number;
            }
          } else if (other == null) {
            other = number;
          }
        }
      }
      if (first == null) {
        return null;
      }
      int port = other != null ? other : first;
      return new Ports(port, grpc == null || grpc == port ? null : grpc);
    }

    /**
     * Whether {@code p} serves gRPC: its {@code appProtocol} says {@code grpc}, or it has none and
     * its name is {@code grpc} or {@code grpc-*}.
     */
    static boolean isGrpc(EndpointPort p) {
      String appProtocol = p.getAppProtocol();
      if (appProtocol != null && !appProtocol.isEmpty()) {
        return appProtocol.equalsIgnoreCase("grpc");
      }
      String name = p.getName();
      return name != null && (name.equals("grpc") || name.startsWith("grpc-"));
    }
  }

  private static @Nullable Pod podOf(@Nullable ObjectReference ref, Map<String, Pod> pods) {
    if (ref == null || !"Pod".equals(ref.getKind())) {
      return null;
    }
    return pods.get(ref.getNamespace() + "/" + ref.getName());
  }

  private static ServiceEndpoints.Endpoint endpoint(
      String address, Ports ports, Endpoint e, @Nullable Pod pod, String trustDomain) {
    Map<String, String> labels = null;
    String identity = null;
    if (pod != null) {
      Map<String, String> podLabels = pod.getMetadata().getLabels();
      labels = podLabels == null || podLabels.isEmpty() ? null : new TreeMap<>(podLabels);
      String sa = pod.getSpec() == null ? null : pod.getSpec().getServiceAccountName();
      identity =
          "spiffe://" + trustDomain + "/ns/" + pod.getMetadata().getNamespace() + "/sa/" + (sa == null || sa.isEmpty() ? "default" : sa);
    }
    return new ServiceEndpoints.Endpoint(
        address, ports.port(), labels, e.getZone(), 1, identity, ports.grpcPort());
  }
}
