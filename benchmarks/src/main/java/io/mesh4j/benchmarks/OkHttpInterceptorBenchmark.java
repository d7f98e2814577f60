package io.mesh4j.benchmarks;

import io.mesh4j.benchmarks.load.MeshPolicies;
import io.mesh4j.core.Mesh;
import io.mesh4j.core.source.StaticConfigSource;
import io.mesh4j.http.MeshOkHttp;
import java.io.IOException;
import java.util.EnumSet;
import java.util.concurrent.TimeUnit;
import okhttp3.MediaType;
import okhttp3.OkHttpClient;
import okhttp3.Protocol;
import okhttp3.Request;
import okhttp3.Response;
import okhttp3.ResponseBody;
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
 * One OkHttp call through the mesh's interceptor, against the same call without it, on an
 * in-process chain: the last application interceptor answers every request with a canned 200 and
 * no socket is opened, so the difference is the interceptor (plan, endpoint rewrite, per-attempt
 * timeouts, settle) and nothing of the network. The mesh's policy has every client feature on;
 * {@code filter} adds a request header change or a path rewrite to the rule every call takes.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class OkHttpInterceptorBenchmark {

  private static final MediaType OCTETS = MediaType.get("application/octet-stream");

  @Param({"false", "true"})
  boolean mesh;

  /** What the matched rule also does: nothing, set one request header, or rewrite the path. */
  @Param({"NONE", "HEADER_SET", "REWRITE"})
  String filter;

  private final byte[] payload = new byte[100];
  private StaticConfigSource source;
  private Mesh meshInstance;
  private OkHttpClient client;
  private Request request;

  /** Builds the client for this trial. */
  @Setup(Level.Trial)
  public void setUp() throws Exception {
    OkHttpClient.Builder builder = new OkHttpClient.Builder().retryOnConnectionFailure(false);
    if (mesh) {
      String policy = MeshPolicies.yaml("echo-http", 8080, EnumSet.allOf(MeshPolicies.Feature.class), "5xx");
      String rule = "    - name: default\n";
      policy = switch (filter) {
        case "HEADER_SET" -> policy.replace(rule, rule + "      requestHeaders: {set: [{name: x-tenant, value: bench}]}\n");
        case "REWRITE" -> policy.replace(rule, rule + "      matches: [{path: {prefix: /echo}}]\n"
            + "      rewrite: {prefix: {match: /echo, replacement: /v2/echo}}\n");
        default -> policy;
      };
      source = StaticConfigSource.parse(policy);
      meshInstance = Mesh.builder().configSource(source).build();
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
      while (meshInstance.appliedVersion() <= 0 && System.nanoTime() < deadline) {
        Thread.sleep(5);
      }
      MeshOkHttp.install(meshInstance, builder);
    }
    // Added last, so it runs after the mesh's interceptor and answers in its place of the network.
    builder.addInterceptor(chain -> new Response.Builder()
        .request(chain.request())
        .protocol(Protocol.HTTP_1_1)
        .code(200)
        .message("OK")
        .body(ResponseBody.create(payload, OCTETS))
        .build());
    client = builder.build();
    request = new Request.Builder()
        .url(mesh ? "http://echo-http.bench/echo" : "http://127.0.0.1:8080/echo")
        .get()
        .build();
    call();
  }

  /** One call, its response read and closed. */
  @Benchmark
  public int call() throws IOException {
    try (Response response = client.newCall(request).execute()) {
      return response.body().bytes().length;
    }
  }

  /** Stops the mesh. */
  @TearDown(Level.Trial)
  public void tearDown() throws Exception {
    if (meshInstance != null) {
      meshInstance.close();
      source.close();
    }
  }
}
