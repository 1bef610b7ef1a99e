/**
 * One MCP server (an entry of mcpServers): its workload-identity ServiceAccount, settings, its own Key Vault
 * secrets through the CSI driver, an autoscaled Deployment with per-replica index storage, and a ClusterIP
 * Service that only the edge (and `npm run connect`) reaches.
 */
import * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";
import type { McpServerConfig } from "../config";
import type { WorkloadConfig } from "./specs/common";
import {
    mcpConfigMapManifest,
    mcpDeploymentManifest,
    mcpHorizontalPodAutoscalerManifest,
    mcpPodDisruptionBudgetManifest,
    mcpSecretProviderClassManifest,
    mcpServiceAccountManifest,
    mcpServiceManifest,
} from "./specs/mcp-server";

export interface McpServerArgs {
    /** The validated stack config (namespace, cluster zones). */
    readonly config: WorkloadConfig;
    /** This server's entry of mcpServers. */
    readonly server: McpServerConfig;
    /** Client id of the server's own user-assigned managed identity, which its pods federate to. */
    readonly identityClientId: pulumi.Input<string>;
    /** Entra tenant id of that identity and of the vault. */
    readonly tenantId: pulumi.Input<string>;
    /** Name of the Key Vault that holds the API keys. */
    readonly vaultName: pulumi.Input<string>;
    /** Pinned image reference of this server. */
    readonly image: pulumi.Input<string>;
    /** What every namespaced object waits for: the namespace, the priority class, the network policies. */
    readonly dependsOn: pulumi.Input<pulumi.Resource>[];
    /** What the first rollout also waits for: its Azure identity, roles and secrets, and Qdrant if it uses it. */
    readonly rolloutDependencies: pulumi.Input<pulumi.Resource>[];
}

export class McpServer extends pulumi.ComponentResource {
    readonly serviceName: pulumi.Output<string>;
    readonly serviceAccountName: pulumi.Output<string>;
    readonly deploymentName: pulumi.Output<string>;
    /** The Deployment and the Service, for what must wait until the server is rolled out and reachable. */
    readonly rollout: pulumi.Resource[];

    constructor(name: string, args: McpServerArgs, opts?: pulumi.ComponentResourceOptions) {
        super("mcp-aks:cluster:McpServer", name, {}, opts);
        const { config: cfg, server } = args;
        const inNamespace = { parent: this, dependsOn: args.dependsOn };

        const serviceAccount = new k8s.core.v1.ServiceAccount(
            `${name}-service-account`,
            mcpServiceAccountManifest(cfg, server, { clientId: args.identityClientId, tenantId: args.tenantId }),
            inNamespace,
        );
        const configMap = new k8s.core.v1.ConfigMap(`${name}-config`, mcpConfigMapManifest(cfg, server), inNamespace);
        const spc = mcpSecretProviderClassManifest(cfg, server, { clientId: args.identityClientId, tenantId: args.tenantId, vaultName: args.vaultName });
        const secretProviderClass = spc ? [new k8s.apiextensions.CustomResource(`${name}-secret-provider-class`, spc, inNamespace)] : [];

        const deployment = new k8s.apps.v1.Deployment(`${name}-deployment`, mcpDeploymentManifest(cfg, server, args.image), {
            parent: this,
            // Without the federated credential, the vault roles and the secrets, the CSI mount fails and the
            // first pods sit in ContainerCreating until the rollout times out.
            dependsOn: [...args.dependsOn, ...args.rolloutDependencies, serviceAccount, configMap, ...secretProviderClass],
        });
        const service = new k8s.core.v1.Service(`${name}-service`, mcpServiceManifest(cfg, server), inNamespace);
        new k8s.policy.v1.PodDisruptionBudget(`${name}-pdb`, mcpPodDisruptionBudgetManifest(cfg, server), inNamespace);
        new k8s.autoscaling.v2.HorizontalPodAutoscaler(`${name}-hpa`, mcpHorizontalPodAutoscalerManifest(cfg, server), {
            parent: this,
            dependsOn: [...args.dependsOn, deployment],
        });

        this.serviceName = service.metadata.name;
        this.serviceAccountName = serviceAccount.metadata.name;
        this.deploymentName = deployment.metadata.name;
        this.rollout = [deployment, service];
        this.registerOutputs({
            serviceName: this.serviceName,
            serviceAccountName: this.serviceAccountName,
            deploymentName: this.deploymentName,
        });
    }
}
