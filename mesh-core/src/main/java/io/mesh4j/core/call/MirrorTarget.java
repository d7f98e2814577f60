package io.mesh4j.core.call;

import org.jspecify.annotations.Nullable;

/**
 * Where a copy of a call goes when the route mirrors it; the copy's response is discarded. The
 * copy itself is sent through the attempt {@link CallPlan#mirrorAttempt()} hands out.
 *
 * <p>Immutable.
 *
 * @param destination the shadow service, {@code name.namespace}
 * @param subset the shadow subset, or null for all of its endpoints
 */
public record MirrorTarget(String destination, @Nullable String subset) {}
