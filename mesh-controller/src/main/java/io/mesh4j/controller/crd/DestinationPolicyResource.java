package io.mesh4j.controller.crd;

import io.fabric8.crd.generator.annotation.AdditionalPrinterColumn;
import io.fabric8.kubernetes.api.model.Namespaced;
import io.fabric8.kubernetes.client.CustomResource;
import io.fabric8.kubernetes.model.annotation.Group;
import io.fabric8.kubernetes.model.annotation.Kind;
import io.fabric8.kubernetes.model.annotation.Plural;
import io.fabric8.kubernetes.model.annotation.ShortNames;
import io.fabric8.kubernetes.model.annotation.Version;
import io.mesh4j.core.policy.DestinationPolicy;

/**
 * The {@code DestinationPolicy} custom resource; its CRD is generated from the model's {@link
 * DestinationPolicy.Spec}.
 */
@Group("mesh4j.io")
@Version("v1alpha1")
@Kind("DestinationPolicy")
@Plural("destinationpolicies")
@ShortNames("dp")
@AdditionalPrinterColumn(name = "Destination", jsonPath = ".spec.destination", type = AdditionalPrinterColumn.Type.STRING)
@AdditionalPrinterColumn(name = "Accepted", jsonPath = ResourceStatus.ACCEPTED_PATH, type = AdditionalPrinterColumn.Type.STRING)
@AdditionalPrinterColumn(name = "Applied", jsonPath = ResourceStatus.APPLIED_PATH, type = AdditionalPrinterColumn.Type.STRING)
@AdditionalPrinterColumn(name = "Age", jsonPath = ".metadata.creationTimestamp", type = AdditionalPrinterColumn.Type.DATE)
public class DestinationPolicyResource extends CustomResource<DestinationPolicy.Spec, ResourceStatus> implements Namespaced {}
