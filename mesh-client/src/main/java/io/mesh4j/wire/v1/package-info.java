/**
 * The wire model {@code mesh4j.v1}, generated from {@code mesh4j/v1/policy_stream.proto} and
 * {@code mesh4j/v1/certificates.proto}: the messages of the control stream and of certificate
 * issuance between mesh-controller and an application. The stream contract (first message, ACK
 * and NACK, what a disconnected application may assume, versions that only move forward) is
 * written in that file's comments. Resources travel as canonical YAML documents so that an
 * application judges them with the same reader and validator as every other source; the proto
 * file explains the choice. {@link io.mesh4j.wire.v1.Snapshots} encodes and hashes snapshots for
 * both ends, so they cannot drift apart; {@link io.mesh4j.wire.v1.CallReports} holds the fixed
 * latency buckets and bounds of call reports for the same reason.
 *
 * <p>A contract between two deployables rather than one module's internals: mesh-controller and
 * {@code io.mesh4j.client} use these types, and a change here must keep old peers of either side
 * working. Not for applications to call. Generated messages are immutable and never return null.
 */
@NullMarked
package io.mesh4j.wire.v1;

import org.jspecify.annotations.NullMarked;
