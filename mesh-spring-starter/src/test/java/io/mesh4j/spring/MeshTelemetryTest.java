package io.mesh4j.spring;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.grpc.stub.StreamObserver;
import io.mesh4j.core.Mesh;
import io.mesh4j.spring.test.proto.GreeterGrpc;
import io.mesh4j.spring.test.proto.HelloReply;
import io.mesh4j.spring.test.proto.HelloRequest;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.opentelemetry.api.OpenTelemetry;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.sdk.OpenTelemetrySdk;
import io.opentelemetry.sdk.testing.exporter.InMemorySpanExporter;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.sdk.trace.export.SimpleSpanProcessor;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/**
 * The starter registers tracing (on the application's {@link OpenTelemetry} bean), metrics as
 * per-call telemetry, and the access log; one real gRPC call on 127.0.0.1 shows all three.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
@ExtendWith(OutputCaptureExtension.class)
class MeshTelemetryTest {

  @TempDir Path dir;

  private ApplicationContextRunner runner() {
    return new ApplicationContextRunner()
        .withConfiguration(
            AutoConfigurations.of(
                MeshAutoConfiguration.class,
                MeshGrpcAutoConfiguration.class,
                MeshMetricsAutoConfiguration.class,
                MeshTelemetryAutoConfiguration.class))
        .withPropertyValues(
            "mesh4j.config-dir=" + dir,
            "mesh4j.grpc.port=0",
            "mesh4j.grpc.address=127.0.0.1",
            "mesh4j.service=greeter.test");
  }

  private static void configure(Path dir, Mesh mesh, int port) {
    Policies.write(
        dir,
        "greeter.yaml",
        Policies.endpoint("greeter", "test", port)
            + """
            ---
            apiVersion: mesh4j.io/v1alpha1
            kind: MeshConfig
            metadata: {name: mesh, namespace: mesh4j-system}
            spec:
              tracing: {samplingPercent: 100}
              accessLog: {enabled: true, samplingPercent: 100}
            """);
    await()
        .atMost(Duration.ofSeconds(20))
        .until(() -> !mesh.endpoints("greeter.test").isEmpty());
  }

  @Test
  void oneCallIsTracedTimedAndLogged(CapturedOutput output) {
    runner()
        .withUserConfiguration(Telemetry.class, Greeter.class, Caller.class)
        .run(
            context -> {
              assertThat(context).hasNotFailed();
              Mesh mesh = context.getBean(Mesh.class);
              configure(dir, mesh, context.getBean(MeshGrpcServer.class).port());

              HelloReply reply =
                  context
                      .getBean(Caller.class)
                      .stub
                      .withDeadlineAfter(10, TimeUnit.SECONDS)
                      .hello(HelloRequest.newBuilder().setName("t").build());
              assertThat(reply.getMessage()).isEqualTo("hello t");

              InMemorySpanExporter spans = context.getBean(InMemorySpanExporter.class);
              await()
                  .atMost(Duration.ofSeconds(10))
                  .until(() -> spans.getFinishedSpanItems().size() >= 2);
              List<SpanData> finished = spans.getFinishedSpanItems();
              SpanData client =
                  finished.stream().filter(s -> s.getKind() == SpanKind.CLIENT).findFirst().orElseThrow();
              SpanData server =
                  finished.stream().filter(s -> s.getKind() == SpanKind.SERVER).findFirst().orElseThrow();
              // one trace across the call: the server span continues the client's
              assertThat(server.getTraceId()).isEqualTo(client.getTraceId());

              MeterRegistry registry = context.getBean(MeterRegistry.class);
              await()
                  .atMost(Duration.ofSeconds(10))
                  .untilAsserted(
                      () -> {
                        Timer timer =
                            registry
                                .find("mesh4j.client.requests")
                                .tag("destination", "greeter.test")
                                .timer();
                        assertThat(timer).isNotNull();
                        assertThat(timer.count()).isEqualTo(1);
                      });
              await()
                  .atMost(Duration.ofSeconds(10))
                  .until(() -> output.getOut().contains(client.getTraceId()));
            });
  }

  @Test
  void tracingAndTheAccessLogCanBeTurnedOff() {
    runner()
        .withUserConfiguration(Telemetry.class)
        .withPropertyValues("mesh4j.tracing.enabled=false", "mesh4j.access-log.enabled=false")
        .run(
            context -> {
              assertThat(context).hasNotFailed();
              assertThat(context).doesNotHaveBean("meshTracingCustomizer");
              assertThat(context).doesNotHaveBean("meshAccessLogCustomizer");
              assertThat(context).hasBean("meshMetricsCustomizer");
            });
  }

  /** An SDK that keeps spans in memory, and a registry. */
  @Configuration(proxyBeanMethods = false)
  static class Telemetry {
    @Bean
    InMemorySpanExporter spanExporter() {
      return InMemorySpanExporter.create();
    }

    @Bean(destroyMethod = "close")
    OpenTelemetrySdk openTelemetry(InMemorySpanExporter exporter) {
      return OpenTelemetrySdk.builder()
          .setTracerProvider(
              SdkTracerProvider.builder()
                  .addSpanProcessor(SimpleSpanProcessor.create(exporter))
                  .build())
          .build();
    }

    @Bean
    MeterRegistry meterRegistry() {
      return new SimpleMeterRegistry();
    }
  }

  /** The server. */
  @MeshGrpcService
  static class Greeter extends GreeterGrpc.GreeterImplBase {
    @Override
    public void hello(HelloRequest request, StreamObserver<HelloReply> response) {
      response.onNext(HelloReply.newBuilder().setMessage("hello " + request.getName()).build());
      response.onCompleted();
    }
  }

  /** A caller with a meshed stub. */
  @Configuration(proxyBeanMethods = false)
  static class Caller {
    @MeshClient("greeter.test")
    GreeterGrpc.GreeterBlockingStub stub;
  }
}
