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
    QDRANT_P2P_PORT,
    Str,
    WorkloadConfig,
    isZoned,
    labels,
    oneAtATimePodDisruptionBudget,
    priorityClassName,
    restrictedContainerSecurityContext,
    restrictedPodSecurityContext,
    selectorLabels,
    spreadConstraints,
} from "./common";

/** uid and gid of the `qdrant` user in the `-unprivileged` images (built with USER_ID=1000). */
export const QDRANT_UID = 1000;
export const QDRANT_COMPONENT = "vector-store";

/** Cluster mode (Raft over the p2p port) whenever more than one node runs; qdrant.replicas is 1 or >= 3. */
export function isQdrantCluster(cfg: Pick<WorkloadConfig, "qdrant">): boolean {
    return cfg.qdrant.replicas > 1;
}

/**
 * The stable p2p address of StatefulSet pod `ordinal`: `<pod>.<headless Service>.<namespace>.svc.cluster.local`.
 * Peers are known by these names, not by pod IPs, so a rescheduled pod keeps its address.
 */
export function qdrantPeerUri(cfg: Pick<WorkloadConfig, "namespace">, ordinal: number): string {
    return peerUri(cfg, `${NAMES.qdrant}-${ordinal}`);
}

function peerUri(cfg: Pick<WorkloadConfig, "namespace">, podName: string): string {
    return `http://${podName}.${NAMES.qdrantHeadless}.${cfg.namespace}.svc.cluster.local:${QDRANT_P2P_PORT}`;
}

/** Each node's REST address, by pod name: the backup asks every node, because each holds only its own shards. */
export function qdrantNodeUrls(cfg: Pick<WorkloadConfig, "namespace" | "qdrant">): Array<{ name: string; url: string }> {
    return Array.from({ length: cfg.qdrant.replicas }, (_, i) => ({
        name: `${NAMES.qdrant}-${i}`,
        url: `http://${NAMES.qdrant}-${i}.${NAMES.qdrantHeadless}.${cfg.namespace}.svc.cluster.local:${QDRANT_HTTP_PORT}`,
    }));
}

/**
 * The container command in cluster mode (bash: the Qdrant image is Debian). Pod 0 founds the cluster at
 * its own URI; every other pod bootstraps from pod 0. Qdrant uses --bootstrap only while its Raft state is
 * empty, so a restarted pod that kept its disk rejoins with its old peer id whatever the flags say.
 */
export function qdrantClusterStartScript(cfg: Pick<WorkloadConfig, "namespace">): string {
    return [
        "set -eu",
        // HOSTNAME is the pod name (qdrant-N), which the StatefulSet keeps across reschedules.
        `self="${peerUri(cfg, "${HOSTNAME}")}"`,
        'if [ "${HOSTNAME##*-}" = "0" ]; then exec ./entrypoint.sh --uri "$self"; fi',
        `exec ./entrypoint.sh --bootstrap "${qdrantPeerUri(cfg, 0)}" --uri "$self"`,
    ].join("\n");
}

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

/**
 * `diskResourceGroup` is a resource group the stack owns: without it the CSI driver creates the disks in
 * AKS's MC_ group, which AKS deletes (disks included) with the cluster.
 */
export function qdrantStorageClassManifest<S extends Str = string>(cfg: Pick<WorkloadConfig, "environment" | "cluster" | "namespace">, diskResourceGroup: S) {
    const prod = cfg.environment === "prod";
    return {
        apiVersion: "storage.k8s.io/v1",
        kind: "StorageClass",
        metadata: { name: qdrantStorageClassName(cfg), labels: { "app.kubernetes.io/part-of": PART_OF, "app.kubernetes.io/managed-by": "pulumi" } },
        provisioner: "disk.csi.azure.com",
        parameters: { skuName: qdrantDiskSku(cfg), resourceGroup: diskResourceGroup },
        // Prod: deleting a PVC (or the namespace, or the stack) releases the volume but keeps the Azure disk
        // with the vectors; an operator re-binds or deletes it on purpose. Dev: disks go with their claims.
        reclaimPolicy: prod ? "Retain" : "Delete",
        // Provision the disk in the zone the scheduler picked for the pod, not in a random zone first.
        volumeBindingMode: "WaitForFirstConsumer",
        allowVolumeExpansion: true,
    } satisfies k8s.types.input.storage.v1.StorageClass;
}

/**
 * The one Secret that holds Qdrant's API key (read by Qdrant, the MCP server and the backup job) and, when
 * qdrant.readOnlyApiKey is on, the read-only key for clients that only search. Both are generated
 * passwords (outputs in the program).
 */
