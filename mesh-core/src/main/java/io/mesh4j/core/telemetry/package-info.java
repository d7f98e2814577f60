/**
 * Per-call telemetry: the hooks transport adapters call at a call's start, at each attempt and at
 * its end ({@link io.mesh4j.core.telemetry.CallTelemetry}), and the JSON access log ({@link
 * io.mesh4j.core.telemetry.AccessLog}). Metrics live in {@code telemetry.micrometer}, tracing in
 * {@code telemetry.otel}; both are optional dependencies. With no telemetry configured, adapters
 * get {@link io.mesh4j.core.telemetry.CallTelemetry#none()}, whose observers are shared constants,
 * so an unobserved call allocates nothing for telemetry.
 */
@NullMarked
package io.mesh4j.core.telemetry;

import org.jspecify.annotations.NullMarked;
