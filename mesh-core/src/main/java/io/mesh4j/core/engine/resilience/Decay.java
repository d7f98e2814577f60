package io.mesh4j.core.engine.resilience;

/**
 * How much of a value is left after some time: {@code exp(-elapsed / decayTime)}, for elapsed
 * times counted in units of 2^20 ns (about 1 ms). Picks read decayed values of endpoints that may
 * not have been written for a while, so the weight comes from two tables of 256 entries (fine
 * steps and steps of 256 units, multiplied: {@code exp(-(a + b)) = exp(-a) * exp(-b)}) instead of
 * {@code Math.exp}; beyond 2^16 units (about 69 s) it is computed.
 *
 * <p>Immutable; the default decay time's instance is shared.
 */
public final class Decay {

  /** The unit of elapsed time, as a shift of nanoseconds. */
  static final int UNIT_SHIFT = 20;

  private static final long DEFAULT_NANOS = 10_000_000_000L;
  private static final Decay DEFAULT = new Decay(DEFAULT_NANOS);

  private final double unitsPerDecay;
  private final double[] fine = new double[256];
  private final double[] coarse = new double[256];

  private Decay(long decayNanos) {
    this.unitsPerDecay = (double) Math.max(1, decayNanos) / (1L << UNIT_SHIFT);
    for (int k = 0; k < 256; k++) {
      fine[k] = Math.exp(-k / unitsPerDecay);
      coarse[k] = Math.exp(-(k * 256.0) / unitsPerDecay);
    }
  }

  /** The decay for {@code decayNanos}; the default (10 s) is one shared instance. */
  public static Decay of(long decayNanos) {
    return decayNanos == DEFAULT_NANOS ? DEFAULT : new Decay(decayNanos);
  }

  /** The default decay (10 s). */
  public static Decay standard() {
    return DEFAULT;
  }

  /** {@code exp(-elapsed / decayTime)} for {@code elapsed} units; 1 when it is not positive. */
  double weight(int elapsed) {
    if (elapsed <= 0) {
      return 1;
    }
    if (elapsed < 1 << 16) {
      return fine[elapsed & 255] * coarse[elapsed >>> 8];
    }
    return Math.exp(-elapsed / unitsPerDecay);
  }
}
