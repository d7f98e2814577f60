/**
 * The controller's one translation from the user-facing world to what each application receives:
 * a pure {@link io.mesh4j.controller.resolve.PolicyResolver} that scopes the validated world to
 * the services an application calls and serves, and turns refused input into status conditions.
 * Both the local-directory mode and the Kubernetes mode feed it the same validated {@link
 * io.mesh4j.core.policy.PolicySet}, so everything after loading shares this code path. No I/O,
 * no threads, no clocks.
 */
@NullMarked
package io.mesh4j.controller.resolve;

import org.jspecify.annotations.NullMarked;
