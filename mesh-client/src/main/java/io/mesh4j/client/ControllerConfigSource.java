package io.mesh4j.client;

import io.grpc.ChannelCredentials;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import io.grpc.TlsChannelCredentials;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.mesh4j.client.internal.CallCollector;
import io.mesh4j.client.internal.StreamClient;
import io.mesh4j.core.base.Backoff;
import io.mesh4j.core.identity.WorkloadIdentity;
import io.mesh4j.core.source.ConfigSource;
import io.mesh4j.core.telemetry.MeshListener;
import io.mesh4j.core.tls.MeshKeyManager;
import io.mesh4j.wire.v1.AdminEndpoint;
import io.mesh4j.wire.v1.CallReports;
import io.mesh4j.wire.v1.Hello;
import io.mesh4j.wire.v1.Version;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.Executor;
import java.util.random.RandomGenerator;
import org.jspecify.annotations.Nullable;

/**
 * A source that receives the application's policy from mesh-controller over one long-lived gRPC
 * stream. The application introduces itself (name, namespace, identity, the services it calls
 * and serves, and the version it holds); the controller answers with a snapshot resolved for
 * exactly that, then sends a new one whenever it changes. Every snapshot is validated through
 * {@link io.mesh4j.core.policy.PolicySet} before the listener sees it; the controller is told
 * "applied" only after the listener applied it, and otherwise gets every problem back. A
 * snapshot is complete, but its resources whose text is unchanged since the last good one are
 * not parsed again ({@link io.mesh4j.core.policy.DocumentCache}); the whole is still validated.
 *
 * <p>While the controller is unreachable the application keeps what it holds and reconnects with
 * jittered exponential backoff: by default the delay starts at 250 ms and doubles up to a cap of
 * 1 s, each delay with equal jitter (a random point in its upper half), so after a controller
 * restart an application is back within about 2 s of the controller's return (at worst two
 * delays: gRPC may fail the first stream while it is still connecting). See {@link
 * Builder#backoff}. Versions only move forward, so a reconnection that finds the content
 * unchanged applies nothing again. With a {@linkplain Builder#cacheFile cache file} the
 * last good snapshot survives a restart of the application and is delivered by {@link #start}
 * before the controller is reached.
 *
 * <p>It also reports what the application's outgoing calls did, every {@linkplain
 * Builder#reportInterval 5 s}, for the controller's live traffic view: register {@link
 * #callReports()} as a listener of the mesh this source feeds.
 *
 * <p>Thread-safe. After {@link #start} returns, the listener is called on one daemon thread,
 * {@code mesh4j-controller-stream}, one call at a time; the controller sources of one JVM share
 * that thread.
 */
public final class ControllerConfigSource implements ConfigSource {

  /**
   * What the source holds and how current it is, for readiness checks and admin pages.
   *
   * @param connected whether the controller has answered on the open stream
   * @param version the number of the version in effect, 0 before any
   * @param hash the content hash of that version, empty before any
   * @param lastSync when the controller last confirmed or changed it, or null if it never has
   *     (for example when running from the cache alone)
   */
  public record Status(boolean connected, long version, String hash, @Nullable Instant lastSync) {}

  /** The default delay before the first reconnection attempt, before jitter: 250 ms. */
  public static final Duration DEFAULT_INITIAL_BACKOFF = Duration.ofMillis(250);

  /**
   * The default cap of the reconnection delay, before jitter: 1 s. Low, so that a returning
   * controller is reached within a second or two; a refused connection costs the controller
   * little.
   */
  public static final Duration DEFAULT_MAX_BACKOFF = Duration.ofSeconds(1);

  /** How often outgoing calls are reported to the controller by default: every 5 s. */
  public static final Duration DEFAULT_REPORT_INTERVAL = CallReports.DEFAULT_INTERVAL;

  private final StreamClient client;
  private final MeshListener callReports;

  private ControllerConfigSource(StreamClient client, MeshListener callReports) {
    this.client = client;
    this.callReports = callReports;
  }

  /**
   * A builder for a source that connects to {@code target}, a gRPC target such as {@code
   * mesh-controller.mesh4j-system:15010} or {@code 127.0.0.1:15010}.
   */
  public static Builder builder(String target) {
    return new Builder(target);
  }

  /**
   * Delivers the cached snapshot, if a cache file is set and holds a good one, on the calling
   * thread; then connects in the background.
   *
   * @throws IllegalStateException if started before or already closed
   */
  @Override
  public void start(Listener listener) {
    client.start(listener);
  }

  @Override
  public String describe() {
    return client.describe();
  }

