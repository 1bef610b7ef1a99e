/**
 * The AKS cluster: Entra ID with Azure RBAC and no local accounts, OIDC issuer plus workload identity,
 * Azure CNI overlay with Cilium (so NetworkPolicies are enforced), the Key Vault CSI add-on with rotation,
 * auto-upgrade channels, image cleaner and monitoring. clusterSpec is pure so that every setting is
 * tested without mocks; the component only declares it.
 */
import { createHash } from "crypto";
import * as pulumi from "@pulumi/pulumi";
import * as containerservice from "@pulumi/azure-native/containerservice";
import type * as azureInputs from "@pulumi/azure-native/types/input";
import { MaintenanceWindowConfig, NodePoolConfig, StackConfig } from "../config";

/** The taint that keeps application pods off the system pool when a user pool exists. */
export const SYSTEM_POOL_TAINT = "CriticalAddonsOnly=true:NoSchedule";

/**
 * ManagedCluster inputs whose change makes azure-native replace the cluster instead of updating it: the
 * resource's path (resourceGroupName, resourceName), location, and the properties the provider marks
 * force-new (pulumi-azure-native provider/pkg/gen forceNewMap for ContainerService/ManagedCluster, with
 * networkProfile narrowed to its create-only leaves). The cluster has a fixed name, so a replacement
 * deletes the old cluster (and its MC_ node resource group) before it creates the new one: see README,
 * "Changes that replace the cluster". Dotted paths are inputs of clusterSpec.
 */
export const CLUSTER_REPLACE_FIELDS = [
    "resourceGroupName",
    "resourceName",
    "location",
    "dnsPrefix",
    "fqdnSubdomain",
    "nodeResourceGroup",
    "diskEncryptionSetID",
    "linuxProfile",
    "windowsProfile",
    "networkProfile.networkPlugin",
    "networkProfile.networkPluginMode",
    "networkProfile.networkDataplane",
    "networkProfile.networkPolicy",
    "networkProfile.podCidr",
    "networkProfile.serviceCidr",
    "networkProfile.dnsServiceIP",
    "networkProfile.outboundType",
] as const;

function at(obj: unknown, dotted: string): unknown {
    return dotted.split(".").reduce<unknown>((cur, k) => (cur && typeof cur === "object" ? (cur as Record<string, unknown>)[k] : undefined), obj);
}

/** The replace fields whose value differs between two cluster specs: non-empty means a new cluster. Pure. */
export function replacingChanges(before: Record<string, unknown>, after: Record<string, unknown>): string[] {
    return CLUSTER_REPLACE_FIELDS.filter((f) => JSON.stringify(at(before, f)) !== JSON.stringify(at(after, f)));
}

/** AKS agent pool names: lowercase letters and digits, starting with a letter, at most 12 characters for Linux. */
export const AGENT_POOL_NAME = /^[a-z][a-z0-9]{0,11}$/;

/**
 * The settings AKS cannot change on an existing pool (PropertyChangeNotAllowed): a change needs a new pool.
 * Zones are sorted so that their order alone is not a change.
 */
export function immutablePoolSettings(pool: NodePoolConfig, zones: readonly string[]) {
    return { vmSize: pool.vmSize, osSKU: POOL_OS_SKU, osDiskType: pool.osDiskType, osDiskSizeGB: pool.osDiskSizeGB, maxPods: pool.maxPods, zones: [...zones].sort() };
}

/**
 * The user pool's name: `user` plus 6 hex characters of a hash of its immutable settings. A change of any
 * of them yields a new name, so Pulumi creates the new pool first (nothing blocks it: the names differ),
 * the pods move when the old pool is drained and deleted at the end of the update. 10 characters, within
 * AKS's 12 for Linux pools.
 */
export function userPoolName(pool: NodePoolConfig, zones: readonly string[]): string {
    const hash = createHash("sha256").update(JSON.stringify(immutablePoolSettings(pool, zones))).digest("hex");
    return `user${hash.slice(0, 6)}`;
}

/** Azure Linux: smaller image and attack surface than Ubuntu, patched through node image upgrades. */
const POOL_OS_SKU = "AzureLinux";

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
        osSKU: POOL_OS_SKU,
        osDiskType: pool.osDiskType,
        osDiskSizeGB: pool.osDiskSizeGB,
        type: "VirtualMachineScaleSets",
        enableAutoScaling: true,
        count: pool.minCount,
        maxPods: pool.maxPods,
        minCount: pool.minCount,
        maxCount: pool.maxCount,
        availabilityZones: zones.length > 0 ? [...zones] : undefined,
        nodeTaints: taints.length > 0 ? taints : undefined,
        // One surge node at a time keeps upgrades within quota while never dropping below minCount.
        upgradeSettings: { maxSurge: "1" },
    };
}

/**
 * The user pool as a separate AgentPool resource, or null when the stack has none. Its name follows its
 * immutable settings (userPoolName), so a change of VM size, OS disk, zones or maxPods rotates the pool.
 */
