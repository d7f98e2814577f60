package io.mesh4j.grpc;

import io.grpc.CallOptions;
import io.grpc.Channel;
import io.grpc.ClientCall;
import io.grpc.Context;
import io.grpc.Deadline;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.Status;
import io.mesh4j.core.call.Attempt;
import io.mesh4j.core.call.CallPlan;
import io.mesh4j.core.call.CallStatus;
import io.mesh4j.core.call.HeaderEdits;
import io.mesh4j.core.call.HeaderSetter;
import io.mesh4j.core.call.MeshFailure;
import io.mesh4j.core.call.OutboundCall;
import io.mesh4j.core.call.Outcome;
import io.mesh4j.core.call.RetryDecision;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.jspecify.annotations.Nullable;

/**
 * One logical call on a mesh channel. It plans the call with the engine when the application
 * starts it, runs each admitted attempt as an underlying call pinned to the engine's endpoint,
 * settles every attempt from its {@code onClose}, and starts the next attempt when the settle
 * answer says to retry, after the engine's backoff. The engine observes the call and owns its
 * waits and cancellation; this class only moves the call's parts to the right attempt.
 *
 * <p>Calls whose client sends a single message (unary and server streaming) are held back until
 * the application half-closes, so each attempt can replay start, message and half-close. They are
 * retried only until a response message reaches the application: response headers are held back
 * with it, so an attempt that fails before its first message leaves no trace. Client and
 * bidirectional streaming calls run as one attempt, started at once. An attempt that cannot be
 * retried for these reasons is settled as final, so the engine spends no retry budget on it. A
 * server's {@code grpc-retry-pushback-ms} trailer goes to the engine with the attempt's outcome;
 * when the engine does not retry because of it, the caller's status description says so.
 *
 * <p>A unary call whose rule hedges runs its attempts through {@link Hedged}: more than one may
 * be out at once, and the first to answer wins.
 *
 * <p>A mirrored unary call also sends the engine's mirror copy once its first attempt is on its
 * way: fire and forget, bounded by the call's deadline, its response dropped and its outcome
 * settled with the engine.
 *
 * <p>Every {@code ClientCall} method and call option the application uses reaches every attempt
 * unchanged: headers, message compression (on or off), deadlines, the executor.
 *
 * <p>The caller's {@link Context} (the one current at {@link #start}) bounds the whole call, not
 * only its attempts: each attempt's underlying call follows the context itself, and while the call
 * waits between attempts (a fault delay or a backoff) the call listens to the context, so that its
 * cancellation, or its deadline passing, ends the call at once instead of when the wait is over.
 *
 * <p>Thread-safe. Application methods, attempt callbacks (on the call's executor) and the mesh's
 * timer (after a backoff or a fault delay, or cancelling an attempt whose per-try timeout passed)
 * may run on different threads. The call is its own lock
 * (it is package-private, so nobody else can lock it): fields marked as guarded by {@code lock}
 * are touched only while it is held. No application callback is ever invoked while it is held;
 * underlying calls are, only for streaming calls, to keep their messages in order (they never
 * wait on another thread).
 *
 * <p>The call is also the engine's view of itself ({@link OutboundCall}), read from the method
 * descriptor and the application's metadata without copying them, and the setter observers write
 * an attempt's headers through: per call, the mesh allocates this object and the engine's plan.
 * Binary ({@code -bin}) metadata is invisible to header matches, since route rules match text.
 */
