package io.mesh4j.http;

import io.mesh4j.core.call.Endpoint;
import java.util.concurrent.atomic.AtomicReferenceArray;

/**
 * The application's URL rewritten for an endpoint, remembered in a small direct-mapped cache:
 * building a URL re-encodes the path and canonicalises the host, which was most of what an
 * adapter cost per attempt. A hit allocates nothing; a miss costs what building always cost, plus
 * one entry. Each client adapter subclasses it for its own URL type. Thread-safe (entries are
 * immutable and replaced whole).
 *
 * @param <U> the transport's URL type, with value equality
 */
abstract class EndpointTargets<U> {

  private static final int SLOTS = 64;

  private record Entry<U>(U source, Endpoint endpoint, U target) {}

  /** Whether every target uses {@code https}, whatever the application wrote. */
  final boolean https;

  private final AtomicReferenceArray<Entry<U>> slots = new AtomicReferenceArray<>(SLOTS);

  EndpointTargets(boolean https) {
    this.https = https;
  }

  @SuppressWarnings("ReferenceEquality") // identity is the point: see below
  final U target(U url, Endpoint endpoint) {
    int slot = (url.hashCode() * 31 + System.identityHashCode(endpoint)) & (SLOTS - 1);
    Entry<U> e = slots.get(slot);
    // Endpoints are compared by identity: a snapshot's endpoints are shared by all its calls, and a
    // new snapshot's endpoints only cost a miss.
    if (e != null && e.endpoint == endpoint && e.source.equals(url)) {
      return e.target;
    }
    U target = build(url, endpoint);
    slots.set(slot, new Entry<>(url, endpoint, target));
    return target;
  }

  /** {@code url} with the endpoint's address and port (and {@code https} when asked). */
  abstract U build(U url, Endpoint endpoint);
}
