/**
 * Names, labels and security settings shared by the workload specs. Pure: only types come from the SDKs,
 * so the spec builders run in tests without the Pulumi runtime.
 */
import type * as pulumi from "@pulumi/pulumi";
import type * as k8s from "@pulumi/kubernetes";
import { WORKLOAD_IDENTITY_CLIENT_ID_ANNOTATION, WORKLOAD_IDENTITY_TENANT_ID_ANNOTATION } from "../../workload-identity";
import type { StackConfig } from "../../config";
import { mcpServerServiceAccount, QDRANT_BACKUP_SERVICE_ACCOUNT } from "../../workload-identity";

/**
 * A string known now (tests pass plain strings, so the specs are plain objects) or only later (the program
 * passes Pulumi outputs such as the identity's client id).
 */
export type Str = pulumi.Input<string>;

/** The workload config the specs read: nothing Azure-specific. */
export type WorkloadConfig = Pick<StackConfig, "environment" | "namespace" | "mcpServers" | "edge" | "qdrant" | "apiKeys" | "cluster">;

export const PART_OF = "mcp-aks";

export const QDRANT_HTTP_PORT = 6333;
export const QDRANT_GRPC_PORT = 6334;
/** Qdrant's peer-to-peer (Raft and shard transfer) port in cluster mode. */
export const QDRANT_P2P_PORT = 6335;

/** Fixed object names: index.ts, the client config and operators can rely on them. */
export const NAMES = {
    qdrant: "qdrant",
    qdrantHeadless: "qdrant-headless",
    qdrantServiceAccount: "qdrant",
    /** One Secret, read by Qdrant (its API key) and by the MCP server (its client key). */
    qdrantApiKeySecret: "qdrant-api-key",
    qdrantApiKeySecretKey: "api-key",
    qdrantStorageVolume: "qdrant-storage",
    qdrantSnapshotsVolume: "qdrant-snapshots",
    /** Optional second key of the API key Secret: the read-only key (qdrant.readOnlyApiKey). */
    qdrantReadOnlyApiKeySecretKey: "read-only-api-key",
    qdrantBackup: "qdrant-backup",
    qdrantBackupServiceAccount: QDRANT_BACKUP_SERVICE_ACCOUNT,
    /** The backup and restore scripts (lib.sh, qdrant-backup.sh, qdrant-restore.sh). */
    qdrantBackupScripts: "qdrant-backup-scripts",
    /** Where the snapshots go and which nodes to ask: read by the CronJob and by the restore Job. */
    qdrantBackupSettings: "qdrant-backup-settings",
    defaultDeny: "default-deny-all",
    /** The MCP-aware edge (issue 12): the only workload that may call an MCP server. */
    edge: "mcp-edge",
    /** The post-deploy smoke test: its pods' label, ConfigMap, NetworkPolicy and the prefix of its Job. */
    smokeTest: "mcp-smoke-test",
} as const;

/** The fixed object names of MCP server `server`: `<server>-mcp` and names derived from it. */
export function mcpNames(server: string) {
    const app = mcpServerServiceAccount(server);
    return {
        /** Deployment, Service, PDB, HPA, NetworkPolicy and the `app.kubernetes.io/name` label. */
        app,
        serviceAccount: app,
        config: `${app}-config`,
        secretProviderClass: `${app}-keyvault`,
        /** The Secret the CSI driver syncs the API keys into (exists only while a pod mounts the volume). */
        apiKeysSecret: `${app}-api-keys`,
    };
}

/** `app.kubernetes.io/component` of every MCP server (the seed's convention). */
export const MCP_COMPONENT = "mcp-server";

/** The edge's app label (`app.kubernetes.io/name`): NAMES.edge, which MCP servers admit. */
export const EDGE_APP = NAMES.edge;

/** Cluster-scoped names carry the namespace, so two stacks sharing a cluster cannot collide. */
export function priorityClassName(cfg: Pick<WorkloadConfig, "namespace">): string {
    return `${cfg.namespace}-workloads`;
}

