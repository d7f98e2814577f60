/**
 * The application's end of the control stream to mesh-controller, behind the public {@link
 * io.mesh4j.client.ControllerConfigSource}: the stream client with its reconnection backoff and
 * the on-disk cache of the last good snapshot, and the lock-free counters of outgoing calls behind
 * the call reports it sends. The translation between validated policy and the
 * wire model lives beside the model, in {@code io.mesh4j.wire.v1}, because mesh-controller needs
 * it too. Not API.
 */
@NullMarked
package io.mesh4j.client.internal;

import org.jspecify.annotations.NullMarked;
