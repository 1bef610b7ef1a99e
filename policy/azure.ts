/**
 * Azure policies: the platform half of the security baseline (DESIGN.md "Decisions already made", the Azure
 * Policy built-ins for AKS, ACR and Key Vault, and the CIS AKS benchmark). Property paths are those of the
 * azure-native provider's inputs (node_modules/@pulumi/azure-native/<module>/<resource>.d.ts).
 *
 * Types are matched by token, with or without an explicit API version module
 * (`azure-native:containerservice/v20240901:ManagedCluster`), so pinning an API version does not bypass them.
 */
import { ReportViolation, ResourceValidationArgs, ResourceValidationPolicy } from "@pulumi/policy";
import { at, equalsIgnoreCase, isUnknown, known, stackOfUrn } from "./values";

export function isAzureType(type: string, module: string, resource: string): boolean {
    return new RegExp(`^azure-native:${module}(/v[0-9a-z]+)?:${resource}$`).test(type);
}

/** Runs `check` on known props of one Azure resource type; other types are not applicable. */
function forType(
    module: string,
    resource: string,
    check: (props: unknown, args: ResourceValidationArgs, reportViolation: ReportViolation) => void,
): (args: ResourceValidationArgs, reportViolation: ReportViolation) => void {
    return (args, reportViolation) => {
        if (!isAzureType(args.type, module, resource)) return;
        check(known(args.props), args, reportViolation);
    };
}

/** Whether a value is known and differs from what the baseline requires (unknown values pass until known). */
function knownAndNot(value: unknown, expected: unknown): boolean {
    return !isUnknown(value) && value !== expected;
}

// ---------------------------------------------------------------------------------------------------------
// AKS
// ---------------------------------------------------------------------------------------------------------

export const validateAksLocalAccountsDisabled = forType("containerservice", "ManagedCluster", (props, args, report) => {
    if (knownAndNot(at(props, "disableLocalAccounts"), true)) {
        report(
            `AKS cluster "${args.name}" keeps local accounts: anyone with listClusterAdminCredentials gets a static cluster-admin ` +
                "certificate that bypasses Entra ID, MFA and audit. Set disableLocalAccounts: true (with aadProfile.managed and " +
                "enableAzureRBAC) and grant access through Azure RBAC roles.",
        );
    }
});

export const validateAksAzureRbac = forType("containerservice", "ManagedCluster", (props, args, report) => {
    const missing = (["managed", "enableAzureRBAC"] as const).filter((field) => knownAndNot(at(props, "aadProfile", field), true));
    if (missing.length > 0) {
        report(
            `AKS cluster "${args.name}" does not use Entra ID with Azure RBAC (aadProfile.${missing.join(" and aadProfile.")} not true): ` +
                "Kubernetes access would not be governed by Azure role assignments. Set aadProfile: { managed: true, enableAzureRBAC: true }.",
        );
    }
});

export const validateAksWorkloadIdentity = forType("containerservice", "ManagedCluster", (props, args, report) => {
    const missing: string[] = [];
    if (knownAndNot(at(props, "oidcIssuerProfile", "enabled"), true)) missing.push("oidcIssuerProfile.enabled");
    if (knownAndNot(at(props, "securityProfile", "workloadIdentity", "enabled"), true)) missing.push("securityProfile.workloadIdentity.enabled");
    if (missing.length > 0) {
        report(
            `AKS cluster "${args.name}" lacks ${missing.join(" and ")}: without the OIDC issuer and workload identity, pods need ` +
                "stored client secrets to reach Key Vault. Set oidcIssuerProfile.enabled: true and securityProfile.workloadIdentity.enabled: true.",
        );
    }
});

export const validateAksNetworkPolicyEngine = forType("containerservice", "ManagedCluster", (props, args, report) => {
    const engine = at(props, "networkProfile", "networkPolicy");
    if (isUnknown(engine)) return;
    if (typeof engine !== "string" || engine === "" || equalsIgnoreCase(engine, "none")) {
        report(
            `AKS cluster "${args.name}" has no network policy engine (networkProfile.networkPolicy is ${engine === undefined ? "unset" : `"${String(engine)}"`}): ` +
                "every NetworkPolicy, including the default-deny ones, would be silently ignored. Set networkProfile.networkPolicy: \"cilium\" " +
                "(with networkDataplane: \"cilium\"), or \"azure\"/\"calico\".",
        );
    }
});

/** The CSI add-on's key, matched without regard to case because the AKS API accepts both spellings. */
const CSI_ADDON = "azureKeyvaultSecretsProvider";

