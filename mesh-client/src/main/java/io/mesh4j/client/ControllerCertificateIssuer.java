package io.mesh4j.client;

import com.google.protobuf.ByteString;
import io.grpc.CallCredentials;
import io.grpc.ChannelCredentials;
import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.TlsChannelCredentials;
import io.mesh4j.core.identity.CertificateIssuer;
import io.mesh4j.core.identity.IssuanceException;
import io.mesh4j.wire.v1.CertificateServiceGrpc;
import io.mesh4j.wire.v1.SignRequest;
import io.mesh4j.wire.v1.SignResponse;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;

/**
 * A {@link CertificateIssuer} that asks mesh-controller's certificate authority over gRPC
 * ({@code mesh4j.v1.CertificateService/Sign}). Each request carries the workload's credential as
 * {@code authorization: Bearer <token>}, read from the token file at every call because projected
 * ServiceAccount tokens are rotated by the kubelet; the controller derives the identity from that
 * credential alone.
 *
 * <p>Failures map to {@link IssuanceException}: an unreachable or overloaded controller (for
 * example {@code UNAVAILABLE}, {@code DEADLINE_EXCEEDED}) is retryable; a refusal ({@code
 * UNAUTHENTICATED}, {@code PERMISSION_DENIED}, {@code INVALID_ARGUMENT}, ...) is not, and carries
 * the controller's reason.
 *
 * <p>Thread-safe; {@link #close} releases the channel.
 */
public final class ControllerCertificateIssuer implements CertificateIssuer, AutoCloseable {

