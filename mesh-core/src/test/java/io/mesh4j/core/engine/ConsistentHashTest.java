package io.mesh4j.core.engine;

import static io.mesh4j.core.testing.Policies.endpoints;
import static io.mesh4j.core.testing.Policies.ep;
import static io.mesh4j.core.testing.Policies.policy;
import static org.assertj.core.api.Assertions.assertThat;

import io.mesh4j.core.call.Attempt;
import io.mesh4j.core.call.OutboundCall;
import io.mesh4j.core.call.Outcome;
import io.mesh4j.core.policy.DestinationPolicy.LbPolicy;
import io.mesh4j.core.policy.ServiceEndpoints;
import io.mesh4j.core.testing.MeshHarness;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

@Timeout(60)
class ConsistentHashTest {

  private static final int KEYS = 20_000;

  private static List<ServiceEndpoints.Endpoint> eps(int n) {
    List<ServiceEndpoints.Endpoint> list = new ArrayList<>();
    for (int i = 1; i <= n; i++) {
      list.add(ep("10.0.1." + i));
    }
    return list;
  }

  private static Map<String, String> route(MeshHarness h) {
    Map<String, String> owner = new HashMap<>();
    for (int k = 0; k < KEYS; k++) {
      OutboundCall call =
          OutboundCall.builder("catalog.shop")
              .grpc("shop.Catalog", "GetCart")
              .header("X-User", "user-" + k)
              .build();
      Attempt a = h.attempt(call);
      owner.put("user-" + k, a.endpoint().authority());
      a.settle(Outcome.success());
    }
    return owner;
  }

  @ParameterizedTest
  @EnumSource(value = LbPolicy.class, names = {"RING_HASH", "MAGLEV"})
  void oneHeaderValueGoesToOneEndpointAndAddingAnEndpointMovesAboutOneNth(LbPolicy lb) {
    int n = 10;
    try (MeshHarness h = new MeshHarness()) {
      h.apply(
          endpoints("catalog.shop", eps(n)),
          policy("catalog.shop").lb(lb, "x-user", false).build());
      Map<String, String> first = route(h);
      assertThat(route(h)).isEqualTo(first);
      assertThat(new java.util.HashSet<>(first.values())).hasSize(n);

      h.apply(
          endpoints("catalog.shop", eps(n + 1)),
          policy("catalog.shop").lb(lb, "x-user", false).build());
      Map<String, String> second = route(h);
      int moved = 0;
      for (Map.Entry<String, String> e : first.entrySet()) {
        if (!e.getValue().equals(second.get(e.getKey()))) {
          moved++;
        }
      }
      double share = moved / (double) KEYS;
      assertThat(share).isLessThanOrEqualTo(1.5 / n).isGreaterThan(0.5 / (n + 1));
      if (lb == LbPolicy.RING_HASH) {
        // on a ring, keys only ever move to the new endpoint
        for (Map.Entry<String, String> e : first.entrySet()) {
          String now = second.get(e.getKey());
          assertThat(now.equals(e.getValue()) || now.equals("10.0.1.11:8080")).isTrue();
        }
      }
    }
  }
}
