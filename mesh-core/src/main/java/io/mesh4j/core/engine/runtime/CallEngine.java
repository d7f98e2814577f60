package io.mesh4j.core.engine.runtime;

import io.mesh4j.core.call.MeshFailure;
import io.mesh4j.core.telemetry.TlsRefusal;
import io.mesh4j.core.policy.MeshConfig;
import io.mesh4j.core.base.MeshRandom;
import io.mesh4j.core.call.Admission;
import io.mesh4j.core.call.CallPlan;
import io.mesh4j.core.call.Inbound;
import io.mesh4j.core.call.InboundCall;
import io.mesh4j.core.call.Outbound;
import io.mesh4j.core.call.OutboundCall;
import io.mesh4j.core.engine.Events;
import io.mesh4j.core.engine.authz.ServiceAuthorization;
import io.mesh4j.core.engine.fault.FaultPolicy;
import io.mesh4j.core.engine.route.Backend;
import io.mesh4j.core.engine.route.CompiledRule;
import io.mesh4j.core.telemetry.ServerCallObserver;
import org.jspecify.annotations.Nullable;

/**
 * The per-call engine: holds the published snapshot in one volatile field and answers {@link
 * Outbound#plan} and {@link Inbound#admit} from it. Each call reads the field once.
 *
 * <p>Thread-safe and lock-free; {@link #publish} is called by the update path only.
 */
public final class CallEngine implements Outbound, Inbound {

  private final EngineContext ctx;
  private volatile MeshSnapshot snapshot = MeshSnapshot.empty();

  public CallEngine(EngineContext ctx) {
    this.ctx = ctx;
  }

  /** Makes {@code next} the snapshot of every call planned from now on. */
  public void publish(MeshSnapshot next) {
    this.snapshot = next;
  }

  public MeshSnapshot snapshot() {
    return snapshot;
  }

  @Override
  public CallPlan plan(OutboundCall call) {
    MeshSnapshot s = snapshot;
    DestinationRuntime d = s.destination(call.destination());
    if (d == null) {
      return new RefusedPlan(ctx, call, s.version(), ctx.ticker().nanos());
    }
    CompiledRule rule = d.match(call);
    MeshRandom random = ctx.random();
    Backend backend = rule.pickBackend(random);
    int flags = 0;
    FaultPolicy fault = rule.fault;
    if (fault != null) {
      long delay = fault.drawDelay(random);
      boolean abort = fault.drawAbort(random);
      if (delay > 0) {
        flags |= CallPlanImpl.DELAYED;
      }
      if (abort) {
        flags |= CallPlanImpl.ABORTED;
      }
      if ((delay > 0 || abort) && ctx.events().enabled()) {
        ctx.events().faultInjected(d.name, delay, abort);
      }
    }
    if (rule.mirror != null && FaultPolicy.fires(rule.mirrorPpm, random, MeshRandom.Purpose.MIRROR)) {
      flags |= CallPlanImpl.MIRRORED;
    }
    CallPlanImpl plan = new CallPlanImpl(d, rule, call, backend, flags);
    if (ctx.events().observesClientCalls()) {
      plan.observe(
          ctx.events()
              .clientCall(
                  ClientCalls.info(
                      call, d.name, rule.name, backend == null ? null : backend.name(), true)));
    }
    if ((flags & CallPlanImpl.DELAYED) != 0) {
      // An injected delay counts against the deadline: the call's clock starts now.
      plan.startDeadline(ctx.ticker().nanos());
    }
    return plan;
  }

  @Override
  public Admission admit(InboundCall call) {
    Events events = ctx.events();
    if (!events.observesServerCalls()) {
      MeshFailure refusal = refusal(call);
      return refusal == null ? Admission.admitted() : Admission.refused(refusal);
    }
    long start = ctx.ticker().nanos();
    ServerCallObserver observer = events.serverCall(ServerCalls.info(call));
    return new ServerCalls.ObservedAdmission(refusal(call), observer, ctx.ticker(), start);
  }

  /** Why the call is refused, or null when it is admitted. */
  private @Nullable MeshFailure refusal(InboundCall call) {
    MeshSnapshot s = snapshot;
    String service = call.service();
    if (call.peer() == null && s.settings().mtls() == MeshConfig.MtlsMode.STRICT) {
      return unauthenticated(service, call.transport());
    }
    ServiceAuthorization authz = s.authorization(service);
    if (authz != null) {
      String denied = authz.deny(call);
      if (denied != null) {
        MeshFailure f = MeshFailure.of(MeshFailure.Reason.DENIED, service, null, denied);
        if (ctx.events().enabled()) {
          ctx.events().callRefused(f);
        }
        return f;
      }
    }
    return limit(s, service);
  }

  private MeshFailure unauthenticated(String service, InboundCall.Transport transport) {
    String detail =
        switch (transport) {
          case PLAINTEXT -> "mtls is STRICT and the call came over plaintext";
          case TLS -> "mtls is STRICT and the caller presented no client certificate";
          default -> "mtls is STRICT and the caller has no verified identity";
        };
    MeshFailure f = MeshFailure.of(MeshFailure.Reason.UNAUTHENTICATED, service, null, detail);
    if (ctx.events().enabled()) {
      ctx.events().callRefused(f);
      if (transport == InboundCall.Transport.PLAINTEXT || transport == InboundCall.Transport.TLS) {
        ctx.events()
            .tlsRefused(
                new TlsRefusal(
                    TlsRefusal.Side.SERVER,
                    transport == InboundCall.Transport.PLAINTEXT
                        ? TlsRefusal.Reason.PLAINTEXT
                        : TlsRefusal.Reason.NO_CLIENT_CERTIFICATE,
                    "unknown",
                    f.getMessage()));
      }
    }
    return f;
  }

  private @Nullable MeshFailure limit(MeshSnapshot snapshot, String service) {
    MeshSnapshot.InboundService in = snapshot.inbound(service);
    if (in == null || in.limiter().tryAcquire(ctx.ticker().nanos())) {
      return null;
    }
    MeshFailure f =
        MeshFailure.of(MeshFailure.Reason.RATE_LIMITED, service, null, "server limit " + in.detail());
    if (ctx.events().enabled()) {
      ctx.events().callRefused(f);
    }
    return f;
  }
}
