/**
 * Server-side authorization: the {@code AuthorizationPolicy} resources of each service compiled
 * once per snapshot into arrays of matchers, so that deciding a call walks arrays and compares
 * strings, with no locks and no parsing.
 */
@NullMarked
package io.mesh4j.core.engine.authz;

import org.jspecify.annotations.NullMarked;
