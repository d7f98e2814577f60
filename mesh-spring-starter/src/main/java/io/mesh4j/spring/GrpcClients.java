package io.mesh4j.spring;

import io.grpc.ManagedChannel;
import io.mesh4j.core.Mesh;
import io.mesh4j.grpc.MeshChannels;
import java.util.concurrent.TimeUnit;

/**
 * The gRPC half of {@link MeshClientPostProcessor}, in a class of its own so that grpc-java is
 * loaded only when a field asks for a channel.
 */
final class GrpcClients {

  // long enough for calls in flight to finish, short enough not to stall a shutdown
  private static final long TERMINATION_SECONDS = 5;

  private GrpcClients() {}

  static Object channel(Mesh mesh, String destination) {
    return MeshChannels.forService(mesh, destination);
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
