package io.mesh4j.core.telemetry;

import io.mesh4j.core.call.HeaderGetter;
import io.mesh4j.core.call.Protocol;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * What the mesh knows about an incoming call when it arrives.
 *
 * @param protocol the transport
 * @param service the service this server is ({@code name.namespace})
 * @param method the gRPC full method or the HTTP method
 * @param path the HTTP path, never a metric tag; null for gRPC
 * @param peer the caller's verified SPIFFE ID, or null for an unauthenticated caller
 * @param headers the request's headers, for extracting the caller's trace context
 * @param traceId the call's trace id when an earlier observer (tracing) knows it, else null
 */
public record ServerCallInfo(
    Protocol protocol,
    String service,
    String method,
    @Nullable String path,
    @Nullable String peer,
    HeaderGetter headers,
    @Nullable String traceId) {

  /** Checks the required fields. */
  public ServerCallInfo {
    Objects.requireNonNull(protocol, "protocol");
    Objects.requireNonNull(service, "service");
    Objects.requireNonNull(method, "method");
    Objects.requireNonNull(headers, "headers");
  }

  /** The same call with {@code traceId} filled in. */
  public ServerCallInfo withTraceId(String traceId) {
    return new ServerCallInfo(protocol, service, method, path, peer, headers, traceId);
  }
}
