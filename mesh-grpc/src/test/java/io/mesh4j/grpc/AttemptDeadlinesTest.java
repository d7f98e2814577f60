package io.mesh4j.grpc;

import static org.assertj.core.api.Assertions.assertThat;

import io.grpc.ClientCall;
import io.grpc.Metadata;
import io.mesh4j.core.call.Endpoint;
import io.mesh4j.core.testing.FakeSleeper;
import io.mesh4j.core.testing.FakeTicker;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The per-try timer, on a fake clock: when it cancels, what it keeps, when it wakes. */
@Timeout(30)
class AttemptDeadlinesTest {

  private static final long MS = TimeUnit.MILLISECONDS.toNanos(1);
  private static final Endpoint ENDPOINT = new Endpoint("127.0.0.1", 8080, Map.of(), null, 1, null);

  private final FakeTicker ticker = new FakeTicker();
  private final FakeSleeper sleeper = FakeSleeper.manual(ticker);
  private final AttemptDeadlines timer = new AttemptDeadlines(ticker, sleeper);

  @Test
  void anAttemptStillOpenAtItsDeadlineIsCancelledThenAndNotBefore() {
    Call call = new Call();
    AttemptTracer.Timed attempt = timed();
    timer.arm(attempt, call, 300 * MS);

    sleeper.advance(299 * MS);
    assertThat(call.cancels).isEmpty();

    sleeper.advance(MS);
    assertThat(call.cancels).containsExactly(AttemptDeadlines.CANCELLED);
    assertThat(attempt.closedByTimer()).isTrue();
    assertThat(timer.listed()).isZero();
  }

  @Test
  void anAttemptThatClosesFirstIsNeverCancelledAndIsDroppedAtTheNextSweep() {
    Call call = new Call();
    AttemptTracer.Timed attempt = timed();
    timer.arm(attempt, call, 2_000 * MS);
    sleeper.advance(5 * MS);
    assertThat(attempt.closedByTimer()).isFalse();

    // Closed attempts are not kept until their deadline: the next sweep lets go of them.
    sleeper.advance(AttemptDeadlines.SWEEP_NANOS);
    assertThat(timer.listed()).isZero();
    assertThat(sleeper.pending()).isZero();
    sleeper.advance(3_000 * MS);
    assertThat(call.cancels).isEmpty();
  }

  @Test
  void anAttemptClosedBeforeItIsArmedIsNotListed() {
    AttemptTracer.Timed attempt = timed();
    assertThat(attempt.closedByTimer()).isFalse();
    Call call = new Call();
    timer.arm(attempt, call, 100 * MS);
    assertThat(sleeper.pending()).isZero();
    sleeper.advance(200 * MS);
    assertThat(call.cancels).isEmpty();
  }

  @Test
  void aShorterDeadlineArmedLaterIsKeptOnTime() {
    Call slow = new Call();
    Call fast = new Call();
    timer.arm(timed(), slow, 1_000 * MS);
    timer.arm(timed(), fast, 3 * MS);

    sleeper.advance(3 * MS);
    assertThat(fast.cancels).hasSize(1);
    assertThat(slow.cancels).isEmpty();
    sleeper.advance(997 * MS);
    assertThat(slow.cancels).hasSize(1);
  }

  @Test
  void whileAttemptsAreListedOneSweepIsPendingAndArmingAllocatesNoTask() {
    List<AttemptTracer.Timed> open = new ArrayList<>();
    for (int i = 0; i < 100; i++) {
      AttemptTracer.Timed t = timed();
      timer.arm(t, new Call(), 500 * MS);
      open.add(t);
      assertThat(sleeper.pending()).isEqualTo(1);
    }
    // Only the first arm found no sweep due by its deadline and scheduled one.
    assertThat(sleeper.waits()).hasSize(1);
    for (AttemptTracer.Timed t : open) {
      t.closedByTimer();
    }
    sleeper.advance(AttemptDeadlines.SWEEP_NANOS);
    assertThat(timer.listed()).isZero();
    assertThat(sleeper.pending()).isZero();
  }

  @Test
  void randomArmsAndClosesCancelExactlyTheAttemptsOpenAtTheirDeadline() {
    SplittableRandom random = new SplittableRandom(42);
    List<Armed> all = new ArrayList<>();
    for (int step = 0; step < 3_000; step++) {
      if (step < 2_000) {
        long timeout = (1 + random.nextInt(400)) * MS;
        // Some close before their deadline, some would close after it, some never.
        long closeAt =
            random.nextInt(3) == 0 ? Long.MAX_VALUE : ticker.nanos() + random.nextInt(600) * MS;
        Call call = new Call();
        AttemptTracer.Timed t = timed();
        timer.arm(t, call, timeout);
        all.add(new Armed(call, t, ticker.nanos() + timeout, closeAt));
      }
      // A millisecond at a time: an attempt closing in the millisecond its deadline passes is
      // cancelled first.
      sleeper.advance(random.nextInt(2) * MS);
      for (Armed a : all) {
        if (a.closeAt() <= ticker.nanos() && a.call().cancels.isEmpty()) {
          a.tracer().closedByTimer();
        }
      }
    }
    for (Armed a : all) {
      boolean openAtDeadline = a.closeAt() >= a.deadline();
      assertThat(a.call().cancels).as("cancels").hasSize(openAtDeadline ? 1 : 0);
    }
    sleeper.advance(AttemptDeadlines.SWEEP_NANOS);
    assertThat(timer.listed()).isZero();
    assertThat(sleeper.pending()).isZero();
  }

  private record Armed(Call call, AttemptTracer.Timed tracer, long deadline, long closeAt) {}

  private static AttemptTracer.Timed timed() {
    return (AttemptTracer.Timed) AttemptTracer.of(ENDPOINT, true);
  }

  /** Records what the timer asks of the attempt's call. */
  private static final class Call extends ClientCall<Object, Object> {
    final List<String> cancels = new ArrayList<>();

    @Override
    public void start(Listener<Object> listener, Metadata headers) {}

    @Override
    public void request(int n) {}

    @Override
    public void cancel(@Nullable String message, @Nullable Throwable cause) {
      cancels.add(message);
    }

    @Override
    public void halfClose() {}

    @Override
    public void sendMessage(Object message) {}
  }
}
