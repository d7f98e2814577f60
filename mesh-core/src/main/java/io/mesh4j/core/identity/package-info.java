/**
 * Workload identity: the key, certificate chain and trust bundle a mesh application proves itself
 * and verifies its peers with, swapped atomically on rotation.
 */
@NullMarked
package io.mesh4j.core.identity;

import org.jspecify.annotations.NullMarked;
