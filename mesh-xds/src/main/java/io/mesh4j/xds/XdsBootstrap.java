package io.mesh4j.xds;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;
import com.google.protobuf.ListValue;
import com.google.protobuf.NullValue;
import com.google.protobuf.Struct;
import com.google.protobuf.Value;
import io.envoyproxy.envoy.config.core.v3.Locality;
import io.envoyproxy.envoy.config.core.v3.Node;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * What a standard gRPC xDS bootstrap says (gRFC A27): the first of {@code xds_servers}, its
 * channel credentials, and the {@code node} this application introduces itself as. Other fields
 * ({@code server_features}, {@code certificate_providers}, {@code authorities}, ...) are read past.
 *
 * @param serverUri where the ADS server listens, a gRPC target such as {@code istiod.istio-system.svc:15010}
 * @param credentials how to connect to it
 * @param trustedRoots for {@link Credentials#TLS}: a PEM file of CA certificates from the
 *     {@code tls} credentials' {@code config.ca_certificate_file}; null means the JDK's trust store
 * @param node the node sent in every request
 */
public record XdsBootstrap(
    String serverUri, Credentials credentials, @Nullable Path trustedRoots, Node node) {

  /** The environment variable naming the bootstrap file. */
  public static final String BOOTSTRAP_FILE_VARIABLE = "GRPC_XDS_BOOTSTRAP";

  /** The environment variable holding the bootstrap JSON itself. */
  public static final String BOOTSTRAP_CONFIG_VARIABLE = "GRPC_XDS_BOOTSTRAP_CONFIG";

  /** Channel credentials mesh4j can use, in the bootstrap's names. */
  public enum Credentials {
    /** Plaintext. */
    INSECURE,
    /** TLS, verifying the server against {@code trustedRoots} or the JDK's trust store. */
    TLS
  }

  public XdsBootstrap {
    Objects.requireNonNull(serverUri, "serverUri");
    Objects.requireNonNull(credentials, "credentials");
    Objects.requireNonNull(node, "node");
  }

  /**
   * The bootstrap the environment names: the file in {@value #BOOTSTRAP_FILE_VARIABLE}, else the
   * JSON in {@value #BOOTSTRAP_CONFIG_VARIABLE}.
   *
   * @throws IllegalArgumentException if neither is set, or what they hold is not a usable bootstrap
   */
  public static XdsBootstrap fromEnvironment(Map<String, String> environment) {
    String file = environment.get(BOOTSTRAP_FILE_VARIABLE);
    if (file != null && !file.isBlank()) {
      return read(Path.of(file));
    }
    String json = environment.get(BOOTSTRAP_CONFIG_VARIABLE);
    if (json != null && !json.isBlank()) {
      return parse(json, BOOTSTRAP_CONFIG_VARIABLE);
    }
    throw new IllegalArgumentException(
        "xDS bootstrap: neither " + BOOTSTRAP_FILE_VARIABLE + " (a file) nor " + BOOTSTRAP_CONFIG_VARIABLE
            + " (JSON) is set, and the builder was given no bootstrap");
  }

  /**
   * The bootstrap in {@code file}.
   *
   * @throws IllegalArgumentException if it cannot be read or is not a usable bootstrap
   */
  public static XdsBootstrap read(Path file) {
    String json;
    try {
      json = Files.readString(file, StandardCharsets.UTF_8);
    } catch (IOException | RuntimeException e) {
      throw new IllegalArgumentException("xDS bootstrap " + file + ": cannot read it (" + e + ")", e);
    }
    return parse(json, file.toString());
  }

  /**
   * The bootstrap in {@code json}; {@code origin} names where it came from in messages.
   *
   * @throws IllegalArgumentException naming the field, if it is not a usable bootstrap
   */
  public static XdsBootstrap parse(String json, String origin) {
    JsonElement root;
    try {
      root = JsonParser.parseString(json);
    } catch (JsonParseException e) {
      throw new IllegalArgumentException("xDS bootstrap " + origin + ": not JSON (" + e.getMessage() + ")", e);
    }
    Reader r = new Reader(origin);
    JsonObject top = r.object(root, "");
    JsonArray servers = r.array(top.get("xds_servers"), "xds_servers");
    if (servers.isEmpty()) {
      throw r.error("xds_servers", "must name at least one server", "[]");
    }
    JsonObject server = r.object(servers.get(0), "xds_servers[0]");
    String uri = r.string(server.get("server_uri"), "xds_servers[0].server_uri");
    if (uri.isBlank()) {
      throw r.error("xds_servers[0].server_uri", "must be a gRPC target such as host:port", "\"\"");
    }
    JsonArray creds = r.array(server.get("channel_creds"), "xds_servers[0].channel_creds");
    // gRFC A27: the first credentials type the client supports wins.
    Credentials credentials = null;
    Path roots = null;
    StringBuilder seen = new StringBuilder();
    for (int i = 0; i < creds.size() && credentials == null; i++) {
      String path = "xds_servers[0].channel_creds[" + i + "]";
      JsonObject c = r.object(creds.get(i), path);
      String type = r.string(c.get("type"), path + ".type");
      seen.append(seen.length() == 0 ? "" : ", ").append(type);
      if (type.equals("insecure")) {
        credentials = Credentials.INSECURE;
      } else if (type.equals("tls")) {
        credentials = Credentials.TLS;
        JsonElement config = c.get("config");
        if (config != null && !config.isJsonNull()) {
          JsonElement ca = r.object(config, path + ".config").get("ca_certificate_file");
          if (ca != null && !ca.isJsonNull()) {
            roots = Path.of(r.string(ca, path + ".config.ca_certificate_file"));
          }
        }
      }
    }
    if (credentials == null) {
      throw r.error("xds_servers[0].channel_creds", "must include a type mesh4j supports (insecure, tls)",
          "[" + seen + "]");
    }
    Node.Builder node = Node.newBuilder();
    JsonElement n = top.get("node");
    if (n != null && !n.isJsonNull()) {
      JsonObject o = r.object(n, "node");
      node.setId(r.optionalString(o.get("id"), "node.id"));
      node.setCluster(r.optionalString(o.get("cluster"), "node.cluster"));
      JsonElement locality = o.get("locality");
      if (locality != null && !locality.isJsonNull()) {
        JsonObject l = r.object(locality, "node.locality");
        node.setLocality(Locality.newBuilder()
            .setRegion(r.optionalString(l.get("region"), "node.locality.region"))
            .setZone(r.optionalString(l.get("zone"), "node.locality.zone"))
            .setSubZone(r.optionalString(l.get("sub_zone"), "node.locality.sub_zone")));
      }
      JsonElement metadata = o.get("metadata");
      if (metadata != null && !metadata.isJsonNull()) {
        node.setMetadata(struct(r.object(metadata, "node.metadata")));
      }
    }
    node.setUserAgentName("mesh4j").addClientFeatures("envoy.lb.does_not_support_overprovisioning");
    return new XdsBootstrap(uri, credentials, roots, node.build());
  }

  private static Struct struct(JsonObject object) {
    Struct.Builder s = Struct.newBuilder();
    object.entrySet().forEach(e -> s.putFields(e.getKey(), value(e.getValue())));
    return s.build();
  }

  private static Value value(JsonElement e) {
    if (e.isJsonNull()) {
      return Value.newBuilder().setNullValue(NullValue.NULL_VALUE).build();
    }
    if (e.isJsonObject()) {
      return Value.newBuilder().setStructValue(struct(e.getAsJsonObject())).build();
    }
    if (e.isJsonArray()) {
      ListValue.Builder list = ListValue.newBuilder();
      e.getAsJsonArray().forEach(v -> list.addValues(value(v)));
      return Value.newBuilder().setListValue(list).build();
    }
    if (e.getAsJsonPrimitive().isBoolean()) {
      return Value.newBuilder().setBoolValue(e.getAsBoolean()).build();
    }
    if (e.getAsJsonPrimitive().isNumber()) {
      return Value.newBuilder().setNumberValue(e.getAsDouble()).build();
    }
    return Value.newBuilder().setStringValue(e.getAsString()).build();
  }

  /** Typed access that names the field it refuses. */
  private record Reader(String origin) {

    IllegalArgumentException error(String field, String expected, @Nullable String actual) {
      return new IllegalArgumentException("xDS bootstrap " + origin + ": "
          + (field.isEmpty() ? "" : field + ": ") + expected + (actual == null ? "" : ", got " + actual));
    }

    JsonObject object(@Nullable JsonElement e, String field) {
      if (e == null || e.isJsonNull()) {
        throw error(field, "is required", null);
      }
      if (!e.isJsonObject()) {
        throw error(field, "must be an object", e.toString());
      }
      return e.getAsJsonObject();
    }

    JsonArray array(@Nullable JsonElement e, String field) {
      if (e == null || e.isJsonNull()) {
        throw error(field, "is required", null);
      }
      if (!e.isJsonArray()) {
        throw error(field, "must be a list", e.toString());
      }
      return e.getAsJsonArray();
    }

    String string(@Nullable JsonElement e, String field) {
      if (e == null || e.isJsonNull()) {
        throw error(field, "is required", null);
      }
      return optionalString(e, field);
    }

    String optionalString(@Nullable JsonElement e, String field) {
      if (e == null || e.isJsonNull()) {
        return "";
      }
      if (!e.isJsonPrimitive() || !e.getAsJsonPrimitive().isString()) {
        throw error(field, "must be a string", e.toString());
      }
      return e.getAsString();
    }
  }
}
