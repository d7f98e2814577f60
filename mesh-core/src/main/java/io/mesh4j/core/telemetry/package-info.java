/**
 * Observing the mesh: {@link io.mesh4j.core.telemetry.MeshListener}, the one listener model for
 * the mesh's decisions and, through the observers it returns, for every call; and the JSON access
 * log ({@link io.mesh4j.core.telemetry.AccessLog}). The engine alone calls observers, each
 * shielded. Metrics live in mesh4j-micrometer ({@code io.mesh4j.micrometer}), tracing in
 * mesh4j-opentelemetry ({@code io.mesh4j.opentelemetry}); both are listeners. A call no listener
 * observes allocates nothing for telemetry. For operators, what the mesh holds ({@link
 * io.mesh4j.core.telemetry.MeshStatus}) and what it would do with one call, and why ({@link
 * io.mesh4j.core.telemetry.Explanation}, asked with an {@link
 * io.mesh4j.core.telemetry.ExplainRequest}).
 */
@NullMarked
package io.mesh4j.core.telemetry;

import org.jspecify.annotations.NullMarked;
