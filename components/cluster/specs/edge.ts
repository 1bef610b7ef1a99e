/**
 * Pure specs for the edge: the agentgateway Deployment that is the only way into the MCP servers, its
 * ServiceAccount (workload identity, for Key Vault through CSI), gateway ConfigMap, SecretProviderClass,
 * Service (ClusterIP in private mode, a LoadBalancer in keyVault mode), PDB, HPA and NetworkPolicy.
 */
import type * as k8s from "@pulumi/kubernetes";
import * as YAML from "yaml";
import type { EdgeConfig } from "../../config";
import { EDGE_VAULT_SECRETS } from "../../naming";
import { EDGE_SERVICE_ACCOUNT, WORKLOAD_IDENTITY_USE_LABEL } from "../../workload-identity";
import {
    EDGE_APP,
    FederatedIdentity,
    PART_OF,
    Str,
    WorkloadConfig,
    isZoned,
    labels,
    priorityClassName,
    restrictedContainerSecurityContext,
    restrictedPodSecurityContext,
    selectorLabels,
    spreadConstraints,
    deploymentAutoscalerManifest,
    oneAtATimePodDisruptionBudget,
    keyVaultProviderParameters,
    utilizationMetric,
    workloadIdentityServiceAccountManifest,
} from "./common";
import {
    EDGE_ENV,
    EDGE_LISTENER_PORT,
    EDGE_LOCAL_PORT,
    EDGE_READINESS_PATH,
    EDGE_READINESS_PORT,
    EdgeRouteTarget,
} from "./edge-gateway";
import { settingsChecksum } from "./mcp-server";
import { ACME_HTTPS_PORT, ACME_HTTP_PORT, CADDY_IMAGE, acmeContainer, acmeHostname, acmeVolumes, caddyfile } from "./edge-acme";
import { dnsEgressRule, publicHttpsEgressRule } from "./network-policies";

/** The chainguard glibc-dynamic base of the agentgateway image runs as `nonroot` (uid/gid 65532). */
export const EDGE_UID = 65532;
export const EDGE_COMPONENT = "edge";
/** Pods in the namespace with this label set to "true" may call the edge (the smoke-test Job). */
export const EDGE_CLIENT_LABEL = "mcp-aks/edge-client";
export const EDGE_NAMES = {
    edge: EDGE_APP,
    serviceAccount: EDGE_SERVICE_ACCOUNT,
    config: "mcp-edge-config",
    secretProviderClass: "mcp-edge-keyvault",
    /** The Secret the CSI driver syncs the session key and client secret into (env vars). */
    secrets: "mcp-edge-secrets",
} as const;
export const EDGE_CONFIG_PATH = "/etc/agentgateway";
export const EDGE_CONFIG_FILE = "config.yaml";
export const EDGE_KEYVAULT_PATH = "/mnt/edge-keyvault";
/** File name (CSI objectAlias) of the TLS certificate: one PEM with the private key and the chain. */
export const EDGE_TLS_FILE = "tls.pem";
/** Service ports: 443 for HTTPS clients, 8080 for the port-forward of private mode. */
export const EDGE_SERVICE_PORT = { keyVault: 443, private: EDGE_LOCAL_PORT } as const;
/** Seconds between SIGTERM and SIGKILL: lets open SSE streams end and clients resume on another replica. */
export const EDGE_TERMINATION_GRACE_SECONDS = 60;
const EDGE_PRE_STOP_SLEEP_SECONDS = 10;

export type EdgeWorkloadConfig = Pick<WorkloadConfig, "namespace" | "cluster"> & { readonly edge: EdgeConfig; readonly location: string };

/** The edge Service's port that serves MCP: 8080 (plain HTTP, for the port-forward) in private mode, else 443. */
export function edgeServicePort(cfg: Pick<EdgeWorkloadConfig, "edge">): number {
    return cfg.edge.tls.mode === "private" ? EDGE_SERVICE_PORT.private : EDGE_SERVICE_PORT.keyVault;
}

