/**
 * The {@code catalog.shop} application: a gRPC server for {@code shop.Catalog} whose version (v1,
 * v2) comes from a property, so the same application runs as both subsets of the route.
 */
package io.mesh4j.samples.shop.catalog;
