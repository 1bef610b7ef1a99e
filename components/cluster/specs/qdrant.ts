/**
 * Pure specs for Qdrant: its premium CSI StorageClass, the API key Secret, a ServiceAccount, the headless
 * governing Service, the in-cluster client Service and the StatefulSet.
 */
import type * as k8s from "@pulumi/kubernetes";
import {
    NAMES,
    PART_OF,
    QDRANT_GRPC_PORT,
    QDRANT_HTTP_PORT,
    Str,
    WorkloadConfig,
    labels,
    priorityClassName,
    restrictedContainerSecurityContext,
    restrictedPodSecurityContext,
    selectorLabels,
    spreadConstraints,
} from "./common";

/** uid and gid of the `qdrant` user in the `-unprivileged` images (built with USER_ID=1000). */
export const QDRANT_UID = 1000;
export const QDRANT_COMPONENT = "vector-store";
/** Qdrant runs as a single node; distributed mode (and a replica count above 1) is not configured. */
export const QDRANT_REPLICAS = 1;

const STORAGE_PATH = "/qdrant/storage";
const SNAPSHOTS_PATH = "/qdrant/snapshots";
const INIT_PATH = "/qdrant/init";

export type DiskSku = "Premium_LRS" | "Premium_ZRS";

/**
 * Zone-redundant disks in prod or whenever nodes span zones: an LRS disk is pinned to one zone, so after a
 * zone outage (or a reschedule onto a node in another zone) Qdrant could not attach its data at all.
 */
export function qdrantDiskSku(cfg: Pick<WorkloadConfig, "environment" | "cluster">): DiskSku {
    return cfg.environment === "prod" || cfg.cluster.zones.length > 0 ? "Premium_ZRS" : "Premium_LRS";
}

/** Cluster-scoped, so the namespace is in the name; the SKU too, because StorageClass parameters are immutable. */
export function qdrantStorageClassName(cfg: Pick<WorkloadConfig, "environment" | "cluster" | "namespace">): string {
    return `${cfg.namespace}-qdrant-${qdrantDiskSku(cfg).toLowerCase().replace("_", "-")}`;
}

export function qdrantStorageClassManifest(cfg: Pick<WorkloadConfig, "environment" | "cluster" | "namespace">) {
    const prod = cfg.environment === "prod";
    return {
        apiVersion: "storage.k8s.io/v1",
        kind: "StorageClass",
        metadata: { name: qdrantStorageClassName(cfg), labels: { "app.kubernetes.io/part-of": PART_OF, "app.kubernetes.io/managed-by": "pulumi" } },
        provisioner: "disk.csi.azure.com",
        parameters: { skuName: qdrantDiskSku(cfg) },
        // Prod: deleting a PVC (or the namespace, or the stack) releases the volume but keeps the Azure disk
        // with the vectors; an operator re-binds or deletes it on purpose. Dev: disks go with their claims.
        reclaimPolicy: prod ? "Retain" : "Delete",
        // Provision the disk in the zone the scheduler picked for the pod, not in a random zone first.
        volumeBindingMode: "WaitForFirstConsumer",
        allowVolumeExpansion: true,
    } satisfies k8s.types.input.storage.v1.StorageClass;
}

/** The Secret that holds Qdrant's API key; `apiKey` is the generated password (an output in the program). */
export function qdrantApiKeySecretManifest<S extends Str = string>(cfg: Pick<WorkloadConfig, "namespace">, apiKey: S) {
    return {
        apiVersion: "v1",
        kind: "Secret",
        metadata: { name: NAMES.qdrantApiKeySecret, namespace: cfg.namespace, labels: labels(NAMES.qdrant, QDRANT_COMPONENT) },
        type: "Opaque",
        stringData: { [NAMES.qdrantApiKeySecretKey]: apiKey },
    } satisfies k8s.types.input.core.v1.Secret;
}

export function qdrantServiceAccountManifest(cfg: Pick<WorkloadConfig, "namespace">) {
    return {
        apiVersion: "v1",
        kind: "ServiceAccount",
        metadata: { name: NAMES.qdrantServiceAccount, namespace: cfg.namespace, labels: labels(NAMES.qdrant, QDRANT_COMPONENT) },
        // Its own account, with no token: Qdrant never calls the Kubernetes API, and the namespace's
        // default account stays unused.
        automountServiceAccountToken: false,
    } satisfies k8s.types.input.core.v1.ServiceAccount;
}

const QDRANT_PORTS = [
    { name: "http", port: QDRANT_HTTP_PORT, targetPort: "http", protocol: "TCP" },
    { name: "grpc", port: QDRANT_GRPC_PORT, targetPort: "grpc", protocol: "TCP", appProtocol: "kubernetes.io/h2c" },
];

/** The governing Service of the StatefulSet: stable per-pod DNS names (qdrant-0.qdrant-headless). */
export function qdrantHeadlessServiceManifest(cfg: Pick<WorkloadConfig, "namespace">) {
    return {
        apiVersion: "v1",
        kind: "Service",
        metadata: { name: NAMES.qdrantHeadless, namespace: cfg.namespace, labels: labels(NAMES.qdrant, QDRANT_COMPONENT) },
        spec: { type: "ClusterIP", clusterIP: "None", selector: selectorLabels(NAMES.qdrant), ports: QDRANT_PORTS.map((p) => ({ ...p })) },
    } satisfies k8s.types.input.core.v1.Service;
}

