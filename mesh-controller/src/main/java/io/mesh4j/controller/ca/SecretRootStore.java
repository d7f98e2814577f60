package io.mesh4j.controller.ca;

import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
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
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Kubernetes mode's root store: a Secret (by default {@code mesh4j-ca} in the controller's
 * namespace) of type {@code Opaque} with keys {@code ca.key}, {@code ca.crt} and optionally
 * {@code bundle.crt} and {@code next.pem}, the same PEM contents as {@link DirectoryRootStore}'s
 * files. When the Secret does not exist, a root is generated and the Secret created; when another
 * replica created it first (HTTP 409), that replica's root is loaded instead, so all replicas sign
 * with one root.
 *
 * <p>A rotation step ({@link #replace}) is one update of the Secret, guarded by its {@code
 * resourceVersion}, so replicas never see half a step and two operators cannot both succeed.
 * {@link #watch} is an informer on this one Secret.
 *
 * <p>The controller's ServiceAccount needs {@code get}, {@code list} and {@code watch} on this
 * Secret and {@code create} on Secrets of its namespace; whoever runs {@code ca rotate} needs
 * {@code get} and {@code update} on it.
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
        Stored stored = read(existing);
        log.info("Loaded the CA root {} from {}", stored.signing().certificate().getSubjectX500Principal(), describe());
        return stored;
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

  @Override
  public @Nullable Stored load() {
    try {
      Secret existing = client.secrets().inNamespace(namespace).withName(name).get();
      return existing == null ? null : read(existing);
    } catch (KubernetesClientException e) {
      throw new IllegalStateException(
          describe() + ": the Kubernetes API refused access (HTTP " + e.getCode() + ": " + e.getMessage() + ")", e);
    }
  }

  @Override
  public void replace(Stored expected, Stored next) {
    try {
      Secret current = client.secrets().inNamespace(namespace).withName(name).get();
      if (current == null || !RootStore.sameRoots(read(current), expected)) {
        throw new IllegalStateException(describe() + " changed while this step was prepared; run it again");
      }
      Map<String, String> data = new java.util.LinkedHashMap<>(current.getData() == null ? Map.of() : current.getData());
      data.put(DirectoryRootStore.KEY_FILE, base64(next.signing().keyPem()));
      data.put(DirectoryRootStore.CERT_FILE, base64(next.signing().certificatePem()));
      if (next.alsoTrusted().isEmpty()) {
        data.remove(BUNDLE_FILE);
      } else {
        data.put(BUNDLE_FILE, base64(Pem.certificates(next.alsoTrusted())));
      }
      CertificateAuthority.Root pending = next.next();
      if (pending == null) {
        data.remove(NEXT_FILE);
      } else {
        data.put(NEXT_FILE, base64(RootStore.nextPem(pending)));
      }
      // The resourceVersion read above makes the update fail if anyone changed the Secret since.
      Secret updated = new SecretBuilder(current).withData(data).build();
      client.secrets().inNamespace(namespace).resource(updated).update();
    } catch (KubernetesClientException e) {
      if (e.getCode() == HttpURLConnection.HTTP_CONFLICT) {
        throw new IllegalStateException(describe() + " changed while this step was written; run it again", e);
      }
      throw new IllegalStateException(
          describe() + ": the Kubernetes API refused the update (HTTP " + e.getCode() + ": " + e.getMessage()
              + "); a rotation needs get and update on this Secret",
          e);
    }
  }

  @Override
  public AutoCloseable watch(Consumer<Stored> onChange) {
    AtomicReference<@Nullable Stored> delivered = new AtomicReference<>();
    ResourceEventHandler<Secret> handler =
        new ResourceEventHandler<>() {
          @Override
          public void onAdd(Secret secret) {
            changed(secret);
          }

          @Override
          public void onUpdate(Secret old, Secret secret) {
            changed(secret);
          }

          @Override
          public void onDelete(Secret secret, boolean deletedFinalStateUnknown) {
            log.error("{} was deleted; the roots loaded last stay in force until it is restored", describe());
          }

          private void changed(Secret secret) {
            try {
              Stored stored = read(secret);
              Stored last = delivered.get();
              if (last != null && RootStore.sameRoots(last, stored)) {
                return;
              }
              delivered.set(stored);
              log.info("{} changed: signing root {}, {} other trusted root(s), rotation phase {}", describe(),
                  stored.signing().certificate().getSubjectX500Principal(), stored.otherTrusted().size(), stored.phase());
              onChange.accept(stored);
            } catch (RuntimeException e) {
              log.error("{} changed but cannot be used; the last good roots stay in force: {}", describe(), e.getMessage());
            }
          }
        };
    SharedIndexInformer<Secret> informer = client.secrets().inNamespace(namespace).withName(name).inform(handler);
    return informer;
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
      String nextPem = decode(data, NEXT_FILE);
      CertificateAuthority.Root next = nextPem == null ? null : RootStore.readNext(nextPem, describe() + " " + NEXT_FILE);
      return new Stored(root, extra, next);
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
