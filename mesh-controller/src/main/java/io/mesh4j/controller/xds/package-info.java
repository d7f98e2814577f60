/**
 * xDS for gRPC's proxyless clients: the {@link io.mesh4j.controller.xds.XdsTranslator} turns the
 * policy the resolver gives an application into xDS v3 listeners, routes, clusters (with mutual
 * TLS to the endpoints, gRFC A29, when the mesh is STRICT) and endpoint assignments, naming what
 * xDS cannot say ({@link io.mesh4j.controller.xds.XdsGap}); the {@link
 * io.mesh4j.controller.xds.XdsServer} serves them over ADS on the controller's gRPC port, behind
 * the policy stream's authentication, and follows every world the distributor serves. Uses the
 * resolver, the serve package (authentication, the world) and the CA's caller identity; only the
 * command package uses it. See docs/xds.md.
 */
@NullMarked
package io.mesh4j.controller.xds;

import org.jspecify.annotations.NullMarked;
