package io.mesh4j.controller.crd;

import io.fabric8.crd.generator.annotation.AdditionalPrinterColumn;
import io.fabric8.kubernetes.api.model.Namespaced;
import io.fabric8.kubernetes.client.CustomResource;
import io.fabric8.kubernetes.model.annotation.Group;
import io.fabric8.kubernetes.model.annotation.Kind;
import io.fabric8.kubernetes.model.annotation.Plural;
import io.fabric8.kubernetes.model.annotation.ShortNames;
import io.fabric8.kubernetes.model.annotation.Version;
import io.mesh4j.core.policy.MeshConfig;

/** The {@code MeshConfig} custom resource; its CRD is generated from {@link MeshConfig.Spec}. */
@Group("mesh4j.io")
@Version("v1alpha1")
@Kind("MeshConfig")
@Plural("meshconfigs")
@ShortNames("mc")
@AdditionalPrinterColumn(name = "mTLS", jsonPath = ".spec.mtls", type = AdditionalPrinterColumn.Type.STRING)
@AdditionalPrinterColumn(name = "Accepted", jsonPath = ResourceStatus.ACCEPTED_PATH, type = AdditionalPrinterColumn.Type.STRING)
@AdditionalPrinterColumn(name = "Applied", jsonPath = ResourceStatus.APPLIED_PATH, type = AdditionalPrinterColumn.Type.STRING)
@AdditionalPrinterColumn(name = "Age", jsonPath = ".metadata.creationTimestamp", type = AdditionalPrinterColumn.Type.DATE)
public class MeshConfigResource extends CustomResource<MeshConfig.Spec, ResourceStatus> implements Namespaced {}
