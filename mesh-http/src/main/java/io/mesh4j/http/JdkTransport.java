package io.mesh4j.http;

import java.net.http.HttpClient;

/**
 * What a meshed call of Java's HttpClient sends its attempts and copies with: the wrapped client,
 * the endpoint URI cache and the mirror sender, shared by all calls of one {@link MeshHttpClient}.
 */
record JdkTransport(HttpClient delegate, TargetUris targets, JdkMirrorSender mirrors) {}
