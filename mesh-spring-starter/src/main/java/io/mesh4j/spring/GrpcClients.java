package io.mesh4j.spring;

import io.grpc.Channel;
import io.grpc.ManagedChannel;
import io.mesh4j.core.Mesh;
import io.mesh4j.grpc.MeshChannels;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;

/**
 * The gRPC half of {@link MeshClientPostProcessor}, in a class of its own so that grpc-java is
 * loaded only when a field asks for a channel or a stub.
 */
final class GrpcClients {

  // long enough for calls in flight to finish, short enough not to stall a shutdown
  private static final long TERMINATION_SECONDS = 5;

  private GrpcClients() {}

  /** The one place client channels are built: mutual TLS when the application has an identity. */
  static Object channel(Mesh mesh, String destination, boolean mtls) {
    return mtls
        ? MeshChannels.forServiceWithMtls(mesh, destination)
        : MeshChannels.forService(mesh, destination);
  }

  /**
   * A generated stub of {@code stubType} on {@code channel}, made by the static factory of the
   * enclosing {@code *Grpc} class that takes a {@link Channel} and returns that type ({@code
   * newBlockingStub}, {@code newStub}, {@code newFutureStub}, {@code newBlockingV2Stub}).
   *
   * @throws IllegalArgumentException when the type is not nested in a class with such a factory
   */
  static Object stub(Object channel, Class<?> stubType) {
    Method factory = stubFactory(stubType);
    try {
      return factory.invoke(null, (Channel) channel);
    } catch (IllegalAccessException e) {
      throw new IllegalArgumentException("cannot call " + factory + ": " + e.getMessage(), e);
    } catch (InvocationTargetException e) {
      throw new IllegalArgumentException(
          factory + " failed: " + e.getCause(), e.getCause() != null ? e.getCause() : e);
    }
  }

  static Method stubFactory(Class<?> stubType) {
    Class<?> grpcClass = stubType.getEnclosingClass();
    if (grpcClass == null) {
      throw new IllegalArgumentException(
          stubType.getName()
              + " is not nested in a generated *Grpc class, so no factory builds it; expected a"
              + " type such as FooGrpc.FooBlockingStub");
    }
    List<String> seen = new ArrayList<>();
    @Nullable Method found = null;
    for (Method m : grpcClass.getMethods()) {
      if (Modifier.isStatic(m.getModifiers())
          && m.getParameterCount() == 1
          && m.getParameterTypes()[0] == Channel.class
          && m.getReturnType() == stubType) {
        found = m;
        break;
      }
      if (Modifier.isStatic(m.getModifiers()) && m.getName().startsWith("new")) {
        seen.add(m.getName());
      }
    }
    if (found == null) {
      throw new IllegalArgumentException(
          grpcClass.getName()
              + " has no public static factory taking an io.grpc.Channel and returning "
              + stubType.getSimpleName()
              + " (found "
              + seen
              + ")");
    }
    return found;
  }

  static void shutdown(Object channel) {
    ((ManagedChannel) channel).shutdown();
  }

  static void awaitTermination(Object channel) {
    ManagedChannel c = (ManagedChannel) channel;
    try {
      if (!c.awaitTermination(TERMINATION_SECONDS, TimeUnit.SECONDS)) {
        c.shutdownNow();
      }
    } catch (InterruptedException e) {
      c.shutdownNow();
      Thread.currentThread().interrupt();
    }
  }
}
