package io.mesh4j.http;

import static org.assertj.core.api.Assertions.assertThat;

import io.mesh4j.core.call.Endpoint;
import java.util.Map;
import okhttp3.HttpUrl;
import org.junit.jupiter.api.Test;

class TargetUrlsTest {

  private static final Endpoint A = new Endpoint("10.0.0.1", 8080, Map.of(), null, 1, null);
  private static final Endpoint B = new Endpoint("10.0.0.2", 9090, Map.of(), null, 1, null);

  @Test
  void rewritesHostAndPortAndKeepsPathAndQuery() {
    HttpUrl url = HttpUrl.get("http://orders.shop/a%20b/c?x=1&y=%2F");

    HttpUrl target = new TargetUrls(false).target(url, A);

    assertThat(target.toString()).isEqualTo("http://10.0.0.1:8080/a%20b/c?x=1&y=%2F");
  }

  @Test
  void httpsWhenTheMeshSpeaksMutualTls() {
    HttpUrl target = new TargetUrls(true).target(HttpUrl.get("http://orders.shop/x"), A);

    assertThat(target.toString()).isEqualTo("https://10.0.0.1:8080/x");
  }

  @Test
  void aRepeatedUrlAndEndpointIsAnsweredFromTheCache() {
    TargetUrls urls = new TargetUrls(false);
    HttpUrl url = HttpUrl.get("http://orders.shop/x");

    HttpUrl first = urls.target(url, A);

    assertThat(urls.target(HttpUrl.get("http://orders.shop/x"), A)).isSameAs(first);
    assertThat(urls.target(url, B).toString()).isEqualTo("http://10.0.0.2:9090/x");
    assertThat(urls.target(HttpUrl.get("http://orders.shop/y"), A).toString())
        .isEqualTo("http://10.0.0.1:8080/y");
  }

  @Test
  void anEqualEndpointOfAnotherSnapshotIsAMissNotAWrongAnswer() {
    TargetUrls urls = new TargetUrls(false);
    HttpUrl url = HttpUrl.get("http://orders.shop/x");
    HttpUrl first = urls.target(url, A);

    Endpoint moved = new Endpoint("10.0.0.1", 8080, Map.of("v", "2"), null, 1, null);

    assertThat(urls.target(url, moved)).isNotSameAs(first).isEqualTo(first);
  }
}
