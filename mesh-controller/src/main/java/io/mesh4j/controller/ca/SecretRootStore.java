package io.mesh4j.controller.ca;

import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.mesh4j.ca.CertificateAuthority;
import io.mesh4j.core.identity.Pem;
import java.net.HttpURLConnection;
import java.nio.charset.StandardCharsets;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.InstantSource;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Kubernetes mode's root store: a Secret (by default {@code mesh4j-ca} in the controller's
 * namespace) of type {@code Opaque} with keys {@code ca.key}, {@code ca.crt} and optionally
 * {@code bundle.crt}, the same PEM contents as {@link DirectoryRootStore}'s files. When the
 * Secret does not exist, a root is generated and the Secret created; when another replica
 * created it first (HTTP 409), that replica's root is loaded instead, so all replicas sign with
 * one root.
 *
 * <p>The controller's ServiceAccount needs {@code get} and {@code create} on this Secret.
 */
public final class SecretRootStore implements RootStore {

  private static final Logger log = LoggerFactory.getLogger(SecretRootStore.class);

  /** The default name of the Secret. */
  public static final String DEFAULT_NAME = "mesh4j-ca";

  private final KubernetesClient client;
  private final String namespace;
  private final String name;
  private final Duration rootLifetime;
  private final InstantSource clock;

  public SecretRootStore(
      KubernetesClient client, String namespace, String name, Duration rootLifetime, InstantSource clock) {
    this.client = Objects.requireNonNull(client, "client");
    this.namespace = Objects.requireNonNull(namespace, "namespace");
    this.name = Objects.requireNonNull(name, "name");
    this.rootLifetime = Objects.requireNonNull(rootLifetime, "rootLifetime");
    this.clock = Objects.requireNonNull(clock, "clock");
  }

  @Override
  public Stored loadOrCreate(String trustDomain) {
    try {
      Secret existing = client.secrets().inNamespace(namespace).withName(name).get();
      if (existing != null) {
        return read(existing);
      }
      CertificateAuthority.Root root = CertificateAuthority.Root.generate(trustDomain, rootLifetime, clock);
      Secret secret =
          new SecretBuilder()
              .withNewMetadata()
              .withNamespace(namespace)
              .withName(name)
              .addToLabels("app.kubernetes.io/managed-by", "mesh4j-controller")
              .endMetadata()
              .withType("Opaque")
              .addToData(DirectoryRootStore.KEY_FILE, base64(root.keyPem()))
              .addToData(DirectoryRootStore.CERT_FILE, base64(root.certificatePem()))
              .build();
      try {
        client.secrets().inNamespace(namespace).resource(secret).create();
      } catch (KubernetesClientException e) {
        if (e.getCode() != HttpURLConnection.HTTP_CONFLICT) {
          throw e;
        }
        // Another replica won the race: use its root.
        Secret winner = client.secrets().inNamespace(namespace).withName(name).get();
        if (winner == null) {
          throw new IllegalStateException(describe() + " was reported to exist but cannot be read", e);
        }
        return read(winner);
      }
      log.info("Generated the CA root {} into {}", root.certificate().getSubjectX500Principal(), describe());
      return new Stored(root, List.of());
    } catch (KubernetesClientException e) {
      throw new IllegalStateException(
          describe() + ": the Kubernetes API refused access (HTTP " + e.getCode() + ": " + e.getMessage()
              + "); the controller needs get and create on this Secret",
          e);
    }
  }

  private Stored read(Secret secret) {
    Map<String, String> data = secret.getData() == null ? Map.of() : secret.getData();
    String key = decode(data, DirectoryRootStore.KEY_FILE);
    String cert = decode(data, DirectoryRootStore.CERT_FILE);
    if (key == null || cert == null) {
      throw new IllegalStateException(
          describe() + " has no " + (key == null ? DirectoryRootStore.KEY_FILE : DirectoryRootStore.CERT_FILE)
              + " key; expected " + DirectoryRootStore.KEY_FILE + " and " + DirectoryRootStore.CERT_FILE
              + " (PEM), and optionally " + DirectoryRootStore.BUNDLE_FILE);
    }
    try {
      CertificateAuthority.Root root = CertificateAuthority.Root.fromPem(key, cert, describe());
      String bundle = decode(data, DirectoryRootStore.BUNDLE_FILE);
      List<X509Certificate> extra =
          bundle == null ? List.of() : Pem.readCertificates(bundle, describe() + " " + DirectoryRootStore.BUNDLE_FILE);
      log.info("Loaded the CA root {} from {}", root.certificate().getSubjectX500Principal(), describe());
      return new Stored(root, extra);
    } catch (IllegalArgumentException e) {
      throw new IllegalStateException(e.getMessage(), e);
    }
  }

  private @Nullable String decode(Map<String, String> data, String key) {
    String value = data.get(key);
    if (value == null) {
      return null;
    }
    try {
      return new String(Base64.getDecoder().decode(value), StandardCharsets.UTF_8);
    } catch (IllegalArgumentException e) {
      throw new IllegalStateException(describe() + " key " + key + " is not base64 (" + e.getMessage() + ")", e);
    }
  }

  private static String base64(String s) {
    return Base64.getEncoder().encodeToString(s.getBytes(StandardCharsets.UTF_8));
  }

  @Override
  public String describe() {
    return "Secret " + namespace + "/" + name;
  }
}
