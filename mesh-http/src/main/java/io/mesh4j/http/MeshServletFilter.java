package io.mesh4j.http;

import io.mesh4j.core.Mesh;
import io.mesh4j.core.call.Admission;
import io.mesh4j.core.call.CallStatus;
import io.mesh4j.core.call.Inbound;
import io.mesh4j.core.call.InboundCall;
import io.mesh4j.core.call.MeshFailure;
import io.mesh4j.core.call.TelemetryScope;
import jakarta.servlet.Filter;
import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.ServletRequest;
import jakarta.servlet.ServletResponse;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Objects;

/**
 * The mesh's server side for servlet-based servers (Tomcat, Jetty, Spring MVC): every request to
 * the service is authorized by the mesh's {@code AuthorizationPolicy} resources and then admitted
 * by the service's {@code serverRateLimit} before the application sees it. A denied request is
 * answered {@code 403}, a rate-limited one {@code 429}; the plain-text body is the engine's
 * message, which names the policy or the limit, e.g. {@code mesh4j: denied for pricing.shop
 * (AuthorizationPolicy shop/pricing-readers denies spiffe://...)}.
 *
 * <pre>{@code
 * context.addFilter(new FilterHolder(MeshServletFilter.forService(mesh, "pricing.shop")), "/*",
 *     EnumSet.of(DispatcherType.REQUEST));
 * }</pre>
 *
 * <p>Under {@code mtls: STRICT} (read from the policy in force, per request) a request without a
 * verified client certificate is answered {@code 401} with a message saying whether it came
 * over plaintext or without a certificate. Identities claimed in headers are never read unless
 * a resolver that reads them is chosen explicitly.
 *
 * <p>With listeners on the mesh that observe calls, every request is observed: the caller's trace
 * context is read from the headers, the server span is current while the rest of the chain runs
 * (so the calls the application makes join the trace), and the request's end is timed and
 * logged, refused ones included. Asynchronous requests are observed until the chain returns.
 *
 * <p>Thread-safe; one instance serves all requests. Requests that are not HTTP pass through.
 */
public final class MeshServletFilter implements Filter {

  private final Inbound inbound;
  private final String service;
  private final PeerIdentityResolver peers;

  private MeshServletFilter(Inbound inbound, String service, PeerIdentityResolver peers) {
    this.inbound = inbound;
    this.service = Objects.requireNonNull(service, "service");
    this.peers = Objects.requireNonNull(peers, "peers");
  }

  /**
   * A filter for {@code service} ({@code name.namespace}) that takes the caller's identity from
   * the verified client certificate ({@link PeerIdentityResolver#clientCertificate()}).
   */
  public static MeshServletFilter forService(Mesh mesh, String service) {
    return forService(mesh, service, PeerIdentityResolver.clientCertificate());
  }

  /** A filter for {@code service} that takes the caller's identity from {@code peers}. */
  public static MeshServletFilter forService(
      Mesh mesh, String service, PeerIdentityResolver peers) {
    return new MeshServletFilter(mesh.inbound(), service, peers);
  }

  /** How the request arrived, for the engine's STRICT check and its message. */
  private static InboundCall.Transport transport(HttpServletRequest request) {
    if (!request.isSecure()) {
      return InboundCall.Transport.PLAINTEXT;
    }
    return request.getAttribute("jakarta.servlet.request.X509Certificate")
            instanceof java.security.cert.X509Certificate[] chain
            && chain.length > 0
        ? InboundCall.Transport.MUTUAL_TLS
        : InboundCall.Transport.TLS;
  }

  @Override
  @SuppressWarnings("ReferenceEquality") // the shared answer marks a call nobody observes
  public void doFilter(ServletRequest request, ServletResponse response, FilterChain chain)
      throws IOException, ServletException {
    if (!(request instanceof HttpServletRequest http)
        || !(response instanceof HttpServletResponse httpResponse)) {
      chain.doFilter(request, response);
      return;
    }
    String peer = peers.peer(http);
    Admission admission =
        inbound.admit(
            InboundCall.builder(service)
                .peer(peer)
                .transport(transport(http))
                .http(http.getMethod(), http.getRequestURI())
                .headers(http::getHeader)
                .build());
    if (!admission.isAdmitted()) {
      refuse(httpResponse, admission.refusal());
      admission.end(
          CallStatus.http(admission.refusal().httpStatus()), http.getContentLengthLong(), -1);
      return;
    }
    if (admission == Admission.admitted()) {
      // Nobody observes the call: nothing to wrap.
      chain.doFilter(request, response);
      return;
    }
    CallStatus status = CallStatus.http(500);
    try (TelemetryScope scope = admission.activate()) {
      chain.doFilter(request, response);
      status = CallStatus.http(httpResponse.getStatus());
    } finally {
      // An exception that leaves the chain becomes a 500 from the container.
      admission.end(status, http.getContentLengthLong(), responseLength(httpResponse));
    }
  }

  private static long responseLength(HttpServletResponse response) {
    String length = response.getHeader("Content-Length");
    if (length == null) {
      return -1;
    }
    try {
      return Long.parseLong(length.trim());
    } catch (NumberFormatException e) {
      return -1;
    }
  }

  private static void refuse(HttpServletResponse response, MeshFailure failure)
      throws IOException {
    byte[] body = (failure.getMessage() + "\n").getBytes(StandardCharsets.UTF_8);
    response.setStatus(failure.httpStatus());
    response.setContentType("text/plain;charset=utf-8");
    response.setContentLength(body.length);
    response.getOutputStream().write(body);
  }
}
