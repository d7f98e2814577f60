package io.mesh4j.opentelemetry;

import io.mesh4j.core.Mesh;
import io.mesh4j.core.call.Attempt;
import io.mesh4j.core.call.CallStatus;
import io.mesh4j.core.call.Endpoint;
import io.mesh4j.core.call.HeaderGetter;
import io.mesh4j.core.call.HeaderSetter;
import io.mesh4j.core.call.MeshFailure;
import io.mesh4j.core.call.Outcome;
import io.mesh4j.core.call.Protocol;
import io.mesh4j.core.call.TelemetryScope;
import io.mesh4j.core.policy.MeshConfig;
import io.mesh4j.core.telemetry.CallEnd;
import io.mesh4j.core.telemetry.ClientCallInfo;
import io.mesh4j.core.telemetry.ClientCallObserver;
import io.mesh4j.core.telemetry.MeshListener;
import io.mesh4j.core.telemetry.MeshView;
import io.mesh4j.core.telemetry.ServerCallInfo;
import io.mesh4j.core.telemetry.ServerCallObserver;
import io.opentelemetry.api.OpenTelemetry;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.common.AttributesBuilder;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanContext;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.context.Context;
import io.opentelemetry.context.Scope;
import io.opentelemetry.context.propagation.ContextPropagators;
import io.opentelemetry.context.propagation.TextMapGetter;
import io.opentelemetry.context.propagation.TextMapPropagator;
import io.opentelemetry.context.propagation.TextMapSetter;
import io.opentelemetry.exporter.otlp.http.trace.OtlpHttpSpanExporter;
import io.opentelemetry.sdk.resources.Resource;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.opentelemetry.sdk.trace.SpanProcessor;
import io.opentelemetry.sdk.trace.export.BatchSpanProcessor;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.jspecify.annotations.Nullable;

/**
 * Traces every meshed call with OpenTelemetry: a {@code CLIENT} span per outgoing call with an
 * event {@code mesh4j.attempt} per attempt (attempt number, endpoint, subset, outcome), and a
 * {@code SERVER} span per handled call, made current while the handler runs so the calls it makes
 * join the trace. Attributes follow OpenTelemetry's RPC and HTTP semantic conventions ({@code
 * rpc.system}, {@code rpc.service}, {@code rpc.method}, {@code rpc.grpc.status_code}, {@code
 * http.request.method}, {@code http.response.status_code}, {@code url.path}, {@code
 * server.address}, {@code network.peer.address}, {@code network.peer.port}) plus {@code
 * mesh4j.route}, {@code mesh4j.subset} and {@code mesh4j.retry.attempt}. Trace context travels
 * as W3C {@code traceparent}/{@code tracestate} and {@code baggage} ({@link MeshPropagator}).
 * On the SDK the mesh builds, a call that starts a trace its sampler drops costs no SDK span: the
 * mesh draws the trace's ids, asks the sampler, and sends their {@code traceparent} itself; that
 * SDK is built when the first span needs it.
 *
 * <pre>{@code
 * // the application's own OpenTelemetry (its sampler and exporters apply):
 * Mesh mesh = Mesh.builder().configSource(source).listener(MeshTracing.create(openTelemetry)).build();
 * // or an SDK of the mesh's own: OTLP over HTTP, sampling from the mesh settings:
 * Mesh mesh = Mesh.builder().configSource(source).listener(MeshTracing.withOtlp()).build();
 * }</pre>
 *
 * <p>Register one instance with one mesh: the sampler of an SDK the mesh built reads that mesh's
 * settings. Thread-safe. Close it to flush and stop an SDK the mesh built; an application's own
 * OpenTelemetry is left alone.
 */
public final class MeshTracing extends MeshListener implements AutoCloseable {

  /** The environment variable that names the OTLP endpoint, as in OpenTelemetry's SDKs. */
  public static final String OTLP_ENDPOINT_ENV = "OTEL_EXPORTER_OTLP_ENDPOINT";

