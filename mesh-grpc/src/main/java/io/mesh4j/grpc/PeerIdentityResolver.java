package io.mesh4j.grpc;

import io.grpc.Grpc;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.mesh4j.core.call.SpiffeIds;
import java.util.Objects;
import javax.net.ssl.SSLPeerUnverifiedException;
import javax.net.ssl.SSLSession;
import org.jspecify.annotations.Nullable;

/**
 * Tells {@link MeshServerInterceptors} who the caller of a gRPC call is: its verified SPIFFE ID,
 * or null for an unauthenticated caller. Authorization policies match on what this returns, so a
 * resolver must only return identities the server has verified.
 */
@FunctionalInterface
public interface PeerIdentityResolver {

  /** The caller's verified SPIFFE ID, or null when the caller is not authenticated. */
  @Nullable String peer(ServerCall<?, ?> call, Metadata headers);

  /**
   * The SPIFFE ID (a {@code spiffe://} URI SAN) of the client certificate the server's TLS stack
   * verified, read from the call's {@link Grpc#TRANSPORT_ATTR_SSL_SESSION}; null on plain-text
   * connections, when the client sent no certificate, or when it carries no SPIFFE ID. The
   * server's TLS credentials must require client certificates and trust the mesh's CA for this
   * identity to mean anything.
   */
  static PeerIdentityResolver clientCertificate() {
    return (call, headers) -> {
      SSLSession session = call.getAttributes().get(Grpc.TRANSPORT_ATTR_SSL_SESSION);
      if (session == null) {
        return null;
      }
      try {
        return SpiffeIds.fromChain(session.getPeerCertificates());
      } catch (SSLPeerUnverifiedException e) {
        // TLS without a client certificate: the caller is not authenticated.
        return null;
      }
    };
  }

  /**
   * The identity sent as the value of request header {@code key}. Until the mesh issues identities
   * itself this is the hook for tests (a client names itself in a header), and for servers whose
   * front proxy has already verified the caller and sets the header; whatever can set the header
   * is trusted completely, so never use it on a port untrusted clients can reach.
   */
  static PeerIdentityResolver fromHeader(Metadata.Key<String> key) {
    Objects.requireNonNull(key, "key");
    return (call, headers) -> headers.get(key);
  }
}
