package io.mesh4j.core.telemetry;

import io.mesh4j.core.call.CallStatus;
import io.mesh4j.core.call.MeshFailure;
import org.jspecify.annotations.Nullable;

/**
 * How a call ended, as its observers hear it, on the client side or the server side.
 *
 * @param status what the application saw (client) or the caller was answered (server)
 * @param durationNanos from the call's start (client) or arrival (server) to its end, on the
 *     mesh's ticker
 * @param requestBytes request bytes sent on the last attempt (client) or received (server), or -1
 *     when unknown
 * @param responseBytes response bytes received (client) or sent (server), or -1 when unknown
 * @param refusal the mesh's own refusal that ended the call (a refused attempt; denied, rate
 *     limited), or null
 */
public record CallEnd(
    CallStatus status,
    long durationNanos,
    long requestBytes,
    long responseBytes,
    @Nullable MeshFailure refusal) {}