  static final AttributeKey<String> RPC_SYSTEM = AttributeKey.stringKey("rpc.system");
  static final AttributeKey<String> RPC_SERVICE = AttributeKey.stringKey("rpc.service");
  static final AttributeKey<String> RPC_METHOD = AttributeKey.stringKey("rpc.method");
  static final AttributeKey<Long> RPC_GRPC_STATUS = AttributeKey.longKey("rpc.grpc.status_code");
  static final AttributeKey<String> HTTP_METHOD = AttributeKey.stringKey("http.request.method");
  static final AttributeKey<Long> HTTP_STATUS = AttributeKey.longKey("http.response.status_code");
  static final AttributeKey<String> URL_PATH = AttributeKey.stringKey("url.path");
  static final AttributeKey<String> SERVER_ADDRESS = AttributeKey.stringKey("server.address");
  static final AttributeKey<String> PEER_ADDRESS = AttributeKey.stringKey("network.peer.address");
  static final AttributeKey<Long> PEER_PORT = AttributeKey.longKey("network.peer.port");
  static final AttributeKey<String> ROUTE = AttributeKey.stringKey("mesh4j.route");
  static final AttributeKey<String> SUBSET = AttributeKey.stringKey("mesh4j.subset");
  static final AttributeKey<Long> ATTEMPT = AttributeKey.longKey("mesh4j.retry.attempt");
  static final AttributeKey<String> OUTCOME = AttributeKey.stringKey("mesh4j.outcome");
  static final AttributeKey<String> FAILURE = AttributeKey.stringKey("mesh4j.failure");
  static final AttributeKey<String> PEER_IDENTITY = AttributeKey.stringKey("mesh4j.peer.identity");

  /** The gRPC codes that make a server span an error (OpenTelemetry's RPC conventions). */
  private static final Set<String> GRPC_SERVER_ERRORS =
      Set.of("UNKNOWN", "DEADLINE_EXCEEDED", "UNIMPLEMENTED", "INTERNAL", "UNAVAILABLE", "DATA_LOSS");

  private static final String TRACER_NAME = "io.mesh4j";

  private static final TextMapSetter<HeaderSetter> SETTER =
      (carrier, key, value) -> {
        if (carrier != null) {
          carrier.set(key, value);
        }
      };

  private static final TextMapGetter<HeaderGetter> GETTER =
      new TextMapGetter<>() {
        @Override
        public Iterable<String> keys(HeaderGetter carrier) {
          return List.of();
        }

        @Override
        public @Nullable String get(@Nullable HeaderGetter carrier, String key) {
          return carrier == null ? null : carrier.get(key);
        }
      };

  private final OpenTelemetry openTelemetry;
  private final Tracer tracer;
  private final TextMapPropagator propagator;
  private final @Nullable Runnable shutdown;
  private final SettingsHolder settings;
  /** The sampler of the SDK the mesh built, which takes new traces' ids from {@link NewTraces}. */
  private final @Nullable MeshSampler ownSampler;

  private MeshTracing(
      OpenTelemetry openTelemetry,
      Tracer tracer,
      TextMapPropagator propagator,
      @Nullable Runnable shutdown,
      SettingsHolder settings,
      @Nullable MeshSampler ownSampler) {
    this.openTelemetry = openTelemetry;
    this.tracer = tracer;
    this.propagator = propagator;
    this.shutdown = shutdown;
    this.settings = settings;
    this.ownSampler = ownSampler;
  }

  /**
   * Tracing on the application's own OpenTelemetry: its sampler, processors and exporters apply;
   * propagation is the mesh's ({@link MeshPropagator}).
   */
  public static MeshTracing create(OpenTelemetry openTelemetry) {
    return create(openTelemetry, MeshPropagator.get());
  }

  /**
   * Tracing on the application's global OpenTelemetry ({@code GlobalOpenTelemetry}, set by the
   * OpenTelemetry Java agent or by {@code buildAndRegisterGlobal()}); a no-op one when none was
   * set.
   */
  public static MeshTracing fromGlobal() {
    return create(io.opentelemetry.api.GlobalOpenTelemetry.get());
  }

