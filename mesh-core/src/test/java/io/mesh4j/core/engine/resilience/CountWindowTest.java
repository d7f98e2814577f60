package io.mesh4j.core.engine.resilience;

import static io.mesh4j.core.engine.resilience.OutcomeWindow.FAILED;
import static io.mesh4j.core.engine.resilience.OutcomeWindow.SLOW;
import static io.mesh4j.core.engine.resilience.OutcomeWindow.SUCCESS;
import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(10)
class CountWindowTest {

  @Test
  void noRateCountsBeforeTheMinimumNumberOfCalls() {
    CountWindow w = new CountWindow(10, 5, 50, 100);

    for (int i = 0; i < 4; i++) {
      assertThat(w.record(SUCCESS | FAILED, 0)).as("failure %d", i).isFalse();
    }
    assertThat(w.record(SUCCESS | FAILED, 0)).isTrue();
  }

  @Test
  void aSuccessThatCompletesTheMinimumCanOpenTheBreaker() {
    CountWindow w = new CountWindow(10, 4, 50, 100);
    w.record(SUCCESS | FAILED, 0);
    w.record(SUCCESS | FAILED, 0);
    w.record(SUCCESS | FAILED, 0);

    assertThat(w.record(SUCCESS, 0)).isTrue();
    assertThat(w.failureRate()).isEqualTo(75f);
  }

  @Test
  void onlyTheLastSizeOutcomesCount() {
    CountWindow w = new CountWindow(4, 4, 50, 100);
    w.record(SUCCESS | FAILED, 0);
    w.record(SUCCESS, 0);
    w.record(SUCCESS, 0);
    w.record(SUCCESS, 0);
    assertThat(w.failureRate()).isEqualTo(25f);

    // The failure falls out of the window as a fifth outcome comes in.
    assertThat(w.record(SUCCESS, 0)).isFalse();
    assertThat(w.failureRate()).isZero();
    assertThat(w.record(SUCCESS | FAILED, 0)).isFalse();
    assertThat(w.record(SUCCESS | FAILED, 0)).isTrue();
  }

  @Test
  void failuresFromAsManyThreadsAsTheWindowHoldsAllCount() throws InterruptedException {
    // a small window: one outcome per thread must not land in another thread's slot
    CountWindow w = new CountWindow(4, 4, 50, 100);
    List<Boolean> opened = new java.util.concurrent.CopyOnWriteArrayList<>();
    for (int i = 0; i < 4; i++) {
      Thread t = new Thread(() -> opened.add(w.record(SUCCESS | FAILED, 0)));
      t.start();
      t.join();
    }

    // the fourth failure fills the window to its minimum and opens the breaker
    assertThat(opened).containsExactly(false, false, false, true);
    assertThat(w.failureRate()).isEqualTo(100f);
  }

  @Test
  void slowCallsHaveTheirOwnRate() {
    CountWindow w = new CountWindow(4, 2, 50, 50);

    assertThat(w.record(SUCCESS | SLOW, 0)).isFalse();
    assertThat(w.record(SUCCESS | SLOW, 0)).isTrue();
    assertThat(w.slowRate()).isEqualTo(100f);
    assertThat(w.failureRate()).isZero();
  }

  @Test
  void theMinimumIsCappedAtTheWindowSize() {
    CountWindow w = new CountWindow(3, 20, 50, 100);
    w.record(SUCCESS | FAILED, 0);
    w.record(SUCCESS | FAILED, 0);

    assertThat(w.record(SUCCESS, 0)).isTrue();
  }

  @Test
  void concurrentRecordsKeepTheCountsExact() throws InterruptedException {
    CountWindow w = new CountWindow(100, 100, 101, 101);
    int threads = 4;
    CountDownLatch start = new CountDownLatch(1);
    List<Thread> workers = new ArrayList<>();
    for (int t = 0; t < threads; t++) {
      int id = t;
      Thread worker =
          new Thread(
              () -> {
                try {
                  start.await();
                } catch (InterruptedException e) {
                  Thread.currentThread().interrupt();
                  return;
                }
                for (int i = 0; i < 10_000; i++) {
                  w.record((i + id) % 4 == 0 ? SUCCESS | FAILED : SUCCESS, 0);
                }
              });
      worker.start();
      workers.add(worker);
    }
    start.countDown();
    for (Thread worker : workers) {
      worker.join();
    }
    // Had a race lost or doubled a count, refilling the window would not bring it back to exact
    // rates: the counts follow the ring's content whatever the interleaving.
    for (int i = 0; i < 100; i++) {
      w.record(SUCCESS, 0);
    }
    assertThat(w.failureRate()).isZero();
    for (int i = 0; i < 100; i++) {
      w.record(SUCCESS | FAILED, 0);
    }
    assertThat(w.failureRate()).isEqualTo(100f);
  }
}
