/**
 * Long-lived, lock-free guards of the call path: circuit breaking and concurrency limits per
 * subset ({@link io.mesh4j.core.engine.resilience.SubsetGuard}: closed breakers record in the
 * guard's own allocation-free windows, Resilience4j's state machine runs them once open), outlier
 * detection per endpoint ({@link
 * io.mesh4j.core.engine.resilience.EndpointHealth}), the retry budget per destination and token
 * buckets. Each guard's policy is a record from {@code io.mesh4j.core.policy}; each state object
 * here is owned by {@code engine.state.GuardRegistry}, which keeps it across snapshot swaps.
 */
@NullMarked
package io.mesh4j.core.engine.resilience;

import org.jspecify.annotations.NullMarked;
