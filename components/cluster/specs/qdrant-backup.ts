/**
 * Pure specs for Qdrant's backups: the backup ServiceAccount (federated to its own identity), the scripts
 * and settings ConfigMaps, the snapshot CronJob, and the restore Job that `npm run restore` renders. Both
 * jobs run POSIX sh scripts (components/cluster/scripts/) on a small curl image from the stack's ACR.
 */
import * as fs from "fs";
import * as path from "path";
import type * as k8s from "@pulumi/kubernetes";
import {
    WORKLOAD_IDENTITY_CLIENT_ID_ANNOTATION,
    WORKLOAD_IDENTITY_TENANT_ID_ANNOTATION,
    WORKLOAD_IDENTITY_USE_LABEL,
} from "../../workload-identity";
import {
    NAMES,
    Str,
    WorkloadConfig,
    labels,
    priorityClassName,
    restrictedContainerSecurityContext,
    restrictedPodSecurityContext,
} from "./common";
import { qdrantNodeUrls } from "./qdrant";

/** uid of `curl_user` in the curlimages/curl image; any non-root uid works, the scripts write only /work. */
export const BACKUP_UID = 100;
export const BACKUP_COMPONENT = "backup";
export const RESTORE_COMPONENT = "restore";
/** The x-ms-version the scripts send: 2019-12-12 and later allow 5000 MiB in one Put Blob. */
export const BLOB_API_VERSION = "2021-08-06";
/** A backup run must end before the next one is due (hourly in prod); Forbid then skips no run. */
export const BACKUP_DEADLINE_SECONDS = 50 * 60;
/** The restore Job's deadline: the 30-minute RTO (seeds/004). */
export const RESTORE_DEADLINE_SECONDS = 30 * 60;

const SCRIPTS_DIR = path.join(__dirname, "..", "scripts");
const SCRIPTS_PATH = "/scripts";
const WORK_PATH = "/work";
export const SCRIPT_FILES = ["lib.sh", "qdrant-backup.sh", "qdrant-restore.sh"] as const;

/** The scripts as shipped in the ConfigMap, read from the repository (the same files the tests run). */
export function backupScripts(): Record<(typeof SCRIPT_FILES)[number], string> {
    return Object.fromEntries(SCRIPT_FILES.map((f) => [f, fs.readFileSync(path.join(SCRIPTS_DIR, f), "utf8")])) as Record<(typeof SCRIPT_FILES)[number], string>;
}

/** Where the snapshots go, from the Azure layer. */
export interface BackupTargetInputs<S extends Str = string> {
    /** Client id of the backup identity (federated to the backup ServiceAccount). */
    readonly clientId: S;
    readonly tenantId: S;
    /** `https://<account>.blob.core.windows.net`. */
    readonly blobEndpoint: S;
    readonly containerName: S;
}

/** QDRANT_NODES for the scripts: `qdrant-0=http://qdrant-0.qdrant-headless...:6333 qdrant-1=...`. */
export function qdrantNodesSetting(cfg: Pick<WorkloadConfig, "namespace" | "qdrant">): string {
    return qdrantNodeUrls(cfg)
        .map((n) => `${n.name}=${n.url}`)
        .join(" ");
}

export function backupServiceAccountManifest<S extends Str = string>(cfg: Pick<WorkloadConfig, "namespace">, target: Pick<BackupTargetInputs<S>, "clientId" | "tenantId">) {
    return {
        apiVersion: "v1",
        kind: "ServiceAccount",
        metadata: {
            name: NAMES.qdrantBackupServiceAccount,
            namespace: cfg.namespace,
            labels: labels(NAMES.qdrantBackup, BACKUP_COMPONENT),
            annotations: { [WORKLOAD_IDENTITY_CLIENT_ID_ANNOTATION]: target.clientId, [WORKLOAD_IDENTITY_TENANT_ID_ANNOTATION]: target.tenantId },
        },
        // The webhook projects its own Entra-audience token; the jobs never call the Kubernetes API.
        automountServiceAccountToken: false,
    } satisfies k8s.types.input.core.v1.ServiceAccount;
}

export function backupScriptsConfigMapManifest(cfg: Pick<WorkloadConfig, "namespace">) {
    return {
        apiVersion: "v1",
        kind: "ConfigMap",
        metadata: { name: NAMES.qdrantBackupScripts, namespace: cfg.namespace, labels: labels(NAMES.qdrantBackup, BACKUP_COMPONENT) },
        data: backupScripts(),
    } satisfies k8s.types.input.core.v1.ConfigMap;
}

export function backupSettingsConfigMapManifest<S extends Str = string>(cfg: Pick<WorkloadConfig, "namespace" | "qdrant">, target: Pick<BackupTargetInputs<S>, "blobEndpoint" | "containerName">) {
    return {
        apiVersion: "v1",
        kind: "ConfigMap",
        metadata: { name: NAMES.qdrantBackupSettings, namespace: cfg.namespace, labels: labels(NAMES.qdrantBackup, BACKUP_COMPONENT) },
        data: {
            QDRANT_NODES: qdrantNodesSetting(cfg),
            BLOB_ENDPOINT: target.blobEndpoint,
            BLOB_CONTAINER: target.containerName,
            BLOB_API_VERSION,
            WORK_DIR: WORK_PATH,
        },
    } satisfies k8s.types.input.core.v1.ConfigMap;
}

