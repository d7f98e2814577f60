package io.mesh4j.core.engine.route;

import static org.assertj.core.api.Assertions.assertThat;

import io.mesh4j.core.call.HeaderEdits;
import io.mesh4j.core.call.OutboundCall;
import io.mesh4j.core.policy.TrafficRoute;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.Test;

class RuleTableTest {

  private static final String[] SERVICES = {"shop.Catalog", "shop.Admin", "shop.Cart"};
  private static final String[] METHODS = {"GetItem", "PutItem", "ListItems", "Get"};

  private static CompiledRule rule(String name, @Nullable List<TrafficRoute.Match> matches) {
    return new CompiledRule(name, null, matches, 1024, new Backend[0], new int[0], Long.MAX_VALUE,
        null, null, null, 0, HeaderEdits.NONE, HeaderEdits.NONE, null, null, null, false);
  }

  private static TrafficRoute.Match grpc(
      @Nullable String service, @Nullable String method, @Nullable String methodRegex) {
    return new TrafficRoute.Match(
        new TrafficRoute.GrpcMatch(service, method, null, methodRegex), null, null, null, null, null);
  }

  private static TrafficRoute.Match header(String name, String exact) {
    return new TrafficRoute.Match(null, null, null,
        List.of(new TrafficRoute.HeaderMatch(name, exact, null, null, null)), null, null);
  }

  /** An HTTP alternative: a method, a path prefix, both, or neither (then it matches any call). */
  private static TrafficRoute.Match http(@Nullable String method, @Nullable String pathPrefix) {
    return new TrafficRoute.Match(null, method,
        pathPrefix == null ? null : new TrafficRoute.StringMatch(null, pathPrefix, null), null, null, null);
  }

  private static TrafficRoute.Match query(String name) {
    return new TrafficRoute.Match(null, null, null, null,
        List.of(new TrafficRoute.QueryMatch(name, null, null)), null);
  }

  private static @Nullable CompiledRule linear(CompiledRule[] rules, OutboundCall call) {
    for (CompiledRule r : rules) {
      if (r.matches(call)) {
        return r;
      }
    }
    return null;
  }

  private static <T> T any(SplittableRandom random, T[] values) {
    return values[random.nextInt(values.length)];
  }

  private static TrafficRoute.Match randomMatch(SplittableRandom random) {
    String service = any(random, SERVICES);
    String method = any(random, METHODS);
    return switch (random.nextInt(10)) {
      case 0, 1, 2 -> grpc(service, method, null);
      case 3 -> grpc(service, null, null);
      case 4 -> grpc(null, method, null);
      case 5 -> grpc(null, null, method.charAt(0) + ".*");
      case 6 -> http(random.nextBoolean() ? "GET" : null, random.nextBoolean() ? "/items" : null);
      case 7 -> query("page");
      default -> header("x-canary", random.nextBoolean() ? "true" : "false");
    };
  }

  @Test
  void theFirstMatchIsTheSameAsTestingEveryRuleInOrder() {
    SplittableRandom random = new SplittableRandom(17);
    int indexed = 0;
    for (int table = 0; table < 500; table++) {
      CompiledRule[] rules = new CompiledRule[1 + random.nextInt(8)];
      for (int i = 0; i < rules.length; i++) {
        int alternatives = random.nextInt(4);
        List<TrafficRoute.Match> matches = new ArrayList<>();
        for (int a = 0; a < alternatives; a++) {
          matches.add(randomMatch(random));
        }
        rules[i] = rule("r" + i, alternatives == 0 && random.nextBoolean() ? null : matches);
      }
      RuleTable t = new RuleTable(rules);
      for (String service : SERVICES) {
        for (String method : METHODS) {
          for (String canary : new String[] {null, "true", "false"}) {
            OutboundCall.Builder b = OutboundCall.builder("catalog.shop").grpc(service, method);
            if (canary != null) {
              b.header("x-canary", canary);
            }
            OutboundCall call = b.build();
            CompiledRule expected = linear(rules, call);
            assertThat(t.first(call)).as("table %d, %s/%s", table, service, method).isSameAs(expected);
            indexed += expected != null ? 1 : 0;
          }
        }
      }
      for (boolean paged : new boolean[] {false, true}) {
        OutboundCall.Builder b =
            OutboundCall.builder("catalog.shop").http("GET", "/items").header("x-canary", "true");
        OutboundCall http = (paged ? b.queryParameter("page", "2") : b).build();
        assertThat(t.first(http)).isSameAs(linear(rules, http));
      }
    }
    assertThat(indexed).as("calls some rule matched").isGreaterThan(10_000);
  }

  @Test
  void aMethodNamedByAnotherRuleSkipsThatRuleOnly() {
    CompiledRule put = rule("put", List.of(grpc("shop.Catalog", "PutItem", null)));
    CompiledRule admin = rule("admin", List.of(grpc("shop.Admin", null, null)));
    CompiledRule get = rule("get", List.of(grpc("shop.Catalog", "GetItem", null)));
    CompiledRule bareGet = rule("bare get", List.of(grpc(null, "Get", null)));
    RuleTable t = new RuleTable(new CompiledRule[] {put, admin, get, bareGet});

    assertThat(t.first(call("shop.Catalog", "GetItem"))).isSameAs(get);
    assertThat(t.first(call("shop.Catalog", "PutItem"))).isSameAs(put);
    assertThat(t.first(call("shop.Admin", "PutItem"))).isSameAs(admin);
    // A method's name ending with another's is not that method.
    assertThat(t.first(call("shop.Cart", "Get"))).isSameAs(bareGet);
    assertThat(t.first(call("shop.Cart", "ItemGet"))).isNull();
  }

  @Test
  void aGrpcCallIsNotTestedAgainstHttpConditionsOrOtherServicesAndMethods() {
    CompiledRule post = rule("post", List.of(http("POST", "/admin/")));
    CompiledRule paged = rule("paged", List.of(query("page")));
    CompiledRule admin = rule("admin", List.of(grpc("shop.Admin", null, null)));
    CompiledRule list = rule("list", List.of(grpc(null, "ListItems", null)));
    CompiledRule get = rule("get", List.of(grpc("shop.Catalog", "GetItem", null)));
    CompiledRule adminV2 = rule("admin v2", List.of(grpc("shop.AdminV2", "ListItems", null)));
    CompiledRule canary = rule("canary", List.of(header("x-canary", "true")));
    RuleTable t =
        new RuleTable(new CompiledRule[] {post, paged, admin, list, get, adminV2, canary});

    assertThat(t.candidates(call("shop.Catalog", "GetItem"))).containsExactly(get, canary);
    // A service whose name starts with another's is not that service.
    assertThat(t.candidates(call("shop.AdminV2", "ListItems")))
        .containsExactly(list, adminV2, canary);
    // A method no rule names exactly: every gRPC rule but those naming exact methods.
    assertThat(t.candidates(call("shop.Admin", "Put"))).containsExactly(admin, list, canary);
    assertThat(t.candidates(OutboundCall.builder("catalog.shop").http("POST", "/admin/x").build()))
        .hasSize(7);
    assertThat(t.first(call("shop.Admin", "Put"))).isSameAs(admin);
  }

  private static OutboundCall call(String service, String method) {
    return OutboundCall.builder("catalog.shop").grpc(service, method).build();
  }
}
