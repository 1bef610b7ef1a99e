/**
 * Pure specs for one MCP server (an entry of mcpServers): ServiceAccount, settings ConfigMap, Key Vault
 * SecretProviderClass with only its own keys, Deployment, ClusterIP Service, PodDisruptionBudget and
 * HorizontalPodAutoscaler, all named `<name>-mcp`.
 */
import { createHash } from "crypto";
import type * as k8s from "@pulumi/kubernetes";
import * as YAML from "yaml";
import type { McpServerConfig } from "../../config";
import { keyVaultSecretName } from "../../naming";
import {
    WORKLOAD_IDENTITY_CLIENT_ID_ANNOTATION,
    WORKLOAD_IDENTITY_TENANT_ID_ANNOTATION,
    WORKLOAD_IDENTITY_USE_LABEL,
} from "../../workload-identity";
import {
    MCP_COMPONENT,
    NAMES,
    QDRANT_HTTP_PORT,
    Str,
    WorkloadConfig,
    isZoned,
    keyVaultProviderParameters,
    labels,
    oneAtATimePodDisruptionBudget,
    mcpNames,
    priorityClassName,
    restrictedContainerSecurityContext,
    restrictedPodSecurityContext,
    selectorLabels,
    spreadConstraints,
} from "./common";

/** The uid of the `nodejs` user in the MCP server image (seeds/000 Dockerfile). */
export const MCP_UID = 1001;
/** Where the per-replica SQLite index lives. */
export const MCP_DATA_PATH = "/app/data";
/** Where the CSI driver mounts the API keys as files, one per key, named like the env var. */
export const MCP_SECRETS_PATH = "/mnt/secrets-store";
/**
 * Seconds the kubelet waits before SIGTERM. The endpoint is removed from the Service at once, but every
 * node's service rules (and the edge's view of the endpoints) need a few seconds to stop sending new
 * connections; without the pause, requests still arriving get refused.
 */
export const PRE_STOP_SLEEP_SECONDS = 15;
/**
 * Total time a terminating pod gets: the pause, then time for the server to end its SSE and Streamable
 * HTTP streams and for clients to resume on another replica before SIGKILL.
 */
export const TERMINATION_GRACE_SECONDS = 120;
/**
 * How long the server drains after SIGTERM before cutting what is left: the grace period minus the preStop
 * pause, less a margin so the server exits on its own well before the kubelet's SIGKILL.
 */
export const SHUTDOWN_TIMEOUT_SECONDS = TERMINATION_GRACE_SECONDS - PRE_STOP_SLEEP_SECONDS - 15;
/** The server container's name, the same in every server's pods. */
export const MCP_CONTAINER = "mcp-server";

/** Setting names Polaris (sensitiveConfigmapContent) would flag although they hold no secret. */
const BENIGN_SENSITIVE_LOOKING = new Set(["LLM_MAX_TOKENS"]);
const SENSITIVE_NAME = /password|token|bearer|secret|^AZURE_.+KEY$/i;

/** The ConfigMap data: the server's settings plus the wiring values the platform owns. */
export function mcpServerSettings(cfg: Pick<WorkloadConfig, "namespace">, server: McpServerConfig): Record<string, string> {
    return {
        ...server.settings,
        MCP_PORT: String(server.port),
        // All interfaces: the Service, the kubelet probes and a port-forward (loopback) all reach it.
        MCP_HOST: "0.0.0.0",
        ...(server.usesQdrant ? { QDRANT_URL: `http://${NAMES.qdrant}.${cfg.namespace}.svc.cluster.local:${QDRANT_HTTP_PORT}` } : {}),
        SQLITE_PATH: `${MCP_DATA_PATH}/crypto_docs.db`,
        // Names only: which keys the server should find under MCP_SECRETS_PATH (its secrets_status tool).
        MCP_API_KEYS: server.apiKeys.join(","),
        MCP_SHUTDOWN_TIMEOUT_MS: String(SHUTDOWN_TIMEOUT_SECONDS * 1000),
        // QDRANT_API_KEY is deliberately absent: it comes from the Qdrant key Secret (secretKeyRef).
    };
}

