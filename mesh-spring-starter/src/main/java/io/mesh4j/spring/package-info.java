/**
 * Spring Boot wiring for mesh4j: auto-configuration from mesh4j.* properties, annotations and the actuator endpoint. Its code arrives with the starter work; until then the module only reserves its coordinates.
 */
package io.mesh4j.spring;
