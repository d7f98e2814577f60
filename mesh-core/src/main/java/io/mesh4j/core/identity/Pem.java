package io.mesh4j.core.identity;

import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.PrivateKey;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * PEM reading and writing for the files an authority and a workload keep: certificates
 * ({@code CERTIFICATE} blocks) and PKCS#8 private keys ({@code PRIVATE KEY}, also accepting
 * OpenSSL's {@code EC PRIVATE KEY}).
 *
 * <p>Stateless and thread-safe.
 */
public final class Pem {

  // RFC 7468: text outside the blocks is allowed and ignored.
  private static final Pattern BLOCK =
      Pattern.compile(
          "-----BEGIN ([A-Z0-9 ]+)-----\\s*([A-Za-z0-9+/=\\s]*?)-----END \\1-----");
  private static final Base64.Encoder ENCODER =
      Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII));
  // The algorithms a PKCS#8 key may hold, tried in turn: the encoding names its algorithm only by
  // object identifier, which the JDK's KeyFactory cannot be asked for directly.
  private static final List<String> KEY_ALGORITHMS = List.of("EC", "RSA", "Ed25519", "Ed448");
  private static final String EC_PUBLIC_KEY = "1.2.840.10045.2.1";

  private Pem() {}

  /** The certificates as concatenated {@code CERTIFICATE} blocks, in order. */
  public static String certificates(List<X509Certificate> certificates) {
    StringBuilder out = new StringBuilder();
    for (X509Certificate c : certificates) {
      try {
        block(out, "CERTIFICATE", c.getEncoded());
      } catch (CertificateException e) {
        throw new IllegalArgumentException("mesh4j: cannot encode a certificate: " + e, e);
      }
    }
    return out.toString();
  }

  /** The key as an unencrypted PKCS#8 {@code PRIVATE KEY} block. */
  public static String privateKey(PrivateKey key) {
    if (!"PKCS#8".equals(key.getFormat())) {
      throw new IllegalArgumentException(
          "mesh4j: the private key's encoding is " + key.getFormat() + ", not PKCS#8");
    }
    return block(new StringBuilder(), "PRIVATE KEY", key.getEncoded()).toString();
  }

  /**
   * Every {@code CERTIFICATE} block of {@code pem}, in order.
   *
   * @param what names the source in error messages, e.g. a file name
   * @throws IllegalArgumentException when a block cannot be parsed or none is present
   */
  public static List<X509Certificate> readCertificates(String pem, String what) {
    List<X509Certificate> out = new ArrayList<>();
    try {
      CertificateFactory cf = CertificateFactory.getInstance("X.509");
      Matcher m = BLOCK.matcher(pem);
      while (m.find()) {
        if (!m.group(1).equals("CERTIFICATE")) {
          throw new IllegalArgumentException(
              what + ": expected only CERTIFICATE blocks, found " + m.group(1));
        }
        out.add(
            (X509Certificate)
                cf.generateCertificate(new ByteArrayInputStream(decode(m.group(2), what))));
      }
    } catch (CertificateException e) {
      throw new IllegalArgumentException(what + ": not a readable PEM certificate: " + e, e);
    }
    if (out.isEmpty()) {
      throw new IllegalArgumentException(what + ": no CERTIFICATE block found");
    }
    return List.copyOf(out);
  }

  /**
   * The first private key of {@code pem} (PKCS#8 {@code PRIVATE KEY} or {@code EC PRIVATE KEY}).
   *
   * @param what names the source in error messages, e.g. a file name
   * @throws IllegalArgumentException when no unencrypted key can be read
   */
  public static PrivateKey readPrivateKey(String pem, String what) {
    Matcher m = BLOCK.matcher(pem);
    String type = m.find() ? m.group(1) : null;
    if (type == null || (!type.equals("PRIVATE KEY") && !type.equals("EC PRIVATE KEY"))) {
      throw new IllegalArgumentException(
          what
              + ": expected an unencrypted PRIVATE KEY or EC PRIVATE KEY block, found "
              + (type == null ? "nothing" : type));
    }
    byte[] der = decode(m.group(2), what);
    try {
      if (type.equals("EC PRIVATE KEY")) {
        return KeyFactory.getInstance("EC").generatePrivate(new PKCS8EncodedKeySpec(sec1ToPkcs8(der)));
      }
      PKCS8EncodedKeySpec spec = new PKCS8EncodedKeySpec(der);
      GeneralSecurityException last = null;
      for (String algorithm : KEY_ALGORITHMS) {
        try {
          return KeyFactory.getInstance(algorithm).generatePrivate(spec);
        } catch (GeneralSecurityException e) {
          last = e;
        }
      }
      throw last;
    } catch (GeneralSecurityException | IllegalArgumentException e) {
      throw new IllegalArgumentException(what + ": not a readable PEM private key: " + e, e);
    }
  }

  /**
   * Wraps an RFC 5915 EC key in the PKCS#8 structure the JDK reads, taking the curve from the
   * key's own parameters.
   */
  private static byte[] sec1ToPkcs8(byte[] sec1) {
    byte[] curve = null;
    for (byte[] child : Der.children(sec1)) {
      if ((child[0] & 0xff) == 0xa0) {
        curve = Der.contents(child);
      }
    }
    if (curve == null) {
      throw new IllegalArgumentException("the EC PRIVATE KEY names no curve");
    }
    return Der.tlv(
        Der.SEQUENCE,
        new byte[] {Der.INTEGER, 1, 0},
        Der.tlv(Der.SEQUENCE, Der.oid(EC_PUBLIC_KEY), curve),
        Der.tlv(Der.OCTET_STRING, sec1));
  }

  private static byte[] decode(String base64, String what) {
    try {
      return Base64.getMimeDecoder().decode(base64);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(what + ": PEM block is not valid base64: " + e, e);
    }
  }

  private static StringBuilder block(StringBuilder out, String type, byte[] der) {
    return out.append("-----BEGIN ")
        .append(type)
        .append("-----\n")
        .append(ENCODER.encodeToString(der))
        .append("\n-----END ")
        .append(type)
        .append("-----\n");
  }
}
