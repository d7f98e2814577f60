/**
 * The sample shop: {@code frontend} (web) calls {@code catalog} (gRPC, v1 and v2) and {@code
 * pricing} (HTTP) through mesh4j, with policy streamed by the controller. {@link
 * io.mesh4j.samples.shop.ShopDemo} runs all of them and the controller in one JVM and drives
 * traffic through them.
 */
package io.mesh4j.samples.shop;
