package io.mesh4j.core.call;

/**
 * How one attempt ended, in transport-neutral terms: a success, or a failure of some {@link Kind}
 * with a code. The engine times attempts itself (from admission to settling), so an outcome
 * carries no latency and the common ones are shared: settling a success allocates nothing.
 * Adapters report non-OK responses as {@link Kind#STATUS} failures; the engine decides which of
 * them count against an endpoint's health (HTTP 5xx; gRPC {@code UNAVAILABLE}, {@code INTERNAL},
 * {@code UNKNOWN}, {@code DATA_LOSS}, {@code DEADLINE_EXCEEDED}), so that a {@code NOT_FOUND}
 * never ejects a healthy server.
 *
 * <p>A failure may carry the server's <em>pushback</em> ({@link #withPushback}): how long it asked
 * the client to wait before trying again (HTTP {@code Retry-After}, gRPC {@code
 * grpc-retry-pushback-ms}), or that it asked for no retry at all. Only failures carry one, so the
 * success path stays free of it.
 *
 * <p>Immutable.
 */
public final class Outcome {

  /** What kind of end an attempt had. */
  public enum Kind {
    /** The response was OK. */
    SUCCESS,
    /** No connection could be made; the request was never sent. */
    CONNECT_FAILURE,
    /** The attempt's own timeout (per-try or overall) expired. */
    TIMEOUT,
    /** The connection or stream was reset after the request was sent. */
    RESET,
    /** The peer answered with a non-OK status: a gRPC code name or an HTTP status. */
    STATUS,
    /** The caller gave up; the attempt says nothing about the endpoint's health. */
    CANCELLED
  }

  private final Kind kind;
  private final String code;
  private final int httpStatus;
  private final boolean serverFailure;
  private final boolean charged;
  // NO_PUSHBACK, STOP_PUSHBACK, or the nanoseconds the server asked to wait
  private final long pushback;

  private static final long NO_PUSHBACK = Long.MIN_VALUE;
  private static final long STOP_PUSHBACK = -1;

  private static final Outcome SUCCESS = new Outcome(Kind.SUCCESS, "");
  private static final Outcome CANCELLED = new Outcome(Kind.CANCELLED, "");

  private Outcome(Kind kind, String code) {
    this(
        kind,
        code,
        kind == Kind.STATUS ? parseHttpStatus(code) : 0,
        switch (kind) {
          case SUCCESS, CANCELLED -> false;
          case CONNECT_FAILURE, TIMEOUT, RESET -> true;
          case STATUS -> parseHttpStatus(code) >= 500 || isServerGrpcCode(code);
        });
  }

  private Outcome(Kind kind, String code, int httpStatus, boolean serverFailure) {
    this(kind, code, httpStatus, serverFailure, kind != Kind.CANCELLED);
  }

  private Outcome(
      Kind kind, String code, int httpStatus, boolean serverFailure, boolean charged) {
    this(kind, code, httpStatus, serverFailure, charged, NO_PUSHBACK);
  }

  private Outcome(
      Kind kind,
      String code,
      int httpStatus,
      boolean serverFailure,
      boolean charged,
      long pushback) {
    this.kind = kind;
    this.code = code;
    this.httpStatus = httpStatus;
    this.serverFailure = serverFailure;
    this.charged = charged;
    this.pushback = pushback;
  }

  /** A successful attempt (a shared instance). */
  public static Outcome success() {
    return SUCCESS;
  }

  /**
   * A failed attempt.
   *
   * @param kind any kind but {@link Kind#SUCCESS}
   * @param code for {@link Kind#STATUS}, the gRPC code name ({@code UNAVAILABLE}) or the decimal
   *     HTTP status ({@code 503}), read from its shape (adapters, which know which it is, use
   *     {@link #status}); otherwise a free description, possibly empty
   */
  public static Outcome failure(Kind kind, String code) {
    if (kind == Kind.SUCCESS) {
      throw new IllegalArgumentException("use Outcome.success for successful attempts");
    }
    return new Outcome(kind, code);
  }

