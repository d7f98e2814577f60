package io.mesh4j.controller;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.ConfigMapBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import io.fabric8.kubernetes.client.utils.Serialization;
import io.mesh4j.controller.ca.SecretRootStore;
import io.mesh4j.controller.ca.TokenReviewAuthenticator;
import io.mesh4j.controller.kubernetes.RootConfigMaps;
import io.mesh4j.core.identity.Pem;
import java.io.InputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.InstantSource;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import picocli.CommandLine;

/**
 * Kubernetes mode on fabric8's mock API server (CRUD): the leader writes the trust bundle into a
 * {@code mesh4j-ca-root} ConfigMap in every namespace with meshed workloads, and a root rotation
 * run with {@code ca rotate} on the Secret reaches the running controller and those ConfigMaps.
 */
@EnableKubernetesMockClient(crud = true)
@Timeout(120)
class KubernetesRootDistributionTest {

  KubernetesClient client;

  private MeshController controller;

  @BeforeEach
  void start() throws Exception {
    for (String crd : List.of("trafficroutes", "destinationpolicies", "authorizationpolicies", "meshconfigs")) {
      try (InputStream in = Files.newInputStream(Path.of("deploy", "crds", crd + ".yaml"))) {
        client.resource(Serialization.unmarshal(in, CustomResourceDefinition.class)).create();
      }
    }
    // shop: mesh4j policy in a labelled ConfigMap. web: callers only, recognised by the token they
    // project for the controller. batch: a Pod that is not meshed. legacy: meshed, but someone
    // already keeps a ConfigMap of that name there.
    client.configMaps().inNamespace("shop").resource(new ConfigMapBuilder()
        .withNewMetadata().withName("routes").withNamespace("shop").addToLabels("mesh4j.io/config", "true").endMetadata()
        .addToData("notes.txt", "no mesh4j documents yet").build()).create();
    client.pods().inNamespace("web").resource(pod("web", "frontend-0", "mesh4j-controller")).create();
    client.pods().inNamespace("batch").resource(pod("batch", "job-0", "vault")).create();
    client.pods().inNamespace("legacy").resource(pod("legacy", "old-0", "mesh4j-controller")).create();
    client.configMaps().inNamespace("legacy").resource(new ConfigMapBuilder()
        .withNewMetadata().withName(RootConfigMaps.NAME).withNamespace("legacy").endMetadata()
        .addToData("ca.crt", "copied by hand").build()).create();

    controller =
        MeshController.startKubernetes(
            new MeshController.KubernetesOptions(
                client, "mesh4j-system", "mesh4j-controller", "replica-a", Duration.ofSeconds(3),
                new InetSocketAddress("127.0.0.1", 0), new InetSocketAddress("127.0.0.1", 0),
                MeshController.Security.plaintext(
                    new TokenReviewAuthenticator(client, "mesh4j-controller"),
                    new SecretRootStore(client, "mesh4j-system", "mesh4j-ca", Duration.ofDays(30), InstantSource.system()))));
  }

  @AfterEach
  void stop() {
    if (controller != null) {
      controller.close();
    }
  }

  private static Pod pod(String namespace, String name, String audience) {
    return new PodBuilder()
        .withNewMetadata().withName(name).withNamespace(namespace).endMetadata()
        .withNewSpec()
        .addNewContainer().withName("app").withImage("app:1").endContainer()
        .addNewVolume().withName("token").withNewProjected()
        .addNewSource().withNewServiceAccountToken().withAudience(audience).withPath("token").endServiceAccountToken().endSource()
        .endProjected().endVolume()
        .endSpec()
        .build();
  }

  private @Nullable List<X509Certificate> published(String namespace) {
    ConfigMap cm = client.configMaps().inNamespace(namespace).withName(RootConfigMaps.NAME).get();
    if (cm == null) {
      return null;
    }
    return Pem.readCertificates(cm.getData().get(RootConfigMaps.KEY), namespace);
  }

  private CommandLine rotateCommand(StringWriter out, StringWriter err) {
    // The command closes its client; the controller keeps its own.
    CaCommand ca = new CaCommand(() -> new KubernetesClientBuilder().withConfig(client.getConfiguration()).build());
    return new CommandLine(ca).setOut(new PrintWriter(out)).setErr(new PrintWriter(err));
  }

  @Test
  void theLeaderPublishesTheBundleToMeshedNamespacesOnlyAndLeavesForeignConfigMapsAlone() {
    await().atMost(Duration.ofSeconds(30)).until(() -> controller.isLeader() && published("shop") != null && published("web") != null);
    X509Certificate root = controller.certificateAuthority().signingRoot().certificate();

    assertThat(published("shop")).containsExactly(root);
    assertThat(published("web")).containsExactly(root);
    assertThat(client.configMaps().inNamespace("shop").withName(RootConfigMaps.NAME).get().getMetadata().getLabels())
        .containsEntry("app.kubernetes.io/managed-by", "mesh4j-controller");
    assertThat(client.configMaps().inNamespace("batch").withName(RootConfigMaps.NAME).get()).isNull();
    assertThat(client.configMaps().inNamespace("legacy").withName(RootConfigMaps.NAME).get().getData())
        .isEqualTo(Map.of("ca.crt", "copied by hand"));
  }

  @Test
  void aRotationOnTheSecretReachesTheControllerAndBothConfigMaps() {
    await().atMost(Duration.ofSeconds(30)).until(() -> published("shop") != null && published("web") != null);
    X509Certificate old = controller.certificateAuthority().signingRoot().certificate();

    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    int status = rotateCommand(out, err).execute("rotate", "begin", "--ca-secret", "mesh4j-ca", "--ca-namespace", "mesh4j-system");
    assertThat(status).as(err.toString()).isZero();
    assertThat(out.toString())
        .startsWith("Began a root rotation in Secret mesh4j-system/mesh4j-ca: the new root ")
        .contains("Then run: mesh-controller ca rotate promote --ca-secret mesh4j-ca --ca-namespace mesh4j-system");

    await().atMost(Duration.ofSeconds(30)).until(() -> controller.certificateAuthority().trustBundle().size() == 2);
    List<X509Certificate> bundle = controller.certificateAuthority().trustBundle();
    assertThat(bundle.get(0)).isEqualTo(old);
    assertThat(controller.certificateAuthority().signingRoot().certificate()).isEqualTo(old);
    await().atMost(Duration.ofSeconds(30))
        .until(() -> bundle.equals(published("shop")) && bundle.equals(published("web")));

    assertThat(rotateCommand(out, err).execute("rotate", "promote", "--ca-secret", "mesh4j-ca")).isZero();
    await().atMost(Duration.ofSeconds(30))
        .until(() -> controller.certificateAuthority().signingRoot().certificate().equals(bundle.get(1)));
    assertThat(rotateCommand(out, err).execute("rotate", "retire", "--ca-secret", "mesh4j-ca")).isZero();
    await().atMost(Duration.ofSeconds(30))
        .until(() -> List.of(bundle.get(1)).equals(published("shop")) && List.of(bundle.get(1)).equals(published("web")));
    assertThat(controller.certificateAuthority().trustBundle()).containsExactly(bundle.get(1));
  }
}
