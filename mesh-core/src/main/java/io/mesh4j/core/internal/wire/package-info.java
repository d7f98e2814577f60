/**
 * The wire model {@code mesh4j.v1}, generated from {@code mesh4j/v1/policy_stream.proto}: the
 * messages of the control stream between mesh-controller and an application. The stream contract
 * (first message, ACK and NACK, what a disconnected application may assume, versions that only
 * move forward) is written in that file's comments. Resources travel as canonical YAML documents
 * so that an application judges them with the same reader and validator as every other source;
 * the proto file explains the choice. Not API: only {@code io.mesh4j.core.internal.controller}
 * and mesh-controller use these types. Generated messages are immutable and never return null.
 */
@NullMarked
package io.mesh4j.core.internal.wire;

import org.jspecify.annotations.NullMarked;
