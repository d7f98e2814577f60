package io.mesh4j.controller.ca;

import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.concurrent.atomic.AtomicReference;

/** Wall-clock time that moves only when a test says so; starts now so real TLS accepts its dates. */
final class MutableClock implements InstantSource {

  private final AtomicReference<Instant> now = new AtomicReference<>(Instant.now());

  @Override
  public Instant instant() {
    return now.get();
  }

  MutableClock advance(Duration d) {
    now.updateAndGet(t -> t.plus(d));
    return this;
  }
}
