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
import org.springframework.beans.factory.DisposableBean;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.beans.factory.config.BeanPostProcessor;
import org.springframework.util.ClassUtils;
import org.springframework.util.ReflectionUtils;

/**
 * Injects the fields annotated with {@link MeshClient}: gRPC channels per destination and the
 * shared OkHttp client, built on demand from the context's {@link Mesh}, and released when the
 * context closes. Registered by {@link MeshAutoConfiguration}.
 */
public class MeshClientPostProcessor implements BeanPostProcessor, DisposableBean {

  // compared by name so that neither grpc-java nor OkHttp is loaded unless the application uses it
  private static final String CHANNEL = "io.grpc.Channel";
  private static final String MANAGED_CHANNEL = "io.grpc.ManagedChannel";
  private static final String OK_HTTP_CLIENT = "okhttp3.OkHttpClient";

  private final ObjectProvider<Mesh> mesh;
  private final ClassLoader classLoader;
  private final Map<String, Object> channels = new ConcurrentHashMap<>();
  private @Nullable Object okHttp;
  private final Set<String> destinations = ConcurrentHashMap.newKeySet();

  /**
   * A post-processor that looks the mesh up only when the first annotated field needs it, so that
   * registering it early does not create the mesh before its properties are bound.
   */
  public MeshClientPostProcessor(ObjectProvider<Mesh> mesh, ClassLoader classLoader) {
    this.mesh = mesh;
    this.classLoader = classLoader;
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
    String destination = field.getAnnotation(MeshClient.class).value();
    String type = field.getType().getName();
    if (!destination.isBlank()) {
      destinations.add(destination);
    }
    Object client;
    if (type.equals(CHANNEL) || type.equals(MANAGED_CHANNEL)) {
      require(beanName, field, "io.mesh4j.grpc.MeshChannels", "mesh-grpc");
      if (destination.isBlank()) {
        throw new BeanCreationException(
            beanName, "@MeshClient on " + field + " must name the destination");
      }
      client = channels.computeIfAbsent(destination, d -> GrpcClients.channel(mesh.getObject(), d));
    } else if (type.equals(OK_HTTP_CLIENT)) {
      require(beanName, field, "io.mesh4j.http.MeshOkHttp", "mesh-http");
      client = okHttp();
    } else {
      throw new BeanCreationException(
          beanName,
          "@MeshClient on " + field + ": the type must be Channel, ManagedChannel or OkHttpClient");
    }
    ReflectionUtils.makeAccessible(field);
    ReflectionUtils.setField(field, bean, client);
  }

  /** The destinations {@link MeshClient} fields named so far, for the actuator endpoint. */
  Set<String> destinations() {
    return Set.copyOf(destinations);
  }

  private synchronized Object okHttp() {
    Object client = okHttp;
    if (client == null) {
      client = HttpClients.client(mesh.getObject());
      okHttp = client;
    }
    return client;
  }

  private void require(String beanName, Field field, String className, String module) {
    if (!ClassUtils.isPresent(className, classLoader)) {
      throw new BeanCreationException(
          beanName, "@MeshClient on " + field + " needs " + module + " on the class path");
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
