import * as assert from "assert";
import {
    acrAdminUserDisabled,
    aksAzureRbac,
    aksKeyVaultCsiRotation,
    aksLocalAccountsDisabled,
    aksNetworkPolicyEngine,
    aksUpgradeChannels,
    aksWorkloadIdentity,
    environmentOf,
    isAzureType,
    keyVaultPurgeProtectionInProd,
    keyVaultRbac,
    roleAssignmentPrincipalType,
    roleAssignmentResourceScope,
} from "../policy/policies";
import { AKS_RBAC_CLUSTER_ADMIN_ROLE } from "../policy/azure";
import { BUILT_IN_ROLES } from "../components/azure/role-assignment";
import { check, managedCluster, roleAssignment, TYPES, UNKNOWN_VALUE, vault } from "./policy-helpers";

async function single(violations: Promise<{ message: string }[]>): Promise<string> {
    const found = await violations;
    assert.strictEqual(found.length, 1, `expected one violation, got ${JSON.stringify(found)}`);
    return found[0].message;
}

describe("policy: Azure type matching", () => {
    it("matches default and API-versioned tokens of exactly that resource", () => {
        assert.ok(isAzureType("azure-native:containerservice:ManagedCluster", "containerservice", "ManagedCluster"));
        assert.ok(isAzureType("azure-native:containerservice/v20240901:ManagedCluster", "containerservice", "ManagedCluster"));
        assert.ok(!isAzureType("azure-native:containerservice:ManagedClusterSnapshot", "containerservice", "ManagedCluster"));
        assert.ok(!isAzureType("azure-native:containerservice:AgentPool", "containerservice", "ManagedCluster"));
    });
});

describe("policy: AKS", () => {
    const cluster = TYPES.cluster;

    it("a hardened cluster passes every AKS policy", async () => {
        for (const policy of [aksLocalAccountsDisabled, aksAzureRbac, aksWorkloadIdentity, aksNetworkPolicyEngine, aksKeyVaultCsiRotation, aksUpgradeChannels]) {
            assert.deepStrictEqual(await check(policy, cluster, managedCluster()), [], policy.name);
        }
    });

    it("aks-local-accounts-disabled: reports local accounts, set or defaulted", async () => {
        assert.match(await single(check(aksLocalAccountsDisabled, cluster, managedCluster({ disableLocalAccounts: false }))), /keeps local accounts.*disableLocalAccounts: true/s);
        const defaulted = managedCluster();
        delete defaulted.disableLocalAccounts;
        assert.strictEqual((await check(aksLocalAccountsDisabled, cluster, defaulted)).length, 1);
    });

    it("aks-entra-azure-rbac: reports Kubernetes RBAC without Azure RBAC", async () => {
        assert.match(await single(check(aksAzureRbac, cluster, managedCluster({ aadProfile: { managed: true } }))), /aadProfile.enableAzureRBAC not true.*enableAzureRBAC: true/s);
        assert.match(await single(check(aksAzureRbac, cluster, managedCluster({ aadProfile: undefined }))), /aadProfile.managed and aadProfile.enableAzureRBAC/);
    });

    it("aks-workload-identity: reports a missing OIDC issuer or workload identity", async () => {
        assert.match(await single(check(aksWorkloadIdentity, cluster, managedCluster({ oidcIssuerProfile: { enabled: false } }))), /lacks oidcIssuerProfile.enabled:/);
        assert.match(await single(check(aksWorkloadIdentity, cluster, managedCluster({ securityProfile: {} }))), /lacks securityProfile.workloadIdentity.enabled/);
    });

    it("aks-network-policy-engine: reports none or unset, accepts any engine", async () => {
        assert.match(await single(check(aksNetworkPolicyEngine, cluster, managedCluster({ networkProfile: { networkPlugin: "azure", networkPolicy: "none" } }))), /no network policy engine.*"none".*silently ignored/s);
        assert.match(await single(check(aksNetworkPolicyEngine, cluster, managedCluster({ networkProfile: { networkPlugin: "kubenet" } }))), /is unset/);
        assert.deepStrictEqual(await check(aksNetworkPolicyEngine, cluster, managedCluster({ networkProfile: { networkPolicy: "calico" } })), []);
    });

    it("aks-keyvault-csi-rotation: reports a missing add-on or rotation left off", async () => {
        assert.match(await single(check(aksKeyVaultCsiRotation, cluster, managedCluster({ addonProfiles: {} }))), /the add-on is not enabled and config.enableSecretRotation is not "true"/);
        const noRotation = managedCluster({ addonProfiles: { azureKeyvaultSecretsProvider: { enabled: true, config: { enableSecretRotation: "false" } } } });
        assert.match(await single(check(aksKeyVaultCsiRotation, cluster, noRotation)), /^(?!.*not enabled).*enableSecretRotation is not "true"/s);
        const lowerCaseKey = managedCluster({ addonProfiles: { azurekeyvaultsecretsprovider: { enabled: true, config: { enableSecretRotation: "true" } } } });
        assert.deepStrictEqual(await check(aksKeyVaultCsiRotation, cluster, lowerCaseKey), []);
    });

    it("aks-auto-upgrade-channels: reports a none or missing channel", async () => {
        assert.match(await single(check(aksUpgradeChannels, cluster, managedCluster({ autoUpgradeProfile: { upgradeChannel: "none", nodeOSUpgradeChannel: "NodeImage" } }))), /upgradeChannel is "none"/);
        assert.match(await single(check(aksUpgradeChannels, cluster, managedCluster({ autoUpgradeProfile: { upgradeChannel: "stable", nodeOSUpgradeChannel: "None" } }))), /nodeOSUpgradeChannel is "None"/);
        assert.match(await single(check(aksUpgradeChannels, cluster, managedCluster({ autoUpgradeProfile: undefined }))), /upgradeChannel is unset and autoUpgradeProfile.nodeOSUpgradeChannel is unset/);
    });

    it("gives unknown values the benefit of the doubt during preview, and ignores other types", async () => {
        const unknowns = managedCluster({ disableLocalAccounts: UNKNOWN_VALUE, aadProfile: UNKNOWN_VALUE, networkProfile: { networkPolicy: UNKNOWN_VALUE }, addonProfiles: UNKNOWN_VALUE });
        for (const policy of [aksLocalAccountsDisabled, aksAzureRbac, aksNetworkPolicyEngine, aksKeyVaultCsiRotation]) {
            assert.deepStrictEqual(await check(policy, cluster, unknowns), [], policy.name);
            assert.deepStrictEqual(await check(policy, TYPES.registry, {}), [], policy.name);
        }
    });
});

