/**
 * Serving the resolved world: the {@link io.mesh4j.controller.serve.SnapshotDistributor} (one
 * snapshot per scope, versions that only move forward, no push without a change, ACK and NACK
 * bookkeeping), its gRPC face, the live traffic view applications' call reports feed ({@link
 * io.mesh4j.controller.serve.MeshTraffic}) and the operator's HTTP admin endpoint. Talks to the resolver
 * package for content and to mesh-core's wire model for the stream.
 */
@NullMarked
package io.mesh4j.controller.serve;

import org.jspecify.annotations.NullMarked;
