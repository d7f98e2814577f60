/**
 * The HTTP data plane: {@link io.mesh4j.http.MeshOkHttp} puts OkHttp clients under the mesh and
 * {@link io.mesh4j.http.MeshServletFilter} applies the mesh's server-side rules to servlet-based
 * servers. Every decision is made by {@code mesh-core}; these types only map it onto HTTP.
 */
@NullMarked
package io.mesh4j.http;

import org.jspecify.annotations.NullMarked;
