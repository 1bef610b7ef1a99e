/**
 * The AKS cluster: Entra ID with Azure RBAC and no local accounts, OIDC issuer plus workload identity,
 * Azure CNI overlay with Cilium (so NetworkPolicies are enforced), the Key Vault CSI add-on with rotation,
 * auto-upgrade channels, image cleaner and monitoring. clusterSpec is pure so that every setting is
 * tested without mocks; the component only declares it.
 */
import * as pulumi from "@pulumi/pulumi";
import * as containerservice from "@pulumi/azure-native/containerservice";
import type * as azureInputs from "@pulumi/azure-native/types/input";
import { NodePoolConfig, StackConfig } from "../config";

/** The taint that keeps application pods off the system pool when a user pool exists. */
export const SYSTEM_POOL_TAINT = "CriticalAddonsOnly=true:NoSchedule";

export interface ClusterSpecInputs {
    /** The validated stack config. */
    readonly config: StackConfig;
    /** AKS resource name. */
    readonly clusterName: string;
    /** DNS prefix of the API server FQDN. */
    readonly dnsPrefix: string;
    /** Log Analytics workspace for Container Insights. */
    readonly workspaceId: pulumi.Input<string>;
    /** Entra tenant of the cluster's users. */
    readonly tenantId: pulumi.Input<string>;
}

type ManagedClusterSpec = Omit<containerservice.ManagedClusterArgs, "resourceGroupName">;
type AgentPoolSpec = azureInputs.containerservice.ManagedClusterAgentPoolProfileArgs;

function agentPool(name: string, mode: "System" | "User", pool: NodePoolConfig, zones: readonly string[], taints: string[]): AgentPoolSpec {
    return {
        name,
        mode,
        vmSize: pool.vmSize,
        osType: "Linux",
        // Azure Linux: smaller image and attack surface than Ubuntu, patched through node image upgrades.
        osSKU: "AzureLinux",
        osDiskType: pool.osDiskType,
        osDiskSizeGB: pool.osDiskSizeGB,
        type: "VirtualMachineScaleSets",
        enableAutoScaling: true,
        count: pool.minCount,
        minCount: pool.minCount,
        maxCount: pool.maxCount,
        availabilityZones: zones.length > 0 ? [...zones] : undefined,
        nodeTaints: taints.length > 0 ? taints : undefined,
        // One surge node at a time keeps upgrades within quota while never dropping below minCount.
        upgradeSettings: { maxSurge: "1" },
    };
}