/**
 * The pod port behind edgeServicePort: agentgateway's listener, or Caddy's TLS port in letsEncrypt mode.
 * NetworkPolicies see this port (after the Service's DNAT), so in-cluster clients are admitted on it.
 */
export function edgePodPort(cfg: Pick<EdgeWorkloadConfig, "edge">): number {
    return cfg.edge.tls.mode === "letsEncrypt" ? ACME_HTTPS_PORT : EDGE_LISTENER_PORT;
}

/** The URL clients use: localhost through the port-forward in private mode, the public name otherwise. */
export function edgePublicBaseUrl(cfg: Pick<EdgeWorkloadConfig, "edge" | "location">): string {
    switch (cfg.edge.tls.mode) {
        case "private":
            return `http://localhost:${EDGE_LOCAL_PORT}`;
        case "letsEncrypt":
            return `https://${acmeHostname(cfg)}`;
        default:
            return `https://${cfg.edge.tls.hostname}`;
    }
}

export function edgeServiceAccountManifest<S extends Str = string>(cfg: Pick<WorkloadConfig, "namespace">, identity: FederatedIdentity<S>) {
    return workloadIdentityServiceAccountManifest(cfg.namespace, EDGE_NAMES.serviceAccount, EDGE_NAMES.edge, EDGE_COMPONENT, identity);
}

export function edgeConfigMapManifest<S extends Str = string>(cfg: Pick<WorkloadConfig, "namespace">, gatewayYaml: S) {
    return {
        apiVersion: "v1",
        kind: "ConfigMap",
        metadata: { name: EDGE_NAMES.config, namespace: cfg.namespace, labels: labels(EDGE_NAMES.edge, EDGE_COMPONENT) },
        data: { [EDGE_CONFIG_FILE]: gatewayYaml },
    } satisfies k8s.types.input.core.v1.ConfigMap;
}

/** Key Vault objects the edge mounts, each aliased to the file name (and env var) it becomes. */
export function edgeKeyVaultObjects(edge: EdgeConfig, hasClientSecret: boolean): string {
    const objects = [
        { objectName: EDGE_VAULT_SECRETS.sessionKey, objectType: "secret", objectAlias: EDGE_ENV.sessionKey },
        ...(hasClientSecret ? [{ objectName: EDGE_VAULT_SECRETS.clientSecret, objectType: "secret", objectAlias: EDGE_ENV.clientSecret }] : []),
        // A certificate read as objectType "secret" comes back as PEM with its private key (a "cert" object
        // would be the public part only), which is what the HTTPS listener needs.
        ...(edge.tls.mode === "keyVault" ? [{ objectName: edge.tls.certificateName, objectType: "secret", objectAlias: EDGE_TLS_FILE }] : []),
    ];
    return YAML.stringify({ array: objects.map((o) => YAML.stringify(o)) });
}

export function edgeSecretProviderClassManifest<S extends Str = string>(
    cfg: EdgeWorkloadConfig,
    vault: { clientId: S; tenantId: S; vaultName: S },
    hasClientSecret: boolean,
) {
    const envKeys = [EDGE_ENV.sessionKey, ...(hasClientSecret ? [EDGE_ENV.clientSecret] : [])];
    return {
        apiVersion: "secrets-store.csi.x-k8s.io/v1" as const,
        kind: "SecretProviderClass" as const,
        metadata: { name: EDGE_NAMES.secretProviderClass, namespace: cfg.namespace, labels: labels(EDGE_NAMES.edge, EDGE_COMPONENT) },
        spec: {
            provider: "azure",
            parameters: keyVaultProviderParameters(vault, edgeKeyVaultObjects(cfg.edge, hasClientSecret)),
            secretObjects: [
                {
                    secretName: EDGE_NAMES.secrets,
                    type: "Opaque",
                    labels: labels(EDGE_NAMES.edge, EDGE_COMPONENT),
                    data: envKeys.map((k) => ({ objectName: k, key: k })),
                },
            ],
        },
    };
}

