/**
 * The application's end of the control stream to mesh-controller, behind the public {@link
 * io.mesh4j.core.source.ControllerConfigSource}: the stream client with its reconnection backoff,
 * the on-disk cache of the last good snapshot, and the translation between validated policy and
 * the wire model of {@code io.mesh4j.core.internal.wire}, which mesh-controller shares so that
 * both ends encode, hash and judge snapshots the same way. The only code in mesh-core that uses
 * gRPC. Not API.
 */
@NullMarked
package io.mesh4j.core.internal.controller;

import org.jspecify.annotations.NullMarked;
