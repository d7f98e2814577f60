/**
 * Route tables: rule matching (gRPC service/method, HTTP method, path and headers, compiled once
 * per snapshot, regular expressions included: a bounded automaton where it can, RE2/J where it
 * cannot; for gRPC calls, one lookup by method first skips the rules that name other methods), the
 * weighted split between backends (cumulative weights, one random draw) and the rule's per-call
 * settings (timeout, retries, fault, mirror).
 */
@NullMarked
package io.mesh4j.core.engine.route;

import org.jspecify.annotations.NullMarked;
