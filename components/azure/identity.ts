/**
 * A workload's Azure identity (one per MCP server): a user-assigned managed identity and the federated credentials that let
 * Kubernetes ServiceAccounts exchange their tokens for it. Issuer, subject and audience all come from
 * one place (DESIGN.md pitfall 1).
 */
import * as pulumi from "@pulumi/pulumi";
import * as managedidentity from "@pulumi/azure-native/managedidentity";
import { federatedCredentialName } from "../naming";
import { TOKEN_EXCHANGE_AUDIENCE, serviceAccountSubject } from "../workload-identity";

/** A Kubernetes ServiceAccount that may act as the identity. */
export interface FederatedSubject {
    readonly namespace: string;
    readonly serviceAccount: string;
}

export interface WorkloadIdentityArgs {
    /** Resource group that holds the identity. */
    readonly resourceGroupName: pulumi.Input<string>;
    /** Azure region. */
    readonly location: string;
    /** Name of the user-assigned identity. */
    readonly identityName: string;
    /** The cluster's OIDC issuer URL: tokens from any other issuer are rejected. */
    readonly oidcIssuerUrl: pulumi.Input<string>;
    /** ServiceAccounts that may use the identity; one federated credential each. */
    readonly subjects: readonly FederatedSubject[];
    /** Tags applied to the identity. */
    readonly tags: Record<string, string>;
}

export class WorkloadIdentity extends pulumi.ComponentResource {
    readonly id: pulumi.Output<string>;
    readonly clientId: pulumi.Output<string>;
    readonly principalId: pulumi.Output<string>;
    readonly tenantId: pulumi.Output<string>;
    /** The federated credentials, in creation order; workloads that use the identity depend on them. */
    readonly credentials: managedidentity.FederatedIdentityCredential[];

    constructor(name: string, args: WorkloadIdentityArgs, opts?: pulumi.ComponentResourceOptions) {
        super("mcp-aks:azure:WorkloadIdentity", name, {}, opts);
        const identity = new managedidentity.UserAssignedIdentity(
            `${name}-uami`,
            { resourceGroupName: args.resourceGroupName, location: args.location, resourceName: args.identityName, tags: args.tags },
            { parent: this },
        );

        this.credentials = [];
        for (const subject of args.subjects) {
            const previous = this.credentials[this.credentials.length - 1];
            const credential = new managedidentity.FederatedIdentityCredential(
                `${name}-fic-${subject.namespace}-${subject.serviceAccount}`,
                {
                    resourceGroupName: args.resourceGroupName,
                    resourceName: identity.name,
                    federatedIdentityCredentialResourceName: federatedCredentialName(subject.namespace, subject.serviceAccount),
                    issuer: args.oidcIssuerUrl,
                    subject: serviceAccountSubject(subject.namespace, subject.serviceAccount),
                    audiences: [TOKEN_EXCHANGE_AUDIENCE],
                },
                // Azure rejects concurrent writes of federated credentials to one identity
                // (ConcurrentFederatedIdentityCredentialsWritesForSingleManagedIdentity), so chain them.
                { parent: this, dependsOn: previous ? [previous] : [] },
            );
            this.credentials.push(credential);
        }

        this.id = identity.id;
        this.clientId = identity.clientId;
        this.principalId = identity.principalId;
        this.tenantId = identity.tenantId;
        this.registerOutputs({ id: this.id, clientId: this.clientId, principalId: this.principalId });
    }
}
