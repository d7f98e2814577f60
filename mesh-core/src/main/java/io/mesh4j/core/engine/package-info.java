/**
 * The engine behind the public API; not API, may change in any release. Subpackages: {@code
 * snapshot} compiles policy into the immutable snapshot and runs the per-call steps, {@code route}
 * matches rules and splits by weight, {@code balance} picks endpoints, {@code resilience} holds
 * breakers, outlier detection, budgets and limiters, {@code fault} decides injected faults and
 * {@code state} keeps long-lived state across snapshot swaps. This package holds what they share:
 * the listener dispatch.
 */
@NullMarked
package io.mesh4j.core.engine;

import org.jspecify.annotations.NullMarked;
