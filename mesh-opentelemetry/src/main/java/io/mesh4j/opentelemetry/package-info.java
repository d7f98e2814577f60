/**
 * Distributed tracing with OpenTelemetry: {@link io.mesh4j.opentelemetry.MeshTracing} is the
 * mesh's per-call telemetry that starts a client span per call (an event per attempt) and a server
 * span per handled call, and propagates W3C trace context and baggage (B3 accepted on the way in,
 * {@link io.mesh4j.opentelemetry.MeshPropagator}). {@link
 * io.mesh4j.opentelemetry.MeshSampler} samples new traces at the share the mesh settings
 * name, read at every decision. A module of its own, mesh4j-opentelemetry, whose dependencies on
 * the OpenTelemetry API, SDK, OTLP exporter and B3 propagator are real ones: applications that do
 * not trace do not link it.
 */
@NullMarked
package io.mesh4j.opentelemetry;

import org.jspecify.annotations.NullMarked;
