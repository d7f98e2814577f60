package io.mesh4j.controller.ca;

import com.google.protobuf.ByteString;
import io.grpc.Context;
import io.grpc.Contexts;
import io.grpc.Grpc;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.ServerInterceptors;
import io.grpc.ServerServiceDefinition;
import io.grpc.Status;
import io.grpc.stub.StreamObserver;
import io.mesh4j.ca.CertificateAuthority;
import io.mesh4j.controller.ca.IssuanceMetrics.Refusal;
import io.mesh4j.core.policy.MeshConfig;
import io.mesh4j.wire.v1.CertificateServiceGrpc;
import io.mesh4j.wire.v1.SignRequest;
import io.mesh4j.wire.v1.SignResponse;
import java.io.IOException;
import java.net.InetAddress;
import java.net.SocketAddress;
import java.security.cert.CertificateEncodingException;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.InstantSource;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Supplier;
import org.bouncycastle.asn1.ASN1Encodable;
import org.bouncycastle.asn1.ASN1OctetString;
import org.bouncycastle.asn1.pkcs.Attribute;
import org.bouncycastle.asn1.pkcs.PKCSObjectIdentifiers;
import org.bouncycastle.asn1.x500.AttributeTypeAndValue;
import org.bouncycastle.asn1.x500.RDN;
import org.bouncycastle.asn1.x500.style.BCStyle;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.Extensions;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.pkcs.PKCS10CertificationRequest;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code mesh4j.v1.CertificateService}: signs workload certificates for the identity the caller
 * proved with its bearer token, and for nothing else. In order:
 *
 * <ol>
 *   <li>a request larger than {@link #MAX_CSR_BYTES} is {@code INVALID_ARGUMENT} before anything
 *       else is done with it, the token check included (a TokenReview is a network round trip);
 *   <li>the {@code authorization: Bearer <token>} metadata is checked by the {@link
 *       WorkloadAuthenticator}; a missing or refused token is {@code UNAUTHENTICATED}, a checker
 *       that cannot answer now is {@code UNAVAILABLE};
 *   <li>the identity is {@code spiffe://<trustDomain>/ns/<namespace>/sa/<account>}, with the
 *       trust domain of the mesh settings in force;
 *   <li>each identity has a token bucket ({@link IssuanceRateLimit}); a request beyond it is {@code
 *       RESOURCE_EXHAUSTED}, saying when to retry, and is not parsed;
 *   <li>a request that is not PKCS#10 is {@code INVALID_ARGUMENT}; one naming any other identity
 *       (a different URI SAN, any DNS, IP, e-mail or other SAN, a non-empty subject other than
 *       the SPIFFE ID) is {@code PERMISSION_DENIED}, naming both identities;
 *   <li>the authority verifies the request's signature and key (ECDSA P-256), {@code
 *       INVALID_ARGUMENT} otherwise, and signs for the mesh settings' {@code certificateLifetime}.
 * </ol>
 *
 * <p>The roots can change while the service runs ({@link #roots}, fed by {@link RootStore#watch}
 * when started with {@link #start}): the authority, its trust bundle and the serving certificate
 * follow.
 *
 * <p>Every issuance and refusal is logged and counted in {@link IssuanceMetrics}. Thread-safe;
 * calls run on gRPC's executor because a TokenReview blocks.
 */
public final class CertificateSigningService extends CertificateServiceGrpc.CertificateServiceImplBase
    implements AutoCloseable {

  private static final Logger log = LoggerFactory.getLogger(CertificateSigningService.class);

  private static final Metadata.Key<String> AUTHORIZATION =
      Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER);
  private static final Context.Key<String> BEARER = Context.key("mesh4j-bearer");
  private static final Context.Key<String> PEER = Context.key("mesh4j-peer");

  /**
   * The largest request accepted, in bytes. A P-256 PKCS#10 request naming one SPIFFE ID is
   * about 300 bytes DER; 8 KiB leaves room for long names and extensions and still refuses, unread,
   * anything meant to make the parser work.
   */
  public static final int MAX_CSR_BYTES = 8 * 1024;

  /** The authority of one trust domain and one set of roots; replaced when either changes. */
  private record Authority(String trustDomain, CertificateAuthority ca) {}

  private final WorkloadAuthenticator authenticator;
  private final Supplier<MeshConfig.Spec> settings;
  private final IssuanceMetrics metrics;
  private final InstantSource clock;
  private final @Nullable ServingCertificate fixedServing;
  private final @Nullable ServingKeyManager servingKeys;
  private final IssuanceRateLimit limit;
  private final IdentityRateLimiter limiter;
  private final List<Runnable> rootListeners = new CopyOnWriteArrayList<>();
  private volatile RootStore.Stored root;
  private volatile @Nullable Authority authority;
  private volatile @Nullable AutoCloseable watch;

  /**
   * @param root the CA root (and any other trusted roots) loaded from its store
   * @param settings the mesh settings in force, read at every request
   * @param serving the controller's TLS serving certificate, or null when the port is plaintext
   */
  public CertificateSigningService(
      RootStore.Stored root,
      WorkloadAuthenticator authenticator,
      Supplier<MeshConfig.Spec> settings,
      IssuanceMetrics metrics,
      InstantSource clock,
      @Nullable ServingCertificate serving) {
    this(root, authenticator, settings, metrics, clock, serving, null, IssuanceRateLimit.DEFAULT);
  }

  /**
   * @param root the CA root (and any other trusted roots) loaded from its store
   * @param settings the mesh settings in force, read at every request
   * @param limit how many requests each identity may make
   */
  public CertificateSigningService(
      RootStore.Stored root,
      WorkloadAuthenticator authenticator,
      Supplier<MeshConfig.Spec> settings,
      IssuanceMetrics metrics,
      InstantSource clock,
      IssuanceRateLimit limit) {
    this(root, authenticator, settings, metrics, clock, null, null, limit);
  }

  private CertificateSigningService(
      RootStore.Stored root,
      WorkloadAuthenticator authenticator,
      Supplier<MeshConfig.Spec> settings,
      IssuanceMetrics metrics,
      InstantSource clock,
      @Nullable ServingCertificate fixedServing,
      @Nullable ServingKeyManager servingKeys,
      IssuanceRateLimit limit) {
    this.root = Objects.requireNonNull(root, "root");
    this.authenticator = Objects.requireNonNull(authenticator, "authenticator");
    this.settings = Objects.requireNonNull(settings, "settings");
    this.metrics = Objects.requireNonNull(metrics, "metrics");
    this.clock = Objects.requireNonNull(clock, "clock");
    this.fixedServing = fixedServing;
    this.servingKeys = servingKeys;
    this.limit = Objects.requireNonNull(limit, "limit");
    this.limiter = new IdentityRateLimiter(limit, clock);
  }

  /**
   * Loads (or creates) the roots of {@code store}, signs a serving certificate for {@code
   * tlsNames} when there are any, and follows the store from then on: a root rotation reaches the
   * trust bundle and the serving certificate without a restart. {@link #close} stops following.
   *
   * @param tlsNames the names of the controller's TLS serving certificate, or empty for plaintext
   * @param servingLifetime how long each serving certificate lasts
   */
  public static CertificateSigningService start(
      RootStore store,
      WorkloadAuthenticator authenticator,
      List<String> tlsNames,
      Duration servingLifetime,
      Supplier<MeshConfig.Spec> settings,
      IssuanceMetrics metrics,
      InstantSource clock) {
    RootStore.Stored root = store.loadOrCreate(settings.get().trustDomain());
    ServingKeyManager keys =
        tlsNames.isEmpty() ? null : new ServingKeyManager(root.signing(), tlsNames, servingLifetime, clock);
    CertificateSigningService service =
        new CertificateSigningService(root, authenticator, settings, metrics, clock, null, keys, IssuanceRateLimit.DEFAULT);
    service.watch = store.watch(service::roots);
    return service;
  }

  /** The controller's TLS serving certificate from this authority's root, or null for plaintext. */
  public @Nullable ServingCertificate serving() {
    ServingKeyManager keys = servingKeys;
    return keys != null ? keys.current() : fixedServing;
  }

  /**
   * The TLS key for the gRPC server, read at every handshake so it follows root rotations, or
   * null for plaintext.
   */
  public @Nullable ServingKeyManager servingKeyManager() {
    return servingKeys;
  }

  /**
   * Puts {@code stored} in force: new requests are signed by its signing root and answered with
   * its trust bundle, the serving certificate is signed again when the signing root changed, and
   * the {@link #onRootsChanged} listeners run. Unchanged roots change nothing.
   */
  public void roots(RootStore.Stored stored) {
    synchronized (this) {
      if (RootStore.sameRoots(root, stored)) {
        return;
      }
      root = stored;
      authority = null;
    }
    ServingKeyManager keys = servingKeys;
    if (keys != null) {
      keys.follow(stored.signing());
    }
    log.info("Certificate authority follows its store: signing root {}, trust bundle of {} root(s)",
        stored.signing().certificate().getSubjectX500Principal(), authority().trustBundle().size());
    for (Runnable r : rootListeners) {
      try {
        r.run();
      } catch (RuntimeException e) {
        log.warn("A listener of root changes failed", e);
      }
    }
  }

  /** Runs {@code listener} after each change of the roots in force. */
  public void onRootsChanged(Runnable listener) {
    rootListeners.add(Objects.requireNonNull(listener, "listener"));
  }

  /** Stops following the root store, when started with {@link #start}. */
  @Override
  public void close() {
    AutoCloseable w = watch;
    if (w != null) {
      try {
        w.close();
      } catch (Exception e) {
        log.warn("Stopping the watch of the root store failed", e);
      }
    }
  }

  /** The service with the interceptor that hands it the caller's bearer token and address. */
  public ServerServiceDefinition definition() {
    ServerInterceptor credentials =
        new ServerInterceptor() {
          @Override
          public <ReqT, RespT> ServerCall.Listener<ReqT> interceptCall(
              ServerCall<ReqT, RespT> call, Metadata headers, ServerCallHandler<ReqT, RespT> next) {
            SocketAddress remote = call.getAttributes().get(Grpc.TRANSPORT_ATTR_REMOTE_ADDR);
            Context context =
                Context.current()
                    .withValue(BEARER, headers.get(AUTHORIZATION))
                    .withValue(PEER, String.valueOf(remote));
            return Contexts.interceptCall(context, call, headers, next);
          }
        };
    return ServerInterceptors.intercept(this, credentials);
  }

  /** The authority for the trust domain in force now. */
  public CertificateAuthority authority() {
    String trustDomain = settings.get().trustDomain();
    Authority a = authority;
    if (a != null && a.trustDomain().equals(trustDomain)) {
      return a.ca();
    }
    synchronized (this) {
      a = authority;
      if (a == null || !a.trustDomain().equals(trustDomain)) {
        RootStore.Stored r = root;
        a = new Authority(trustDomain, CertificateAuthority.of(trustDomain, r.signing(), r.otherTrusted(), clock));
        authority = a;
      }
      return a.ca();
    }
  }

  @Override
  public void sign(SignRequest request, StreamObserver<SignResponse> response) {
    String peer = PEER.get();
    Refused refused;
    try {
      SignResponse signed = issue(request.getCsr(), BEARER.get(), peer);
      response.onNext(signed);
      response.onCompleted();
      return;
    } catch (Refused r) {
      refused = r;
    }
    metrics.refused(refused.reason);
    log.warn("Refused a certificate request from {} ({}): {}", peer, refused.reason.label(), refused.getMessage());
    response.onError(refused.status.withDescription(refused.getMessage()).asRuntimeException());
  }

  private SignResponse issue(ByteString csr, @Nullable String authorization, String peer) throws Refused {
    if (csr.size() > MAX_CSR_BYTES) {
      throw new Refused(
          Status.INVALID_ARGUMENT, Refusal.CSR_TOO_LARGE,
          "mesh4j: certificate request refused: it is " + csr.size() + " bytes; at most " + MAX_CSR_BYTES
              + " are accepted (a P-256 PKCS#10 request is well under 1 KiB)");
    }
    String token = bearer(authorization);
    CallerIdentity caller;
    try {
      caller = authenticator.authenticate(token);
    } catch (AuthenticationException e) {
      if (e.unavailable()) {
        throw new Refused(
            Status.UNAVAILABLE, Refusal.UNAVAILABLE,
            "mesh4j: cannot check the caller's token now: " + e.getMessage());
      }
      throw new Refused(
          Status.UNAUTHENTICATED, Refusal.UNAUTHENTICATED,
          "mesh4j: certificate request refused: " + e.getMessage());
    }
    CertificateAuthority ca = authority();
    String spiffeId = caller.spiffeId(ca.trustDomain());
    Duration wait = limiter.acquire(spiffeId);
    if (wait != null) {
      throw new Refused(
          Status.RESOURCE_EXHAUSTED, Refusal.RATE_LIMITED,
          "mesh4j: certificate request from " + spiffeId + " refused: more than " + limit.burst()
              + " requests at once, then one every " + seconds(limit.refill()) + " s, are not served; retry in "
              + seconds(wait) + " s");
    }
    byte[] csrDer = csr.toByteArray();
    checkNames(csrDer, spiffeId);
    List<X509Certificate> chain;
    try {
      chain = ca.sign(csrDer, spiffeId, settings.get().certificateLifetime());
    } catch (IllegalArgumentException e) {
      throw new Refused(
          Status.INVALID_ARGUMENT, Refusal.INVALID_CSR,
          "mesh4j: certificate request from " + spiffeId + " refused: " + strip(e.getMessage()));
    } catch (IllegalStateException e) {
      throw new Refused(Status.UNAVAILABLE, Refusal.UNAVAILABLE, String.valueOf(e.getMessage()));
    }
    metrics.issued();
    X509Certificate leaf = chain.get(0);
    log.info("Issued a certificate for {} to {}, serial {}, valid until {}", spiffeId, peer,
        leaf.getSerialNumber().toString(16), leaf.getNotAfter().toInstant());
    try {
      SignResponse.Builder out = SignResponse.newBuilder().setSpiffeId(spiffeId);
      for (X509Certificate c : chain) {
        out.addChain(ByteString.copyFrom(c.getEncoded()));
      }
      for (X509Certificate c : ca.trustBundle()) {
        out.addTrustBundle(ByteString.copyFrom(c.getEncoded()));
      }
      return out.build();
    } catch (CertificateEncodingException e) {
      throw new IllegalStateException("cannot encode a certificate just signed", e);
    }
  }

  private static String bearer(@Nullable String authorization) throws Refused {
    if (authorization == null) {
      throw new Refused(
          Status.UNAUTHENTICATED, Refusal.UNAUTHENTICATED,
          "mesh4j: certificate request refused: no 'authorization: Bearer <token>' metadata");
    }
    if (!authorization.regionMatches(true, 0, "Bearer ", 0, 7) || authorization.substring(7).isBlank()) {
      throw new Refused(
          Status.UNAUTHENTICATED, Refusal.UNAUTHENTICATED,
          "mesh4j: certificate request refused: the authorization metadata is not 'Bearer <token>'");
    }
    return authorization.substring(7).strip();
  }

  /** Refuses a request that names anything but {@code spiffeId}. */
  static void checkNames(byte[] csrDer, String spiffeId) throws Refused {
    PKCS10CertificationRequest csr;
    try {
      csr = new PKCS10CertificationRequest(csrDer);
    } catch (IOException | RuntimeException e) {
      throw new Refused(
          Status.INVALID_ARGUMENT, Refusal.INVALID_CSR,
          "mesh4j: certificate request from " + spiffeId + " refused: it is not a DER-encoded PKCS#10 request ("
              + e.getMessage() + ")");
    }
    for (RDN rdn : csr.getSubject().getRDNs()) {
      for (AttributeTypeAndValue tv : rdn.getTypesAndValues()) {
        String value = tv.getValue().toString();
        if (!value.equals(spiffeId)) {
          String type = BCStyle.INSTANCE.oidToDisplayName(tv.getType());
          throw mismatch(spiffeId, "the subject " + (type == null ? tv.getType().getId() : type) + "=" + value);
        }
      }
    }
    try {
      for (Attribute attr : csr.getAttributes(PKCSObjectIdentifiers.pkcs_9_at_extensionRequest)) {
        for (ASN1Encodable v : attr.getAttrValues()) {
          GeneralNames names = GeneralNames.fromExtensions(Extensions.getInstance(v), Extension.subjectAlternativeName);
          if (names == null) {
            continue;
          }
          for (GeneralName n : names.getNames()) {
            if (n.getTagNo() == GeneralName.uniformResourceIdentifier) {
              String uri = n.getName().toString();
              if (!uri.equals(spiffeId)) {
                throw mismatch(spiffeId, uri);
              }
            } else {
              throw mismatch(spiffeId, kind(n) + " " + describe(n));
            }
          }
        }
      }
    } catch (IllegalArgumentException | IllegalStateException e) {
      throw new Refused(
          Status.INVALID_ARGUMENT, Refusal.INVALID_CSR,
          "mesh4j: certificate request from " + spiffeId + " refused: its extension request is malformed ("
              + e.getMessage() + ")");
    }
  }

  private static Refused mismatch(String spiffeId, String asked) {
    return new Refused(
        Status.PERMISSION_DENIED, Refusal.IDENTITY_MISMATCH,
        "mesh4j: CSR asks for " + asked + " but the caller authenticated as " + spiffeId
            + "; a workload certificate names only the caller's own SPIFFE ID");
  }

  private static String kind(GeneralName n) {
    return switch (n.getTagNo()) {
      case GeneralName.dNSName -> "DNS name";
      case GeneralName.iPAddress -> "IP address";
      case GeneralName.rfc822Name -> "e-mail address";
      case GeneralName.directoryName -> "directory name";
      default -> "alternative name of type " + n.getTagNo();
    };
  }

  private static String describe(GeneralName n) {
    if (n.getTagNo() == GeneralName.iPAddress) {
      try {
        return InetAddress.getByAddress(ASN1OctetString.getInstance(n.getName()).getOctets()).getHostAddress();
      } catch (IOException | RuntimeException e) {
        return n.getName().toString();
      }
    }
    return n.getName().toString();
  }

  /** Whole seconds, rounded up, so "retry in" is never too early. */
  private static long seconds(Duration d) {
    long s = d.getSeconds();
    return d.getNano() > 0 ? s + 1 : s;
  }

  private static String strip(@Nullable String message) {
    if (message == null) {
      return "it is invalid";
    }
    return message.startsWith("mesh4j: ") ? message.substring("mesh4j: ".length()) : message;
  }

  /** A refusal: its status, its counted reason and the message the caller sees. */
  static final class Refused extends Exception {
    private static final long serialVersionUID = 1L;
    final transient Status status;
    final Refusal reason;

    Refused(Status status, Refusal reason, String message) {
      super(message, null, false, false);
      this.status = status;
      this.reason = reason;
    }
  }

  @Override
  public String toString() {
    return "CertificateSigningService{" + authenticator + ", root "
        + root.signing().certificate().getSubjectX500Principal() + ", " + limit + "}";
  }
}
