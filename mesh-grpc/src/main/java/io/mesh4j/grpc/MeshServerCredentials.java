package io.mesh4j.grpc;

import io.grpc.ServerCredentials;
import io.grpc.TlsServerCredentials;
import io.mesh4j.core.Mesh;
import io.mesh4j.core.tls.MeshTls;
import java.util.Objects;

/**
 * Server credentials for mutual TLS from the mesh's workload identity:
 *
 * <pre>{@code
 * Server server = Grpc.newServerBuilderForPort(8443, MeshServerCredentials.create(mesh))
 *     .addService(ServerInterceptors.intercept(service, MeshServerInterceptors.forService(mesh, "catalog.shop")))
 *     .build().start();
 * }</pre>
 *
 * The server presents the workload's current certificate at every handshake (rotation needs no
 * restart and leaves live connections alone) and verifies client certificates against the
 * current trust bundle, accepting any SPIFFE ID of the trust domain; authorization policies
 * decide the rest.
 *
 * <p><b>Modes.</b> {@link #create(Mesh)} <em>requests</em> a client certificate but lets the
 * handshake finish without one, and {@link MeshServerInterceptors} enforces the mesh's mode per
 * call, read from the policy in force: under {@code STRICT} a call without a verified client
 * certificate is refused with {@code UNAUTHENTICATED} and a message saying why (and counted);
 * under {@code PERMISSIVE} it proceeds as anonymous. A mode change therefore takes effect without
 * restarting the server. {@link #create(Mesh, TlsServerCredentials.ClientAuth)} with {@code
 * REQUIRE} additionally refuses certificate-less clients during the handshake (they then see a
 * transport error rather than the mesh's message).
 *
 * <p>grpc-java offers no public way to accept TLS and plaintext on one port. A PERMISSIVE server
 * that must also take plaintext callers listens on a second, plaintext port with the same
 * interceptor: those callers are anonymous, and refused as soon as the mesh turns {@code
 * STRICT}.
 */
public final class MeshServerCredentials {

  private MeshServerCredentials() {}

  /** Credentials that request, but do not require, a client certificate. */
  public static ServerCredentials create(Mesh mesh) {
    return create(MeshTls.forMesh(mesh), TlsServerCredentials.ClientAuth.OPTIONAL);
  }

  /** Credentials with the given client-certificate requirement. */
  public static ServerCredentials create(Mesh mesh, TlsServerCredentials.ClientAuth clientAuth) {
    return create(MeshTls.forMesh(mesh), clientAuth);
  }

  /** Credentials from {@code tls}'s key manager and server trust manager. */
  public static ServerCredentials create(MeshTls tls, TlsServerCredentials.ClientAuth clientAuth) {
    Objects.requireNonNull(tls, "tls");
    Objects.requireNonNull(clientAuth, "clientAuth");
    return TlsServerCredentials.newBuilder()
        .keyManager(tls.keyManager())
        .trustManager(tls.serverTrustManager())
        .clientAuth(clientAuth)
        .build();
  }
}
