package io.mesh4j.controller.serve;

import io.grpc.Context;
import io.grpc.Contexts;
import io.grpc.Grpc;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.Status;
import io.mesh4j.controller.ca.AuthenticationException;
import io.mesh4j.controller.ca.CallerIdentity;
import io.mesh4j.controller.ca.WorkloadAuthenticator;
import java.net.SocketAddress;
import java.util.function.Supplier;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Proves who opened a policy stream before the stream reaches the distributor: either the mesh
 * certificate the application presented in the TLS handshake (verified by {@link
 * WorkloadCertificates}), or the workload's bearer token ({@code authorization: Bearer <token>}, a
 * projected ServiceAccount token checked with TokenReview in Kubernetes, a bootstrap token in local
 * mode) checked by the same {@link WorkloadAuthenticator} that guards certificate issuance. A
 * stream with neither, or with a token that proves nobody, is closed with {@code UNAUTHENTICATED}
 * before any message is read.
 *
 * <p>Thread-safe. Runs on the server's call executor, never on a transport thread, so a blocking
 * TokenReview delays only its own stream.
 */
final class StreamAuthentication implements ServerInterceptor {

  private static final Logger log = LoggerFactory.getLogger(StreamAuthentication.class);

  /** The identity the stream proved; absent only on a controller that runs without authentication. */
  static final Context.Key<CallerIdentity> CALLER = Context.key("mesh4j-caller");

  /** The remote address, for logs and status. */
  static final Context.Key<String> PEER = Context.key("mesh4j-peer");

  private static final Metadata.Key<String> AUTHORIZATION =
      Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER);

  // Tokens are JWTs of a few KB at most; a longer header is not a token worth a TokenReview.
  private static final int MAX_TOKEN_CHARS = 16 * 1024;

  private final @Nullable WorkloadAuthenticator authenticator;
  private final StreamRefusal.Counts refusals;
  private final Supplier<String> trustDomain;

  /**
   * @param authenticator null only for a controller explicitly run without authentication
   * @param trustDomain the mesh's trust domain in force, which a client certificate must name
   */
  StreamAuthentication(
      @Nullable WorkloadAuthenticator authenticator, StreamRefusal.Counts refusals, Supplier<String> trustDomain) {
    this.authenticator = authenticator;
    this.refusals = refusals;
    this.trustDomain = trustDomain;
  }

  @Override
  public <Q, R> ServerCall.Listener<Q> interceptCall(
      ServerCall<Q, R> call, Metadata headers, ServerCallHandler<Q, R> next) {
    SocketAddress address = call.getAttributes().get(Grpc.TRANSPORT_ATTR_REMOTE_ADDR);
    String peer = String.valueOf(address);
    Context context = Context.current().withValue(PEER, peer);
    WorkloadAuthenticator a = authenticator;
    if (a == null) {
      return Contexts.interceptCall(context, call, headers, next);
    }
    CallerIdentity certified =
        WorkloadCertificates.callerOf(call.getAttributes().get(Grpc.TRANSPORT_ATTR_SSL_SESSION), trustDomain.get());
    if (certified != null) {
      // The handshake verified the chain to the mesh's roots: no token, no TokenReview needed.
      return Contexts.interceptCall(context.withValue(CALLER, certified), call, headers, next);
    }
    String authorization = headers.get(AUTHORIZATION);
    if (authorization == null || !authorization.regionMatches(true, 0, "Bearer ", 0, 7)) {
      return refuse(call, peer, StreamRefusal.UNAUTHENTICATED, Status.UNAUTHENTICATED,
          "mesh4j: the policy stream needs the workload's mesh certificate or its token as 'authorization: Bearer <token>'");
    }
    String token = authorization.substring(7).strip();
    if (token.isEmpty() || token.length() > MAX_TOKEN_CHARS) {
      return refuse(call, peer, StreamRefusal.UNAUTHENTICATED, Status.UNAUTHENTICATED,
          "mesh4j: the bearer token is empty or longer than " + MAX_TOKEN_CHARS + " characters");
    }
    CallerIdentity caller;
    try {
      caller = a.authenticate(token);
    } catch (AuthenticationException e) {
      if (e.unavailable()) {
        return refuse(call, peer, StreamRefusal.UNAVAILABLE, Status.UNAVAILABLE,
            "mesh4j: cannot check the stream's token now: " + e.getMessage());
      }
      return refuse(call, peer, StreamRefusal.UNAUTHENTICATED, Status.UNAUTHENTICATED,
          "mesh4j: policy stream refused: " + e.getMessage());
    } catch (RuntimeException e) {
      log.error("The authenticator failed on a stream from {}", peer, e);
      return refuse(call, peer, StreamRefusal.UNAVAILABLE, Status.UNAVAILABLE,
          "mesh4j: cannot check the stream's token now: " + e);
    }
    return Contexts.interceptCall(context.withValue(CALLER, caller), call, headers, next);
  }

  private <Q, R> ServerCall.Listener<Q> refuse(
      ServerCall<Q, R> call, String peer, StreamRefusal reason, Status status, String message) {
    refusals.add(reason);
    log.warn("Refused a policy stream from {} ({}): {}", peer, reason.label(), message);
    call.close(status.withDescription(message), new Metadata());
    return new ServerCall.Listener<>() {};
  }
}
