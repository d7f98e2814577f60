package io.mesh4j.spring;

import org.jspecify.annotations.Nullable;
import org.springframework.context.annotation.Condition;
import org.springframework.context.annotation.ConditionContext;
import org.springframework.core.convert.ConversionException;
import org.springframework.core.env.Environment;
import org.springframework.core.type.AnnotatedTypeMetadata;

/**
 * Matches when the application has a workload identity: {@code mesh4j.identity.enabled}, which
 * defaults to whether {@code mesh4j.identity.token-file} is set. Read from the environment
 * directly, since post-processors decide before the properties bean exists.
 */
final class MeshIdentityCondition implements Condition {

  @Override
  public boolean matches(ConditionContext context, AnnotatedTypeMetadata metadata) {
    return active(context.getEnvironment());
  }

  static boolean active(Environment environment) {
    Boolean enabled = flag(environment, "mesh4j.identity.enabled");
    if (enabled != null) {
      return enabled;
    }
    String tokenFile = environment.getProperty("mesh4j.identity.token-file");
    return tokenFile != null && !tokenFile.isBlank();
  }

  static boolean httpClients(Environment environment) {
    return active(environment)
        && Boolean.TRUE.equals(flag(environment, "mesh4j.identity.http-clients"));
  }

  /** A boolean property, or null when unset; a value that is not a boolean names the property. */
  private static @Nullable Boolean flag(Environment environment, String name) {
    try {
      return environment.getProperty(name, Boolean.class);
    } catch (ConversionException e) {
      throw new IllegalStateException(
          name + " must be true or false, got '" + environment.getProperty(name) + "'", e);
    }
  }
}
