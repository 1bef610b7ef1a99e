import { strict as assert } from "assert";
import {
    AGENT_POOL_NAME,
    CLUSTER_REPLACE_FIELDS,
    clusterSpec,
    maintenanceWindowSpec,
    replacingChanges,
    SYSTEM_POOL_TAINT,
    userPoolName,
    userPoolSpec,
} from "../components/azure/cluster";
import { parseStackConfig, StackConfig } from "../components/config";
import { configFor, key, SOURCE_ROOT } from "./fixtures";
import { PLACEHOLDER, stackRawConfig } from "./harness";

function configOf(stack: "dev" | "prod"): StackConfig {
    const { raw, secretKeys } = stackRawConfig(stack);
    return parseStackConfig(raw, { stack, secretKeys, sourceRoot: SOURCE_ROOT });
}

function specOf(config: StackConfig) {
    return clusterSpec({ config, clusterName: `aks-mcp-${config.stack}`, dnsPrefix: `mcp-${config.stack}`, workspaceId: "/ws", tenantId: "tenant" }) as any;
}

function specFor(stack: "dev" | "prod") {
    return specOf(configOf(stack));
}

describe("AKS cluster spec (pure)", () => {
    for (const stack of ["dev", "prod"] as const) {
        describe(stack, () => {
            const spec = specFor(stack);
            it("identity: OIDC issuer and workload identity on, local accounts off, Entra ID with Azure RBAC", () => {
                assert.equal(spec.oidcIssuerProfile.enabled, true);
                assert.equal(spec.securityProfile.workloadIdentity.enabled, true);
                assert.equal(spec.disableLocalAccounts, true);
                assert.deepEqual(spec.aadProfile, { managed: true, enableAzureRBAC: true, tenantID: "tenant", adminGroupObjectIDs: [PLACEHOLDER.adminGroupObjectId] });
            });
            it("network: Azure CNI overlay with Cilium as dataplane and policy engine", () => {
                assert.equal(spec.networkProfile.networkPlugin, "azure");
                assert.equal(spec.networkProfile.networkPluginMode, "overlay");
                assert.equal(spec.networkProfile.networkDataplane, "cilium");
                assert.equal(spec.networkProfile.networkPolicy, "cilium");
            });
            it("Key Vault CSI add-on with secret rotation", () => {
                assert.equal(spec.addonProfiles.azureKeyvaultSecretsProvider.enabled, true);
                assert.equal(spec.addonProfiles.azureKeyvaultSecretsProvider.config.enableSecretRotation, "true");
            });
            it("upgrade channels, image cleaner and Container Insights with Entra auth", () => {
                assert.ok(["patch", "stable", "rapid", "node-image"].includes(spec.autoUpgradeProfile.upgradeChannel));
                assert.equal(spec.autoUpgradeProfile.nodeOSUpgradeChannel, "NodeImage");
                assert.equal(spec.securityProfile.imageCleaner.enabled, true);
                assert.equal(spec.addonProfiles.omsagent.config.logAnalyticsWorkspaceResourceID, "/ws");
                assert.equal(spec.addonProfiles.omsagent.config.useAADAuth, "true");
            });
            it("only the system pool is inline; it autoscales from at least one node with an explicit maxPods of at least 30", () => {
                assert.deepEqual(spec.agentPoolProfiles.map((p: any) => [p.name, p.mode]), [["system", "System"]]);
                const pool = spec.agentPoolProfiles[0];
                assert.equal(pool.enableAutoScaling, true);
                assert.equal(pool.osType, "Linux", "AKS system pools must run Linux");
                assert.ok(pool.minCount >= 1 && pool.minCount <= pool.maxCount);
                assert.ok(pool.maxPods >= 30, "AKS requires system pools to fit 30 pods");
            });
        });
    }

    it("prod differs from dev exactly where intended", () => {
        const dev = specFor("dev");
        const prod = specFor("prod");
        // Tier
        assert.equal(dev.sku.tier, "Free");
        assert.equal(prod.sku.tier, "Standard");
        // Pools and zones: prod's system pool has a node in each of three zones; a user pool only in prod.
        assert.equal(dev.agentPoolProfiles[0].availabilityZones, undefined);
        assert.deepEqual(prod.agentPoolProfiles[0].availabilityZones, ["1", "2", "3"]);
        assert.ok(prod.agentPoolProfiles[0].minCount >= 3);
        assert.equal(userPoolSpec(configOf("dev")), null);
        assert.deepEqual(userPoolSpec(configOf("prod"))!.args.availabilityZones, ["1", "2", "3"]);
        // Taint: prod's user pool scales to zero, so its system pool must also run the workloads.
        assert.equal(dev.agentPoolProfiles[0].nodeTaints, undefined);
        assert.equal(prod.agentPoolProfiles[0].nodeTaints, undefined);
        assert.equal(SYSTEM_POOL_TAINT, "CriticalAddonsOnly=true:NoSchedule");
        // API server ranges
        assert.equal(dev.apiServerAccessProfile, undefined);
        assert.deepEqual(prod.apiServerAccessProfile.authorizedIPRanges, ["203.0.113.0/24"]);
        // Managed Prometheus
        assert.equal(dev.azureMonitorProfile, undefined);
        assert.equal(prod.azureMonitorProfile.metrics.enabled, true);
        // Cost: dev's single node uses a small managed disk; prod uses ephemeral OS disks.
        assert.equal(dev.agentPoolProfiles[0].osDiskType, "Managed");
        assert.ok(prod.agentPoolProfiles.every((p: any) => p.osDiskType === "Ephemeral"));
    });

    it("the system pool is tainted for add-ons only when a user pool always keeps a node", () => {
        const prod = configFor("prod", {
            [key("cluster")]: JSON.stringify({ authorizedIpRanges: ["203.0.113.0/24"], userPool: { minCount: 2 } }),
        });
        assert.deepEqual(specOf(prod).agentPoolProfiles[0].nodeTaints, [SYSTEM_POOL_TAINT]);
        assert.equal(userPoolSpec(prod)!.args.nodeTaints, undefined);
    });
});

