package io.mesh4j.spring;

import io.mesh4j.client.ControllerConfigSource;
import io.mesh4j.core.source.ConfigSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.actuate.autoconfigure.web.server.ManagementPortType;
import org.springframework.boot.actuate.endpoint.EndpointId;
import org.springframework.boot.actuate.endpoint.web.PathMappedEndpoints;
import org.springframework.boot.web.server.context.WebServerInitializedEvent;
import org.springframework.context.ApplicationListener;
import org.springframework.core.env.Environment;

/**
 * Once the web server that serves the actuator has its port, tells the controller (when the
 * policy comes from one) where the {@code mesh} endpoint listens, so that {@code mesh4j config}
 * and {@code mesh4j explain} find this application by name. Only the scheme, port and path are
 * sent; the controller joins them to the address the policy stream comes from.
 */
final class MeshAdminAnnouncer implements ApplicationListener<WebServerInitializedEvent> {

  private static final Logger log = LoggerFactory.getLogger(MeshAdminAnnouncer.class);
  private static final String MANAGEMENT = "management";

  private final ObjectProvider<ConfigSource> source;
  private final ObjectProvider<PathMappedEndpoints> endpoints;
  private final Environment environment;

  MeshAdminAnnouncer(ObjectProvider<ConfigSource> source, ObjectProvider<PathMappedEndpoints> endpoints, Environment environment) {
    this.source = source;
    this.endpoints = endpoints;
    this.environment = environment;
  }

  @Override
  public void onApplicationEvent(WebServerInitializedEvent event) {
    boolean separate = ManagementPortType.get(environment) == ManagementPortType.DIFFERENT;
    boolean management = MANAGEMENT.equals(event.getApplicationContext().getServerNamespace());
    if (separate != management || !(source.getIfAvailable() instanceof ControllerConfigSource controller)) {
      return;
    }
    PathMappedEndpoints mapped = endpoints.getIfAvailable();
    String path = mapped == null ? null : mapped.getPath(EndpointId.of("mesh"));
    if (path == null) {
      return; // not exposed over HTTP
    }
    String prefix = separate
        ? environment.getProperty("management.server.base-path", "")
        : environment.getProperty("server.servlet.context-path", "");
    String ssl = separate ? "management.server.ssl.enabled" : "server.ssl.enabled";
    String scheme = environment.getProperty(ssl, Boolean.class, false) ? "https" : "http";
    String full = (prefix.endsWith("/") ? prefix.substring(0, prefix.length() - 1) : prefix) + path;
    try {
      controller.announceAdminEndpoint(scheme, event.getWebServer().getPort(), full);
    } catch (IllegalArgumentException e) {
      log.warn("Not telling the controller where the mesh endpoint listens: {}", e.getMessage());
    }
  }
}
