/**
 * The comparative loopback load harness: mesh4j against plain grpc-java, grpc-java's proxyless
 * xDS client, a two-HAProxy sidecar path and plain OkHttp, all measured in one run ({@link
 * io.mesh4j.benchmarks.load.LoadHarness}).
 */
package io.mesh4j.benchmarks.load;
