/**
 * Where policy comes from: the {@link io.mesh4j.core.source.ConfigSource} SPI, and the static
 * and watched-directory sources, and {@link io.mesh4j.core.source.ControllerConfigSource}, the
 * controller's stream behind the same SPI. Sources turn
 * input into validated {@link io.mesh4j.core.policy.PolicySet}s through the policy package's
 * factories, number them with increasing versions, and report refused input as {@link
 * io.mesh4j.core.policy.Problem}s; the directory source runs one daemon thread,
 * {@code mesh4j-config-watch}, the controller source one, {@code mesh4j-controller-stream}.
 */
@NullMarked
package io.mesh4j.core.source;

import org.jspecify.annotations.NullMarked;
