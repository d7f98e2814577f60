package io.mesh4j.core.engine;

import static io.mesh4j.core.testing.Policies.policy;
import static org.assertj.core.api.Assertions.assertThat;

import io.mesh4j.core.call.MeshFailure;
import io.mesh4j.core.call.Admission;
import io.mesh4j.core.call.InboundCall;
import io.mesh4j.core.policy.AuthorizationPolicy;
import io.mesh4j.core.policy.AuthorizationPolicy.Action;
import io.mesh4j.core.policy.AuthorizationPolicy.Rule;
import io.mesh4j.core.policy.Metadata;
import io.mesh4j.core.testing.MeshHarness;
import java.util.List;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(10)
class AuthorizationTest {

  private static final String FRONTEND = "spiffe://cluster.local/ns/shop/sa/frontend";
  private static final String BATCH = "spiffe://cluster.local/ns/jobs/sa/batch";

  private static AuthorizationPolicy authz(String name, Action action, Rule... rules) {
    return new AuthorizationPolicy(
        Metadata.of("shop", name),
        new AuthorizationPolicy.Spec("pricing.shop", action, List.of(rules)));
  }

  private static Rule rule(
      @Nullable List<String> principals,
      @Nullable List<String> namespaces,
      @Nullable List<String> httpMethods,
      @Nullable List<String> paths) {
    return new Rule(principals, namespaces, null, httpMethods, paths, null);
  }

  private static Admission admit(MeshHarness h, @Nullable String peer, String method, String path) {
    return h.mesh.inbound()
        .admit(InboundCall.builder("pricing.shop").peer(peer).http(method, path).build());
  }

  @Test
  void allowPolicyAdmitsMatchingCallersAndDeniesOthersNamingThePolicy() {
    try (MeshHarness h = new MeshHarness()) {
      h.apply(
          authz(
              "pricing-readers",
              Action.ALLOW,
              rule(List.of("spiffe://cluster.local/ns/shop/*"), null, List.of("get"), List.of("/prices/*"))));

      assertThat(admit(h, FRONTEND, "GET", "/prices/42").isAdmitted()).isTrue();
      assertThat(admit(h, FRONTEND, "POST", "/prices/42").isAdmitted()).isFalse();
      assertThat(admit(h, FRONTEND, "GET", "/admin").isAdmitted()).isFalse();
      assertThat(admit(h, null, "GET", "/prices/42").isAdmitted()).isFalse();

      MeshFailure denied = admit(h, BATCH, "GET", "/prices/42").refusal();
      assertThat(denied.reason()).isEqualTo(MeshFailure.Reason.DENIED);
      assertThat(denied.httpStatus()).isEqualTo(403);
      assertThat(denied.grpcStatus().name()).isEqualTo("PERMISSION_DENIED");
      assertThat(denied.getMessage())
          .isEqualTo(
              "mesh4j: denied for pricing.shop (no rule of AuthorizationPolicy shop/pricing-readers"
                  + " allows " + BATCH + ")");
      // services without policies admit everyone
      assertThat(h.mesh.inbound().admit(InboundCall.builder("other.shop").build()).isAdmitted())
          .isTrue();
    }
  }

  @Test
  void denyRuleWinsOverAllowAndNamespacesComeFromTheSpiffeId() {
    try (MeshHarness h = new MeshHarness()) {
      h.apply(
          authz("everyone", Action.ALLOW, rule(null, null, null, null)),
          authz("no-jobs", Action.DENY, rule(null, List.of("jobs"), null, null)));

      assertThat(admit(h, FRONTEND, "GET", "/prices").isAdmitted()).isTrue();
      assertThat(admit(h, null, "GET", "/prices").isAdmitted()).isTrue();
      assertThat(admit(h, BATCH, "GET", "/prices").refusal().getMessage())
          .isEqualTo(
              "mesh4j: denied for pricing.shop (AuthorizationPolicy shop/no-jobs denies " + BATCH + ")");
    }
  }

  @Test
  void deniedCallsTakeNoRateLimitToken() {
    try (MeshHarness h = new MeshHarness()) {
      h.apply(
          authz("only-frontend", Action.ALLOW, rule(List.of(FRONTEND), null, null, null)),
          policy("pricing.shop").serverRateLimit(1, 1).build());

      for (int i = 0; i < 5; i++) {
        assertThat(admit(h, BATCH, "GET", "/").refusal().reason())
            .isEqualTo(MeshFailure.Reason.DENIED);
      }
      assertThat(admit(h, FRONTEND, "GET", "/").isAdmitted()).isTrue();
      assertThat(admit(h, FRONTEND, "GET", "/").refusal().reason())
          .isEqualTo(MeshFailure.Reason.RATE_LIMITED);
    }
  }
}
