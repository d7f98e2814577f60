/**
 * Where policy comes from: the {@link io.mesh4j.core.source.ConfigSource} SPI, and the static
 * and watched-directory sources. The controller's stream behind the same SPI is {@code
 * io.mesh4j.client.ControllerConfigSource}, in mesh4j-client. Sources turn
 * input into validated {@link io.mesh4j.core.policy.PolicySet}s through the policy package's
 * factories, number them with increasing versions, and report refused input as {@link
 * io.mesh4j.core.policy.Problem}s; the directory source runs one daemon thread,
 * {@code mesh4j-config-watch}.
 */
@NullMarked
package io.mesh4j.core.source;

import org.jspecify.annotations.NullMarked;
