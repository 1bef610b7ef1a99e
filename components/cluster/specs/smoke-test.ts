/**
 * Pure specs for the post-deploy smoke test: a Job in the workload namespace that runs smoke-test.sh (POSIX
 * sh + curl) against each MCP target and each route of the edge, its script ConfigMap, and the NetworkPolicy
 * that lets it reach exactly DNS, the targets' MCP ports and the edge. `pulumi up` waits for the Job (the
 * Kubernetes provider fails the update when the Job reports Failed), so a server that does not answer
 * initialize and tools/list, or an edge route that does not demand a token, fails the deployment instead of
 * passing silently.
 */
import { createHash } from "crypto";
import * as fs from "fs";
import * as path from "path";
import type * as k8s from "@pulumi/kubernetes";
import { mcpServerList, StackConfig } from "../../config";
import { mcpServerSettings } from "./mcp-server";
import { dnsEgressRule } from "./network-policies";
import { mcpNames, NAMES, PART_OF, WorkloadConfig, labels, restrictedContainerSecurityContext, restrictedPodSecurityContext, selectorLabels } from "./common";
import { EDGE_CLIENT_LABEL, EDGE_NAMES, EdgeWorkloadConfig, edgePodPort, edgePublicBaseUrl, edgeServicePort } from "./edge";
import { edgeServerUrl, protectedResourceMetadataUrl } from "./edge-gateway";

/** The script, read once: it is both the ConfigMap's content and part of the Job's name. */
export const SMOKE_TEST_SCRIPT = fs.readFileSync(path.join(__dirname, "smoke-test.sh"), "utf8");

export const SMOKE_TEST_NAME = NAMES.smokeTest;
export const SMOKE_TEST_COMPONENT = "smoke-test";
/** The uid of curl_user in the curlimages/curl image; any non-root uid works, this one owns its home. */
export const SMOKE_TEST_UID = 100;
/** Seconds before the Job is failed as a whole: well inside the provider's 10-minute await. */
export const SMOKE_TEST_DEADLINE_SECONDS = 300;
const SCRIPT_KEY = "smoke-test.sh";
const SCRIPT_DIR = "/smoke";

/** One MCP endpoint to test, as seen from inside the namespace. */
export interface SmokeTarget {
    /** Short name used in the messages. */
    readonly name: string;
    /** URL answered by GET with 2xx when the server is alive. */
    readonly healthUrl: string;
    /** Streamable HTTP endpoint for initialize and tools/list. */
    readonly mcpUrl: string;
    /** Labels of the pods behind the URLs, for the egress rule. */
    readonly podSelector: Readonly<Record<string, string>>;
    /** The pods' port (NetworkPolicies see the pod port after Service translation, not the Service port). */
    readonly podPort: number;
}

/** Every MCP server behind its ClusterIP Service, by its cluster DNS name and port. */
export function mcpServerTargets(cfg: Pick<WorkloadConfig, "namespace" | "mcpServers">): SmokeTarget[] {
    return mcpServerList(cfg).map((server) => {
        const app = mcpNames(server.name).app;
        const base = `http://${app}.${cfg.namespace}.svc.cluster.local:${server.port}`;
        return { name: app, healthUrl: `${base}${server.healthPath}`, mcpUrl: `${base}${server.path}`, podSelector: selectorLabels(app), podPort: server.port };
    });
}

/** One route of the edge, called without credentials the way an MCP client's first request arrives. */
export interface EdgeSmokeRoute {
    /** The server's name (the route is `/mcp/<name>`). */
    readonly name: string;
    /** The route's public URL: what clients call, and what the metadata's `resource` must equal (RFC 9728). */
    readonly url: string;
    /** The protected-resource metadata URL that the 401 challenge must name. */
    readonly metadataUrl: string;
}

/** The edge as the smoke test reaches it: every route by its public URL, connected to inside the cluster. */
export interface EdgeSmokeTarget {
    readonly routes: readonly EdgeSmokeRoute[];
    /**
     * curl `--connect-to` `<public host>:<port>:<edge Service>:<port>`: the request carries the public name
     * (Host, TLS SNI and certificate check) but goes to the edge's Service, so it needs no public IP, DNS
     * record or source-range exception, and works the same in private mode.
     */
    readonly connectTo: string;
    /** Labels of the edge pods and the pod port behind the Service port, for the egress rule. */
    readonly podSelector: Readonly<Record<string, string>>;
    readonly podPort: number;
    /** How long to wait for the edge's first answer (see EDGE_SMOKE_WAIT_SECONDS). */
    readonly waitSeconds: number;
}