export const validateAksKeyVaultCsiRotation = forType("containerservice", "ManagedCluster", (props, args, report) => {
    const addons = at(props, "addonProfiles");
    if (isUnknown(addons)) return;
    const key = Object.keys((addons ?? {}) as object).find((k) => k.toLowerCase() === CSI_ADDON.toLowerCase());
    const addon = key === undefined ? undefined : at(addons, key);
    if (isUnknown(addon)) return;
    const enabled = at(addon, "enabled");
    const rotation = at(addon, "config", "enableSecretRotation");
    const problems: string[] = [];
    if (knownAndNot(enabled, true)) problems.push("the add-on is not enabled");
    if (knownAndNot(rotation, "true")) problems.push('config.enableSecretRotation is not "true"');
    if (problems.length > 0) {
        report(
            `AKS cluster "${args.name}": Key Vault CSI driver ${problems.join(" and ")}. Without it pods cannot mount the API keys ` +
                "from Key Vault; without rotation a rotated key never reaches running pods. Set addonProfiles.azureKeyvaultSecretsProvider: " +
                '{ enabled: true, config: { enableSecretRotation: "true" } }.',
        );
    }
});

export const validateAksUpgradeChannels = forType("containerservice", "ManagedCluster", (props, args, report) => {
    const problems: string[] = [];
    for (const field of ["upgradeChannel", "nodeOSUpgradeChannel"] as const) {
        const value = at(props, "autoUpgradeProfile", field);
        if (isUnknown(value)) continue;
        if (typeof value !== "string" || value === "" || equalsIgnoreCase(value, "none")) problems.push(`autoUpgradeProfile.${field} is ${value === undefined ? "unset" : `"${String(value)}"`}`);
    }
    if (problems.length > 0) {
        report(
            `AKS cluster "${args.name}": ${problems.join(" and ")}, so Kubernetes and node-image security patches depend on someone ` +
                'remembering them. Set autoUpgradeProfile: { upgradeChannel: "patch" (or "stable"), nodeOSUpgradeChannel: "NodeImage" (or "SecurityPatch") }.',
        );
    }
});

// ---------------------------------------------------------------------------------------------------------
// ACR, Key Vault
// ---------------------------------------------------------------------------------------------------------

export const validateAcrAdminUserDisabled = forType("containerregistry", "Registry", (props, args, report) => {
    if (knownAndNot(at(props, "adminUserEnabled"), false)) {
        report(
            `Container registry "${args.name}" does not declare adminUserEnabled: false. The admin user is a shared, non-expiring ` +
                "password with push rights; declaring false also makes Pulumi revert anyone enabling it by hand. Set adminUserEnabled: false " +
                "and pull with the kubelet identity's AcrPull role.",
        );
    }
});

export const validateKeyVaultRbac = forType("keyvault", "Vault", (props, args, report) => {
    if (knownAndNot(at(props, "properties", "enableRbacAuthorization"), true)) {
        report(
            `Key Vault "${args.name}" uses access policies instead of Azure RBAC: access policies grant vault-wide rights, bypass PIM ` +
                "and are invisible to role-assignment reviews. Set properties.enableRbacAuthorization: true and grant Key Vault Secrets User on the vault.",
        );
    }
});

/** Config of the prod-only Key Vault rule: which environment names (tag or stack) count as production. */
export interface ProdConfig {
    readonly prodEnvironments?: string[];
}
export const DEFAULT_PROD_ENVIRONMENTS = ["prod"];

/**
 * The environment a resource belongs to: its `environment` tag (the Azure layer tags everything), or the
 * stack name from its URN when the tag is absent or not known yet.
 */
export function environmentOf(props: unknown, urn: string): string | undefined {
    const tag = at(props, "tags", "environment");
    return typeof tag === "string" ? tag : stackOfUrn(urn);
}

export const validateKeyVaultPurgeProtectionInProd = forType("keyvault", "Vault", (props, args, report) => {
    const prod = args.getConfig<ProdConfig>().prodEnvironments ?? DEFAULT_PROD_ENVIRONMENTS;
    const environment = environmentOf(props, args.urn);
    if (environment === undefined || !prod.includes(environment)) return;
    if (knownAndNot(at(props, "properties", "enablePurgeProtection"), true)) {
        report(
            `Key Vault "${args.name}" is in environment "${environment}" without purge protection: a deleted vault (by mistake or by an ` +
                "attacker) can be purged at once, losing every secret. Set properties.enablePurgeProtection: true (it cannot be turned off " +
                "again; DESIGN.md pitfall 8).",
        );
    }
});

// ---------------------------------------------------------------------------------------------------------
// Role assignments
// ---------------------------------------------------------------------------------------------------------

/** A resource id inside a resource group: /subscriptions/<id>/resourceGroups/<rg>/providers/<namespace>/<type>/<name>... */
const RESOURCE_SCOPE = /^\/subscriptions\/[^/]+\/resourceGroups\/[^/]+\/providers\/[^/]+\/[^/]+\/[^/]+/i;

