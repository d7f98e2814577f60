/**
 * The application's side of mesh-controller: {@link io.mesh4j.client.ControllerConfigSource}, the
 * policy stream behind the {@link io.mesh4j.core.source.ConfigSource} SPI, and {@link
 * io.mesh4j.client.ControllerCertificateIssuer}, certificate issuance behind the {@link
 * io.mesh4j.core.identity.CertificateIssuer} SPI. A module of its own because it is the part of
 * mesh4j that needs gRPC and protobuf; an application that reads policy from a directory does not
 * carry them.
 */
@NullMarked
package io.mesh4j.client;

import org.jspecify.annotations.NullMarked;