  /** Tracing on the application's own OpenTelemetry, propagating with {@code propagator}. */
  public static MeshTracing create(OpenTelemetry openTelemetry, TextMapPropagator propagator) {
    return new MeshTracing(
        Objects.requireNonNull(openTelemetry, "openTelemetry"),
        openTelemetry.getTracer(TRACER_NAME),
        Objects.requireNonNull(propagator, "propagator"),
        null,
        new SettingsHolder(),
        null);
  }

  /**
   * Tracing on an SDK of the mesh's own that exports spans over OTLP/HTTP to the endpoint named by
   * {@value #OTLP_ENDPOINT_ENV} ({@code http://localhost:4318} when unset), batched, sampled by a
   * {@link MeshSampler} reading the mesh settings live.
   */
  public static MeshTracing withOtlp() {
    String env = System.getenv(OTLP_ENDPOINT_ENV);
    return withOtlp(env == null || env.isBlank() ? "http://localhost:4318" : env);
  }

  /**
   * Tracing on an SDK of the mesh's own that exports spans over OTLP/HTTP to {@code endpoint} (the
   * collector's base URL, {@code /v1/traces} is added), batched, sampled by the mesh settings.
   */
  public static MeshTracing withOtlp(String endpoint) {
    String base = Objects.requireNonNull(endpoint, "endpoint").strip();
    if (!base.startsWith("http://") && !base.startsWith("https://")) {
      throw new IllegalArgumentException(
          "mesh4j: OTLP endpoint must be an http:// or https:// URL such as http://collector:4318,"
              + " got '"
              + endpoint
              + "'");
    }
    String url = (base.endsWith("/") ? base.substring(0, base.length() - 1) : base) + "/v1/traces";
    return Sdk.otlp(url);
  }

  /**
   * Tracing on an SDK of the mesh's own whose spans go to {@code processor} (an {@code
   * io.opentelemetry.sdk.trace.SpanProcessor}: an in-memory exporter in tests, any exporter of the
   * application's choosing), sampled by a {@link MeshSampler} reading the mesh settings live.
   */
  public static MeshTracing withSpanProcessor(io.opentelemetry.sdk.trace.SpanProcessor processor) {
    return Sdk.build(Objects.requireNonNull(processor, "processor"));
  }

  /**
   * Builds the mesh's own SDK. A class of its own, so that applications that bring their own
   * OpenTelemetry need only the API on the class path.
   */
  private static final class Sdk {
    static MeshTracing otlp(String url) {
      return build(
          BatchSpanProcessor.builder(OtlpHttpSpanExporter.builder().setEndpoint(url).build())
              .build());
    }

    static MeshTracing build(SpanProcessor processor) {
      SettingsHolder settings = new SettingsHolder();
      MeshSampler sampler = MeshSampler.fromSettings(settings);
      Deferred sdk = new Deferred(processor, sampler);
      return new MeshTracing(
          sdk, name -> sdk.tracer().spanBuilder(name), MeshPropagator.get(), sdk::close, settings,
          sampler);
    }
  }

  /**
   * The mesh's own SDK, built when the first span needs it. A call that starts a trace the
   * sampler drops needs no SDK (see {@link NewTraces}), so at a low sampling share the first calls
   * of a starting application do not wait for the SDK's tens of milliseconds of classes and
   * set-up.
   *
   * <p>Tracing only: OpenTelemetrySdk would also build a meter and a logger provider, which the
   * mesh never uses.
   */
  static final class Deferred implements OpenTelemetry {
    private final SpanProcessor processor;
    private final MeshSampler sampler;
    private final ContextPropagators propagators = ContextPropagators.create(MeshPropagator.get());
    private volatile @Nullable SdkTracerProvider provider;
    private volatile @Nullable Tracer tracer;

    Deferred(SpanProcessor processor, MeshSampler sampler) {
      this.processor = processor;
      this.sampler = sampler;
    }

    @Override
    public SdkTracerProvider getTracerProvider() {
      SdkTracerProvider p = provider;
      return p != null ? p : build();
    }

    @Override
    public ContextPropagators getPropagators() {
      return propagators;
    }

    Tracer tracer() {
      Tracer t = tracer;
      if (t == null) {
        t = getTracerProvider().get(TRACER_NAME);
        tracer = t;
      }
      return t;
    }

