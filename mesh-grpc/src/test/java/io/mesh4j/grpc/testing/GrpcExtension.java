package io.mesh4j.grpc.testing;

import io.grpc.ManagedChannel;
import io.grpc.ServerInterceptor;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * Starts real gRPC backends on loopback for one test and closes everything the test registered
 * after it, newest first: channels are shut down gracefully, then forcibly, then servers. In the
 * spirit of grpc-java's {@code GrpcCleanupRule}, which has no JUnit 5 counterpart.
 *
 * <p>A channel that does not terminate fails the test, so leaked calls are noticed.
 */
public final class GrpcExtension implements AfterEachCallback {

  private final Deque<AutoCloseable> resources = new ArrayDeque<>();

  /** A started backend answering with {@code name}. */
  public Backend backend(String name, ServerInterceptor... interceptors) {
    Backend backend = new Backend(name, List.of(interceptors));
    register(backend);
    return backend;
  }

  /** Started backends, one per name. */
  public List<Backend> backends(String... names) {
    List<Backend> out = new ArrayList<>();
    for (String name : names) {
      out.add(backend(name));
    }
    return out;
  }

  /** Closes {@code channel} after the test. */
  public <T extends ManagedChannel> T channel(T channel) {
    AutoCloseable closer =
        () -> {
          channel.shutdown();
          if (!channel.awaitTermination(5, TimeUnit.SECONDS)) {
            channel.shutdownNow();
            if (!channel.awaitTermination(5, TimeUnit.SECONDS)) {
              throw new IllegalStateException("channel did not terminate: " + channel);
            }
          }
        };
    register(closer);
    return channel;
  }

  /** Closes {@code resource} after the test. */
  public <T extends AutoCloseable> T register(T resource) {
    synchronized (resources) {
      resources.push(resource);
    }
    return resource;
  }

  @Override
  public void afterEach(ExtensionContext context) throws Exception {
    Exception first = null;
    while (true) {
      AutoCloseable next;
      synchronized (resources) {
        next = resources.poll();
      }
      if (next == null) {
        break;
      }
      try {
        next.close();
      } catch (Exception e) {
        if (first == null) {
          first = e;
        } else {
          first.addSuppressed(e);
        }
      }
    }
    if (first != null) {
      throw first;
    }
  }
}
