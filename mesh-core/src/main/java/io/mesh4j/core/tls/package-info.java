/**
 * Mutual TLS from the workload identity, in plain JSSE: a key manager that presents the current
 * certificate at each handshake, trust managers that verify peers by SPIFFE ID against the current
 * trust bundle (never by host name), and {@link io.mesh4j.core.tls.MeshTls}, which builds them for
 * a mesh. Transports (gRPC, OkHttp, servlet containers) plug these managers in.
 */
@NullMarked
package io.mesh4j.core.tls;

import org.jspecify.annotations.NullMarked;
