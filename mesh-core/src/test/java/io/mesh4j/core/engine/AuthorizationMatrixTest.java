package io.mesh4j.core.engine;

import static org.assertj.core.api.Assertions.assertThat;

import io.mesh4j.core.call.MeshFailure;
import io.mesh4j.core.call.Admission;
import io.mesh4j.core.call.InboundCall;
import io.mesh4j.core.testing.AuthorizationMatrix;
import io.mesh4j.core.testing.AuthorizationMatrix.Case;
import io.mesh4j.core.testing.TestMesh;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The authorization matrix (ALLOW and DENY by principal, principal prefix, namespace, gRPC
 * method, HTTP method and path) decided by the engine, each case with its exact outcome. The
 * gRPC and HTTP adapters run the same cases through real calls.
 */
@Timeout(30)
class AuthorizationMatrixTest {

  private static TestMesh mesh;

  @BeforeAll
  static void applyPolicies() {
    mesh = new TestMesh().apply(AuthorizationMatrix.POLICIES);
  }

  @AfterAll
  static void close() {
    mesh.close();
  }

  static Stream<Case> cases() {
    return Stream.concat(AuthorizationMatrix.GRPC.stream(), AuthorizationMatrix.HTTP.stream());
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("cases")
  void eachCaseHasItsExactOutcome(Case c) {
    InboundCall.Builder call = InboundCall.builder(c.service()).peer(c.peer());
    if (c.grpcMethod() != null) {
      call.grpc(c.grpcMethod());
    } else {
      call.http(c.httpMethod(), c.path());
    }
    Admission admission = mesh.mesh().inbound().admit(call.build());

    if (c.denial() == null) {
      assertThat(admission.isAdmitted()).as(c.name()).isTrue();
    } else {
      assertThat(admission.isAdmitted()).as(c.name()).isFalse();
      MeshFailure refusal = admission.refusal();
      assertThat(refusal.reason()).isEqualTo(MeshFailure.Reason.DENIED);
      assertThat(refusal.httpStatus()).isEqualTo(403);
      assertThat(refusal.getMessage()).isEqualTo(c.message());
    }
  }

  @Test
  void theMatrixCoversEveryDimension() {
    assertThat(AuthorizationMatrix.GRPC.size() + AuthorizationMatrix.HTTP.size()).isGreaterThanOrEqualTo(24);
    assertThat(cases().filter(c -> c.denial() == null)).hasSizeGreaterThanOrEqualTo(8);
    assertThat(cases().filter(c -> c.denial() != null && c.denial().contains(" denies "))).hasSizeGreaterThanOrEqualTo(8);
  }

  @Test
  void aServiceWithoutPoliciesAdmitsEveryone() {
    assertThat(mesh.mesh().inbound().admit(InboundCall.builder("stock.shop").http("DELETE", "/x").build()).isAdmitted())
        .isTrue();
  }
}
