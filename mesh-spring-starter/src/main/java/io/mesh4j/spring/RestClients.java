package io.mesh4j.spring;

import okhttp3.OkHttpClient;
import org.springframework.beans.factory.BeanFactory;
import org.springframework.web.client.RestClient;

/**
 * The {@code RestClient} half of {@link MeshClientPostProcessor}, in a class of its own so that
 * Spring's web client is loaded only when a field asks for one.
 */
final class RestClients {

  private RestClients() {}

  /**
   * A {@code RestClient} sending through the mesh's OkHttp client, built from the application's
   * {@code RestClient.Builder} (Boot's carries its message converters and observations) when it
   * has one. With a destination, relative URIs go to {@code http://<destination>}.
   */
  static Object client(BeanFactory beans, Object okHttp, String destination) {
    RestClient.Builder builder =
        beans.getBeanProvider(RestClient.Builder.class).getIfAvailable(RestClient::builder);
    builder.requestFactory(new OkHttpRequestFactory((OkHttpClient) okHttp));
    if (!destination.isBlank()) {
      builder.baseUrl("http://" + destination);
    }
    return builder.build();
  }
}
