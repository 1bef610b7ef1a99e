/**
 * Every Kubernetes object of the workloads layer as plain manifests, in creation order. The components
 * create exactly these; tests and tooling render them without the Pulumi runtime.
 */
import { McpServerConfig, StackConfig, mcpServerList } from "../../config";
import { Str, WorkloadConfig } from "./common";
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
    /** Client id of each server's own identity, by server name. */
    readonly identityClientIds: Readonly<Record<string, S>>;
    readonly tenantId: S;
    readonly vaultName: S;
    /** Each server's image in the stack's ACR (its build, or the configured image), by server name. */
    readonly images: Readonly<Record<string, S>>;
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

/** One server's objects, in creation order; the SecretProviderClass only when it reads keys. */
export function mcpServerManifests<S extends Str = string>(cfg: WorkloadConfig, server: McpServerConfig, inputs: { clientId: S; tenantId: S; vaultName: S; image: S }) {
    const identity = { clientId: inputs.clientId, tenantId: inputs.tenantId };
    const spc = mcpSecretProviderClassManifest(cfg, server, { ...identity, vaultName: inputs.vaultName });
    return [
        mcpServiceAccountManifest(cfg, server, identity),
        mcpConfigMapManifest(cfg, server),
        ...(spc ? [spc] : []),
        mcpDeploymentManifest(cfg, server, inputs.image),
        mcpServiceManifest(cfg, server),
        mcpPodDisruptionBudgetManifest(cfg, server),
        mcpHorizontalPodAutoscalerManifest(cfg, server),
    ];
}

export function workloadManifests<S extends Str = string>(cfg: StackConfig, inputs: WorkloadInputs<S>) {
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
        ...mcpServerList(cfg).flatMap((server) =>
            mcpServerManifests(cfg, server, {
                clientId: inputs.identityClientIds[server.name],
                tenantId: inputs.tenantId,
                vaultName: inputs.vaultName,
                image: inputs.images[server.name],
            }),
        ),
    ];
}
