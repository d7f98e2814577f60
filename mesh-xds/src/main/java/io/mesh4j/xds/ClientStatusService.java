package io.mesh4j.xds;

import io.envoyproxy.envoy.service.status.v3.ClientStatusDiscoveryServiceGrpc;
import io.envoyproxy.envoy.service.status.v3.ClientStatusRequest;
import io.envoyproxy.envoy.service.status.v3.ClientStatusResponse;
import io.grpc.Status;
import io.grpc.stub.StreamObserver;
import java.util.List;

/**
 * The client status discovery service (CSDS, gRFC A40) of an application whose policy comes from
 * {@link XdsConfigSource}s: add it to the application's gRPC server (or an admin server of its own)
 * and {@code grpcdebug}, or any CSDS client, shows the xDS resources the application holds, their
 * versions, and what it refused and why ({@link XdsConfigSource#clientStatus}). One {@code
 * ClientConfig} per source, in the order given.
 *
 * <p>Like grpc-java's own {@code CsdsService}: both the unary {@code FetchClientStatus} and the
 * streaming {@code StreamClientStatus} answer every request with the status of the moment, and a
 * request with {@code node_matchers} is refused with {@code INVALID_ARGUMENT}, since an
 * application answers for itself only.
 *
 * <p>It shows xDS only: an application on the mesh4j controller's policy stream holds no xDS
 * resources, and its configuration is read with {@code mesh4j config} instead.
 *
 * <p>Thread-safe; each answer reads the sources' immutable status, taking no lock.
 */
public final class ClientStatusService extends ClientStatusDiscoveryServiceGrpc.ClientStatusDiscoveryServiceImplBase {

  private final List<XdsConfigSource> sources;

  /** A service answering for {@code sources}. */
  public ClientStatusService(XdsConfigSource... sources) {
    this.sources = List.of(sources);
  }

  @Override
  public void fetchClientStatus(ClientStatusRequest request, StreamObserver<ClientStatusResponse> responses) {
    if (answer(request, responses)) {
      responses.onCompleted();
    }
  }

  @Override
  public StreamObserver<ClientStatusRequest> streamClientStatus(StreamObserver<ClientStatusResponse> responses) {
    return new StreamObserver<>() {
      private boolean failed;

      @Override
      public void onNext(ClientStatusRequest request) {
        if (!failed) {
          failed = !answer(request, responses);
        }
      }

      @Override
      public void onError(Throwable t) {}

      @Override
      public void onCompleted() {
        if (!failed) {
          responses.onCompleted();
        }
      }
    };
  }

  /** Answers one request; false when it was refused and the call closed. */
  private boolean answer(ClientStatusRequest request, StreamObserver<ClientStatusResponse> responses) {
    if (request.getNodeMatchersCount() > 0) {
      responses.onError(Status.INVALID_ARGUMENT
          .withDescription("mesh4j: node_matchers are not supported; this application answers for itself only")
          .asRuntimeException());
      return false;
    }
    ClientStatusResponse.Builder response = ClientStatusResponse.newBuilder();
    for (XdsConfigSource source : sources) {
      response.addConfig(source.clientStatus());
    }
    responses.onNext(response.build());
    return true;
  }
}
