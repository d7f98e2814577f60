/**
 * The user-facing policy model: Kubernetes-shaped resources (API group {@code mesh4j.io}, version
 * {@code v1alpha1}) as immutable records, how they are read from YAML, and how they are
 * validated. Every field is described by {@link io.mesh4j.core.policy.Field}, which drives the
 * binder's defaults and bounds and the generated configuration reference.
 *
 * <p>Input flows one way: YAML is composed into a plain tree ({@code YamlTree}), bound onto the
 * records by one reflective binder ({@code Binder}, which also fills defaults and qualifies
 * service names), then checked across fields and resources ({@code PolicyValidator}). Records
 * built in code are rendered back into a tree and take the same path, so there is one set of
 * rules. Errors are values ({@link io.mesh4j.core.policy.Problem}, {@link
 * io.mesh4j.core.policy.PolicyResult}); only the convenience factories throw. This package
 * depends on nothing else in mesh-core.
 */
@NullMarked
package io.mesh4j.core.policy;

import org.jspecify.annotations.NullMarked;
