package io.mesh4j.controller;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.concurrent.Callable;

/**
 * Checks a share of calls that a stock xDS client (grpc-java's, Node's) decides at random, a
 * weighted pick or an injected abort, within 3 points of what the policy says. Those clients draw
 * fresh randomness: 3 points are 3.6 standard deviations at 70/30 over 3,000 calls, so about one
 * sample in 3,000 lands outside by chance, and with a dozen samples a run CI would fail every few
 * hundred runs. A share outside is measured once more over new calls, and that one must be
 * inside: two in a row outside by chance happen about once in ten million.
 */
final class RandomShares {

  private RandomShares() {}

  /** The share {@code sample} measures, within 3 points of {@code expected}; printed when measured twice. */
  static double near(String what, double expected, Callable<Double> sample) throws Exception {
    double first = sample.call();
    if (Math.abs(first - expected) <= 0.03) {
      return first;
    }
    System.out.printf("%s %.3f is more than 3 points from %.2f; measuring once more%n", what, first, expected);
    double second = sample.call();
    assertThat(second).as("%s, measured again after %.3f", what, first).isCloseTo(expected, within(0.03));
    return second;
  }
}
