/**
 * Endpoint choice inside a subset: power-of-two-choices least-request (the default), weighted
 * round robin, and consistent hashing of a header on a ketama ring or a Maglev table, with
 * zone-aware preference. An {@link io.mesh4j.core.engine.balance.EndpointSet} is built once per
 * snapshot; balancers skip ejected endpoints and, on retries, endpoints the call already tried.
 */
@NullMarked
package io.mesh4j.core.engine.balance;

import org.jspecify.annotations.NullMarked;
