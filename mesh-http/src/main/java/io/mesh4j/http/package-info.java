/**
 * The HTTP data plane: {@link io.mesh4j.http.MeshOkHttp} puts OkHttp clients under the mesh,
 * {@link io.mesh4j.http.MeshJdkHttp} does the same for Java's own {@link java.net.http.HttpClient}
 * ({@code send} and {@code sendAsync}), {@link io.mesh4j.http.MeshRestClient} for Spring's {@code
 * RestClient} and {@code RestTemplate} (an interceptor, with any request factory), {@link
 * io.mesh4j.http.MeshWebClient} for Spring's {@code WebClient} (a non-blocking exchange filter),
 * and {@link io.mesh4j.http.MeshServletFilter} applies the mesh's server-side rules to
 * servlet-based servers. Every decision is made by {@code mesh-core}; these types only map it onto
 * HTTP. Spring and Reactor are optional dependencies: only the Spring adapters need them.
 *
 * <p>The client adapters share what does not depend on the client: the endpoint URL cache, the
 * view of a request whose target is a {@link java.net.URI} (Java's and Spring's clients), route
 * rewrites and redirects of such URIs, failure classification and idempotent methods, the outcome
 * of an answered attempt with its {@code Retry-After}, and the explanation of the mesh's default
 * deadline. A request body is replayed for a retry only when the client can send it again:
 * OkHttp's when it is not one-shot, the JDK client's when its length is known, RestClient's
 * always (Spring buffers it), WebClient's unless the request is marked one-shot.
 */
@NullMarked
package io.mesh4j.http;

import org.jspecify.annotations.NullMarked;
