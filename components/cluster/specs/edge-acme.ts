/**
 * Pure specs for the edge's Let's Encrypt mode (`edge.tls.mode: letsEncrypt`). agentgateway has no ACME
 * client, so a Caddy container in each edge pod obtains and renews the certificate (HTTP-01 on port 80),
 * terminates TLS on 443 and proxies to agentgateway on the pod's loopback, flushing every write so SSE is
 * never buffered. Caddy's ACME state (account key, certificates, locks) lives on one Azure Files share that
 * all replicas mount, so restarts and new replicas reuse the certificate instead of asking again (Let's
 * Encrypt allows 5 duplicate certificates a week).
 */
import type * as k8s from "@pulumi/kubernetes";
import { EDGE_LISTENER_PORT } from "./edge-gateway";
import { WorkloadConfig, labels } from "./common";
import type { EdgeConfig } from "../../config";
import { DEFAULT_IMAGES } from "../../config-defaults";

/**
 * The upstream Caddy reference (config `images.caddy`); the pods run its in-ACR copy, this is the default
 * of the pure specs.
 */
export const CADDY_IMAGE = DEFAULT_IMAGES.caddy;
/** Caddy's listeners inside the pod (unprivileged ports; the Service maps 80 and 443 onto them). */
export const ACME_HTTP_PORT = 8081;
export const ACME_HTTPS_PORT = 8443;
export const ACME_NAMES = { config: "mcp-edge-acme", claim: "mcp-edge-acme" } as const;
export const CADDY_CONFIG_PATH = "/etc/caddy";
export const CADDY_DATA_PATH = "/data";
/** AKS's built-in Azure Files class: ReadWriteMany, so every replica shares one ACME state. */
export const ACME_STORAGE_CLASS = "azurefile-csi";

type AcmeConfig = Pick<WorkloadConfig, "namespace"> & { readonly edge: EdgeConfig; readonly location: string };

/** The public name of the edge in letsEncrypt mode: the custom domain, or Azure's free DNS label name. */
export function acmeHostname(cfg: Pick<AcmeConfig, "edge" | "location">): string {
    return cfg.edge.tls.hostname !== "" ? cfg.edge.tls.hostname : `${cfg.edge.tls.dnsLabel}.${cfg.location}.cloudapp.azure.com`;
}

/** The Caddyfile: ACME for the one name, HTTP to HTTPS redirects, and a streaming proxy to agentgateway. */
export function caddyfile(cfg: Pick<AcmeConfig, "edge" | "location">): string {
    const host = acmeHostname(cfg);
    return [
        "{",
        // No admin API: nothing may reconfigure the proxy from inside the pod.
        "\tadmin off",
        `\thttp_port ${ACME_HTTP_PORT}`,
        `\thttps_port ${ACME_HTTPS_PORT}`,
        // Caddy's own redirects would name its internal port 8443; the site below redirects to 443.
        "\tauto_https disable_redirects",
        ...(cfg.edge.tls.acmeEmail !== "" ? [`\temail ${cfg.edge.tls.acmeEmail}`] : []),
        "}",
        "",
        `http://${host} {`,
        "\tredir https://{host}{uri} permanent",
        "}",
        "",
        `${host} {`,
        `\treverse_proxy 127.0.0.1:${EDGE_LISTENER_PORT} {`,
        // Flush every write: MCP's SSE events must reach the client as they are produced.
        "\t\tflush_interval -1",
        "\t}",
        "}",
        "",
    ].join("\n");
}

export function acmeConfigMapManifest(cfg: AcmeConfig) {
    return {
        apiVersion: "v1",
        kind: "ConfigMap",
        metadata: { name: ACME_NAMES.config, namespace: cfg.namespace, labels: labels("mcp-edge", "edge") },
        data: { Caddyfile: caddyfile(cfg) },
    } satisfies k8s.types.input.core.v1.ConfigMap;
}

export function acmeClaimManifest(cfg: AcmeConfig) {
    return {
        apiVersion: "v1",
        kind: "PersistentVolumeClaim",
        metadata: { name: ACME_NAMES.claim, namespace: cfg.namespace, labels: labels("mcp-edge", "edge") },
        spec: {
            accessModes: ["ReadWriteMany"],
            storageClassName: ACME_STORAGE_CLASS,
            // The smallest share; the ACME state is a few kilobytes.
            resources: { requests: { storage: "1Gi" } },
        },
    } satisfies k8s.types.input.core.v1.PersistentVolumeClaim;
}

/** The Caddy container and the volumes it needs, added to the edge pod in letsEncrypt mode. */
export function acmeContainer<S = string>(restrictedSecurityContext: Record<string, unknown>, image: S) {
    const tcpProbe = { tcpSocket: { port: ACME_HTTPS_PORT } };
    return {
        name: "acme-proxy",
        image,
        imagePullPolicy: "Always",
        command: ["caddy", "run", "--config", `${CADDY_CONFIG_PATH}/Caddyfile`, "--adapter", "caddyfile"],
        securityContext: restrictedSecurityContext,
        env: [
            // Caddy keeps certificates and locks under XDG_DATA_HOME: the shared share.
            { name: "XDG_DATA_HOME", value: CADDY_DATA_PATH },
            { name: "XDG_CONFIG_HOME", value: "/tmp/caddy-config" },
        ],
        ports: [
            { name: "acme-http", containerPort: ACME_HTTP_PORT, protocol: "TCP" },
            { name: "acme-https", containerPort: ACME_HTTPS_PORT, protocol: "TCP" },
        ],
        readinessProbe: { ...tcpProbe, periodSeconds: 10, failureThreshold: 3 },
        livenessProbe: { ...tcpProbe, periodSeconds: 20, failureThreshold: 3 },
        resources: { requests: { cpu: "25m", memory: "64Mi" }, limits: { cpu: "500m", memory: "256Mi" } },
        volumeMounts: [
            { name: "acme-config", mountPath: CADDY_CONFIG_PATH, readOnly: true },
            { name: "acme-data", mountPath: CADDY_DATA_PATH },
            { name: "tmp", mountPath: "/tmp" },
        ],
    };
}

export function acmeVolumes() {
    return [
        { name: "acme-config", configMap: { name: ACME_NAMES.config } },
        { name: "acme-data", persistentVolumeClaim: { claimName: ACME_NAMES.claim } },
    ];
}
