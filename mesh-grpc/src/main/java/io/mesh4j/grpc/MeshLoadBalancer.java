package io.mesh4j.grpc;

import io.grpc.ConnectivityState;
import io.grpc.ConnectivityStateInfo;
import io.grpc.EquivalentAddressGroup;
import io.grpc.LoadBalancer;
import io.grpc.Status;
import io.grpc.SynchronizationContext;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;

/**
 * Keeps one subchannel per endpoint the resolver reported and publishes a picker that sends each
 * attempt to the subchannel of the endpoint the engine chose for it. It makes no choice of its
 * own: routing, balancing and ejection all happen in the engine before the pick.
 *
 * <p>Reported endpoints are connected at once. An endpoint that leaves the resolver's report is
 * drained: the new picker no longer has it, so only attempts the engine planned before the update
 * can still name it, and its subchannel is shut down after that picker is out; grpc-java lets
 * the streams already open on it finish.
 *
 * <p>Each subchannel dials its endpoint's gRPC port ({@code grpcPort} in the policy, else its
 * {@code port}) but is known by the endpoint's name, {@code address:port}, as the engine knows it.
 *
 * <p>An endpoint the engine chooses that the resolver has not reported (an update racing a call,
 * or the shadow of a mirror on another destination) gets a subchannel on demand. Reported
 * subchannels follow the resolver; on-demand ones are shut down once a whole idle period passes
 * without a pick, so endpoints that left the policy do not keep connections (or reconnect attempts
 * to dead addresses) for the life of the channel.
 *
 * <p>Confined to the channel's synchronization context, like every grpc-java load balancer; the
 * pickers it publishes are immutable and read concurrently by calls.
 */
final class MeshLoadBalancer extends LoadBalancer {

  private final Helper helper;
  private final Map<EndpointKey, Subchannel> subchannels = new HashMap<>();
  private final Map<Subchannel, ConnectivityState> states = new HashMap<>();
  // Why each failing subchannel failed, so the caller's status can say it (e.g. a TLS refusal).
  private final Map<Subchannel, Status> failures = new HashMap<>();
  // The endpoints whose subchannels were made on demand, with the port each dials.
  private final Map<EndpointKey, Integer> onDemand = new HashMap<>();
  private final Map<EndpointKey, EndpointPicker.Usage> usage = new HashMap<>();
  private final long idleNanos;
  private SynchronizationContext.@Nullable ScheduledHandle sweep;
  private Status lastResolutionError = Status.OK;
  private boolean shutdown;
  private EndpointKey.Addressing addressing = EndpointKey.Addressing.SOCKET;
  private EndpointKey.@Nullable ConnectionReports connections;
  private final Map<Subchannel, EndpointKey> keys = new HashMap<>();

  /**
   * @param idleNanos how long an on-demand subchannel may go without a pick before it is shut down
   */
  MeshLoadBalancer(Helper helper, long idleNanos) {
    this.helper = helper;
    this.idleNanos = idleNanos;
  }

  @Override
  public Status acceptResolvedAddresses(ResolvedAddresses resolved) {
    EndpointKey.Addressing a = resolved.getAttributes().get(EndpointKey.ADDRESSING);
    addressing = a == null ? EndpointKey.Addressing.SOCKET : a;
    connections = resolved.getAttributes().get(EndpointKey.CONNECTIONS);
    Map<EndpointKey, EquivalentAddressGroup> wanted = new HashMap<>();
    for (EquivalentAddressGroup group : resolved.getAddresses()) {
      EndpointKey key = group.getAttributes().get(EndpointKey.ATTRIBUTE);
      if (key != null) {
        wanted.put(key, group);
      }
    }
    List<Subchannel> removed = new ArrayList<>();
    subchannels.entrySet().removeIf(
        e -> {
          if (wanted.containsKey(e.getKey()) || onDemand.containsKey(e.getKey())) {
            return false;
          }
          removed.add(e.getValue());
          return true;
        });
    for (Map.Entry<EndpointKey, EquivalentAddressGroup> e : wanted.entrySet()) {
      onDemand.remove(e.getKey());
      Subchannel existing = subchannels.get(e.getKey());
      if (existing != null) {
        existing.updateAddresses(List.of(e.getValue()));
        continue;
      }
      create(e.getKey(), e.getValue());
    }
    lastResolutionError = Status.OK;
    publish();
    // Shut down after the new picker is out, so no call is handed a subchannel being closed.
    for (Subchannel subchannel : removed) {
      states.remove(subchannel);
      failures.remove(subchannel);
      forget(subchannel);
      subchannel.shutdown();
    }
    usage.keySet().retainAll(subchannels.keySet());
    return Status.OK;
  }

  /**
   * Gives an endpoint the engine chose a subchannel that dials {@code dialPort} if it has none
   * yet, or moves its on-demand subchannel there when its gRPC port changed; the picker calls
   * this through the synchronization context and holds the attempt until the new picker is out.
   * A subchannel of an endpoint the resolver reported keeps the port the resolver gave it.
   */
  void ensureSubchannel(EndpointKey key, int dialPort) {
    // A stale picker may ask after the channel let go of this balancer.
    if (shutdown) {
      return;
    }
    Subchannel existing = subchannels.get(key);
    if (existing != null) {
      Integer before = onDemand.get(key);
      if (before != null && before != dialPort) {
        onDemand.put(key, dialPort);
        existing.updateAddresses(List.of(EndpointKey.group(key, dialPort, addressing)));
        publish();
      }
      return;
    }
    onDemand.put(key, dialPort);
    if (sweep == null) {
      sweep =
          helper
              .getSynchronizationContext()
              .scheduleWithFixedDelay(
                  this::closeIdle,
                  idleNanos,
                  idleNanos,
                  TimeUnit.NANOSECONDS,
                  helper.getScheduledExecutorService());
    }
    create(key, EndpointKey.group(key, dialPort, addressing));
    publish();
  }

