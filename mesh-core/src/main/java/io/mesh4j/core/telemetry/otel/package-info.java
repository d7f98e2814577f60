/**
 * Distributed tracing with OpenTelemetry: {@link io.mesh4j.core.telemetry.otel.MeshTracing} is the
 * mesh's per-call telemetry that starts a client span per call (an event per attempt) and a server
 * span per handled call, and propagates W3C trace context and baggage (B3 accepted on the way in,
 * {@link io.mesh4j.core.telemetry.otel.MeshPropagator}). {@link
 * io.mesh4j.core.telemetry.otel.MeshSampler} samples new traces at the share the mesh settings
 * name, read at every decision. {@code opentelemetry-api} is an optional dependency of mesh-core,
 * as are the SDK, the OTLP exporter and the B3 propagator; nothing outside this package refers to
 * them.
 */
@NullMarked
package io.mesh4j.core.telemetry.otel;

import org.jspecify.annotations.NullMarked;
