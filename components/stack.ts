/**
 * The composition root of one stack: config -> Azure platform -> Kubernetes provider -> workloads ->
 * outputs. index.ts calls it with the validated config; the tests and the offline plan call it under
 * mocks, so all three evaluate the same program.
 */
import * as pulumi from "@pulumi/pulumi";
import { StackConfig } from "./config";
import { AzurePlatform } from "./azure/platform";
import { McpWorkloads } from "./cluster/workloads";
import { clientConfigs, defaultServerName, STACK_OUTPUTS } from "./client-config";
import { estimateCost } from "./cost";

export function createStack(config: StackConfig) {
    const platform = new AzurePlatform("platform", { config });
    const workloads = new McpWorkloads("workloads", {
        provider: platform.provider,
        config,
        identityClientId: platform.identityClientId,
        tenantId: platform.tenantId,
        vaultName: platform.vaultName,
        dataResourceGroupName: platform.dataResourceGroupName,
        image: platform.mcpServerImage,
        qdrantImage: platform.images.qdrant,
        azureDependencies: platform.workloadDependencies,
        smokeTestImage: platform.images.curl,
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
    });
    const serverName = defaultServerName(config.stack);
    const servers = workloads.endpointUrl.apply((url) => (url ? [{ name: serverName, url }] : []));
    // Undefined until the load balancer has an address; the client-config CLI explains the wait.
    const clientConfig = pulumi.all([workloads.endpointUrl, servers]).apply(([url, list]) => clientConfigs(url, list, { stack: config.stack }));

    return {
        environment: config.environment,
        resourceGroupName: platform.resourceGroupName,
        dataResourceGroupName: platform.dataResourceGroupName,
        clusterName: platform.clusterName,
        oidcIssuerUrl: platform.oidcIssuerUrl,
        acrLoginServer: platform.registryLoginServer,
        /** The MCP server image the Deployment runs (in the stack's ACR). */
        mcpServerImage: platform.mcpServerImage,
        /** The in-ACR copy of each third-party image, by config name (`images.curl` for jobs that need curl). */
        images: pulumi.all(platform.images),
        identityClientId: platform.identityClientId,
        keyVaultName: platform.vaultName,
        keyVaultUri: platform.vaultUri,
        kubeconfig: pulumi.secret(platform.kubeconfig),
        namespace: workloads.namespace,
        mcpServiceName: workloads.mcpServiceName,
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
        [STACK_OUTPUTS.endpoint]: workloads.endpointUrl,
        [STACK_OUTPUTS.servers]: servers,
        [STACK_OUTPUTS.clientConfig]: clientConfig,
        [STACK_OUTPUTS.mcpJson]: clientConfig.apply((c) => c?.mcp),
        [STACK_OUTPUTS.vscodeMcpJson]: clientConfig.apply((c) => c?.vscode),
        [STACK_OUTPUTS.claudeDesktopConfig]: clientConfig.apply((c) => c?.claude),
    };
}
