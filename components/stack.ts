/**
 * The composition root of one stack: config -> Azure platform -> Kubernetes provider -> workloads ->
 * outputs. index.ts calls it with the validated config; the tests and the offline plan call it under
 * mocks, so all three evaluate the same program.
 */
import * as pulumi from "@pulumi/pulumi";
import { StackConfig } from "./config";
import { AzurePlatform } from "./azure/platform";
import { McpWorkloads } from "./cluster/workloads";
import { resolveImage } from "./image";
import { clientConfigs, defaultServerName, STACK_OUTPUTS } from "./client-config";

/**
 * Interim runner image of the smoke test, pinned by tag, until the stack imports `images.curl` into its
 * own ACR (issue 8, images part); then the in-ACR reference replaces it here.
 */
export const INTERIM_SMOKE_TEST_IMAGE = "docker.io/curlimages/curl:8.11.1";

export function createStack(config: StackConfig) {
    const platform = new AzurePlatform("platform", { config });
    const workloads = new McpWorkloads("workloads", {
        provider: platform.provider,
        config,
        identityClientId: platform.identityClientId,
        tenantId: platform.tenantId,
        vaultName: platform.vaultName,
        image: platform.registryLoginServer.apply((server) => resolveImage(config.mcpServer.image, server)),
        azureDependencies: platform.workloadDependencies,
        smokeTestImage: INTERIM_SMOKE_TEST_IMAGE,
    });
    const serverName = defaultServerName(config.stack);
    const servers = workloads.endpointUrl.apply((url) => (url ? [{ name: serverName, url }] : []));
    // Undefined until the load balancer has an address; the client-config CLI explains the wait.
    const clientConfig = pulumi.all([workloads.endpointUrl, servers]).apply(([url, list]) => clientConfigs(url, list, { stack: config.stack }));

    return {
        environment: config.environment,
        resourceGroupName: platform.resourceGroupName,
        clusterName: platform.clusterName,
        oidcIssuerUrl: platform.oidcIssuerUrl,
        acrLoginServer: platform.registryLoginServer,
        identityClientId: platform.identityClientId,
        keyVaultName: platform.vaultName,
        keyVaultUri: platform.vaultUri,
        kubeconfig: pulumi.secret(platform.kubeconfig),
        namespace: workloads.namespace,
        mcpServiceName: workloads.mcpServiceName,
        qdrantServiceName: workloads.qdrantServiceName,
        smokeTestJob: workloads.smokeTestJobName,
        [STACK_OUTPUTS.endpoint]: workloads.endpointUrl,
        [STACK_OUTPUTS.servers]: servers,
        [STACK_OUTPUTS.clientConfig]: clientConfig,
        [STACK_OUTPUTS.mcpJson]: clientConfig.apply((c) => c?.mcp),
        [STACK_OUTPUTS.vscodeMcpJson]: clientConfig.apply((c) => c?.vscode),
        [STACK_OUTPUTS.claudeDesktopConfig]: clientConfig.apply((c) => c?.claude),
    };
}
