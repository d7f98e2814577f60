package io.mesh4j.benchmarks;

import io.grpc.CallOptions;
import io.grpc.Drainable;
import io.grpc.KnownLength;
import io.grpc.ManagedChannel;
import io.grpc.MethodDescriptor;
import io.grpc.Server;
import io.grpc.ServerServiceDefinition;
import io.grpc.Status;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.ClientCalls;
import io.grpc.stub.ServerCalls;
import io.grpc.stub.StreamObserver;
import io.mesh4j.core.Mesh;
import io.mesh4j.core.MeshFailure;
import io.mesh4j.core.MeshListener;
import io.mesh4j.core.call.Outcome;
import io.mesh4j.core.source.StaticConfigSource;
import io.mesh4j.grpc.MeshChannels;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.lang.management.ManagementFactory;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.atomic.LongAdder;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.Recorder;

/**
 * Unary gRPC calls on loopback, through a mesh4j channel and through a plain grpc-java channel,
 * against the same grpc-java server(s) in the same JVM, compared row by row.
 *
 * <pre>
 * java -cp benchmarks/target/benchmarks.jar io.mesh4j.benchmarks.GrpcLoopbackBenchmark \
 *     --seconds 15 --warmup 5 --rounds 3 --concurrency 1,8
 * </pre>
 *
 * <p>Each row is a closed loop: {@code concurrency} calls are outstanding at all times, each
 * completion records its latency in an HdrHistogram and starts the next call, until the row's time
 * is up. The request and the response are {@code payload} bytes (default 100) with a byte-array
 * marshaller, so serialization costs the same on both sides and nothing of protobuf is measured.
 *
 * <p>The rows alternate ({@code plain, mesh} in odd rounds, {@code mesh, plain} in even rounds) so
 * that drift in the machine's load, which on a shared machine is larger than the effect measured,
 * hits both channels alike and neither always runs first. Each row is preceded, once per
 * concurrency level, by an unrecorded warm-up of both channels.
 *
 * <p>The mesh channel carries a full policy: a two-rule route (a header rule that does not match,
 * then a 90/10 weighted split between two subsets), a route timeout and a retry policy with a
 * per-try timeout, least-request (P2C) balancing, a count-window circuit breaker, outlier
 * detection and a retry budget. No TLS on either channel. Both subsets cover every server, so the
 * two channels reach the same servers over the same number of connections. With {@code --servers
 * N > 1} the plain row round-robins its calls over one plain channel per server.
 *
 * <p>Every run ends by itself: each call has a 10-second deadline, and a row stops starting calls
 * when its time is up. Traffic goes only to 127.0.0.1.
 */
public final class GrpcLoopbackBenchmark {

  /** The name of the plain grpc-java channel's rows. */
  public static final String PLAIN = "plain";

  /** The name of the mesh4j channel's rows. */
  public static final String MESH = "mesh";

  private static final String DESTINATION = "echo.bench";

  /** Applied to both channels alike, so a lost call cannot stall a row. */
  private static final long CALL_DEADLINE_SECONDS = 10;

  /**
   * {@code bench.Loopback/Echo}, bytes in, the same bytes out. Marked safe and idempotent, as protoc
   * marks a {@code NO_SIDE_EFFECTS} method, so the mesh's retry policy applies to it.
   */
  static final MethodDescriptor<byte[], byte[]> ECHO =
      MethodDescriptor.<byte[], byte[]>newBuilder()
          .setType(MethodDescriptor.MethodType.UNARY)
          .setSafe(true)
          .setIdempotent(true)
          .setFullMethodName(MethodDescriptor.generateFullMethodName("bench.Loopback", "Echo"))
          .setRequestMarshaller(BytesMarshaller.INSTANCE)
          .setResponseMarshaller(BytesMarshaller.INSTANCE)
          .build();

  private GrpcLoopbackBenchmark() {}

