package io.mesh4j.spring;

import io.grpc.BindableService;
import io.grpc.ServerServiceDefinition;
import java.util.LinkedHashMap;
import java.util.Map;
import org.jspecify.annotations.Nullable;
import org.springframework.context.ApplicationContext;

/**
 * The {@link MeshGrpcService} beans of a context, each with the mesh service whose policy admits
 * its calls: the one place both the mesh-managed server and Spring Boot's gRPC server learn which
 * mesh service a gRPC service belongs to.
 */
final class MeshGrpcServices {

  /** A bean's bound service and the mesh service ({@code name.namespace}) that admits its calls. */
  record Served(ServerServiceDefinition definition, String meshService) {}

  private MeshGrpcServices() {}

  /**
   * The annotated beans by gRPC service name.
   *
   * @throws IllegalStateException naming the bean when one is not a {@link BindableService}, has
   *     no mesh service ({@code mesh4j.service} unset and none on the annotation), or serves a
   *     gRPC service another annotated bean serves
   */
  static Map<String, Served> find(ApplicationContext context, MeshProperties properties) {
    Map<String, Served> out = new LinkedHashMap<>();
    for (String beanName : context.getBeanNamesForAnnotation(MeshGrpcService.class)) {
      MeshGrpcService annotation = context.findAnnotationOnBean(beanName, MeshGrpcService.class);
      Object bean = context.getBean(beanName);
      if (!(bean instanceof BindableService bindable)) {
        throw new IllegalStateException(
            "mesh4j: @MeshGrpcService bean '"
                + beanName
                + "' is a "
                + bean.getClass().getName()
                + "; expected an io.grpc.BindableService such as a generated FooGrpc.FooImplBase");
      }
      String service = serviceOf(beanName, annotation, properties);
      ServerServiceDefinition definition = bindable.bindService();
      String grpcName = definition.getServiceDescriptor().getName();
      if (out.containsKey(grpcName)) {
        throw new IllegalStateException(
            "mesh4j: @MeshGrpcService bean '"
                + beanName
                + "' serves "
                + grpcName
                + ", which another @MeshGrpcService bean serves already; one server binds each"
                + " gRPC service once");
      }
      out.put(grpcName, new Served(definition, service));
    }
    return out;
  }

  private static String serviceOf(
      String beanName, @Nullable MeshGrpcService annotation, MeshProperties properties) {
    String service = annotation == null ? "" : annotation.service();
    if (service.isBlank()) {
      service = properties.getService() == null ? "" : properties.getService();
    }
    if (service.isBlank()) {
      throw new IllegalStateException(
          "mesh4j: @MeshGrpcService bean '"
              + beanName
              + "' needs the mesh service its policy is written for: set mesh4j.service (e.g."
              + " catalog.shop) or @MeshGrpcService(service = \"catalog.shop\")");
    }
    return service;
  }
}
