package io.mesh4j.core.identity;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.StringReader;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.security.PrivateKey;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.List;
import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.openssl.PEMKeyPair;
import org.bouncycastle.openssl.PEMParser;
import org.bouncycastle.openssl.jcajce.JcaPEMKeyConverter;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.openssl.jcajce.JcaPKCS8Generator;

/**
 * PEM reading and writing for the files an authority and a workload keep: certificates
 * ({@code CERTIFICATE} blocks) and PKCS#8 private keys ({@code PRIVATE KEY}, also accepting
 * OpenSSL's {@code EC PRIVATE KEY}).
 *
 * <p>Stateless and thread-safe.
 */
public final class Pem {

  private Pem() {}

  /** The certificates as concatenated {@code CERTIFICATE} blocks, in order. */
  public static String certificates(List<X509Certificate> certificates) {
    StringWriter out = new StringWriter();
    try (JcaPEMWriter w = new JcaPEMWriter(out)) {
      for (X509Certificate c : certificates) {
        w.writeObject(c);
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return out.toString();
  }

  /** The key as an unencrypted PKCS#8 {@code PRIVATE KEY} block. */
  public static String privateKey(PrivateKey key) {
    StringWriter out = new StringWriter();
    try (JcaPEMWriter w = new JcaPEMWriter(out)) {
      w.writeObject(new JcaPKCS8Generator(key, null).generate());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return out.toString();
  }

  /**
   * Every {@code CERTIFICATE} block of {@code pem}, in order.
   *
   * @param what names the source in error messages, e.g. a file name
   * @throws IllegalArgumentException when a block cannot be parsed or none is present
   */
  public static List<X509Certificate> readCertificates(String pem, String what) {
    List<X509Certificate> out = new ArrayList<>();
    try (PEMParser p = new PEMParser(new StringReader(pem))) {
      CertificateFactory cf = CertificateFactory.getInstance("X.509");
      Object o;
      while ((o = p.readObject()) != null) {
        if (!(o instanceof X509CertificateHolder h)) {
          throw new IllegalArgumentException(
              what + ": expected only CERTIFICATE blocks, found " + o.getClass().getSimpleName());
        }
        out.add(
            (X509Certificate) cf.generateCertificate(new ByteArrayInputStream(h.getEncoded())));
      }
    } catch (IOException | CertificateException e) {
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
    try (PEMParser p = new PEMParser(new StringReader(pem))) {
      Object o = p.readObject();
      JcaPEMKeyConverter converter = new JcaPEMKeyConverter();
      if (o instanceof PrivateKeyInfo info) {
        return converter.getPrivateKey(info);
      }
      if (o instanceof PEMKeyPair pair) {
        return converter.getKeyPair(pair).getPrivate();
      }
      throw new IllegalArgumentException(
          what
              + ": expected an unencrypted PRIVATE KEY or EC PRIVATE KEY block, found "
              + (o == null ? "nothing" : o.getClass().getSimpleName()));
    } catch (IOException e) {
      throw new IllegalArgumentException(what + ": not a readable PEM private key: " + e, e);
    }
  }
}
