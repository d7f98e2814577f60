package io.mesh4j.controller.serve;

import java.util.concurrent.atomic.AtomicLongArray;

/**
 * Why the controller refused something a policy stream sent. A closed set, so the metric that
 * counts them has a bounded number of series whatever clients send.
 */
public enum StreamRefusal {
  /** No bearer token, or one that proves nobody. */
  UNAUTHENTICATED("unauthenticated"),
  /** The token could not be checked now (the TokenReview API is away). */
  UNAVAILABLE("unavailable"),
  /** The Hello claims a namespace or SPIFFE ID other than the one the token proves. */
  IDENTITY_MISMATCH("identity_mismatch"),
  /** The Hello names a service to serve that the proven identity does not serve. */
  NOT_SERVED_BY_CALLER("not_served_by_caller"),
  /** A Hello that is malformed, too large, or not first; a message of no known kind. */
  INVALID_MESSAGE("invalid_message"),
  /** An Ack or Nack for a version that is not the one last sent on that stream. */
  UNKNOWN_VERSION("unknown_version"),
  /** A second Ack or Nack for the same sent version. */
  DUPLICATE_ANSWER("duplicate_answer"),
  /** More open streams for one identity than the controller allows. */
  TOO_MANY_STREAMS("too_many_streams"),
  /** A call report with a malformed row or interval; ignored. */
  INVALID_REPORT("invalid_report"),
  /** A call report with more rows than the contract allows; ignored. */
  OVERSIZE_REPORT("oversize_report"),
  /** A call report too soon after the previous accepted one on its stream; ignored. */
  REPORT_TOO_FREQUENT("report_too_frequent"),
  /** A call report before the stream's Hello; ignored. */
  REPORT_BEFORE_HELLO("report_before_hello"),
  /** A stream closed because it sent too many refused call reports. */
  TOO_MANY_REFUSED_REPORTS("too_many_refused_reports");

  private final String label;

  StreamRefusal(String label) {
    this.label = label;
  }

  /** The metric label value. */
  public String label() {
    return label;
  }

  /** One counter per reason; thread-safe. */
  @SuppressWarnings("EnumOrdinal") // one atomic slot per reason, indexed without a map
  static final class Counts {
    private final AtomicLongArray counts = new AtomicLongArray(values().length);

    void add(StreamRefusal reason) {
      counts.incrementAndGet(reason.ordinal());
    }

    long get(StreamRefusal reason) {
      return counts.get(reason.ordinal());
    }
  }
}
