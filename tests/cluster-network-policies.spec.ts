/**
 * The NetworkPolicies, checked structurally and by evaluating flows with the Kubernetes NetworkPolicy
 * semantics (a pod selected by a policy of a direction is isolated in it; allowed flows are the union of
 * matching rules; a flow between two pods needs the sender's egress and the receiver's ingress).
 */
import { strict as assert } from "assert";
import * as ipaddr from "ipaddr.js";
import { NAMES, mcpNames, workloadManifests } from "../components/cluster/specs";
import { PRIVATE_RANGES } from "../components/cluster/specs/network-policies";
import { edgeSmokeTarget, mcpServerTargets, smokeTestJobManifest, smokeTestPolicyManifest } from "../components/cluster/specs/smoke-test";
import { StackConfig } from "../components/config";
import { EDGE_CLIENT_LABEL } from "../components/cluster/specs/edge";
import { configFor, key, smokeTestInputs, workloadInputs } from "./fixtures";

type Labels = Record<string, string>;
interface Selector {
    matchLabels?: Labels;
}
interface Peer {
    podSelector?: Selector;
    namespaceSelector?: Selector;
    ipBlock?: { cidr: string; except?: string[] };
}
interface Rule {
    from?: Peer[];
    to?: Peer[];
    ports?: Array<{ protocol?: string; port?: number }>;
}
interface Policy {
    metadata: { name: string; namespace: string };
    spec: { podSelector: Selector; policyTypes: string[]; ingress?: Rule[]; egress?: Rule[] };
}

type Endpoint = { pod: Labels; namespace: string } | { ip: string };
interface Flow {
    from: Endpoint;
    to: Endpoint;
    port: number;
    protocol?: "TCP" | "UDP";
}


function selects(selector: Selector | undefined, labels: Labels): boolean {
    return Object.entries(selector?.matchLabels ?? {}).every(([k, v]) => labels[k] === v);
}

function namespaceLabels(namespace: string): Labels {
    return { "kubernetes.io/metadata.name": namespace };
}

function inCidr(ip: string, block: { cidr: string; except?: string[] }): boolean {
    const addr = ipaddr.parse(ip);
    const within = (cidr: string) => addr.match(ipaddr.parseCIDR(cidr));
    return within(block.cidr) && !(block.except ?? []).some(within);
}

function peerMatches(peer: Peer, policyNamespace: string, other: Endpoint): boolean {
    if ("ip" in other) return peer.ipBlock !== undefined && inCidr(other.ip, peer.ipBlock);
    if (peer.ipBlock) return false;
    const nsOk = peer.namespaceSelector ? selects(peer.namespaceSelector, namespaceLabels(other.namespace)) : other.namespace === policyNamespace;
    const podOk = peer.podSelector ? selects(peer.podSelector, other.pod) : true;
    return nsOk && podOk;
}

function ruleAllows(rule: Rule, peers: Peer[] | undefined, policyNamespace: string, other: Endpoint, flow: Flow): boolean {
    const protocol = flow.protocol ?? "TCP";
    const portOk = !rule.ports || rule.ports.length === 0 || rule.ports.some((p) => (p.protocol ?? "TCP") === protocol && (p.port === undefined || p.port === flow.port));
    const peerOk = !peers || peers.length === 0 || peers.some((p) => peerMatches(p, policyNamespace, other));
    return portOk && peerOk;
}

/** Whether `endpoint` may send (egress) or receive (ingress) `flow` under `policies`. */
function sideAllows(policies: Policy[], direction: "Ingress" | "Egress", endpoint: Endpoint, flow: Flow): boolean {
    if ("ip" in endpoint) return true; // outside the cluster: no policy applies
    const relevant = policies.filter((p) => p.metadata.namespace === endpoint.namespace && selects(p.spec.podSelector, endpoint.pod) && p.spec.policyTypes.includes(direction));
    if (relevant.length === 0) return true; // not isolated in this direction
    const other = direction === "Ingress" ? flow.from : flow.to;
    return relevant.some((p) =>
        (direction === "Ingress" ? p.spec.ingress ?? [] : p.spec.egress ?? []).some((r) => ruleAllows(r, direction === "Ingress" ? r.from : r.to, p.metadata.namespace, other, flow)),
    );
}

