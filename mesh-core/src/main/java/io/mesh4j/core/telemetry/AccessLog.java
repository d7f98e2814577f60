package io.mesh4j.core.telemetry;

import io.mesh4j.core.base.MeshRandom;
import io.mesh4j.core.call.Attempt;
import io.mesh4j.core.call.Endpoint;
import io.mesh4j.core.call.HeaderSetter;
import io.mesh4j.core.call.MeshFailure;
import io.mesh4j.core.call.Outcome;
import io.mesh4j.core.policy.MeshConfig;
import java.time.Clock;
import java.time.Instant;
import java.util.Locale;
import java.util.Objects;
import java.util.function.Consumer;
import java.util.function.Supplier;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Writes one JSON line per call to the SLF4J logger {@code mesh4j.access} (level INFO), with the
 * fields of an Envoy access log that make sense in-process: start time, duration, direction,
 * protocol, method, path, status, mesh failure reason, destination or service, route, subset,
 * endpoint, attempts, trace id, peer identity and bytes.
 *
 * <p>Whether a call is logged is decided when it starts, from the mesh settings in force ({@code
 * MeshConfig} {@code accessLog.enabled} and {@code accessLog.samplingPercent}, read live); a call
 * that is not logged gets the shared no-op observer, so it costs one volatile read and one draw.
 * Nothing is logged while the logger's INFO level is off.
 *
 * <pre>{@code
 * Mesh mesh = Mesh.builder().configSource(source).listener(AccessLog.create()).build();
 * }</pre>
 *
 * <p>Thread-safe.
 */
public final class AccessLog extends MeshListener {

  /** The logger every line goes to. */
  public static final String LOGGER = "mesh4j.access";

  private static final Logger log = LoggerFactory.getLogger(LOGGER);

  private final Consumer<String> sink;
  private final Clock clock;
  private final MeshRandom random;
  private final boolean toLogger;
  private volatile Supplier<MeshConfig.Spec> settings = MeshConfig::defaults;

  private AccessLog(Builder b) {
    this.toLogger = b.sink == null;
    Consumer<String> s = b.sink;
    this.sink = s != null ? s : log::info;
    this.clock = b.clock;
    this.random = b.random;
  }

  /** An access log writing to the {@value #LOGGER} logger, sampling with chance. */
  public static AccessLog create() {
    return builder().build();
  }

  /** Configures an access log. */
  public static Builder builder() {
    return new Builder();
  }

  @Override
  public void attach(MeshView mesh) {
    settings = mesh::settings;
  }

  private boolean sampled() {
    if (toLogger && !log.isInfoEnabled()) {
      return false;
    }
    MeshConfig.AccessLog config = settings.get().accessLog();
    if (!config.enabled()) {
      return false;
    }
    double percent = config.samplingPercent();
    if (percent >= 100) {
      return true;
    }
    // Draws in millionths of a percent, so 0.5% means exactly 5 in 1000.
    return random.nextLong(MeshRandom.Purpose.ACCESS_LOG, 100_000_000L) < percent * 1_000_000;
  }

  @Override
  public ClientCallObserver clientCall(ClientCallInfo call) {
    return sampled() ? new ClientLine(call, clock.instant()) : ClientCallObserver.NONE;
  }

  @Override
  public ServerCallObserver serverCall(ServerCallInfo call) {
    return sampled() ? new ServerLine(call, clock.instant()) : ServerCallObserver.NONE;
  }

  /** One outgoing call's line, filled in as its attempts end. */
  private final class ClientLine implements ClientCallObserver {
    private final ClientCallInfo call;
    private final Instant start;
    // Attempts run one after another; each happens-before the next through the adapter.
    private volatile int attempts;
    private volatile @Nullable Endpoint endpoint;
    private volatile @Nullable String subset;

    ClientLine(ClientCallInfo call, Instant start) {
      this.call = call;
      this.start = start;
      this.subset = call.subset();
    }

    @Override
    public void attemptStarted(Attempt attempt, HeaderSetter headers) {
      attempts = attempt.number();
      endpoint = attempt.endpoint();
      subset = attempt.subset();
    }

    @Override
    public void attemptEnded(Attempt attempt, Outcome outcome) {}

