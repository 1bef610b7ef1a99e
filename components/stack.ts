/**
 * The composition root of one stack: config -> Azure platform -> Kubernetes provider -> workloads ->
 * outputs. index.ts calls it with the validated config; the tests and the offline plan call it under
 * mocks, so all three evaluate the same program.
 */
import * as pulumi from "@pulumi/pulumi";
import { StackConfig, mcpServerList } from "./config";
import { AzurePlatform } from "./azure/platform";
import { McpWorkloads, ServerInputs } from "./cluster/workloads";
import { clientConfigs, clientServerName, McpServerEntry, STACK_OUTPUTS } from "./client-config";
import { edgePublicBaseUrl, edgeServicePort, EDGE_NAMES } from "./cluster/specs/edge";
import { estimateCost } from "./cost";

export function createStack(config: StackConfig) {
    const platform = new AzurePlatform("platform", { config });
    const servers: Record<string, ServerInputs> = {};
    for (const server of mcpServerList(config)) {
        const identity = platform.serverIdentities[server.name];
        servers[server.name] = {
            identityClientId: identity.clientId,
            image: platform.serverImages[server.name],
            azureDependencies: identity.dependencies,
        };
    }
    const workloads = new McpWorkloads("workloads", {
        provider: platform.provider,
        config,
        servers,
        tenantId: platform.tenantId,
        vaultName: platform.vaultName,
        dataResourceGroupName: platform.dataResourceGroupName,
        qdrantImage: platform.images.qdrant,
        smokeTestImage: platform.images.curl,
        imagePullDependencies: [platform.imagePullGrant],
        backup: platform.backup && {
            target: {
                clientId: platform.backup.identityClientId,
                tenantId: platform.tenantId,
                blobEndpoint: platform.backup.blobEndpoint,
                containerName: platform.backup.containerName,
            },
            // The in-ACR copy of images.curl, like every image the cluster runs.
            image: platform.images.curl,
            dependencies: platform.backup.dependencies,
        },
        edge: {
            // The in-ACR copies of images.agentgateway and images.caddy (letsEncrypt mode).
            image: platform.images.agentgateway,
            acmeImage: platform.images.caddy,
            identityClientId: platform.edgeIdentityClientId,
            entraClientId: platform.entraClientId,
            hasClientSecret: platform.edgeHasClientSecret,
            dependencies: platform.edgeDependencies,
        },
    });
    // Each server's URL at the edge, known from config alone (localhost through `npm run connect` in private
    // mode, the public name otherwise), so the client documents exist from the first preview on.
    const entries: McpServerEntry[] = mcpServerList(config).map((server) => ({
        name: clientServerName(config.stack, server.name),
        url: workloads.serverUrls[server.name],
        description: `MCP server ${server.name} of stack ${config.stack}`,
    }));
    // The sign-in client id is the app registration's: known once it exists (or at once with existingAppId).
    const clientConfig = platform.entraClientId.apply((oauthClientId) => clientConfigs(entries.map((e) => ({ ...e, oauthClientId }))));

    return {
        environment: config.environment,
        resourceGroupName: platform.resourceGroupName,
        dataResourceGroupName: platform.dataResourceGroupName,
        clusterName: platform.clusterName,
        oidcIssuerUrl: platform.oidcIssuerUrl,
        acrLoginServer: platform.registryLoginServer,
        /** Client id of each MCP server's identity, by server name. */
        serverIdentityClientIds: pulumi.all(Object.fromEntries(Object.entries(servers).map(([name, s]) => [name, s.identityClientId]))),
        /** The image each MCP server's Deployment runs (in the stack's ACR), by server name. */
        serverImages: pulumi.all(platform.serverImages),
        /** The in-ACR copy of each third-party image, by config name (`images.curl` for jobs that need curl). */
        images: pulumi.all(platform.images),
        keyVaultName: platform.vaultName,
        keyVaultUri: platform.vaultUri,
        kubeconfig: pulumi.secret(platform.kubeconfig),
        namespace: workloads.namespace,
        qdrantServiceName: workloads.qdrantServiceName,
        smokeTestJob: workloads.smokeTestJobName,
        qdrant: {
            replicas: config.qdrant.replicas,
            replicationFactor: config.qdrant.replicationFactor,
            writeConsistencyFactor: config.qdrant.writeConsistencyFactor,
        },
        qdrantBackup: platform.backup && {
            schedule: config.qdrant.backup.schedule,
            retentionDays: config.qdrant.backup.retentionDays,
            storageAccount: platform.backup.accountName,
            container: platform.backup.containerName,
            blobEndpoint: platform.backup.blobEndpoint,
            identityClientId: platform.backup.identityClientId,
            cronJob: workloads.backupCronJobName,
        },
        // List-price estimate from the declared config (components/cost.ts); README "Cost" shows the same numbers.
        costEstimate: estimateCost(config),
        [STACK_OUTPUTS.servers]: workloads.servers,
        /** The edge: how to reach it (`npm run connect` forwards it in private mode) and each server's URL. */
        [STACK_OUTPUTS.edge]: pulumi.all([workloads.namespace, workloads.edgeAddress, platform.entraClientId]).apply(([namespace, address, clientId]) => ({
            exposure: config.edge.tls.mode,
            namespace,
            service: EDGE_NAMES.edge,
            port: edgeServicePort(config),
            baseUrl: edgePublicBaseUrl(config),
            clientId,
            address,
            urls: workloads.serverUrls,
        })),
        entraClientId: platform.entraClientId,
        [STACK_OUTPUTS.clientConfig]: clientConfig,
        [STACK_OUTPUTS.mcpJson]: clientConfig.mcp,
        [STACK_OUTPUTS.vscodeMcpJson]: clientConfig.vscode,
        [STACK_OUTPUTS.claudeDesktopConfig]: clientConfig.claude,
    };
}