  /** Runs the comparison with the options in {@code args} (see {@link Options#parse}). */
  public static void main(String[] args) throws Exception {
    Options options = Options.parse(args);
    // The run is bounded by construction; this only guards against a bug in the harness itself.
    Thread watchdog = new Thread(() -> {
      try {
        Thread.sleep(TimeUnit.SECONDS.toMillis(options.expectedSeconds() + 120));
        System.err.println("benchmark overran its time; exiting");
        System.exit(2);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }, "benchmark-watchdog");
    watchdog.setDaemon(true);
    watchdog.start();
    Report report = run(options, System.out);
    System.exit(report.clean() ? 0 : 1);
  }

  /**
   * Starts the servers, the mesh and both channels, runs every round at every concurrency level,
   * prints the tables to {@code out} and returns the rows. Stops everything it started.
   */
  public static Report run(Options options, PrintStream out) throws Exception {
    List<Server> servers = new ArrayList<>();
    List<ManagedChannel> channels = new ArrayList<>();
    Events events = new Events();
    try {
      for (int i = 0; i < options.servers(); i++) {
        servers.add(startServer());
      }
      List<ManagedChannel> plain = new ArrayList<>();
      for (Server s : servers) {
        plain.add(NettyChannelBuilder.forAddress("127.0.0.1", s.getPort()).usePlaintext().build());
      }
      channels.addAll(plain);
      try (StaticConfigSource source = StaticConfigSource.parse(policy(servers));
          Mesh mesh = Mesh.builder().configSource(source).listener(events).build()) {
        awaitPolicy(mesh);
        ManagedChannel meshChannel = MeshChannels.forService(mesh, DESTINATION);
        channels.add(meshChannel);
        Target plainTarget = new Target(PLAIN, plain.toArray(new ManagedChannel[0]));
        Target meshTarget = new Target(MESH, new ManagedChannel[] {meshChannel});
        byte[] payload = new byte[options.payloadBytes()];
        Arrays.fill(payload, (byte) 'x');

        out.printf(Locale.ROOT,
            "gRPC loopback: %d-byte unary echo, %d server(s) on 127.0.0.1, %d s per row, %d s warm-up,"
                + " %d round(s), %d available processor(s)%n",
            options.payloadBytes(), options.servers(), options.seconds(), options.warmupSeconds(),
            options.rounds(), Runtime.getRuntime().availableProcessors());
        List<Row> rows = new ArrayList<>();
        for (int concurrency : options.concurrency()) {
          // Warm-up: both channels, unrecorded, so the JIT and the connections are ready for both.
          drive(plainTarget, concurrency, options.warmupSeconds(), payload);
          drive(meshTarget, concurrency, options.warmupSeconds(), payload);
          List<Row> level = new ArrayList<>();
          for (int round = 1; round <= options.rounds(); round++) {
            Target first = round % 2 == 1 ? plainTarget : meshTarget;
            Target second = round % 2 == 1 ? meshTarget : plainTarget;
            for (Target t : List.of(first, second)) {
              long retries = events.retries.sum();
              long refused = events.refused.sum();
              Measurement m = drive(t, concurrency, options.seconds(), payload);
              level.add(new Row(t.name, concurrency, round, m.histogram, m.errors, m.seconds,
                  m.cpuNanos, m.allocatedBytes, events.retries.sum() - retries, events.refused.sum() - refused));
            }
          }
          print(out, level);
          rows.addAll(level);
        }
        Report report = new Report(rows);
        out.println();
        out.println(report.clean()
            ? "All calls succeeded; the mesh made no retries and refused no call."
            : "Some calls failed, or the mesh retried or refused calls: see the failed+retried column.");
        for (Target t : List.of(plainTarget, meshTarget)) {
          if (t.firstError.get() != null) {
            out.println("first failure on " + t.name + ": " + t.firstError.get());
          }
        }
        return report;
      }
    } finally {
      for (ManagedChannel c : channels) {
        c.shutdownNow();
      }
      for (ManagedChannel c : channels) {
        c.awaitTermination(5, TimeUnit.SECONDS);
      }
      for (Server s : servers) {
        s.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
      }
    }
  }

  private static Server startServer() throws IOException {
    ServerServiceDefinition service =
        ServerServiceDefinition.builder("bench.Loopback")
            .addMethod(ECHO, ServerCalls.asyncUnaryCall(GrpcLoopbackBenchmark::echo))
            .build();
    // The handler never blocks, so it runs on the transport thread: one hop less on the server,
    // which both rows share, leaves more of the two cores to the client side being compared.
    return NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0))
        .directExecutor()
        .addService(service)
        .build()
        .start();
  }

  private static void echo(byte[] request, StreamObserver<byte[]> response) {
    response.onNext(request);
    response.onCompleted();
  }

  /** The mesh's policy for the servers: everything the per-call path consults is switched on. */
  static String policy(List<Server> servers) {
    StringBuilder endpoints = new StringBuilder();
    for (Server s : servers) {
      endpoints.append("    - {address: 127.0.0.1, port: ").append(s.getPort())
          .append(", labels: {version: v1, track: stable}}\n");
    }
    // The two subsets select by different labels but hold the same endpoints, so the weighted
    // split is exercised without sending the mesh row to servers the plain row does not use.
    return """
        apiVersion: mesh4j.io/v1alpha1
        kind: TrafficRoute
        metadata: {name: echo, namespace: bench}
        spec:
          destination: echo
          subsets:
            - name: stable
              labels: {track: stable}
            - name: v1
              labels: {version: v1}
          rules:
            - name: canary-header
              matches:
                - headers:
                    - name: x-canary
                      exact: "true"
              backends:
                - subset: v1
            - name: default
              timeout: 5s
              retries:
                attempts: 3
                perTryTimeout: 2s
                retryOn: [UNAVAILABLE, connect-failure, per-try-timeout]
              backends:
                - subset: stable
                  weight: 90
                - subset: v1
                  weight: 10
        ---
        apiVersion: mesh4j.io/v1alpha1
        kind: DestinationPolicy
        metadata: {name: echo, namespace: bench}
        spec:
          destination: echo
          loadBalancer:
            policy: LEAST_REQUEST
          circuitBreaker:
            failureRateThreshold: 50
            minimumCalls: 20
            slidingWindowSize: 100
            waitInOpenState: 5s
          outlierDetection:
            consecutiveFailures: 5
            baseEjectionTime: 10s
            maxEjectionPercent: 50
          retryBudget:
            retryPercent: 20
            minRetriesPerSecond: 10
        ---
        apiVersion: mesh4j.io/v1alpha1
        kind: ServiceEndpoints
        metadata: {name: echo, namespace: bench}
        spec:
          service: echo
          endpoints:
        """ + endpoints;
  }

  private static void awaitPolicy(Mesh mesh) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (mesh.appliedVersion() <= 0) {
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException("the mesh did not apply the benchmark's policy");
      }
      Thread.sleep(10);
    }
  }

  /** Runs one closed loop of {@code concurrency} outstanding calls for {@code seconds}. */
  private static Measurement drive(Target target, int concurrency, int seconds, byte[] payload)
      throws InterruptedException {
    Recorder recorder = new Recorder(3);
    LongAdder errors = new LongAdder();
    CountDownLatch done = new CountDownLatch(concurrency);
    long cpuStart = processCpuNanos();
    long allocatedStart = allocatedBytes();
    long start = System.nanoTime();
    long end = start + TimeUnit.SECONDS.toNanos(seconds);
    for (int i = 0; i < concurrency; i++) {
      new Slot(target, payload, recorder, errors, done, end).fire();
    }
    // Every call has a deadline, so every slot ends; the margin covers a call started just before
    // the end.
    if (!done.await(seconds + CALL_DEADLINE_SECONDS + 5, TimeUnit.SECONDS)) {
      throw new IllegalStateException(target.name + ": calls still outstanding after their deadline");
    }
    long cpu = processCpuNanos() - cpuStart;
    long allocated = allocatedBytes() - allocatedStart;
    return new Measurement(
        recorder.getIntervalHistogram(), errors.sum(), (end - start) / 1e9, cpu, allocated);
  }

  /**
   * Bytes allocated so far by the process's live threads, or -1 where the JVM does not tell. Like
   * CPU time, a per-call figure that does not depend on the machine's load.
   */
  private static long allocatedBytes() {
    return ManagementFactory.getThreadMXBean() instanceof com.sun.management.ThreadMXBean threads
            && threads.isThreadAllocatedMemoryEnabled()
        ? threads.getTotalThreadAllocatedBytes()
        : -1;
  }

  /**
   * CPU time of the whole process (client, server, GC, JIT), or -1 where the JVM does not tell.
   * Only one channel runs at a time, so per call it charges each row with its own work; unlike
   * wall-clock figures it barely moves when other processes take the cores.
   */
  private static long processCpuNanos() {
    return ManagementFactory.getOperatingSystemMXBean()
            instanceof com.sun.management.OperatingSystemMXBean os
        ? os.getProcessCpuTime()
        : -1;
  }

  /** One of the closed loop's outstanding calls: each completion starts the next call. */
  private static final class Slot implements StreamObserver<byte[]> {
    private final Target target;
    private final byte[] payload;
    private final Recorder recorder;
    private final LongAdder errors;
    private final CountDownLatch done;
    private final long end;
    private long started;

    Slot(Target target, byte[] payload, Recorder recorder, LongAdder errors, CountDownLatch done,
        long end) {
      this.target = target;
      this.payload = payload;
      this.recorder = recorder;
      this.errors = errors;
      this.done = done;
      this.end = end;
    }

    void fire() {
      started = System.nanoTime();
      ClientCalls.asyncUnaryCall(
          target.next().newCall(ECHO,
              CallOptions.DEFAULT.withDeadlineAfter(CALL_DEADLINE_SECONDS, TimeUnit.SECONDS)),
          payload, this);
    }

    @Override
    public void onNext(byte[] value) {}

    @Override
    public void onError(Throwable t) {
      errors.increment();
      target.firstError.compareAndSet(null, Status.fromThrowable(t).toString());
      // A call the mesh refuses fails inside the call that started it; starting the next one
      // from here would recurse, so the retry of the loop goes through another thread.
      long now = System.nanoTime();
      ForkJoinPool.commonPool().execute(() -> next(now));
    }

    @Override
    public void onCompleted() {
      long now = System.nanoTime();
      // Only calls that finish inside the row's window count, so throughput is calls per second
      // of window and the few calls in flight at the end are left out of both rows alike.
      if (now <= end) {
        recorder.recordValue(now - started);
      }
      next(now);
    }

    private void next(long now) {
      if (now < end) {
        fire();
      } else {
        done.countDown();
      }
    }
  }

  private static void print(PrintStream out, List<Row> rows) {
    out.println();
    out.printf(Locale.ROOT, "concurrency %d (latency in microseconds; CPU and alloc = whole process, per call)%n",
        rows.get(0).concurrency());
    out.println("| round | channel | calls | calls/s | p50 | p90 | p99 | p99.9 | CPU us/call | alloc B/call"
        + " | failed+retried | p50 ratio | p99 ratio | calls/s ratio | CPU ratio |");
    out.println("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|");
    for (Row r : rows) {
      Row plain = rows.stream()
          .filter(p -> p.channel().equals(PLAIN) && p.round() == r.round()).findFirst().orElseThrow();
      printRow(out, String.valueOf(r.round()), r, r.channel().equals(MESH) ? plain : null);
    }
    Row allPlain = Row.merge(rows.stream().filter(r -> r.channel().equals(PLAIN)).toList());
    printRow(out, "all", allPlain, null);
    printRow(out, "all", Row.merge(rows.stream().filter(r -> r.channel().equals(MESH)).toList()), allPlain);
  }

  /** Prints {@code r}, with its ratios to {@code plain} unless that is null (a plain row). */
  private static void printRow(PrintStream out, String round, Row r, Row plain) {
    String ratios = plain == null
        ? "| | | | |"
        : String.format(Locale.ROOT, "| %.3f | %.3f | %.3f | %.3f |",
            (double) r.latencyNanos(50) / plain.latencyNanos(50),
            (double) r.latencyNanos(99) / plain.latencyNanos(99),
            r.throughput() / plain.throughput(),
            r.cpuNanosPerCall() / plain.cpuNanosPerCall());
    out.printf(Locale.ROOT, "| %s | %s | %d | %.0f | %.1f | %.1f | %.1f | %.1f | %.1f | %.0f | %d %s%n",
        round, r.channel(), r.histogram().getTotalCount(), r.throughput(), micros(r, 50),
        micros(r, 90), micros(r, 99), micros(r, 99.9), r.cpuNanosPerCall() / 1000.0,
        r.allocatedBytesPerCall(), r.errorsSeenByMesh(), ratios);
  }

  private static double micros(Row r, double percentile) {
    return r.latencyNanos(percentile) / 1000.0;
  }

  /** A channel under test; with several plain channels, calls go round-robin over them. */
  private static final class Target {
    private final String name;
    private final ManagedChannel[] channels;
    private final AtomicInteger next = new AtomicInteger();
    private final AtomicReference<String> firstError = new AtomicReference<>();

    Target(String name, ManagedChannel[] channels) {
      this.name = name;
      this.channels = channels;
    }

    ManagedChannel next() {
      return channels.length == 1
          ? channels[0]
          : channels[Math.floorMod(next.getAndIncrement(), channels.length)];
    }
  }

  private record Measurement(
      Histogram histogram, long errors, double seconds, long cpuNanos, long allocatedBytes) {}

  /**
   * One measured row.
   *
   * @param channel {@link #PLAIN} or {@link #MESH}
   * @param concurrency calls outstanding at all times
   * @param round 1-based round number
   * @param histogram latencies (ns) of the calls that completed inside the window
   * @param errors calls that failed, as the application saw them
   * @param seconds length of the window
   * @param cpuNanos CPU time the whole process used during the window, or -1 if unknown
   * @param allocatedBytes bytes the process allocated during the window, or -1 if unknown
   * @param retries retries the mesh scheduled during the row (0 for a healthy loopback)
   * @param refused calls the mesh refused during the row
   */
  public record Row(String channel, int concurrency, int round, Histogram histogram, long errors,
      double seconds, long cpuNanos, long allocatedBytes, long retries, long refused) {

    /** The rows of one channel pooled: histograms added, calls, time and CPU summed. */
    static Row merge(List<Row> rows) {
      Histogram h = rows.get(0).histogram().copy();
      rows.stream().skip(1).forEach(r -> h.add(r.histogram()));
      return new Row(rows.get(0).channel(), rows.get(0).concurrency(), 0, h,
          rows.stream().mapToLong(Row::errors).sum(), rows.stream().mapToDouble(Row::seconds).sum(),
          rows.stream().mapToLong(Row::cpuNanos).sum(),
          rows.stream().mapToLong(Row::allocatedBytes).sum(), rows.stream().mapToLong(Row::retries).sum(),
          rows.stream().mapToLong(Row::refused).sum());
    }

    /** Bytes allocated by the process per completed call. */
    public double allocatedBytesPerCall() {
      return (double) allocatedBytes / Math.max(1, histogram.getTotalCount());
    }

    /** Process CPU time per completed call, in nanoseconds. */
    public double cpuNanosPerCall() {
      return (double) cpuNanos / Math.max(1, histogram.getTotalCount());
    }

    /** Calls completed per second of window. */
    public double throughput() {
      return histogram.getTotalCount() / seconds;
    }

    /** Latency at {@code percentile} (0-100), in nanoseconds. */
    public long latencyNanos(double percentile) {
      return histogram.getValueAtPercentile(percentile);
    }

    /** Failures, retries and refusals together: anything that makes the row not a clean one. */
    long errorsSeenByMesh() {
      return errors + retries + refused;
    }
  }

  /**
   * Every row of a run.
   *
   * @param rows in the order they ran
   */
  public record Report(List<Row> rows) {

    /** The rows of one channel, {@link #PLAIN} or {@link #MESH}. */
    public List<Row> rows(String channel) {
      return rows.stream().filter(r -> r.channel().equals(channel)).toList();
    }

    /** Whether every call succeeded without a retry or refusal. */
    public boolean clean() {
      return rows.stream().allMatch(r -> r.errorsSeenByMesh() == 0);
    }
  }

  /**
   * What to run.
   *
   * @param seconds measured seconds per row per round
   * @param warmupSeconds unrecorded seconds per channel before each concurrency level
   * @param rounds rounds per concurrency level; each round has one row per channel
   * @param concurrency the concurrency levels to run, in order
   * @param payloadBytes size of the request and of the response message
   * @param servers grpc-java servers to start on 127.0.0.1
   */
  public record Options(int seconds, int warmupSeconds, int rounds, List<Integer> concurrency,
      int payloadBytes, int servers) {

    /** Validates the options. */
    public Options {
      concurrency = List.copyOf(concurrency);
      if (seconds < 1 || warmupSeconds < 0 || rounds < 1 || payloadBytes < 0 || servers < 1
          || concurrency.isEmpty() || concurrency.stream().anyMatch(c -> c < 1 || c > 1024)) {
        throw new IllegalArgumentException("invalid options: " + this);
      }
    }

    /**
     * Parses {@code --seconds 15 --warmup 5 --rounds 3 --concurrency 1,8 --payload 100 --servers
     * 1} (the defaults); every option may be left out.
     */
    public static Options parse(String... args) {
      int seconds = 15;
      int warmup = 5;
      int rounds = 3;
      List<Integer> concurrency = List.of(1, 8);
      int payload = 100;
      int servers = 1;
      for (int i = 0; i < args.length; i++) {
        String name = args[i];
        if (i + 1 >= args.length) {
          throw new IllegalArgumentException("missing value for " + name);
        }
        String value = args[++i];
        switch (name) {
          case "--seconds" -> seconds = Integer.parseInt(value);
          case "--warmup" -> warmup = Integer.parseInt(value);
          case "--rounds" -> rounds = Integer.parseInt(value);
          case "--concurrency" -> concurrency =
              Arrays.stream(value.split(",")).map(String::trim).map(Integer::valueOf).toList();
          case "--payload" -> payload = Integer.parseInt(value);
          case "--servers" -> servers = Integer.parseInt(value);
          default -> throw new IllegalArgumentException("unknown option " + name
              + "; known: --seconds --warmup --rounds --concurrency --payload --servers");
        }
      }
      return new Options(seconds, warmup, rounds, concurrency, payload, servers);
    }

    long expectedSeconds() {
      return (long) concurrency.size() * (2L * warmupSeconds + 2L * rounds * seconds);
    }
  }

  /** Counts what the mesh did besides sending each call once. */
  private static final class Events extends MeshListener {
    final LongAdder retries = new LongAdder();
    final LongAdder refused = new LongAdder();

    @Override
    public void retryScheduled(String destination, int nextAttempt, long backoffNanos, Outcome outcome) {
      retries.increment();
    }

    @Override
    public void callRefused(MeshFailure failure) {
      refused.increment();
    }
  }

  /**
   * Byte arrays as they are, so neither row spends time on serialization the other does not. Like
   * grpc-java's protobuf marshaller, it tells gRPC the message's length and writes it out in one
   * piece, so the transport does not copy it through stream buffers: without that, buffer copies
   * would be most of a 100-byte call's cost and hide what the rows differ in.
   */
  enum BytesMarshaller implements MethodDescriptor.Marshaller<byte[]> {
    INSTANCE;

    @Override
    public InputStream stream(byte[] value) {
      return new BytesStream(value);
    }

    @Override
    public byte[] parse(InputStream stream) {
      try {
        if (stream instanceof KnownLength) {
          byte[] bytes = new byte[stream.available()];
          if (stream.readNBytes(bytes, 0, bytes.length) == bytes.length && stream.read() == -1) {
            return bytes;
          }
          throw new IOException("message shorter or longer than its known length");
        }
        return stream.readAllBytes();
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
  }

  /** A message's bytes with their length known and drainable in one write. */
  private static final class BytesStream extends ByteArrayInputStream
      implements KnownLength, Drainable {

    BytesStream(byte[] bytes) {
      super(bytes);
    }

    @Override
    public synchronized int drainTo(OutputStream target) throws IOException {
      int n = count - pos;
      target.write(buf, pos, n);
      pos = count;
      return n;
    }
  }
}