describe("policy: acr-admin-user-disabled", () => {
    it("passes adminUserEnabled: false", async () => {
        assert.deepStrictEqual(await check(acrAdminUserDisabled, TYPES.registry, { adminUserEnabled: false, sku: { name: "Basic" } }), []);
    });

    it("reports an enabled or undeclared admin user", async () => {
        assert.match(await single(check(acrAdminUserDisabled, TYPES.registry, { adminUserEnabled: true })), /adminUserEnabled: false.*AcrPull/s);
        assert.strictEqual((await check(acrAdminUserDisabled, TYPES.registry, { sku: { name: "Basic" } })).length, 1);
    });
});

describe("policy: keyvault-rbac-authorization", () => {
    it("passes an RBAC vault and reports an access-policy vault", async () => {
        assert.deepStrictEqual(await check(keyVaultRbac, TYPES.vault, vault()), []);
        assert.match(await single(check(keyVaultRbac, TYPES.vault, vault({ enableRbacAuthorization: false }))), /access policies.*enableRbacAuthorization: true/s);
    });
});

describe("policy: keyvault-purge-protection-prod", () => {
    it("requires purge protection on a vault tagged environment: prod", async () => {
        assert.deepStrictEqual(await check(keyVaultPurgeProtectionInProd, TYPES.vault, vault({ enablePurgeProtection: true }, { environment: "prod" })), []);
        assert.match(await single(check(keyVaultPurgeProtectionInProd, TYPES.vault, vault({}, { environment: "prod" }))), /environment "prod" without purge protection.*enablePurgeProtection: true/s);
    });

    it("does not require it in dev, even on a stack named prod when the tag says dev", async () => {
        assert.deepStrictEqual(await check(keyVaultPurgeProtectionInProd, TYPES.vault, vault({}, { environment: "dev" })), []);
        assert.deepStrictEqual(await check(keyVaultPurgeProtectionInProd, TYPES.vault, vault({}, { environment: "dev" }), { stack: "prod" }), []);
    });

    it("falls back to the stack name when the tag is missing or unknown, and honours configured environment names", async () => {
        assert.strictEqual((await check(keyVaultPurgeProtectionInProd, TYPES.vault, vault({}, null), { stack: "prod" })).length, 1);
        assert.strictEqual((await check(keyVaultPurgeProtectionInProd, TYPES.vault, vault({}, { environment: UNKNOWN_VALUE }), { stack: "prod" })).length, 1);
        assert.strictEqual((await check(keyVaultPurgeProtectionInProd, TYPES.vault, vault({}, { environment: "production" }), { config: { prodEnvironments: ["production"] } })).length, 1);
        assert.strictEqual(environmentOf({}, "urn:pulumi:prod::mcp-aks::azure-native:keyvault:Vault::kv"), "prod");
    });
});

