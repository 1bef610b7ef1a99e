/**
 * Key Vault holding the MCP server's API keys, in RBAC mode: access is granted by role assignment
 * (Key Vault Secrets User for the workload identity), never by access policy.
 */
import * as pulumi from "@pulumi/pulumi";
import * as keyvault from "@pulumi/azure-native/keyvault";
import { SecretValue } from "../config";
import { keyVaultSecretName } from "../naming";

export interface SecretsVaultArgs {
    /** Resource group that holds the vault. */
    readonly resourceGroupName: pulumi.Input<string>;
    /** Azure region. */
    readonly location: string;
    /** Globally unique vault name, 3-24 characters. */
    readonly vaultName: pulumi.Input<string>;
    /** Entra tenant that authenticates callers of the vault. */
    readonly tenantId: pulumi.Input<string>;
    /** standard or premium (HSM-backed keys). */
    readonly sku: "standard" | "premium";
    /** Days a deleted vault or secret stays recoverable (7-90). */
    readonly softDeleteRetentionDays: number;
    /** Forbid purging deleted secrets before retention ends; cannot be turned off once on. */
    readonly purgeProtection: boolean;
    /** API key values by env var name; each becomes one secret. */
    readonly secrets: Readonly<Record<string, SecretValue>>;
    /** Platform secrets by Key Vault secret name (the edge's session key and client secret). */
    readonly namedSecrets?: Readonly<Record<string, pulumi.Input<string>>>;
    /** Tags applied to the vault. */
    readonly tags: Record<string, string>;
}

export class SecretsVault extends pulumi.ComponentResource {
    readonly id: pulumi.Output<string>;
    readonly name: pulumi.Output<string>;
    readonly uri: pulumi.Output<string>;
    /** The secrets by env var name, so the workloads can wait for them. */
    readonly secrets: Record<string, keyvault.Secret>;
    /** The platform secrets by Key Vault secret name. */
    readonly namedSecrets: Record<string, keyvault.Secret>;

    constructor(name: string, args: SecretsVaultArgs, opts?: pulumi.ComponentResourceOptions) {
        super("mcp-aks:azure:SecretsVault", name, {}, opts);
        const vault = new keyvault.Vault(
            `${name}-kv`,
            {
                resourceGroupName: args.resourceGroupName,
                location: args.location,
                vaultName: args.vaultName,
                properties: {
                    tenantId: args.tenantId,
                    sku: { family: "A", name: args.sku },
                    enableRbacAuthorization: true,
                    enableSoftDelete: true,
                    softDeleteRetentionInDays: args.softDeleteRetentionDays,
                    // Azure rejects enablePurgeProtection=false (the flag can only be switched on), so
                    // dev leaves it unset rather than false.
                    enablePurgeProtection: args.purgeProtection ? true : undefined,
                },
                tags: args.tags,
            },
            // Deleting a vault only soft-deletes it: with purge protection it (and every secret) stays
            // recoverable, and its name reserved, for softDeleteRetentionDays, and nobody can purge it sooner.
            // protect keeps `pulumi destroy` from doing that to prod by accident; the teardown runbook
            // (README, "Day 2") unprotects it on purpose.
            { parent: this, protect: args.purgeProtection },
        );

        const secret = (secretName: string, value: pulumi.Input<string>, tags: Record<string, string>) =>
            new keyvault.Secret(
                `${name}-${secretName}`,
                {
                    resourceGroupName: args.resourceGroupName,
                    vaultName: vault.name,
                    secretName,
                    properties: { value: pulumi.secret(value), contentType: "text/plain" },
                    tags,
                },
                { parent: this, additionalSecretOutputs: ["properties"] },
            );
        this.secrets = {};
        for (const [envVar, value] of Object.entries(args.secrets)) {
            this.secrets[envVar] = secret(keyVaultSecretName(envVar), value.reveal(), { envVar });
        }
        this.namedSecrets = {};
        for (const [secretName, value] of Object.entries(args.namedSecrets ?? {})) {
            this.namedSecrets[secretName] = secret(secretName, value, { usedBy: "mcp-edge" });
        }

        this.id = vault.id;
        this.name = vault.name;
        this.uri = vault.properties.apply((p) => p.vaultUri ?? "");
        this.registerOutputs({ id: this.id, name: this.name, uri: this.uri });
    }
}
