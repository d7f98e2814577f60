package io.mesh4j.http;

import io.mesh4j.core.call.Attempt;
import io.mesh4j.core.call.CallStatus;
import io.mesh4j.core.call.Outcome;
import java.io.IOException;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import org.springframework.http.client.ClientHttpRequestExecution;
import org.springframework.http.client.ClientHttpResponse;

/**
 * Sends the mirror copies of one {@link MeshRestInterceptor}'s calls, fire and forget, with the
 * rest of the chain the call itself went through (so a copy is not planned by the mesh again),
 * on this sender's own daemon threads: the request factories block, and a copy must never hold up
 * the call it copies. At most {@link MirrorSender#MAX_IN_FLIGHT} copies are out at once; a copy
 * beyond that is dropped rather than queued, as for OkHttp. Threads start on first use and end
 * after a minute without copies. Thread-safe.
 */
final class RestMirrorSender {

  private final ThreadPoolExecutor executor = MirrorSender.newExecutor();

  /**
   * Sends {@code copy} for the admitted mirror attempt {@code attempt} and returns at once. The
   * attempt is settled with the copy's outcome, or as cancelled when the copy is dropped. Never
   * throws: nothing about the copy may fail the call it copies.
   */
  void send(
      ClientHttpRequestExecution execution,
      Attempt attempt,
      RestRequest copy,
      byte[] body) {
    try {
      executor.execute(() -> run(execution, attempt, copy, body));
    } catch (RejectedExecutionException e) {
      attempt.settleFinal(Outcome.cancelled());
    }
  }

  private static void run(
      ClientHttpRequestExecution execution, Attempt attempt, RestRequest copy, byte[] body) {
    // The attempt's timeout is what is left of the call's deadline.
    AttemptDeadline deadline = AttemptDeadline.start(attempt.timeoutNanos());
    Outcome outcome;
    boolean failed = false;
    try (ClientHttpResponse response = execution.execute(copy, body)) {
      int code = response.getStatusCode().value();
      outcome = code >= 400 ? Outcome.status(CallStatus.http(code)) : Outcome.success();
    } catch (IOException | RuntimeException e) {
      outcome = Outcome.failure(HttpFailures.kind(e), e.getClass().getSimpleName());
      failed = true;
    }
    if (deadline != null && deadline.finish() && failed) {
      outcome = Outcome.failure(Outcome.Kind.TIMEOUT, "per-try timeout");
    }
    attempt.settleFinal(outcome);
  }
}