final class MeshClientCall<ReqT, RespT> extends ClientCall<ReqT, RespT>
    implements OutboundCall, HeaderSetter, Context.CancellationListener {

  /** The server's retry pushback in milliseconds (gRFC A6). */
  private static final Metadata.Key<String> PUSHBACK =
      Metadata.Key.of("grpc-retry-pushback-ms", Metadata.ASCII_STRING_MARSHALLER);

  /** Runs a task on the thread that hands it over. */
  private static final Executor DIRECT = Runnable::run;

  private static final VarHandle FINISHED;

  static {
    try {
      FINISHED = MethodHandles.lookup().findVarHandle(MeshClientCall.class, "finished", int.class);
    } catch (ReflectiveOperationException e) {
      throw new ExceptionInInitializerError(e);
    }
  }

  private final MethodDescriptor<ReqT, RespT> method;
  private final CallOptions callOptions;
  private final Channel next;
  private final ChannelState channel;
  private final boolean replayable;
  // 1 once the call has finished; set through FINISHED.
  @SuppressWarnings("UnusedVariable") // read and written through FINISHED
  private volatile int finished;
  // The caller's context, taken at start, where the call's deadline is read from it. Retries start
  // on the timer thread; they must carry it (its deadline, cancellation and tracing) as the first
  // attempt does. Published to later threads like the fields below.
  private Context context = Context.ROOT;

  // Written by the application before the first attempt starts; starting an attempt (directly or
  // through the timer's queue) publishes them to the threads that run later attempts.
  private @Nullable Listener<RespT> appListener;
  private @Nullable Metadata appHeaders;
  private @Nullable CallPlan plan;
  private @Nullable ReqT message;
  // Null until the application sets it; then replayed, true or false, on every attempt.
  private volatile @Nullable Boolean messageCompression;
  // The tracer of the attempt that ran last, for the bytes the call's end reports.
  private volatile @Nullable AttemptTracer lastTracer;
  // The metadata of the attempt being started, only while the engine starts it.
  private @Nullable Metadata startingHeaders;

  // guarded by lock
  private @Nullable ClientCall<ReqT, RespT> current;
  // guarded by lock: messages of a streaming call sent before its attempt started (fault delay)
  // Made only by streaming calls that send before their first attempt.
  private @Nullable List<ReqT> held;
  // guarded by lock
  private boolean halfClosed;
  // guarded by lock: whether a streaming call's messages now go straight to the attempt
  private boolean streaming;
  // guarded by lock
  private int requested;
  // guarded by lock
  private boolean cancelled;

  // Written only by the attempt that delivers the first response message.
  private volatile boolean committed;
  // The attempts of a hedged call; set before its first attempt, null for every other call.
  private volatile @Nullable Hedged hedged;

  MeshClientCall(
      MethodDescriptor<ReqT, RespT> method,
      CallOptions callOptions,
      Channel next,
      ChannelState channel) {
    this.method = method;
    this.callOptions = callOptions;
    this.next = next;
    this.channel = channel;
    this.replayable = method.getType().clientSendsOneMessage();
  }

  @Override
  public void start(Listener<RespT> listener, Metadata headers) {
    if (appListener != null) {
      throw new IllegalStateException("call already started");
    }
    synchronized (this) {
      if (cancelled) {
        throw new IllegalStateException("call was cancelled");
      }
    }
    context = Context.current();
    // The engine reads the call (this) while it plans it: the headers are the application's own.
    appHeaders = headers;
    CallPlan p = channel.outbound.plan(this);
    plan = p;
    // After matching, which saw the application's own headers; the call owns them from start on.
    HeaderEdits requestEdits = p.requestHeaderEdits();
    if (!requestEdits.isEmpty()) {
      requestEdits.applyTo(new MetadataEditor(headers));
    }
    HeaderEdits responseEdits = p.responseHeaderEdits();
    appListener = responseEdits.isEmpty() ? listener : new EditingListener<>(listener, responseEdits);
    if (!replayable) {
      begin();
    }
  }

  @Override
  public void request(int numMessages) {
    ClientCall<ReqT, RespT> call;
    List<ClientCall<ReqT, RespT>> hedges = List.of();
    synchronized (this) {
      requested += numMessages;
      call = current;
      Hedged h = hedged;
      if (call == null && h != null) {
        hedges = h.calls();
      }
    }
    if (call != null) {
      call.request(numMessages);
    }
    for (ClientCall<ReqT, RespT> c : hedges) {
      c.request(numMessages);
    }
  }

  @Override
  public void sendMessage(ReqT message) {
    if (replayable) {
      if (this.message != null) {
        throw new IllegalStateException(method.getType() + " call sends a single message");
      }
      this.message = message;
      return;
    }
    // Forwarded under the lock so that messages held during a fault delay keep their order.
    synchronized (this) {
      if (!streaming) {
        List<ReqT> h = held;
        if (h == null) {
          h = new ArrayList<>();
          held = h;
        }
        h.add(message);
      } else if (current != null) {
        current.sendMessage(message);
      }
    }
  }

  @Override
  public void halfClose() {
    if (replayable) {
      begin();
      return;
    }
    synchronized (this) {
      halfClosed = true;
      if (streaming && current != null) {
        current.halfClose();
      }
    }
  }

  @Override
  public void cancel(@Nullable String message, @Nullable Throwable cause) {
    Status status = Status.CANCELLED.withDescription(message != null ? message : "call cancelled");
    stop(cause != null ? status.withCause(cause) : status);
  }

  /**
   * The caller's context was cancelled, or its deadline passed, while the call waited between
   * attempts (it is listened to only then): the call ends now rather than when the wait is over.
   * Runs on the thread that cancelled the context.
   */
  @Override
  public void cancelled(Context ended) {
    stop(endedByContext(ended));
  }

  /** How a call ends when its context ends before its next attempt. */
  private Status endedByContext(Context ended) {
    Throwable cause = ended.cancellationCause();
    if (cause instanceof TimeoutException) {
      // Its deadline passed: what grpc-java says of a call its context's deadline cut off, and
      // what the engine says when a wait capped at that deadline ends first.
      return Status.DEADLINE_EXCEEDED
          .withDescription(
              "mesh4j: the caller's context deadline ended the mesh's wait before an attempt to "
                  + destination()
                  + ": "
                  + cause.getMessage())
          .withCause(cause);
    }
    Status status =
        Status.CANCELLED.withDescription(
            "mesh4j: the caller's context cancellation ended the mesh's wait before an attempt to "
                + destination()
                + (cause == null ? "" : ": " + cause));
    return cause == null ? status : status.withCause(cause);
  }

  /**
   * Stops the call once, whoever asks: an attempt in flight is cancelled (its {@code onClose}
   * settles it and ends the call), else the call ends here with {@code status}.
   */
  private void stop(Status status) {
    ClientCall<ReqT, RespT> call;
    List<ClientCall<ReqT, RespT>> hedges = List.of();
    synchronized (this) {
      if (cancelled) {
        return;
      }
      cancelled = true;
      call = current;
      Hedged h = hedged;
      if (call == null && h != null) {
        hedges = h.calls();
      }
    }
    // A call stopped while it waits no longer needs to hear its context.
    context.removeListener(this);
    CallPlan p = plan;
    if (p != null) {
      // A pending fault delay or backoff never starts its attempt.
      p.cancel();
    }
    if (call != null) {
      // The attempt's onClose settles it as cancelled and finishes the call.
      call.cancel(status.getDescription(), status.getCause());
      return;
    }
    if (!hedges.isEmpty()) {
      // The first of them to close finishes the call.
      for (ClientCall<ReqT, RespT> c : hedges) {
        c.cancel(status.getDescription(), status.getCause());
      }
      return;
    }
    finish(status, new Metadata(), null);
  }

  @Override
  public boolean isReady() {
    ClientCall<ReqT, RespT> call = currentCall();
    if (call != null) {
      return call.isReady();
    }
    // Before the first attempt starts, a replayable call buffers its one message, so sending is
    // never blocked.
    return replayable && message == null;
  }

  @Override
  public void setMessageCompression(boolean enabled) {
    messageCompression = enabled;
    ClientCall<ReqT, RespT> call = currentCall();
    if (call != null) {
      call.setMessageCompression(enabled);
    }
  }

  private @Nullable ClientCall<ReqT, RespT> currentCall() {
    synchronized (this) {
      return current;
    }
  }

  /** Starts the call after the fault delay the plan asks for, if any. */
  private void begin() {
    CallPlan p = plan();
    if (method.getType() == MethodDescriptor.MethodType.UNARY
        && p.hedgeDelayNanos() != Long.MAX_VALUE) {
      hedged = new Hedged();
    }
    long delay = p.faultDelayNanos();
    if (delay <= 0) {
      startAttempt();
      return;
    }
    waitThenStart(p, delay);
  }

  /**
   * Starts the next attempt after {@code nanos} on the mesh's timer. Only a wait listens to the
   * caller's context, so a call that never waits adds nothing to it; the listener is the call
   * itself, and a context that cannot be cancelled takes nothing at all.
   */
  private void waitThenStart(CallPlan p, long nanos) {
    // Before the wait is scheduled, so that no cancellation can fall between the two; a context
    // already cancelled calls back at once, and the wait is then never scheduled.
    context.addListener(this, DIRECT);
    p.resumeAfter(nanos, context.wrap(this::startAttemptOnTimer));
  }

  /** On the timer thread nobody would see an exception, so it ends the call instead. */
  private void startAttemptOnTimer() {
    // The wait is over; from here the attempt's own call follows the context.
    context.removeListener(this);
    try {
      startAttempt();
    } catch (RuntimeException | Error e) {
      finish(
          Status.INTERNAL.withDescription("mesh4j: could not start an attempt").withCause(e),
          new Metadata(),
          null);
    }
  }

  private void startAttempt() {
    synchronized (this) {
      if (cancelled) {
        return;
      }
    }
    Hedged hedges = hedged;
    if (hedges != null) {
      hedges.send(false);
      return;
    }
    if (context.isCancelled()) {
      // Its context ended before this attempt went out (while it waited, or before the first):
      // it never goes out.
      cancelled(context);
      return;
    }
    CallPlan p = plan();
    // A fresh copy per attempt: the channel adds its own headers to the one it is given.
    Metadata headers = new Metadata();
    headers.merge(appHeaders());
    // Observers write into it while the engine starts the attempt; the call is its own setter.
    startingHeaders = headers;
    Attempt attempt;
    try {
      attempt = p.nextAttempt(this);
    } finally {
      startingHeaders = null;
    }
    if (!attempt.admitted()) {
      finish(MeshStatus.of(attempt.refusal()), new Metadata(), null);
      return;
    }
    long timer = timerNanos(attempt);
    AttemptTracer tracer = AttemptTracer.of(attempt.endpoint(), timer != Long.MAX_VALUE);
    boolean boundByCallDeadline = attempt.timeoutIsCallDeadline();
    ClientCall<ReqT, RespT> call;
    try {
      lastTracer = tracer;
      call =
          channel.meshPicks(next)
              ? startInline(attempt, tracer, boundByCallDeadline, headers)
              : null;
      if (call == null) {
        call = next.newCall(method, options(attempt, tracer));
        call.start(new AttemptListener(attempt, tracer, boundByCallDeadline), headers);
      }
    } catch (RuntimeException | Error e) {
      // The attempt holds permits; it must be settled even though it never went out, and the
      // call ends here: the exception is all the application will hear of it.
      attempt.settleFinal(
          Outcome.failure(Outcome.Kind.CONNECT_FAILURE, "INTERNAL"));
      if (FINISHED.compareAndSet(this, 0, 1)) {
        p.end(CallStatus.grpc(Status.Code.INTERNAL.value()), -1, -1);
      }
      throw e;
    }
    Boolean compression = messageCompression;
    if (compression != null) {
      call.setMessageCompression(compression);
    }
    if (replayable) {
      int toRequest;
      boolean cancelNow;
      synchronized (this) {
        cancelNow = cancelled;
        if (!cancelNow) {
          current = call;
        }
        toRequest = requested;
      }
      if (cancelNow) {
        call.cancel("call cancelled", null);
        return;
      }
      if (toRequest > 0) {
        call.request(toRequest);
      }
      ReqT m = message;
      if (m != null) {
        call.sendMessage(m);
      }
      call.halfClose();
      if (tracer instanceof AttemptTracer.Timed t) {
        // Only now: a call cancelled while the application's thread sends would throw there.
        AttemptDeadlines.SYSTEM.arm(t, call, timer);
      }
      // After the call is on its way, so that the copy never delays it.
      if (attempt.number() == 1 && m != null && method.getType() == MethodDescriptor.MethodType.UNARY) {
        sendMirrorCopy(p, m);
      }
      return;
    }
    boolean cancelNow;
    synchronized (this) {
      cancelNow = cancelled;
      if (!cancelNow) {
        current = call;
        streaming = true;
        if (requested > 0) {
          call.request(requested);
        }
        List<ReqT> h = held;
        for (ReqT m : h == null ? List.<ReqT>of() : h) {
          call.sendMessage(m);
        }
        held = null;
        if (halfClosed) {
          call.halfClose();
        }
      }
    }
    if (cancelNow) {
      call.cancel("call cancelled", null);
    }
  }

  /**
   * Starts the attempt's call with options that do not name its tracer, for the picker to find
   * the attempt on this thread instead: a copy of the options that names it is the larger part of
   * what the mesh adds to a call's allocation. Returns null, with that call cancelled before it
   * sent anything, when the channel did not open the attempt's stream right there (it has no
   * picker yet, or the endpoint's connection is not ready): the stream would wait where no later
   * pick could tell which attempt it is.
   */
  private @Nullable ClientCall<ReqT, RespT> startInline(
      Attempt attempt, AttemptTracer tracer, boolean boundByCallDeadline, Metadata headers) {
    ClientCall<ReqT, RespT> call =
        next.newCall(method, withAttemptDeadline(attempt, tracer, callOptions));
    AttemptListener listener = new AttemptListener(attempt, tracer, boundByCallDeadline);
    AttemptTracer.Starting starting = tracer.beginStart(headers);
    try {
      call.start(listener, headers);
    } finally {
      starting.end();
    }
    if (tracer.streamCreated) {
      return call;
    }
    listener.superseded = true;
    call.cancel("mesh4j: attempt started again with its endpoint in its call options", null);
    return null;
  }

  /**
   * The application's call options for one attempt: its tracer and, unless {@link
   * AttemptDeadlines} keeps it, its deadline.
   */
  private CallOptions options(Attempt attempt, AttemptTracer tracer) {
    return withAttemptDeadline(attempt, tracer, callOptions.withStreamTracerFactory(tracer));
  }

  /**
   * The per-try timeout that {@link AttemptDeadlines} keeps for an attempt, or {@link
   * Long#MAX_VALUE} for none: when the call has a deadline of its own (its options' or its
   * context's, which grpc-java tells the server) and the attempt's per-try timeout ends first.
   * The server is told the call's deadline, as with gRPC's own retries (gRFC A6) and a sidecar's
   * per-try timeout, and the mesh cancels the attempt when its time is up; a copy of the options
   * with the attempt's deadline would cost more than the rest of what the mesh adds to a call.
   */
  private long timerNanos(Attempt attempt) {
    long timeout = attempt.timeoutNanos();
    // A streamed request's messages are sent to the attempt's call later, which the timer's
    // cancel would make throw: such an attempt keeps its deadline in its options.
    if (timeout == Long.MAX_VALUE || attempt.timeoutIsCallDeadline() || !replayable) {
      return Long.MAX_VALUE;
    }
    long left = timeRemainingNanos();
    return left != Long.MAX_VALUE && left > timeout ? timeout : Long.MAX_VALUE;
  }

  /**
   * The options with the attempt's deadline, which the transport keeps and tells the server,
   * unless the timer keeps it or the call's own deadline (its options' or its context's) comes
   * first: the call's deadline as the mesh sets it (a route's timeout, the mesh's default), or a
   * per-try timeout of a call with no deadline of its own.
   */
  private CallOptions withAttemptDeadline(
      Attempt attempt, AttemptTracer tracer, CallOptions options) {
    long timeout = attempt.timeoutNanos();
    if (timeout == Long.MAX_VALUE
        || tracer instanceof AttemptTracer.Timed
        || timeRemainingNanos() <= timeout) {
      return options;
    }
    return options.withDeadlineAfter(timeout, TimeUnit.NANOSECONDS);
  }

  /**
   * How an attempt's call closed, as the mesh tells it: one that {@link AttemptDeadlines}
   * cancelled ended at its per-try timeout. Marks the attempt closed for the timer.
   */
  private Status closed(Status status, Attempt attempt, AttemptTracer tracer) {
    if (!tracer.closedByTimer() || status.getCode() != Status.Code.CANCELLED) {
      return status;
    }
    return Status.DEADLINE_EXCEEDED.withDescription(
        "mesh4j: attempt "
            + attempt.number()
            + " to "
            + destination()
            + " had no answer within its per-try timeout of "
            + TimeUnit.NANOSECONDS.toMillis(attempt.timeoutNanos())
            + " ms");
  }

  /**
   * Sends the copy of a mirrored unary call, fire and forget: the response is discarded, and
   * nothing about the copy reaches the application or changes the call. The copy runs in a fork
   * of the caller's context, so that it keeps the context's values but not its cancellation (a
   * server handler's context ends with the handler); it is bounded by the call's deadline
   * instead, through the engine's timeout for the copy. Its callbacks run on the transport's
   * thread: they only settle, and a blocking stub's executor stops running tasks once the call
   * it waits for is over.
   */
  private void sendMirrorCopy(CallPlan p, ReqT request) {
    Attempt copy = p.mirrorAttempt();
    if (copy == null || !copy.admitted()) {
      // The engine reported the refusal to listeners; the call goes on without a copy.
      return;
    }
    AttemptTracer tracer = new AttemptTracer(copy.endpoint());
    Context forked = context.fork();
    Context previous = forked.attach();
    try {
      CallOptions options = options(copy, tracer).withExecutor(DIRECT);
      ClientCall<ReqT, RespT> call = next.newCall(method, options);
      Metadata headers = new Metadata();
      headers.merge(appHeaders());
      call.start(new MirrorListener(copy, tracer), headers);
      call.request(1);
      call.sendMessage(request);
      call.halfClose();
    } catch (RuntimeException e) {
      // The copy must never fail the call; it must still give its permits back.
      copy.settle(
          Outcome.failure(Outcome.Kind.CONNECT_FAILURE, "INTERNAL"));
    } finally {
      forked.detach(previous);
    }
  }

  /**
   * Delivers the end of the call to the application, exactly once, after the engine has told
   * the call's observers (which can never keep it from the application).
   */
  private void finish(Status status, Metadata trailers, @Nullable Metadata heldHeaders) {
    finish(status, trailers, heldHeaders, false);
  }

  /**
   * Ends the call once and tells the application. {@code onCallExecutor}: the caller runs on the
   * call's executor already (an attempt's callback), so the application is told right there.
   */
  private void finish(
      Status status, Metadata trailers, @Nullable Metadata heldHeaders, boolean onCallExecutor) {
    if (!FINISHED.compareAndSet(this, 0, 1)) {
      return;
    }
    CallPlan p = plan;
    if (p != null) {
      AttemptTracer t = lastTracer;
      p.end(
          CallStatus.grpc(status.getCode().value()),
          t == null ? -1 : t.sentBytes,
          t == null ? -1 : t.receivedBytes);
    }
    synchronized (this) {
      // Anything a streaming application still sends goes nowhere, as on a closed gRPC call.
      streaming = true;
      held = null;
    }
    Listener<RespT> listener = appListener;
    if (listener == null) {
      // Cancelled before it was started: there is nobody to tell.
      return;
    }
    Executor executor = callOptions.getExecutor();
    if (executor == null || onCallExecutor) {
      deliver(listener, status, trailers, heldHeaders);
    } else {
      // Blocking stubs wait on their own executor, so an end found elsewhere (a refusal on the
      // timer thread) must be handed to it.
      executor.execute(() -> deliver(listener, status, trailers, heldHeaders));
    }
  }

  private static <RespT> void deliver(
      Listener<RespT> listener, Status status, Metadata trailers, @Nullable Metadata heldHeaders) {
    if (heldHeaders != null) {
      listener.onHeaders(heldHeaders);
    }
    listener.onClose(status, trailers);
  }

  /** The destination: the channel's authority, which the {@code mesh} resolver sets to it. */
  @Override
  public String destination() {
    return next.authority();
  }

  @Override
  public @Nullable String grpcService() {
    return method.getServiceName();
  }

  @Override
  public String grpcFullMethod() {
    return method.getFullMethodName();
  }

  @Override
  public @Nullable String grpcMethod() {
    return method.getBareMethodName();
  }

  /** A text header of the application's metadata; binary ones are never matched. */
  @Override
  public @Nullable String header(String lowerCaseName) {
    Metadata h = appHeaders;
    if (h == null || lowerCaseName.endsWith(Metadata.BINARY_HEADER_SUFFIX)) {
      return null;
    }
    return h.get(AsciiKeys.of(lowerCaseName));
  }

  @Override
  public boolean idempotent() {
    return method.isIdempotent() || method.isSafe();
  }

  @Override
  public boolean streaming() {
    return method.getType() != MethodDescriptor.MethodType.UNARY;
  }

  /** The sooner of the call options' and the caller's context's deadlines, from now. */
  @Override
  public long timeRemainingNanos() {
    Deadline deadline = callOptions.getDeadline();
    Deadline contextDeadline = context.getDeadline();
    if (deadline == null || (contextDeadline != null && contextDeadline.isBefore(deadline))) {
      deadline = contextDeadline;
    }
    return deadline == null ? Long.MAX_VALUE : Math.max(0, deadline.timeRemaining(TimeUnit.NANOSECONDS));
  }

  private CallPlan plan() {
    CallPlan p = plan;
    if (p == null) {
      throw new IllegalStateException("call not started");
    }
    return p;
  }

  private Listener<RespT> appListener() {
    Listener<RespT> l = appListener;
    if (l == null) {
      throw new IllegalStateException("call not started");
    }
    return l;
  }

  private Metadata appHeaders() {
    Metadata h = appHeaders;
    if (h == null) {
      throw new IllegalStateException("call not started");
    }
    return h;
  }

  /** Receives one attempt's events; attempts run one after another, never overlapping. */
  private final class AttemptListener extends Listener<RespT> {
    private final Attempt attempt;
    private final AttemptTracer tracer;
    private final boolean boundByCallDeadline;
    private @Nullable Metadata heldHeaders;
    // Its call was cancelled before it sent anything, and the attempt started again on another.
    volatile boolean superseded;

    AttemptListener(Attempt attempt, AttemptTracer tracer, boolean boundByCallDeadline) {
      this.attempt = attempt;
      this.tracer = tracer;
      this.boundByCallDeadline = boundByCallDeadline;
    }

    @Override
    public void onHeaders(Metadata headers) {
      if (superseded) {
        return;
      }
      if (committed) {
        appListener().onHeaders(headers);
      } else {
        heldHeaders = headers;
      }
    }

    @Override
    public void onMessage(RespT message) {
      if (superseded) {
        return;
      }
      if (!committed) {
        // From here on the application has seen a response, so this attempt is final.
        committed = true;
        Metadata held = heldHeaders;
        heldHeaders = null;
        if (held != null) {
          appListener().onHeaders(held);
        }
      }
      appListener().onMessage(message);
    }

    @Override
    public void onReady() {
      if (!superseded) {
        appListener().onReady();
      }
    }

    @Override
    public void onClose(Status closedWith, Metadata trailers) {
      if (superseded) {
        return;
      }
      Status status = closed(closedWith, attempt, tracer);
      if (tracer.pickedByMesh) {
        channel.sawMeshPick(next);
      }
      boolean wasCancelled;
      synchronized (MeshClientCall.this) {
        current = null;
        wasCancelled = cancelled;
      }
      Outcome outcome = pushback(classify(status, wasCancelled, tracer), trailers);
      // Once a response message reached the application, or for a streamed request that was not
      // kept, the call cannot be replayed: the engine must not spend budget on a retry.
      RetryDecision decision =
          committed || !replayable ? attempt.settleFinal(outcome) : attempt.settle(outcome);
      if (decision.shouldRetry() && !committed && replayable && !wasCancelled) {
        // Always on the timer: a retry never runs on the transport thread that closed this one.
        waitThenStart(plan(), decision.backoffNanos());
        return;
      }
      Metadata held = heldHeaders;
      heldHeaders = null;
      // The engine's reason for not retrying a retryable failure, if it gives one, travels with
      // the server's own status, so the caller can tell the mesh's choice from the server's.
      String why = decision.message();
      Status ended = why.isEmpty() ? status : status.augmentDescription(why);
      // An attempt's callbacks run on the call's executor (the real call was given its options).
      finish(explainDeadline(ended, wasCancelled, boundByCallDeadline), trailers, held, true);
    }

  }

  /**
   * gRPC's own description of an expired deadline does not say where the deadline came from; when
   * it is the mesh's default, the caller gets the mesh's message instead, naming the setting, so a
   * call that nobody bounded does not look like a network fault. {@code boundByCallDeadline}: the
   * attempt's deadline was the call's, not a shorter per-try timeout.
   */
  private Status explainDeadline(Status status, boolean wasCancelled, boolean boundByCallDeadline) {
    if (wasCancelled
        || !boundByCallDeadline
        || status.getCode() != Status.Code.DEADLINE_EXCEEDED) {
      return status;
    }
    MeshFailure f = plan().defaultDeadlineFailure();
    return f == null ? status : MeshStatus.of(f).withCause(status.asRuntimeException());
  }

  /**
   * The attempts of a hedged unary call (gRFC A6). The first goes out as any call's; while none
   * has answered, the engine's hedging delay sends another, up to the rule's attempts. The first
   * attempt to deliver a response message wins, as does one that ends with an answer the rule does
   * not call non-fatal; the others are settled as cancelled and cancelled. An attempt failing
   * non-fatally sends the next one at once (after the server's pushback, if any); when no attempt
   * is left out and none may follow, its failure ends the call.
   *
   * <p>Taking attempts and settling them run under the call's lock, as the engine requires of a
   * hedged call; starting the attempts' calls and telling the application never do.
   */
  private final class Hedged {
    // guarded by lock: attempts whose calls are out, not yet closed or cancelled as losers
    private final List<HedgeListener> out = new ArrayList<>(2);
    // guarded by lock
    private @Nullable HedgeListener winner;
    // guarded by lock: attempts sent so far, so that a hedge timer set before a later one is void
    private int sent;
    // guarded by lock: next attempts scheduled after a non-fatal failure, not yet taken
    private int scheduled;
    // guarded by lock: the server asked for no more attempts
    private boolean stopped;
    // guarded by lock: the last non-fatal failure, which ends the call if nothing else answers
    private @Nullable Status lastStatus;
    private @Nullable Metadata lastTrailers;
    private @Nullable Metadata lastHeaders;
    private @Nullable AttemptTracer lastFailedTracer;

    /** The calls of the attempts out; under the lock. */
    List<ClientCall<ReqT, RespT>> calls() {
      List<ClientCall<ReqT, RespT>> calls = new ArrayList<>(out.size());
      for (HedgeListener l : out) {
        calls.add(l.call);
      }
      return calls;
    }

    /** Takes the next attempt (a hedge after the delay, else the first or a scheduled one). */
    void send(boolean hedge) {
      context.removeListener(MeshClientCall.this);
      CallPlan p = plan();
      Metadata headers = new Metadata();
      headers.merge(appHeaders());
      Attempt attempt;
      Status ending = null;
      synchronized (MeshClientCall.this) {
        if (!hedge && scheduled > 0) {
          scheduled--;
        }
        if (cancelled || winner != null || finished != 0 || (hedge && stopped)) {
          return;
        }
        startingHeaders = headers;
        try {
          attempt = hedge ? p.hedge(MeshClientCall.this) : p.nextAttempt(MeshClientCall.this);
        } finally {
          startingHeaders = null;
        }
        if (attempt == null || !attempt.admitted()) {
          if (!out.isEmpty() || scheduled > 0) {
            // The attempts out (or scheduled) end the call.
            return;
          }
          ending = attempt == null ? lastStatus : MeshStatus.of(attempt.refusal());
          if (ending == null) {
            return;
          }
        } else {
          sent++;
        }
      }
      if (ending != null || attempt == null) {
        finishWithLastFailure(ending);
        return;
      }
      long timer = timerNanos(attempt);
      AttemptTracer tracer = AttemptTracer.of(attempt.endpoint(), timer != Long.MAX_VALUE);
      CallOptions options = options(attempt, tracer);
      HedgeListener listener;
      try {
        ClientCall<ReqT, RespT> call = next.newCall(method, options);
        listener = new HedgeListener(attempt, tracer, call);
        call.start(listener, headers);
      } catch (RuntimeException | Error e) {
        synchronized (MeshClientCall.this) {
          attempt.settleFinal(Outcome.failure(Outcome.Kind.CONNECT_FAILURE, "INTERNAL"));
        }
        if (attempt.number() == 1 && FINISHED.compareAndSet(MeshClientCall.this, 0, 1)) {
          // The application's thread: the exception is all it will hear of the call.
          p.end(CallStatus.grpc(Status.Code.INTERNAL.value()), -1, -1);
          throw e;
        }
        failed(Status.INTERNAL.withDescription("mesh4j: could not start a hedged attempt").withCause(e));
        return;
      }
      Boolean compression = messageCompression;
      if (compression != null) {
        listener.call.setMessageCompression(compression);
      }
      boolean cancelNow;
      int toRequest;
      long delay = Long.MAX_VALUE;
      int tag;
      synchronized (MeshClientCall.this) {
        cancelNow = cancelled || winner != null;
        if (!cancelNow && !listener.closed) {
          out.add(listener);
        }
        toRequest = requested;
        tag = sent;
        if (!cancelNow && !stopped) {
          delay = p.hedgeDelayNanos();
        }
      }
      if (cancelNow) {
        listener.call.cancel("mesh4j: the call ended before this hedged attempt went out", null);
        return;
      }
      if (toRequest > 0) {
        listener.call.request(toRequest);
      }
      ReqT m = message;
      if (m != null) {
        listener.call.sendMessage(m);
      }
      listener.call.halfClose();
      if (tracer instanceof AttemptTracer.Timed t) {
        AttemptDeadlines.SYSTEM.arm(t, listener.call, timer);
      }
      if (attempt.number() == 1 && m != null) {
        sendMirrorCopy(p, m);
      }
      if (delay != Long.MAX_VALUE) {
        p.resumeAfter(delay, context.wrap(() -> hedgeOnTimer(tag)));
      }
    }

    /** The hedging delay passed: a hedge goes out unless another attempt went out meanwhile. */
    private void hedgeOnTimer(int tag) {
      synchronized (MeshClientCall.this) {
        if (sent != tag) {
          return;
        }
      }
      try {
        send(true);
      } catch (RuntimeException | Error e) {
        failed(Status.INTERNAL.withDescription("mesh4j: could not start a hedged attempt").withCause(e));
      }
    }

    /** An attempt could not start; it ends the call when nothing else is out. */
    private void failed(Status status) {
      synchronized (MeshClientCall.this) {
        if (!out.isEmpty() || scheduled > 0 || winner != null) {
          return;
        }
      }
      finish(status, new Metadata(), null);
    }

    private void finishWithLastFailure(@Nullable Status ending) {
      Metadata trailers;
      Metadata headers;
      synchronized (MeshClientCall.this) {
        trailers = lastTrailers;
        headers = lastHeaders;
        AttemptTracer t = lastFailedTracer;
        if (t != null) {
          lastTracer = t;
        }
      }
      finish(
          Objects.requireNonNull(ending), trailers == null ? new Metadata() : trailers, headers);
    }

    /** Makes {@code w} the winner; returns the attempts it beat, settled as cancelled. */
    private @Nullable List<HedgeListener> commit(HedgeListener w) {
      if (winner != null) {
        return null;
      }
      winner = w;
      w.won = true;
      committed = true;
      current = w.call;
      lastTracer = w.tracer;
      List<HedgeListener> losers = new ArrayList<>(out);
      losers.remove(w);
      out.clear();
      for (HedgeListener l : losers) {
        // Before the call ends, so that observers hear every attempt end before the call does.
        l.attempt.settle(Outcome.cancelled());
      }
      return losers;
    }

    private void cancel(@Nullable List<HedgeListener> losers) {
      if (losers != null) {
        for (HedgeListener l : losers) {
          l.call.cancel("mesh4j: another hedged attempt answered first", null);
        }
      }
    }

    /** One hedged attempt's events: only the winner's reach the application. */
    private final class HedgeListener extends Listener<RespT> {
      final Attempt attempt;
      final AttemptTracer tracer;
      final ClientCall<ReqT, RespT> call;
      // guarded by lock
      boolean closed;
      // Set under the lock when this attempt wins; read on its own callbacks.
      volatile boolean won;
      private @Nullable Metadata heldHeaders;

      HedgeListener(Attempt attempt, AttemptTracer tracer, ClientCall<ReqT, RespT> call) {
        this.attempt = attempt;
        this.tracer = tracer;
        this.call = call;
      }

      @Override
      public void onHeaders(Metadata headers) {
        if (won) {
          appListener().onHeaders(headers);
        } else {
          heldHeaders = headers;
        }
      }

      @Override
      public void onMessage(RespT response) {
        if (!won) {
          List<HedgeListener> losers;
          synchronized (MeshClientCall.this) {
            losers = commit(this);
          }
          if (losers == null) {
            // Another attempt won: this answer goes nowhere.
            return;
          }
          cancel(losers);
          Metadata held = heldHeaders;
          heldHeaders = null;
          if (held != null) {
            appListener().onHeaders(held);
          }
        }
        appListener().onMessage(response);
      }

      @Override
      public void onReady() {
        if (won) {
          appListener().onReady();
        }
      }

      @Override
      public void onClose(Status closedWith, Metadata trailers) {
        Status status = closed(closedWith, attempt, tracer);
        boolean wasCancelled;
        synchronized (MeshClientCall.this) {
          wasCancelled = cancelled;
        }
        Outcome outcome = pushback(classify(status, wasCancelled, tracer), trailers);
        List<HedgeListener> losers = null;
        Status ending;
        Metadata held = null;
        long retryAfter = -1;
        synchronized (MeshClientCall.this) {
          closed = true;
          out.remove(this);
          if (won) {
            // Its response reached the application: nothing is replayed any more.
            attempt.settleFinal(outcome);
            ending = status;
          } else if (winner != null) {
            // A loser, settled as cancelled when the winner was chosen.
            return;
          } else {
            RetryDecision d = attempt.settle(outcome);
            if (!d.retryableFailure()) {
              losers = commit(this);
              ending = status;
              held = heldHeaders;
            } else {
              String why = d.message();
              lastStatus = why.isEmpty() ? status : status.augmentDescription(why);
              lastTrailers = trailers;
              lastHeaders = heldHeaders;
              lastFailedTracer = tracer;
              if (d.reason() == RetryDecision.Reason.SERVER_PUSHBACK) {
                stopped = true;
              }
              if (d.shouldRetry()) {
                scheduled++;
                retryAfter = d.backoffNanos();
              } else if (!out.isEmpty() || scheduled > 0) {
                // Another attempt may still answer.
                return;
              }
              ending = lastStatus;
              held = heldHeaders;
            }
          }
        }
        if (retryAfter >= 0) {
          // On the timer, never on this transport thread; listening to the caller's context, in
          // case nothing else is out while it waits.
          waitThenStart(plan(), retryAfter);
          return;
        }
        cancel(losers);
        if (!won && losers == null) {
          finishWithLastFailure(ending);
          return;
        }
        finish(explainDeadline(ending, wasCancelled, true), trailers, held, true);
      }
    }
  }

  /** Settles a mirror copy when it ends; its response is dropped unread. */
  private final class MirrorListener extends Listener<RespT> {
    private final Attempt copy;
    private final AttemptTracer tracer;

    MirrorListener(Attempt copy, AttemptTracer tracer) {
      this.copy = copy;
      this.tracer = tracer;
    }

    @Override
    public void onClose(Status status, Metadata trailers) {
      copy.settle(classify(status, false, tracer));
    }
  }

  /**
   * The server's pushback, gRPC's {@code grpc-retry-pushback-ms} trailer (gRFC A6), added to the
   * failure it came with: a retry waits at least that many milliseconds; a negative or malformed
   * value asks for no retry at all. Read only from an answer of the server.
   */
  private static Outcome pushback(Outcome outcome, Metadata trailers) {
    if (outcome.kind() != Outcome.Kind.STATUS) {
      return outcome;
    }
    String value = trailers.get(PUSHBACK);
    if (value == null) {
      return outcome;
    }
    long millis;
    try {
      // A6 defines it as an int; anything else is malformed, and malformed means no retry.
      millis = Integer.parseInt(value.trim());
    } catch (NumberFormatException e) {
      millis = -1;
    }
    return outcome.withPushback(millis < 0 ? -1 : TimeUnit.MILLISECONDS.toNanos(millis));
  }

  /** Turns how an attempt closed into the engine's outcome. */
  private static Outcome classify(Status status, boolean wasCancelled, AttemptTracer tracer) {
    if (status.isOk()) {
      return Outcome.success();
    }
    if (wasCancelled || status.getCode() == Status.Code.CANCELLED) {
      // Cancelled by the application or its context; says nothing about the endpoint.
      return Outcome.cancelled();
    }
    String code = status.getCode().name();
    if (!tracer.streamCreated) {
      if (status.getCode() == Status.Code.DEADLINE_EXCEEDED) {
        // Time ran out while the attempt waited for its connection: not the endpoint's fault.
        return Outcome.connectionWait(code);
      }
      // The request never left: the connection could not be made (or the pick failed).
      return Outcome.failure(Outcome.Kind.CONNECT_FAILURE, code);
    }
    if (status.getCode() == Status.Code.DEADLINE_EXCEEDED && !tracer.serverAnswered) {
      return Outcome.failure(Outcome.Kind.TIMEOUT, code);
    }
    if (!tracer.serverAnswered) {
      // Sent, but the stream ended without a word from the server: the connection broke.
      return Outcome.failure(Outcome.Kind.RESET, code);
    }
    return Outcome.status(CallStatus.grpc(status.getCode().value()));
  }

  /** Writes propagation headers into the metadata of the attempt being started. */
  @Override
  public void set(String name, String value) {
    Metadata headers = startingHeaders;
    if (headers != null) {
      Metadata.Key<String> key = AsciiKeys.of(name);
      headers.discardAll(key);
      headers.put(key, value);
    }
  }

  /** Applies a route's header changes to gRPC metadata. */
  private record MetadataEditor(Metadata headers) implements HeaderEdits.Editor {
    @Override
    public void set(String name, String value) {
      Metadata.Key<String> key = AsciiKeys.of(name);
      headers.removeAll(key);
      headers.put(key, value);
    }

    @Override
    public void add(String name, String value) {
      headers.put(AsciiKeys.of(name), value);
    }

    @Override
    public void remove(String name) {
      headers.removeAll(AsciiKeys.of(name));
    }
  }

  /** Changes the response's headers before the application's listener sees them. */
  private static final class EditingListener<RespT>
      extends io.grpc.ForwardingClientCallListener.SimpleForwardingClientCallListener<RespT> {
    private final HeaderEdits edits;

    EditingListener(Listener<RespT> delegate, HeaderEdits edits) {
      super(delegate);
      this.edits = edits;
    }

    @Override
    public void onHeaders(Metadata headers) {
      edits.applyTo(new MetadataEditor(headers));
      super.onHeaders(headers);
    }
  }
}
