package io.mesh4j.core.engine.route;

import io.mesh4j.core.engine.balance.EndpointSet;
import io.mesh4j.core.engine.resilience.SubsetGuard;
import org.jspecify.annotations.Nullable;

/**
 * A subset as rules send traffic to it: its name, its endpoints and its guard (breaker and
 * concurrency limit). Immutable; shared by every rule of a snapshot that names the subset.
 *
 * @param name the subset's name, or null for all endpoints of the destination
 */
public record Backend(@Nullable String name, EndpointSet endpoints, SubsetGuard guard) {}