    @Override
    public void callEnded(CallEnd end) {
      Json json = new Json();
      json.field("start_time", start.toString())
          .field("duration_ms", end.durationNanos() / 1e6)
          .field("direction", "outbound")
          .field("protocol", call.protocol().name().toLowerCase(Locale.ROOT))
          .field("method", call.method())
          .field("path", call.path())
          .field("status", end.status().name())
          .field("mesh_failure", end.refusal() == null ? null : reason(end.refusal()))
          .field("destination", call.destination())
          .field("route", call.route())
          .field("subset", subset)
          .field("endpoint", endpoint == null ? null : endpoint.authority())
          .field("attempts", attempts)
          .field("trace_id", call.traceId())
          .field("bytes_sent", end.requestBytes())
          .field("bytes_received", end.responseBytes());
      sink.accept(json.end());
    }
  }

  /** One incoming call's line. */
  private final class ServerLine implements ServerCallObserver {
    private final ServerCallInfo call;
    private final Instant start;

    ServerLine(ServerCallInfo call, Instant start) {
      this.call = call;
      this.start = start;
    }

    @Override
    public void callEnded(CallEnd end) {
      Json json = new Json();
      json.field("start_time", start.toString())
          .field("duration_ms", end.durationNanos() / 1e6)
          .field("direction", "inbound")
          .field("protocol", call.protocol().name().toLowerCase(Locale.ROOT))
          .field("method", call.method())
          .field("path", call.path())
          .field("status", end.status().name())
          .field("mesh_failure", end.refusal() == null ? null : reason(end.refusal()))
          .field("service", call.service())
          .field("peer", call.peer())
          .field("trace_id", call.traceId())
          .field("bytes_received", end.requestBytes())
          .field("bytes_sent", end.responseBytes());
      sink.accept(json.end());
    }
  }

  private static String reason(MeshFailure failure) {
    return failure.reason().name().toLowerCase(Locale.ROOT);
  }

  /** A one-line JSON object; absent values and unknown byte counts (-1) are left out. */
  static final class Json {
    private final StringBuilder out = new StringBuilder(320).append('{');

    Json field(String name, @Nullable String value) {
      if (value == null) {
        return this;
      }
      name(name);
      quote(value);
      return this;
    }

    Json field(String name, long value) {
      if (value < 0) {
        return this;
      }
      name(name);
      out.append(value);
      return this;
    }

    Json field(String name, double value) {
      name(name);
      out.append(String.format(Locale.ROOT, "%.3f", value));
      return this;
    }

    String end() {
      return out.append('}').toString();
    }

    private void name(String name) {
      if (out.length() > 1) {
        out.append(',');
      }
      quote(name);
      out.append(':');
    }

    private void quote(String s) {
      out.append('"');
      for (int i = 0; i < s.length(); i++) {
        char c = s.charAt(i);
        switch (c) {
          case '"' -> out.append("\\\"");
          case '\\' -> out.append("\\\\");
          case '\n' -> out.append("\\n");
          case '\r' -> out.append("\\r");
          case '\t' -> out.append("\\t");
          default -> {
            if (c < 0x20) {
              out.append(String.format(Locale.ROOT, "\\u%04x", (int) c));
            } else {
              out.append(c);
            }
          }
        }
      }
      out.append('"');
    }
  }

  /** Configures an {@link AccessLog}. Not thread-safe. */
  public static final class Builder {
    private @Nullable Consumer<String> sink;
    private Clock clock = Clock.systemUTC();
    private MeshRandom random = MeshRandom.threadLocal();

    private Builder() {}

    /** Where lines go instead of the {@value #LOGGER} logger (tests, a file of one's own). */
    public Builder sink(Consumer<String> sink) {
      this.sink = Objects.requireNonNull(sink, "sink");
      return this;
    }

    /** The wall clock of the start times; the system's UTC clock by default. */
    public Builder clock(Clock clock) {
      this.clock = Objects.requireNonNull(clock, "clock");
      return this;
    }

    /** The source of the sampling draws; {@link MeshRandom#threadLocal()} by default. */
    public Builder random(MeshRandom random) {
      this.random = Objects.requireNonNull(random, "random");
      return this;
    }

    /** Builds the access log. */
    public AccessLog build() {
      return new AccessLog(this);
    }
  }
}
