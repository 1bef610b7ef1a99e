/**
 * Pure naming rules for Azure resources: what each name looks like and the limits Azure puts on it.
 * config.ts checks these limits before any resource is declared; the Azure components build the
 * real names with the same functions, so the check and the name cannot drift apart.
 */
import { v5 as uuidv5 } from "uuid";
import { mcpServerServiceAccount } from "./workload-identity";

/** Length of the random suffix on globally unique names (Key Vault, ACR). */
export const UNIQUE_SUFFIX_LENGTH = 6;

/** A stand-in suffix of full length, for checking name lengths before the real suffix exists. */
export const SUFFIX_PLACEHOLDER = "x".repeat(UNIQUE_SUFFIX_LENGTH);

export interface NameRule {
    /** What the name is for, as a user would say it. */
    readonly what: string;
    readonly min: number;
    readonly max: number;
    /** Allowed characters and shape. */
    readonly pattern: RegExp;
    /** The rule in words, for error messages. */
    readonly allowed: string;
}

const IDENTITY_RULE: NameRule = {
    what: "managed identity",
    min: 3,
    max: 128,
    pattern: /^[a-zA-Z0-9][-_a-zA-Z0-9]*$/,
    allowed: "3-128 letters, digits, '-' and '_', starting with a letter or digit",
};

/** Limits from the Azure naming rules for each resource provider. */
export const NAME_RULES = {
    resourceGroup: {
        what: "resource group",
        min: 1,
        max: 90,
        pattern: /^[-\w.()]*[-\w()]$/,
        allowed: "1-90 letters, digits, '-', '_', '.', '(' or ')', not ending in '.'",
    },
    dataResourceGroup: {
        what: "data resource group",
        min: 1,
        max: 90,
        pattern: /^[-\w.()]*[-\w()]$/,
        allowed: "1-90 letters, digits, '-', '_', '.', '(' or ')', not ending in '.'",
    },
    registry: {
        what: "container registry (ACR)",
        min: 5,
        max: 50,
        pattern: /^[a-zA-Z0-9]+$/,
        allowed: "5-50 letters and digits, globally unique",
    },
    keyVault: {
        what: "Key Vault",
        min: 3,
        max: 24,
        pattern: /^[a-zA-Z](?!.*--)[a-zA-Z0-9-]*[a-zA-Z0-9]$/,
        allowed: "3-24 letters, digits and single hyphens, starting with a letter, globally unique",
    },
    cluster: {
        what: "AKS cluster",
        min: 1,
        max: 63,
        pattern: /^[a-zA-Z0-9][-_a-zA-Z0-9]*[a-zA-Z0-9]$/,
        allowed: "1-63 letters, digits, '-' and '_', starting and ending with a letter or digit",
    },
    dnsPrefix: {
        what: "AKS DNS prefix",
        min: 1,
        max: 54,
        pattern: /^[a-zA-Z0-9][-a-zA-Z0-9]*[a-zA-Z0-9]$/,
        allowed: "1-54 letters, digits and '-', starting and ending with a letter or digit",
    },
    logAnalytics: {
        what: "Log Analytics workspace",
        min: 4,
        max: 63,
        pattern: /^[a-zA-Z0-9][-a-zA-Z0-9]*[a-zA-Z0-9]$/,
        allowed: "4-63 letters, digits and '-', starting and ending with a letter or digit",
    },
    storageAccount: {
        what: "storage account",
        min: 3,
        max: 24,
        pattern: /^[a-z0-9]+$/,
        allowed: "3-24 lowercase letters and digits, globally unique",
    },
    identity: IDENTITY_RULE,
    backupIdentity: { ...IDENTITY_RULE, what: "Qdrant backup managed identity" },
    federatedCredential: {
        what: "federated identity credential",
        min: 3,
        max: 120,
        pattern: /^[a-zA-Z0-9][-_a-zA-Z0-9]*$/,
        allowed: "3-120 letters, digits, '-' and '_', starting with a letter or digit",
    },
    edgeIdentity: { ...IDENTITY_RULE, what: "edge managed identity" },
} satisfies Record<string, NameRule>;

