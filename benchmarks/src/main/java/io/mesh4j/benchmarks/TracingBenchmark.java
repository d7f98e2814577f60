package io.mesh4j.benchmarks;

import io.mesh4j.core.Mesh;
import io.mesh4j.core.call.Attempt;
import io.mesh4j.core.call.CallPlan;
import io.mesh4j.core.call.CallStatus;
import io.mesh4j.core.call.HeaderSetter;
import io.mesh4j.core.call.Outbound;
import io.mesh4j.core.call.OutboundCall;
import io.mesh4j.core.call.Outcome;
import io.mesh4j.core.source.StaticConfigSource;
import io.mesh4j.opentelemetry.MeshTracing;
import io.opentelemetry.sdk.trace.export.SimpleSpanProcessor;
import io.opentelemetry.sdk.trace.export.SpanExporter;
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
 * What tracing adds to one call that starts a trace, on the mesh's own OpenTelemetry SDK: the
 * call's span, its {@code traceparent} written into the attempt's headers, and its end, through
 * the engine as an adapter drives it. {@code samplingPercent} is the mesh's share of new traces
 * (1, the benchmarks' default, or 100: every call records and exports a span, to a no-op
 * exporter); {@code tracing=false} is the same call without the tracing listener.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class TracingBenchmark {

  private static final OutboundCall CALL =
      OutboundCall.builder("catalog.shop").grpc("shop.Catalog", "GetItem").build();

  /** Headers as gRPC metadata would take them, kept for nothing. */
  private static final HeaderSetter HEADERS = (name, value) -> {};

  @Param({"true", "false"})
  public boolean tracing;

  @Param({"1", "100"})
  public int samplingPercent;

  private Mesh mesh;
  private MeshTracing listener;
  private Outbound outbound;

  @Setup(Level.Trial)
  public void setUp() {
    String yaml =
        """
        apiVersion: mesh4j.io/v1alpha1
        kind: MeshConfig
        metadata: {name: mesh}
        spec:
          tracing: {samplingPercent: PERCENT}
        ---
        apiVersion: mesh4j.io/v1alpha1
        kind: ServiceEndpoints
        metadata: {name: catalog, namespace: shop}
        spec:
          service: catalog
          endpoints: [{address: 10.0.0.1, port: 8080}]
        """
            .replace("PERCENT", Integer.toString(samplingPercent));
    listener = MeshTracing.withSpanProcessor(SimpleSpanProcessor.create(SpanExporter.composite()));
    Mesh.Builder b = Mesh.builder().configSource(StaticConfigSource.parse(yaml));
    if (tracing) {
      b.listener(listener);
    }
    mesh = b.build();
    outbound = mesh.outbound();
  }

  @TearDown(Level.Trial)
  public void tearDown() {
    mesh.close();
    listener.close();
  }

  @Benchmark
  public Attempt tracedCall() {
    CallPlan plan = outbound.plan(CALL);
    Attempt attempt = plan.nextAttempt(HEADERS);
    attempt.settle(Outcome.success());
    plan.end(CallStatus.grpc(0), 100, 100);
    return attempt;
  }
}