/** The address clients use (QDRANT_URL). ClusterIP only: Qdrant is never exposed outside the cluster. */
export function qdrantServiceManifest(cfg: Pick<WorkloadConfig, "namespace">) {
    return {
        apiVersion: "v1",
        kind: "Service",
        metadata: { name: NAMES.qdrant, namespace: cfg.namespace, labels: labels(NAMES.qdrant, QDRANT_COMPONENT) },
        spec: { type: "ClusterIP", selector: selectorLabels(NAMES.qdrant), ports: QDRANT_PORTS.map((p) => ({ ...p })) },
    } satisfies k8s.types.input.core.v1.Service;
}

/** `image` is the in-ACR copy of images.qdrant (an `-unprivileged` build, uid 1000). */
export function qdrantPodSpec<S extends Str = string>(cfg: WorkloadConfig, image: S) {
    const probe = (path: string, periodSeconds: number, failureThreshold: number) => ({
        // Qdrant serves /livez and /readyz without the API key, so the kubelet needs no credentials.
        httpGet: { path, port: "http" },
        periodSeconds,
        failureThreshold,
        timeoutSeconds: 3,
    });
    const r = cfg.qdrant.resources;
    return {
        serviceAccountName: NAMES.qdrantServiceAccount,
        automountServiceAccountToken: false,
        enableServiceLinks: false,
        priorityClassName: priorityClassName(cfg),
        securityContext: restrictedPodSecurityContext(QDRANT_UID),
        // Time to flush the write-ahead log and close segments after SIGTERM.
        terminationGracePeriodSeconds: 60,
        topologySpreadConstraints: spreadConstraints(NAMES.qdrant, false),
        containers: [
            {
                name: NAMES.qdrant,
                image,
                imagePullPolicy: "Always",
                securityContext: restrictedContainerSecurityContext(),
                ports: [
                    { name: "http", containerPort: QDRANT_HTTP_PORT, protocol: "TCP" },
                    { name: "grpc", containerPort: QDRANT_GRPC_PORT, protocol: "TCP" },
                ],
                env: [
                    // Without a key Qdrant serves every request unauthenticated (DESIGN.md pitfall 9).
                    {
                        name: "QDRANT__SERVICE__API_KEY",
                        valueFrom: { secretKeyRef: { name: NAMES.qdrantApiKeySecret, key: NAMES.qdrantApiKeySecretKey } },
                    },
                    { name: "QDRANT__STORAGE__STORAGE_PATH", value: STORAGE_PATH },
                    { name: "QDRANT__STORAGE__SNAPSHOTS_PATH", value: SNAPSHOTS_PATH },
                    // Qdrant writes an "initialized" marker next to its binary by default, which a read-only
                    // root filesystem refuses; this moves it onto a writable volume.
                    { name: "QDRANT_INIT_FILE_PATH", value: `${INIT_PATH}/.qdrant-initialized` },
                    // The egress policy allows DNS only; telemetry would just fail and log.
                    { name: "QDRANT__TELEMETRY_DISABLED", value: "true" },
                ],
                resources: {
                    requests: { cpu: r.requests.cpu, memory: r.requests.memory },
                    limits: { cpu: r.limits.cpu, memory: r.limits.memory },
                },
                // Opening large collections can take minutes; liveness starts only after readiness once passed.
                startupProbe: probe("/readyz", 10, 60),
                readinessProbe: probe("/readyz", 10, 3),
                livenessProbe: probe("/livez", 20, 3),
                volumeMounts: [
                    { name: NAMES.qdrantStorageVolume, mountPath: STORAGE_PATH },
                    { name: NAMES.qdrantSnapshotsVolume, mountPath: SNAPSHOTS_PATH },
                    { name: "init", mountPath: INIT_PATH },
                    { name: "tmp", mountPath: "/tmp" },
                ],
            },
        ],
        volumes: [
            { name: "init", emptyDir: { sizeLimit: "16Mi" } },
            { name: "tmp", emptyDir: { sizeLimit: "1Gi" } },
        ],
    } satisfies k8s.types.input.core.v1.PodSpec;
}

function claimTemplate(cfg: Pick<WorkloadConfig, "environment" | "cluster" | "namespace" | "qdrant">, name: string) {
    return {
        metadata: { name, labels: labels(NAMES.qdrant, QDRANT_COMPONENT) },
        spec: {
            accessModes: ["ReadWriteOnce"],
            storageClassName: qdrantStorageClassName(cfg),
            resources: { requests: { storage: cfg.qdrant.storageSize } },
        },
    };
}

export function qdrantStatefulSetManifest<S extends Str = string>(cfg: WorkloadConfig, image: S) {
    return {
        apiVersion: "apps/v1",
        kind: "StatefulSet",
        metadata: { name: NAMES.qdrant, namespace: cfg.namespace, labels: labels(NAMES.qdrant, QDRANT_COMPONENT) },
        spec: {
            replicas: QDRANT_REPLICAS,
            serviceName: NAMES.qdrantHeadless,
            selector: { matchLabels: selectorLabels(NAMES.qdrant) },
            updateStrategy: { type: "RollingUpdate" },
            // The claims outlive the StatefulSet and any scale-down, so deleting or replacing the
            // StatefulSet re-attaches the same disks to the new qdrant-0.
            persistentVolumeClaimRetentionPolicy: { whenDeleted: "Retain", whenScaled: "Retain" },
            template: {
                metadata: { labels: labels(NAMES.qdrant, QDRANT_COMPONENT) },
                spec: qdrantPodSpec(cfg, image),
            },
            // Snapshots get their own disk of the same size: a full snapshot is about as large as the
            // collection, and on the storage disk it could fill the disk Qdrant needs to keep running.
            volumeClaimTemplates: [claimTemplate(cfg, NAMES.qdrantStorageVolume), claimTemplate(cfg, NAMES.qdrantSnapshotsVolume)],
        },
    } satisfies k8s.types.input.apps.v1.StatefulSet;
}