/** `acmeImage`: the Caddy image, run only in letsEncrypt mode (the in-ACR copy of `images.caddy`). */
export function edgePodSpec<S extends Str = string>(cfg: EdgeWorkloadConfig, image: S, hasClientSecret: boolean, acmeImage: S | string = CADDY_IMAGE) {
    const secretEnv = (name: string) => ({ name, valueFrom: { secretKeyRef: { name: EDGE_NAMES.secrets, key: name } } });
    const probe = { httpGet: { path: EDGE_READINESS_PATH, port: EDGE_READINESS_PORT } };
    const r = cfg.edge.resources;
    return {
        serviceAccountName: EDGE_NAMES.serviceAccount,
        automountServiceAccountToken: false,
        enableServiceLinks: false,
        priorityClassName: priorityClassName(cfg),
        securityContext: restrictedPodSecurityContext(EDGE_UID),
        terminationGracePeriodSeconds: EDGE_TERMINATION_GRACE_SECONDS,
        topologySpreadConstraints: spreadConstraints(EDGE_NAMES.edge, isZoned(cfg), "pod-template-hash"),
        containers: [
            ...(cfg.edge.tls.mode === "letsEncrypt" ? [acmeContainer(restrictedContainerSecurityContext(), acmeImage)] : []),
            {
                name: "agentgateway",
                image,
                imagePullPolicy: "Always",
                args: ["-f", `${EDGE_CONFIG_PATH}/${EDGE_CONFIG_FILE}`],
                securityContext: restrictedContainerSecurityContext(),
                resources: { requests: { ...r.requests }, limits: { ...r.limits } },
                env: [
                    secretEnv(EDGE_ENV.sessionKey),
                    ...(hasClientSecret ? [secretEnv(EDGE_ENV.clientSecret)] : []),
                    // agentgateway drains connections for this long minus a margin before it exits.
                    { name: "TERMINATION_GRACE_PERIOD_SECONDS", value: String(EDGE_TERMINATION_GRACE_SECONDS) },
                ],
                ports: [
                    { name: "mcp", containerPort: EDGE_LISTENER_PORT, protocol: "TCP" },
                    { name: "readiness", containerPort: EDGE_READINESS_PORT, protocol: "TCP" },
                ],
                startupProbe: { ...probe, periodSeconds: 2, failureThreshold: 30, timeoutSeconds: 2 },
                readinessProbe: { ...probe, periodSeconds: 10, failureThreshold: 3, timeoutSeconds: 2 },
                livenessProbe: { ...probe, periodSeconds: 20, failureThreshold: 3, timeoutSeconds: 3 },
                // The LB probe and the node's service rules need a moment to stop sending new connections.
                lifecycle: { preStop: { sleep: { seconds: EDGE_PRE_STOP_SLEEP_SECONDS } } },
                volumeMounts: [
                    { name: "config", mountPath: EDGE_CONFIG_PATH, readOnly: true },
                    { name: "tmp", mountPath: "/tmp" },
                    { name: "keyvault", mountPath: EDGE_KEYVAULT_PATH, readOnly: true },
                ],
            },
        ],
        volumes: [
            { name: "config", configMap: { name: EDGE_NAMES.config } },
            { name: "tmp", emptyDir: { sizeLimit: "64Mi" } },
            {
                name: "keyvault",
                csi: { driver: "secrets-store.csi.k8s.io", readOnly: true, volumeAttributes: { secretProviderClass: EDGE_NAMES.secretProviderClass } },
            },
            ...(cfg.edge.tls.mode === "letsEncrypt" ? acmeVolumes() : []),
        ],
    } satisfies k8s.types.input.core.v1.PodSpec;
}

/** A digest of the edge's config files for the pod template: a new config rolls the pods. */
export function edgeConfigChecksum(cfg: Pick<EdgeWorkloadConfig, "edge" | "location">, gatewayYaml: string): string {
    return settingsChecksum({ [EDGE_CONFIG_FILE]: gatewayYaml, ...(cfg.edge.tls.mode === "letsEncrypt" ? { Caddyfile: caddyfile(cfg) } : {}) });
}

