/**
 * The user-facing policy model: Kubernetes-shaped resources (API group {@code mesh4j.io}, version
 * {@code v1alpha1}) as immutable records, how they are read from YAML, and how they are
 * validated. Every field is described by {@link io.mesh4j.core.policy.Field}, which drives the
 * binder's defaults and bounds and the generated configuration reference. This package depends
 * on nothing else in mesh-core.
 */
@NullMarked
package io.mesh4j.core.policy;

import org.jspecify.annotations.NullMarked;
