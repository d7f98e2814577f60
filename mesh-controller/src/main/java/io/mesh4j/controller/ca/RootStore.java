package io.mesh4j.controller.ca;

import io.mesh4j.ca.CertificateAuthority;
import java.security.cert.X509Certificate;
import java.util.List;

/**
 * Where the controller's CA root lives between restarts: a directory in local mode ({@link
 * DirectoryRootStore}), a Secret in Kubernetes mode ({@link SecretRootStore}). The first
 * controller to start generates the root and stores it; later ones (and restarts) load it, so
 * every replica signs with the same root and workloads keep trusting it.
 */
public interface RootStore {

  /**
   * The stored root and the other roots trusted beside it, generating and storing a root for
   * {@code trustDomain} when none is stored yet.
   *
   * @throws IllegalStateException when the store holds something unreadable, or cannot be read
   *     or written; the message names the store and what is wrong
   */
  Stored loadOrCreate(String trustDomain);

  /**
   * What a store holds.
   *
   * @param signing the root that signs workload certificates
   * @param alsoTrusted other roots in the trust bundle (during a root rotation), possibly empty
   */
  record Stored(CertificateAuthority.Root signing, List<X509Certificate> alsoTrusted) {
    public Stored {
      alsoTrusted = List.copyOf(alsoTrusted);
    }
  }

  /** Where the root is, for logs and errors. */
  String describe();
}
