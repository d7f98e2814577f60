package io.mesh4j.core.call;

import org.jspecify.annotations.Nullable;

/**
 * The host and path an HTTP request is sent with instead of its own (Gateway API's {@code
 * URLRewrite}); routing and matching saw the original. Immutable.
 *
 * @param hostname the {@code Host} the request is sent with, or null to keep it
 * @param path how the path changes
 */
public record HttpRewrite(@Nullable String hostname, PathRewrite path) {}