/** Labels that select a workload's pods: one key, so NetworkPolicies, PDBs and Services agree on it. */
export function selectorLabels(app: string): Record<string, string> {
    return { "app.kubernetes.io/name": app };
}

/**
 * The recommended labels. `instance` equals the object name on controllers (Polaris
 * metadataAndInstanceMismatched); selectors use only `name`, which never changes after creation.
 */
export function labels(app: string, component: string): Record<string, string> {
    return {
        ...selectorLabels(app),
        "app.kubernetes.io/instance": app,
        "app.kubernetes.io/component": component,
        "app.kubernetes.io/part-of": PART_OF,
        "app.kubernetes.io/managed-by": "pulumi",
    };
}

/** Pod-level settings every pod here uses: Pod Security "restricted" at the pod level, for a fixed uid. */
export function restrictedPodSecurityContext(uid: number) {
    return {
        runAsNonRoot: true,
        // An explicit numeric uid: the kubelet cannot verify runAsNonRoot against a named USER in an image
        // ("container has runAsNonRoot and image has non-numeric user") and would refuse to start it.
        runAsUser: uid,
        runAsGroup: uid,
        fsGroup: uid,
        // Only chown a volume when its root has the wrong owner: a recursive chown of a large Qdrant disk
        // on every mount would delay each restart by minutes.
        fsGroupChangePolicy: "OnRootMismatch",
        seccompProfile: { type: "RuntimeDefault" },
    };
}

/** Container-level settings, repeated per container so that no container depends on the pod defaults. */
export function restrictedContainerSecurityContext() {
    return {
        allowPrivilegeEscalation: false,
        privileged: false,
        readOnlyRootFilesystem: true,
        runAsNonRoot: true,
        capabilities: { drop: ["ALL"] },
        seccompProfile: { type: "RuntimeDefault" },
    };
}

/** The zone and node spread for a workload; `hard` makes the zone spread a scheduling requirement. */
export function spreadConstraints(app: string, zoned: boolean, revisionLabel?: "pod-template-hash") {
    const common = {
        maxSkew: 1,
        labelSelector: { matchLabels: selectorLabels(app) },
        // Spread each ReplicaSet revision on its own, so old pods in a rollout do not skew the new ones.
        ...(revisionLabel ? { matchLabelKeys: [revisionLabel] } : {}),
        // Count only nodes the pod may run on: with the default (Ignore) the tainted system pool counts as
        // empty domains and a hard spread leaves pods Pending.
        nodeTaintsPolicy: "Honor",
    };
    return [
        // Zonal clusters: a zone outage must leave replicas elsewhere, so the zone spread is a requirement.
        // Without zones every node reports the same zone and the constraint is a harmless preference.
        { ...common, topologyKey: "topology.kubernetes.io/zone", whenUnsatisfiable: zoned ? "DoNotSchedule" : "ScheduleAnyway" },
        // Preference only: a hard node spread would block scale-out on a one-node dev cluster.
        { ...common, topologyKey: "kubernetes.io/hostname", whenUnsatisfiable: "ScheduleAnyway" },
    ];
}

/** True when the cluster spreads nodes over more than one availability zone. */
export function isZoned(cfg: Pick<WorkloadConfig, "cluster">): boolean {
    return cfg.cluster.zones.length > 1;
}

/**
 * A PodDisruptionBudget that lets exactly one of the workload's pods be evicted at a time: a drain always
 * proceeds (never minAvailable = replicas, DESIGN.md pitfall 4) and never takes two pods at once. An
 * already unhealthy pod (crash loop, stuck catching up) stays evictable: that costs no healthy replica,
 * and otherwise it would use up the budget and block node drains and upgrades.
 */
