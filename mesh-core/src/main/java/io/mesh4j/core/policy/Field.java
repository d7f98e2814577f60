package io.mesh4j.core.policy;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * Describes one field of the user-facing model: its documentation, default, and simple bounds.
 *
 * <p>This annotation is the single source of truth for the YAML binder (defaults, required
 * fields, numeric bounds), for the generated configuration reference in the README and for the
 * CRDs' schemas (required fields, bounds, descriptions; completed in mesh-controller), so they
 * cannot drift apart. The binder reads it through {@link ModelTable}, generated from it, so that
 * a cold start reads no annotation; after changing one, regenerate the table ({@code
 * ModelTableTest} says how).
 */
@Documented
@Retention(RetentionPolicy.RUNTIME)
@Target({ElementType.RECORD_COMPONENT, ElementType.PARAMETER, ElementType.FIELD, ElementType.METHOD})
public @interface Field {
  /** One sentence for the configuration reference. */
  String doc();

  /** Whether the field must be present. */
  boolean required() default false;

  /**
   * The default as a YAML snippet, bound exactly like user input; empty means "no default"
   * (the field stays absent, which the field's documentation explains).
   */
  String defaultValue() default "";

  /** Inclusive lower bound for numbers. */
  double min() default Double.NEGATIVE_INFINITY;

  /** Inclusive upper bound for numbers. */
  double max() default Double.POSITIVE_INFINITY;
}
