package io.mesh4j.core.engine.runtime;

import io.mesh4j.core.call.OutboundCall;
import io.mesh4j.core.call.Protocol;
import io.mesh4j.core.telemetry.ClientCallInfo;
import org.jspecify.annotations.Nullable;

/** What observers are told about an outgoing call when it starts. */
final class ClientCalls {

  private ClientCalls() {}

  static ClientCallInfo info(
      OutboundCall call,
      String destination,
      String rule,
      @Nullable String subset,
      boolean known) {
    String grpc = call.grpcFullMethod();
    if (grpc != null) {
      return new ClientCallInfo(Protocol.GRPC, destination, grpc, null, rule, subset, known, null);
    }
    String method = call.httpMethod();
    return new ClientCallInfo(
        Protocol.HTTP,
        destination,
        method == null ? "GET" : method,
        call.path(),
        rule,
        subset,
        known,
        null);
  }
}
