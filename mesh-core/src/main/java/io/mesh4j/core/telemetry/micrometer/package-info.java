/**
 * Micrometer metrics for the mesh's own decisions: {@link
 * io.mesh4j.core.telemetry.micrometer.MeshMetrics} is a {@link io.mesh4j.core.MeshListener} that
 * turns retries, refusals, ejections, injected faults, breaker transitions and config updates
 * into meters on the application's {@code MeterRegistry}. {@code micrometer-core} is an optional
 * dependency of {@code mesh-core}: only applications that use this package need it on the class
 * path, and nothing else in {@code mesh-core} refers to it.
 *
 * <p>Per-call request counts and latency histograms are not here: they belong to the call events
 * of the gRPC and HTTP adapters, which the engine does not emit yet. Every tag value is bounded
 * by the applied policy or by an enum (destination, subset, refusal reason, fault kind, breaker
 * state); no path, header or user identity ever becomes a tag.
 */
@NullMarked
package io.mesh4j.core.telemetry.micrometer;

import org.jspecify.annotations.NullMarked;
