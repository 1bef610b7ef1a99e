/**
 * The cluster workloads layer: namespace, network policies, Qdrant, one McpServer per configured server and
 * the edge in front of them, on the cluster behind `provider`. It takes plain inputs from the Azure layer and
 * imports no Azure SDK module, so it could be pointed at another cluster and is tested on its own.
 */
import * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";
import { StackConfig, mcpServerList } from "../config";
import type { ServerTarget } from "../access";
import { Edge } from "./edge";
import { McpServer } from "./mcp-server";
import { mcpRoutes } from "./specs";
import { Namespace } from "./namespace";
import { NetworkPolicies } from "./network-policies";
import { Qdrant } from "./qdrant";
import { SmokeTest } from "./smoke-test";
import { edgeSmokeTarget, mcpServerTargets } from "./specs/smoke-test";
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

/** What one server takes from the layers before: its identity, image and what its rollout waits for. */
export interface ServerInputs {
    /** Client id of the server's own user-assigned identity. */
    readonly identityClientId: pulumi.Input<string>;
    /** The server's image in the stack's ACR; an Output of its build or import, so the rollout waits for it. */
    readonly image: pulumi.Input<string>;
    /** Azure resources its first rollout must wait for (its federated credential, Key Vault roles, secrets). */
    readonly azureDependencies?: pulumi.Input<pulumi.Resource>[];
}

export interface McpWorkloadsArgs {
    /** Kubernetes provider for the cluster the stack made. */
    readonly provider: k8s.Provider;
    /** The validated stack config (only the workload parts are read). */
    readonly config: StackConfig;
    /** Per MCP server (every key of config.mcpServers): identity, image, dependencies. */
    readonly servers: Readonly<Record<string, ServerInputs>>;
    /** Entra tenant id of the identities and of the vault. */
    readonly tenantId: pulumi.Input<string>;
    /** Name of the Key Vault that holds the API keys. */
    readonly vaultName: pulumi.Input<string>;
    /** Resource group (a plain name) that holds Qdrant's disks, outside the cluster's MC_ group. */
    readonly dataResourceGroupName: pulumi.Input<string>;
    /** Pinned image with sh and curl for the post-deploy smoke test. */
    readonly smokeTestImage: pulumi.Input<string>;
    /**
     * What every pod's first image pull from the stack's registry needs (the kubelet's AcrPull grant). It is
     * created right after the cluster, so without the wait a first rollout can race it into ImagePullBackOff
     * and its retry backoff.
     */
    readonly imagePullDependencies?: pulumi.Input<pulumi.Resource>[];
    /** Qdrant image in the stack's ACR; an Output of its import, so the StatefulSet waits for it. */
    readonly qdrantImage: pulumi.Input<string>;
    /** Where Qdrant's snapshots go; undefined when qdrant.backup.enabled is false. */
    readonly backup?: QdrantBackupInputs;
    /** The edge's Azure side: its identity, the app registration, the secrets and what its rollout waits for. */
    readonly edge: {
        /** Pinned agentgateway image reference (in the stack's ACR). */
        readonly image: pulumi.Input<string>;
        /** Pinned Caddy image reference (in the stack's ACR), for letsEncrypt mode. */
        readonly acmeImage?: pulumi.Input<string>;
        /** Client id of the managed identity the edge pods federate to. */
        readonly identityClientId: pulumi.Input<string>;
        /** Application (client) id of the app registration MCP clients sign in to. */
        readonly entraClientId: pulumi.Input<string>;
        /** Whether the vault holds a client secret of that app. */
        readonly hasClientSecret: boolean;
        /** Federated credential, vault role and secrets the first edge rollout waits for. */
        readonly dependencies: pulumi.Input<pulumi.Resource>[];
    };
}

