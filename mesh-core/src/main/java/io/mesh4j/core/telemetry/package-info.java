/**
 * Per-call telemetry: the hooks transport adapters call at a call's start, at each attempt and at
 * its end ({@link io.mesh4j.core.telemetry.CallTelemetry}), and the JSON access log ({@link
 * io.mesh4j.core.telemetry.AccessLog}). Metrics live in mesh4j-micrometer ({@code
 * io.mesh4j.micrometer}), tracing in mesh4j-opentelemetry ({@code io.mesh4j.opentelemetry}); both
 * implement this SPI. With no telemetry configured, adapters
 * get {@link io.mesh4j.core.telemetry.CallTelemetry#none()}, whose observers are shared constants,
 * so an unobserved call allocates nothing for telemetry.
 */
@NullMarked
package io.mesh4j.core.telemetry;

import org.jspecify.annotations.NullMarked;
