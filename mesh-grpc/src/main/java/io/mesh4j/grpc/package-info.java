/**
 * The gRPC data plane: maps the mesh-core engine onto grpc-java's own extension points (name resolver, load balancer, stream tracers, interceptors, credentials). Its code arrives with the gRPC data-plane work; until then the module only reserves its coordinates.
 */
package io.mesh4j.grpc;