/** The pod both jobs run: restricted, workload identity, the scripts read-only, scratch space for one snapshot. */
export function backupPodTemplate<S extends Str = string>(cfg: WorkloadConfig, image: S, script: "qdrant-backup.sh" | "qdrant-restore.sh", extraEnv: Array<{ name: string; value: string }> = []) {
    const component = script === "qdrant-backup.sh" ? BACKUP_COMPONENT : RESTORE_COMPONENT;
    return {
        metadata: { labels: { ...labels(NAMES.qdrantBackup, component), [WORKLOAD_IDENTITY_USE_LABEL]: "true" } },
        spec: {
            serviceAccountName: NAMES.qdrantBackupServiceAccount,
            automountServiceAccountToken: false,
            enableServiceLinks: false,
            priorityClassName: priorityClassName(cfg),
            restartPolicy: "Never",
            securityContext: restrictedPodSecurityContext(BACKUP_UID),
            containers: [
                {
                    name: component,
                    image,
                    imagePullPolicy: "Always",
                    command: ["/bin/sh", `${SCRIPTS_PATH}/${script}`],
                    securityContext: restrictedContainerSecurityContext(),
                    envFrom: [{ configMapRef: { name: NAMES.qdrantBackupSettings } }],
                    env: [
                        // The same Secret and key Qdrant and the MCP server read: one source for the API key.
                        { name: "QDRANT_API_KEY", valueFrom: { secretKeyRef: { name: NAMES.qdrantApiKeySecret, key: NAMES.qdrantApiKeySecretKey } } },
                        ...extraEnv,
                    ],
                    resources: { requests: { cpu: "50m", memory: "64Mi" }, limits: { cpu: "500m", memory: "256Mi" } },
                    volumeMounts: [
                        { name: "scripts", mountPath: SCRIPTS_PATH, readOnly: true },
                        { name: "work", mountPath: WORK_PATH },
                    ],
                },
            ],
            volumes: [
                { name: "scripts", configMap: { name: NAMES.qdrantBackupScripts, defaultMode: 0o444 } },
                // One snapshot at a time is downloaded here, uploaded and deleted: it can be as large as a collection.
                { name: "work", emptyDir: { sizeLimit: cfg.qdrant.storageSize } },
            ],
        },
    } satisfies k8s.types.input.core.v1.PodTemplateSpec;
}

export function backupCronJobManifest<S extends Str = string>(cfg: WorkloadConfig, image: S) {
    return {
        apiVersion: "batch/v1",
        kind: "CronJob",
        metadata: { name: NAMES.qdrantBackup, namespace: cfg.namespace, labels: labels(NAMES.qdrantBackup, BACKUP_COMPONENT) },
        spec: {
            schedule: cfg.qdrant.backup.schedule,
            timeZone: "Etc/UTC",
            // Two runs at once would snapshot the same nodes twice and race on the node's snapshot volume.
            concurrencyPolicy: "Forbid",
            // A run that could not start within 10 minutes (cluster down, upgrade) is skipped, not piled up.
            startingDeadlineSeconds: 600,
            successfulJobsHistoryLimit: 3,
            failedJobsHistoryLimit: 3,
            jobTemplate: {
                metadata: { labels: labels(NAMES.qdrantBackup, BACKUP_COMPONENT) },
                spec: {
                    backoffLimit: 2,
                    activeDeadlineSeconds: BACKUP_DEADLINE_SECONDS,
                    template: backupPodTemplate(cfg, image, "qdrant-backup.sh"),
                },
            },
        },
    } satisfies k8s.types.input.batch.v1.CronJob;
}

/** A backup run id (`20261121T190000Z`) as part of a Kubernetes name. */
export function restoreJobName(run: string): string {
    return `qdrant-restore-${run.toLowerCase().replace(/[^a-z0-9-]/g, "-")}`.slice(0, 63).replace(/-+$/, "");
}

/** The restore Job `npm run restore` prints: the backup pod running qdrant-restore.sh for one run. */
export function restoreJobManifest(cfg: WorkloadConfig, image: string, run: string, options: { collections?: readonly string[]; allowIncomplete?: boolean } = {}) {
    const env = [{ name: "SNAPSHOT_RUN", value: run }];
    if (options.collections && options.collections.length > 0) env.push({ name: "COLLECTIONS", value: options.collections.join(" ") });
    if (options.allowIncomplete) env.push({ name: "ALLOW_INCOMPLETE", value: "1" });
    return {
        apiVersion: "batch/v1",
        kind: "Job",
        // Applied by an operator, not by Pulumi: the stack neither owns nor deletes it (its TTL does).
        metadata: { name: restoreJobName(run), namespace: cfg.namespace, labels: { ...labels(NAMES.qdrantBackup, RESTORE_COMPONENT), "app.kubernetes.io/managed-by": "kubectl" } },
        spec: {
            // Recovery with priority=snapshot overwrites, so one retry is safe; more would only hide a real fault.
            backoffLimit: 1,
            activeDeadlineSeconds: RESTORE_DEADLINE_SECONDS,
            ttlSecondsAfterFinished: 7 * 24 * 3600,
            template: backupPodTemplate(cfg, image, "qdrant-restore.sh", env),
        },
    } satisfies k8s.types.input.batch.v1.Job;
}
