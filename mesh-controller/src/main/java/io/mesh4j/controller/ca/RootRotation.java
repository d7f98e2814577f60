package io.mesh4j.controller.ca;

import io.mesh4j.ca.CertificateAuthority;
import io.mesh4j.ca.CertificateAuthority.RotationPhase;
import io.mesh4j.core.policy.MeshConfig;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.InstantSource;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import javax.naming.InvalidNameException;
import javax.naming.ldap.LdapName;
import javax.naming.ldap.Rdn;

/**
 * The three steps of a CA root rotation, run against a {@link RootStore} (the {@code ca rotate}
 * command). Each step computes the next state with {@link CertificateAuthority}'s own rotation
 * calls, so it keeps their rules, and writes it to the store in one guarded replacement; running
 * controllers follow the store (see {@link RootStore#watch}).
 *
 * <ol>
 *   <li>{@link #begin}: a new root is generated and trusted beside the current one, which still
 *       signs;
 *   <li>{@link #promote}: the new root signs; the old one stays trusted for the leaves it signed;
 *   <li>{@link #retire}: the old root leaves the trust bundle.
 * </ol>
 *
 * Between two steps every workload must renew once, i.e. at least one workload certificate
 * lifetime must pass; each step says when that is at the default lifetime.
 */
public final class RootRotation {

  /**
   * What a step did and what the operator does next.
   *
   * @param did what changed in the store
   * @param next what to do next, and when
   */
  public record Step(String did, String next) {}

  private RootRotation() {}

  /**
   * Step 1: generates a root valid for {@code rootLifetime} and stores it as trusted, not signing.
   *
   * @throws IllegalStateException when the store is empty, a rotation is under way, or the store
   *     cannot be written; the message says which and what to run instead
   */
  public static Step begin(RootStore store, Duration rootLifetime, InstantSource clock, String again) {
    RootStore.Stored current = require(store, RotationPhase.STABLE, "begin a root rotation");
    CertificateAuthority ca = authority(current, clock);
    CertificateAuthority.Root next = CertificateAuthority.Root.generate(ca.trustDomain(), rootLifetime, clock);
    ca.beginRotation(next);
    store.replace(current, new RootStore.Stored(current.signing(), current.alsoTrusted(), next));
    return new Step(
        "Began a root rotation in " + store.describe() + ": the new root " + name(next.certificate())
            + " (valid until " + next.certificate().getNotAfter().toInstant() + ") is trusted beside "
            + name(current.signing().certificate()) + ", which still signs. Running controllers hand"
            + " both roots to every workload at its next renewal, and write them to the mesh4j-ca-root"
            + " ConfigMaps.",
        "Wait until every workload has renewed: one workload certificate lifetime (the MeshConfig's"
            + " certificateLifetime; " + waitUntil(clock) + "). Then run: " + again.replace("STEP", "promote"));
  }

  /**
   * Step 2: the root stored by {@link #begin} signs from now on; the old one stays trusted.
   *
   * @throws IllegalStateException when no rotation was begun, or the store cannot be written
   */
  public static Step promote(RootStore store, InstantSource clock, String again) {
    RootStore.Stored current = require(store, RotationPhase.NEW_ROOT_TRUSTED, "promote the new root");
    CertificateAuthority.Root next = current.next();
    if (next == null) {
      throw new IllegalStateException("mesh4j: " + store.describe() + " holds no next root to promote");
    }
    CertificateAuthority ca = authority(current, clock);
    ca.beginRotation(next);
    ca.promote();
    List<X509Certificate> old = new ArrayList<>(ca.trustBundle());
    old.remove(ca.signingRoot().certificate());
    store.replace(current, new RootStore.Stored(ca.signingRoot(), old, null));
    return new Step(
        "Promoted " + name(next.certificate()) + " in " + store.describe() + ": it signs every new"
            + " workload certificate and the controller's serving certificate; "
            + name(current.signing().certificate()) + " stays trusted for the certificates it signed.",
        "Wait until every certificate the old root signed has expired: one workload certificate"
            + " lifetime (" + waitUntil(clock) + "). Then run: " + again.replace("STEP", "retire"));
  }

  /**
   * Step 3: the roots that no longer sign leave the trust bundle.
   *
   * @throws IllegalStateException when no promoted rotation is waiting, or the store cannot be
   *     written
   */
  public static Step retire(RootStore store, InstantSource clock, String again) {
    RootStore.Stored current = require(store, RotationPhase.NEW_ROOT_SIGNING, "retire the old root");
    CertificateAuthority ca = authority(current, clock);
    List<String> retired = new ArrayList<>();
    for (X509Certificate old : current.alsoTrusted()) {
      ca.retire(old);
      retired.add(name(old));
    }
    store.replace(current, new RootStore.Stored(ca.signingRoot(), List.of(), null));
    return new Step(
        "Retired " + String.join(", ", retired) + " in " + store.describe() + ": the trust bundle is "
            + name(ca.signingRoot().certificate()) + " alone.",
        "The rotation is complete. Workloads drop the old root at their next renewal; the"
            + " mesh4j-ca-root ConfigMaps already hold the new root only.");
  }

  private static RootStore.Stored require(RootStore store, RotationPhase phase, String what) {
    RootStore.Stored current = store.load();
    if (current == null) {
      throw new IllegalStateException(
          "mesh4j: cannot " + what + ": " + store.describe() + " holds no root yet; start the controller once to create it");
    }
    if (current.phase() != phase) {
      throw new IllegalStateException(
          "mesh4j: cannot " + what + ": " + store.describe() + " is in phase " + current.phase()
              + ", expected " + phase + "; " + advice(current.phase()));
    }
    return current;
  }

  private static String advice(RotationPhase phase) {
    return switch (phase) {
      case STABLE -> "run 'begin' first";
      case NEW_ROOT_TRUSTED -> "a rotation was begun; its next step is 'promote'";
      case NEW_ROOT_SIGNING -> "the new root signs and the old one is still trusted; the next step is 'retire'";
    };
  }

  private static CertificateAuthority authority(RootStore.Stored current, InstantSource clock) {
    return CertificateAuthority.of(trustDomain(current.signing().certificate()), current.signing(), current.alsoTrusted(), clock);
  }

  /** The trust domain a generated root names in its O attribute; only names the next root. */
  private static String trustDomain(X509Certificate root) {
    try {
      for (Rdn rdn : new LdapName(root.getSubjectX500Principal().getName()).getRdns()) {
        if (rdn.getType().equalsIgnoreCase("O") && rdn.getValue().toString().matches("[a-z0-9._-]+")) {
          return rdn.getValue().toString();
        }
      }
    } catch (InvalidNameException e) {
      // A root made elsewhere; any valid name will do.
    }
    return MeshConfig.defaults().trustDomain();
  }

  private static String waitUntil(InstantSource clock) {
    Duration lifetime = MeshConfig.defaults().certificateLifetime();
    return "at the default of " + lifetime.toHours() + "h, not before "
        + clock.instant().plus(lifetime).truncatedTo(ChronoUnit.SECONDS);
  }

  private static String name(X509Certificate c) {
    return c.getSubjectX500Principal().getName();
  }
}
