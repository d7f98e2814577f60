/**
 * The mesh's certificate authority inside the controller: where its root lives (files or a
 * Kubernetes Secret), how callers authenticate (a bootstrap token file or a Kubernetes
 * TokenReview), and the {@code mesh4j.v1.CertificateService} that signs workload certificates
 * for the identity that authentication proved.
 */
@NullMarked
package io.mesh4j.controller.ca;

import org.jspecify.annotations.NullMarked;
