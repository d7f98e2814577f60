package io.mesh4j.spring;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.jspecify.annotations.Nullable;
import org.springframework.boot.context.properties.ConfigurationProperties;

/**
 * The {@code mesh4j.*} properties that choose where the application's {@link
 * io.mesh4j.core.Mesh} takes its policy from. With {@code mesh4j.controller.address} set the
 * policy comes from the controller; otherwise it is read from (and watched in) {@code
 * mesh4j.config-dir}.
 */
@ConfigurationProperties("mesh4j")
public class MeshProperties {

  /** Directory of policy YAML files, watched for changes; used when no controller is set. */
  private Path configDir = Path.of("mesh");

  /** This application's name, as the controller knows it. */
  private @Nullable String application;

  /** This application's namespace, as the controller knows it. */
  private @Nullable String namespace;

  /** The services this application calls, so the controller sends only their policy. */
  private List<String> calls = new ArrayList<>();

  /** The application's zone, for zone-aware load balancing. */
  private @Nullable String localZone;

  /**
   * The service this application serves (name.namespace); in a servlet web application
   * it registers the mesh's servlet filter for it, and @MeshGrpcService beans default to it.
   */
  private @Nullable String service;

  private final Controller controller = new Controller();

  private final Grpc grpc = new Grpc();

  private final Metrics metrics = new Metrics();

  private final Identity identity = new Identity();

  private final Tracing tracing = new Tracing();

  private final AccessLog accessLog = new AccessLog();

  /** Directory of policy YAML files. */
  public Path getConfigDir() {
    return configDir;
  }

  /** Sets the directory of policy YAML files. */
  public void setConfigDir(Path configDir) {
    this.configDir = configDir;
  }

  /** This application's name for the controller, or null. */
  public @Nullable String getApplication() {
    return application;
  }

  /** Sets this application's name for the controller. */
  public void setApplication(@Nullable String application) {
    this.application = application;
  }

  /** This application's namespace for the controller, or null. */
  public @Nullable String getNamespace() {
    return namespace;
  }

  /** Sets this application's namespace for the controller. */
  public void setNamespace(@Nullable String namespace) {
    this.namespace = namespace;
  }

  /** The services this application calls. */
  public List<String> getCalls() {
    return calls;
  }

  /** Sets the services this application calls. */
  public void setCalls(List<String> calls) {
    this.calls = calls;
  }

  /** The application's zone, or null when unknown. */
  public @Nullable String getLocalZone() {
    return localZone;
  }

  /** Sets the application's zone. */
  public void setLocalZone(@Nullable String localZone) {
    this.localZone = localZone;
  }

  /** The service this application serves, or null. */
  public @Nullable String getService() {
    return service;
  }

  /** Sets the service this application serves. */
  public void setService(@Nullable String service) {
    this.service = service;
  }

  /** The {@code mesh4j.controller.*} properties. */
  public Controller getController() {
    return controller;
  }

  /** The {@code mesh4j.grpc.*} properties. */
  public Grpc getGrpc() {
    return grpc;
  }

  /** The {@code mesh4j.metrics.*} properties. */
  public Metrics getMetrics() {
    return metrics;
  }

  /** The {@code mesh4j.identity.*} properties. */
  public Identity getIdentity() {
    return identity;
  }

  /** The {@code mesh4j.tracing.*} properties. */
  public Tracing getTracing() {
    return tracing;
  }

  /** The {@code mesh4j.access-log.*} properties. */
  public AccessLog getAccessLog() {
    return accessLog;
  }

  /**
   * The {@code mesh4j.identity.*} properties: the workload certificate the controller issues and
   * mutual TLS on the mesh's gRPC server and channels.
   */
  public static class Identity {

    /**
     * Whether the application has a workload identity: the starter's mesh gets its certificate
     * from the controller, the gRPC server and gRPC clients use mutual TLS. Defaults to true
     * when mesh4j.identity.token-file is set, false otherwise.
     */
    private @Nullable Boolean enabled;

    /**
     * File holding the credential sent to the controller's certificate service, read at every
     * request: a bootstrap token in local mode, the projected ServiceAccount token in Kubernetes.
     */
    private @Nullable Path tokenFile;

    /**
     * The certificate service's gRPC target; defaults to mesh4j.controller.address.
     */
    private @Nullable String controllerAddress;

    /**
     * PEM file of the CA roots that sign the controller's TLS certificate; without it the
     * certificate service is called over plaintext (loopback in local mode only).
     */
    private @Nullable Path trustedRoots;

    /** How long start-up waits for the first certificate before it fails. */
    private Duration startupTimeout = Duration.ofSeconds(30);

    /**
     * Whether @MeshClient OkHttpClient, RestClient and WebClient dial endpoints with mutual TLS
     * (https). Only for HTTP servers that serve TLS with mesh certificates: the starter does not
     * set up the servlet container's TLS.
     */
    private boolean httpClients = false;

    /** Whether identity is on, or null to decide by the token file. */
    public @Nullable Boolean getEnabled() {
      return enabled;
    }

    /** Sets whether identity is on. */
    public void setEnabled(@Nullable Boolean enabled) {
      this.enabled = enabled;
    }

    /** The token file, or null. */
    public @Nullable Path getTokenFile() {
      return tokenFile;
    }

    /** Sets the token file. */
    public void setTokenFile(@Nullable Path tokenFile) {
      this.tokenFile = tokenFile;
    }

    /** The certificate service's target, or null to use the controller address. */
    public @Nullable String getControllerAddress() {
      return controllerAddress;
    }

    /** Sets the certificate service's target. */
    public void setControllerAddress(@Nullable String controllerAddress) {
      this.controllerAddress = controllerAddress;
    }

