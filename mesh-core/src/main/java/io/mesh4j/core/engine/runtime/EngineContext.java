package io.mesh4j.core.engine.runtime;

import io.mesh4j.core.base.MeshRandom;
import io.mesh4j.core.base.Sleeper;
import io.mesh4j.core.base.Ticker;
import io.mesh4j.core.engine.Events;
import org.jspecify.annotations.Nullable;

/**
 * What every part of the engine shares: time, waiting, chance, the listeners, the local zone and
 * the transports' connection reports. Immutable apart from the reports.
 *
 * @param localZone the application's zone, or null when unknown (zone awareness is then off)
 * @param connections guarded by the mesh's update lock
 */
public record EngineContext(
    Ticker ticker,
    Sleeper sleeper,
    MeshRandom random,
    Events events,
    @Nullable String localZone,
    ConnectionTracking connections) {}
