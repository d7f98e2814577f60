/**
 * The root of mesh4j for an application: {@link io.mesh4j.core.Mesh} and its builder, the
 * injected sources of time ({@link io.mesh4j.core.base.Ticker}) and chance ({@link
 * io.mesh4j.core.base.MeshRandom}), the failures the mesh produces on its own ({@link
 * io.mesh4j.core.call.MeshFailure}) and the {@link io.mesh4j.core.telemetry.MeshListener} that observes them.
 * Adapters reach the per-call engine through {@link io.mesh4j.core.call}.
 */
@NullMarked
package io.mesh4j.core;

import org.jspecify.annotations.NullMarked;
