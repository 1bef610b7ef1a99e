import { strict as assert } from "assert";
import { clusterSpec, SYSTEM_POOL_TAINT } from "../components/azure/cluster";
import { parseStackConfig } from "../components/config";
import { SOURCE_ROOT } from "./fixtures";
import { PLACEHOLDER, stackRawConfig } from "./harness";

function specFor(stack: "dev" | "prod") {
    const { raw, secretKeys } = stackRawConfig(stack);
    const config = parseStackConfig(raw, { stack, secretKeys, sourceRoot: SOURCE_ROOT });
    return clusterSpec({ config, clusterName: `aks-mcp-${stack}`, dnsPrefix: `mcp-${stack}`, workspaceId: "/ws", tenantId: "tenant" }) as any;
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
            it("every pool autoscales", () => {
                for (const pool of spec.agentPoolProfiles) {
                    assert.equal(pool.enableAutoScaling, true, pool.name);
                    assert.ok(pool.minCount >= 1 && pool.minCount <= pool.maxCount, pool.name);
                }
            });
        });
    }

    it("prod differs from dev exactly where intended", () => {
        const dev = specFor("dev");
        const prod = specFor("prod");
        // Tier
        assert.equal(dev.sku.tier, "Free");
        assert.equal(prod.sku.tier, "Standard");
        // Pools and zones
        assert.deepEqual(dev.agentPoolProfiles.map((p: any) => [p.name, p.mode]), [["system", "System"]]);
        assert.deepEqual(prod.agentPoolProfiles.map((p: any) => [p.name, p.mode]), [["system", "System"], ["user", "User"]]);
        assert.equal(dev.agentPoolProfiles[0].availabilityZones, undefined);
        for (const pool of prod.agentPoolProfiles) assert.deepEqual(pool.availabilityZones, ["1", "2", "3"]);
        // Taint: only prod's system pool, which has a user pool to run the workloads.
        assert.equal(dev.agentPoolProfiles[0].nodeTaints, undefined);
        assert.deepEqual(prod.agentPoolProfiles[0].nodeTaints, [SYSTEM_POOL_TAINT]);
        assert.equal(prod.agentPoolProfiles[1].nodeTaints, undefined);
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
});
