/**
 * Compiling a {@link io.mesh4j.core.policy.PolicySet} plus its endpoints into the immutable {@link
 * io.mesh4j.core.engine.runtime.MeshSnapshot} the per-call engine reads: rules with their
 * matchers, weighted backends, balancers, guards carried over from the previous snapshot through
 * {@code state}. Runs on the update path only, never on a call.
 */
@NullMarked
package io.mesh4j.core.engine.compile;

import org.jspecify.annotations.NullMarked;
