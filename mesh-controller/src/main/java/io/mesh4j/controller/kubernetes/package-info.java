/**
 * The Kubernetes input of the controller: fabric8 informers on the mesh4j custom resources,
 * labelled ConfigMaps, Services, EndpointSlices and Pods ({@link
 * io.mesh4j.controller.kubernetes.KubernetesWorld}), the translation of EndpointSlices and Pods
 * into mesh4j endpoints ({@link io.mesh4j.controller.kubernetes.EndpointDiscovery}), and the
 * Lease that decides which replica writes status ({@link
 * io.mesh4j.controller.kubernetes.Leadership}). What it reads goes through the same assembler,
 * resolver and distributor as the local mode.
 */
@NullMarked
package io.mesh4j.controller.kubernetes;

import org.jspecify.annotations.NullMarked;
