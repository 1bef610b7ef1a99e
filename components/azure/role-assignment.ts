/**
 * Azure built-in role ids and one helper to grant a role on exactly one resource. Every grant in this
 * program goes through scopedRoleAssignment, so principalType and the deterministic name are never
 * forgotten.
 */
import * as pulumi from "@pulumi/pulumi";
import * as authorization from "@pulumi/azure-native/authorization";
import { roleAssignmentName } from "../naming";

/** Built-in role definition GUIDs (the same in every tenant). */
export const BUILT_IN_ROLES = {
    /** Pull images from a registry. */
    acrPull: "7f951dda-4ed3-4680-a7ca-43fe172d538d",
    /** Read secret contents in an RBAC-mode Key Vault. */
    keyVaultSecretsUser: "4633458b-17de-408a-b874-0445c86b69e6",
    /** Full Kubernetes RBAC on an Entra ID + Azure RBAC cluster. */
    aksRbacClusterAdmin: "b1ff04bb-8a4e-4dc4-8eb5-8693973ce19b",
    /** Read, write and delete blobs (data plane); granted on one container only. */
    storageBlobDataContributor: "ba92f5b4-2d11-453d-a403-e96b0029c9fe",
    /** Manage everything in a scope except access: the AKS control-plane identity on the data resource group. */
    contributor: "b24988ac-6180-42a0-ab88-20f7382dd24c",
    /** Publish metrics to an Azure Monitor workspace's data collection rule. */
    monitoringMetricsPublisher: "3913510d-42f4-4e42-8a64-420c390055eb",
} as const;

export type PrincipalType = "User" | "ServicePrincipal" | "Group";

export interface ScopedRoleAssignmentArgs {
    /** Resource id the role applies to: one resource, or a resource group the stack dedicates to one purpose (the data group; cluster admins: the stack's own resource group, see clusterAdminGrants); never a subscription. */
    readonly scope: pulumi.Input<string>;
    /** Object id of the principal that receives the role. */
    readonly principalId: pulumi.Input<string>;
    /** Always set: Azure cannot always resolve a principal that was created seconds ago (PrincipalNotFound). */
    readonly principalType: PrincipalType;
    /** Built-in role GUID from BUILT_IN_ROLES. */
    readonly roleId: string;
    /** Subscription that holds the role definition. */
    readonly subscriptionId: pulumi.Input<string>;
    /** Why this grant exists, shown in the portal. */
    readonly description: string;
}

/**
 * Grants one built-in role on one resource, under a GUID derived from scope, principal and role: a new
 * scope or principal yields a new GUID, so the replacement is created before the old one is deleted.
 */
export function scopedRoleAssignment(name: string, args: ScopedRoleAssignmentArgs, opts: pulumi.CustomResourceOptions): authorization.RoleAssignment {
    const roleDefinitionId = pulumi.interpolate`/subscriptions/${args.subscriptionId}/providers/Microsoft.Authorization/roleDefinitions/${args.roleId}`;
    return new authorization.RoleAssignment(
        name,
        {
            scope: args.scope,
            principalId: args.principalId,
            principalType: args.principalType,
            roleDefinitionId,
            roleAssignmentName: pulumi
                .all([args.scope, args.principalId, roleDefinitionId])
                .apply(([scope, principal, role]) => roleAssignmentName(scope, principal, role)),
            description: args.description,
        },
        opts,
    );
}