export function mcpConfigMapManifest(cfg: Pick<WorkloadConfig, "namespace">, server: McpServerConfig) {
    const n = mcpNames(server.name);
    const data = mcpServerSettings(cfg, server);
    const flagged = Object.keys(data).filter((k) => SENSITIVE_NAME.test(k));
    // LLM_MAX_TOKENS is a token *count*; exempt only when every flagged key is known to be harmless, so a
    // real secret someone adds to mcpServers.<name>.settings still fails the audit.
    const exempt = flagged.length > 0 && flagged.every((k) => BENIGN_SENSITIVE_LOOKING.has(k));
    return {
        apiVersion: "v1",
        kind: "ConfigMap",
        metadata: {
            name: n.config,
            namespace: cfg.namespace,
            labels: labels(n.app, MCP_COMPONENT),
            ...(exempt ? { annotations: { "polaris.fairwinds.com/sensitiveConfigmapContent-exempt": "true" } } : {}),
        },
        data,
    } satisfies k8s.types.input.core.v1.ConfigMap;
}

/** The identity the pods federate to: Azure builds the federated subject from this name and namespace. */
export interface FederatedIdentity<S extends Str = string> {
    readonly clientId: S;
    readonly tenantId: S;
}

export function mcpServiceAccountManifest<S extends Str = string>(cfg: Pick<WorkloadConfig, "namespace">, server: Pick<McpServerConfig, "name">, identity: FederatedIdentity<S>) {
    const n = mcpNames(server.name);
    return {
        apiVersion: "v1",
        kind: "ServiceAccount",
        metadata: {
            name: n.serviceAccount,
            namespace: cfg.namespace,
            labels: labels(n.app, MCP_COMPONENT),
            annotations: {
                [WORKLOAD_IDENTITY_CLIENT_ID_ANNOTATION]: identity.clientId,
                [WORKLOAD_IDENTITY_TENANT_ID_ANNOTATION]: identity.tenantId,
            },
        },
        // The server never calls the Kubernetes API. The workload-identity webhook projects its own
        // Entra-audience token, and the CSI driver requests one through the kubelet, so neither needs this.
        automountServiceAccountToken: false,
    } satisfies k8s.types.input.core.v1.ServiceAccount;
}

/** The vault the API keys are read from, and the identity that reads them. */
export interface VaultAccess<S extends Str = string> extends FederatedIdentity<S> {
    readonly vaultName: S;
}

/**
 * The Azure provider's `objects` parameter: a YAML document whose `array` holds one YAML string per
 * object. Each Key Vault secret (openai-api-key) is aliased to its env var name (OPENAI_API_KEY), which
 * becomes both the file name and the key in the synced Secret.
 */
export function keyVaultObjects(apiKeys: readonly string[]): string {
    const array = apiKeys.map((envName) => YAML.stringify({ objectName: keyVaultSecretName(envName), objectType: "secret", objectAlias: envName }));
    return YAML.stringify({ array });
}

/**
 * The server's own keys only: the identity could not read any other secret anyway (its Key Vault roles are
 * per secret), and a key the server does not need never lands in its pods. Undefined for a server without
 * keys, which then mounts no vault volume at all.
 */
export function mcpSecretProviderClassManifest<S extends Str = string>(cfg: Pick<WorkloadConfig, "namespace">, server: Pick<McpServerConfig, "name" | "apiKeys">, vault: VaultAccess<S>) {
    if (server.apiKeys.length === 0) return undefined;
    const n = mcpNames(server.name);
    return {
        apiVersion: "secrets-store.csi.x-k8s.io/v1" as const,
        kind: "SecretProviderClass" as const,
        metadata: { name: n.secretProviderClass, namespace: cfg.namespace, labels: labels(n.app, MCP_COMPONENT) },
        spec: {
            provider: "azure",
            // Workload identity mode (common.ts): the driver exchanges the pod's service account token for an
            // Entra token of this client id.
            parameters: keyVaultProviderParameters(vault, keyVaultObjects(server.apiKeys)),
            // Env vars cannot read files, so the driver also syncs the keys into a Secret. It exists only
            // while at least one pod mounts the volume, which the Deployment always does.
            secretObjects: [
                {
                    secretName: n.apiKeysSecret,
                    type: "Opaque",
                    labels: labels(n.app, MCP_COMPONENT),
                    data: server.apiKeys.map((envName) => ({ objectName: envName, key: envName })),
                },
            ],
        },
    };
}

/** A stable digest of the settings: a change of settings changes the pod template and rolls the pods. */
export function settingsChecksum(settings: Record<string, string>): string {
    const canonical = JSON.stringify(Object.keys(settings).sort().map((k) => [k, settings[k]]));
    return createHash("sha256").update(canonical).digest("hex");
}

