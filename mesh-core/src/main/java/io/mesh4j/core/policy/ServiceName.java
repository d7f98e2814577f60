package io.mesh4j.core.policy;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * Marks a string field that names a service: the binder checks its form ({@code name} or {@code
 * name.namespace}, DNS labels) and qualifies a bare {@code name} with the resource's namespace,
 * so everything downstream sees fully qualified names.
 */
@Documented
@Retention(RetentionPolicy.RUNTIME)
@Target(ElementType.RECORD_COMPONENT)
@interface ServiceName {}
