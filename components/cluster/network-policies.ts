/** The namespace's NetworkPolicies: default deny, then each MCP server's and Qdrant's own flows. */
import * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";
import type { WorkloadConfig } from "./specs/common";
import { networkPolicyManifests } from "./specs/network-policies";

export interface NetworkPoliciesArgs {
    /** The validated stack config (namespace, MCP servers). */
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
        // Logical names follow the object names, which are unique in the namespace.
        this.policies = networkPolicyManifests(args.config).map((p) => new k8s.networking.v1.NetworkPolicy(`${name}-${p.metadata.name}`, p, o));
        this.registerOutputs({ policyNames: this.policies.map((p) => p.metadata.name) });
    }
}