    boolean built() {
      return provider != null;
    }

    private synchronized SdkTracerProvider build() {
      SdkTracerProvider p = provider;
      if (p == null) {
        p =
            SdkTracerProvider.builder()
                .setResource(Resource.getDefault())
                .setSampler(sampler)
                .setIdGenerator(NewTraces.INSTANCE)
                .addSpanProcessor(processor)
                .build();
        provider = p;
      }
      return p;
    }

    /** Flushes and stops the SDK, or only the processor when no span ever needed the SDK. */
    synchronized void close() {
      SdkTracerProvider p = provider;
      (p != null ? p.shutdown() : processor.shutdown()).join(10, TimeUnit.SECONDS);
    }
  }

  /** The OpenTelemetry spans are made with. */
  public OpenTelemetry openTelemetry() {
    return openTelemetry;
  }

  @Override
  public void attach(MeshView mesh) {
    settings.mesh = mesh;
  }

  @Override
  public boolean tracesCalls() {
    return true;
  }

  /** Spans take their trace from the context, not from the call's info. */
  @Override
  public boolean readsTraceIds() {
    return false;
  }

  @Override
  public ClientCallObserver clientCall(ClientCallInfo call) {
    Context parent = Context.current();
    MeshSampler own = ownSampler;
    if (own != null && !Span.fromContext(parent).getSpanContext().isValid()) {
      // A new trace on the mesh's own SDK: decide on ids drawn here, and make the SDK's span only
      // when it is sampled (see NewTraces).
      long high = NewTraces.drawHigh();
      long low = NewTraces.drawNonZero();
      if (!own.samplesNewTrace(low)) {
        Span unsampled = Span.wrap(new NewTraces.Unsampled(high, low, NewTraces.drawNonZero()));
        return new ClientSpan(unsampled, parent.with(unsampled), call.protocol());
      }
      NewTraces.startingTrace(high, low);
      try {
        return clientSpan(call, parent);
      } finally {
        NewTraces.endStarting();
      }
    }
    return clientSpan(call, parent);
  }

  private ClientSpan clientSpan(ClientCallInfo call, Context parent) {
    Span span =
        tracer
            .spanBuilder(call.method())
            .setParent(parent)
            .setSpanKind(SpanKind.CLIENT)
            .startSpan();
    // Attributes go on after the sampling decision: most calls are not sampled, and an unsampled
    // span should cost no attribute map.
    if (span.isRecording()) {
      span.setAttribute(SERVER_ADDRESS, call.destination());
      span.setAttribute(ROUTE, call.route());
      describe(span, call.protocol(), call.method(), call.path());
      String subset = call.subset();
      if (subset != null) {
        span.setAttribute(SUBSET, subset);
      }
    }
    return new ClientSpan(span, parent.with(span), call.protocol());
  }

  @Override
  public ServerCallObserver serverCall(ServerCallInfo call) {
    Context parent = propagator.extract(Context.current(), call.headers(), GETTER);
    Span span =
        tracer
            .spanBuilder(call.method())
            .setParent(parent)
            .setSpanKind(SpanKind.SERVER)
            .startSpan();
    if (span.isRecording()) {
      span.setAttribute(SERVER_ADDRESS, call.service());
      describe(span, call.protocol(), call.method(), call.path());
      String peer = call.peer();
      if (peer != null) {
        span.setAttribute(PEER_IDENTITY, peer);
      }
    }
    return new ServerSpan(span, parent.with(span), call.protocol());
  }

  private static void describe(Span span, Protocol protocol, String method, @Nullable String path) {
    if (protocol == Protocol.GRPC) {
      int slash = method.lastIndexOf('/');
      span.setAttribute(RPC_SYSTEM, "grpc");
      span.setAttribute(RPC_SERVICE, slash < 0 ? method : method.substring(0, slash));
      span.setAttribute(RPC_METHOD, slash < 0 ? method : method.substring(slash + 1));
    } else {
      span.setAttribute(HTTP_METHOD, method);
      if (path != null) {
        span.setAttribute(URL_PATH, path);
      }
    }
  }

