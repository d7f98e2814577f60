package io.mesh4j.core.engine;

import static org.assertj.core.api.Assertions.assertThat;

import io.mesh4j.core.call.Admission;
import io.mesh4j.core.call.InboundCall;
import io.mesh4j.core.policy.AuthorizationPolicy;
import io.mesh4j.core.policy.AuthorizationPolicy.Action;
import io.mesh4j.core.policy.AuthorizationPolicy.Rule;
import io.mesh4j.core.policy.Metadata;
import io.mesh4j.core.testing.MeshHarness;
import java.util.List;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Path rules of authorization policies against spellings chosen to slip past them. */
@Timeout(10)
class AuthorizationPathTest {

  private static final String CALLER = "spiffe://cluster.local/ns/shop/sa/frontend";

  private final MeshHarness h = new MeshHarness();

  @AfterEach
  void tearDown() {
    h.close();
  }

  private static AuthorizationPolicy policy(String name, Action action, Rule rule) {
    return new AuthorizationPolicy(
        Metadata.of("shop", name), new AuthorizationPolicy.Spec("pricing.shop", action, List.of(rule)));
  }

  private static Rule paths(@Nullable List<String> paths, @Nullable List<String> prefixes) {
    return new Rule(null, null, null, null, paths, prefixes);
  }

  private Admission admit(String path) {
    return h.mesh.inbound()
        .admit(InboundCall.builder("pricing.shop").peer(CALLER).http("GET", path).build());
  }

  private void allowAllBut(Rule deny) {
    h.apply(
        policy("everyone", Action.ALLOW, new Rule(null, null, null, null, null, null)),
        policy("no-admin", Action.DENY, deny));
  }

  @ParameterizedTest(name = "{0}")
  @ValueSource(
      strings = {
        "/admin",
        "/admin/",
        "/admin/.",
        "//admin",
        "/%61dmin",
        "/x/../admin",
        "/admin/keys",
        "/./admin//keys/",
        "/admin;v=1/keys",
        "/public/%2e%2e/admin/keys",
        "/ADMIN/../admin",
      })
  void aPrefixDenyCoversTheSpellingsOfAdminAndWhatIsUnderIt(String path) {
    allowAllBut(paths(null, List.of("/admin")));
    Admission a = admit(path);
    assertThat(a.isAdmitted()).as(path).isFalse();
    assertThat(a.refusal().getMessage()).contains("AuthorizationPolicy shop/no-admin denies");
  }

  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {"/administrator", "/admins/x", "/public/admin", "/", "/ADMIN"})
  void aPrefixDenyLeavesNeighboursAlone(String path) {
    allowAllBut(paths(null, List.of("/admin")));
    assertThat(admit(path).isAdmitted()).as(path).isTrue();
  }

  @Test
  void anExactDenyMatchesTheNormalizedPathAndOnlyIt() {
    allowAllBut(paths(List.of("/admin"), null));
    for (String denied : List.of("/admin", "//admin", "/%61dmin", "/x/../admin", "/admin;x=1")) {
      assertThat(admit(denied).isAdmitted()).as(denied).isFalse();
    }
    // Documented: a trailing slash is part of the path, so an exact rule does not cover it; a
    // prefix rule does.
    for (String other : List.of("/admin/", "/admin/.", "/admin/x")) {
      assertThat(admit(other).isAdmitted()).as(other).isTrue();
    }
  }

  @ParameterizedTest(name = "{0}")
  @ValueSource(
      strings = {"/admin%2Fkeys", "/admin%2fkeys", "/admin%5Ckeys", "/..", "/../admin", "/a/../../admin", "/%2e%2e/admin"})
  void pathsWithAnEncodedSlashOrClimbingAboveTheRootAreRefusedEvenByAnAllowAll(String path) {
    h.apply(policy("everyone", Action.ALLOW, new Rule(null, null, null, null, null, null)));
    Admission a = admit(path);
    assertThat(a.isAdmitted()).as(path).isFalse();
    assertThat(a.refusal().getMessage())
        .isEqualTo(
            "mesh4j: denied for pricing.shop (request path "
                + path
                + " is refused (an encoded / or \\, or .. above the root) for "
                + CALLER
                + ")");
  }

  @Test
  void anAllowPrefixAdmitsTheSubtreeOnly() {
    h.apply(policy("api-only", Action.ALLOW, paths(null, List.of("/api"))));
    assertThat(admit("/api").isAdmitted()).isTrue();
    assertThat(admit("/api/v1/items").isAdmitted()).isTrue();
    assertThat(admit("/x/../api/v1").isAdmitted()).isTrue();
    assertThat(admit("/apix").isAdmitted()).isFalse();
    assertThat(admit("/api/../admin").isAdmitted()).isFalse();
  }

  @Test
  void pathsAndPrefixesInOneRuleAreOneCondition() {
    h.apply(policy("two", Action.ALLOW, paths(List.of("/health"), List.of("/api"))));
    assertThat(admit("/health").isAdmitted()).isTrue();
    assertThat(admit("/api/x").isAdmitted()).isTrue();
    assertThat(admit("/healthz").isAdmitted()).isFalse();
  }

  @Test
  void aServiceWithoutPoliciesAdmitsEveryoneEvenAnonymousAndOddPaths() {
    h.apply(policy("other", Action.DENY, paths(null, List.of("/admin"))));
    Admission a =
        h.mesh.inbound().admit(InboundCall.builder("catalog.shop").http("GET", "/admin/../..").build());
    assertThat(a.isAdmitted()).isTrue();
  }
}