    /** The PEM file of the controller's CA roots, or null for plaintext. */
    public @Nullable Path getTrustedRoots() {
      return trustedRoots;
    }

    /** Sets the PEM file of the controller's CA roots. */
    public void setTrustedRoots(@Nullable Path trustedRoots) {
      this.trustedRoots = trustedRoots;
    }

    /** How long start-up waits for the first certificate. */
    public Duration getStartupTimeout() {
      return startupTimeout;
    }

    /** Sets how long start-up waits for the first certificate. */
    public void setStartupTimeout(Duration startupTimeout) {
      if (startupTimeout.isNegative() || startupTimeout.isZero()) {
        throw new IllegalArgumentException(
            "mesh4j.identity.startup-timeout must be positive, got " + startupTimeout);
      }
      this.startupTimeout = startupTimeout;
    }

    /** Whether OkHttp, RestClient and WebClient clients use mutual TLS. */
    public boolean isHttpClients() {
      return httpClients;
    }

    /** Sets whether OkHttp, RestClient and WebClient clients use mutual TLS. */
    public void setHttpClients(boolean httpClients) {
      this.httpClients = httpClients;
    }
  }

  /** The {@code mesh4j.tracing.*} properties. */
  public static class Tracing {

    /**
     * Whether the mesh traces calls with OpenTelemetry (when opentelemetry-api is present): with
     * the application's OpenTelemetry bean, else GlobalOpenTelemetry. Sampling follows MeshConfig.
     */
    private boolean enabled = true;

    /** Whether the mesh traces calls. */
    public boolean isEnabled() {
      return enabled;
    }

    /** Sets whether the mesh traces calls. */
    public void setEnabled(boolean enabled) {
      this.enabled = enabled;
    }
  }

  /** The {@code mesh4j.access-log.*} properties. */
  public static class AccessLog {

    /**
     * Whether the mesh may write one access-log line per call to the mesh4j.access logger.
     * MeshConfig's accessLog turns lines on and samples them; until it does, calls cost nothing.
     */
    private boolean enabled = true;

    /** Whether the mesh writes access-log lines. */
    public boolean isEnabled() {
      return enabled;
    }

    /** Sets whether the mesh writes access-log lines. */
    public void setEnabled(boolean enabled) {
      this.enabled = enabled;
    }
  }

  /** The {@code mesh4j.grpc.*} properties: the server for {@code @MeshGrpcService} beans. */
  public static class Grpc {

    /** Port of the gRPC server for @MeshGrpcService beans; 0 picks a free port. */
    private int port = 9090;

    /** Address the gRPC server binds to, e.g. 127.0.0.1; every interface when unset. */
    private @Nullable String address;

    /** How long calls in flight may run on when the context closes before they are cancelled. */
    private Duration shutdownGracePeriod = Duration.ofSeconds(10);

    /** Port of the gRPC server; 0 picks a free port. */
    public int getPort() {
      return port;
    }

    /** Sets the port of the gRPC server. */
    public void setPort(int port) {
      if (port < 0 || port > 65535) {
        throw new IllegalArgumentException(
            "mesh4j.grpc.port must be 0 (any free port) to 65535, got " + port);
      }
      this.port = port;
    }

    /** Address the gRPC server binds to, or null for every interface. */
    public @Nullable String getAddress() {
      return address;
    }

    /** Sets the address the gRPC server binds to. */
    public void setAddress(@Nullable String address) {
      this.address = address;
    }

    /** How long calls in flight may finish at shutdown. */
    public Duration getShutdownGracePeriod() {
      return shutdownGracePeriod;
    }

    /** Sets how long calls in flight may finish at shutdown. */
    public void setShutdownGracePeriod(Duration shutdownGracePeriod) {
      if (shutdownGracePeriod.isNegative()) {
        throw new IllegalArgumentException(
            "mesh4j.grpc.shutdown-grace-period must not be negative, got " + shutdownGracePeriod);
      }
      this.shutdownGracePeriod = shutdownGracePeriod;
    }
  }

  /** The {@code mesh4j.metrics.*} properties. */
  public static class Metrics {

    /**
     * Whether the mesh's own meters (mesh4j.retries, mesh4j.refusals, mesh4j.breaker.state, ...)
     * are recorded in the application's MeterRegistry, when Micrometer is present.
     */
    private boolean enabled = true;

    /** Whether the mesh's meters go to the application's registry. */
    public boolean isEnabled() {
      return enabled;
    }

    /** Sets whether the mesh's meters go to the application's registry. */
    public void setEnabled(boolean enabled) {
      this.enabled = enabled;
    }
  }

  /** The {@code mesh4j.controller.*} properties. */
  public static class Controller {

    /** The controller's gRPC target, for example dns:///mesh-controller:7443. */
    private @Nullable String address;

    /**
     * How often the application reports its outgoing calls (requests, failures, latency per
     * destination, route and subset) to the controller for its live traffic view; 0 for never,
     * otherwise between 1s and 1m.
     */
    private Duration reportInterval = Duration.ofSeconds(5);

    /** The controller's gRPC target, or null to read policy from the config directory. */
    public @Nullable String getAddress() {
      return address;
    }

    /** Sets the controller's gRPC target. */
    public void setAddress(@Nullable String address) {
      this.address = address;
    }

    /** How often outgoing calls are reported to the controller; zero for never. */
    public Duration getReportInterval() {
      return reportInterval;
    }

    /** Sets how often outgoing calls are reported to the controller; zero for never. */
    public void setReportInterval(Duration reportInterval) {
      this.reportInterval = reportInterval;
    }
  }
}