  private static final Metadata.Key<String> AUTHORIZATION =
      Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER);

  /** Codes that mean the controller judged the request itself: asking again will not help. */
  private static final Set<Status.Code> REFUSALS =
      Set.of(
          Status.Code.UNAUTHENTICATED,
          Status.Code.PERMISSION_DENIED,
          Status.Code.INVALID_ARGUMENT,
          Status.Code.FAILED_PRECONDITION,
          Status.Code.UNIMPLEMENTED,
          Status.Code.OUT_OF_RANGE,
          Status.Code.NOT_FOUND,
          Status.Code.ALREADY_EXISTS);

  private final String target;
  private final ManagedChannel channel;
  private final Path tokenFile;
  private final Duration timeout;

  private ControllerCertificateIssuer(
      String target, ManagedChannel channel, Path tokenFile, Duration timeout) {
    this.target = target;
    this.channel = channel;
    this.tokenFile = tokenFile;
    this.timeout = timeout;
  }

  /**
   * A builder for an issuer that calls the controller at {@code target}, a gRPC target such as
   * {@code mesh-controller.mesh4j-system:15010} or {@code 127.0.0.1:15010}.
   */
  public static Builder builder(String target) {
    return new Builder(target);
  }

  @Override
  public Issued issue(byte[] csrDer) throws IssuanceException {
    Objects.requireNonNull(csrDer, "csrDer");
    String token = readToken();
    SignResponse response;
    try {
      response =
          CertificateServiceGrpc.newBlockingStub(channel)
              .withCallCredentials(new Bearer(token))
              .withDeadlineAfter(timeout.toNanos(), TimeUnit.NANOSECONDS)
              .sign(SignRequest.newBuilder().setCsr(ByteString.copyFrom(csrDer)).build());
    } catch (StatusRuntimeException e) {
      Status status = e.getStatus();
      String detail =
          status.getCode() + (status.getDescription() == null ? "" : ": " + status.getDescription());
      if (REFUSALS.contains(status.getCode())) {
        throw new IssuanceException(
            "mesh4j: the controller at " + target + " refused the certificate request (" + detail
                + ")",
            false,
            e);
      }
      throw new IssuanceException(
          "mesh4j: could not get a certificate from the controller at " + target + " (" + detail
              + "); asking again later may succeed",
          true,
          e);
    }
    List<X509Certificate> chain = certificates(response.getChainList(), "chain");
    List<X509Certificate> bundle = certificates(response.getTrustBundleList(), "trust_bundle");
    if (chain.isEmpty() || bundle.isEmpty()) {
      throw new IssuanceException(
          "mesh4j: the controller at " + target + " answered with an empty "
              + (chain.isEmpty() ? "certificate chain" : "trust bundle"),
          false);
    }
    return new Issued(chain, bundle);
  }

  private String readToken() throws IssuanceException {
    String token;
    try {
      token = Files.readString(tokenFile, StandardCharsets.UTF_8).strip();
    } catch (IOException e) {
      // A projected token is swapped in place by the kubelet; a failed read may pass.
      throw new IssuanceException(
          "mesh4j: cannot read the workload token file " + tokenFile + " (" + e + ")", true, e);
    }
    if (token.isEmpty()) {
      throw new IssuanceException(
          "mesh4j: the workload token file " + tokenFile
              + " is empty; expected a ServiceAccount or bootstrap token",
          false);
    }
    return token;
  }

  private List<X509Certificate> certificates(List<ByteString> ders, String field)
      throws IssuanceException {
    List<X509Certificate> out = new ArrayList<>(ders.size());
    try {
      CertificateFactory factory = CertificateFactory.getInstance("X.509");
      for (ByteString der : ders) {
        out.add(
            (X509Certificate)
                factory.generateCertificate(new ByteArrayInputStream(der.toByteArray())));
      }
    } catch (CertificateException e) {
      throw new IssuanceException(
          "mesh4j: the controller at " + target + " answered with an unreadable certificate in "
              + field + " (" + e.getMessage() + ")",
          false,
          e);
    }
    return out;
  }

  @Override
  public String toString() {
    return "ControllerCertificateIssuer{" + target + ", token " + tokenFile + "}";
  }

  /** Closes the channel, waiting briefly for calls in flight. */
  @Override
  public void close() {
    channel.shutdown();
    try {
      if (!channel.awaitTermination(2, TimeUnit.SECONDS)) {
        channel.shutdownNow();
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      channel.shutdownNow();
    }
  }

  /** Sends the token as a bearer credential on one call. */
  private static final class Bearer extends CallCredentials {
    private final String token;

    Bearer(String token) {
      this.token = token;
    }

    @Override
    public void applyRequestMetadata(
        RequestInfo requestInfo, Executor appExecutor, MetadataApplier applier) {
      Metadata headers = new Metadata();
      headers.put(AUTHORIZATION, "Bearer " + token);
      applier.apply(headers);
    }
  }

  /** Builds a {@link ControllerCertificateIssuer}. Not thread-safe. */
  public static final class Builder {
    private final String target;
    private @Nullable Path tokenFile;
    private @Nullable Path trustedRoots;
    private Duration timeout = Duration.ofSeconds(10);

    private Builder(String target) {
      this.target = Objects.requireNonNull(target, "target");
    }

    /**
     * The file holding the workload's credential, read at every request: in Kubernetes a
     * projected ServiceAccount token (e.g. {@code /var/run/secrets/mesh4j/token}), in local mode
     * a token listed in the controller's token file. Required.
     */
    public Builder tokenFile(Path tokenFile) {
      this.tokenFile = Objects.requireNonNull(tokenFile, "tokenFile");
      return this;
    }

    /**
     * Connect with TLS, trusting the CA certificates in this PEM file (the controller's CA
     * root). Without it the channel is plaintext, which exposes the token to anyone on the path:
     * only for loopback in local mode.
     */
    public Builder trustedRoots(Path pemFile) {
      this.trustedRoots = Objects.requireNonNull(pemFile, "pemFile");
      return this;
    }

    /** How long one request may take (default 10 s). */
    public Builder timeout(Duration timeout) {
      if (timeout.isNegative() || timeout.isZero()) {
        throw new IllegalArgumentException(
            "ControllerCertificateIssuer timeout: " + timeout + " is not positive");
      }
      this.timeout = timeout;
      return this;
    }

    /**
     * Opens the channel (lazily: nothing connects before the first request).
     *
     * @throws IllegalStateException if no token file was set
     * @throws IllegalArgumentException if the trusted roots file cannot be read
     */
    public ControllerCertificateIssuer build() {
      Path token = tokenFile;
      if (token == null) {
        throw new IllegalStateException(
            "ControllerCertificateIssuer for " + target + ": tokenFile is required");
      }
      ChannelCredentials credentials;
      Path roots = trustedRoots;
      if (roots == null) {
        credentials = InsecureChannelCredentials.create();
      } else {
        try {
          credentials = TlsChannelCredentials.newBuilder().trustManager(roots.toFile()).build();
        } catch (IOException e) {
          throw new IllegalArgumentException(
              "ControllerCertificateIssuer trustedRoots: cannot read " + roots + " (" + e
                  + "); expected a PEM file of CA certificates",
              e);
        }
      }
      ManagedChannel channel = Grpc.newChannelBuilder(target, credentials).build();
      return new ControllerCertificateIssuer(target, channel, token, timeout);
    }
  }
}
