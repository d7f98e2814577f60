package io.mesh4j.http.testing;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.any;
import static com.github.tomakehurst.wiremock.client.WireMock.anyUrl;
import static com.github.tomakehurst.wiremock.core.WireMockConfiguration.options;

import com.github.tomakehurst.wiremock.WireMockServer;
import com.github.tomakehurst.wiremock.client.ResponseDefinitionBuilder;
import java.util.ArrayList;
import java.util.List;

/** WireMock servers on 127.0.0.1, each answering every request with its name, stopped at close. */
public final class Servers implements AutoCloseable {

  private final List<WireMockServer> started = new ArrayList<>();

  /** A server answering 200 with {@code name} as body. */
  public WireMockServer start(String name) {
    return start(aResponse().withStatus(200).withBody(name));
  }

  /** A server answering every request with {@code response}. */
  public WireMockServer start(ResponseDefinitionBuilder response) {
    WireMockServer server =
        new WireMockServer(
            options().bindAddress("127.0.0.1").dynamicPort().containerThreads(12).jettyAcceptors(1));
    server.start();
    started.add(server);
    answer(server, response);
    return server;
  }

  /** Replaces what {@code server} answers. */
  public static void answer(WireMockServer server, ResponseDefinitionBuilder response) {
    server.resetMappings();
    server.stubFor(any(anyUrl()).willReturn(response));
  }

  @Override
  public void close() {
    for (WireMockServer server : started) {
      server.stop();
    }
  }
}
