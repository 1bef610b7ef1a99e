/**
 * Qdrant's scheduled snapshots to Blob storage: the backup ServiceAccount (federated to its own identity),
 * the scripts and settings, and the CronJob. The restore Job uses the same ServiceAccount and ConfigMaps
 * (`npm run restore` renders it).
 */
import * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";
import type { WorkloadConfig } from "./specs/common";
import {
    BackupTargetInputs,
    backupCronJobManifest,
    backupScriptsConfigMapManifest,
    backupServiceAccountManifest,
    backupSettingsConfigMapManifest,
} from "./specs/qdrant-backup";

export interface QdrantBackupArgs {
    /** The validated stack config (namespace, qdrant.replicas, qdrant.backup). */
    readonly config: WorkloadConfig;
    /** The curl image, as a reference in the stack's ACR. */
    readonly image: pulumi.Input<string>;
    /** The backup identity and the storage target. */
    readonly target: BackupTargetInputs<pulumi.Input<string>>;
    /** What every namespaced object waits for: the namespace, the priority class, the network policies. */
    readonly dependsOn: pulumi.Input<pulumi.Resource>[];
    /** What the first run also waits for: the federated credential, the role, Qdrant and its key Secret. */
    readonly runDependencies: pulumi.Input<pulumi.Resource>[];
}

export class QdrantBackup extends pulumi.ComponentResource {
    readonly cronJobName: pulumi.Output<string>;
    readonly serviceAccountName: pulumi.Output<string>;

    constructor(name: string, args: QdrantBackupArgs, opts?: pulumi.ComponentResourceOptions) {
        super("mcp-aks:cluster:QdrantBackup", name, {}, opts);
        const cfg = args.config;
        const inNamespace = { parent: this, dependsOn: args.dependsOn };
        const serviceAccount = new k8s.core.v1.ServiceAccount(`${name}-service-account`, backupServiceAccountManifest(cfg, args.target), inNamespace);
        const scripts = new k8s.core.v1.ConfigMap(`${name}-scripts`, backupScriptsConfigMapManifest(cfg), inNamespace);
        const settings = new k8s.core.v1.ConfigMap(`${name}-settings`, backupSettingsConfigMapManifest(cfg, args.target), inNamespace);
        const cronJob = new k8s.batch.v1.CronJob(`${name}-cronjob`, backupCronJobManifest(cfg, args.image), {
            parent: this,
            dependsOn: [...args.dependsOn, ...args.runDependencies, serviceAccount, scripts, settings],
        });
        this.cronJobName = cronJob.metadata.name;
        this.serviceAccountName = serviceAccount.metadata.name;
        this.registerOutputs({ cronJobName: this.cronJobName, serviceAccountName: this.serviceAccountName });
    }
}