export function edgeDeploymentManifest<S extends Str = string>(cfg: EdgeWorkloadConfig, image: S, configChecksum: S, hasClientSecret: boolean, acmeImage: S | string = CADDY_IMAGE) {
    return {
        apiVersion: "apps/v1",
        kind: "Deployment",
        metadata: { name: EDGE_NAMES.edge, namespace: cfg.namespace, labels: labels(EDGE_NAMES.edge, EDGE_COMPONENT) },
        spec: {
            // No `replicas`: the HPA owns the count (DESIGN.md pitfall 3).
            selector: { matchLabels: selectorLabels(EDGE_NAMES.edge) },
            revisionHistoryLimit: 5,
            minReadySeconds: 5,
            strategy: { type: "RollingUpdate", rollingUpdate: { maxUnavailable: 0, maxSurge: 1 } },
            template: {
                metadata: {
                    labels: { ...labels(EDGE_NAMES.edge, EDGE_COMPONENT), [WORKLOAD_IDENTITY_USE_LABEL]: "true" },
                    // agentgateway reloads its file, but TLS files are read at start: a new config (or
                    // certificate name) rolls the pods so that every replica serves the same thing.
                    annotations: { "mcp-aks/config-checksum": configChecksum },
                },
                spec: edgePodSpec(cfg, image, hasClientSecret, acmeImage),
            },
        },
    } satisfies k8s.types.input.apps.v1.Deployment;
}

/** The Azure cloud provider's Service annotations the stack sets, or (allowedIpRanges) that the plan reports. */
export const AZURE_LB = {
    idleTimeout: "service.beta.kubernetes.io/azure-load-balancer-tcp-idle-timeout",
    allowedIpRanges: "service.beta.kubernetes.io/azure-allowed-ip-ranges",
    internal: "service.beta.kubernetes.io/azure-load-balancer-internal",
    dnsLabel: "service.beta.kubernetes.io/azure-dns-label-name",
} as const;

export function edgeServiceManifest(cfg: EdgeWorkloadConfig) {
    const meta = { name: EDGE_NAMES.edge, namespace: cfg.namespace, labels: labels(EDGE_NAMES.edge, EDGE_COMPONENT) };
    if (cfg.edge.tls.mode === "private") {
        return {
            apiVersion: "v1",
            kind: "Service",
            metadata: meta,
            spec: {
                // No load balancer, no public IP: `npm run connect` forwards localhost through the API server.
                type: "ClusterIP",
                selector: selectorLabels(EDGE_NAMES.edge),
                ports: [{ name: "mcp", port: edgeServicePort(cfg), targetPort: "mcp", protocol: "TCP" }],
            },
        } satisfies k8s.types.input.core.v1.Service;
    }
    const acme = cfg.edge.tls.mode === "letsEncrypt";
    const annotations: Record<string, string> = {
        // Longer than any tool call; the 4-minute default silently cuts idle SSE streams (DESIGN.md pitfall 5).
        [AZURE_LB.idleTimeout]: String(cfg.edge.idleTimeoutMinutes),
        ...(cfg.edge.loadBalancer === "internal" ? { [AZURE_LB.internal]: "true" } : {}),
        // Azure's free name <label>.<region>.cloudapp.azure.com on the load balancer's public IP.
        ...(acme && cfg.edge.tls.dnsLabel !== "" ? { [AZURE_LB.dnsLabel]: cfg.edge.tls.dnsLabel } : {}),
    };
    return {
        apiVersion: "v1",
        kind: "Service",
        metadata: { ...meta, annotations },
        spec: {
            type: "LoadBalancer",
            selector: selectorLabels(EDGE_NAMES.edge),
            ports: acme
                ? [
                      // Port 80 serves Let's Encrypt's HTTP-01 challenges and redirects; 443 is Caddy's TLS.
                      { name: "http", port: 80, targetPort: "acme-http", protocol: "TCP" },
                      { name: "https", port: edgeServicePort(cfg), targetPort: "acme-https", protocol: "TCP" },
                  ]
                : [{ name: "https", port: edgeServicePort(cfg), targetPort: "mcp", protocol: "TCP" }],
            // Local keeps the client address (the NetworkPolicy checks sourceRanges against it) and sends LB
            // traffic only to nodes with a ready edge pod. No session affinity: sessions are sealed, any
            // replica serves any session.
            externalTrafficPolicy: "Local",
            // Let's Encrypt validates from addresses it does not publish, so in letsEncrypt mode the LB admits
            // everyone and the NetworkPolicy (which sees client addresses) keeps 443 to the source ranges.
            ...(!acme && cfg.edge.sourceRanges.length > 0 ? { loadBalancerSourceRanges: [...cfg.edge.sourceRanges] } : {}),
        },
    } satisfies k8s.types.input.core.v1.Service;
}

