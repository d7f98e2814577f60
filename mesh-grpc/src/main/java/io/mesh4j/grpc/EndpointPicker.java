package io.mesh4j.grpc;

import io.grpc.ConnectivityState;
import io.grpc.LoadBalancer.PickResult;
import io.grpc.LoadBalancer.PickSubchannelArgs;
import io.grpc.LoadBalancer.Subchannel;
import io.grpc.LoadBalancer;
import io.grpc.Status;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * Hands each attempt the subchannel of the endpoint the engine chose for it (read from the
 * attempt's call options, or from the attempt being started on the picking thread). Immutable:
 * the load balancer publishes a new picker whenever an endpoint or its connection state changes,
 * so a pick reads one map and no lock.
 */
final class EndpointPicker extends LoadBalancer.SubchannelPicker {

  /**
   * One endpoint's subchannel, its connectivity state when the picker was made, its usage, why
   * its last connection attempt failed (null unless it is failing), and, for a subchannel made on
   * demand, the port it dials (0 for one the resolver reported: the resolver keeps its port).
   */
  record Entry(
      Subchannel subchannel,
      ConnectivityState state,
      Usage usage,
      @Nullable Status failure,
      int onDemandDialPort) {}

  /** Connects, in the synchronization context, to an endpoint the engine chose. */
  interface OnDemand {
    /** Gives {@code endpoint} a subchannel that dials {@code dialPort}, unless it has one. */
    void ensureSubchannel(EndpointKey endpoint, int dialPort);
  }

  /**
   * Whether an endpoint was picked since the load balancer last looked. Shared by every picker of
   * the endpoint; a pick writes only when the flag is down, so busy endpoints cost a read.
   */
  static final class Usage {
    volatile boolean picked;
  }

  private final Map<EndpointKey, Entry> entries;
  private final LoadBalancer.Helper helper;
  // The balancer's, run in the synchronization context: the picker only asks, never creates.
  private final OnDemand onDemand;

  EndpointPicker(Map<EndpointKey, Entry> entries, LoadBalancer.Helper helper, OnDemand onDemand) {
    this.entries = Map.copyOf(entries);
    this.helper = helper;
    this.onDemand = onDemand;
  }

  /** The failure in words: the status description, else the innermost cause's message. */
  private static String why(@Nullable Status failure) {
    if (failure == null) {
      return "";
    }
    String text = null;
    for (Throwable c = failure.getCause(); c != null; c = c.getCause()) {
      if (c.getMessage() != null) {
        text = c.getMessage();
      }
    }
    if (text == null) {
      text = failure.getDescription();
    }
    return text == null ? " (" + failure.getCode() + ")" : " (" + text + ")";
  }

  /**
   * Picks for an attempt being started on this thread, whose options do not name it: only its
   * endpoint's ready connection, handed the attempt's tracer. Anything else leaves the stream
   * waiting in the channel, where a later pick on another thread could not tell which attempt it
   * is; the call then starts the attempt again with the tracer among its options.
   */
  private PickResult pickInline(AttemptTracer attempt) {
    Entry entry = entries.get(attempt.endpoint);
    if (entry == null
        || entry.state() != ConnectivityState.READY
        || (entry.onDemandDialPort() != 0 && entry.onDemandDialPort() != attempt.dialPort)) {
      return PickResult.withNoResult();
    }
    Usage usage = entry.usage();
    if (!usage.picked) {
      usage.picked = true;
    }
    return PickResult.withSubchannel(entry.subchannel(), attempt);
  }

  @Override
  public PickResult pickSubchannel(PickSubchannelArgs args) {
    AttemptTracer attempt = AttemptTracer.chosen(args.getCallOptions());
    if (attempt == null) {
      AttemptTracer starting = AttemptTracer.startingWith(args.getHeaders());
      if (starting != null) {
        return pickInline(starting);
      }
      return PickResult.withError(
          Status.INTERNAL.withDescription(
              "mesh4j: call on a mesh channel was not planned by the mesh interceptor; build the"
                  + " channel with MeshChannels.forService or add MeshChannels.clientInterceptor"));
    }
    EndpointKey chosen = attempt.endpoint;
    Entry entry = entries.get(chosen);
    if (entry == null
        || (entry.onDemandDialPort() != 0 && entry.onDemandDialPort() != attempt.dialPort)) {
      // The engine knows an endpoint the channel has not been told about yet (or, made on
      // demand, whose gRPC port has changed): connect to it and let the attempt wait for the
      // picker that includes it.
      int dialPort = attempt.dialPort;
      helper
          .getSynchronizationContext()
          .execute(() -> onDemand.ensureSubchannel(chosen, dialPort));
      return PickResult.withNoResult();
    }
    Usage usage = entry.usage();
    if (!usage.picked) {
      usage.picked = true;
    }
    switch (entry.state()) {
      case READY -> {
        if (!attempt.pickedByMesh) {
          attempt.pickedByMesh = true;
        }
        return PickResult.withSubchannel(entry.subchannel());
      }
      case TRANSIENT_FAILURE -> {
        return PickResult.withError(
            Status.UNAVAILABLE
                .withDescription(
                    "mesh4j: cannot connect to endpoint " + chosen + why(entry.failure()))
                .withCause(entry.failure() == null ? null : entry.failure().getCause()));
      }
      case IDLE -> {
        helper.getSynchronizationContext().execute(entry.subchannel()::requestConnection);
        return PickResult.withNoResult();
      }
      default -> {
        // Connecting: the call waits in the channel until this picker is replaced.
        return PickResult.withNoResult();
      }
    }
  }
}
