package io.mesh4j.http;

import io.mesh4j.core.call.Endpoint;
import java.util.concurrent.atomic.AtomicReferenceArray;
import okhttp3.HttpUrl;

/**
 * The application's URL rewritten for an endpoint, remembered in a small direct-mapped cache:
 * building an {@link HttpUrl} re-encodes the path and canonicalises the host, which was most of
 * what the interceptor cost per attempt. A hit allocates nothing; a miss costs what building
 * always cost, plus one entry. Thread-safe (entries are immutable and replaced whole).
 */
final class TargetUrls {

  private static final int SLOTS = 64;

  private record Entry(HttpUrl source, Endpoint endpoint, HttpUrl target) {}

  private final boolean https;
  private final AtomicReferenceArray<Entry> slots = new AtomicReferenceArray<>(SLOTS);

  /**
   * @param https whether every target uses {@code https}, whatever the application wrote
   */
  TargetUrls(boolean https) {
    this.https = https;
  }

  @SuppressWarnings("ReferenceEquality") // identity is the point: see below
  HttpUrl target(HttpUrl url, Endpoint endpoint) {
    int slot = (url.hashCode() * 31 + System.identityHashCode(endpoint)) & (SLOTS - 1);
    Entry e = slots.get(slot);
    // Endpoints are compared by identity: a snapshot's endpoints are shared by all its calls, and a
    // new snapshot's endpoints only cost a miss.
    if (e != null && e.endpoint == endpoint && e.source.equals(url)) {
      return e.target;
    }
    HttpUrl.Builder b = url.newBuilder().host(endpoint.address()).port(endpoint.port());
    if (https) {
      b.scheme("https");
    }
    HttpUrl target = b.build();
    slots.set(slot, new Entry(url, endpoint, target));
    return target;
  }
}
