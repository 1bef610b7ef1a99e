/** The namespace's NetworkPolicies: default deny, then the MCP server's and Qdrant's own flows. */
import * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";
import type { WorkloadConfig } from "./specs/common";
import { defaultDenyPolicyManifest, mcpServerPolicyManifest, qdrantBackupPolicyManifest, qdrantPolicyManifest } from "./specs/network-policies";

export interface NetworkPoliciesArgs {
    /** The validated stack config (namespace, endpoint source ranges). */
    readonly config: WorkloadConfig;
    /** What every policy waits for: the namespace. */
    readonly dependsOn: pulumi.Input<pulumi.Resource>[];
}

export class NetworkPolicies extends pulumi.ComponentResource {
    /** The policies, so that workloads start only once their traffic is already restricted. */
    readonly policies: k8s.networking.v1.NetworkPolicy[];

    constructor(name: string, args: NetworkPoliciesArgs, opts?: pulumi.ComponentResourceOptions) {
        super("mcp-aks:cluster:NetworkPolicies", name, {}, opts);
        const o = { parent: this, dependsOn: args.dependsOn };
        this.policies = [
            new k8s.networking.v1.NetworkPolicy(`${name}-default-deny`, defaultDenyPolicyManifest(args.config), o),
            new k8s.networking.v1.NetworkPolicy(`${name}-mcp-server`, mcpServerPolicyManifest(args.config), o),
            new k8s.networking.v1.NetworkPolicy(`${name}-qdrant`, qdrantPolicyManifest(args.config), o),
        ];
        if (args.config.qdrant.backup.enabled) {
            this.policies.push(new k8s.networking.v1.NetworkPolicy(`${name}-qdrant-backup`, qdrantBackupPolicyManifest(args.config), o));
        }
        this.registerOutputs({ policyNames: this.policies.map((p) => p.metadata.name) });
    }
}