  /**
   * An attempt the peer answered with a non-OK {@code status}: a {@link Kind#STATUS} failure, typed
   * as the adapter read it, so nothing is guessed from the code's shape.
   *
   * @throws IllegalArgumentException when {@code status} is OK
   */
  public static Outcome status(CallStatus status) {
    if (status.isOk()) {
      throw new IllegalArgumentException("an OK status is Outcome.success, not " + status);
    }
    boolean http = status.protocol() == Protocol.HTTP;
    return new Outcome(
        Kind.STATUS,
        status.name(),
        http ? status.code() : 0,
        http ? status.code() >= 500 : isServerGrpcCode(status.name()));
  }

  /**
   * The attempt's time ran out while it waited for a connection to its endpoint, before anything
   * was sent: a {@link Kind#CONNECT_FAILURE} for retries (it may be replayed, and is retried on
   * {@code connect-failure} or {@code per-try-timeout}), but not the endpoint's fault. A connection that is slow to open
   * (the first one of a process, a cold server) says nothing about how the endpoint answers, so
   * the attempt releases its permits and records nothing, like a cancelled one; a connection that
   * fails is a plain connect failure, which counts.
   */
  public static Outcome connectionWait(String code) {
    return new Outcome(Kind.CONNECT_FAILURE, code, 0, false, false);
  }

  /**
   * The caller cancelled the attempt; it releases its permits and records nothing (a shared
   * instance).
   */
  public static Outcome cancelled() {
    return CANCELLED;
  }

  /**
   * This failure with the server's pushback: a retry, if the rule allows one, waits at least
   * {@code nanos} (the longer of it and the rule's backoff), and is not made when that wait would
   * end after the call's deadline; a negative {@code nanos} says the server asked for no retry at
   * all (gRPC's negative or malformed {@code grpc-retry-pushback-ms}). The pushback changes only
   * when a retry may happen, never whether the outcome is retryable: {@code retryOn} decides that.
   * A new instance; adapters make one only for a failure whose reply carried a pushback.
   *
   * @throws IllegalStateException for a success or a cancelled attempt, which are never retried
   */
  public Outcome withPushback(long nanos) {
    if (kind == Kind.SUCCESS || kind == Kind.CANCELLED) {
      throw new IllegalStateException("only a failure carries a pushback, not " + this);
    }
    return new Outcome(
        kind, code, httpStatus, serverFailure, charged, nanos < 0 ? STOP_PUSHBACK : nanos);
  }

  /** Whether the server's reply said when, or whether, to retry ({@link #withPushback}). */
  public boolean hasPushback() {
    return pushback != NO_PUSHBACK;
  }

  /**
   * The server's pushback: the nanoseconds a retry must wait at least, or a negative value when
   * the server asked for no retry; 0 when {@link #hasPushback()} is false.
   */
  public long pushbackNanos() {
    return pushback == NO_PUSHBACK ? 0 : pushback;
  }

  public Kind kind() {
    return kind;
  }

  /** The status code or description given at creation; empty for successes. */
  public String code() {
    return code;
  }

  /** The HTTP status if {@link #code()} is one, else 0. */
  public int httpStatus() {
    return httpStatus;
  }

  public boolean isSuccess() {
    return kind == Kind.SUCCESS;
  }

  /**
   * Whether this outcome counts against the endpoint and its subset (outlier detection, circuit
   * breaking).
   */
  public boolean isServerFailure() {
    return serverFailure;
  }

  /**
   * Whether the attempt is charged to its endpoint and subset (balancing, outlier detection,
   * circuit breaking, adaptive limit); false for cancelled attempts and {@link #connectionWait}s.
   */
  public boolean charged() {
    return charged;
  }

  private static int parseHttpStatus(String code) {
    if (code.length() != 3) {
      return 0;
    }
    int v = 0;
    for (int i = 0; i < 3; i++) {
      char c = code.charAt(i);
      if (c < '0' || c > '9') {
        return 0;
      }
      v = v * 10 + (c - '0');
    }
    return v;
  }

  private static boolean isServerGrpcCode(String code) {
    return switch (code) {
      case "UNAVAILABLE", "INTERNAL", "UNKNOWN", "DATA_LOSS", "DEADLINE_EXCEEDED" -> true;
      default -> false;
    };
  }

  @Override
  public String toString() {
    String text = code.isEmpty() ? kind.toString() : kind + " " + code;
    if (pushback == NO_PUSHBACK) {
      return text;
    }
    return text + (pushback < 0 ? ", pushback: no retry" : ", pushback " + pushback + "ns");
  }
}
