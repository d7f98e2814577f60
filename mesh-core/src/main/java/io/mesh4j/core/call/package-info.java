/**
 * What transport adapters call for every request. Client side: an adapter describes a call as an
 * {@link io.mesh4j.core.call.OutboundCall}, asks {@link io.mesh4j.core.call.Outbound} for a
 * {@link io.mesh4j.core.call.CallPlan}, takes {@link io.mesh4j.core.call.Attempt}s from it, and
 * settles each attempt once with an {@link io.mesh4j.core.call.Outcome}, which answers whether to
 * retry. A failed attempt's outcome carries the server's pushback when its reply had one ({@code
 * Retry-After}, {@code grpc-retry-pushback-ms}), and a {@link io.mesh4j.core.call.RetryDecision}
 * that stops because of it has a message for the caller. Server side: {@link io.mesh4j.core.call.Inbound} admits or refuses incoming calls.
 * Nothing here knows a transport; the engine behind these types lives in {@code
 * io.mesh4j.core.engine}.
 */
@NullMarked
package io.mesh4j.core.call;

import org.jspecify.annotations.NullMarked;
