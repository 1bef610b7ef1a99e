/**
 * Pure specs for the namespace's NetworkPolicies: deny everything, then allow exactly the flows each MCP
 * server and Qdrant need. Enforced by Cilium (DESIGN.md "Network policy").
 */
import type * as k8s from "@pulumi/kubernetes";
import { McpServerConfig, mcpServerList } from "../../config";
import { NAMES, PART_OF, QDRANT_GRPC_PORT, QDRANT_HTTP_PORT, QDRANT_P2P_PORT, WorkloadConfig, mcpNames, selectorLabels } from "./common";
import { isQdrantCluster } from "./qdrant";

/** RFC 1918, CGNAT (RFC 6598) and link-local (IMDS at 169.254.169.254): never reachable as "the internet". */
export const PRIVATE_RANGES = ["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "100.64.0.0/10", "169.254.0.0/16"];

function meta(cfg: Pick<WorkloadConfig, "namespace">, name: string) {
    return {
        name,
        namespace: cfg.namespace,
        labels: { "app.kubernetes.io/part-of": PART_OF, "app.kubernetes.io/managed-by": "pulumi" },
    };
}

/**
 * Cluster DNS: CoreDNS in kube-system. UDP and TCP both, because answers over 512 bytes are truncated and
 * retried over TCP (DESIGN.md pitfall 7).
 */
export function dnsEgressRule() {
    return {
        to: [
            {
                namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "kube-system" } },
                podSelector: { matchLabels: { "k8s-app": "kube-dns" } },
            },
        ],
        ports: [
            { protocol: "UDP", port: 53 },
            { protocol: "TCP", port: 53 },
        ],
    };
}

/**
 * HTTPS to public addresses only (LLM APIs, Entra ID's token endpoint, Blob storage), so a compromised pod
 * cannot reach the VNet, the node or IMDS. Plain NetworkPolicies cannot name FQDNs.
 */
export function publicHttpsEgressRule() {
    return { to: [{ ipBlock: { cidr: "0.0.0.0/0", except: [...PRIVATE_RANGES] } }], ports: [{ protocol: "TCP", port: 443 }] };
}

const qdrantPods = () => ({ podSelector: { matchLabels: selectorLabels(NAMES.qdrant) } });
const p2pPort = () => [{ protocol: "TCP", port: QDRANT_P2P_PORT }];

const qdrantPorts = () => [
    { protocol: "TCP", port: QDRANT_HTTP_PORT },
    { protocol: "TCP", port: QDRANT_GRPC_PORT },
];

/** No pod in the namespace sends or receives anything that a later policy does not allow. */
export function defaultDenyPolicyManifest(cfg: Pick<WorkloadConfig, "namespace">) {
    return {
        apiVersion: "networking.k8s.io/v1",
        kind: "NetworkPolicy",
        metadata: meta(cfg, NAMES.defaultDeny),
        spec: { podSelector: {}, policyTypes: ["Ingress", "Egress"] },
    } satisfies k8s.types.input.networking.v1.NetworkPolicy;
}

/**
 * One server's flows. In: only the edge's pods (and the post-deploy smoke test) of this namespace, only on the server's port (a bare
 * podSelector never matches pods of other namespaces). Out: DNS, Qdrant when the server uses it, and HTTPS
 * to public addresses for its APIs. `kubectl port-forward` (npm run connect) is not affected: it enters the
 * pod's network namespace on loopback, past the policy.
 */
