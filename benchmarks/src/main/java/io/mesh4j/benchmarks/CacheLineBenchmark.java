package io.mesh4j.benchmarks;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Group;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.infra.Control;

/**
 * The machine, not the mesh: how long one cache line takes to go from one core to another and
 * back. Two threads hand a flag to each other; a thread's operation ends when it gets the flag
 * back, so the score is one round trip. The decision's two-thread rows pay part of this for every
 * counter both threads write (requests in flight to an endpoint, the adaptive limit's), so their
 * ratio to one thread depends on it: run it beside {@link CallDecisionBenchmark} to read them.
 */
@State(Scope.Group)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class CacheLineBenchmark {

  private final AtomicBoolean flag = new AtomicBoolean();

  @Benchmark
  @Group("handOver")
  public void ping(Control control) {
    while (!control.stopMeasurement && !flag.compareAndSet(false, true)) {
      Thread.onSpinWait();
    }
  }

  @Benchmark
  @Group("handOver")
  public void pong(Control control) {
    while (!control.stopMeasurement && !flag.compareAndSet(true, false)) {
      Thread.onSpinWait();
    }
  }
}
