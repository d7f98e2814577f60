package io.mesh4j.http;

import static org.assertj.core.api.Assertions.assertThat;

import okhttp3.Request;
import okhttp3.RequestBody;
import org.junit.jupiter.api.Test;

class HttpOutboundCallTest {

  @Test
  void readsTheRequestWithoutCopyingIt() {
    Request request =
        new Request.Builder()
            .url("http://orders.shop:8080/v1/orders?id=7")
            .addHeader("X-Tenant", "beta-1")
            .addHeader("x-tenant", "beta-2")
            .build();

    HttpOutboundCall call = new HttpOutboundCall(request, 5_000);

    assertThat(call.destination()).isEqualTo("orders.shop");
    assertThat(call.httpMethod()).isEqualTo("GET");
    assertThat(call.path()).isEqualTo("/v1/orders");
    // Names are case-insensitive and the first value wins, as in OutboundCall.Builder.
    assertThat(call.header("x-tenant")).isEqualTo("beta-1");
    assertThat(call.header("x-absent")).isNull();
    assertThat(call.idempotent()).isTrue();
    assertThat(call.timeRemainingNanos()).isEqualTo(5_000);
  }

  @Test
  void postIsNotIdempotent() {
    Request post =
        new Request.Builder()
            .url("http://orders.shop/v1/orders")
            .post(RequestBody.create(new byte[0]))
            .build();

    assertThat(new HttpOutboundCall(post, Long.MAX_VALUE).idempotent()).isFalse();
  }
}
