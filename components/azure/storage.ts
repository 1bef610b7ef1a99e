/**
 * Where Qdrant's snapshots go: a storage account the stack owns, one private container, a lifecycle rule
 * that deletes old snapshots, and a user-assigned identity of its own, federated to the backup
 * ServiceAccount and allowed to read and write blobs in that container only.
 */
import * as pulumi from "@pulumi/pulumi";
import * as storage from "@pulumi/azure-native/storage";
import { WorkloadIdentity } from "./identity";
import { BUILT_IN_ROLES, scopedRoleAssignment } from "./role-assignment";

/** The container that holds the snapshots; one per storage account, so one per stack. */
export const SNAPSHOT_CONTAINER = "qdrant-snapshots";

export interface BackupStorageArgs {
    /** Resource group that holds the account and the identity. */
    readonly resourceGroupName: pulumi.Input<string>;
    /** Azure region. */
    readonly location: string;
    /** Globally unique account name (naming.ts, with the stack's random suffix). */
    readonly accountName: pulumi.Input<string>;
    /** Name of the backup job's user-assigned identity. */
    readonly identityName: string;
    /** prod: zone-redundant, versioning and soft delete; dev: locally redundant, neither. */
    readonly production: boolean;
    /** Days after its last modification that a snapshot blob is deleted. */
    readonly retentionDays: number;
    /** The cluster's OIDC issuer URL, for the federated credential. */
    readonly oidcIssuerUrl: pulumi.Input<string>;
    /** The ServiceAccount the backup and restore pods run as. */
    readonly subject: { readonly namespace: string; readonly serviceAccount: string };
    /** Subscription that holds the role definition. */
    readonly subscriptionId: pulumi.Input<string>;
    /** Tags applied to every resource. */
    readonly tags: Record<string, string>;
}

/** The account's settings, pure, so that tests read them without mocks. */
export function storageAccountSettings(production: boolean) {
    return {
        kind: "StorageV2",
        // ZRS keeps three copies in three zones: the snapshots outlive a zone outage along with the cluster.
        sku: { name: production ? "Standard_ZRS" : "Standard_LRS" },
        accessTier: "Hot",
        allowBlobPublicAccess: false,
        // Entra ID only: no account key can be leaked, and SAS tokens signed with one stop working.
        allowSharedKeyAccess: false,
        defaultToOAuthAuthentication: true,
        minimumTlsVersion: "TLS1_2",
        enableHttpsTrafficOnly: true,
        allowCrossTenantReplication: false,
        isLocalUserEnabled: false,
        isSftpEnabled: false,
    } as const;
}

/** Soft delete and versioning: a deleted or overwritten snapshot stays recoverable for this many days in prod. */
export const SOFT_DELETE_DAYS = 7;

/** The lifecycle rule: snapshots (and, with versioning, their previous versions) go after `retentionDays`. */
export function snapshotLifecyclePolicy(containerName: string, retentionDays: number, versioning: boolean) {
    return {
        rules: [
            {
                name: "delete-old-qdrant-snapshots",
                enabled: true,
                type: "Lifecycle",
                definition: {
                    // prefixMatch starts with the container name: the rule touches this container only.
                    filters: { blobTypes: ["blockBlob"], prefixMatch: [`${containerName}/`] },
                    actions: {
                        baseBlob: { delete: { daysAfterModificationGreaterThan: retentionDays } },
                        // With versioning, deleting a base blob keeps it as a previous version: without this
                        // action the deleted snapshots would be billed forever.
                        ...(versioning ? { version: { delete: { daysAfterCreationGreaterThan: SOFT_DELETE_DAYS } } } : {}),
                    },
                },
            },
        ],
    };
}

export class BackupStorage extends pulumi.ComponentResource {
    readonly accountName: pulumi.Output<string>;
    readonly containerName: pulumi.Output<string>;
    /** `https://<account>.blob.core.windows.net` (no trailing slash). */
    readonly blobEndpoint: pulumi.Output<string>;
    /** Resource id of the container: the scope of the backup identity's role. */
    readonly containerId: pulumi.Output<string>;
    readonly identityClientId: pulumi.Output<string>;
    /** What the backup CronJob waits for: the federated credential and the role. */
    readonly dependencies: pulumi.Resource[];

    constructor(name: string, args: BackupStorageArgs, opts?: pulumi.ComponentResourceOptions) {
        super("mcp-aks:azure:BackupStorage", name, {}, opts);
        const account = new storage.StorageAccount(
            `${name}-account`,
            { resourceGroupName: args.resourceGroupName, location: args.location, accountName: args.accountName, tags: args.tags, ...storageAccountSettings(args.production) },
            // Deleting the account deletes every snapshot with it: prod refuses without an explicit unprotect.
            { parent: this, protect: args.production },
        );
        const retention = { enabled: true, days: SOFT_DELETE_DAYS };
        const blobService = new storage.BlobServiceProperties(
            `${name}-blob-service`,
            {
                resourceGroupName: args.resourceGroupName,
                accountName: account.name,
                blobServicesName: "default",
                isVersioningEnabled: args.production,
                deleteRetentionPolicy: args.production ? retention : { enabled: false },
                containerDeleteRetentionPolicy: args.production ? retention : { enabled: false },
            },
            { parent: this },
        );
        const container = new storage.BlobContainer(
            `${name}-container`,
            { resourceGroupName: args.resourceGroupName, accountName: account.name, containerName: SNAPSHOT_CONTAINER, publicAccess: "None" },
            { parent: this, dependsOn: [blobService] },
        );
        new storage.ManagementPolicy(
            `${name}-lifecycle`,
            {
                resourceGroupName: args.resourceGroupName,
                accountName: account.name,
                // Azure accepts only this name: one management policy per account.
                managementPolicyName: "default",
                policy: snapshotLifecyclePolicy(SNAPSHOT_CONTAINER, args.retentionDays, args.production),
            },
            { parent: this, dependsOn: [blobService] },
        );

        const identity = new WorkloadIdentity(
            `${name}-identity`,
            {
                resourceGroupName: args.resourceGroupName,
                location: args.location,
                identityName: args.identityName,
                oidcIssuerUrl: args.oidcIssuerUrl,
                subjects: [args.subject],
                tags: args.tags,
            },
            { parent: this },
        );
        const role = scopedRoleAssignment(
            `${name}-blob-contributor`,
            {
                scope: container.id,
                principalId: identity.principalId,
                principalType: "ServicePrincipal",
                roleId: BUILT_IN_ROLES.storageBlobDataContributor,
                subscriptionId: args.subscriptionId,
                description: "Qdrant backup job writes and reads snapshots in its container",
            },
            { parent: this },
        );

        this.accountName = account.name;
        this.containerName = container.name;
        this.containerId = container.id;
        this.blobEndpoint = account.primaryEndpoints.apply((e) => (e?.blob ?? "").replace(/\/+$/, ""));
        this.identityClientId = identity.clientId;
        this.dependencies = [...identity.credentials, role];
        this.registerOutputs({ accountName: this.accountName, containerName: this.containerName, blobEndpoint: this.blobEndpoint, identityClientId: this.identityClientId });
    }
}
