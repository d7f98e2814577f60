package io.mesh4j.http.testing;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import reactor.blockhound.BlockHound;
import reactor.blockhound.BlockingOperationError;
import reactor.blockhound.integration.BlockHoundIntegration;

/**
 * Records every blocking call BlockHound catches on a non-blocking thread (Reactor Netty's event
 * loops, Reactor's parallel scheduler), so a test can assert there was none even where the error
 * BlockHound throws is swallowed by the code that blocked. Loaded by BlockHound's {@code
 * ServiceLoader} when its JUnit Platform listener installs it (only in the blocking checks' run).
 */
public final class BlockingCalls implements BlockHoundIntegration {

  /** What blocked, and on which thread, in the order caught. */
  public static final List<String> CAUGHT = new CopyOnWriteArrayList<>();

  @Override
  public void applyTo(BlockHound.Builder builder) {
    builder.blockingMethodCallback(
        method -> {
          CAUGHT.add(method + " on " + Thread.currentThread().getName());
          throw new BlockingOperationError(method);
        });
  }
}