/** The full ManagedCluster arguments for a stack config. Pure. */
export function clusterSpec(inputs: ClusterSpecInputs): ManagedClusterSpec {
    const { config } = inputs;
    const c = config.cluster;
    const hasUserPool = c.userPool !== null;
    const pools: AgentPoolSpec[] = [
        // With a user pool, the system pool carries only critical add-ons; without one (dev), it runs everything.
        agentPool("system", "System", c.systemPool, c.zones, hasUserPool ? [SYSTEM_POOL_TAINT] : []),
    ];
    if (c.userPool) pools.push(agentPool("user", "User", c.userPool, c.zones, []));

    return {
        location: config.location,
        resourceName: inputs.clusterName,
        dnsPrefix: inputs.dnsPrefix,
        kubernetesVersion: c.kubernetesVersion,
        sku: { name: "Base", tier: c.tier },
        identity: { type: "SystemAssigned" },
        agentPoolProfiles: pools,
        // Entra ID for authentication and Azure RBAC for authorization; local accounts off, so the
        // cluster-admin certificate (which cannot be revoked or audited per person) does not exist.
        disableLocalAccounts: true,
        enableRBAC: true,
        // The admin groups are also the cluster's Entra admin groups, which AKS binds to cluster-admin as
        // part of creating the cluster; Azure RBAC grants (platform.ts) are what authorize them with Azure
        // RBAC on. Users and the CI principal cannot be listed here (groups only).
        aadProfile: {
            managed: true,
            enableAzureRBAC: true,
            tenantID: inputs.tenantId,
            ...(config.access.adminGroups.length > 0 ? { adminGroupObjectIDs: [...config.access.adminGroups] } : {}),
        },
        oidcIssuerProfile: { enabled: true },
        securityProfile: {
            workloadIdentity: { enabled: true },
            // Removes unused images from nodes, which also removes their known vulnerabilities.
            imageCleaner: { enabled: true, intervalHours: 168 },
        },
        networkProfile: {
            networkPlugin: "azure",
            networkPluginMode: "overlay",
            // NetworkPolicies do nothing without an engine; Cilium enforces them in eBPF.
            networkDataplane: "cilium",
            networkPolicy: "cilium",
            podCidr: c.network.podCidr,
            serviceCidr: c.network.serviceCidr,
            dnsServiceIP: c.network.dnsServiceIp,
            loadBalancerSku: "standard",
            outboundType: "loadBalancer",
        },
        apiServerAccessProfile: c.authorizedIpRanges.length > 0 ? { authorizedIPRanges: [...c.authorizedIpRanges] } : undefined,
        autoUpgradeProfile: { upgradeChannel: c.upgradeChannel, nodeOSUpgradeChannel: c.nodeOsUpgradeChannel },
        addonProfiles: {
            azureKeyvaultSecretsProvider: {
                enabled: true,
                // Rotation re-reads Key Vault every two minutes, so a rotated API key reaches the mounted
                // files and the synced Secret without a redeploy.
                config: { enableSecretRotation: "true", rotationPollInterval: "2m" },
            },
            omsagent: {
                enabled: true,
                config: { logAnalyticsWorkspaceResourceID: inputs.workspaceId, useAADAuth: "true" },
            },
            // Azure Policy for AKS audits the cluster against the built-in baseline.
            azurepolicy: { enabled: true },
        },
        azureMonitorProfile: c.managedPrometheus ? { metrics: { enabled: true } } : undefined,
        storageProfile: { diskCSIDriver: { enabled: true }, snapshotController: { enabled: true } },
        tags: { ...config.tags, environment: config.environment },
    };
}

export interface AksClusterArgs extends ClusterSpecInputs {
    /** Resource group that holds the cluster. */
    readonly resourceGroupName: pulumi.Input<string>;
}

export class AksCluster extends pulumi.ComponentResource {
    readonly id: pulumi.Output<string>;
    readonly name: pulumi.Output<string>;
    readonly oidcIssuerUrl: pulumi.Output<string>;
    /** Object id of the kubelet identity, which pulls images from ACR. */
    readonly kubeletObjectId: pulumi.Output<string>;
    readonly fqdn: pulumi.Output<string>;

    constructor(name: string, args: AksClusterArgs, opts?: pulumi.ComponentResourceOptions) {
        super("mcp-aks:azure:AksCluster", name, {}, opts);
        const cluster = new containerservice.ManagedCluster(
            `${name}-aks`,
            { resourceGroupName: args.resourceGroupName, ...clusterSpec(args) },
            {
                parent: this,
                // The autoscaler owns the node counts after creation; re-applying `count` would fight it.
                ignoreChanges: args.config.cluster.userPool ? ["agentPoolProfiles[0].count", "agentPoolProfiles[1].count"] : ["agentPoolProfiles[0].count"],
            },
        );
        this.id = cluster.id;
        this.name = cluster.name;
        this.fqdn = cluster.fqdn;
        this.oidcIssuerUrl = cluster.oidcIssuerProfile.apply((p) => {
            if (!p?.issuerURL && !pulumi.runtime.isDryRun()) throw new Error("The cluster reports no OIDC issuer URL; workload identity cannot work without it.");
            return p?.issuerURL ?? "";
        });
        this.kubeletObjectId = cluster.identityProfile.apply((p) => p?.kubeletidentity?.objectId ?? "");
        this.registerOutputs({ id: this.id, name: this.name, oidcIssuerUrl: this.oidcIssuerUrl, kubeletObjectId: this.kubeletObjectId });
    }
}
