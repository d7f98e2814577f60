package io.mesh4j.controller.ca;

import java.util.EnumMap;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Counts what the certificate service did: certificates issued, and requests refused by reason.
 * Published on the admin endpoint's {@code /metrics} as {@code
 * mesh4j_controller_certificates_issued_total} and {@code
 * mesh4j_controller_certificate_refusals_total{reason=...}}.
 *
 * <p>Thread-safe; counting is one atomic increment.
 */
public final class IssuanceMetrics {

  /** Why a request was refused; the label value is {@link #label()}. */
  public enum Refusal {
    /** No bearer token, or one that proves nobody: {@code UNAUTHENTICATED}. */
    UNAUTHENTICATED("unauthenticated"),
    /** The request named an identity the token does not prove: {@code PERMISSION_DENIED}. */
    IDENTITY_MISMATCH("identity_mismatch"),
    /** Not a well-formed PKCS#10 request signed by its key: {@code INVALID_ARGUMENT}. */
    INVALID_CSR("invalid_csr"),
    /** A request larger than any honest CSR, refused unread: {@code INVALID_ARGUMENT}. */
    CSR_TOO_LARGE("csr_too_large"),
    /** More requests from one identity than its token bucket allows: {@code RESOURCE_EXHAUSTED}. */
    RATE_LIMITED("rate_limited"),
    /** The token could not be checked or the request signed now: {@code UNAVAILABLE}. */
    UNAVAILABLE("unavailable");

    private final String label;

    Refusal(String label) {
      this.label = label;
    }

    /** The Prometheus label value. */
    public String label() {
      return label;
    }
  }

  private final AtomicLong issued = new AtomicLong();
  private final Map<Refusal, AtomicLong> refusals = new EnumMap<>(Refusal.class);

  public IssuanceMetrics() {
    for (Refusal r : Refusal.values()) {
      refusals.put(r, new AtomicLong());
    }
  }

  void issued() {
    issued.incrementAndGet();
  }

  void refused(Refusal reason) {
    Objects.requireNonNull(refusals.get(reason)).incrementAndGet();
  }

  /** Certificates signed since start. */
  public long issuedCount() {
    return issued.get();
  }

  /** Requests refused for {@code reason} since start. */
  public long refusedCount(Refusal reason) {
    return Objects.requireNonNull(refusals.get(reason)).get();
  }

  /** Appends the counters in Prometheus text format. */
  public void writePrometheus(StringBuilder sb) {
    sb.append("# HELP mesh4j_controller_certificates_issued_total Workload certificates signed.\n");
    sb.append("# TYPE mesh4j_controller_certificates_issued_total counter\n");
    sb.append("mesh4j_controller_certificates_issued_total ").append(issuedCount()).append('\n');
    sb.append("# HELP mesh4j_controller_certificate_refusals_total Certificate requests refused, by reason.\n");
    sb.append("# TYPE mesh4j_controller_certificate_refusals_total counter\n");
    for (Refusal r : Refusal.values()) {
      sb.append("mesh4j_controller_certificate_refusals_total{reason=\"")
          .append(r.label())
          .append("\"} ")
          .append(refusedCount(r))
          .append('\n');
    }
  }
}