function allowed(policies: Policy[], flow: Flow): boolean {
    return sideAllows(policies, "Egress", flow.from, flow) && sideAllows(policies, "Ingress", flow.to, flow);
}

/** Every NetworkPolicy the workloads declare: the namespace's own and the edge's. */
function policiesFor(cfg: StackConfig): Policy[] {
    return [...workloadManifests(cfg, workloadInputs(cfg)).filter((o) => o.kind === "NetworkPolicy"), smokeTestPolicyManifest(cfg, mcpServerTargets(cfg), edgeSmokeTarget(cfg))] as unknown as Policy[];
}

describe("cluster: network policies", () => {
    const cfg = configFor("prod");
    const ns = cfg.namespace;
    const policies = policiesFor(cfg);
    const docs = mcpNames("docs").app;
    const mcp: Endpoint = { pod: { "app.kubernetes.io/name": docs, "app.kubernetes.io/instance": docs }, namespace: ns };
    const edge: Endpoint = { pod: { "app.kubernetes.io/name": NAMES.edge, "app.kubernetes.io/component": "edge" }, namespace: ns };
    const qdrant: Endpoint = { pod: { "app.kubernetes.io/name": NAMES.qdrant }, namespace: ns };
    const stranger: Endpoint = { pod: { app: "debug" }, namespace: ns };
    const backup: Endpoint = { pod: { "app.kubernetes.io/name": NAMES.qdrantBackup, "azure.workload.identity/use": "true" }, namespace: ns };
    const coreDns: Endpoint = { pod: { "k8s-app": "kube-dns" }, namespace: "kube-system" };
    const publicApi: Endpoint = { ip: "104.18.6.192" };

    it("every workload's pods are selected by a policy that restricts both ingress and egress", () => {
        const controllers = workloadManifests(cfg, workloadInputs(cfg)).filter((o) => o.kind === "Deployment" || o.kind === "StatefulSet" || o.kind === "CronJob");
        assert.equal(controllers.length, 4, "the server, Qdrant, the backup and the edge");
        for (const c of controllers) {
            const template = c.kind === "CronJob" ? c.spec.jobTemplate.spec.template : c.kind === "Deployment" || c.kind === "StatefulSet" ? c.spec.template : undefined;
            if (!template) continue;
            const podLabels = template.metadata.labels as Labels;
            const own = policies.filter((p) => p.spec.podSelector.matchLabels && selects(p.spec.podSelector, podLabels));
            assert.equal(own.length, 1, `${c.metadata.name}: one workload policy`);
            const [p] = own;
            assert.deepEqual([...p.spec.policyTypes].sort(), ["Egress", "Ingress"]);
            // A job serves nothing: its ingress stays empty (denied); servers need rules in both lists.
            if (c.kind === "CronJob") assert.equal(p.spec.ingress, undefined);
            else assert.ok((p.spec.ingress ?? []).length > 0, "Polaris missingNetworkPolicy wants both rule lists");
            assert.ok((p.spec.egress ?? []).length > 0);
            // Polaris matches the selector against the pod labels with oneOf: exactly one label key.
            const matched = Object.entries(p.spec.podSelector.matchLabels!).filter(([k, v]) => podLabels[k] === v);
            assert.equal(matched.length, 1);
        }
    });

    it("the namespace defaults to deny in both directions", () => {
        const deny = policies.find((p) => p.metadata.name === NAMES.defaultDeny)!;
        assert.deepEqual(deny.spec.podSelector, {});
        assert.deepEqual([...deny.spec.policyTypes].sort(), ["Egress", "Ingress"]);
        assert.equal(deny.spec.ingress, undefined);
        assert.equal(deny.spec.egress, undefined);
        for (const to of [qdrant, publicApi, coreDns, mcp]) assert.ok(!allowed(policies, { from: stranger, to, port: 53, protocol: "UDP" }));
        assert.ok(!allowed(policies, { from: stranger, to: qdrant, port: 6333 }));
    });

    it("the evaluator can fail: without the policies the stranger reaches Qdrant", () => {
        assert.ok(allowed([], { from: stranger, to: qdrant, port: 6333 }));
    });

    it("Qdrant admits MCP server pods on 6333 and 6334, the backup on 6333, and its peers on 6335 only", () => {
        assert.ok(allowed(policies, { from: mcp, to: qdrant, port: 6333 }));
        assert.ok(allowed(policies, { from: mcp, to: qdrant, port: 6334 }));
        assert.ok(!allowed(policies, { from: mcp, to: qdrant, port: 6335 }), "only peers speak Raft");
        assert.ok(allowed(policies, { from: backup, to: qdrant, port: 6333 }));
        assert.ok(!allowed(policies, { from: backup, to: qdrant, port: 6334 }));
        assert.ok(!allowed(policies, { from: backup, to: qdrant, port: 6335 }));
        assert.ok(allowed(policies, { from: qdrant, to: qdrant, port: 6335 }), "peer to peer");
        assert.ok(!allowed(policies, { from: qdrant, to: qdrant, port: 6333 }));
        assert.ok(!sideAllows(policies, "Ingress", qdrant, { from: stranger, to: qdrant, port: 6333 }));
        assert.ok(!sideAllows(policies, "Ingress", qdrant, { from: stranger, to: qdrant, port: 6335 }));
        const lookalike: Endpoint = { pod: mcp.pod, namespace: "other" };
        assert.ok(!sideAllows(policies, "Ingress", qdrant, { from: lookalike, to: qdrant, port: 6333 }), "same labels in another namespace");
        const peerElsewhere: Endpoint = { pod: qdrant.pod, namespace: "other" };
        assert.ok(!sideAllows(policies, "Ingress", qdrant, { from: peerElsewhere, to: qdrant, port: 6335 }), "a Qdrant of another namespace is no peer");
        assert.ok(!sideAllows(policies, "Ingress", qdrant, { from: { ip: "10.1.2.3" }, to: qdrant, port: 6333 }));
    });

    it("a single-node Qdrant (dev) opens no p2p port at all", () => {
        const dev = policiesFor(configFor("dev"));
        const devQdrant: Endpoint = { pod: qdrant.pod, namespace: configFor("dev").namespace };
        assert.ok(!allowed(dev, { from: devQdrant, to: devQdrant, port: 6335 }));
        assert.ok(allowed(dev, { from: { pod: backup.pod, namespace: devQdrant.namespace }, to: devQdrant, port: 6333 }));
    });

    it("the backup pods reach DNS, Qdrant's REST port and public HTTPS (Entra ID, Blob), nothing else, and accept nothing", () => {
        for (const protocol of ["UDP", "TCP"] as const) assert.ok(allowed(policies, { from: backup, to: coreDns, port: 53, protocol }));
        assert.ok(allowed(policies, { from: backup, to: { ip: "20.190.160.1" }, port: 443 }), "Entra ID token endpoint");
        assert.ok(allowed(policies, { from: backup, to: { ip: "20.60.0.1" }, port: 443 }), "a storage account front end");
        assert.ok(!allowed(policies, { from: backup, to: { ip: "20.60.0.1" }, port: 80 }));
        for (const ip of ["10.0.0.1", "169.254.169.254"]) assert.ok(!allowed(policies, { from: backup, to: { ip }, port: 443 }), ip);
        assert.ok(!allowed(policies, { from: backup, to: mcp, port: 3000 }));
        for (const from of [mcp, qdrant, stranger, publicApi]) assert.ok(!allowed(policies, { from, to: backup, port: 8080 }), "no ingress");
        const withoutBackup = policiesFor(configFor("prod", { [key("qdrant")]: JSON.stringify({ backup: { enabled: false } }) }));
        assert.ok(!allowed(withoutBackup, { from: backup, to: qdrant, port: 6333 }), "no backup, no door for it");
    });

    it("Qdrant sends nothing but DNS", () => {
        for (const protocol of ["UDP", "TCP"] as const) assert.ok(allowed(policies, { from: qdrant, to: coreDns, port: 53, protocol }), protocol);
        assert.ok(!allowed(policies, { from: qdrant, to: publicApi, port: 443 }));
        assert.ok(!allowed(policies, { from: qdrant, to: mcp, port: 3000 }));
        assert.ok(!allowed(policies, { from: qdrant, to: { pod: coreDns.pod, namespace: "default" }, port: 53, protocol: "UDP" }), "kube-dns lookalike elsewhere");
    });

    it("DNS egress allows both UDP and TCP 53, to kube-dns in kube-system only", () => {
        for (const p of policies.filter((x) => x.spec.egress)) {
            const dns = p.spec.egress!.filter((r) => r.ports?.some((port) => port.port === 53));
            assert.equal(dns.length, 1, p.metadata.name);
            assert.deepEqual(dns[0].ports!.map((x) => x.protocol).sort(), ["TCP", "UDP"]);
            assert.deepEqual(dns[0].to, [{ namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "kube-system" } }, podSelector: { matchLabels: { "k8s-app": "kube-dns" } } }]);
        }
    });

    it("the MCP server reaches DNS, Qdrant and public HTTPS, and nothing private", () => {
        for (const protocol of ["UDP", "TCP"] as const) assert.ok(allowed(policies, { from: mcp, to: coreDns, port: 53, protocol }));
        assert.ok(allowed(policies, { from: mcp, to: publicApi, port: 443 }));
        assert.ok(allowed(policies, { from: mcp, to: { ip: "20.190.160.1" }, port: 443 }), "Entra ID token endpoint");
        assert.ok(!allowed(policies, { from: mcp, to: publicApi, port: 80 }));
        for (const ip of ["10.0.0.1", "172.16.5.4", "192.168.1.1", "169.254.169.254", "100.64.0.1"]) {
            assert.ok(!allowed(policies, { from: mcp, to: { ip }, port: 443 }), ip);
        }
        assert.ok(PRIVATE_RANGES.includes("169.254.0.0/16"), "IMDS stays out of reach");
    });

    it("the edge reaches the MCP servers, DNS and public HTTPS (Entra), and nothing else", () => {
        assert.ok(allowed(policies, { from: edge, to: mcp, port: 3000 }));
        for (const protocol of ["UDP", "TCP"] as const) assert.ok(allowed(policies, { from: edge, to: coreDns, port: 53, protocol }));
        assert.ok(allowed(policies, { from: edge, to: { ip: "20.190.160.1" }, port: 443 }), "login.microsoftonline.com");
        assert.ok(!allowed(policies, { from: edge, to: qdrant, port: 6333 }), "the edge never talks to Qdrant");
        for (const ip of ["10.0.0.1", "169.254.169.254"]) assert.ok(!allowed(policies, { from: edge, to: { ip }, port: 443 }), ip);
    });

    it("a private edge admits only opted-in pods of its namespace (the port-forward arrives inside the pod)", () => {
        assert.equal(cfg.edge.tls.mode, "private");
        for (const from of [publicApi, stranger, mcp]) assert.ok(!sideAllows(policies, "Ingress", edge, { from, to: edge, port: 8080 }));
        const smoke: Endpoint = { pod: { [EDGE_CLIENT_LABEL]: "true" }, namespace: ns };
        assert.ok(sideAllows(policies, "Ingress", edge, { from: smoke, to: edge, port: 8080 }));
        assert.ok(!sideAllows(policies, "Ingress", edge, { from: { ...smoke, namespace: "other" }, to: edge, port: 8080 }));
    });

    it("a keyVault edge admits its listener from the source ranges only, when they are set", () => {
        const tls = { tls: { mode: "keyVault", hostname: "mcp.example.com", certificateName: "mcp-tls" } };
        const open = policiesFor(configFor("dev", { [key("edge")]: JSON.stringify(tls) }));
        assert.ok(sideAllows(open, "Ingress", edge, { from: publicApi, to: edge, port: 8080 }));
        assert.ok(!sideAllows(open, "Ingress", edge, { from: publicApi, to: edge, port: 8081 }));
        const ranged = policiesFor(configFor("prod", { [key("edge")]: JSON.stringify({ ...tls, sourceRanges: ["198.51.100.0/24"] }) }));
        assert.ok(sideAllows(ranged, "Ingress", edge, { from: { ip: "198.51.100.7" }, to: edge, port: 8080 }));
        assert.ok(!sideAllows(ranged, "Ingress", edge, { from: { ip: "203.0.113.9" }, to: edge, port: 8080 }));
    });

    // The server's ingress from the edge.
    const admits = (p: Policy[], from: Endpoint, to: Endpoint, port: number) => sideAllows(p, "Ingress", to, { from, to, port });

    it("the MCP server admits only the edge's pods of its namespace, and only on its port", () => {
        assert.ok(admits(policies, edge, mcp, 3000));
        assert.ok(!admits(policies, edge, mcp, 3001));
        assert.ok(!sideAllows(policies, "Ingress", mcp, { from: publicApi, to: mcp, port: 3000 }), "nothing from outside the cluster");
        assert.ok(!sideAllows(policies, "Ingress", mcp, { from: stranger, to: mcp, port: 3000 }));
        assert.ok(!sideAllows(policies, "Ingress", mcp, { from: { pod: edge.pod, namespace: "other" }, to: mcp, port: 3000 }), "edge lookalike elsewhere");
        assert.ok(!sideAllows(policies, "Ingress", mcp, { from: qdrant, to: mcp, port: 3000 }));
    });

    describe("two servers", () => {
        const two = configFor("prod", {
            [key("cluster")]: JSON.stringify({ authorizedIpRanges: ["203.0.113.0/24"] }),
            [key("mcpServers")]: JSON.stringify({ search: { image: "search-mcp:2.0.0", port: 8080, apiKeys: ["TAVILY_API_KEY"] } }),
        });
        const p2 = policiesFor(two);
        const search: Endpoint = { pod: { "app.kubernetes.io/name": mcpNames("search").app }, namespace: ns };

        it("each admits the edge on its own port only", () => {
            assert.ok(admits(p2, edge, search, 8080));
            assert.ok(!admits(p2, edge, search, 3000), "docs' port is not search's");
            assert.ok(admits(p2, edge, mcp, 3000));
            assert.ok(!admits(p2, edge, mcp, 8080));
            assert.ok(!admits(p2, stranger, search, 8080));
        });

        it("servers cannot reach each other", () => {
            assert.ok(!allowed(p2, { from: mcp, to: search, port: 8080 }));
            assert.ok(!allowed(p2, { from: search, to: mcp, port: 3000 }));
        });

        it("only the server that uses Qdrant reaches it", () => {
            assert.ok(allowed(p2, { from: mcp, to: qdrant, port: 6333 }));
            assert.ok(!allowed(p2, { from: search, to: qdrant, port: 6333 }));
            assert.ok(!sideAllows(p2, "Egress", search, { from: search, to: qdrant, port: 6333 }), "no egress rule to Qdrant either");
            assert.ok(allowed(p2, { from: search, to: publicApi, port: 443 }), "its API over HTTPS");
        });

        it("with no server using Qdrant, Qdrant admits no MCP server (no rule for them, not an open rule)", () => {
            const none = policiesFor(configFor("dev", { [key("mcpServers")]: JSON.stringify({ docs: { usesQdrant: false } }), [key("qdrant")]: JSON.stringify({ backup: { enabled: false } }) }));
            const qdrantPolicy = none.find((p) => p.metadata.name === NAMES.qdrant)!;
            assert.deepEqual(qdrantPolicy.spec.ingress, [], "single node, no backup, no client: nothing may connect");
            assert.ok(!allowed(none, { from: mcp, to: qdrant, port: 6333 }));
            assert.ok(!allowed(none, { from: stranger, to: qdrant, port: 6333 }));
        });
    });

    it("the smoke test reaches exactly DNS, each MCP server's port and the edge's, and nothing reaches it", () => {
        const job = smokeTestJobManifest(cfg, smokeTestInputs(cfg));
        const smoke: Endpoint = { pod: job.spec.template.metadata.labels, namespace: ns };
        const ranged = policiesFor(configFor("prod"));
        for (const set of [policies, ranged]) {
            assert.ok(allowed(set, { from: smoke, to: mcp, port: 3000 }));
            for (const protocol of ["UDP", "TCP"] as const) assert.ok(allowed(set, { from: smoke, to: coreDns, port: 53, protocol }));
            assert.ok(!allowed(set, { from: smoke, to: mcp, port: 3001 }));
            assert.ok(!allowed(set, { from: smoke, to: qdrant, port: 6333 }));
            assert.ok(!allowed(set, { from: smoke, to: publicApi, port: 443 }));
            assert.ok(!allowed(set, { from: smoke, to: { ip: "169.254.169.254" }, port: 80 }));
            assert.ok(!allowed(set, { from: mcp, to: smoke, port: 3000 }), "nothing reaches the smoke test");
            assert.ok(allowed(set, { from: smoke, to: edge, port: 8080 }), "the smoke test calls the edge's listener");
            assert.ok(!allowed(set, { from: smoke, to: edge, port: 15021 }), "and not its readiness port");
        }
        assert.ok(!allowed(ranged, { from: stranger, to: mcp, port: 3000 }), "the smoke test's rule admits only its own pods");
        // A second server on another port: the smoke test reaches it there, and only there.
        const two = configFor("dev", { [key("mcpServers")]: JSON.stringify({ search: { image: "search-mcp:2.0.0", port: 8080 } }) });
        const search: Endpoint = { pod: { "app.kubernetes.io/name": "search-mcp", "app.kubernetes.io/instance": "search-mcp" }, namespace: ns };
        const withSearch = policiesFor(two);
        assert.ok(allowed(withSearch, { from: smoke, to: search, port: 8080 }));
        assert.ok(allowed(withSearch, { from: smoke, to: mcp, port: 3000 }));
        assert.ok(!allowed(withSearch, { from: smoke, to: search, port: 3000 }));
        const own = ranged.filter((p) => selects(p.spec.podSelector, smoke.pod) && p.spec.podSelector.matchLabels);
        assert.deepEqual(own.map((p) => p.metadata.name), [NAMES.smokeTest]);
    });

    it("in letsEncrypt mode the smoke test reaches the edge on Caddy's TLS port, and the edge admits it there", () => {
        const acme = configFor("prod", { [key("edge")]: JSON.stringify({ tls: { mode: "letsEncrypt", hostname: "mcp.example.com" }, sourceRanges: ["198.51.100.0/24"] }) });
        const job = smokeTestJobManifest(acme, smokeTestInputs(acme));
        const smoke: Endpoint = { pod: job.spec.template.metadata.labels, namespace: ns };
        const set = policiesFor(acme);
        assert.ok(allowed(set, { from: smoke, to: edge, port: 8443 }), "in-cluster, like the public clients: through TLS");
        assert.ok(!allowed(set, { from: smoke, to: edge, port: 8080 }), "agentgateway's plain-HTTP listener is not reachable from other pods");
        assert.ok(!allowed(set, { from: stranger, to: edge, port: 8443 }), "the source ranges still guard everyone else");
    });
});
