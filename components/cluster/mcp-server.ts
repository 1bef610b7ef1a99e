/**
 * The MCP server: workload-identity ServiceAccount, settings, Key Vault secrets through the CSI driver, an
 * autoscaled Deployment with per-replica index storage, and the LoadBalancer endpoint.
 */
import * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";
import type { StackConfig } from "../config";
import {
    endpointUrlFromStatus,
    mcpConfigMapManifest,
    mcpDeploymentManifest,
    mcpHorizontalPodAutoscalerManifest,
    mcpPodDisruptionBudgetManifest,
    mcpSecretProviderClassManifest,
    mcpServiceAccountManifest,
    mcpServiceManifest,
} from "./specs/mcp-server";

export interface McpServerArgs {
    /** The validated stack config (namespace, mcpServer, endpoint, apiKeys). */
    readonly config: StackConfig;
    /** Client id of the user-assigned managed identity the pods federate to. */
    readonly identityClientId: pulumi.Input<string>;
    /** Entra tenant id of that identity and of the vault. */
    readonly tenantId: pulumi.Input<string>;
    /** Name of the Key Vault that holds the API keys. */
    readonly vaultName: pulumi.Input<string>;
    /** Pinned MCP server image reference. */
    readonly image: pulumi.Input<string>;
    /** What every namespaced object waits for: the namespace, the priority class, the network policies. */
    readonly dependsOn: pulumi.Input<pulumi.Resource>[];
    /** What the first rollout also waits for: the Azure identity, role and secrets, and Qdrant's key. */
    readonly rolloutDependencies: pulumi.Input<pulumi.Resource>[];
}

export class McpServer extends pulumi.ComponentResource {
    readonly serviceName: pulumi.Output<string>;
    readonly serviceAccountName: pulumi.Output<string>;
    readonly deploymentName: pulumi.Output<string>;
    /** The Deployment and the Service, for what must wait until the server is rolled out and reachable. */
    readonly rollout: pulumi.Resource[];
    /** `http://<lb-address>/mcp`; empty until Azure assigns the address. */
    readonly endpointUrl: pulumi.Output<string>;

    constructor(name: string, args: McpServerArgs, opts?: pulumi.ComponentResourceOptions) {
        super("mcp-aks:cluster:McpServer", name, {}, opts);
        const cfg = args.config;
        const inNamespace = { parent: this, dependsOn: args.dependsOn };

        const serviceAccount = new k8s.core.v1.ServiceAccount(
            `${name}-service-account`,
            mcpServiceAccountManifest(cfg, { clientId: args.identityClientId, tenantId: args.tenantId }),
            inNamespace,
        );
        const configMap = new k8s.core.v1.ConfigMap(`${name}-config`, mcpConfigMapManifest(cfg), inNamespace);
        const secretProviderClass = new k8s.apiextensions.CustomResource(
            `${name}-secret-provider-class`,
            mcpSecretProviderClassManifest(cfg, { clientId: args.identityClientId, tenantId: args.tenantId, vaultName: args.vaultName }),
            inNamespace,
        );

        const deployment = new k8s.apps.v1.Deployment(`${name}-deployment`, mcpDeploymentManifest(cfg, args.image), {
            parent: this,
            // Without the federated credential, the vault role and the secrets, the CSI mount fails and the
            // first pods sit in ContainerCreating until the rollout times out.
            dependsOn: [...args.dependsOn, ...args.rolloutDependencies, serviceAccount, configMap, secretProviderClass],
        });
        const service = new k8s.core.v1.Service(`${name}-service`, mcpServiceManifest(cfg), inNamespace);
        new k8s.policy.v1.PodDisruptionBudget(`${name}-pdb`, mcpPodDisruptionBudgetManifest(cfg), inNamespace);
        new k8s.autoscaling.v2.HorizontalPodAutoscaler(`${name}-hpa`, mcpHorizontalPodAutoscalerManifest(cfg), {
            parent: this,
            dependsOn: [...args.dependsOn, deployment],
        });

        this.serviceName = service.metadata.name;
        this.serviceAccountName = serviceAccount.metadata.name;
        this.deploymentName = deployment.metadata.name;
        this.rollout = [deployment, service];
        this.endpointUrl = service.status.apply((status) => endpointUrlFromStatus(status));
        this.registerOutputs({
            serviceName: this.serviceName,
            serviceAccountName: this.serviceAccountName,
            deploymentName: this.deploymentName,
            endpointUrl: this.endpointUrl,
        });
    }
}
