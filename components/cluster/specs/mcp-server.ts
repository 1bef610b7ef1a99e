/**
 * Pure specs for the MCP server: ServiceAccount, settings ConfigMap, Key Vault SecretProviderClass,
 * Deployment, LoadBalancer Service, PodDisruptionBudget and HorizontalPodAutoscaler.
 */
import { createHash } from "crypto";
import type * as k8s from "@pulumi/kubernetes";
import * as YAML from "yaml";
import { StackConfig, mcpSettings } from "../../config";
import { keyVaultSecretName } from "../../naming";
import {
    WORKLOAD_IDENTITY_CLIENT_ID_ANNOTATION,
    WORKLOAD_IDENTITY_TENANT_ID_ANNOTATION,
    WORKLOAD_IDENTITY_USE_LABEL,
} from "../../workload-identity";
import {
    MCP_PORT,
    NAMES,
    QDRANT_HTTP_PORT,
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

/** The uid of the `nodejs` user in the MCP server image (seeds/000 Dockerfile). */
export const MCP_UID = 1001;
/** Where the per-replica SQLite index lives. */
export const MCP_DATA_PATH = "/app/data";
/** Where the CSI driver mounts the API keys as files, one per key, named like the env var. */
export const MCP_SECRETS_PATH = "/mnt/secrets-store";
/**
 * Seconds the kubelet waits before SIGTERM. The endpoint is removed from the Service at once, but the
 * Azure LB health probe (5 s interval, 2 failures) and the node's service rules need a few seconds to
 * stop sending new connections; without the pause, clients still arriving get refused.
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
/** ClientIP affinity lifetime: the kube-proxy default (3 h), long enough for a working MCP session. */
export const SESSION_AFFINITY_SECONDS = 10800;

export const MCP_COMPONENT = "server";

/** Setting names Polaris (sensitiveConfigmapContent) would flag although they hold no secret. */
const BENIGN_SENSITIVE_LOOKING = new Set(["LLM_MAX_TOKENS"]);
const SENSITIVE_NAME = /password|token|bearer|secret|^AZURE_.+KEY$/i;

/** The ConfigMap data: the stack's settings plus the wiring values the platform owns. */
export function mcpServerSettings(cfg: StackConfig): Record<string, string> {
    return {
        ...mcpSettings(cfg),
        MCP_PORT: String(MCP_PORT),
        // All interfaces: the Service and the kubelet probes reach the pod on its pod IP, not loopback.
        MCP_HOST: "0.0.0.0",
        QDRANT_URL: `http://${NAMES.qdrant}.${cfg.namespace}.svc.cluster.local:${QDRANT_HTTP_PORT}`,
        SQLITE_PATH: `${MCP_DATA_PATH}/crypto_docs.db`,
        // Names only: which keys the server should find under MCP_SECRETS_PATH (its secrets_status tool).
        MCP_API_KEYS: cfg.apiKeys.join(","),
        MCP_SHUTDOWN_TIMEOUT_MS: String(SHUTDOWN_TIMEOUT_SECONDS * 1000),
        // QDRANT_API_KEY is deliberately absent: it comes from the Qdrant key Secret (secretKeyRef).
    };
}

export function mcpConfigMapManifest(cfg: StackConfig) {
    const data = mcpServerSettings(cfg);
    const flagged = Object.keys(data).filter((k) => SENSITIVE_NAME.test(k));
    // LLM_MAX_TOKENS is a token *count*; exempt only when every flagged key is known to be harmless, so a
    // real secret someone adds to mcpServer.settings still fails the audit.
    const exempt = flagged.length > 0 && flagged.every((k) => BENIGN_SENSITIVE_LOOKING.has(k));
    return {
        apiVersion: "v1",
        kind: "ConfigMap",
        metadata: {
            name: NAMES.mcpConfig,
            namespace: cfg.namespace,
            labels: labels(NAMES.mcp, MCP_COMPONENT),
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

export function mcpServiceAccountManifest<S extends Str = string>(cfg: Pick<WorkloadConfig, "namespace">, identity: FederatedIdentity<S>) {
    return {
        apiVersion: "v1",
        kind: "ServiceAccount",
        metadata: {
            name: NAMES.mcpServiceAccount,
            namespace: cfg.namespace,
            labels: labels(NAMES.mcp, MCP_COMPONENT),
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

export function mcpSecretProviderClassManifest<S extends Str = string>(cfg: Pick<WorkloadConfig, "namespace" | "apiKeys">, vault: VaultAccess<S>) {
    return {
        apiVersion: "secrets-store.csi.x-k8s.io/v1" as const,
        kind: "SecretProviderClass" as const,
        metadata: { name: NAMES.mcpSecretProviderClass, namespace: cfg.namespace, labels: labels(NAMES.mcp, MCP_COMPONENT) },
        spec: {
            provider: "azure",
            parameters: {
                // Workload identity mode: the driver exchanges the pod's service account token for an
                // Entra token of this client id (neither pod identity nor the node's VM identity).
                usePodIdentity: "false",
                useVMManagedIdentity: "false",
                clientID: vault.clientId,
                keyvaultName: vault.vaultName,
                // Newer provider releases read tenantID and fall back to the deprecated tenantId; older
                // AKS add-on versions read only tenantId. Both carry the same value.
                tenantID: vault.tenantId,
                tenantId: vault.tenantId,
                objects: keyVaultObjects(cfg.apiKeys),
            },
            // Env vars cannot read files, so the driver also syncs the keys into a Secret. It exists only
            // while at least one pod mounts the volume, which the Deployment always does.
            secretObjects: [
                {
                    secretName: NAMES.mcpApiKeysSecret,
                    type: "Opaque",
                    labels: labels(NAMES.mcp, MCP_COMPONENT),
                    data: cfg.apiKeys.map((envName) => ({ objectName: envName, key: envName })),
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

function mcpContainerBase<S extends Str>(cfg: WorkloadConfig, image: S) {
    return {
        image,
        // Re-resolve the tag on every start so a re-pushed tag cannot run stale; the kubelet also re-checks
        // its registry credentials instead of trusting an image another pod pulled (Polaris pullPolicyNotAlways).
        imagePullPolicy: "Always",
        securityContext: restrictedContainerSecurityContext(),
        resources: {
            requests: { cpu: cfg.mcpServer.resources.requests.cpu, memory: cfg.mcpServer.resources.requests.memory },
            limits: { cpu: cfg.mcpServer.resources.limits.cpu, memory: cfg.mcpServer.resources.limits.memory },
        },
        envFrom: [{ configMapRef: { name: NAMES.mcpConfig } }, { secretRef: { name: NAMES.mcpApiKeysSecret } }],
        env: [
            {
                name: "QDRANT_API_KEY",
                valueFrom: { secretKeyRef: { name: NAMES.qdrantApiKeySecret, key: NAMES.qdrantApiKeySecretKey } },
            },
        ],
        volumeMounts: [
            { name: "data", mountPath: MCP_DATA_PATH },
            { name: "tmp", mountPath: "/tmp" },
            { name: "api-keys", mountPath: MCP_SECRETS_PATH, readOnly: true },
        ],
    };
}

export function mcpServerPodSpec<S extends Str = string>(cfg: WorkloadConfig, image: S) {
    const base = mcpContainerBase(cfg, image);
    const probe = (path: "/health" | "/ready", periodSeconds: number, failureThreshold: number, timeoutSeconds: number) => ({
        httpGet: { path, port: "http" },
        periodSeconds,
        failureThreshold,
        timeoutSeconds,
    });
    const init = cfg.mcpServer.indexInitCommand;
    return {
        serviceAccountName: NAMES.mcpServiceAccount,
        automountServiceAccountToken: false,
        // Service links would inject QDRANT_PORT=tcp://... and similar, which collide with app settings.
        enableServiceLinks: false,
        priorityClassName: priorityClassName(cfg),
        securityContext: restrictedPodSecurityContext(MCP_UID),
        terminationGracePeriodSeconds: TERMINATION_GRACE_SECONDS,
        topologySpreadConstraints: spreadConstraints(NAMES.mcp, isZoned(cfg), "pod-template-hash"),
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
                name: NAMES.mcp,
                ports: [{ name: "http", containerPort: MCP_PORT, protocol: "TCP" }],
                // Loading the index can take a while; liveness and readiness start only after this passes.
                startupProbe: probe("/health", 5, 60, 3),
                // /ready also proves Qdrant answers with the shared API key, and fails while the server drains;
                // /health (liveness) never depends on Qdrant, so a Qdrant outage takes pods out of the Service
                // without restarting them.
                readinessProbe: probe("/ready", 10, 3, 3),
                livenessProbe: probe("/health", 20, 3, 5),
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
            { name: "data", emptyDir: { sizeLimit: cfg.mcpServer.dataVolumeSize } },
            { name: "tmp", emptyDir: { sizeLimit: "1Gi" } },
            {
                name: "api-keys",
                csi: { driver: "secrets-store.csi.k8s.io", readOnly: true, volumeAttributes: { secretProviderClass: NAMES.mcpSecretProviderClass } },
            },
        ],
    } satisfies k8s.types.input.core.v1.PodSpec;
}

export function mcpDeploymentManifest<S extends Str = string>(cfg: StackConfig, image: S) {
    const podLabels = { ...labels(NAMES.mcp, MCP_COMPONENT), [WORKLOAD_IDENTITY_USE_LABEL]: "true" };
    return {
        apiVersion: "apps/v1",
        kind: "Deployment",
        metadata: { name: NAMES.mcp, namespace: cfg.namespace, labels: labels(NAMES.mcp, MCP_COMPONENT) },
        spec: {
            // No `replicas`: the HPA owns the count; a declared value would be reset on every update
            // (DESIGN.md pitfall 3).
            selector: { matchLabels: selectorLabels(NAMES.mcp) },
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
                    annotations: { "mcp-aks/settings-checksum": settingsChecksum(mcpServerSettings(cfg)) },
                },
                spec: mcpServerPodSpec(cfg, image),
            },
        },
    } satisfies k8s.types.input.apps.v1.Deployment;
}

export const AZURE_LB_ANNOTATIONS = {
    healthProbePath: "service.beta.kubernetes.io/azure-load-balancer-health-probe-request-path",
    idleTimeout: "service.beta.kubernetes.io/azure-load-balancer-tcp-idle-timeout",
    internal: "service.beta.kubernetes.io/azure-load-balancer-internal",
} as const;

export function mcpServiceManifest(cfg: Pick<WorkloadConfig, "namespace" | "endpoint">) {
    const annotations: Record<string, string> = {
        // Used by the cloud provider while externalTrafficPolicy is Cluster; with Local (below) it probes
        // the node's health-check port instead. Kept so a switch of policy never falls back to a bare TCP probe.
        [AZURE_LB_ANNOTATIONS.healthProbePath]: "/health",
        // The 4-minute default silently cuts idle SSE streams (DESIGN.md pitfall 5).
        [AZURE_LB_ANNOTATIONS.idleTimeout]: String(cfg.endpoint.idleTimeoutMinutes),
    };
    if (cfg.endpoint.internal) annotations[AZURE_LB_ANNOTATIONS.internal] = "true";
    return {
        apiVersion: "v1",
        kind: "Service",
        metadata: { name: NAMES.mcp, namespace: cfg.namespace, labels: labels(NAMES.mcp, MCP_COMPONENT), annotations },
        spec: {
            type: "LoadBalancer",
            selector: selectorLabels(NAMES.mcp),
            ports: [{ name: "http", port: 80, targetPort: "http", protocol: "TCP" }],
            // Local: the LB sends traffic only to nodes with a ready MCP pod, and the node forwards only to
            // its own pods, without SNAT. So (1) pods see the client's address, which ClientIP affinity keys
            // on and the NetworkPolicy checks against sourceRanges; (2) the cloud provider maps ClientIP
            // affinity to the LB's SourceIP distribution, so a client keeps reaching the same node, and that
            // node the same pod; (3) a node whose pods are all terminating fails the LB probe while their
            // streams drain. Trade-off: the LB then probes the node's health-check port, which reflects pod
            // readiness (our /health probe), instead of requesting /health itself.
            externalTrafficPolicy: "Local",
            // MCP sessions live in one replica's memory (DESIGN.md pitfall 5).
            sessionAffinity: "ClientIP",
            sessionAffinityConfig: { clientIP: { timeoutSeconds: SESSION_AFFINITY_SECONDS } },
            ...(cfg.endpoint.sourceRanges.length > 0 ? { loadBalancerSourceRanges: [...cfg.endpoint.sourceRanges] } : {}),
        },
    } satisfies k8s.types.input.core.v1.Service;
}

export function mcpPodDisruptionBudgetManifest(cfg: Pick<WorkloadConfig, "namespace">) {
    // One pod at a time, whatever the HPA's count: with minReplicas 1 a drain still proceeds.
    return oneAtATimePodDisruptionBudget(cfg, NAMES.mcp, MCP_COMPONENT);
}

export function mcpHorizontalPodAutoscalerManifest(cfg: Pick<WorkloadConfig, "namespace" | "mcpServer">) {
    const utilization = (name: string, averageUtilization: number) => ({
        type: "Resource",
        resource: { name, target: { type: "Utilization", averageUtilization } },
    });
    return {
        apiVersion: "autoscaling/v2",
        kind: "HorizontalPodAutoscaler",
        metadata: { name: NAMES.mcp, namespace: cfg.namespace, labels: labels(NAMES.mcp, MCP_COMPONENT) },
        spec: {
            scaleTargetRef: { apiVersion: "apps/v1", kind: "Deployment", name: NAMES.mcp },
            minReplicas: cfg.mcpServer.minReplicas,
            maxReplicas: cfg.mcpServer.maxReplicas,
            metrics: [
                utilization("cpu", cfg.mcpServer.targetCpuUtilization),
                utilization("memory", cfg.mcpServer.targetMemoryUtilization),
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

/** Shape of the Service status the endpoint is read from. */
export interface LoadBalancerStatus {
    readonly loadBalancer?: { readonly ingress?: ReadonlyArray<{ readonly ip?: string; readonly hostname?: string }> };
}

/** `http://<address>/mcp` from the Service status, or "" while Azure has not assigned an address. */
export function endpointUrlFromStatus(status: LoadBalancerStatus | undefined): string {
    const ingress = status?.loadBalancer?.ingress?.[0];
    const host = ingress?.ip || ingress?.hostname;
    return host ? `http://${host}/mcp` : "";
}