/**
 * Seconds the smoke test waits for the edge's first answer. In letsEncrypt mode Caddy can ask for the
 * certificate only once the load balancer has its IP and the DNS label resolves to it, and retries after a
 * failed attempt, so the first `up` may wait minutes for a TLS handshake. The other modes serve at once.
 */
export const EDGE_SMOKE_WAIT_SECONDS = { letsEncrypt: 240, other: 60 } as const;

export function edgeSmokeTarget(cfg: EdgeWorkloadConfig & Pick<WorkloadConfig, "mcpServers">): EdgeSmokeTarget {
    const base = edgePublicBaseUrl(cfg);
    const publicUrl = new URL(base);
    const publicPort = publicUrl.port !== "" ? publicUrl.port : publicUrl.protocol === "https:" ? "443" : "80";
    return {
        routes: mcpServerList(cfg).map((s) => ({ name: s.name, url: edgeServerUrl(base, s.name), metadataUrl: protectedResourceMetadataUrl(base, s.name) })),
        connectTo: `${publicUrl.hostname}:${publicPort}:${EDGE_NAMES.edge}.${cfg.namespace}.svc.cluster.local:${edgeServicePort(cfg)}`,
        podSelector: selectorLabels(EDGE_NAMES.edge),
        podPort: edgePodPort(cfg),
        waitSeconds: cfg.edge.tls.mode === "letsEncrypt" ? EDGE_SMOKE_WAIT_SECONDS.letsEncrypt : EDGE_SMOKE_WAIT_SECONDS.other,
    };
}

/** What the smoke test tests; any change gives the Job a new name, so the test runs again. */
export interface SmokeTestInputs {
    /** The curl image that runs the script. */
    readonly image: string;
    /** The image of each MCP server under test, by server name. */
    readonly serverImages: Readonly<Record<string, string>>;
    /** The targets to call. */
    readonly targets: readonly SmokeTarget[];
    /** The edge's routes to call without a token. */
    readonly edge: EdgeSmokeTarget;
    /** What the edge runs, its image and rendered gateway config: a new edge runs the test again. */
    readonly edgeRevision: { readonly image: string; readonly config: string };
}

/**
 * `mcp-smoke-test-<hash>` over the script, the curl image, every server's image and settings, the targets and
 * the edge (its routes, image and config). A Job's pod
 * template is immutable, and a finished Job never runs again: a new name makes Pulumi replace it, which
 * re-runs the test exactly when what it tests changed.
 */
export function smokeTestJobName(cfg: StackConfig, inputs: SmokeTestInputs): string {
    const hash = createHash("sha256")
        .update(
            JSON.stringify({
                script: SMOKE_TEST_SCRIPT,
                image: inputs.image,
                serverImages: inputs.serverImages,
                settings: Object.fromEntries(mcpServerList(cfg).map((s) => [s.name, mcpServerSettings(cfg, s)])),
                targets: inputs.targets,
                edge: inputs.edge,
                edgeRevision: inputs.edgeRevision,
            }),
        )
        .digest("hex");
    return `${SMOKE_TEST_NAME}-${hash.slice(0, 10)}`;
}

/** The SMOKE_TARGETS value: one "<name> <health-url> <mcp-url>" per line. */
export function smokeTargetsEnv(targets: readonly SmokeTarget[]): string {
    for (const t of targets) {
        if (/\s/.test(t.name + t.healthUrl + t.mcpUrl)) throw new Error(`smoke test target ${t.name}: names and URLs may not contain whitespace`);
    }
    return targets.map((t) => `${t.name} ${t.healthUrl} ${t.mcpUrl}`).join("\n");
}

/** The SMOKE_EDGE_ROUTES value: one "<name> <route-url> <metadata-url>" per line. */
export function smokeEdgeRoutesEnv(routes: readonly EdgeSmokeRoute[]): string {
    for (const r of routes) {
        if (/\s/.test(r.name + r.url + r.metadataUrl)) throw new Error(`smoke test edge route ${r.name}: names and URLs may not contain whitespace`);
    }
    return routes.map((r) => `${r.name} ${r.url} ${r.metadataUrl}`).join("\n");
}

/** The script's environment for the edge checks. */
export function smokeEdgeEnv(edge: EdgeSmokeTarget): Array<{ name: string; value: string }> {
    return [
        { name: "SMOKE_EDGE_ROUTES", value: smokeEdgeRoutesEnv(edge.routes) },
        { name: "SMOKE_EDGE_CONNECT_TO", value: edge.connectTo },
        { name: "SMOKE_EDGE_WAIT_SECONDS", value: String(edge.waitSeconds) },
    ];
}

