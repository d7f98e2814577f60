package io.mesh4j.core.call;

import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * A call the mesh failed on its own, before or instead of sending it: the circuit is open, no
 * endpoint is healthy, a rate limit or fault injection refused it, and so on. The message says
 * so in words, e.g. {@code mesh4j: circuit open for catalog.shop/v2 (failure rate 62% >= 50%)};
 * {@link #grpcStatus()} and {@link #httpStatus()} tell adapters what to answer the caller.
 *
 * <p>Immutable. It carries no stack trace: it describes a decision, not a programming error.
 */
public final class MeshFailure extends RuntimeException {

  private static final long serialVersionUID = 1L;

  /** The message, which every failure has: it says what the mesh did and why. */
  @Override
  public String getMessage() {
    return Objects.requireNonNull(super.getMessage());
  }

  /** Why the mesh refused a call. */
  public enum Reason {
    /** The destination has neither endpoints nor routes in the applied policy. */
    UNKNOWN_DESTINATION("unknown destination", "UNAVAILABLE", 503),
    /** The chosen subset has no endpoints at all (or the route's weights are all zero). */
    NO_ENDPOINTS("no endpoints", "UNAVAILABLE", 503),
    /** Every endpoint of the chosen subset is ejected by outlier detection. */
    NO_HEALTHY_ENDPOINT("no healthy endpoint", "UNAVAILABLE", 503),
    /** The subset's circuit breaker is open, or half-open with its trial calls taken. */
    CIRCUIT_OPEN("circuit open", "UNAVAILABLE", 503),
    /** The subset already has its maximum number of concurrent requests. */
    MAX_CONCURRENCY("too many concurrent requests", "UNAVAILABLE", 503),
    /** The subset's adaptive concurrency limit is reached. */
    CONCURRENCY_LIMITED("adaptive concurrency limit reached", "UNAVAILABLE", 503),
    /** A local token bucket (client or server side) is empty. */
    RATE_LIMITED("rate limited", "RESOURCE_EXHAUSTED", 429),
    /** An injected abort fault. */
    FAULT_ABORT("injected fault", "UNAVAILABLE", 503),
    /**
     * Gateway API routes attach to the destination (on the call's port) and none of their rules
     * matches the call: 404 for HTTP, {@code UNIMPLEMENTED} for gRPC, as the specification asks.
     */
    NO_ROUTE("no matching route rule", "UNIMPLEMENTED", 404),
    /**
     * The destination's retry budget has no room for another retry. Reported to listeners; the
     * caller gets the last attempt's own error, which says more than this.
     */
    RETRY_BUDGET_EXHAUSTED("retry budget exhausted", "UNAVAILABLE", 503),
    /** The call's deadline passed before another attempt could start. */
    DEADLINE_EXCEEDED("deadline exceeded", "DEADLINE_EXCEEDED", 504),
    /** An {@code AuthorizationPolicy} refused an incoming call. */
    DENIED("denied", "PERMISSION_DENIED", 403),
    /**
     * Mutual TLS is {@code STRICT} and an incoming call has no verified identity (it came over
     * plaintext, or without a client certificate).
     */
    UNAUTHENTICATED("unauthenticated call", "UNAUTHENTICATED", 401),
    /**
     * The application cancelled the call while the mesh held it (waiting out a fault delay or a
     * retry's backoff), so no further attempt was sent. 499 is the customary "client closed
     * request".
     */
    CANCELLED("call cancelled", "CANCELLED", 499);

    private final String phrase;
    private final int grpcCode;
    private final int httpStatus;

    Reason(String phrase, String grpcStatus, int httpStatus) {
      this.phrase = phrase;
      this.grpcCode = CallStatus.grpc(grpcStatus).code();
      this.httpStatus = httpStatus;
    }

    /** The words used in messages, e.g. {@code circuit open}. */
    public String phrase() {
      return phrase;
    }
  }

  private final Reason reason;
  private final String destination;
  private final @Nullable String subset;
  private final CallStatus grpcStatus;
  private final int httpStatus;

  private MeshFailure(
      Reason reason,
      String destination,
      @Nullable String subset,
      String detail,
      CallStatus grpcStatus,
      int httpStatus) {
    super(message(reason, destination, subset, detail), null, false, false);
    this.reason = reason;
    this.destination = destination;
    this.subset = subset;
    this.grpcStatus = grpcStatus;
    this.httpStatus = httpStatus;
  }

  /**
   * A failure with the reason's usual statuses.
   *
   * @param destination the destination service, {@code name.namespace}
   * @param subset the subset, or null when the call was not (yet) bound to one
   * @param detail the explanation in parentheses; empty for none
   */
  public static MeshFailure of(
      Reason reason, String destination, @Nullable String subset, String detail) {
    return new MeshFailure(
        reason, destination, subset, detail, CallStatus.grpc(reason.grpcCode), reason.httpStatus);
  }

  /**
   * An injected abort that answers with the configured statuses.
   *
   * @param grpcStatus a gRPC code name, e.g. {@code UNAVAILABLE}
   */
  public static MeshFailure faultAbort(
      String destination, @Nullable String subset, String grpcStatus, int httpStatus) {
    return new MeshFailure(
        Reason.FAULT_ABORT,
        destination,
        subset,
        "abort with " + grpcStatus + " / HTTP " + httpStatus,
        CallStatus.grpc(grpcStatus),
        httpStatus);
  }

  private static String message(
      Reason reason, String destination, @Nullable String subset, String detail) {
    StringBuilder sb = new StringBuilder("mesh4j: ").append(reason.phrase).append(" for ");
    sb.append(destination);
    if (subset != null) {
      sb.append('/').append(subset);
    }
    if (!detail.isEmpty()) {
      sb.append(" (").append(detail).append(')');
    }
    return sb.toString();
  }

  public Reason reason() {
    return reason;
  }

  /** The destination service, {@code name.namespace}. */
  public String destination() {
    return destination;
  }

  /** The subset, or null when the call was not bound to one. */
  public @Nullable String subset() {
    return subset;
  }

  /** The gRPC status a gRPC adapter should answer with, e.g. {@code UNAVAILABLE}. */
  public CallStatus grpcStatus() {
    return grpcStatus;
  }

  /** What an adapter of {@code protocol} answers the caller with. */
  public CallStatus status(Protocol protocol) {
    return protocol == Protocol.GRPC ? grpcStatus : CallStatus.http(httpStatus);
  }

  /** The HTTP status an HTTP adapter should answer with, e.g. {@code 503}. */
  public int httpStatus() {
    return httpStatus;
  }
}
