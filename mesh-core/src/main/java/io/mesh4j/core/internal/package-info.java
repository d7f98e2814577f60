/**
 * Helpers mesh4j's own modules share (the certificate rotator here, the controller client in
 * mesh4j-client). Not API: no compatibility promise to applications.
 */
@NullMarked
package io.mesh4j.core.internal;

import org.jspecify.annotations.NullMarked;
