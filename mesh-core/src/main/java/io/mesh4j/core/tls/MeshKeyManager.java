package io.mesh4j.core.tls;

import io.mesh4j.core.identity.IdentityMaterial;
import io.mesh4j.core.identity.WorkloadIdentity;
import java.net.Socket;
import java.security.Principal;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.util.Objects;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.X509ExtendedKeyManager;
import org.jspecify.annotations.Nullable;

/**
 * Presents the workload's current certificate at every handshake, so a rotation takes effect on
 * the next connection without rebuilding any TLS context, and live connections keep theirs.
 *
 * <p>TLS stacks ask for an alias first and for the key and chain by that alias afterwards, in
 * separate calls that a rotation may fall between. The alias therefore names one generation of
 * material (by its leaf's serial number), and the two most recent generations stay resolvable,
 * so a handshake never pairs a new key with an old certificate.
 *
 * <p>Thread-safe: one volatile read per choice.
 */
public final class MeshKeyManager extends X509ExtendedKeyManager {

  private static final String PREFIX = "mesh4j-";

  private final WorkloadIdentity identity;
  // The last two generations handed out; replaced whole.
  private volatile Recent recent = new Recent(null, null);

  public MeshKeyManager(WorkloadIdentity identity) {
    this.identity = Objects.requireNonNull(identity, "identity");
  }

  private record Recent(@Nullable IdentityMaterial latest, @Nullable IdentityMaterial previous) {}

  private @Nullable String alias(String @Nullable [] keyTypes) {
    IdentityMaterial m = identity.current();
    if (m == null || !accepts(keyTypes, m.privateKey().getAlgorithm())) {
      return null;
    }
    Recent r = recent;
    if (r.latest() != m) {
      recent = new Recent(m, r.latest());
    }
    return aliasOf(m);
  }

  private static String aliasOf(IdentityMaterial m) {
    return PREFIX + m.leaf().getSerialNumber().toString(16);
  }

  private static boolean accepts(String @Nullable [] keyTypes, String algorithm) {
    if (keyTypes == null) {
      return true;
    }
    for (String t : keyTypes) {
      // JSSE says "EC"; Netty's OpenSSL bridge also says "EC_EC" / "EC_RSA" (key type _ CA type)
      if (t != null && (t.equalsIgnoreCase(algorithm) || t.startsWith(algorithm + "_"))) {
        return true;
      }
    }
    return false;
  }

  private @Nullable IdentityMaterial byAlias(@Nullable String alias) {
    if (alias == null) {
      return null;
    }
    IdentityMaterial current = identity.current();
    if (current != null && aliasOf(current).equals(alias)) {
      return current;
    }
    Recent r = recent;
    for (IdentityMaterial m : new IdentityMaterial[] {r.latest(), r.previous()}) {
      if (m != null && aliasOf(m).equals(alias)) {
        return m;
      }
    }
    return null;
  }

  @Override
  public String @Nullable [] getClientAliases(String keyType, Principal @Nullable [] issuers) {
    String a = alias(new String[] {keyType});
    return a == null ? null : new String[] {a};
  }

  @Override
  public @Nullable String chooseClientAlias(
      String[] keyType, Principal @Nullable [] issuers, @Nullable Socket socket) {
    return alias(keyType);
  }

  @Override
  public @Nullable String chooseEngineClientAlias(
      String[] keyType, Principal @Nullable [] issuers, @Nullable SSLEngine engine) {
    return alias(keyType);
  }

  @Override
  public String @Nullable [] getServerAliases(String keyType, Principal @Nullable [] issuers) {
    return getClientAliases(keyType, issuers);
  }

  @Override
  public @Nullable String chooseServerAlias(
      String keyType, Principal @Nullable [] issuers, @Nullable Socket socket) {
    return alias(new String[] {keyType});
  }

  @Override
  public @Nullable String chooseEngineServerAlias(
      String keyType, Principal @Nullable [] issuers, @Nullable SSLEngine engine) {
    return alias(new String[] {keyType});
  }

  @Override
  public X509Certificate @Nullable [] getCertificateChain(String alias) {
    IdentityMaterial m = byAlias(alias);
    return m == null ? null : m.chain().toArray(new X509Certificate[0]);
  }

  @Override
  public @Nullable PrivateKey getPrivateKey(String alias) {
    IdentityMaterial m = byAlias(alias);
    return m == null ? null : m.privateKey();
  }
}
