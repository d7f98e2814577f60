/**
 * The per-call engine: {@link io.mesh4j.core.engine.runtime.CallEngine} answers {@code
 * Outbound.plan} and {@code Inbound.admit} from one read of the published, immutable {@link
 * io.mesh4j.core.engine.runtime.MeshSnapshot}, and owns each call's life ({@link
 * io.mesh4j.core.engine.runtime.CallLifecycle}: observers, waits, cancellation). Builds on {@code
 * route}, {@code balance}, {@code resilience} and {@code fault}; implements the interfaces of
 * {@code io.mesh4j.core.call}. Knows nothing of how snapshots are compiled.
 *
 * <p>The per-call steps, in order: match the rule; split by weight to a subset; decide fault delay,
 * abort and mirroring (all in {@code plan}); then per attempt: cancellation, abort fault (first
 * attempt), deadline, client rate limit and budget accounting (first attempt), endpoint pick,
 * breaker permission, concurrency slot, in-flight count. Settling releases what the attempt took,
 * feeds the breaker and outlier detection, then decides the retry: an attempt settled as final
 * stops here, before anything else; then retryable outcome, idempotency (or the rule's {@code
 * idempotentMethods}), attempts left, the server's pushback (a negative one stops), the longer of
 * backoff and pushback within the deadline, retry budget. A mirror copy ({@code mirrorAttempt})
 * takes only the endpoint pick, breaker permission, concurrency slot and in-flight count of the
 * shadow subset, and never retries.
 */
@NullMarked
package io.mesh4j.core.engine.runtime;

import org.jspecify.annotations.NullMarked;