/** A resource group itself: /subscriptions/<id>/resourceGroups/<rg>, nothing below it; captures the group's name. */
const GROUP_SCOPE = /^\/subscriptions\/[^/]+\/resourceGroups\/([^/]+)\/?$/i;

/**
 * Azure Kubernetes Service RBAC Cluster Admin (built-in, same GUID in every tenant; the program's copy is
 * BUILT_IN_ROLES.aksRbacClusterAdmin, and a test keeps the two equal). The only role allowed on any resource
 * group (besides the dedicated groups below): granted on the cluster it would be made seconds before the first Kubernetes call and race Azure
 * RBAC propagation (minutes); on the stack's own group it is made while the cluster is still being created.
 */
export const AKS_RBAC_CLUSTER_ADMIN_ROLE = "b1ff04bb-8a4e-4dc4-8eb5-8693973ce19b";

export const validateRoleAssignmentPrincipalType = forType("authorization", "RoleAssignment", (props, args, report) => {
    const type = at(props, "principalType");
    if (isUnknown(type)) return;
    if (typeof type !== "string" || type === "") {
        report(
            `Role assignment "${args.name}" has no principalType. Right after an identity is created, Entra ID replication lags and ` +
                'Azure fails with PrincipalNotFound unless it is told the type. Set principalType ("ServicePrincipal" for managed identities).',
        );
    }
});

/** Config of role-assignment-resource-scope: resource groups dedicated to one purpose, by name suffix. */
export interface RoleScopeConfig {
    readonly dedicatedResourceGroupSuffixes?: string[];
}
/**
 * The stack's data group (`rg-<prefix>-<stack>-data`) holds only Qdrant's disks; the AKS control plane must
 * create disks there, which no single-resource scope allows before the disks exist.
 */
export const DEFAULT_DEDICATED_GROUP_SUFFIXES = ["-data"];

export const validateRoleAssignmentResourceScope = forType("authorization", "RoleAssignment", (props, args, report) => {
    const scope = at(props, "scope");
    // An unknown scope (the id of a resource not created yet) is judged before the assignment is created.
    if (isUnknown(scope) || scope === undefined) return;
    const suffixes = args.getConfig<RoleScopeConfig>().dedicatedResourceGroupSuffixes ?? DEFAULT_DEDICATED_GROUP_SUFFIXES;
    const group = typeof scope === "string" ? GROUP_SCOPE.exec(scope)?.[1] : undefined;
    if (group !== undefined) {
        if (suffixes.some((suffix) => group.toLowerCase().endsWith(suffix.toLowerCase()))) return;
        const role = at(props, "roleDefinitionId");
        if (isUnknown(role)) return;
        if (typeof role === "string" && role.toLowerCase().endsWith(`/${AKS_RBAC_CLUSTER_ADMIN_ROLE}`)) return;
    }
    if (typeof scope !== "string" || !RESOURCE_SCOPE.test(scope)) {
        report(
            `Role assignment "${args.name}" is scoped to "${String(scope)}", not to a single resource: a grant on a subscription or ` +
                "resource group reaches every present and future resource in it. Scope it to the resource id (e.g. the registry for " +
                "AcrPull, the vault for Key Vault Secrets User); only AKS RBAC Cluster Admin may be granted on the stack's resource group.",
        );
    }
});

// ---------------------------------------------------------------------------------------------------------
// Policies
// ---------------------------------------------------------------------------------------------------------

function policy(
    name: string,
    description: string,
    remediationSteps: string,
    validateResource: ResourceValidationPolicy["validateResource"],
    extra: Partial<ResourceValidationPolicy> = {},
): ResourceValidationPolicy {
    return { name, description, remediationSteps, validateResource, enforcementLevel: "mandatory", severity: "high", ...extra };
}

export const aksLocalAccountsDisabled = policy(
    "aks-local-accounts-disabled",
    "AKS clusters disable local accounts, so every Kubernetes identity is an Entra ID identity subject to MFA, conditional access and audit.",
    "Set disableLocalAccounts: true on the ManagedCluster (requires aadProfile.managed).",
    validateAksLocalAccountsDisabled,
);

export const aksAzureRbac = policy(
    "aks-entra-azure-rbac",
    "AKS clusters use managed Entra ID integration with Azure RBAC for Kubernetes authorization, so cluster access is reviewed with every other role assignment.",
    "Set aadProfile: { managed: true, enableAzureRBAC: true }.",
    validateAksAzureRbac,
);

