package io.mesh4j.controller.crd;

import io.fabric8.crd.generator.annotation.AdditionalPrinterColumn;
import io.fabric8.kubernetes.api.model.Namespaced;
import io.fabric8.kubernetes.client.CustomResource;
import io.fabric8.kubernetes.model.annotation.Group;
import io.fabric8.kubernetes.model.annotation.Kind;
import io.fabric8.kubernetes.model.annotation.Plural;
import io.fabric8.kubernetes.model.annotation.ShortNames;
import io.fabric8.kubernetes.model.annotation.Version;
import io.mesh4j.core.policy.AuthorizationPolicy;

/** The {@code AuthorizationPolicy} custom resource; its CRD is generated from {@link AuthorizationPolicy.Spec}. */
@Group("mesh4j.io")
@Version("v1alpha1")
@Kind("AuthorizationPolicy")
@Plural("authorizationpolicies")
@ShortNames("ap")
@AdditionalPrinterColumn(name = "Service", jsonPath = ".spec.service", type = AdditionalPrinterColumn.Type.STRING)
@AdditionalPrinterColumn(name = "Action", jsonPath = ".spec.action", type = AdditionalPrinterColumn.Type.STRING)
@AdditionalPrinterColumn(name = "Accepted", jsonPath = ResourceStatus.ACCEPTED_PATH, type = AdditionalPrinterColumn.Type.STRING)
@AdditionalPrinterColumn(name = "Applied", jsonPath = ResourceStatus.APPLIED_PATH, type = AdditionalPrinterColumn.Type.STRING)
@AdditionalPrinterColumn(name = "Age", jsonPath = ".metadata.creationTimestamp", type = AdditionalPrinterColumn.Type.DATE)
public class AuthorizationPolicyResource extends CustomResource<AuthorizationPolicy.Spec, ResourceStatus> implements Namespaced {}
