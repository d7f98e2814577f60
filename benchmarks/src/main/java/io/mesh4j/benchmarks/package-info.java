/** JMH benchmarks of mesh4j's per-call path; they use only the public API. */
package io.mesh4j.benchmarks;
