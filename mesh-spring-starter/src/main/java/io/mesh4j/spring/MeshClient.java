package io.mesh4j.spring;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * Marks a field, or a parameter of a constructor or {@code @Bean} method, to receive a client
 * that calls through the application's {@link io.mesh4j.core.Mesh}. Fields are injected before
 * the bean's init methods run; parameters are resolved as {@code @Value} parameters are.
 *
 * <ul>
 *   <li>{@code io.grpc.Channel} or {@code io.grpc.ManagedChannel} (needs {@code mesh-grpc}): a
 *       channel for the destination {@link #value()}, as {@code MeshChannels.forService} builds
 *       it. Fields naming the same destination share one channel, which is shut down when the
 *       context closes.
 *   <li>A generated gRPC stub ({@code FooGrpc.FooBlockingStub}, {@code FooStub}, {@code
 *       FooFutureStub}, {@code FooBlockingV2Stub}; needs {@code mesh-grpc}): made by the
 *       enclosing {@code FooGrpc} class's factory on that shared channel.
 *   <li>{@code okhttp3.OkHttpClient} (needs {@code mesh-http}): the context's one mesh client
 *       ({@code MeshOkHttp.client}). OkHttp takes the destination from each request's host, so
 *       {@link #value()} only documents which service the field calls and may be left empty.
 *   <li>{@code org.springframework.web.client.RestClient} (needs {@code mesh-http} and {@code
 *       spring-web}): a client on that OkHttp client, built from the application's {@code
 *       RestClient.Builder} when it has one; with a destination, relative URIs go to {@code
 *       http://<destination>}, so {@code rest.get().uri("/price/42")} calls the destination.
 * </ul>
 *
 * <p>A field of any other type, or of a type whose adapter is not on the class path, fails the
 * context at start-up rather than leaving the field null.
 */
@Target({ElementType.FIELD, ElementType.PARAMETER})
@Retention(RetentionPolicy.RUNTIME)
@Documented
public @interface MeshClient {

  /** The destination, {@code name.namespace}, for example {@code catalog.shop}. */
  String value() default "";
}
