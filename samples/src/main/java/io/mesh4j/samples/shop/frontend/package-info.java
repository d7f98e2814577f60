/**
 * The {@code frontend} application: a web page per product that asks {@code catalog.shop} over
 * gRPC and {@code pricing.shop} over HTTP, both through the mesh.
 */
package io.mesh4j.samples.shop.frontend;
