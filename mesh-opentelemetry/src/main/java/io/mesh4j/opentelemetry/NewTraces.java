package io.mesh4j.opentelemetry;

import io.opentelemetry.api.trace.SpanContext;
import io.opentelemetry.api.trace.TraceFlags;
import io.opentelemetry.api.trace.TraceState;
import io.opentelemetry.sdk.trace.IdGenerator;
import java.util.concurrent.ThreadLocalRandom;
import org.jspecify.annotations.Nullable;

/**
 * The ids of the traces the mesh's client spans start, for the SDK the mesh builds. The mesh draws
 * a new trace's ids itself and asks its sampler about them before any span is made:
 *
 * <ul>
 *   <li>Not sampled (most calls): the span records nothing, so the SDK would only wrap its context
 *       ({@code Span.wrap}); the mesh wraps an {@link Unsampled} context instead, without the SDK's
 *       span builder, and writes its ids as text only when they are read ({@code traceparent} in
 *       one go).
 *   <li>Sampled: the SDK makes the span, and this generator hands it the trace id drawn ({@link
 *       #startingTrace}), so the sampler's trace-id ratio sees the same id and decides the same.
 * </ul>
 *
 * <p>Ids are drawn as OpenTelemetry's random generator draws them (a random trace id whose low half
 * is not zero, a non-zero span id), and the SDK is told they are random (W3C's random flag).
 */
final class NewTraces implements IdGenerator {

  static final NewTraces INSTANCE = new NewTraces();

  /**
   * The trace id drawn for the sampled span being started on this thread: high, low, and 1 while
   * it waits to be taken. One array per thread, so that handing an id over allocates nothing.
   */
  private static final ThreadLocal<long[]> STARTING = ThreadLocal.withInitial(() -> new long[3]);

  /** Where ids are written before they become strings: one per thread, as OpenTelemetry's own. */
  private static final ThreadLocal<char[]> TEXT = ThreadLocal.withInitial(() -> new char[55]);

  private static final char[] HEX = "0123456789abcdef".toCharArray();

  private NewTraces() {}

  /** A trace id's high half. */
  static long drawHigh() {
    return ThreadLocalRandom.current().nextLong();
  }

  /** A trace id's low half, or a span id: never zero, which would make the id invalid. */
  static long drawNonZero() {
    ThreadLocalRandom random = ThreadLocalRandom.current();
    long v;
    do {
      v = random.nextLong();
    } while (v == 0);
    return v;
  }

  /**
   * Makes the next trace id this thread's SDK span draws the one given, until {@link
   * #endStarting}.
   */
  static void startingTrace(long high, long low) {
    long[] starting = STARTING.get();
    starting[0] = high;
    starting[1] = low;
    starting[2] = 1;
  }

  static void endStarting() {
    STARTING.get()[2] = 0;
  }

  @Override
  public String generateTraceId() {
    long[] starting = STARTING.get();
    if (starting[2] == 1) {
      starting[2] = 0;
      return hex(starting[0], starting[1]);
    }
    return hex(drawHigh(), drawNonZero());
  }

  @Override
  public String generateSpanId() {
    return hex(drawNonZero());
  }

  @Override
  public boolean generatesRandomTraceIds() {
    return true;
  }

  private static String hex(long high, long low) {
    char[] text = TEXT.get();
    writeHex(high, text, 0);
    writeHex(low, text, 16);
    return new String(text, 0, 32);
  }

  private static String hex(long v) {
    char[] text = TEXT.get();
    writeHex(v, text, 0);
    return new String(text, 0, 16);
  }

  private static void writeHex(long v, char[] dst, int offset) {
    for (int i = 15; i >= 0; i--) {
      dst[offset + i] = HEX[(int) (v & 0xf)];
      v >>>= 4;
    }
  }

  /**
   * The context of a client span that starts a trace the sampler did not sample. Its flags are
   * the SDK's for such a span: not sampled, random trace id.
   */
  static final class Unsampled implements SpanContext {
    static final TraceFlags FLAGS =
        TraceFlags.builder().setSampled(false).setRandomTraceId(true).build();

    private final long traceHigh;
    private final long traceLow;
    private final long spanId;
    // Written once when first read; a racing second write stores an equal string.
    private @Nullable String traceIdText;
    private @Nullable String spanIdText;

    Unsampled(long traceHigh, long traceLow, long spanId) {
      this.traceHigh = traceHigh;
      this.traceLow = traceLow;
      this.spanId = spanId;
    }

    @Override
    public String getTraceId() {
      String t = traceIdText;
      if (t == null) {
        t = hex(traceHigh, traceLow);
        traceIdText = t;
      }
      return t;
    }

    @Override
    public String getSpanId() {
      String s = spanIdText;
      if (s == null) {
        s = hex(spanId);
        spanIdText = s;
      }
      return s;
    }

    @Override
    public TraceFlags getTraceFlags() {
      return FLAGS;
    }

    @Override
    public TraceState getTraceState() {
      return TraceState.getDefault();
    }

    @Override
    public boolean isValid() {
      return true;
    }

    @Override
    public boolean isRemote() {
      return false;
    }

    /** The W3C {@code traceparent} header of this context, written in one go. */
    String traceparent() {
      char[] text = TEXT.get();
      text[0] = '0';
      text[1] = '0';
      text[2] = '-';
      writeHex(traceHigh, text, 3);
      writeHex(traceLow, text, 19);
      text[35] = '-';
      writeHex(spanId, text, 36);
      text[52] = '-';
      String flags = FLAGS.asHex();
      text[53] = flags.charAt(0);
      text[54] = flags.charAt(1);
      return new String(text, 0, 55);
    }

    @Override
    public String toString() {
      return "SpanContext{traceId=" + getTraceId() + ", spanId=" + getSpanId() + ", flags="
          + FLAGS.asHex() + ", unsampled new trace}";
    }
  }
}