  /** Shuts down on-demand subchannels that saw no pick since the previous run. */
  private void closeIdle() {
    List<Subchannel> idle = new ArrayList<>();
    for (EndpointKey key : List.copyOf(onDemand.keySet())) {
      EndpointPicker.Usage u = usage.get(key);
      if (u != null && u.picked) {
        u.picked = false;
        continue;
      }
      onDemand.remove(key);
      usage.remove(key);
      Subchannel subchannel = subchannels.remove(key);
      if (subchannel != null) {
        states.remove(subchannel);
        failures.remove(subchannel);
        forget(subchannel);
        idle.add(subchannel);
      }
    }
    if (idle.isEmpty()) {
      return;
    }
    publish();
    for (Subchannel subchannel : idle) {
      subchannel.shutdown();
    }
  }

  private void create(EndpointKey key, EquivalentAddressGroup group) {
    Subchannel subchannel =
        helper.createSubchannel(CreateSubchannelArgs.newBuilder().setAddresses(group).build());
    subchannels.put(key, subchannel);
    EndpointPicker.Usage fresh = new EndpointPicker.Usage();
    // A new subchannel counts as used for its first period, however long its connection takes.
    fresh.picked = true;
    usage.put(key, fresh);
    states.put(subchannel, ConnectivityState.IDLE);
    keys.put(subchannel, key);
    report(key, false);
    subchannel.start(info -> onSubchannelState(subchannel, info));
    // Connect eagerly: the engine may choose any endpoint, and a warm connection keeps the first
    // attempt to it from waiting for a handshake.
    subchannel.requestConnection();
  }

  @Override
  public void handleNameResolutionError(Status error) {
    lastResolutionError = error;
    if (subchannels.isEmpty()) {
      helper.updateBalancingState(
          ConnectivityState.TRANSIENT_FAILURE, new FixedErrorPicker(error));
    }
  }

  private void onSubchannelState(Subchannel subchannel, ConnectivityStateInfo info) {
    if (!states.containsKey(subchannel)) {
      return;
    }
    ConnectivityState state = info.getState();
    if (state == ConnectivityState.SHUTDOWN) {
      return;
    }
    ConnectivityState before = states.put(subchannel, state);
    EndpointKey key = keys.get(subchannel);
    if (key != null && (before == ConnectivityState.READY) != (state == ConnectivityState.READY)) {
      report(key, state == ConnectivityState.READY);
    }
    if (state == ConnectivityState.TRANSIENT_FAILURE) {
      failures.put(subchannel, info.getStatus());
    } else if (state == ConnectivityState.READY) {
      failures.remove(subchannel);
    }
    if (state == ConnectivityState.IDLE) {
      // A connection that went idle (server GOAWAY, idle timeout) is re-opened at once, because
      // the engine keeps choosing this endpoint while it is healthy.
      subchannel.requestConnection();
    }
    publish();
  }

  // A removed endpoint that comes back gets a new connection: until it is ready, it is not.
  private void forget(Subchannel subchannel) {
    EndpointKey key = keys.remove(subchannel);
    if (key != null) {
      report(key, false);
    }
  }

  private void report(EndpointKey key, boolean ready) {
    EndpointKey.ConnectionReports c = connections;
    if (c != null) {
      c.report(key, ready);
    }
  }

  private void publish() {
    if (subchannels.isEmpty() && !lastResolutionError.isOk()) {
      helper.updateBalancingState(
          ConnectivityState.TRANSIENT_FAILURE, new FixedErrorPicker(lastResolutionError));
      return;
    }
    Map<EndpointKey, EndpointPicker.Entry> entries = new HashMap<>();
    boolean anyReady = false;
    boolean anyConnecting = false;
    for (Map.Entry<EndpointKey, Subchannel> e : subchannels.entrySet()) {
      // create() records a state and a usage for every subchannel it makes
      ConnectivityState state = Objects.requireNonNull(states.get(e.getValue()));
      anyReady |= state == ConnectivityState.READY;
      anyConnecting |= state == ConnectivityState.CONNECTING || state == ConnectivityState.IDLE;
      entries.put(
          e.getKey(),
          new EndpointPicker.Entry(
              e.getValue(),
              state,
              Objects.requireNonNull(usage.get(e.getKey())),
              failures.get(e.getValue()),
              onDemand.getOrDefault(e.getKey(), 0)));
    }
    // With no endpoint named yet the channel is waiting, not failing: the first pick connects.
    anyConnecting |= entries.isEmpty();
    ConnectivityState aggregate =
        anyReady
            ? ConnectivityState.READY
            : anyConnecting ? ConnectivityState.CONNECTING : ConnectivityState.TRANSIENT_FAILURE;
    helper.updateBalancingState(
        aggregate, new EndpointPicker(entries, helper, this::ensureSubchannel));
  }

  @Override
  public void shutdown() {
    shutdown = true;
    for (Subchannel subchannel : subchannels.values()) {
      subchannel.shutdown();
    }
    subchannels.clear();
    states.clear();
    failures.clear();
    keys.clear();
    onDemand.clear();
    usage.clear();
    if (sweep != null) {
      sweep.cancel();
      sweep = null;
    }
  }

  /** Fails every pick while the channel has no endpoints and a resolution error to report. */
  private static final class FixedErrorPicker extends SubchannelPicker {
    private final PickResult result;

    FixedErrorPicker(Status error) {
      this.result = PickResult.withError(error);
    }

    @Override
    public PickResult pickSubchannel(PickSubchannelArgs args) {
      return result;
    }
  }
}
