package io.mesh4j.spring;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import org.springframework.core.annotation.AliasFor;
import org.springframework.stereotype.Component;

/**
 * Marks an {@code io.grpc.BindableService} bean to be served on the mesh-managed gRPC server
 * ({@code mesh4j.grpc.*}), behind the mesh's server interceptors: the service's {@code
 * AuthorizationPolicy} and {@code serverRateLimit} admit or refuse every call before the bean sees
 * it. Also a {@link Component}, so component scanning picks the class up.
 *
 * <pre>{@code
 * @MeshGrpcService
 * class CatalogService extends CatalogGrpc.CatalogImplBase { ... }
 * }</pre>
 *
 * <p>The server starts once the context has refreshed and only when at least one such bean
 * exists; it shuts down gracefully when the context closes. Needs {@code mesh-grpc}. With Spring
 * Boot's own gRPC server on the class path, Boot's server serves the bean instead, behind the same
 * interceptor ({@link MeshBootGrpcAutoConfiguration}).
 */
@Target(ElementType.TYPE)
@Retention(RetentionPolicy.RUNTIME)
@Documented
@Component
public @interface MeshGrpcService {

  /** The bean name; generated from the class name when empty. */
  @AliasFor(annotation = Component.class, attribute = "value")
  String value() default "";

  /**
   * The mesh service ({@code name.namespace}) whose policy admits calls to this bean; {@code
   * mesh4j.service} when empty.
   */
  String service() default "";
}
