/**
 * Azure Policy for the cluster: the built-in initiative "Kubernetes cluster pod security restricted
 * standards for Linux-based workloads", assigned to the cluster alone in audit mode. The Azure Policy
 * add-on (Gatekeeper) evaluates it inside the cluster and reports compliance to Azure Policy; without an
 * assignment the add-on audits nothing. Audit, not deny: admission is already enforced by the namespace's
 * Pod Security "restricted" label, and a deny here would also block AKS add-ons outside the excluded
 * namespaces during upgrades.
 */
import * as pulumi from "@pulumi/pulumi";
import * as authorization from "@pulumi/azure-native/authorization";

/** Built-in policy set definition (same id in every tenant; Azure/azure-policy PSPRestrictedStandard.json). */
export const POD_SECURITY_RESTRICTED_INITIATIVE = "/providers/Microsoft.Authorization/policySetDefinitions/42b8ef37-b724-4e24-bbc8-7a7708edfe00";

/** The initiative's default exclusions: namespaces of AKS and the policy add-on itself. */
export const POLICY_EXCLUDED_NAMESPACES = ["kube-system", "gatekeeper-system", "azure-arc", "azure-extensions-usage-system"];

/** The assignment's parameters: audit only, with the initiative's own exclusions. Pure. */
export function podSecurityAssignmentParameters() {
    return { effect: { value: "Audit" }, excludedNamespaces: { value: [...POLICY_EXCLUDED_NAMESPACES] } };
}

export interface ClusterPolicyArgs {
    /** The AKS cluster the assignment is scoped to. */
    readonly clusterId: pulumi.Input<string>;
    /** Shown in the portal. */
    readonly clusterName: string;
}

export class ClusterPolicy extends pulumi.ComponentResource {
    readonly assignmentId: pulumi.Output<string>;

    constructor(name: string, args: ClusterPolicyArgs, opts?: pulumi.ComponentResourceOptions) {
        super("mcp-aks:azure:ClusterPolicy", name, {}, opts);
        const assignment = new authorization.PolicyAssignment(
            `${name}-pod-security-restricted`,
            {
                scope: args.clusterId,
                policyAssignmentName: "pod-security-restricted",
                displayName: `[${args.clusterName}] Pod security restricted standards (audit)`,
                policyDefinitionId: POD_SECURITY_RESTRICTED_INITIATIVE,
                enforcementMode: "Default",
                parameters: podSecurityAssignmentParameters(),
                nonComplianceMessages: [{ message: "Pods must meet the Pod Security Standards restricted profile (runAsNonRoot, no privilege escalation, drop ALL, RuntimeDefault seccomp)." }],
            },
            { parent: this },
        );
        this.assignmentId = assignment.id;
        this.registerOutputs({ assignmentId: this.assignmentId });
    }
}
