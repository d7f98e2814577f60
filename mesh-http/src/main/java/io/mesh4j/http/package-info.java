/**
 * The HTTP data plane: an OkHttp interceptor and a servlet filter that map the mesh-core engine onto HTTP. Its code arrives with the HTTP data-plane work; until then the module only reserves its coordinates.
 */
package io.mesh4j.http;
