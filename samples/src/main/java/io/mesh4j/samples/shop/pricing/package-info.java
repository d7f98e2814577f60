/**
 * The {@code pricing.shop} application: prices over HTTP, with an admin switch that makes it
 * slow or failing so the mesh's retries, ejection and breaker have something to do.
 */
package io.mesh4j.samples.shop.pricing;
