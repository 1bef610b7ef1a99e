/**
 * Every Kubernetes object of the workloads layer as plain manifests, in creation order. The components
 * create exactly these; tests and tooling render them without the Pulumi runtime.
 */
import type { StackConfig } from "../../config";
import { Str } from "./common";
import {
    mcpConfigMapManifest,
    mcpDeploymentManifest,
    mcpHorizontalPodAutoscalerManifest,
    mcpPodDisruptionBudgetManifest,
    mcpSecretProviderClassManifest,
    mcpServiceAccountManifest,
    mcpServiceManifest,
} from "./mcp-server";
import { namespaceManifest, priorityClassManifest } from "./namespace";
import { backupCronJobManifest, backupScriptsConfigMapManifest, backupServiceAccountManifest, backupSettingsConfigMapManifest } from "./qdrant-backup";
import { networkPolicyManifests } from "./network-policies";
import {
    qdrantApiKeySecretManifest,
    qdrantHeadlessServiceManifest,
    qdrantPodDisruptionBudgetManifest,
    qdrantServiceAccountManifest,
    qdrantServiceManifest,
    qdrantStatefulSetManifest,
    qdrantStorageClassManifest,
} from "./qdrant";

export * from "./common";

/** The values the Azure layer and the random provider supply. */
export interface WorkloadInputs<S extends Str = string> {
    readonly identityClientId: S;
    readonly tenantId: S;
    readonly vaultName: S;
    /** The MCP server image (the stack's build, or the configured image), in the stack's ACR. */
    readonly image: S;
    /** The in-ACR copy of images.qdrant. */
    readonly qdrantImage: S;
    readonly qdrantApiKey: S;
    /** Client id of the backup identity. */
    readonly backupIdentityClientId: S;
    /** `https://<account>.blob.core.windows.net`. */
    readonly blobEndpoint: S;
    readonly backupContainer: S;
    /** The curl image in the stack's ACR. */
    readonly backupImage: S;
    /** The stack-owned resource group for Qdrant's disks. */
    readonly dataResourceGroup: S;
}

export function workloadManifests<S extends Str = string>(cfg: StackConfig, inputs: WorkloadInputs<S>) {
    const identity = { clientId: inputs.identityClientId, tenantId: inputs.tenantId };
    const pdb = qdrantPodDisruptionBudgetManifest(cfg);
    const target = { clientId: inputs.backupIdentityClientId, tenantId: inputs.tenantId, blobEndpoint: inputs.blobEndpoint, containerName: inputs.backupContainer };
    const backup = cfg.qdrant.backup.enabled
        ? [backupServiceAccountManifest(cfg, target), backupScriptsConfigMapManifest(cfg), backupSettingsConfigMapManifest(cfg, target), backupCronJobManifest(cfg, inputs.backupImage)]
        : [];
    return [
        namespaceManifest(cfg),
        priorityClassManifest(cfg),
        ...networkPolicyManifests(cfg),
        qdrantStorageClassManifest(cfg, inputs.dataResourceGroup),
        qdrantApiKeySecretManifest(cfg, inputs.qdrantApiKey),
        qdrantServiceAccountManifest(cfg),
        qdrantHeadlessServiceManifest(cfg),
        qdrantServiceManifest(cfg),
        qdrantStatefulSetManifest(cfg, inputs.qdrantImage),
        ...(pdb ? [pdb] : []),
        ...backup,
        mcpServiceAccountManifest(cfg, identity),
        mcpConfigMapManifest(cfg),
        mcpSecretProviderClassManifest(cfg, { ...identity, vaultName: inputs.vaultName }),
        mcpDeploymentManifest(cfg, inputs.image),
        mcpServiceManifest(cfg),
        mcpPodDisruptionBudgetManifest(cfg),
        mcpHorizontalPodAutoscalerManifest(cfg),
    ];
}
