package io.mesh4j.spring;

import org.springframework.context.annotation.Condition;
import org.springframework.context.annotation.ConditionContext;
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
    // the conversion service refuses values such as "yes", naming the property and the value
    Boolean enabled = environment.getProperty("mesh4j.identity.enabled", Boolean.class);
    if (enabled != null) {
      return enabled;
    }
    String tokenFile = environment.getProperty("mesh4j.identity.token-file");
    return tokenFile != null && !tokenFile.isBlank();
  }

  static boolean httpClients(Environment environment) {
    return active(environment)
        && environment.getProperty("mesh4j.identity.http-clients", Boolean.class, false);
  }
}
