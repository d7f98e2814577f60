/**
 * The HTTP data plane: {@link io.mesh4j.http.MeshOkHttp} puts OkHttp clients under the mesh,
 * {@link io.mesh4j.http.MeshJdkHttp} does the same for Java's own {@link java.net.http.HttpClient}
 * ({@code send} and {@code sendAsync}), and {@link io.mesh4j.http.MeshServletFilter} applies the
 * mesh's server-side rules to servlet-based servers. Every decision is made by {@code mesh-core};
 * these types only map it onto HTTP.
 *
 * <p>The two client adapters share what does not depend on the client: the endpoint URL cache,
 * failure classification and idempotent methods, and {@code Retry-After} parsing. A request body
 * is replayed for a retry only when the client can send it again: OkHttp's when it is not
 * one-shot, the JDK client's when its length is known.
 */
@NullMarked
package io.mesh4j.http;

import org.jspecify.annotations.NullMarked;