export function mcpServerPolicyManifest(cfg: Pick<WorkloadConfig, "namespace">, server: Pick<McpServerConfig, "name" | "port" | "usesQdrant">) {
    return {
        apiVersion: "networking.k8s.io/v1",
        kind: "NetworkPolicy",
        metadata: meta(cfg, mcpNames(server.name).app),
        spec: {
            podSelector: { matchLabels: selectorLabels(mcpNames(server.name).app) },
            policyTypes: ["Ingress", "Egress"],
            ingress: [
                { from: [{ podSelector: { matchLabels: selectorLabels(NAMES.edge) } }], ports: [{ protocol: "TCP", port: server.port }] },
                // The post-deploy smoke test (smoke-test.ts), which calls every server's Service.
                { from: [{ podSelector: { matchLabels: selectorLabels(NAMES.smokeTest) } }], ports: [{ protocol: "TCP", port: server.port }] },
            ],
            egress: [
                dnsEgressRule(),
                ...(server.usesQdrant ? [{ to: [qdrantPods()], ports: qdrantPorts() }] : []),
                // LLM APIs, Tavily and the Entra ID token exchange of workload identity.
                publicHttpsEgressRule(),
            ],
        },
    } satisfies k8s.types.input.networking.v1.NetworkPolicy;
}

export function qdrantPolicyManifest(cfg: Pick<WorkloadConfig, "namespace" | "qdrant" | "mcpServers">) {
    const cluster = isQdrantCluster(cfg);
    const backup = cfg.qdrant.backup.enabled;
    // One peer per server that uses Qdrant; with none, no rule for them (a rule with no `from` at all
    // would admit everyone).
    const clients = mcpServerList(cfg)
        .filter((s) => s.usesQdrant)
        .map((s) => ({ podSelector: { matchLabels: selectorLabels(mcpNames(s.name).app) } }));
    return {
        apiVersion: "networking.k8s.io/v1",
        kind: "NetworkPolicy",
        metadata: meta(cfg, NAMES.qdrant),
        spec: {
            podSelector: { matchLabels: selectorLabels(NAMES.qdrant) },
            policyTypes: ["Ingress", "Egress"],
            ingress: [
                // Only the MCP servers of this namespace that use Qdrant (a bare podSelector never matches
                // other namespaces).
                ...(clients.length > 0 ? [{ from: clients, ports: qdrantPorts() }] : []),
                // The backup and restore jobs use the REST API only.
                ...(backup ? [{ from: [{ podSelector: { matchLabels: selectorLabels(NAMES.qdrantBackup) } }], ports: [{ protocol: "TCP", port: QDRANT_HTTP_PORT }] }] : []),
                // Raft and shard transfers: between Qdrant pods only, on the p2p port only.
                ...(cluster ? [{ from: [qdrantPods()], ports: p2pPort() }] : []),
            ],
            egress: [dnsEgressRule(), ...(cluster ? [{ to: [qdrantPods()], ports: p2pPort() }] : [])],
        },
    } satisfies k8s.types.input.networking.v1.NetworkPolicy;
}

/** The backup and restore pods: DNS, Qdrant's REST port on every node, HTTPS to Entra ID and Blob; no ingress. */
export function qdrantBackupPolicyManifest(cfg: Pick<WorkloadConfig, "namespace">) {
    return {
        apiVersion: "networking.k8s.io/v1",
        kind: "NetworkPolicy",
        metadata: meta(cfg, NAMES.qdrantBackup),
        spec: {
            podSelector: { matchLabels: selectorLabels(NAMES.qdrantBackup) },
            policyTypes: ["Ingress", "Egress"],
            egress: [dnsEgressRule(), { to: [qdrantPods()], ports: [{ protocol: "TCP", port: QDRANT_HTTP_PORT }] }, publicHttpsEgressRule()],
        },
    } satisfies k8s.types.input.networking.v1.NetworkPolicy;
}

export function networkPolicyManifests(cfg: Pick<WorkloadConfig, "namespace" | "qdrant" | "mcpServers">) {
    return [
        defaultDenyPolicyManifest(cfg),
        ...mcpServerList(cfg).map((s) => mcpServerPolicyManifest(cfg, s)),
        qdrantPolicyManifest(cfg),
        ...(cfg.qdrant.backup.enabled ? [qdrantBackupPolicyManifest(cfg)] : []),
    ];
}
