/**
 * Qdrant: a StatefulSet on zone-aware premium disks (one node in dev; in prod a 3-node cluster spread over
 * zones with a PDB), reachable only inside the cluster and only with the generated API key that it shares
 * with the MCP server and the backup job through one Secret.
 */
import * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";
import * as random from "@pulumi/random";
import type { WorkloadConfig } from "./specs/common";
import { NAMES } from "./specs/common";
import {
    qdrantApiKeySecretManifest,
    qdrantHeadlessServiceManifest,
    qdrantPodDisruptionBudgetManifest,
    qdrantServiceAccountManifest,
    qdrantServiceManifest,
    qdrantStatefulSetManifest,
    qdrantStorageClassManifest,
} from "./specs/qdrant";

export interface QdrantArgs {
    /** The validated stack config (namespace, qdrant, environment, zones). */
    readonly config: WorkloadConfig;
    /** Resource group the stack owns, for the disks (StorageClass `resourceGroup`). */
    readonly diskResourceGroup: pulumi.Input<string>;
    /** The in-ACR Qdrant image; an Output of its import, so the StatefulSet waits for the copy to exist. */
    readonly image: pulumi.Input<string>;
    /** What every namespaced object waits for: the namespace, the priority class, the network policies. */
    readonly dependsOn: pulumi.Input<pulumi.Resource>[];
}

export class Qdrant extends pulumi.ComponentResource {
    /** The ClusterIP Service clients use. */
    readonly serviceName: pulumi.Output<string>;
    /** The Secret (key `api-key`) that holds the API key. */
    readonly apiKeySecretName: pulumi.Output<string>;
    readonly statefulSet: k8s.apps.v1.StatefulSet;
    /** The API key Secret: the MCP server's first rollout waits for it. */
    readonly apiKeySecret: k8s.core.v1.Secret;

    constructor(name: string, args: QdrantArgs, opts?: pulumi.ComponentResourceOptions) {
        super("mcp-aks:cluster:Qdrant", name, {}, opts);
        const cfg = args.config;
        const inNamespace = { parent: this, dependsOn: args.dependsOn };

        // Alphanumeric: the key travels in an `api-key` HTTP header and in env vars, where symbols invite
        // quoting bugs; 48 characters of [A-Za-z0-9] are still ~285 bits.
        const apiKey = new random.RandomPassword(`${name}-api-key-value`, { length: 48, special: false }, { parent: this });
        const readOnlyKey = cfg.qdrant.readOnlyApiKey
            ? new random.RandomPassword(`${name}-read-only-api-key-value`, { length: 48, special: false }, { parent: this }).result
            : undefined;
        this.apiKeySecret = new k8s.core.v1.Secret(`${name}-api-key`, qdrantApiKeySecretManifest(cfg, apiKey.result, readOnlyKey), inNamespace);

        const storageClass = new k8s.storage.v1.StorageClass(`${name}-storage-class`, qdrantStorageClassManifest(cfg, args.diskResourceGroup), { parent: this });
        const serviceAccount = new k8s.core.v1.ServiceAccount(`${name}-service-account`, qdrantServiceAccountManifest(cfg), inNamespace);
        const headless = new k8s.core.v1.Service(`${name}-headless`, qdrantHeadlessServiceManifest(cfg), inNamespace);
        const service = new k8s.core.v1.Service(`${name}-service`, qdrantServiceManifest(cfg), inNamespace);

        this.statefulSet = new k8s.apps.v1.StatefulSet(`${name}-statefulset`, qdrantStatefulSetManifest(cfg, args.image), {
            parent: this,
            dependsOn: [...args.dependsOn, this.apiKeySecret, storageClass, serviceAccount, headless],
            // The vectors live on the claims, which the StatefulSet neither owns nor deletes (Retain
            // retention policy); prod disks also survive their claims (StorageClass reclaimPolicy Retain).
            // What remains is a `pulumi destroy` or a replacement (an immutable field such as the claim
            // templates changed) silently taking prod Qdrant down and orphaning its disks: protect makes
            // either one stop and ask for `pulumi state unprotect`. retainOnDelete would not help: a
            // replacement would then collide with the abandoned StatefulSet of the same name.
            protect: cfg.environment === "prod",
        });

        const pdb = qdrantPodDisruptionBudgetManifest(cfg);
        if (pdb) new k8s.policy.v1.PodDisruptionBudget(`${name}-pdb`, pdb, inNamespace);

        this.serviceName = service.metadata.name;
        this.apiKeySecretName = this.apiKeySecret.metadata.name;
        this.registerOutputs({ serviceName: this.serviceName, apiKeySecretName: this.apiKeySecretName, secretKey: NAMES.qdrantApiKeySecretKey });
    }
}
