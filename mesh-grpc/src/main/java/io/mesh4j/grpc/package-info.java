/**
 * The gRPC data plane: maps the mesh-core engine onto grpc-java's public extension points. The
 * {@code mesh} name resolver names a channel's destination, reports its endpoints as they change
 * and selects the {@code mesh4j_endpoint} load balancer, which keeps one subchannel per endpoint
 * and sends each attempt where the engine chose; the client interceptor plans every call, retries it and settles each
 * attempt. The {@code mesh-in-process} resolver does the same on grpc-java's in-process
 * transport, for tests. The server interceptor admits incoming calls through the engine. This package talks only to mesh-core's
 * public API and to {@code io.grpc}; it makes no routing or resilience decision of its own.
 */
@NullMarked
package io.mesh4j.grpc;

import org.jspecify.annotations.NullMarked;
