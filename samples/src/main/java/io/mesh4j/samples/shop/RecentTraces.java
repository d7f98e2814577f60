package io.mesh4j.samples.shop;

import io.opentelemetry.context.Context;
import io.opentelemetry.sdk.common.CompletableResultCode;
import io.opentelemetry.sdk.trace.ReadWriteSpan;
import io.opentelemetry.sdk.trace.ReadableSpan;
import io.opentelemetry.sdk.trace.SpanProcessor;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The demo's span sink: keeps the ids of the last traces and how many spans (across the shop's
 * applications) each had, in memory, so the live view can show a few and the demo can check that
 * calls carried one trace from the frontend through catalog and pricing. Thread-safe.
 */
final class RecentTraces implements SpanProcessor {

  /** A trace and the number of spans that ended in it so far. */
  record Trace(String traceId, int spans) {}

  private static final int KEPT = 64;

  private final Map<String, Integer> spansByTrace =
      new LinkedHashMap<>(KEPT * 2, 0.75f, false) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, Integer> eldest) {
          return size() > KEPT;
        }
      };
  private long traces;
  private int widest;

  @Override
  public void onStart(Context parentContext, ReadWriteSpan span) {}

  @Override
  public boolean isStartRequired() {
    return false;
  }

  @Override
  public synchronized void onEnd(ReadableSpan span) {
    String id = span.getSpanContext().getTraceId();
    Integer before = spansByTrace.get(id);
    if (before == null) {
      traces++;
    }
    int now = before == null ? 1 : before + 1;
    spansByTrace.put(id, now);
    widest = Math.max(widest, now);
  }

  @Override
  public boolean isEndRequired() {
    return true;
  }

  /** The last {@code n} traces, newest first. */
  synchronized List<Trace> recent(int n) {
    List<Trace> all = new ArrayList<>();
    spansByTrace.forEach((id, spans) -> all.add(new Trace(id, spans)));
    List<Trace> newest = new ArrayList<>();
    for (int i = all.size() - 1; i >= 0 && newest.size() < n; i--) {
      newest.add(all.get(i));
    }
    return newest;
  }

  /** How many sampled traces ended a span so far. */
  synchronized long traces() {
    return traces;
  }

  /** The most spans one trace had: 5 when a page's trace crossed all three applications. */
  synchronized int widest() {
    return widest;
  }

  @Override
  public CompletableResultCode shutdown() {
    return CompletableResultCode.ofSuccess();
  }

  @Override
  public CompletableResultCode forceFlush() {
    return CompletableResultCode.ofSuccess();
  }
}
