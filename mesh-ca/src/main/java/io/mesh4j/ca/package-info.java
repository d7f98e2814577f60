/**
 * The mesh's certificate authority, which mesh-controller hosts: it signs short-lived workload
 * certificates whose only identity is a SPIFFE URI, and rotates its roots with overlap. A module of
 * its own so that applications, which only ever request certificates, never carry the X.509
 * building library it needs.
 */
@NullMarked
package io.mesh4j.ca;

import org.jspecify.annotations.NullMarked;
