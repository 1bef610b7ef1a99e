/**
 * The workload namespace (Pod Security "restricted", enforced) and the priority class its pods use.
 */
import * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";
import type { WorkloadConfig } from "./specs/common";
import { namespaceManifest, priorityClassManifest } from "./specs/namespace";

export interface NamespaceArgs {
    /** The validated stack config (namespace name). */
    readonly config: WorkloadConfig;
}

export class Namespace extends pulumi.ComponentResource {
    /** The namespace name; depending on it orders creation after the namespace exists. */
    readonly name: pulumi.Output<string>;
    readonly priorityClassName: pulumi.Output<string>;
    /** The Kubernetes Namespace, for dependsOn of the namespaced objects. */
    readonly namespace: k8s.core.v1.Namespace;

    constructor(name: string, args: NamespaceArgs, opts?: pulumi.ComponentResourceOptions) {
        super("mcp-aks:cluster:Namespace", name, {}, opts);
        this.namespace = new k8s.core.v1.Namespace(`${name}-namespace`, namespaceManifest(args.config), { parent: this });
        const priorityClass = new k8s.scheduling.v1.PriorityClass(`${name}-priority`, priorityClassManifest(args.config), { parent: this });
        this.name = this.namespace.metadata.name;
        this.priorityClassName = priorityClass.metadata.name;
        this.registerOutputs({ name: this.name, priorityClassName: this.priorityClassName });
    }
}
