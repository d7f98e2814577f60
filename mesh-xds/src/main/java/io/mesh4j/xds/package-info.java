/**
 * mesh4j on an xDS control plane: {@link io.mesh4j.xds.XdsConfigSource} reads a standard gRPC xDS
 * bootstrap ({@link io.mesh4j.xds.XdsBootstrap}), follows one ADS v3 stream from the listeners of
 * the destinations the application calls to their routes, clusters and endpoints, and delivers
 * them as mesh4j policy through the {@link io.mesh4j.core.source.ConfigSource} SPI, ACKing what
 * it applied and NACKing, with the resource and field, what it cannot honour; {@link
 * io.mesh4j.xds.ClientStatusService} shows what it holds over CSDS. A module of its
 * own because it carries envoy's generated xDS model; see {@code docs/xds-client.md}.
 */
@NullMarked
package io.mesh4j.xds;

import org.jspecify.annotations.NullMarked;
