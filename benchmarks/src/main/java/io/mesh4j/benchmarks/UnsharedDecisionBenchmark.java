package io.mesh4j.benchmarks;

import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.State;

/**
 * {@link CallDecisionBenchmark} with a mesh of each thread's own, so that two threads share no
 * state: run on two threads beside {@code CallDecisionBenchmark}, it tells what the second thread
 * costs by itself (the machine's cores) from what it costs through the state both threads update
 * (requests in flight, latency averages, limits: cache lines passed between the cores).
 */
@State(Scope.Thread)
public class UnsharedDecisionBenchmark extends CallDecisionBenchmark {}
