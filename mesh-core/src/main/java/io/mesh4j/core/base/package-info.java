/**
 * What every other package of mesh4j builds on and tests replace: time ({@link
 * io.mesh4j.core.base.Ticker}), waiting ({@link io.mesh4j.core.base.Sleeper}), chance ({@link
 * io.mesh4j.core.base.MeshRandom}), reconnection delays ({@link io.mesh4j.core.base.Backoff}) and
 * JSON text for status documents ({@link io.mesh4j.core.base.JsonText}).
 * Depends on nothing of mesh4j.
 */
@NullMarked
package io.mesh4j.core.base;

import org.jspecify.annotations.NullMarked;