  /**
   * The listener that counts the application's outgoing calls for the reports this source sends
   * the controller (see {@link Builder#reportInterval}); register it with {@code
   * Mesh.Builder.listener} on the mesh this source feeds. A listener that observes nothing when
   * reports are off.
   */
  public MeshListener callReports() {
    return callReports;
  }

  /** What the source holds now; callable from any thread. */
  public Status status() {
    StreamClient.Status s = client.status();
    Version v = s.version();
    return new Status(s.connected(), v == null ? 0 : v.getNumber(), v == null ? "" : v.getHash(), s.lastSync());
  }

  /**
   * Tells the controller where operators reach this application's admin endpoint (for example the
   * actuator's {@code mesh} endpoint), so that {@code mesh4j config} and {@code mesh4j explain}
   * find it. Only the scheme, port and path travel: the controller joins them to the address the
   * stream comes from. Said again on every reconnection; a later call replaces an earlier one.
   *
   * @param scheme {@code http} or {@code https}
   * @param port 1 to 65535
   * @param path the endpoint's path, e.g. {@code /actuator/mesh}
   * @throws IllegalArgumentException for a scheme, port or path the controller would refuse
   */
  public void announceAdminEndpoint(String scheme, int port, String path) {
    if (!scheme.equals("http") && !scheme.equals("https")) {
      throw new IllegalArgumentException("scheme must be http or https, got " + scheme);
    }
    if (port < 1 || port > 65_535) {
      throw new IllegalArgumentException("port must be 1 to 65535, got " + port);
    }
    if (!path.matches("/[A-Za-z0-9/._~-]{0,255}")) {
      throw new IllegalArgumentException("path must be / then at most 255 characters of letters, digits and /._~-, got " + path);
    }
    client.announce(AdminEndpoint.newBuilder().setScheme(scheme).setPort(port).setPath(path).build());
  }

  /** Closes the stream; the listener is not called after this returns (unless called from it). */
  @Override
  public void close() {
    client.close();
  }

  /**
   * Builds a {@link ControllerConfigSource}. The application name and namespace are required;
   * everything else has a default. Not thread-safe.
   */
  public static final class Builder {
    private final String target;
    private @Nullable String application;
    private @Nullable String namespace;
    private String identity = "";
    private final List<String> calls = new ArrayList<>();
    private final List<String> serves = new ArrayList<>();
    private @Nullable Path cacheFile;
    private Duration initialBackoff = DEFAULT_INITIAL_BACKOFF;
    private Duration maxBackoff = DEFAULT_MAX_BACKOFF;
    private RandomGenerator random = RandomGenerator.getDefault();
    private InstantSource clock = InstantSource.system();
    private @Nullable Path trustedRoots;
    private @Nullable Path tokenFile;
    private @Nullable WorkloadIdentity certificate;
    private Duration reportInterval = DEFAULT_REPORT_INTERVAL;

    private Builder(String target) {
      this.target = Objects.requireNonNull(target, "target");
    }

    /**
     * Connect with TLS, trusting the CA certificates in this PEM file (the mesh's CA root, which
     * signs the controller's serving certificate). Without it the stream is plaintext.
     */
    public Builder trustedRoots(Path pemFile) {
      this.trustedRoots = Objects.requireNonNull(pemFile, "pemFile");
      return this;
    }

    /**
     * The workload's bearer token (in Kubernetes, a projected ServiceAccount token with audience
     * {@code mesh4j-controller}; in local mode, a bootstrap token), re-read for every stream. The
     * controller serves only what the identity it proves may see, and refuses streams without
     * one unless it runs without authentication.
     */
    public Builder tokenFile(Path file) {
      this.tokenFile = Objects.requireNonNull(file, "file");
      return this;
    }

    /**
     * Present this workload's mesh certificate in the TLS handshake (needs {@link #trustedRoots}):
     * once the application holds one, it proves who the application is without a token, and the
     * key manager always presents the current certificate, so rotation needs no reconnection. When
     * the identity has no certificate yet, the stream falls back to the {@link #tokenFile} token.
     */
    public Builder clientCertificate(WorkloadIdentity identity) {
      this.certificate = Objects.requireNonNull(identity, "identity");
      return this;
    }

    /** The application's name, as operators see it in the controller's status. Required. */
    public Builder application(String name) {
      this.application = name;
      return this;
    }

    /** The application's namespace; also the namespace of bare service names. Required. */
    public Builder namespace(String namespace) {
      this.namespace = namespace;
      return this;
    }

    /** The application's SPIFFE ID; none by default. */
    public Builder identity(String spiffeId) {
      this.identity = spiffeId;
      return this;
    }

    /** Services the application calls ({@code name} or {@code name.namespace}); adds to earlier calls. */
    public Builder calls(String... services) {
      return calls(Arrays.asList(services));
    }

