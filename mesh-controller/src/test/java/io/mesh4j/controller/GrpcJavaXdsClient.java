package io.mesh4j.controller;

import io.grpc.ChannelCredentials;
import io.grpc.Grpc;
import io.grpc.ManagedChannel;
import io.grpc.NameResolverRegistry;
import io.grpc.xds.XdsNameResolverProvider;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * grpc-java's own xDS client ({@code grpc-xds}) calling {@code target} through a bootstrap naming
 * the controller. Each channel gets a scheme of its own with the bootstrap given directly, so no
 * process-wide property or file is involved and tests may run side by side.
 */
final class GrpcJavaXdsClient {

  private static final AtomicInteger SCHEMES = new AtomicInteger();

  private GrpcJavaXdsClient() {}

  /**
   * @param node the bootstrap's {@code node}: what the client claims to be, not its identity
   * @param certificateProviders the bootstrap's {@code certificate_providers}, empty for none
   * @param closing where the channel and its resolver are added to be closed
   */
  static ManagedChannel channel(
      int xdsPort,
      String target,
      Map<String, ?> node,
      Map<String, ?> certificateProviders,
      ChannelCredentials credentials,
      List<AutoCloseable> closing) {
    String scheme = "xds-java" + SCHEMES.incrementAndGet();
    Map<String, Object> bootstrap = new HashMap<>();
    bootstrap.put("xds_servers", List.of(Map.of(
        "server_uri", "127.0.0.1:" + xdsPort,
        "channel_creds", List.of(Map.of("type", "insecure")),
        "server_features", List.of("xds_v3"))));
    bootstrap.put("node", node);
    if (!certificateProviders.isEmpty()) {
      bootstrap.put("certificate_providers", certificateProviders);
    }
    XdsNameResolverProvider provider = XdsNameResolverProvider.createForTest(scheme, bootstrap);
    NameResolverRegistry.getDefaultRegistry().register(provider);
    closing.add(() -> NameResolverRegistry.getDefaultRegistry().deregister(provider));
    ManagedChannel channel = Grpc.newChannelBuilder(scheme + ":///" + target, credentials).build();
    closing.add(() -> channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS));
    return channel;
  }
}