function mcpContainerBase<S extends Str>(server: McpServerConfig, image: S) {
    const n = mcpNames(server.name);
    const hasKeys = server.apiKeys.length > 0;
    return {
        image,
        // Re-resolve the tag on every start so a re-pushed tag cannot run stale; the kubelet also re-checks
        // its registry credentials instead of trusting an image another pod pulled (Polaris pullPolicyNotAlways).
        imagePullPolicy: "Always",
        securityContext: restrictedContainerSecurityContext(),
        resources: {
            requests: { cpu: server.resources.requests.cpu, memory: server.resources.requests.memory },
            limits: { cpu: server.resources.limits.cpu, memory: server.resources.limits.memory },
        },
        envFrom: [{ configMapRef: { name: n.config } }, ...(hasKeys ? [{ secretRef: { name: n.apiKeysSecret } }] : [])],
        // Only a server that uses Qdrant learns its key.
        env: server.usesQdrant
            ? [{ name: "QDRANT_API_KEY", valueFrom: { secretKeyRef: { name: NAMES.qdrantApiKeySecret, key: NAMES.qdrantApiKeySecretKey } } }]
            : [],
        volumeMounts: [
            { name: "data", mountPath: MCP_DATA_PATH },
            { name: "tmp", mountPath: "/tmp" },
            ...(hasKeys ? [{ name: "api-keys", mountPath: MCP_SECRETS_PATH, readOnly: true }] : []),
        ],
    };
}

export function mcpServerPodSpec<S extends Str = string>(cfg: Pick<WorkloadConfig, "namespace" | "cluster">, server: McpServerConfig, image: S) {
    const n = mcpNames(server.name);
    const base = mcpContainerBase(server, image);
    const probe = (path: string, periodSeconds: number, failureThreshold: number, timeoutSeconds: number) => ({
        httpGet: { path, port: "http" },
        periodSeconds,
        failureThreshold,
        timeoutSeconds,
    });
    const init = server.indexInitCommand;
    return {
        serviceAccountName: n.serviceAccount,
        automountServiceAccountToken: false,
        // Service links would inject QDRANT_PORT=tcp://... and similar, which collide with app settings.
        enableServiceLinks: false,
        priorityClassName: priorityClassName(cfg),
        securityContext: restrictedPodSecurityContext(MCP_UID),
        terminationGracePeriodSeconds: TERMINATION_GRACE_SECONDS,
        topologySpreadConstraints: spreadConstraints(n.app, isZoned(cfg), "pod-template-hash"),
        ...(init.length > 0
            ? {
                  // Fills this replica's own index before the server starts: same image, same limits and
                  // the same restricted security context as the server.
                  initContainers: [{ ...base, name: "index-init", command: [...init] }],
              }
            : {}),
        containers: [
            {
                ...base,
                name: MCP_CONTAINER,
                ports: [{ name: "http", containerPort: server.port, protocol: "TCP" }],
                // Loading the index can take a while; liveness and readiness start only after this passes.
                startupProbe: probe(server.healthPath, 5, 60, 3),
                // /ready also proves Qdrant answers with the shared API key, and fails while the server drains;
                // /health (liveness) never depends on Qdrant, so a Qdrant outage takes pods out of the Service
                // without restarting them.
                readinessProbe: probe(server.readyPath, 10, 3, 3),
                livenessProbe: probe(server.healthPath, 20, 3, 5),
                lifecycle: {
                    // The kubelet itself sleeps (K8s >= 1.30): no shell or `sleep` binary is needed in the
                    // image, nothing is exec'd into a read-only, capability-less container, and a distroless
                    // image works as well as the alpine one.
                    preStop: { sleep: { seconds: PRE_STOP_SLEEP_SECONDS } },
                },
            },
        ],
        volumes: [
            // Per replica, not a shared ReadWriteOnce disk: a disk attaches to one node, so a second replica
            // elsewhere could never start (DESIGN.md "MCP data"). Each pod builds or fills its own index.
            { name: "data", emptyDir: { sizeLimit: server.dataVolumeSize } },
            { name: "tmp", emptyDir: { sizeLimit: "1Gi" } },
            ...(server.apiKeys.length > 0
                ? [{ name: "api-keys", csi: { driver: "secrets-store.csi.k8s.io", readOnly: true, volumeAttributes: { secretProviderClass: n.secretProviderClass } } }]
                : []),
        ],
    } satisfies k8s.types.input.core.v1.PodSpec;
}

