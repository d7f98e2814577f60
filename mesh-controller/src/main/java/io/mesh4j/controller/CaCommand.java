package io.mesh4j.controller;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.mesh4j.controller.ca.DirectoryRootStore;
import io.mesh4j.controller.ca.RootRotation;
import io.mesh4j.controller.ca.RootStore;
import io.mesh4j.controller.ca.SecretRootStore;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Duration;
import java.time.InstantSource;
import java.util.function.Supplier;
import org.jspecify.annotations.Nullable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * {@code mesh-controller ca rotate begin|promote|retire}: moves a CA root rotation on by one step
 * in the root store the controllers use ({@code --ca-dir} or {@code --ca-secret}). Running
 * controllers follow the store, so nothing is restarted. Each step prints what it did and what
 * to do next; a step out of order is refused, naming the step that is due.
 */
@Command(
    name = "ca",
    mixinStandardHelpOptions = true,
    description = "Operates the certificate authority's root store.",
    subcommands = CaCommand.Rotate.class)
public final class CaCommand implements Runnable {

  private final Supplier<KubernetesClient> clients;

  @Spec CommandSpec spec;

  @Override
  public void run() {
    throw new ParameterException(spec.commandLine(), "give a subcommand: rotate begin|promote|retire");
  }

  /** Connects to the cluster the way kubectl does (kubeconfig, or in-cluster). */
  public CaCommand() {
    this(() -> new KubernetesClientBuilder().build());
  }

  /** @param clients the Kubernetes client for {@code --ca-secret} */
  CaCommand(Supplier<KubernetesClient> clients) {
    this.clients = clients;
  }

  @Command(
      name = "rotate",
      mixinStandardHelpOptions = true,
      description = {
        "Rotates the CA root with overlap, one step at a time:",
        "  begin    a new root is trusted beside the current one, which still signs",
        "  promote  the new root signs; the old one stays trusted",
        "  retire   the old root leaves the trust bundle",
        "Wait one workload certificate lifetime between steps, so every workload renews."
      })
  static final class Rotate implements java.util.concurrent.Callable<Integer> {

    /** The steps, in order. */
    enum StepName {
      begin,
      promote,
      retire
    }

    @CommandLine.Parameters(index = "0", paramLabel = "STEP", description = "begin, promote or retire.")
    StepName step;

    @Override
    public Integer call() {
      return switch (step) {
        case begin -> begin();
        case promote -> promote();
        case retire -> retire();
      };
    }

    @CommandLine.ParentCommand CaCommand parent;

    @Spec CommandSpec spec;

    @Option(names = "--ca-dir", paramLabel = "DIR", description = "local mode: the controllers' CA directory.")
    @Nullable Path caDir;

    @Option(names = "--ca-secret", paramLabel = "NAME", description = "kubernetes mode: the controllers' CA Secret.")
    @Nullable String caSecret;

    @Option(names = "--ca-namespace", paramLabel = "NS", defaultValue = "${env:POD_NAMESPACE:-mesh4j-system}",
        description = "kubernetes mode: namespace of the CA Secret (default: ${DEFAULT-VALUE}).")
    String caNamespace = "mesh4j-system";

    @Option(names = "--ca-root-days", paramLabel = "DAYS", defaultValue = "365",
        description = "begin: lifetime of the new root (default: ${DEFAULT-VALUE}).")
    int caRootDays = 365;

    private int begin() {
      if (caRootDays <= 0) {
        throw new ParameterException(spec.commandLine(), "--ca-root-days: " + caRootDays + " is not a positive number of days");
      }
      Duration lifetime = Duration.ofDays(caRootDays);
      return run(store -> RootRotation.begin(store, lifetime, InstantSource.system(), again()));
    }

    private int promote() {
      return run(store -> RootRotation.promote(store, InstantSource.system(), again()));
    }

    private int retire() {
      return run(store -> RootRotation.retire(store, InstantSource.system(), again()));
    }

    private interface StepRun {
      RootRotation.Step run(RootStore store);
    }

    private int run(StepRun step) {
      if ((caDir == null) == (caSecret == null)) {
        throw new ParameterException(
            spec.commandLine(), "give the controllers' root store: --ca-dir DIR (local mode) or --ca-secret NAME (kubernetes mode)");
      }
      PrintWriter out = spec.commandLine().getOut();
      PrintWriter err = spec.commandLine().getErr();
      KubernetesClient client = null;
      try {
        RootStore store;
        if (caDir != null) {
          store = new DirectoryRootStore(caDir, Duration.ofDays(caRootDays), InstantSource.system());
        } else {
          client = parent.clients.get();
          store = new SecretRootStore(client, caNamespace, caSecret, Duration.ofDays(caRootDays), InstantSource.system());
        }
        RootRotation.Step done = step.run(store);
        out.println(done.did());
        out.println("Next: " + done.next());
        out.flush();
        return 0;
      } catch (IllegalStateException | IllegalArgumentException e) {
        String message = e.getMessage();
        err.println(message != null && message.startsWith("mesh4j: ") ? message : "mesh4j: " + message);
        err.flush();
        return 1;
      } finally {
        if (client != null) {
          client.close();
        }
      }
    }

    /** The same command with STEP for the step, so the operator can copy it. */
    private String again() {
      String store = caDir != null ? "--ca-dir " + caDir : "--ca-secret " + caSecret + " --ca-namespace " + caNamespace;
      return "mesh-controller ca rotate STEP " + store;
    }
  }
}
