/**
 * The cluster workloads layer: namespace, network policies, Qdrant and the MCP server, on the cluster
 * behind `provider`. It takes plain inputs from the Azure layer and imports no Azure SDK module, so it
 * could be pointed at another cluster and is tested on its own.
 */
import * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";
import type { StackConfig } from "../config";
import { McpServer } from "./mcp-server";
import { Namespace } from "./namespace";
import { NetworkPolicies } from "./network-policies";
import { Qdrant } from "./qdrant";
import { SmokeTest } from "./smoke-test";
import { mcpServerTargets } from "./specs/smoke-test";
import { QdrantBackup } from "./qdrant-backup";
import type { BackupTargetInputs } from "./specs/qdrant-backup";

/** The snapshot target from the Azure layer, as plain inputs. */
export interface QdrantBackupInputs {
    /** Backup identity, tenant, blob endpoint and container. */
    readonly target: BackupTargetInputs<pulumi.Input<string>>;
    /** The curl image the backup job runs, as a reference in the stack's ACR. */
    readonly image: pulumi.Input<string>;
    /** Azure resources the first backup run must wait for (federated credential, role). */
    readonly dependencies?: pulumi.Input<pulumi.Resource>[];
}

export interface McpWorkloadsArgs {
    /** Kubernetes provider for the cluster the stack made. */
    readonly provider: k8s.Provider;
    /** The validated stack config (only the workload parts are read). */
    readonly config: StackConfig;
    /** Client id of the user-assigned managed identity the MCP pods federate to. */
    readonly identityClientId: pulumi.Input<string>;
    /** Entra tenant id of that identity and of the vault. */
    readonly tenantId: pulumi.Input<string>;
    /** Name of the Key Vault that holds the API keys. */
    readonly vaultName: pulumi.Input<string>;
    /** MCP server image in the stack's ACR; an Output of its build or import, so the rollout waits for it. */
    readonly image: pulumi.Input<string>;
    /** Resource group (a plain name) that holds Qdrant's disks, outside the cluster's MC_ group. */
    readonly dataResourceGroupName: pulumi.Input<string>;
    /** Pinned image with sh and curl for the post-deploy smoke test. */
    readonly smokeTestImage: pulumi.Input<string>;
    /** Qdrant image in the stack's ACR; an Output of its import, so the StatefulSet waits for it. */
    readonly qdrantImage: pulumi.Input<string>;
    /** Azure resources the first MCP rollout must wait for (federated credential, Key Vault role, secrets). */
    readonly azureDependencies?: pulumi.Input<pulumi.Resource>[];
    /** Where Qdrant's snapshots go; undefined when qdrant.backup.enabled is false. */
    readonly backup?: QdrantBackupInputs;
}

export class McpWorkloads extends pulumi.ComponentResource {
    readonly namespace: pulumi.Output<string>;
    /** `http://<lb-ip>/mcp` from the Service status (ingress ip, or hostname). */
    readonly endpointUrl: pulumi.Output<string>;
    readonly mcpServiceName: pulumi.Output<string>;
    readonly qdrantServiceName: pulumi.Output<string>;
    readonly serviceAccountName: pulumi.Output<string>;
    /** Name of the smoke-test Job of this update. */
    readonly smokeTestJobName: pulumi.Output<string>;
    /** The backup CronJob's name; undefined without backups. */
    readonly backupCronJobName?: pulumi.Output<string>;

    constructor(name: string, args: McpWorkloadsArgs, opts?: pulumi.ComponentResourceOptions) {
        super("mcp-aks:cluster:McpWorkloads", name, {}, opts);
        const cfg = args.config;
        // Every Kubernetes object below inherits the provider from its parent chain; none may fall back
        // to the ambient kubeconfig, which could point at any cluster.
        const child = { parent: this, providers: { kubernetes: args.provider } };

        const namespace = new Namespace(`${name}-namespace`, { config: cfg }, child);
        const namespaced = [namespace.namespace];
        const policies = new NetworkPolicies(`${name}-network-policies`, { config: cfg, dependsOn: namespaced }, child);
        // Pods start only after the policies exist, so no pod ever runs with unrestricted traffic.
        const guarded = [...namespaced, ...policies.policies];

        const qdrant = new Qdrant(`${name}-qdrant`, { config: cfg, diskResourceGroup: args.dataResourceGroupName, image: args.qdrantImage, dependsOn: guarded }, child);
        const mcp = new McpServer(
            `${name}-mcp-server`,
            {
                config: cfg,
                identityClientId: args.identityClientId,
                tenantId: args.tenantId,
                vaultName: args.vaultName,
                image: args.image,
                dependsOn: guarded,
                // Qdrant first: the server connects at start, and its key Secret must exist for the env var.
                rolloutDependencies: [...(args.azureDependencies ?? []), qdrant.apiKeySecret, qdrant.statefulSet],
            },
            child,
        );

        // Last: `pulumi up` succeeds only once the server answers health, initialize and tools/list.
        const smokeTest = new SmokeTest(
            `${name}-smoke-test`,
            { config: cfg, image: args.smokeTestImage, serverImage: args.image, targets: mcpServerTargets(cfg), dependsOn: [...guarded, ...mcp.rollout] },
            child,
        );
        if (args.backup) {
            const backup = new QdrantBackup(
                `${name}-qdrant-backup`,
                {
                    config: cfg,
                    image: args.backup.image,
                    target: args.backup.target,
                    dependsOn: guarded,
                    runDependencies: [...(args.backup.dependencies ?? []), qdrant.apiKeySecret, qdrant.statefulSet],
                },
                child,
            );
            this.backupCronJobName = backup.cronJobName;
        }

        this.namespace = namespace.name;
        this.smokeTestJobName = smokeTest.jobName;
        this.endpointUrl = mcp.endpointUrl;
        this.mcpServiceName = mcp.serviceName;
        this.qdrantServiceName = qdrant.serviceName;
        this.serviceAccountName = mcp.serviceAccountName;
        this.registerOutputs({
            namespace: this.namespace,
            endpointUrl: this.endpointUrl,
            mcpServiceName: this.mcpServiceName,
            qdrantServiceName: this.qdrantServiceName,
            serviceAccountName: this.serviceAccountName,
            smokeTestJobName: this.smokeTestJobName,
        });
    }
}