export function smokeTestConfigMapManifest(cfg: Pick<WorkloadConfig, "namespace">) {
    return {
        apiVersion: "v1",
        kind: "ConfigMap",
        metadata: { name: SMOKE_TEST_NAME, namespace: cfg.namespace, labels: labels(SMOKE_TEST_NAME, SMOKE_TEST_COMPONENT) },
        data: { [SCRIPT_KEY]: SMOKE_TEST_SCRIPT },
    } satisfies k8s.types.input.core.v1.ConfigMap;
}

export function smokeTestJobManifest(cfg: StackConfig, inputs: SmokeTestInputs) {
    return {
        apiVersion: "batch/v1",
        kind: "Job",
        metadata: {
            name: smokeTestJobName(cfg, inputs),
            namespace: cfg.namespace,
            labels: labels(SMOKE_TEST_NAME, SMOKE_TEST_COMPONENT),
            annotations: {
                // A Job that failed stays Failed; without this the next `up` would wait on it again instead of
                // running the test anew after the cause was fixed elsewhere (a policy, a secret).
                "pulumi.com/replaceUnready": "true",
            },
        },
        spec: {
            // One retry, on a new pod: absorbs a replica that turned ready a moment before, while a real
            // failure still fails the update within a minute or two.
            backoffLimit: 1,
            // The servers' checks take seconds; the edge may first need its certificate (waitSeconds).
            activeDeadlineSeconds: SMOKE_TEST_DEADLINE_SECONDS + inputs.edge.waitSeconds,
            // No ttlSecondsAfterFinished: Pulumi owns the Job and deletes it when the name changes. A TTL
            // would delete it behind Pulumi's back, and the next refresh would run the test again.
            template: {
                // The edge admits in-cluster callers only with this label (its NetworkPolicy).
                metadata: { labels: { ...labels(SMOKE_TEST_NAME, SMOKE_TEST_COMPONENT), [EDGE_CLIENT_LABEL]: "true" } },
                spec: {
                    restartPolicy: "Never",
                    automountServiceAccountToken: false,
                    enableServiceLinks: false,
                    securityContext: restrictedPodSecurityContext(SMOKE_TEST_UID),
                    containers: [
                        {
                            name: SMOKE_TEST_COMPONENT,
                            image: inputs.image,
                            command: ["sh", `${SCRIPT_DIR}/${SCRIPT_KEY}`],
                            env: [
                                { name: "SMOKE_TARGETS", value: smokeTargetsEnv(inputs.targets) },
                                ...smokeEdgeEnv(inputs.edge),
                                { name: "HOME", value: "/tmp" },
                                { name: "TMPDIR", value: "/tmp" },
                            ],
                            // The script writes its verdict to /dev/termination-log; the logs are the fallback.
                            terminationMessagePolicy: "FallbackToLogsOnError",
                            resources: { requests: { cpu: "10m", memory: "16Mi" }, limits: { cpu: "200m", memory: "64Mi" } },
                            securityContext: restrictedContainerSecurityContext(),
                            volumeMounts: [
                                { name: "script", mountPath: SCRIPT_DIR, readOnly: true },
                                { name: "tmp", mountPath: "/tmp" },
                            ],
                        },
                    ],
                    volumes: [
                        { name: "script", configMap: { name: SMOKE_TEST_NAME, defaultMode: 0o444 } },
                        { name: "tmp", emptyDir: { sizeLimit: "16Mi" } },
                    ],
                },
            },
        },
    } satisfies k8s.types.input.batch.v1.Job;
}

/** The smoke test reaches DNS, each target's pods on their port and the edge's pods on theirs; nothing reaches it. */
export function smokeTestPolicyManifest(cfg: Pick<WorkloadConfig, "namespace">, targets: readonly SmokeTarget[], edge: Pick<EdgeSmokeTarget, "podSelector" | "podPort">) {
    return {
        apiVersion: "networking.k8s.io/v1",
        kind: "NetworkPolicy",
        metadata: { name: SMOKE_TEST_NAME, namespace: cfg.namespace, labels: { "app.kubernetes.io/part-of": PART_OF, "app.kubernetes.io/managed-by": "pulumi" } },
        spec: {
            podSelector: { matchLabels: selectorLabels(SMOKE_TEST_NAME) },
            policyTypes: ["Ingress", "Egress"],
            egress: [dnsEgressRule(), ...[...targets, edge].map((t) => ({ to: [{ podSelector: { matchLabels: { ...t.podSelector } } }], ports: [{ protocol: "TCP", port: t.podPort }] }))],
        },
    } satisfies k8s.types.input.networking.v1.NetworkPolicy;
}
