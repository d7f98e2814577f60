/**
 * Spring Boot wiring for mesh4j. {@link io.mesh4j.spring.MeshAutoConfiguration} builds one {@link
 * io.mesh4j.core.Mesh} bean from the {@code mesh4j.*} properties ({@link
 * io.mesh4j.spring.MeshProperties}, adjusted by {@link io.mesh4j.spring.MeshBuilderCustomizer}
 * beans) and closes it with the context. {@link io.mesh4j.spring.MeshClient} fields and parameters
 * receive gRPC channels and generated stubs, the OkHttp client, {@code RestClient}s on it and
 * {@code WebClient}s with the mesh's filter, for whichever of {@code mesh-grpc} and {@code
 * mesh-http} the application brings. {@link io.mesh4j.spring.MeshGrpcService} beans are served by
 * {@link io.mesh4j.spring.MeshGrpcServer} behind the mesh's server interceptors ({@link
 * io.mesh4j.spring.MeshGrpcAutoConfiguration}), or, when the application has Spring Boot's own gRPC
 * server, by Boot's server, where {@link io.mesh4j.spring.MeshBootGrpcAutoConfiguration} adds the
 * mesh's interceptor to every service as a global interceptor and, with a workload identity, the
 * mesh's certificate as the SSL bundle {@code mesh4j}. In a servlet web application with {@code
 * mesh4j.service} set, {@link io.mesh4j.spring.MeshServletAutoConfiguration} registers the mesh's
 * servlet filter for that service. {@link io.mesh4j.spring.MeshMetricsAutoConfiguration} records
 * the mesh's meters in the application's registry. With the actuator, {@link
 * io.mesh4j.spring.MeshActuatorAutoConfiguration} adds the {@code mesh} endpoint ({@link
 * io.mesh4j.spring.MeshEndpoint}) and a health indicator ({@link
 * io.mesh4j.spring.MeshHealthIndicator}). Built and tested on Spring Boot 4.1; Boot 3.x is not
 * supported.
 */
@NullMarked
package io.mesh4j.spring;

import org.jspecify.annotations.NullMarked;
