/**
 * Micrometer metrics for the mesh's own decisions: {@link
 * io.mesh4j.micrometer.MeshMetrics} is a {@link io.mesh4j.core.telemetry.MeshListener} that
 * turns retries, refusals, ejections, injected faults, breaker transitions and config updates
 * into meters on the application's {@code MeterRegistry}. A module of its own, mesh4j-micrometer,
 * so that Micrometer is a real dependency of the applications that want the mesh's meters and no
 * dependency at all of those that do not.
 *
 * <p>{@code MeshMetrics} is also the mesh's per-call telemetry: request counts and latency
 * histograms of every client and server call, and the certificate's time to expiry. {@link
 * io.mesh4j.micrometer.MeshPrometheus} serves a Prometheus registry on a port of
 * its own for applications without Spring. Every tag value is bounded by the applied policy, by
 * a protocol's vocabulary or by an enum (destination, route, subset, method, status, refusal
 * reason, fault kind, breaker state); no path, header or user identity ever becomes a tag.
 */
@NullMarked
package io.mesh4j.micrometer;

import org.jspecify.annotations.NullMarked;
