/**
 * The mesh4j control plane: {@link io.mesh4j.controller.MeshController} reads the world (a local
 * directory of the same YAML applications read), resolves what each connected application needs
 * and streams it as versioned snapshots; {@link io.mesh4j.controller.MeshControllerMain} is the
 * command line. Resolution lives in {@code resolve}, serving and the admin endpoint in {@code
 * serve}, the same world as xDS for gRPC's proxyless clients in {@code xds} (see docs/xds.md).
 */
@NullMarked
package io.mesh4j.controller;

import org.jspecify.annotations.NullMarked;
