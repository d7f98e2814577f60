package io.mesh4j.core.engine;

import static org.assertj.core.api.Assertions.assertThat;

import io.mesh4j.core.Mesh;
import io.mesh4j.core.call.MeshFailure;
import io.mesh4j.core.telemetry.MeshListener;
import io.mesh4j.core.call.Admission;
import io.mesh4j.core.call.InboundCall;
import io.mesh4j.core.telemetry.TlsRefusal;
import io.mesh4j.core.source.StaticConfigSource;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** {@code mtls: STRICT} refuses incoming calls without a verified identity, before authorization. */
@Timeout(10)
class StrictMtlsAdmissionTest {

  static final String WEB = "spiffe://cluster.local/ns/shop/sa/web";

  final List<TlsRefusal> tls = new CopyOnWriteArrayList<>();
  final List<MeshFailure> refused = new CopyOnWriteArrayList<>();
  final StaticConfigSource source = StaticConfigSource.empty();
  final Mesh mesh =
      Mesh.builder()
          .configSource(source)
          .listener(
              new MeshListener() {
                @Override
                public void tlsRefused(TlsRefusal refusal) {
                  tls.add(refusal);
                }

                @Override
                public void callRefused(MeshFailure failure) {
                  refused.add(failure);
                }
              })
          .build();

  Admission admit(String peer, InboundCall.Transport transport) {
    return mesh.inbound()
        .admit(
            InboundCall.builder("catalog.shop").peer(peer).transport(transport).grpc("shop.Catalog/Get").build());
  }

  void mode(String mode) {
    assertThat(
            source
                .push(
                    "apiVersion: mesh4j.io/v1alpha1\nkind: MeshConfig\nmetadata: {name: mesh}\nspec: {mtls: "
                        + mode + "}\n")
                .problems())
        .isEmpty();
  }

  @Test
  void strictRefusesPlaintextAndCertificateLessCallersWithAClearMessage() {
    mode("STRICT");

    MeshFailure plaintext = admit(null, InboundCall.Transport.PLAINTEXT).refusal();
    assertThat(plaintext.getMessage())
        .isEqualTo(
            "mesh4j: unauthenticated call for catalog.shop (mtls is STRICT and the call came over"
                + " plaintext)");
    assertThat(plaintext.grpcStatus().name()).isEqualTo("UNAUTHENTICATED");
    assertThat(plaintext.httpStatus()).isEqualTo(401);
    assertThat(admit(null, InboundCall.Transport.TLS).refusal().getMessage())
        .contains("the caller presented no client certificate");
    assertThat(admit(null, InboundCall.Transport.UNKNOWN).refusal().getMessage())
        .contains("the caller has no verified identity");
    assertThat(admit(WEB, InboundCall.Transport.MUTUAL_TLS).isAdmitted()).isTrue();

    assertThat(refused).hasSize(3).allMatch(f -> f.reason() == MeshFailure.Reason.UNAUTHENTICATED);
    assertThat(tls)
        .extracting(TlsRefusal::reason)
        .containsExactly(TlsRefusal.Reason.PLAINTEXT, TlsRefusal.Reason.NO_CLIENT_CERTIFICATE);
  }

  @Test
  void permissiveAdmitsAnonymousCallers() {
    mode("PERMISSIVE");
    assertThat(admit(null, InboundCall.Transport.PLAINTEXT).isAdmitted()).isTrue();
    mode("STRICT");
    assertThat(admit(null, InboundCall.Transport.PLAINTEXT).isAdmitted()).isFalse();
    assertThat(mesh.settings().mtls().name()).isEqualTo("STRICT");
  }
}