export function userPoolSpec(config: StackConfig): { name: string; args: Omit<containerservice.AgentPoolArgs, "resourceGroupName" | "resourceName"> } | null {
    const c = config.cluster;
    if (!c.userPool) return null;
    const name = userPoolName(c.userPool, c.zones);
    const { name: _name, ...profile } = agentPool(name, "User", c.userPool, c.zones, []);
    return { name, args: { agentPoolName: name, ...profile, tags: { ...config.tags, environment: config.environment } } };
}

/** The system pool is tainted for critical add-ons only when a user pool always keeps at least one node. */
export function systemPoolDedicated(config: StackConfig): boolean {
    return (config.cluster.userPool?.minCount ?? 0) > 0;
}

/** An AKS planned-maintenance window for a MaintenanceConfiguration. Pure. */
export function maintenanceWindowSpec(w: MaintenanceWindowConfig): azureInputs.containerservice.MaintenanceWindowArgs {
    return {
        schedule: { weekly: { dayOfWeek: w.dayOfWeek, intervalWeeks: w.intervalWeeks } },
        startTime: w.startTime,
        durationHours: w.durationHours,
        utcOffset: w.utcOffset,
    };
}

/** The two AKS-managed schedules, by the configuration name AKS looks for. */
export const MAINTENANCE_CONFIG_NAMES = { autoUpgrade: "aksManagedAutoUpgradeSchedule", nodeOsUpgrade: "aksManagedNodeOSUpgradeSchedule" } as const;

/** The full ManagedCluster arguments for a stack config. Pure. */
export function clusterSpec(inputs: ClusterSpecInputs): ManagedClusterSpec {
    const { config } = inputs;
    const c = config.cluster;
    // AKS requires one pool inline at create and rejects later changes to it through the cluster, so only the
    // system pool lives here; user pools are AgentPool resources (userPoolSpec). The system pool carries only
    // critical add-ons when a user pool always has a node; otherwise (no user pool, or one that scales to
    // zero) the workloads must be able to run on it.
    const dedicatedSystemPool = systemPoolDedicated(config);
    const pools: AgentPoolSpec[] = [agentPool("system", "System", c.systemPool, c.zones, dedicatedSystemPool ? [SYSTEM_POOL_TAINT] : [])];

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
            // The add-on runs Gatekeeper in the cluster; the restricted pod security initiative assigned to the
            // cluster (policy.ts) is what it audits.
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
    /** Object id of the control-plane identity, which also runs the Azure Disk CSI controller. */
    readonly principalId: pulumi.Output<string>;
    /** The MC_ resource group AKS manages (VMs, load balancer, public IPs). */
    readonly nodeResourceGroup: pulumi.Output<string>;
    /** The user node pool, when the stack has one. */
    readonly userPool?: containerservice.AgentPool;

    constructor(name: string, args: AksClusterArgs, opts?: pulumi.ComponentResourceOptions) {
        super("mcp-aks:azure:AksCluster", name, {}, opts);
        const cfg = args.config;
        const cluster = new containerservice.ManagedCluster(
            `${name}-aks`,
            { resourceGroupName: args.resourceGroupName, ...clusterSpec(args) },
            {
                parent: this,
                // The autoscaler owns the node count after creation; re-applying `count` would fight it.
                ignoreChanges: ["agentPoolProfiles[0].count"],
                // Deleting or replacing prod's cluster takes its MC_ resource group with it; `pulumi destroy`
                // and a replace-field change both stop here until an operator unprotects it (README, Day 2).
                protect: cfg.environment === "prod",
            },
        );
        const user = userPoolSpec(cfg);
        if (user) {
            this.userPool = new containerservice.AgentPool(
                // The logical name carries the pool name: a rotated pool is a new resource, created before the
                // old one is deleted.
                `${name}-pool-${user.name}`,
                { resourceGroupName: args.resourceGroupName, resourceName: cluster.name, ...user.args },
                { parent: this, ignoreChanges: ["count"] },
            );
        }
        for (const [key, configName] of Object.entries(MAINTENANCE_CONFIG_NAMES) as Array<[keyof typeof MAINTENANCE_CONFIG_NAMES, string]>) {
            new containerservice.MaintenanceConfiguration(
                `${name}-${configName}`,
                { resourceGroupName: args.resourceGroupName, resourceName: cluster.name, configName, maintenanceWindow: maintenanceWindowSpec(cfg.maintenance[key]) },
                { parent: this },
            );
        }
        this.id = cluster.id;
        this.name = cluster.name;
        this.fqdn = cluster.fqdn;
        this.oidcIssuerUrl = cluster.oidcIssuerProfile.apply((p) => {
            if (!p?.issuerURL && !pulumi.runtime.isDryRun()) throw new Error("The cluster reports no OIDC issuer URL; workload identity cannot work without it.");
            return p?.issuerURL ?? "";
        });
        this.kubeletObjectId = cluster.identityProfile.apply((p) => p?.kubeletidentity?.objectId ?? "");
        this.principalId = cluster.identity.apply((i) => i?.principalId ?? "");
        this.nodeResourceGroup = cluster.nodeResourceGroup.apply((g) => g ?? "");
        this.registerOutputs({ id: this.id, name: this.name, oidcIssuerUrl: this.oidcIssuerUrl, kubeletObjectId: this.kubeletObjectId });
    }
}
