/**
 * Long-lived state across snapshot swaps: {@link io.mesh4j.core.engine.state.GuardRegistry} owns
 * breakers, endpoint health, budgets and limiters by key, and reconciles them when a new snapshot
 * is compiled.
 */
@NullMarked
package io.mesh4j.core.engine.state;

import org.jspecify.annotations.NullMarked;