describe("replace fields and pool rotation (pure)", () => {
    it("lists the ManagedCluster inputs whose change replaces the cluster", () => {
        assert.deepEqual([...CLUSTER_REPLACE_FIELDS], [
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
        ]);
    });

    it("every replace field that clusterSpec sets is one a config change can reach", () => {
        const spec = specFor("prod");
        const set = CLUSTER_REPLACE_FIELDS.filter((f) => f.split(".").reduce((o: any, k) => o?.[k], spec) !== undefined);
        assert.deepEqual(set, ["resourceName", "location", "dnsPrefix", ...CLUSTER_REPLACE_FIELDS.filter((f) => f.startsWith("networkProfile."))]);
    });

    it("a pod CIDR or location change is reported as a replacement; a tier or node count change is not", () => {
        const base = configFor("dev");
        const cidr = configFor("dev", { [key("cluster")]: JSON.stringify({ network: { podCidr: "10.250.0.0/16", serviceCidr: "10.0.0.0/16", dnsServiceIp: "10.0.0.10" } }) });
        const where = configFor("dev", { [key("location")]: "northeurope" });
        const tier = configFor("dev", { [key("cluster")]: JSON.stringify({ tier: "Standard", systemPool: { maxCount: 5 } }) });
        assert.deepEqual(replacingChanges(specOf(base), specOf(cidr)), ["networkProfile.podCidr"]);
        assert.deepEqual(replacingChanges(specOf(base), specOf(where)), ["location"]);
        assert.deepEqual(replacingChanges(specOf(base), specOf(tier)), []);
    });

    it("the user pool's name follows its immutable settings and fits AKS's Linux pool name rule", () => {
        const prod = configOf("prod");
        const pool = prod.cluster.userPool!;
        const name = userPoolName(pool, prod.cluster.zones);
        assert.match(name, AGENT_POOL_NAME);
        assert.ok(name.length <= 12);
        assert.equal(userPoolSpec(prod)!.name, name);
        assert.equal(userPoolSpec(prod)!.args.agentPoolName, name);
        for (const change of [{ vmSize: "Standard_D4ds_v5" }, { osDiskSizeGB: 128 }, { osDiskType: "Managed" as const }, { maxPods: 60 }]) {
            assert.notEqual(userPoolName({ ...pool, ...change }, prod.cluster.zones), name, JSON.stringify(change));
        }
        assert.notEqual(userPoolName(pool, ["1", "2"]), name, "zones");
        // Scaling is done in place: counts and zone order never rotate the pool.
        assert.equal(userPoolName({ ...pool, minCount: 4, maxCount: 9 }, [...prod.cluster.zones].reverse()), name);
    });

    it("maintenance windows are weekly schedules taken from config", () => {
        const w = configOf("prod").maintenance.autoUpgrade;
        assert.deepEqual(maintenanceWindowSpec(w), {
            schedule: { weekly: { dayOfWeek: w.dayOfWeek, intervalWeeks: w.intervalWeeks } },
            startTime: w.startTime,
            durationHours: w.durationHours,
            utcOffset: w.utcOffset,
        });
    });
});
