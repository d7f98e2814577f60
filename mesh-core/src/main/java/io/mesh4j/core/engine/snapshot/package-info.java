/**
 * Compiling a {@link io.mesh4j.core.policy.PolicySet} plus its endpoints into an immutable {@link
 * io.mesh4j.core.engine.snapshot.MeshSnapshot}, and the per-call steps that read it ({@link
 * io.mesh4j.core.engine.snapshot.OutboundEngine}). Reads {@code policy}; builds on {@code route},
 * {@code balance}, {@code resilience}, {@code fault} and {@code state}; implements the interfaces
 * of {@code io.mesh4j.core.call}.
 *
 * <p>The per-call steps, in order: match the rule; split by weight to a subset; decide fault delay,
 * abort and mirroring (all in {@code plan}); then per attempt: abort fault (first attempt),
 * deadline, client rate limit and budget accounting (first attempt), endpoint pick, breaker
 * permission, concurrency slot, in-flight count. Settling releases what the attempt took, feeds
 * the breaker and outlier detection, then decides the retry: an attempt settled as final stops
 * here, before anything else; then retryable outcome, idempotency, attempts left, backoff within
 * the deadline, retry budget. A mirror copy ({@code mirrorAttempt}) takes only the endpoint pick,
 * breaker permission, concurrency slot and in-flight count of the shadow subset, and never
 * retries.
 */
@NullMarked
package io.mesh4j.core.engine.snapshot;

import org.jspecify.annotations.NullMarked;
