/**
 * Every Kubernetes object of the workloads layer as plain manifests, in creation order. The components
 * create exactly these; tests and tooling render them without the Pulumi runtime.
 */
import { McpServerConfig, StackConfig, mcpServerList } from "../../config";
import { Str, WorkloadConfig, mcpNames } from "./common";
import { acmeClaimManifest, acmeConfigMapManifest } from "./edge-acme";
import { EdgeGatewaySettings, EdgeRouteTarget, edgeGatewayConfig, renderEdgeGatewayConfig } from "./edge-gateway";
import {
    EDGE_KEYVAULT_PATH,
    EDGE_TLS_FILE,
    edgeConfigChecksum,
    edgeConfigMapManifest,
    edgeDeploymentManifest,
    edgeHorizontalPodAutoscalerManifest,
    edgePodDisruptionBudgetManifest,
    edgePolicyManifest,
    edgePublicBaseUrl,
    edgeSecretProviderClassManifest,
    edgeServiceAccountManifest,
    edgeServiceManifest,
} from "./edge";
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

/** The MCP servers behind the edge: `/mcp/<name>` goes to the Service `<name>-mcp` on the server's port and path. */
export function mcpRoutes(cfg: Pick<StackConfig, "mcpServers">): EdgeRouteTarget[] {
    return mcpServerList(cfg).map((s) => ({ name: s.name, serviceName: mcpNames(s.name).app, port: s.port, path: s.path }));
}

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
    /** The edge: its managed identity, the app registration's client id and the agentgateway image. */
    readonly edgeIdentityClientId: S;
    readonly entraClientId: string;
    readonly edgeImage: S;
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


/** The edge's gateway settings for a config: the routes, the listener of its TLS mode, the app registration. */
export function edgeSettings(
    cfg: StackConfig,
    routes: readonly EdgeRouteTarget[],
    entra: { tenantId: string; clientId: string; hasClientSecret: boolean },
): EdgeGatewaySettings {
    return {
        namespace: cfg.namespace,
        publicBaseUrl: edgePublicBaseUrl(cfg),
        listener: cfg.edge.tls.mode === "keyVault" ? { protocol: "HTTPS", certFile: `${EDGE_KEYVAULT_PATH}/${EDGE_TLS_FILE}` } : { protocol: "HTTP" },
        routes,
        entra: { ...entra, requireAppRoles: cfg.edge.entra.requireAppRoles },
    };
}

export function workloadManifests(cfg: StackConfig, inputs: WorkloadInputs<string>) {
    const pdb = qdrantPodDisruptionBudgetManifest(cfg);
    const target = { clientId: inputs.backupIdentityClientId, tenantId: inputs.tenantId, blobEndpoint: inputs.blobEndpoint, containerName: inputs.backupContainer };
    const backup = cfg.qdrant.backup.enabled
        ? [backupServiceAccountManifest(cfg, target), backupScriptsConfigMapManifest(cfg), backupSettingsConfigMapManifest(cfg, target), backupCronJobManifest(cfg, inputs.backupImage)]
        : [];
    const edgeIdentity = { clientId: inputs.edgeIdentityClientId, tenantId: inputs.tenantId };
    const hasClientSecret = true;
    const gatewayYaml = renderEdgeGatewayConfig(edgeGatewayConfig(edgeSettings(cfg, mcpRoutes(cfg), { tenantId: inputs.tenantId, clientId: inputs.entraClientId, hasClientSecret })));
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
        edgeServiceAccountManifest(cfg, edgeIdentity),
        edgeConfigMapManifest(cfg, gatewayYaml),
        edgeSecretProviderClassManifest(cfg, { ...edgeIdentity, vaultName: inputs.vaultName }, hasClientSecret),
        edgePolicyManifest(cfg, mcpRoutes(cfg)),
        ...(cfg.edge.tls.mode === "letsEncrypt" ? [acmeConfigMapManifest(cfg), acmeClaimManifest(cfg)] : []),
        edgeDeploymentManifest(cfg, inputs.edgeImage, edgeConfigChecksum(cfg, gatewayYaml), hasClientSecret),
        edgeServiceManifest(cfg),
        edgePodDisruptionBudgetManifest(cfg),
        edgeHorizontalPodAutoscalerManifest(cfg),
    ];
}
