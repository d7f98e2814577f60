/**
 * Where policy comes from: the {@link io.mesh4j.core.source.ConfigSource} SPI, and the static
 * and watched-directory sources. The controller stream implements the same SPI.
 */
@NullMarked
package io.mesh4j.core.source;

import org.jspecify.annotations.NullMarked;
