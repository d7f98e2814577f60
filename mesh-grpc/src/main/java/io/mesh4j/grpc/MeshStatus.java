package io.mesh4j.grpc;

import io.grpc.Status;
import io.mesh4j.core.call.MeshFailure;

/** Turns the engine's refusals into the gRPC status a caller sees. Stateless. */
final class MeshStatus {

  private MeshStatus() {}

  /** The status the engine asks for, described by the engine's own message. */
  static Status of(MeshFailure failure) {
    return Status.fromCodeValue(failure.grpcStatus().code()).withDescription(failure.getMessage());
  }
}
