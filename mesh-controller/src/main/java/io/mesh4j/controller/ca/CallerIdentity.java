package io.mesh4j.controller.ca;

import java.util.Objects;
import java.util.regex.Pattern;

/**
 * Who a caller proved to be: a Kubernetes ServiceAccount (or its local-mode stand-in), the only
 * identity a workload certificate names.
 *
 * @param namespace the ServiceAccount's namespace
 * @param serviceAccount the ServiceAccount's name
 */
public record CallerIdentity(String namespace, String serviceAccount) {

  // Kubernetes names: a namespace is a DNS label, a ServiceAccount a DNS subdomain.
  private static final Pattern LABEL = Pattern.compile("[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?");
  private static final Pattern SUBDOMAIN =
      Pattern.compile("[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*");

  /** @throws IllegalArgumentException when either name is not a valid Kubernetes name */
  public CallerIdentity {
    Objects.requireNonNull(namespace, "namespace");
    Objects.requireNonNull(serviceAccount, "serviceAccount");
    if (!LABEL.matcher(namespace).matches()) {
      throw new IllegalArgumentException(
          "namespace '" + namespace + "' is not a DNS label (lower-case letters, digits, '-')");
    }
    if (serviceAccount.length() > 253 || !SUBDOMAIN.matcher(serviceAccount).matches()) {
      throw new IllegalArgumentException(
          "service account '" + serviceAccount
              + "' is not a DNS subdomain (lower-case letters, digits, '-', '.')");
    }
  }

  /** The SPIFFE ID this identity has in {@code trustDomain}. */
  public String spiffeId(String trustDomain) {
    return "spiffe://" + trustDomain + "/ns/" + namespace + "/sa/" + serviceAccount;
  }

  @Override
  public String toString() {
    return namespace + "/" + serviceAccount;
  }
}
