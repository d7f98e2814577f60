package io.mesh4j.benchmarks.load;

import io.grpc.Status;
import io.grpc.stub.StreamObserver;
import java.io.IOException;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.LockSupport;
import okhttp3.Callback;
import okhttp3.Response;
import okhttp3.ResponseBody;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.Recorder;

/**
 * The two ways the harness drives a row: a closed loop (a fixed number of calls outstanding, each
 * completion starts the next) and an open loop (calls started at a fixed rate whatever the
 * latency, each timed from the moment it was due, so a stall is charged to every call it delays
 * rather than hidden).
 */
public final class Load {

  /** Calls outstanding beyond which an open loop drops calls instead of queueing them. */
  static final int OPEN_LOOP_MAX_OUTSTANDING = 4_096;

  /** Grace after a row's window for its last calls; every call has a shorter deadline. */
  private static final long DRAIN_SECONDS = 15;

  /** Starts the next call of a closed loop off the calling thread after a synchronous failure. */
  private static final ExecutorService RESTARTER = Executors.newSingleThreadExecutor(r -> {
    Thread t = new Thread(r, "bench-restarter");
    t.setDaemon(true);
    return t;
  });

  private Load() {}

  /** A row's target: something that starts one echo call and reports its end to {@code call}. */
  public interface Target {
    /** Starts one call; {@code call} hears of its end exactly once, on any thread. */
    void start(Call call);
  }

  /**
   * One call's completion, in the shapes both client libraries call back: a gRPC {@link
   * StreamObserver} and an OkHttp {@link Callback}. Reused across calls in a closed loop, so the
   * harness allocates the same per call for every row.
   */
  public abstract static class Call implements StreamObserver<byte[]>, Callback {

    /** Called once when the call ended: {@code error} is null on success. */
    protected abstract void ended(Throwable error);

    @Override
    public final void onNext(byte[] value) {}

    @Override
    public final void onError(Throwable t) {
      ended(t);
    }

    @Override
    public final void onCompleted() {
      ended(null);
    }

    @Override
    public final void onFailure(okhttp3.Call call, IOException e) {
      ended(e);
    }

    @Override
    public final void onResponse(okhttp3.Call call, Response response) {
      Throwable error = null;
      try (ResponseBody body = response.body()) {
        body.bytes();
        if (response.code() != 200) {
          error = new IOException("HTTP " + response.code());
        }
      } catch (IOException | RuntimeException e) {
        error = e;
      }
      ended(error);
    }
  }

  /**
   * What one loop measured.
   *
   * @param histogram latencies (ns) of calls that succeeded within the window
   * @param errors calls that failed (or, in an open loop, were dropped)
   * @param seconds length of the window
   * @param firstError the first failure's description, or null
   */
  public record Result(Histogram histogram, long errors, double seconds, String firstError) {}

  /** Runs {@code concurrency} calls outstanding at all times for {@code seconds}. */
  public static Result closed(Target target, int concurrency, double seconds)
      throws InterruptedException {
    Shared shared = new Shared();
    CountDownLatch done = new CountDownLatch(concurrency);
    long start = System.nanoTime();
    long end = start + (long) (seconds * 1e9);
    for (int i = 0; i < concurrency; i++) {
      new Slot(target, shared, done, end).fire();
    }
    if (!done.await((long) seconds + DRAIN_SECONDS, TimeUnit.SECONDS)) {
      throw new IllegalStateException("closed loop: calls still outstanding "
          + DRAIN_SECONDS + " s after the window; every call has a shorter deadline");
    }
    return shared.result((end - start) / 1e9);
  }

  /**
   * Starts {@code rate} calls per second for {@code seconds}, each timed from when it was due,
   * and waits for them. A call due while {@value #OPEN_LOOP_MAX_OUTSTANDING} are outstanding is
   * dropped and counted as an error, so an overloaded row shows up instead of queueing without
   * end.
   */
  public static Result open(Target target, int rate, double seconds) throws InterruptedException {
    Shared shared = new Shared();
    AtomicInteger outstanding = new AtomicInteger();
    long interval = 1_000_000_000L / rate;
    long start = System.nanoTime();
    long end = start + (long) (seconds * 1e9);
    long due = start;
    while (due < end) {
      long wait = due - System.nanoTime();
      if (wait > 0) {
        LockSupport.parkNanos(wait);
        continue;
      }
      if (outstanding.get() >= OPEN_LOOP_MAX_OUTSTANDING) {
        shared.failed("dropped: " + OPEN_LOOP_MAX_OUTSTANDING + " calls outstanding");
      } else {
        outstanding.incrementAndGet();
        new Timed(target, shared, outstanding, due).fire();
      }
      due += interval;
    }
    long drainDeadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(DRAIN_SECONDS);
    while (outstanding.get() > 0) {
      if (System.nanoTime() > drainDeadline) {
        throw new IllegalStateException("open loop: " + outstanding.get()
            + " calls still outstanding " + DRAIN_SECONDS + " s after the window");
      }
      Thread.sleep(1);
    }
    return shared.result((end - start) / 1e9);
  }

  /** What the calls of one loop share. */
  private static final class Shared {
    final Recorder recorder = new Recorder(3);
    final LongAdder errors = new LongAdder();
    final AtomicReference<String> firstError = new AtomicReference<>();

    void failed(Throwable t) {
      errors.increment();
      if (firstError.get() == null) {
        firstError.compareAndSet(null, t instanceof IOException
            ? t.toString() : Status.fromThrowable(t).toString());
      }
    }

    void failed(String why) {
      errors.increment();
      firstError.compareAndSet(null, why);
    }

    Result result(double seconds) {
      return new Result(recorder.getIntervalHistogram(), errors.sum(), seconds, firstError.get());
    }
  }

  /** One of a closed loop's outstanding calls: each end starts the next call. */
  private static final class Slot extends Call {
    private final Target target;
    private final Shared shared;
    private final CountDownLatch done;
    private final long end;
    private long started;

    Slot(Target target, Shared shared, CountDownLatch done, long end) {
      this.target = target;
      this.shared = shared;
      this.done = done;
      this.end = end;
    }

    void fire() {
      started = System.nanoTime();
      target.start(this);
    }

    @Override
    protected void ended(Throwable error) {
      long now = System.nanoTime();
      if (error != null) {
        shared.failed(error);
        // A call refused without being sent fails inside the call that started it; going on from
        // here would recurse, so the loop continues on another thread.
        RESTARTER.execute(() -> next(System.nanoTime()));
        return;
      }
      // Only calls that end inside the window count, so throughput is calls per second of window.
      if (now <= end) {
        shared.recorder.recordValue(now - started);
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

  /** One call of an open loop, timed from when it was due. */
  private static final class Timed extends Call {
    private final Target target;
    private final Shared shared;
    private final AtomicInteger outstanding;
    private final long due;

    Timed(Target target, Shared shared, AtomicInteger outstanding, long due) {
      this.target = target;
      this.shared = shared;
      this.outstanding = outstanding;
      this.due = due;
    }

    void fire() {
      target.start(this);
    }

    @Override
    protected void ended(Throwable error) {
      if (error != null) {
        shared.failed(error);
      } else {
        shared.recorder.recordValue(System.nanoTime() - due);
      }
      outstanding.decrementAndGet();
    }
  }
}
