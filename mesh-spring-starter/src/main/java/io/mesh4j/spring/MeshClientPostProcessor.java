package io.mesh4j.spring;

import io.mesh4j.core.Mesh;
import java.lang.reflect.Field;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.jspecify.annotations.Nullable;
import org.springframework.beans.BeansException;
import org.springframework.beans.factory.BeanCreationException;
import org.springframework.beans.factory.BeanFactory;
import org.springframework.beans.factory.BeanFactoryAware;
import org.springframework.beans.factory.BeanNameAware;
import org.springframework.beans.factory.DisposableBean;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.beans.factory.config.BeanPostProcessor;
import org.springframework.beans.factory.config.ConfigurableListableBeanFactory;
import org.springframework.context.EnvironmentAware;
import org.springframework.core.env.Environment;
import org.springframework.util.ClassUtils;
import org.springframework.util.ReflectionUtils;

/**
 * Injects the fields annotated with {@link MeshClient}: gRPC channels per destination, generated
 * stubs on them, the shared OkHttp client and {@code RestClient}s on it, {@code WebClient}s with
 * the mesh's filter, built on demand from the
 * context's {@link Mesh}, and released when the context closes. Registered by {@link
 * MeshAutoConfiguration}.
 */
public class MeshClientPostProcessor
    implements BeanPostProcessor, BeanFactoryAware, BeanNameAware, DisposableBean, EnvironmentAware {

  // compared by name so that neither grpc-java, OkHttp nor spring-web is loaded unless used
  private static final String CHANNEL = "io.grpc.Channel";
  private static final String MANAGED_CHANNEL = "io.grpc.ManagedChannel";
  private static final String ABSTRACT_STUB = "io.grpc.stub.AbstractStub";
  private static final String OK_HTTP_CLIENT = "okhttp3.OkHttpClient";
  private static final String REST_CLIENT = "org.springframework.web.client.RestClient";
  private static final String WEB_CLIENT =
      "org.springframework.web.reactive.function.client.WebClient";
  private static final String EXPECTED =
      "the type must be io.grpc.Channel, io.grpc.ManagedChannel, a generated gRPC stub"
          + " (FooGrpc.FooBlockingStub, FooStub, FooFutureStub), okhttp3.OkHttpClient,"
          + " org.springframework.web.client.RestClient or"
          + " org.springframework.web.reactive.function.client.WebClient";

  private final ObjectProvider<Mesh> mesh;
  private final ClassLoader classLoader;
  private final Map<String, Object> channels = new ConcurrentHashMap<>();
  private @Nullable Object okHttp;
  private final Set<String> destinations = ConcurrentHashMap.newKeySet();
  private @Nullable BeanFactory beanFactory;

  // decides mTLS for the clients this makes; read when the first client is made
  private @Nullable Environment environment;
  private @Nullable String beanName;
  private volatile boolean closesBeforeMesh;

  /**
   * A post-processor that looks the mesh up only when the first annotated field needs it, so that
   * registering it early does not create the mesh before its properties are bound.
   */
  public MeshClientPostProcessor(ObjectProvider<Mesh> mesh, ClassLoader classLoader) {
    this.mesh = mesh;
    this.classLoader = classLoader;
  }

  @Override
  public void setBeanName(String name) {
    this.beanName = name;
  }

  /** Keeps the environment, which says whether clients use mutual TLS. */
  @Override
  public void setEnvironment(Environment environment) {
    this.environment = environment;
  }

  @Override
  public void setBeanFactory(BeanFactory beanFactory) {
    this.beanFactory = beanFactory;
  }

  @Override
  public Object postProcessBeforeInitialization(Object bean, String beanName)
      throws BeansException {
    ReflectionUtils.doWithFields(
        bean.getClass(),
        field -> inject(bean, beanName, field),
        field -> field.isAnnotationPresent(MeshClient.class));
    return bean;
  }

  private void inject(Object bean, String beanName, Field field) {
    Object client =
        client(field.getAnnotation(MeshClient.class), field.getType(), field.toString(), beanName);
    ReflectionUtils.makeAccessible(field);
    ReflectionUtils.setField(field, bean, client);
  }

  /**
   * The client a {@link MeshClient} of {@code type} gets; {@code where} names the field or
   * parameter in error messages.
   *
   * @throws BeanCreationException when the type is not supported or its adapter is missing
   */
  Object client(MeshClient annotation, Class<?> type, String where, String beanName) {
    String destination = annotation.value();
    String name = type.getName();
    if (!destination.isBlank()) {
      destinations.add(destination);
    }
    if (name.equals(CHANNEL) || name.equals(MANAGED_CHANNEL)) {
      return channel(beanName, where, destination);
    } else if (isStub(type)) {
      Object channel = channel(beanName, where, destination);
      try {
        return GrpcClients.stub(channel, type);
      } catch (IllegalArgumentException e) {
        throw new BeanCreationException(beanName, "@MeshClient on " + where + ": " + e.getMessage());
      }
    } else if (name.equals(OK_HTTP_CLIENT)) {
      require(beanName, where, "io.mesh4j.http.MeshOkHttp", "mesh-http");
      return okHttp();
    } else if (name.equals(REST_CLIENT)) {
      require(beanName, where, "io.mesh4j.http.MeshOkHttp", "mesh-http");
      BeanFactory beans = beanFactory;
      if (beans == null) {
        throw new BeanCreationException(beanName, "@MeshClient on " + where + ": no bean factory");
      }
      return RestClients.client(beans, okHttp(), destination);
    } else if (name.equals(WEB_CLIENT)) {
      require(beanName, where, "io.mesh4j.http.MeshWebClient", "mesh-http");
      BeanFactory beans = beanFactory;
      if (beans == null) {
        throw new BeanCreationException(beanName, "@MeshClient on " + where + ": no bean factory");
      }
      return WebClients.client(
          beans,
          mesh.getObject(),
          destination,
          environment != null && MeshIdentityCondition.httpClients(environment));
    }
    throw new BeanCreationException(
        beanName, "@MeshClient on " + where + " (type " + name + "): " + EXPECTED);
  }

  /** The shared channel of the field's destination, made on first use. */
  private Object channel(String beanName, String where, String destination) {
    require(beanName, where, "io.mesh4j.grpc.MeshChannels", "mesh-grpc");
    if (destination.isBlank()) {
      throw new BeanCreationException(
          beanName,
          "@MeshClient on "
              + where
              + " must name the destination, e.g. @MeshClient(\"catalog.shop\")");
    }
    closeBeforeMesh();
    return channels.computeIfAbsent(destination, d -> GrpcClients.channel(
            mesh.getObject(), d, environment != null && MeshIdentityCondition.active(environment)));
  }

  /**
   * Makes the context destroy this post-processor, and so shut the channels down, before any
   * {@link Mesh} bean closes. A mesh that closes first empties every channel's endpoints, and
   * grpc-java then holds the dropped connections for five more seconds, delaying every shutdown.
   */
  private void closeBeforeMesh() {
    if (closesBeforeMesh) {
      return;
    }
    closesBeforeMesh = true;
    String self = beanName;
    if (self != null && beanFactory instanceof ConfigurableListableBeanFactory factory) {
      for (String meshBean : factory.getBeanNamesForType(Mesh.class, false, false)) {
        factory.registerDependentBean(meshBean, self);
      }
    }
  }

  /** Whether {@code type} extends grpc-java's {@code AbstractStub}, compared by name. */
  private static boolean isStub(Class<?> type) {
    for (Class<?> c = type.getSuperclass(); c != null; c = c.getSuperclass()) {
      if (c.getName().equals(ABSTRACT_STUB)) {
        return true;
      }
    }
    return false;
  }

  /** The destinations {@link MeshClient} fields named so far, for the actuator endpoint. */
  Set<String> destinations() {
    return Set.copyOf(destinations);
  }

  private synchronized Object okHttp() {
    Object client = okHttp;
    if (client == null) {
      client = HttpClients.client(
              mesh.getObject(),
              environment != null && MeshIdentityCondition.httpClients(environment));
      okHttp = client;
    }
    return client;
  }

  private void require(String beanName, String where, String className, String module) {
    if (!ClassUtils.isPresent(className, classLoader)) {
      throw new BeanCreationException(
          beanName, "@MeshClient on " + where + " needs " + module + " on the class path");
    }
  }

  /** Shuts down the channels and the OkHttp client's threads and connections. */
  @Override
  public void destroy() {
    List<Object> open = new ArrayList<>(channels.values());
    channels.clear();
    // shut every channel down first and wait afterwards, so the waits overlap
    open.forEach(GrpcClients::shutdown);
    open.forEach(GrpcClients::awaitTermination);
    Object client;
    synchronized (this) {
      client = okHttp;
      okHttp = null;
    }
    if (client != null) {
      HttpClients.shutdown(client);
    }
  }
}
