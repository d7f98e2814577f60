package io.mesh4j.core.call;

import java.util.Objects;

/**
 * How a call ended, as its application saw it: a gRPC status code or an HTTP status. Typed, so
 * that telemetry never has to guess a code from the shape of a string.
 *
 * <p>Immutable. The gRPC codes and the HTTP statuses 0 to 599 are shared constants, so reporting
 * a status allocates nothing.
 */
public final class CallStatus {

  private static final String[] GRPC_NAMES = {
    "OK", "CANCELLED", "UNKNOWN", "INVALID_ARGUMENT", "DEADLINE_EXCEEDED", "NOT_FOUND",
    "ALREADY_EXISTS", "PERMISSION_DENIED", "RESOURCE_EXHAUSTED", "FAILED_PRECONDITION",
    "ABORTED", "OUT_OF_RANGE", "UNIMPLEMENTED", "INTERNAL", "UNAVAILABLE", "DATA_LOSS",
    "UNAUTHENTICATED"
  };
  private static final CallStatus[] GRPC = new CallStatus[GRPC_NAMES.length];
  private static final CallStatus[] HTTP = new CallStatus[600];

  static {
    for (int i = 0; i < GRPC.length; i++) {
      GRPC[i] = new CallStatus(Protocol.GRPC, i, GRPC_NAMES[i]);
    }
    for (int i = 0; i < HTTP.length; i++) {
      HTTP[i] = new CallStatus(Protocol.HTTP, i, Integer.toString(i));
    }
  }

  /** An HTTP call that got no response at all (the connection failed or was cancelled). */
  public static final CallStatus NO_RESPONSE = HTTP[0];

  private final Protocol protocol;
  private final int code;
  private final String name;

  private CallStatus(Protocol protocol, int code, String name) {
    this.protocol = protocol;
    this.code = code;
    this.name = name;
  }

  /**
   * The gRPC status with {@code code} (0 {@code OK} to 16 {@code UNAUTHENTICATED}); a code outside
   * that range is {@code UNKNOWN}, as gRPC itself treats it.
   */
  public static CallStatus grpc(int code) {
    return code >= 0 && code < GRPC.length ? GRPC[code] : GRPC[2];
  }

  /**
   * The gRPC status named {@code name}, e.g. {@code UNAVAILABLE}.
   *
   * @throws IllegalArgumentException when no gRPC code has that name
   */
  public static CallStatus grpc(String name) {
    for (CallStatus s : GRPC) {
      if (s.name.equals(name)) {
        return s;
      }
    }
    throw new IllegalArgumentException("not a gRPC status code: " + name);
  }

  /** The HTTP status {@code status}; 0 is {@link #NO_RESPONSE}. */
  public static CallStatus http(int status) {
    if (status >= 0 && status < HTTP.length) {
      return HTTP[status];
    }
    if (status < 0) {
      throw new IllegalArgumentException("negative HTTP status: " + status);
    }
    return new CallStatus(Protocol.HTTP, status, Integer.toString(status));
  }

  /** The protocol the code belongs to. */
  public Protocol protocol() {
    return protocol;
  }

  /** The gRPC code number, or the HTTP status (0 when no response arrived). */
  public int code() {
    return code;
  }

  /** The gRPC code's name ({@code UNAVAILABLE}) or the decimal HTTP status ({@code 503}). */
  public String name() {
    return name;
  }

  /** Whether the call succeeded: gRPC {@code OK}, or an HTTP status below 400 (0 excluded). */
  public boolean isOk() {
    return protocol == Protocol.GRPC ? code == 0 : code > 0 && code < 400;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof CallStatus s && s.protocol == protocol && s.code == code;
  }

  @Override
  public int hashCode() {
    return Objects.hash(protocol, code);
  }

  @Override
  public String toString() {
    return protocol + " " + name;
  }
}