  /** Records the status; {@code error} says whether it makes the span an error. */
  private static void endWith(
      Span span, Protocol protocol, CallStatus status, boolean server, @Nullable MeshFailure refusal) {
    if (!span.isRecording()) {
      span.end();
      return;
    }
    boolean error;
    if (protocol == Protocol.GRPC) {
      span.setAttribute(RPC_GRPC_STATUS, status.code());
      error = server ? GRPC_SERVER_ERRORS.contains(status.name()) : !status.isOk();
    } else {
      int code = status.code();
      if (code > 0) {
        span.setAttribute(HTTP_STATUS, code);
      }
      error = code == 0 || code >= (server ? 500 : 400);
    }
    if (refusal != null) {
      span.setAttribute(FAILURE, refusal.reason().name().toLowerCase(Locale.ROOT));
      span.setStatus(StatusCode.ERROR, refusal.getMessage());
    } else if (error) {
      span.setStatus(StatusCode.ERROR);
    }
    span.end();
  }

  private static @Nullable String traceIdOf(Span span) {
    SpanContext context = span.getSpanContext();
    return context.isValid() ? context.getTraceId() : null;
  }

  /** Flushes and stops the SDK the mesh built, if any; waits at most 10 seconds. Idempotent. */
  @Override
  public void close() {
    Runnable s = shutdown;
    if (s != null) {
      s.run();
    }
  }

  /** One outgoing call's span. */
  private final class ClientSpan implements ClientCallObserver {
    private final Span span;
    private final Context context;
    private final Protocol protocol;
    // Attempts run one after another; the adapter orders them.
    private volatile int attempts;

    ClientSpan(Span span, Context context, Protocol protocol) {
      this.span = span;
      this.context = context;
      this.protocol = protocol;
    }

    @Override
    public void attemptStarted(Attempt attempt, HeaderSetter headers) {
      attempts = attempt.number();
      // From the context captured at the start: a retry may start on a timer thread.
      propagator.inject(context, headers, SETTER);
    }

    @Override
    public void attemptEnded(Attempt attempt, Outcome outcome) {
      if (!span.isRecording()) {
        return;
      }
      Endpoint endpoint = attempt.endpoint();
      AttributesBuilder a =
          Attributes.builder()
              .put(ATTEMPT, attempt.number())
              .put(PEER_ADDRESS, endpoint.address())
              .put(PEER_PORT, endpoint.port())
              .put(
                  OUTCOME,
                  outcome.code().isEmpty()
                      ? outcome.kind().name()
                      : outcome.kind().name() + " " + outcome.code());
      String subset = attempt.subset();
      if (subset != null) {
        a.put(SUBSET, subset);
      }
      span.addEvent("mesh4j.attempt", a.build());
    }

    @Override
    public void callEnded(CallEnd end) {
      if (span.isRecording()) {
        span.setAttribute(ATTEMPT, attempts);
      }
      endWith(span, protocol, end.status(), false, end.refusal());
    }

    @Override
    public @Nullable String traceId() {
      return traceIdOf(span);
    }
  }

  /** One incoming call's span. */
  private static final class ServerSpan implements ServerCallObserver {
    private final Span span;
    private final Context context;
    private final Protocol protocol;

    ServerSpan(Span span, Context context, Protocol protocol) {
      this.span = span;
      this.context = context;
      this.protocol = protocol;
    }

    @Override
    @SuppressWarnings("MustBeClosedChecker") // handed on: the returned scope closes it
    public TelemetryScope activate() {
      Scope scope = context.makeCurrent();
      return scope::close;
    }

    @Override
    public void callEnded(CallEnd end) {
      endWith(span, protocol, end.status(), true, end.refusal());
    }

    @Override
    public @Nullable String traceId() {
      return traceIdOf(span);
    }
  }

  /** The mesh whose settings the sampler reads; the defaults until the mesh is built. */
  private static final class SettingsHolder implements Supplier<MeshConfig.Spec> {
    volatile @Nullable MeshView mesh;

    @Override
    public MeshConfig.Spec get() {
      MeshView m = mesh;
      return m == null ? MeshConfig.defaults() : m.settings();
    }
  }
}