export const aksWorkloadIdentity = policy(
    "aks-workload-identity",
    "AKS clusters enable the OIDC issuer and workload identity, so pods get short-lived Entra tokens instead of stored client secrets.",
    "Set oidcIssuerProfile.enabled: true and securityProfile.workloadIdentity.enabled: true.",
    validateAksWorkloadIdentity,
);

export const aksNetworkPolicyEngine = policy(
    "aks-network-policy-engine",
    "AKS clusters run a network policy engine; without one, NetworkPolicies (the namespace default-deny) are accepted by the API but never enforced.",
    'Set networkProfile.networkPolicy to "cilium" (with networkDataplane "cilium"), "azure" or "calico".',
    validateAksNetworkPolicyEngine,
);

export const aksKeyVaultCsiRotation = policy(
    "aks-keyvault-csi-rotation",
    "AKS clusters enable the Key Vault Secrets Store CSI add-on with secret rotation, so secrets reach pods from Key Vault and rotated values reach running pods.",
    'Set addonProfiles.azureKeyvaultSecretsProvider: { enabled: true, config: { enableSecretRotation: "true" } }.',
    validateAksKeyVaultCsiRotation,
);

export const aksUpgradeChannels = policy(
    "aks-auto-upgrade-channels",
    "AKS clusters set a Kubernetes upgrade channel and a node OS upgrade channel, so control-plane and node-image security patches are applied without a manual step.",
    'Set autoUpgradeProfile.upgradeChannel ("patch" or "stable") and autoUpgradeProfile.nodeOSUpgradeChannel ("NodeImage" or "SecurityPatch").',
    validateAksUpgradeChannels,
);

export const acrAdminUserDisabled = policy(
    "acr-admin-user-disabled",
    "Container registries declare adminUserEnabled: false; the admin user is a shared password with push rights that no identity owns.",
    "Set adminUserEnabled: false and grant AcrPull/AcrPush roles to identities.",
    validateAcrAdminUserDisabled,
);

export const keyVaultRbac = policy(
    "keyvault-rbac-authorization",
    "Key Vaults use Azure RBAC instead of access policies, so secret access is granted per vault through role assignments that PIM and access reviews cover.",
    "Set properties.enableRbacAuthorization: true.",
    validateKeyVaultRbac,
);

export const keyVaultPurgeProtectionInProd = policy(
    "keyvault-purge-protection-prod",
    "Key Vaults in production (tag environment, or the stack name, in prodEnvironments; default prod) enable purge protection, so a deleted vault and its secrets stay recoverable for the retention period.",
    "Set properties.enablePurgeProtection: true on production vaults.",
    validateKeyVaultPurgeProtectionInProd,
    {
        configSchema: {
            properties: {
                prodEnvironments: {
                    type: "array",
                    items: { type: "string" },
                    default: DEFAULT_PROD_ENVIRONMENTS,
                    description: "Values of the environment tag (or stack names, for untagged vaults) that count as production.",
                },
            },
        },
    },
);

export const roleAssignmentPrincipalType = policy(
    "role-assignment-principal-type",
    "Role assignments set principalType, so Azure does not look the principal up in a directory that may not have replicated it yet (PrincipalNotFound on the first deploy).",
    'Set principalType: "ServicePrincipal" for managed identities and service principals, "User" or "Group" otherwise.',
    validateRoleAssignmentPrincipalType,
    { severity: "medium" },
);

export const roleAssignmentResourceScope = policy(
    "role-assignment-resource-scope",
    "Role assignments are scoped to a single resource, never to a subscription, management group or resource group, so each grant reaches only what its holder needs.",
    "Use the target resource's id as the scope (/subscriptions/.../resourceGroups/.../providers/...); a resource group " +
        "dedicated to one purpose (default: names ending in -data) may be listed in dedicatedResourceGroupSuffixes; " +
        "AKS RBAC Cluster Admin may also be granted on a resource group (it must exist before the cluster, see README \"Cluster administrators\").",
    validateRoleAssignmentResourceScope,
    {
        configSchema: {
            properties: {
                dedicatedResourceGroupSuffixes: {
                    type: "array",
                    items: { type: "string" },
                    default: DEFAULT_DEDICATED_GROUP_SUFFIXES,
                    description: "Name suffixes of resource groups that hold one kind of resource and may be a grant's scope.",
                },
            },
        },
    },
);

export const azurePolicies: ResourceValidationPolicy[] = [
    aksLocalAccountsDisabled,
    aksAzureRbac,
    aksWorkloadIdentity,
    aksNetworkPolicyEngine,
    aksKeyVaultCsiRotation,
    aksUpgradeChannels,
    acrAdminUserDisabled,
    keyVaultRbac,
    keyVaultPurgeProtectionInProd,
    roleAssignmentPrincipalType,
    roleAssignmentResourceScope,
];

