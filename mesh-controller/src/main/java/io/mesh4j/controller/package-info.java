/**
 * The control plane: watches mesh4j resources (Kubernetes or a local directory), resolves per-application snapshots and streams them. Its code arrives with the controller work; until then the module only reserves its coordinates.
 */
package io.mesh4j.controller;