export function mcpDeploymentManifest<S extends Str = string>(cfg: Pick<WorkloadConfig, "namespace" | "cluster">, server: McpServerConfig, image: S) {
    const n = mcpNames(server.name);
    const podLabels = { ...labels(n.app, MCP_COMPONENT), [WORKLOAD_IDENTITY_USE_LABEL]: "true" };
    return {
        apiVersion: "apps/v1",
        kind: "Deployment",
        metadata: { name: n.app, namespace: cfg.namespace, labels: labels(n.app, MCP_COMPONENT) },
        spec: {
            // No `replicas`: the HPA owns the count; a declared value would be reset on every update
            // (DESIGN.md pitfall 3).
            selector: { matchLabels: selectorLabels(n.app) },
            revisionHistoryLimit: 5,
            minReadySeconds: 10,
            strategy: {
                type: "RollingUpdate",
                // Never below the current count during a rollout: a new pod must be ready first.
                rollingUpdate: { maxUnavailable: 0, maxSurge: 1 },
            },
            template: {
                metadata: {
                    labels: podLabels,
                    annotations: { "mcp-aks/settings-checksum": settingsChecksum(mcpServerSettings(cfg, server)) },
                },
                spec: mcpServerPodSpec(cfg, server, image),
            },
        },
    } satisfies k8s.types.input.apps.v1.Deployment;
}

/**
 * ClusterIP only: the edge is the one way in (and `npm run connect` until it exists), so no MCP server is
 * ever a load balancer of its own. No session affinity either: the client address here is an edge pod, so
 * ClientIP affinity would pin all its sessions to one replica and leave the HPA's new replicas idle; the
 * edge routes sessions itself.
 */
export function mcpServiceManifest(cfg: Pick<WorkloadConfig, "namespace">, server: Pick<McpServerConfig, "name" | "port">) {
    const n = mcpNames(server.name);
    return {
        apiVersion: "v1",
        kind: "Service",
        metadata: { name: n.app, namespace: cfg.namespace, labels: labels(n.app, MCP_COMPONENT) },
        spec: {
            type: "ClusterIP",
            selector: selectorLabels(n.app),
            ports: [{ name: "http", port: server.port, targetPort: "http", protocol: "TCP", appProtocol: "http" }],
        },
    } satisfies k8s.types.input.core.v1.Service;
}

export function mcpPodDisruptionBudgetManifest(cfg: Pick<WorkloadConfig, "namespace">, server: Pick<McpServerConfig, "name">) {
    // One pod at a time, whatever the HPA's count: with minReplicas 1 a drain still proceeds.
    return oneAtATimePodDisruptionBudget(cfg, mcpNames(server.name).app, MCP_COMPONENT);
}

export function mcpHorizontalPodAutoscalerManifest(cfg: Pick<WorkloadConfig, "namespace">, server: McpServerConfig) {
    const n = mcpNames(server.name);
    const utilization = (name: string, averageUtilization: number) => ({
        type: "Resource",
        resource: { name, target: { type: "Utilization", averageUtilization } },
    });
    return {
        apiVersion: "autoscaling/v2",
        kind: "HorizontalPodAutoscaler",
        metadata: { name: n.app, namespace: cfg.namespace, labels: labels(n.app, MCP_COMPONENT) },
        spec: {
            scaleTargetRef: { apiVersion: "apps/v1", kind: "Deployment", name: n.app },
            minReplicas: server.minReplicas,
            maxReplicas: server.maxReplicas,
            metrics: [
                utilization("cpu", server.targetCpuUtilization),
                utilization("memory", server.targetMemoryUtilization),
            ],
            behavior: {
                // Removing a replica ends the sessions pinned to it: wait for a sustained drop and remove
                // one pod at a time.
                scaleDown: { stabilizationWindowSeconds: 300, policies: [{ type: "Pods", value: 1, periodSeconds: 120 }], selectPolicy: "Min" },
                scaleUp: { stabilizationWindowSeconds: 0, policies: [{ type: "Pods", value: 2, periodSeconds: 60 }], selectPolicy: "Max" },
            },
        },
    } satisfies k8s.types.input.autoscaling.v2.HorizontalPodAutoscaler;
}
