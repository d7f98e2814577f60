package io.mesh4j.controller.ca;

import io.mesh4j.ca.CertificateAuthority;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import org.jspecify.annotations.Nullable;

/**
 * Where the controller's CA root lives between restarts: a directory in local mode ({@link
 * DirectoryRootStore}), a Secret in Kubernetes mode ({@link SecretRootStore}). The first
 * controller to start generates the root and stores it; later ones (and restarts) load it, so
 * every replica signs with the same root and workloads keep trusting it.
 *
 * <p>The store is also where a root rotation stands ({@link RootRotation} moves it on): the
 * stored state alone says which root signs and which are trusted, so every replica, and a
 * replica restarted mid-rotation, agree, and running controllers follow it through {@link
 * #watch}.
 */
public interface RootStore {

  /** The file (or Secret key) with the root's private key, PKCS#8 PEM. */
  String KEY_FILE = "ca.key";
  /** The root's certificate, PEM. */
  String CERT_FILE = "ca.crt";
  /** Further trusted roots, PEM: the old root after a promotion, or roots added by hand. */
  String BUNDLE_FILE = "bundle.crt";
  /**
   * The next root of a rotation that was begun and not yet promoted: its PKCS#8 key then its
   * certificate, PEM, in one file so it is written at once.
   */
  String NEXT_FILE = "next.pem";

  /**
   * The stored root and the other roots trusted beside it, generating and storing a root for
   * {@code trustDomain} when none is stored yet.
   *
   * @throws IllegalStateException when the store holds something unreadable, or cannot be read
   *     or written; the message names the store and what is wrong
   */
  Stored loadOrCreate(String trustDomain);

  /**
   * What the store holds now, or null when it holds nothing yet.
   *
   * @throws IllegalStateException as {@link #loadOrCreate}
   */
  @Nullable Stored load();

  /**
   * Replaces {@code expected} with {@code next}, unless the store changed since {@code expected}
   * was loaded.
   *
   * @throws IllegalStateException when the store changed meanwhile (load again and retry) or
   *     cannot be written; the message says which
   */
  void replace(Stored expected, Stored next);

  /**
   * Calls {@code onChange} (on the store's own thread) each time the stored roots change, until
   * the returned handle is closed. A change that leaves the store unreadable is logged and
   * skipped; the last good roots stay in force.
   */
  AutoCloseable watch(Consumer<Stored> onChange);

  /**
   * What a store holds.
   *
   * @param signing the root that signs workload certificates
   * @param alsoTrusted other roots in the trust bundle (the old root during a rotation), possibly
   *     empty
   * @param next the root of a rotation begun and not yet promoted: trusted, not signing; or null
   */
  record Stored(CertificateAuthority.Root signing, List<X509Certificate> alsoTrusted, CertificateAuthority.@Nullable Root next) {
    public Stored {
      alsoTrusted = List.copyOf(alsoTrusted);
    }

    public Stored(CertificateAuthority.Root signing, List<X509Certificate> alsoTrusted) {
      this(signing, alsoTrusted, null);
    }

    /** Every root but the signing one that workloads must trust: {@link #alsoTrusted} and {@link #next}. */
    public List<X509Certificate> otherTrusted() {
      List<X509Certificate> out = new ArrayList<>(alsoTrusted);
      if (next != null && !out.contains(next.certificate())) {
        out.add(next.certificate());
      }
      out.remove(signing.certificate());
      return List.copyOf(out);
    }

    /** Where a rotation stands, as far as the stored roots tell. */
    public CertificateAuthority.RotationPhase phase() {
      if (next != null) {
        return CertificateAuthority.RotationPhase.NEW_ROOT_TRUSTED;
      }
      return alsoTrusted.isEmpty()
          ? CertificateAuthority.RotationPhase.STABLE
          : CertificateAuthority.RotationPhase.NEW_ROOT_SIGNING;
    }
  }

  /**
   * Reads {@link #NEXT_FILE}'s content: a private key, then the certificate it belongs to.
   *
   * @throws IllegalArgumentException naming {@code what} when it is not that
   */
  static CertificateAuthority.Root readNext(String pem, String what) {
    int at = pem.indexOf("-----BEGIN CERTIFICATE-----");
    if (at < 0) {
      throw new IllegalArgumentException(what + ": expected the next root's PRIVATE KEY then its CERTIFICATE (PEM)");
    }
    return CertificateAuthority.Root.fromPem(pem.substring(0, at), pem.substring(at), what);
  }

  /** {@link #NEXT_FILE}'s content for {@code next}. */
  static String nextPem(CertificateAuthority.Root next) {
    return next.keyPem() + next.certificatePem();
  }

  /** Whether two states hold the same roots in the same roles. */
  static boolean sameRoots(Stored a, Stored b) {
    return a.signing().certificate().equals(b.signing().certificate())
        && a.alsoTrusted().equals(b.alsoTrusted())
        && (a.next() == null
            ? b.next() == null
            : b.next() != null && a.next().certificate().equals(b.next().certificate()));
  }

  /** Where the root is, for logs and errors. */
  String describe();
}
