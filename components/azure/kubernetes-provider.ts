/**
 * The Kubernetes provider for the cluster this stack creates, built from its Entra ID user credentials.
 */
import * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";
import * as containerservice from "@pulumi/azure-native/containerservice";
import { KubeloginOptions, toNonInteractiveKubeconfig } from "./kubeconfig";

export interface ClusterKubeconfigArgs {
    /** Resource group of the cluster. */
    readonly resourceGroupName: pulumi.Input<string>;
    /** The cluster's name. */
    readonly clusterName: pulumi.Input<string>;
    /** The cluster's id: unknown until the cluster exists, which gates the credential lookup. */
    readonly clusterId: pulumi.Input<string>;
    /** How kubelogin authenticates. */
    readonly kubelogin: KubeloginOptions;
}

/**
 * The cluster's kubeconfig, converted for non-interactive kubelogin, as a secret. The lookup runs inside
 * an apply on the cluster id: during the first preview the id is unknown, so the lookup is skipped and
 * the kubeconfig stays unknown instead of failing with ResourceNotFound (DESIGN.md pitfall 2).
 */
export function clusterKubeconfig(args: ClusterKubeconfigArgs): pulumi.Output<string> {
    const kubeconfig = pulumi.all([args.clusterId, args.clusterName, args.resourceGroupName]).apply(async ([, clusterName, resourceGroupName]) => {
        const creds = await containerservice.listManagedClusterUserCredentials({ resourceGroupName, resourceName: clusterName, format: "exec" });
        const first = creds.kubeconfigs?.[0]?.value;
        if (!first) throw new Error(`AKS returned no user kubeconfig for cluster ${clusterName}.`);
        return toNonInteractiveKubeconfig(Buffer.from(first, "base64").toString("utf8"), args.kubelogin);
    });
    return pulumi.secret(kubeconfig);
}

/** A provider that talks to the cluster through the converted kubeconfig. */
export function clusterProvider(name: string, kubeconfig: pulumi.Output<string>, opts: pulumi.CustomResourceOptions): k8s.Provider {
    return new k8s.Provider(
        name,
        {
            kubeconfig,
            // Server-side apply lets the HPA and other controllers own their fields without Pulumi
            // reverting them on the next update.
            enableServerSideApply: true,
        },
        opts,
    );
}
