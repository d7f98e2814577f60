/**
 * The root of mesh4j for an application: {@link io.mesh4j.core.Mesh} and its builder, which wire
 * the rest. The packages below it hold time and chance ({@code base}), the adapter API ({@code
 * call}), the listener model ({@code telemetry}), policy, sources, identity and TLS; the per-call
 * engine ({@code engine}) is reached through {@link io.mesh4j.core.call} only.
 */
@NullMarked
package io.mesh4j.core;

import org.jspecify.annotations.NullMarked;
