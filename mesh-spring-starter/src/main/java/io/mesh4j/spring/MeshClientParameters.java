package io.mesh4j.spring;

import java.util.function.Supplier;
import org.jspecify.annotations.Nullable;
import org.springframework.beans.BeansException;
import org.springframework.beans.factory.config.BeanDefinitionHolder;
import org.springframework.beans.factory.config.BeanFactoryPostProcessor;
import org.springframework.beans.factory.config.ConfigurableListableBeanFactory;
import org.springframework.beans.factory.config.DependencyDescriptor;
import org.springframework.beans.factory.support.AutowireCandidateResolver;
import org.springframework.beans.factory.support.DefaultListableBeanFactory;
import org.springframework.core.MethodParameter;

/**
 * Lets {@link MeshClient} mark constructor and {@code @Bean} method parameters, as {@code @Value}
 * does: the bean factory's candidate resolver is wrapped so that such a parameter is answered by
 * {@link MeshClientPostProcessor} instead of a bean lookup. Registered by {@link
 * MeshAutoConfiguration}.
 */
public class MeshClientParameters implements BeanFactoryPostProcessor {

  /** Creates the post-processor; Spring calls it. */
  public MeshClientParameters() {}

  @Override
  public void postProcessBeanFactory(ConfigurableListableBeanFactory beanFactory)
      throws BeansException {
    if (beanFactory instanceof DefaultListableBeanFactory factory
        && !(factory.getAutowireCandidateResolver() instanceof Resolver)) {
      // looked up on first use, so this post-processor creates nothing early
      Supplier<MeshClientPostProcessor> clients =
          () -> factory.getBean(MeshClientPostProcessor.class);
      factory.setAutowireCandidateResolver(
          new Resolver(factory.getAutowireCandidateResolver(), clients));
    }
  }

  /** Delegates everything but the suggested value of a {@link MeshClient} parameter. */
  private static final class Resolver implements AutowireCandidateResolver {
    private final AutowireCandidateResolver delegate;
    private final Supplier<MeshClientPostProcessor> clients;

    Resolver(AutowireCandidateResolver delegate, Supplier<MeshClientPostProcessor> clients) {
      this.delegate = delegate;
      this.clients = clients;
    }

    @Override
    public @Nullable Object getSuggestedValue(DependencyDescriptor descriptor) {
      MethodParameter parameter = descriptor.getMethodParameter();
      MeshClient annotation = parameter == null ? null : descriptor.getAnnotation(MeshClient.class);
      if (parameter != null && annotation != null) {
        return clients.get().client(
            annotation, descriptor.getDependencyType(), describe(parameter), beanName(parameter));
      }
      return delegate.getSuggestedValue(descriptor);
    }

    private static String describe(MethodParameter p) {
      String name = p.getParameterName();
      return "parameter "
          + (name != null ? name : "#" + p.getParameterIndex())
          + " of "
          + p.getExecutable().toGenericString();
    }

    private static String beanName(MethodParameter p) {
      return p.getDeclaringClass().getName();
    }

    @Override
    public boolean isAutowireCandidate(BeanDefinitionHolder holder, DependencyDescriptor d) {
      return delegate.isAutowireCandidate(holder, d);
    }

    @Override
    public boolean isRequired(DependencyDescriptor descriptor) {
      return delegate.isRequired(descriptor);
    }

    @Override
    public boolean hasQualifier(DependencyDescriptor descriptor) {
      return delegate.hasQualifier(descriptor);
    }

    @Override
    public @Nullable String getSuggestedName(DependencyDescriptor descriptor) {
      return delegate.getSuggestedName(descriptor);
    }

    @Override
    public @Nullable Object getLazyResolutionProxyIfNecessary(
        DependencyDescriptor descriptor, @Nullable String beanName) {
      return delegate.getLazyResolutionProxyIfNecessary(descriptor, beanName);
    }

    @Override
    public @Nullable Class<?> getLazyResolutionProxyClass(
        DependencyDescriptor descriptor, @Nullable String beanName) {
      return delegate.getLazyResolutionProxyClass(descriptor, beanName);
    }

    @Override
    public AutowireCandidateResolver cloneIfNecessary() {
      return new Resolver(delegate.cloneIfNecessary(), clients);
    }
  }
}
