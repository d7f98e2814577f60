package io.mesh4j.grpc;

import static io.mesh4j.core.testing.TestMesh.CATALOG;
import static io.mesh4j.core.testing.TestMesh.endpoints;
import static org.assertj.core.api.Assertions.assertThat;

import io.grpc.CallOptions;
import io.grpc.ManagedChannel;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.ClientCalls;
import io.mesh4j.core.testing.TestMesh;
import io.mesh4j.grpc.testing.Backend;
import io.mesh4j.grpc.testing.EchoService;
import io.mesh4j.grpc.testing.GrpcExtension;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Fresh endpoints whose connections take a second to open, ten times the per-try timeout (a cold
 * process, a slow handshake): attempts that run out of time while waiting for their connection
 * are not charged to the endpoint, so warm-up ejects nothing. The suite runs 5 rounds; {@code
 * -Dmesh4j.coldstart.runs=20} runs the 20.
 */
class ColdStartGrpcTest {

  @RegisterExtension final GrpcExtension grpc = new GrpcExtension();

  @Test
  @Timeout(120)
  void slowConnectionsDuringWarmUpEjectNoEndpoint() throws Exception {
    int runs = Integer.getInteger("mesh4j.coldstart.runs", 5);
    for (int run = 1; run <= runs; run++) {
      TestMesh mesh = new TestMesh();
      List<SlowAcceptor> proxies = new ArrayList<>();
      try {
        List<Object> portsAndVersions = new ArrayList<>();
        for (String name : List.of("a", "b", "c")) {
          Backend backend = grpc.backend(name + run);
          SlowAcceptor proxy = new SlowAcceptor(backend.port(), 1000);
          proxies.add(proxy);
          portsAndVersions.add(proxy.port());
          portsAndVersions.add("v1");
        }
        mesh.apply(
            endpoints(portsAndVersions.toArray())
                + """
                apiVersion: mesh4j.io/v1alpha1
                kind: TrafficRoute
                metadata: {name: catalog, namespace: shop}
                spec:
                  destination: catalog.shop
                  rules:
                    - backends: [{}]
                      retries: {attempts: 3, perTryTimeout: 100ms, retryOn: [per-try-timeout, connect-failure]}
                ---
                apiVersion: mesh4j.io/v1alpha1
                kind: DestinationPolicy
                metadata: {name: catalog, namespace: shop}
                spec:
                  destination: catalog.shop
                  outlierDetection: {consecutiveFailures: 2, maxEjectionPercent: 100}
                  loadBalancer: {panicThreshold: 0}
                """);
        ManagedChannel channel = MeshChannels.forService(mesh.mesh(), CATALOG);
        try {
          int ok = 0;
          int calls = 0;
          for (; calls < 40 && ok == 0; calls++) {
            try {
              ClientCalls.blockingUnaryCall(
                  channel,
                  EchoService.UNARY,
                  CallOptions.DEFAULT.withDeadlineAfter(5, TimeUnit.SECONDS),
                  "hi");
              ok++;
            } catch (StatusRuntimeException e) {
              // a call may fail while every connection is still opening; ejections are the point
            }
          }
          System.out.printf(
              "cold start run %d: first success at call %d, %d retries, ejections %s%n",
              run, calls, mesh.retriesScheduled().size(), mesh.ejected());
          assertThat(mesh.ejected()).as("run %d: ejections during warm-up", run).isEmpty();
          assertThat(ok).as("run %d: calls that succeeded once connections were up", run)
              .isPositive();
        } finally {
          channel.shutdownNow();
          channel.awaitTermination(5, TimeUnit.SECONDS);
        }
      } finally {
        for (SlowAcceptor p : proxies) {
          p.close();
        }
        mesh.close();
      }
    }
  }

  /** A loopback TCP relay that waits before it connects each accepted socket to its target. */
  private static final class SlowAcceptor implements AutoCloseable {
    private final ServerSocket server;
    private final List<Socket> sockets = new java.util.concurrent.CopyOnWriteArrayList<>();

    SlowAcceptor(int target, long delayMillis) throws IOException {
      server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
      Thread acceptor =
          new Thread(
              () -> {
                while (!server.isClosed()) {
                  try {
                    Socket client = server.accept();
                    sockets.add(client);
                    Thread.sleep(delayMillis); // the slow handshake this test is about
                    Socket upstream = new Socket(InetAddress.getLoopbackAddress(), target);
                    sockets.add(upstream);
                    pipe(client, upstream);
                    pipe(upstream, client);
                  } catch (IOException | InterruptedException e) {
                    return;
                  }
                }
              });
      acceptor.setDaemon(true);
      acceptor.start();
    }

    int port() {
      return server.getLocalPort();
    }

    private static void pipe(Socket from, Socket to) {
      Thread t =
          new Thread(
              () -> {
                try (InputStream in = from.getInputStream();
                    OutputStream out = to.getOutputStream()) {
                  in.transferTo(out);
                } catch (IOException e) {
                  // the other side closed
                }
              });
      t.setDaemon(true);
      t.start();
    }

    @Override
    public void close() throws IOException {
      server.close();
      for (Socket s : sockets) {
        s.close();
      }
    }
  }
}
