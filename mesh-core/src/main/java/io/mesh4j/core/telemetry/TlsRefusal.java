package io.mesh4j.core.telemetry;

import java.util.Objects;

/**
 * A peer the mesh's TLS code refused during a handshake, or a call the mesh refused because of
 * how it arrived, reported to {@link io.mesh4j.core.telemetry.MeshListener#tlsRefused}.
 *
 * <p>Immutable.
 *
 * @param side whether this process was the client or the server of the refused connection
 * @param reason why, as a bounded value fit for a metric tag
 * @param peer the peer's address as the TLS engine knows it ({@code host:port}), or {@code
 *     unknown}
 * @param message the full explanation, starting with {@code mesh4j:}
 */
public record TlsRefusal(Side side, Reason reason, String peer, String message) {

  public TlsRefusal {
    Objects.requireNonNull(side, "side");
    Objects.requireNonNull(reason, "reason");
    Objects.requireNonNull(peer, "peer");
    Objects.requireNonNull(message, "message");
  }

  /** Which end of the connection refused. */
  public enum Side {
    /** This process dialled the peer. */
    CLIENT,
    /** The peer dialled this process. */
    SERVER
  }

  /** Why a peer was refused. */
  public enum Reason {
    /** The peer's certificate is outside its validity period. */
    EXPIRED,
    /** The peer's chain does not lead to a root of the trust bundle, or is otherwise invalid. */
    UNTRUSTED,
    /** The peer's certificate names no SPIFFE ID, or one outside the trust domain. */
    NO_IDENTITY,
    /** The peer proved a valid identity, but not the one expected for the endpoint dialled. */
    WRONG_IDENTITY,
    /** This process has no certificate yet, so it cannot take part in mutual TLS. */
    NO_LOCAL_IDENTITY,
    /** Mutual TLS is STRICT and the call came over plaintext. */
    PLAINTEXT,
    /** Mutual TLS is STRICT and the caller sent no client certificate. */
    NO_CLIENT_CERTIFICATE
  }
}
