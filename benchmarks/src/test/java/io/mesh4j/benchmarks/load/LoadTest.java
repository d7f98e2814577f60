package io.mesh4j.benchmarks.load;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(30)
class LoadTest {

  private final ScheduledExecutorService executor = Executors.newScheduledThreadPool(2);

  @AfterEach
  void stop() {
    executor.shutdownNow();
  }

  @Test
  void closedLoopKeepsExactlyTheConcurrencyOutstanding() throws Exception {
    AtomicInteger outstanding = new AtomicInteger();
    AtomicInteger most = new AtomicInteger();
    Load.Target target = call -> {
      most.accumulateAndGet(outstanding.incrementAndGet(), Math::max);
      executor.schedule(() -> {
        outstanding.decrementAndGet();
        call.onCompleted();
      }, 1, TimeUnit.MILLISECONDS);
    };
    Load.Result r = Load.closed(target, 3, 0.3);
    assertThat(most.get()).isEqualTo(3);
    assertThat(r.errors()).isZero();
    assertThat(r.histogram().getTotalCount()).isPositive();
    assertThat(r.histogram().getValueAtPercentile(50)).isGreaterThanOrEqualTo(1_000_000);
  }

  @Test
  void failuresAreCountedWithTheFirstOneKeptAndTheLoopGoesOn() throws Exception {
    AtomicInteger n = new AtomicInteger();
    Load.Target target = call -> executor.execute(() -> {
      if (n.incrementAndGet() % 2 == 0) {
        call.onFailure(null, new IOException("connection reset by test"));
      } else {
        call.onCompleted();
      }
    });
    Load.Result r = Load.closed(target, 1, 0.2);
    assertThat(r.errors()).isPositive();
    assertThat(r.histogram().getTotalCount()).isPositive();
    assertThat(r.firstError()).isEqualTo("java.io.IOException: connection reset by test");
  }

  @Test
  void openLoopStartsCallsAtTheRateWhateverTheLatencyAndTimesThemFromWhenTheyWereDue()
      throws Exception {
    // Every call takes 50 ms: a closed loop of one would make 10 calls in 0.5 s; the open loop
    // must still start 200 per second and charge each call its full 50 ms.
    Load.Target target = call -> executor.schedule(call::onCompleted, 50, TimeUnit.MILLISECONDS);
    Load.Result r = Load.open(target, 200, 0.5);
    assertThat(r.histogram().getTotalCount()).isBetween(99L, 101L);
    assertThat(r.errors()).isZero();
    assertThat(r.histogram().getValueAtPercentile(50)).isGreaterThanOrEqualTo(50_000_000);
  }
}