export function qdrantApiKeySecretManifest<S extends Str = string>(cfg: Pick<WorkloadConfig, "namespace">, apiKey: S, readOnlyApiKey?: S) {
    return {
        apiVersion: "v1",
        kind: "Secret",
        metadata: { name: NAMES.qdrantApiKeySecret, namespace: cfg.namespace, labels: labels(NAMES.qdrant, QDRANT_COMPONENT) },
        type: "Opaque",
        stringData: { [NAMES.qdrantApiKeySecretKey]: apiKey, ...(readOnlyApiKey === undefined ? {} : { [NAMES.qdrantReadOnlyApiKeySecretKey]: readOnlyApiKey }) },
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
export function qdrantHeadlessServiceManifest(cfg: Pick<WorkloadConfig, "namespace" | "qdrant">) {
    const p2p = isQdrantCluster(cfg) ? [{ name: "p2p", port: QDRANT_P2P_PORT, targetPort: "p2p", protocol: "TCP" }] : [];
    return {
        apiVersion: "v1",
        kind: "Service",
        metadata: { name: NAMES.qdrantHeadless, namespace: cfg.namespace, labels: labels(NAMES.qdrant, QDRANT_COMPONENT) },
        spec: {
            type: "ClusterIP",
            clusterIP: "None",
            // Peers must resolve each other before they are Ready: a node becomes ready only after it has
            // joined the cluster, which needs the others' names (otherwise the first start deadlocks).
            publishNotReadyAddresses: true,
            selector: selectorLabels(NAMES.qdrant),
            ports: [...QDRANT_PORTS.map((p) => ({ ...p })), ...p2p],
        },
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

/** Env of the Qdrant container: the key(s), paths, and the cluster defaults new collections get. */
function qdrantEnv(cfg: WorkloadConfig) {
    const key = (name: string, secretKey: string) => ({ name, valueFrom: { secretKeyRef: { name: NAMES.qdrantApiKeySecret, key: secretKey } } });
    const q = cfg.qdrant;
    return [
        // Without a key Qdrant serves every request unauthenticated (DESIGN.md pitfall 9).
        key("QDRANT__SERVICE__API_KEY", NAMES.qdrantApiKeySecretKey),
        ...(q.readOnlyApiKey ? [key("QDRANT__SERVICE__READ_ONLY_API_KEY", NAMES.qdrantReadOnlyApiKeySecretKey)] : []),
        { name: "QDRANT__STORAGE__STORAGE_PATH", value: STORAGE_PATH },
        { name: "QDRANT__STORAGE__SNAPSHOTS_PATH", value: SNAPSHOTS_PATH },
        // Qdrant writes an "initialized" marker next to its binary by default, which a read-only
        // root filesystem refuses; this moves it onto a writable volume.
        { name: "QDRANT_INIT_FILE_PATH", value: `${INIT_PATH}/.qdrant-initialized` },
        // The egress policy allows DNS (and peers) only; telemetry would just fail and log.
        { name: "QDRANT__TELEMETRY_DISABLED", value: "true" },
        // The defaults of every collection created without its own values (the MCP server creates its
        // collection without them): every shard on replicationFactor nodes, and a write succeeds once
        // writeConsistencyFactor of them applied it. config.ts keeps both such that one node may be lost.
        { name: "QDRANT__STORAGE__COLLECTION__REPLICATION_FACTOR", value: String(q.replicationFactor) },
        { name: "QDRANT__STORAGE__COLLECTION__WRITE_CONSISTENCY_FACTOR", value: String(q.writeConsistencyFactor) },
        ...(isQdrantCluster(cfg)
            ? [
                  { name: "QDRANT__CLUSTER__ENABLED", value: "true" },
                  { name: "QDRANT__CLUSTER__P2P__PORT", value: String(QDRANT_P2P_PORT) },
              ]
            : []),
    ];
}

/**
 * Hard anti-affinity on the node in cluster mode: two Qdrant pods on one node would let one node failure
 * (or one drain) take a Raft majority away. Together with the hard zone spread and the PDB this keeps a
 * quorum through a drain and a zone loss (tests/qdrant-cluster.spec.ts computes it).
 */
function qdrantAffinity(cfg: WorkloadConfig) {
    if (!isQdrantCluster(cfg)) return {};
    return {
        affinity: {
            podAntiAffinity: {
                requiredDuringSchedulingIgnoredDuringExecution: [{ labelSelector: { matchLabels: selectorLabels(NAMES.qdrant) }, topologyKey: "kubernetes.io/hostname" }],
            },
        },
    };
}

/** `image` is the in-ACR copy of images.qdrant (an `-unprivileged` build, uid 1000). */
export function qdrantPodSpec<S extends Str = string>(cfg: WorkloadConfig, image: S) {
    const probe = (path: string, periodSeconds: number, failureThreshold: number, timeoutSeconds = 3) => ({
        // Qdrant serves /livez and /readyz without the API key, so the kubelet needs no credentials.
        httpGet: { path, port: "http" },
        periodSeconds,
        failureThreshold,
        timeoutSeconds,
    });
    const r = cfg.qdrant.resources;
    const cluster = isQdrantCluster(cfg);
    return {
        serviceAccountName: NAMES.qdrantServiceAccount,
        automountServiceAccountToken: false,
        enableServiceLinks: false,
        priorityClassName: priorityClassName(cfg),
        securityContext: restrictedPodSecurityContext(QDRANT_UID),
        // Time to flush the write-ahead log and close segments after SIGTERM.
        terminationGracePeriodSeconds: 60,
        // Zonal clusters: a hard zone spread, so a zone outage takes at most one node of three.
        topologySpreadConstraints: spreadConstraints(NAMES.qdrant, isZoned(cfg)),
        ...qdrantAffinity(cfg),
        containers: [
            {
                name: NAMES.qdrant,
                image,
                imagePullPolicy: "Always",
                ...(cluster ? { command: ["/bin/bash", "-c", qdrantClusterStartScript(cfg)] } : {}),
                securityContext: restrictedContainerSecurityContext(),
                ports: [
                    { name: "http", containerPort: QDRANT_HTTP_PORT, protocol: "TCP" },
                    { name: "grpc", containerPort: QDRANT_GRPC_PORT, protocol: "TCP" },
                    ...(cluster ? [{ name: "p2p", containerPort: QDRANT_P2P_PORT, protocol: "TCP" }] : []),
                ],
                env: qdrantEnv(cfg),
                resources: {
                    requests: { cpu: r.requests.cpu, memory: r.requests.memory },
                    limits: { cpu: r.limits.cpu, memory: r.limits.memory },
                },
                // A (re)joining node is not ready until it has caught up with consensus and its shards: up to
                // 15 minutes of startup before the kubelet gives up on it. Liveness (/livez: the process
                // answers) starts only after that and tolerates 2 minutes of failures, so a node busy
                // transferring shards is taken out of the Service by readiness, never restarted.
                startupProbe: probe("/readyz", 10, 90),
                readinessProbe: probe("/readyz", 10, 3),
                livenessProbe: probe("/livez", 20, 6, 5),
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
            // Snapshots are transient: the backup job downloads each one and deletes it on the node at once,
            // so they need scratch space, not a second premium disk per node (3 more ZRS disks would cost
            // more than the backups themselves). Qdrant builds them in storage/snapshots_temp first.
            { name: NAMES.qdrantSnapshotsVolume, emptyDir: { sizeLimit: cfg.qdrant.storageSize } },
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
            replicas: cfg.qdrant.replicas,
            serviceName: NAMES.qdrantHeadless,
            // All pods start at once: with OrderedReady, pod 0 would wait to be Ready, which in cluster mode
            // needs its peers, which would wait for pod 0 (the upstream chart warns of this deadlock).
            // Rolling updates still replace one pod at a time.
            podManagementPolicy: "Parallel",
            selector: { matchLabels: selectorLabels(NAMES.qdrant) },
            updateStrategy: { type: "RollingUpdate" },
            // The claims outlive the StatefulSet and any scale-down, so deleting or replacing the
            // StatefulSet re-attaches the same disks to the new qdrant-0.
            persistentVolumeClaimRetentionPolicy: { whenDeleted: "Retain", whenScaled: "Retain" },
            template: {
                metadata: { labels: labels(NAMES.qdrant, QDRANT_COMPONENT) },
                spec: qdrantPodSpec(cfg, image),
            },
            volumeClaimTemplates: [claimTemplate(cfg, NAMES.qdrantStorageVolume)],
        },
    } satisfies k8s.types.input.apps.v1.StatefulSet;
}

/**
 * Cluster mode only: exactly one Qdrant pod may be voluntarily evicted at a time, so a drain never takes
 * the Raft majority or a shard's last replica. A single node gets no PDB (it would block every drain,
 * DESIGN.md pitfall 4).
 */
export function qdrantPodDisruptionBudgetManifest(cfg: Pick<WorkloadConfig, "namespace" | "qdrant">) {
    return isQdrantCluster(cfg) ? oneAtATimePodDisruptionBudget(cfg, NAMES.qdrant, QDRANT_COMPONENT) : undefined;
}
