/**
 * The mesh4j custom resource types, one per user-facing kind, whose spec is the model's own
 * record: the CRD generator derives each CRD's schema from them at build time (written to {@code
 * META-INF/fabric8/}), so schema and code never drift. The controller itself reads custom
 * resources untyped and judges them with mesh-core's reader and validator, so these classes serve
 * the CRDs only. {@code ServiceEndpoints} has no CRD: in a cluster, endpoints come from
 * EndpointSlices.
 */
@NullMarked
package io.mesh4j.controller.crd;

import org.jspecify.annotations.NullMarked;
