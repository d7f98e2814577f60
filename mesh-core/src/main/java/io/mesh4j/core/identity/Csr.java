package io.mesh4j.core.identity;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.Signature;
import java.security.spec.ECGenParameterSpec;
import org.jspecify.annotations.Nullable;

/**
 * The workload's side of issuance: an ECDSA P-256 key pair generated in the process (the private
 * key never leaves it) and a PKCS#10 request that proves possession of that key.
 *
 * <p>Stateless and thread-safe.
 */
public final class Csr {

  // RFC 2986 and RFC 5280, written out because these are the only structures mesh-core encodes.
  private static final byte[] VERSION_1 = {Der.INTEGER, 1, 0};
  private static final byte[] EMPTY_NAME = {Der.SEQUENCE, 0};
  private static final int ATTRIBUTES = 0xa0;
  private static final int URI_NAME = 0x86;
  private static final String EXTENSION_REQUEST = "1.2.840.113549.1.9.14";
  private static final String SUBJECT_ALT_NAME = "2.5.29.17";
  private static final String ECDSA_WITH_SHA256 = "1.2.840.10045.4.3.2";

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
    byte[] attributes = new byte[0];
    if (requestedId != null) {
      byte[] names =
          Der.tlv(Der.SEQUENCE, Der.tlv(URI_NAME, requestedId.getBytes(StandardCharsets.US_ASCII)));
      byte[] subjectAltName =
          Der.tlv(Der.SEQUENCE, Der.oid(SUBJECT_ALT_NAME), Der.tlv(Der.OCTET_STRING, names));
      attributes =
          Der.tlv(
              Der.SEQUENCE,
              Der.oid(EXTENSION_REQUEST),
              Der.tlv(Der.SET, Der.tlv(Der.SEQUENCE, subjectAltName)));
    }
    byte[] info =
        Der.tlv(
            Der.SEQUENCE,
            VERSION_1,
            EMPTY_NAME,
            keyPair.getPublic().getEncoded(),
            Der.tlv(ATTRIBUTES, attributes));
    byte[] signature;
    try {
      Signature s = Signature.getInstance("SHA256withECDSA");
      s.initSign(keyPair.getPrivate());
      s.update(info);
      signature = s.sign();
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("mesh4j: cannot sign a certificate request: " + e, e);
    }
    return Der.tlv(
        Der.SEQUENCE,
        info,
        Der.tlv(Der.SEQUENCE, Der.oid(ECDSA_WITH_SHA256)),
        Der.tlv(Der.BIT_STRING, new byte[] {0}, signature));
  }
}