describe("policy: role-assignment-principal-type", () => {
    it("passes a set principalType and reports a missing one", async () => {
        assert.deepStrictEqual(await check(roleAssignmentPrincipalType, TYPES.roleAssignment, roleAssignment()), []);
        assert.match(await single(check(roleAssignmentPrincipalType, TYPES.roleAssignment, roleAssignment({ principalType: undefined }))), /no principalType.*PrincipalNotFound/s);
    });
});

describe("policy: role-assignment-resource-scope", () => {
    it("passes a scope that is one resource", async () => {
        assert.deepStrictEqual(await check(roleAssignmentResourceScope, TYPES.roleAssignment, roleAssignment()), []);
        assert.deepStrictEqual(await check(roleAssignmentResourceScope, TYPES.roleAssignment, roleAssignment({ scope: "/subscriptions/0000/resourceGroups/rg/providers/Microsoft.KeyVault/vaults/kv-mcp" })), []);
    });

    it("reports subscription, resource group and management group scopes", async () => {
        for (const scope of [
            "/subscriptions/00000000-0000-0000-0000-000000000000",
            "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg-mcp-dev",
            "/subscriptions/00000000-0000-0000-0000-000000000000/resourcegroups/rg-mcp-dev/",
            "/providers/Microsoft.Management/managementGroups/root",
        ]) {
            assert.match(await single(check(roleAssignmentResourceScope, TYPES.roleAssignment, roleAssignment({ scope }))), /not to a single resource.*Scope it to the resource id/s, scope);
        }
    });

    it("passes a resource group dedicated to one purpose (the data group), by configurable suffix", async () => {
        const dataGroup = "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg-mcp-prod-data";
        assert.deepStrictEqual(await check(roleAssignmentResourceScope, TYPES.roleAssignment, roleAssignment({ scope: dataGroup })), []);
        assert.match(
            await single(check(roleAssignmentResourceScope, TYPES.roleAssignment, roleAssignment({ scope: dataGroup }), { config: { dedicatedResourceGroupSuffixes: ["-disks"] } })),
            /not to a single resource/,
        );
        assert.match(await single(check(roleAssignmentResourceScope, TYPES.roleAssignment, roleAssignment({ scope: "/subscriptions/0000/resourceGroups/rg-data-mcp" }))), /not to a single resource/);
    });

    it("allows AKS RBAC Cluster Admin, and only it, on a resource group (granted before the cluster exists)", async () => {
        const rg = "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg-mcp-dev";
        const role = (id: string) => `/subscriptions/00000000-0000-0000-0000-000000000000/providers/Microsoft.Authorization/roleDefinitions/${id}`;
        assert.strictEqual(AKS_RBAC_CLUSTER_ADMIN_ROLE, BUILT_IN_ROLES.aksRbacClusterAdmin);
        assert.deepStrictEqual(await check(roleAssignmentResourceScope, TYPES.roleAssignment, roleAssignment({ scope: rg, roleDefinitionId: role(AKS_RBAC_CLUSTER_ADMIN_ROLE) })), []);
        assert.match(await single(check(roleAssignmentResourceScope, TYPES.roleAssignment, roleAssignment({ scope: rg, roleDefinitionId: role(BUILT_IN_ROLES.acrPull) }))), /not to a single resource/);
        assert.match(
            await single(check(roleAssignmentResourceScope, TYPES.roleAssignment, roleAssignment({ scope: "/subscriptions/00000000-0000-0000-0000-000000000000", roleDefinitionId: role(AKS_RBAC_CLUSTER_ADMIN_ROLE) }))),
            /not to a single resource/,
            "the subscription stays off limits even for the cluster admin role",
        );
    });

    it("does not fail on a scope that is unknown during preview", async () => {
        assert.deepStrictEqual(await check(roleAssignmentResourceScope, TYPES.roleAssignment, roleAssignment({ scope: UNKNOWN_VALUE })), []);
        assert.deepStrictEqual(await check(roleAssignmentPrincipalType, TYPES.roleAssignment, roleAssignment({ principalType: UNKNOWN_VALUE })), []);
    });
});
