package io.mesh4j.core.engine;

import static io.mesh4j.core.testing.Policies.endpoints;
import static io.mesh4j.core.testing.Policies.ep;
import static io.mesh4j.core.testing.Policies.exact;
import static io.mesh4j.core.testing.Policies.grpc;
import static io.mesh4j.core.testing.Policies.headers;
import static io.mesh4j.core.testing.Policies.http;
import static io.mesh4j.core.testing.Policies.prefix;
import static io.mesh4j.core.testing.Policies.regex;
import static io.mesh4j.core.testing.Policies.route;
import static io.mesh4j.core.testing.Policies.rule;
import static org.assertj.core.api.Assertions.assertThat;

import io.mesh4j.core.call.OutboundCall;
import io.mesh4j.core.policy.TrafficRoute;
import io.mesh4j.core.policy.TrafficRoute.HeaderMatch;
import io.mesh4j.core.testing.MeshHarness;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(10)
class RouteMatchingTest {

  private MeshHarness h;

  @BeforeEach
  void setUp() {
    h = new MeshHarness();
    h.apply(
        endpoints("catalog.shop", ep("10.0.0.1")),
        route(
            "catalog.shop",
            List.of(),
            rule().name("grpc-get").match(grpc("shop.Catalog", "GetItem")).build(),
            rule().name("grpc-service").match(grpc("shop.Catalog", null)).build(),
            rule().name("http-exact").match(http("GET", exact("/items"))).build(),
            rule().name("http-prefix").match(http("POST", prefix("/items/"))).build(),
            rule().name("http-regex").match(http(null, regex("/orders/[0-9]+"))).build(),
            rule().name("header-exact").match(headers(new HeaderMatch("X-Env", "canary", null, null, null))).build(),
            rule().name("header-prefix").match(headers(new HeaderMatch("x-user", null, "test-", null, null))).build(),
            rule().name("header-regex").match(headers(new HeaderMatch("x-version", null, null, "v[0-9]+", null))).build(),
            rule().name("header-present").match(headers(new HeaderMatch("x-debug", null, null, null, true))).build(),
            rule()
                .name("delete-anonymous")
                .match(
                    new TrafficRoute.Match(
                        null, "DELETE", null, List.of(new HeaderMatch("authorization", null, null, null, false)), null, null))
                .build(),
            rule()
                .name("either")
                .match(http("PUT", exact("/a")))
                .match(http("PUT", exact("/b")))
                .build()));
  }

  @AfterEach
  void tearDown() {
    h.close();
  }

  private String ruleOf(OutboundCall call) {
    return h.plan(call).rule();
  }

  private static OutboundCall.Builder call() {
    return OutboundCall.builder("catalog.shop");
  }

  @Test
  void grpcServiceAndMethod() {
    assertThat(ruleOf(call().grpc("shop.Catalog", "GetItem").build())).isEqualTo("grpc-get");
    assertThat(ruleOf(call().grpc("shop.Catalog", "ListItems").build())).isEqualTo("grpc-service");
    assertThat(ruleOf(call().grpc("shop.Cart", "GetItem").build())).isEqualTo("default");
  }

  @Test
  void httpMethodAndPathExactPrefixRegex() {
    assertThat(ruleOf(call().http("GET", "/items").build())).isEqualTo("http-exact");
    assertThat(ruleOf(call().http("GET", "/items/1").build())).isEqualTo("default");
    assertThat(ruleOf(call().http("post", "/items/1").build())).isEqualTo("http-prefix");
    assertThat(ruleOf(call().http("GET", "/orders/42").build())).isEqualTo("http-regex");
    assertThat(ruleOf(call().http("GET", "/orders/42/lines").build())).isEqualTo("default");
  }

  @Test
  void headersExactPrefixRegexPresentAbsent() {
    assertThat(ruleOf(call().http("GET", "/x").header("x-env", "canary").build()))
        .isEqualTo("header-exact");
    assertThat(ruleOf(call().http("GET", "/x").header("x-env", "canary2").build()))
        .isEqualTo("default");
    assertThat(ruleOf(call().http("GET", "/x").header("X-User", "test-7").build()))
        .isEqualTo("header-prefix");
    assertThat(ruleOf(call().http("GET", "/x").header("x-version", "v12").build()))
        .isEqualTo("header-regex");
    assertThat(ruleOf(call().http("GET", "/x").header("x-version", "v12b").build()))
        .isEqualTo("default");
    assertThat(ruleOf(call().http("GET", "/x").header("x-debug", "").build()))
        .isEqualTo("header-present");
    assertThat(ruleOf(call().http("DELETE", "/x").build())).isEqualTo("delete-anonymous");
    assertThat(ruleOf(call().http("DELETE", "/x").header("authorization", "Bearer t").build()))
        .isEqualTo("default");
  }

  @Test
  void anyAlternativeMayMatch() {
    assertThat(ruleOf(call().http("PUT", "/a").build())).isEqualTo("either");
    assertThat(ruleOf(call().http("PUT", "/b").build())).isEqualTo("either");
    assertThat(ruleOf(call().http("PUT", "/c").build())).isEqualTo("default");
  }

  @Test
  void firstMatchWins() {
    assertThat(ruleOf(call().grpc("shop.Catalog", "GetItem").header("x-env", "canary").build()))
        .isEqualTo("grpc-get");
    assertThat(ruleOf(call().http("GET", "/items").header("x-debug", "1").build()))
        .isEqualTo("http-exact");
  }

  @Test
  void destinationWithoutRouteUsesTheDefaultRuleOverAllEndpoints() {
    h.apply(endpoints("catalog.shop", ep("10.0.0.1"), ep("10.0.0.2")));
    var plan = h.plan(call().grpc("shop.Catalog", "GetItem").build());
    assertThat(plan.rule()).isEqualTo("default");
    assertThat(plan.subset()).isNull();
    assertThat(plan.nextAttempt().admitted()).isTrue();
  }
}