export class McpWorkloads extends pulumi.ComponentResource {
    readonly namespace: pulumi.Output<string>;
    /** One URL per MCP server behind the edge (`<base>/mcp/<server>`). */
    readonly serverUrls: Record<string, string>;
    /** The edge load balancer's address (keyVault and letsEncrypt modes; point the DNS name at it), "" otherwise. */
    readonly edgeAddress: pulumi.Output<string>;
    /** The rendered gateway config (no secrets). */
    readonly edgeGatewayConfig: pulumi.Output<string>;
    readonly qdrantServiceName: pulumi.Output<string>;
    /** Each server's Service, in name order: what the edge routes `/mcp/<name>` to and `npm run connect` forwards. */
    readonly servers: pulumi.Output<ServerTarget[]>;
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
        // Pods start only after the policies exist, so no pod ever runs with unrestricted traffic, and after
        // the kubelet may pull from the registry.
        const guarded = [...namespaced, ...policies.policies, ...(args.imagePullDependencies ?? [])];

        const qdrant = new Qdrant(`${name}-qdrant`, { config: cfg, diskResourceGroup: args.dataResourceGroupName, image: args.qdrantImage, dependsOn: guarded }, child);
        const rollouts: pulumi.Resource[] = [];
        const targets = mcpServerList(cfg).map((server) => {
            const inputs = args.servers[server.name];
            if (!inputs) throw new Error(`McpWorkloads: no identity or image for MCP server "${server.name}"`);
            const mcp = new McpServer(
                `${name}-${server.name}`,
                {
                    config: cfg,
                    server,
                    identityClientId: inputs.identityClientId,
                    tenantId: args.tenantId,
                    vaultName: args.vaultName,
                    image: inputs.image,
                    dependsOn: guarded,
                    // Qdrant first for its users: the server connects at start, and the key Secret must exist
                    // for the env var.
                    rolloutDependencies: [...(inputs.azureDependencies ?? []), ...(server.usesQdrant ? [qdrant.apiKeySecret, qdrant.statefulSet] : [])],
                },
                child,
            );
            rollouts.push(...mcp.rollout);
            return pulumi
                .all([mcp.serviceName, namespace.name])
                .apply(([service, ns]): ServerTarget => ({ name: server.name, namespace: ns, service, port: server.port, path: server.path }));
        });

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
        const edge = new Edge(
            `${name}-edge`,
            {
                config: cfg,
                routes: mcpRoutes(cfg),
                image: args.edge.image,
                acmeImage: args.edge.acmeImage,
                identityClientId: args.edge.identityClientId,
                tenantId: args.tenantId,
                vaultName: args.vaultName,
                entraClientId: args.edge.entraClientId,
                hasClientSecret: args.edge.hasClientSecret,
                dependsOn: guarded,
                rolloutDependencies: args.edge.dependencies,
            },
            child,
        );

        // Last: `pulumi up` succeeds only once every server answers health, initialize and tools/list, and
        // every edge route answers a call without a token with the 401 challenge naming its metadata.
        const serverImages = Object.fromEntries(mcpServerList(cfg).map((server) => [server.name, args.servers[server.name].image]));
        const smokeTest = new SmokeTest(
            `${name}-smoke-test`,
            {
                config: cfg,
                image: args.smokeTestImage,
                serverImages,
                targets: mcpServerTargets(cfg),
                edge: edgeSmokeTarget(cfg),
                edgeRevision: { image: args.edge.image, config: edge.gatewayConfig },
                dependsOn: [...guarded, ...rollouts, ...edge.rollout],
            },
            child,
        );

        this.namespace = namespace.name;
        this.qdrantServiceName = qdrant.serviceName;
        this.servers = pulumi.all(targets);
        this.serverUrls = edge.serverUrls;
        this.edgeAddress = edge.loadBalancerAddress;
        this.edgeGatewayConfig = edge.gatewayConfig;
        this.smokeTestJobName = smokeTest.jobName;
        this.registerOutputs({ namespace: this.namespace, qdrantServiceName: this.qdrantServiceName, servers: this.servers, serverUrls: this.serverUrls, edgeAddress: this.edgeAddress, smokeTestJobName: this.smokeTestJobName });
    }
}