export function edgePodDisruptionBudgetManifest(cfg: Pick<WorkloadConfig, "namespace">) {
    return oneAtATimePodDisruptionBudget(cfg, EDGE_NAMES.edge, EDGE_COMPONENT);
}

export function edgeHorizontalPodAutoscalerManifest(cfg: EdgeWorkloadConfig) {
    // CPU only: the gateway's memory follows connections, and its limit is the guard.
    return deploymentAutoscalerManifest(cfg.namespace, EDGE_NAMES.edge, EDGE_COMPONENT, cfg.edge, [utilizationMetric("cpu", cfg.edge.targetCpuUtilization)]);
}

/**
 * The edge's flows: its listener from where the exposure allows (private: only in-cluster pods labelled
 * EDGE_CLIENT_LABEL, since the port-forward arrives inside the pod's own network namespace; keyVault: also
 * the source ranges, or anywhere the LB admits), egress to
 * each MCP server's pods on its port, DNS, and HTTPS to public addresses (Entra's JWKS, authorize and token
 * endpoints).
 */
export function edgePolicyManifest(cfg: EdgeWorkloadConfig, routes: readonly EdgeRouteTarget[]) {
    const listener = [{ protocol: "TCP", port: EDGE_LISTENER_PORT }];
    const from = cfg.edge.sourceRanges.map((cidr) => ({ ipBlock: { cidr } }));
    const ranged = (ports: Array<{ protocol: string; port: number }>) => ({ ...(from.length > 0 ? { from } : {}), ports });
    const mode = cfg.edge.tls.mode;
    const ingress = [
        // In-cluster callers that opt in (the post-deploy smoke test), on the port the Service serves MCP
        // from: they get the same TLS and the same 401 as anyone.
        { from: [{ podSelector: { matchLabels: { [EDGE_CLIENT_LABEL]: "true" } } }], ports: [{ protocol: "TCP", port: edgePodPort(cfg) }] },
        ...(mode === "keyVault" ? [ranged(listener)] : []),
        ...(mode === "letsEncrypt"
            ? [
                  // HTTP-01 validation comes from anywhere; it only ever reaches the challenge and the redirect.
                  { ports: [{ protocol: "TCP", port: ACME_HTTP_PORT }] },
                  ranged([{ protocol: "TCP", port: ACME_HTTPS_PORT }]),
              ]
            : []),
    ];
    return {
        apiVersion: "networking.k8s.io/v1",
        kind: "NetworkPolicy",
        metadata: { name: EDGE_NAMES.edge, namespace: cfg.namespace, labels: { "app.kubernetes.io/part-of": PART_OF, "app.kubernetes.io/managed-by": "pulumi" } },
        spec: {
            podSelector: { matchLabels: selectorLabels(EDGE_NAMES.edge) },
            policyTypes: ["Ingress", "Egress"],
            ingress,
            egress: [
                dnsEgressRule(),
                ...routes.map((r) => ({
                    to: [{ podSelector: { matchLabels: selectorLabels(r.serviceName) } }],
                    // MCP Services expose their container port unchanged, so the Service port is the pod port
                    // that NetworkPolicies see after the Service's DNAT.
                    ports: [{ protocol: "TCP", port: r.port }],
                })),
                // Entra's JWKS, authorize and token endpoints (and Let's Encrypt's ACME API for Caddy).
                publicHttpsEgressRule(),
            ],
        },
    } satisfies k8s.types.input.networking.v1.NetworkPolicy;
}