    /** Services the application calls; adds to earlier calls. */
    public Builder calls(Collection<String> services) {
      calls.addAll(services);
      return this;
    }

    /** Services the application serves, whose authorization policies it enforces; adds to earlier calls. */
    public Builder serves(String... services) {
      serves.addAll(Arrays.asList(services));
      return this;
    }

    /** Keeps the last good snapshot in this file and starts from it; no cache by default. */
    public Builder cacheFile(Path file) {
      this.cacheFile = file;
      return this;
    }

    /**
     * Reconnection delays: from {@code initial}, doubling up to {@code max}, each with equal jitter
     * (half of it fixed, the other half drawn from {@link #random}). Defaults: {@linkplain
     * ControllerConfigSource#DEFAULT_INITIAL_BACKOFF 250 ms} and {@linkplain
     * ControllerConfigSource#DEFAULT_MAX_BACKOFF 1 s}, so the delays are 125 to 250 ms, 250 to
     * 500 ms, then 500 ms to 1 s for as long as the controller is away. An application reaches a
     * returning controller within at most two delays of its return, so {@code max} bounds how long
     * that takes.
     */
    public Builder backoff(Duration initial, Duration max) {
      this.initialBackoff = initial;
      this.maxBackoff = max;
      return this;
    }

    /**
     * How often the application reports its outgoing calls (per destination, route and subset:
     * requests, failures, latency) to the controller, for its live traffic view; {@linkplain
     * ControllerConfigSource#DEFAULT_REPORT_INTERVAL 5 s} by default, {@link Duration#ZERO} for
     * never. Calls are counted only on a mesh that registered {@link #callReports()}.
     *
     * @throws IllegalArgumentException when neither zero nor between 1 s and 1 min
     */
    public Builder reportInterval(Duration interval) {
      if (!interval.isZero()
          && (interval.compareTo(CallReports.MIN_INTERVAL) < 0 || interval.compareTo(CallReports.MAX_INTERVAL) > 0)) {
        throw new IllegalArgumentException(
            "reportInterval: must be 0 (no reports) or between 1s and 1m, got " + interval);
      }
      this.reportInterval = interval;
      return this;
    }

    /** The random source of the reconnection jitter; tests fix it. */
    public Builder random(RandomGenerator random) {
      this.random = random;
      return this;
    }

    /** The wall clock of {@link Status#lastSync()}; tests fix it. */
    public Builder clock(InstantSource clock) {
      this.clock = clock;
      return this;
    }

    /**
     * The source, not yet connected.
     *
     * @throws IllegalStateException if the application name or namespace is missing
     * @throws IllegalArgumentException if the backoff bounds are not positive and ordered
     */
    public ControllerConfigSource build() {
      if (application == null || application.isEmpty()) {
        throw new IllegalStateException("application name is required");
      }
      if (namespace == null || namespace.isEmpty()) {
        throw new IllegalStateException("application namespace is required");
      }
      Backoff backoff = new Backoff(initialBackoff, maxBackoff, random);
      Hello hello =
          Hello.newBuilder()
              .setApplication(application)
              .setNamespace(namespace)
              .setIdentity(identity)
              .addAllCalls(calls)
              .addAllServes(serves)
              .build();
      // The channel's callbacks run on the client's executor: that is what serializes them.
      ChannelCredentials credentials = InsecureChannelCredentials.create();
      Path roots = trustedRoots;
      if (roots == null && certificate != null) {
        throw new IllegalStateException("a client certificate needs trustedRoots: it is only sent over TLS");
      }
      if (roots != null) {
        try {
          TlsChannelCredentials.Builder tls = TlsChannelCredentials.newBuilder().trustManager(roots.toFile());
          WorkloadIdentity identity = certificate;
          if (identity != null) {
            tls.keyManager(new MeshKeyManager(identity));
          }
          credentials = tls.build();
        } catch (IOException e) {
          throw new IllegalArgumentException(
              "ControllerConfigSource trustedRoots: cannot read " + roots + " (" + e
                  + "); expected a PEM file of CA certificates",
              e);
        }
      }
      Executor executor = StreamClient.serialExecutor();
      ManagedChannel channel =
          NettyChannelBuilder.forTarget(target, credentials)
              // A fixed window: the automatic one pings the controller after every message read.
              .flowControlWindow(NettyChannelBuilder.DEFAULT_FLOW_CONTROL_WINDOW)
              .executor(executor)
              .build();
      CallCollector calls = reportInterval.isZero() ? null : new CallCollector();
      return new ControllerConfigSource(
          new StreamClient(
              new StreamClient.Settings(target, hello, cacheFile, backoff, clock, tokenFile, calls, reportInterval),
              channel,
              executor),
          calls == null ? new MeshListener() {} : calls);
    }
  }
}