export type NamedResource = keyof typeof NAME_RULES;

/** The stem every name starts from: the configured prefix and the stack. */
export interface NameStem {
    readonly prefix: string;
    readonly stack: string;
}

/** Key Vault and ACR names are global DNS names, so they carry a random suffix (see DESIGN.md, pitfall 8). */
export function azureNames(stem: NameStem, suffix: string = SUFFIX_PLACEHOLDER): Record<Exclude<NamedResource, "identity" | "federatedCredential">, string> {
    const base = `${stem.prefix}-${stem.stack}`;
    return {
        resourceGroup: `rg-${base}`,
        // Stateful disks (Qdrant) live here, outside AKS's MC_ group, which is deleted with the cluster.
        dataResourceGroup: `rg-${base}-data`,
        registry: `acr${stem.prefix}${stem.stack}${suffix}`.replace(/[^a-zA-Z0-9]/g, ""),
        keyVault: `kv-${base}-${suffix}`,
        cluster: `aks-${base}`,
        dnsPrefix: `${base}`,
        logAnalytics: `log-${base}`,
        // Storage account names are global DNS labels of at most 24 lowercase letters and digits: the
        // prefix and stack are cut to 16 so that `st` and the 6-character suffix always fit.
        storageAccount: `st${`${stem.prefix}${stem.stack}`.toLowerCase().replace(/[^a-z0-9]/g, "").slice(0, 16)}${suffix}`,
        backupIdentity: `id-${base}-qdrant-backup`,
        edgeIdentity: `id-${base}-edge`,
    };
}

/** The Azure names of one MCP server: its user-assigned identity and the federated credential on it. */
export function serverAzureNames(stem: NameStem, namespace: string, server: string): Pick<Record<NamedResource, string>, "identity" | "federatedCredential"> {
    return {
        identity: `id-${stem.prefix}-${stem.stack}-${server}-mcp`,
        federatedCredential: federatedCredentialName(namespace, mcpServerServiceAccount(server)),
    };
}

/** One credential per ServiceAccount on an identity, named after it. */
export function federatedCredentialName(namespace: string, serviceAccount: string): string {
    return `${namespace}-${serviceAccount}`;
}

/** Every name whose length or characters break its rule, with the rule. Empty when all fit. */
export function nameViolations(names: Partial<Record<NamedResource, string>>): Array<{ name: string; rule: NameRule }> {
    return (Object.keys(names) as NamedResource[])
        .map((key) => ({ name: names[key] as string, rule: NAME_RULES[key] as NameRule }))
        .filter(({ name, rule }) => name.length < rule.min || name.length > rule.max || !rule.pattern.test(name));
}

/** Fixed namespace for deterministic role assignment names (a random v4 uuid chosen once for this project). */
const ROLE_ASSIGNMENT_NAMESPACE = "5f0c8e1e-3b7a-4c61-9a55-0d3c2b6f8e41";

/**
 * Role assignment names must be GUIDs. Deriving the GUID from scope, principal and role makes re-runs
 * idempotent, and a change of principal yields a new name, so Pulumi can create the new assignment before
 * it deletes the old one instead of colliding on the same name (RoleAssignmentExists).
 */
export function roleAssignmentName(scope: string, principalId: string, roleDefinitionId: string): string {
    return uuidv5(`${scope.toLowerCase()}|${principalId.toLowerCase()}|${roleDefinitionId.toLowerCase()}`, ROLE_ASSIGNMENT_NAMESPACE);
}

/** Key Vault secret names allow only letters, digits and '-': OPENAI_API_KEY is stored as openai-api-key. */
export function keyVaultSecretName(envVarName: string): string {
    return envVarName.toLowerCase().replace(/_/g, "-");
}

/** Key Vault secret names of the edge: the session-sealing key and the app registration's client secret. */
export const EDGE_VAULT_SECRETS = { sessionKey: "edge-session-key", clientSecret: "edge-entra-client-secret" } as const;
