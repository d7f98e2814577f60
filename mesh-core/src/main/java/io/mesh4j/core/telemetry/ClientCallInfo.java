package io.mesh4j.core.telemetry;

import io.mesh4j.core.call.Protocol;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * What the mesh knows about an outgoing call when it starts: the protocol, the destination, the
 * method, and what the engine decided (the matched route rule and the weighted subset).
 *
 * @param protocol the transport
 * @param destination the destination service ({@code name.namespace}); the name the caller used
 *     when the mesh does not know it
 * @param method the gRPC full method ({@code pkg.Service/Method}) or the HTTP method
 * @param path the HTTP path, never a metric tag; null for gRPC
 * @param route the matched rule's name ({@code default} when none matched)
 * @param subset the subset chosen by the weighted split, or null for all endpoints
 * @param known whether the destination is in the applied policy (false: it must not become a tag)
 * @param traceId the call's trace id when an earlier observer (tracing) knows it, else null
 */
public record ClientCallInfo(
    Protocol protocol,
    String destination,
    String method,
    @Nullable String path,
    String route,
    @Nullable String subset,
    boolean known,
    @Nullable String traceId) {

  /** Checks the required fields. */
  public ClientCallInfo {
    Objects.requireNonNull(protocol, "protocol");
    Objects.requireNonNull(destination, "destination");
    Objects.requireNonNull(method, "method");
    Objects.requireNonNull(route, "route");
  }

  /** The same call with {@code traceId} filled in. */
  public ClientCallInfo withTraceId(String traceId) {
    return new ClientCallInfo(protocol, destination, method, path, route, subset, known, traceId);
  }
}
