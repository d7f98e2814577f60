package io.mesh4j.benchmarks;

import io.grpc.CallOptions;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.Server;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.ClientCalls;
import io.mesh4j.benchmarks.load.Echo;
import io.mesh4j.benchmarks.load.MeshPolicies;
import io.mesh4j.core.Mesh;
import io.mesh4j.core.source.StaticConfigSource;
import io.mesh4j.grpc.MeshChannels;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.EnumSet;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

/**
 * One blocking unary echo call through the gRPC adapter, against the same call without the mesh.
 *
 * <ul>
 *   <li>{@code transport=IN_PROCESS}: grpc-java's in-process transport, no sockets; the mesh
 *       channel is {@link MeshChannels#inProcessBuilderForService}, so the interceptor and the
 *       {@code mesh4j_endpoint} picker are on the path, as over Netty, with no network noise.
 *   <li>{@code transport=IN_PROCESS_INTERCEPTOR}: the same transport, the mesh's {@link
 *       MeshChannels#clientInterceptor} on a channel the application built ({@code pick_first},
 *       grpc-java's own retries off as on a mesh channel): what the adapter adds where the mesh
 *       does not own the channel's picker, and must name each attempt's tracer in a copy of its
 *       call options. Its plain row is the {@code IN_PROCESS} one.
 *   <li>{@code transport=NETTY}: a real loopback connection; the mesh channel is {@link
 *       MeshChannels#forService}.
 * </ul>
 *
 * <p>The mesh's policy has every client feature on (routing with a weighted split, timeout and
 * retries, least-request, outlier detection, retry budget, circuit breaker).
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class GrpcAdapterBenchmark {

  /** Which transport carries the call. */
  public enum Transport {
    /** grpc-java's in-process transport. */
    IN_PROCESS,
    /** The in-process transport, the mesh's interceptor on the application's own channel. */
    IN_PROCESS_INTERCEPTOR,
    /** Netty on 127.0.0.1. */
    NETTY
  }

  @Param({"IN_PROCESS", "IN_PROCESS_INTERCEPTOR", "NETTY"})
  Transport transport;

  @Param({"false", "true"})
  boolean mesh;

  /**
   * Whether the plain channel keeps grpc-java's own retries on (its default) or turns them off
   * (as a mesh channel does, since the mesh retries): {@code OFF} measures the adapter alone.
   */
  @Param({"ON"})
  Switch plainRetries;

  /** A plain channel's retries. */
  public enum Switch {
    /** grpc-java's default. */
    ON,
    /** {@code disableRetry()}. */
    OFF
  }

  /** What the matched rule also does: nothing, or set one request metadata entry. */
  @Param({"NONE", "HEADER_SET"})
  String filter;

  private Server server;
  private Mesh meshInstance;
  private StaticConfigSource source;
  private ManagedChannel channel;
  private final byte[] payload = new byte[100];

  /** The port of the in-process rows' endpoint; nothing listens on it. */
  private static final int IN_PROCESS_PORT = 50051;

  /** Starts the server and the channel for this trial. */
  @Setup(Level.Trial)
  public void setUp() throws Exception {
    boolean inProcess = transport != Transport.NETTY;
    // The mesh channel's endpoint: the in-process server is named after it.
    String name = "127.0.0.1:" + IN_PROCESS_PORT;
    int port = IN_PROCESS_PORT;
    if (inProcess) {
      server = InProcessServerBuilder.forName(name).directExecutor().addService(Echo.service())
          .build().start();
    } else {
      server = NettyServerBuilder.forAddress(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0))
          .directExecutor().addService(Echo.service()).build().start();
      port = server.getPort();
    }
    if (mesh) {
      String policy = MeshPolicies.yaml("echo", port, EnumSet.allOf(MeshPolicies.Feature.class), "UNAVAILABLE");
      if (filter.equals("HEADER_SET")) {
        String rule = "    - name: default\n";
        policy = policy.replace(rule, rule + "      requestHeaders: {set: [{name: x-tenant, value: bench}]}\n");
      }
      source = StaticConfigSource.parse(policy);
      meshInstance = Mesh.builder().configSource(source).build();
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
      while (meshInstance.appliedVersion() <= 0 && System.nanoTime() < deadline) {
        Thread.sleep(5);
      }
    }
    if (!mesh) {
      ManagedChannelBuilder<?> builder = inProcess
          ? InProcessChannelBuilder.forName(name).directExecutor()
          : NettyChannelBuilder.forAddress("127.0.0.1", port).usePlaintext();
      if (plainRetries == Switch.OFF) {
        builder.disableRetry();
      }
      channel = builder.build();
    } else if (transport == Transport.IN_PROCESS) {
      channel = MeshChannels.inProcessBuilderForService(meshInstance, "echo.bench").directExecutor().build();
    } else if (transport == Transport.IN_PROCESS_INTERCEPTOR) {
      // The authority names the destination, as the mesh resolver would set it.
      channel = InProcessChannelBuilder.forName(name).directExecutor()
          .overrideAuthority("echo.bench").disableRetry()
          .intercept(MeshChannels.clientInterceptor(meshInstance))
          .build();
    } else {
      channel = MeshChannels.forService(meshInstance, "echo.bench");
    }
    call();
  }

  /** One blocking unary call. */
  @Benchmark
  public byte[] call() {
    return ClientCalls.blockingUnaryCall(channel, Echo.METHOD,
        CallOptions.DEFAULT.withDeadlineAfter(10, TimeUnit.SECONDS), payload);
  }

  /** Stops what {@link #setUp} started. */
  @TearDown(Level.Trial)
  public void tearDown() throws Exception {
    channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    server.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    if (meshInstance != null) {
      meshInstance.close();
      source.close();
    }
  }
}
