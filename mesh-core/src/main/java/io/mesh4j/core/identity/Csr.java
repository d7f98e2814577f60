package io.mesh4j.core.identity;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.spec.ECGenParameterSpec;
import org.bouncycastle.asn1.pkcs.PKCSObjectIdentifiers;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.ExtensionsGenerator;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.bouncycastle.pkcs.PKCS10CertificationRequestBuilder;
import org.bouncycastle.pkcs.jcajce.JcaPKCS10CertificationRequestBuilder;
import org.jspecify.annotations.Nullable;

/**
 * The workload's side of issuance: an ECDSA P-256 key pair generated in the process (the private
 * key never leaves it) and a PKCS#10 request that proves possession of that key.
 *
 * <p>Stateless and thread-safe.
 */
public final class Csr {

  private Csr() {}

  /** A fresh ECDSA key pair on curve P-256 (secp256r1). */
  public static KeyPair generateKeyPair() {
    try {
      KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
      g.initialize(new ECGenParameterSpec("secp256r1"));
      return g.generateKeyPair();
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("mesh4j: this JVM cannot generate ECDSA P-256 keys", e);
    }
  }

  /**
   * A DER-encoded PKCS#10 request for {@code keyPair}'s public key with an empty subject, signed
   * by its private key. It names no identity: the authority decides that from how the workload
   * authenticated.
   */
  public static byte[] create(KeyPair keyPair) {
    return create(keyPair, null);
  }

  /**
   * Like {@link #create(KeyPair)}, but asking for {@code requestedId} as a URI alternative name.
   * Authorities ignore the names in a request or refuse one that differs from the caller's
   * authenticated identity; this exists so that behaviour can be tested.
   */
  public static byte[] create(KeyPair keyPair, @Nullable String requestedId) {
    try {
      PKCS10CertificationRequestBuilder b =
          new JcaPKCS10CertificationRequestBuilder(new X500Name(""), keyPair.getPublic());
      if (requestedId != null) {
        ExtensionsGenerator ext = new ExtensionsGenerator();
        ext.addExtension(
            Extension.subjectAlternativeName,
            false,
            new GeneralNames(new GeneralName(GeneralName.uniformResourceIdentifier, requestedId)));
        b.addAttribute(PKCSObjectIdentifiers.pkcs_9_at_extensionRequest, ext.generate());
      }
      return b.build(new JcaContentSignerBuilder("SHA256withECDSA").build(keyPair.getPrivate()))
          .getEncoded();
    } catch (OperatorCreationException e) {
      throw new IllegalStateException("mesh4j: cannot sign a certificate request: " + e, e);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
