package io.mesh4j.http.testing;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;

import com.github.tomakehurst.wiremock.WireMockServer;
import com.github.tomakehurst.wiremock.client.ResponseDefinitionBuilder;
import io.mesh4j.core.testing.conformance.ClientAdapterConformance;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import org.jspecify.annotations.Nullable;

/** A conformance kit peer: a WireMock server on loopback that answers with its name. */
public final class WireMockPeer implements ClientAdapterConformance.Peer {

  private final String name;
  private final WireMockServer server;

  /** Starts the peer {@code name} among {@code servers}, which stop it. */
  public WireMockPeer(Servers servers, String name) {
    this.name = name;
    this.server = servers.start(name);
  }

  @Override
  public int port() {
    return server.port();
  }

  @Override
  public int calls() {
    return server.getAllServeEvents().size();
  }

  @Override
  public void behave(ClientAdapterConformance.Behavior behavior) {
    ResponseDefinitionBuilder answer =
        switch (behavior) {
          case OK -> aResponse().withStatus(200).withBody(name);
          case FAIL -> aResponse().withStatus(503).withBody(name + " is down");
          case HANG -> aResponse().withStatus(200).withBody(name).withFixedDelay(60_000);
          case SLOW -> aResponse().withStatus(200).withBody(name).withFixedDelay(300);
          case STEADY -> aResponse().withStatus(200).withBody(name).withFixedDelay(1);
        };
    Servers.answer(server, answer);
  }

  @Override
  public List<@Nullable String> header(String header) {
    // the journal lists the newest request first
    List<@Nullable String> values =
        new ArrayList<>(
            server.getAllServeEvents().stream()
                .<@Nullable String>map(e -> e.getRequest().getHeader(header))
                .toList());
    Collections.reverse(values);
    return values;
  }

  @Override
  public void close() {}
}
