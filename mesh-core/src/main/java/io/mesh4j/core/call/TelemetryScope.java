package io.mesh4j.core.call;

/**
 * Makes a server call's trace context current on the calling thread until closed, so that the
 * calls the handler makes become children of the server span. Must be closed on the thread that
 * opened it.
 */
@FunctionalInterface
public interface TelemetryScope extends AutoCloseable {

  /** The scope that changes nothing. */
  TelemetryScope NONE = () -> {};

  @Override
  void close();
}