export function oneAtATimePodDisruptionBudget(cfg: Pick<WorkloadConfig, "namespace">, app: string, component: string) {
    return {
        apiVersion: "policy/v1",
        kind: "PodDisruptionBudget",
        metadata: { name: app, namespace: cfg.namespace, labels: labels(app, component) },
        spec: { maxUnavailable: 1, selector: { matchLabels: selectorLabels(app) }, unhealthyPodEvictionPolicy: "AlwaysAllow" },
    } satisfies k8s.types.input.policy.v1.PodDisruptionBudget;
}

/** The identity a workload's pods federate to: Azure builds the federated subject from the SA's name and namespace. */
export interface FederatedIdentity<S extends Str = string> {
    readonly clientId: S;
    readonly tenantId: S;
}

/**
 * A ServiceAccount bound to a workload identity, with no automounted token: the workloads never call the
 * Kubernetes API; the workload-identity webhook projects its own Entra-audience token, and the CSI driver
 * requests one through the kubelet.
 */
export function workloadIdentityServiceAccountManifest<S extends Str = string>(namespace: string, name: string, app: string, component: string, identity: FederatedIdentity<S>) {
    return {
        apiVersion: "v1",
        kind: "ServiceAccount",
        metadata: {
            name,
            namespace,
            labels: labels(app, component),
            annotations: {
                [WORKLOAD_IDENTITY_CLIENT_ID_ANNOTATION]: identity.clientId,
                [WORKLOAD_IDENTITY_TENANT_ID_ANNOTATION]: identity.tenantId,
            },
        },
        automountServiceAccountToken: false,
    } satisfies k8s.types.input.core.v1.ServiceAccount;
}

/**
 * The Azure Key Vault provider parameters of a SecretProviderClass in workload-identity mode: the driver
 * exchanges the pod's service account token for an Entra token of this client id (neither pod identity nor
 * the node's VM identity). `objects` is the provider's YAML list of vault objects.
 */
export function keyVaultProviderParameters<S extends Str = string>(vault: FederatedIdentity<S> & { readonly vaultName: S }, objects: string) {
    return {
        usePodIdentity: "false",
        useVMManagedIdentity: "false",
        clientID: vault.clientId,
        keyvaultName: vault.vaultName,
        // Newer provider releases read tenantID and fall back to the deprecated tenantId; older AKS add-on
        // versions read only tenantId. Both carry the same value.
        tenantID: vault.tenantId,
        tenantId: vault.tenantId,
        objects,
    };
}

/** An autoscaling/v2 target of average utilization for one resource (cpu or memory). */
export function utilizationMetric(name: string, averageUtilization: number) {
    return { type: "Resource", resource: { name, target: { type: "Utilization", averageUtilization } } };
}

/**
 * The HPA of a Deployment named `app`. Removing a replica ends the streams it holds: scale down after a
 * sustained drop and one pod at a time; scale up at once.
 */
export function deploymentAutoscalerManifest(
    namespace: string,
    app: string,
    component: string,
    bounds: { readonly minReplicas: number; readonly maxReplicas: number },
    metrics: ReturnType<typeof utilizationMetric>[],
) {
    return {
        apiVersion: "autoscaling/v2",
        kind: "HorizontalPodAutoscaler",
        metadata: { name: app, namespace, labels: labels(app, component) },
        spec: {
            scaleTargetRef: { apiVersion: "apps/v1", kind: "Deployment", name: app },
            minReplicas: bounds.minReplicas,
            maxReplicas: bounds.maxReplicas,
            metrics,
            behavior: {
                scaleDown: { stabilizationWindowSeconds: 300, policies: [{ type: "Pods", value: 1, periodSeconds: 120 }], selectPolicy: "Min" },
                scaleUp: { stabilizationWindowSeconds: 0, policies: [{ type: "Pods", value: 2, periodSeconds: 60 }], selectPolicy: "Max" },
            },
        },
    } satisfies k8s.types.input.autoscaling.v2.HorizontalPodAutoscaler;
}
