/**
 * Qdrant's cluster mode in prod: peers find each other by the headless Service's DNS names (the start
 * script is run with bash), and the spread rules plus the PDB keep a Raft majority and a replica of every
 * shard through a node drain and a zone loss, computed over every placement the scheduler may choose.
 */
import { strict as assert } from "assert";
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { NAMES, QDRANT_P2P_PORT, workloadManifests } from "../components/cluster/specs";
import { qdrantNodesSetting } from "../components/cluster/specs/qdrant-backup";
import { qdrantClusterStartScript, qdrantPodDisruptionBudgetManifest, qdrantStatefulSetManifest } from "../components/cluster/specs/qdrant";
import { StackConfig } from "../components/config";
import { configFor, key, WORKLOAD_INPUTS } from "./fixtures";
import { Node, disruptionsAllowed, placements } from "./scheduling";

function find(list: any[], kind: string, name: string): any {
    const found = list.filter((o) => o.kind === kind && o.metadata.name === name);
    assert.equal(found.length, 1, `${kind} ${name}`);
    return found[0];
}

/** The arguments the start script hands Qdrant's entrypoint in pod `hostname`. */
function startArgs(cfg: StackConfig, hostname: string): string[] {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "qdrant-start-"));
    try {
        fs.writeFileSync(path.join(dir, "entrypoint.sh"), '#!/bin/sh\nfor a in "$@"; do echo "$a"; done\n', { mode: 0o755 });
        const out = execFileSync("bash", ["--norc", "--noprofile", "-c", qdrantClusterStartScript(cfg)], { cwd: dir, stdio: ["ignore", "pipe", "pipe"], env: { PATH: process.env.PATH, HOSTNAME: hostname, SHLVL: "1" } });
        return out.toString().trim().split("\n");
    } finally {
        fs.rmSync(dir, { recursive: true, force: true });
    }
}

/** Raft commits with a majority of the voters. */
const majority = (n: number) => Math.floor(n / 2) + 1;

interface Survival {
    readonly raft: boolean;
    readonly reads: boolean;
    readonly writes: boolean;
}

/**
 * What is left when `lost` pods are gone. A shard's replicas live on distinct peers, so in the worst case
 * every lost pod held a replica of the same shard.
 */
function survival(cfg: StackConfig, lost: number): Survival {
    const { replicas, replicationFactor: rf, writeConsistencyFactor: wcf } = cfg.qdrant;
    const worstLeft = rf - Math.min(lost, rf);
    return { raft: replicas - lost >= majority(replicas), reads: worstLeft >= 1, writes: worstLeft >= wcf };
}

/** Every way a drain or a zone loss could go for the pods the StatefulSet declares; empty when all survive. */
function quorumProblems(cfg: StackConfig, sts: any, pdb: any, nodes: Node[]): string[] {
    const problems: string[] = [];
    const n = sts.spec.replicas;
    const spec = sts.spec.template.spec;
    const options = placements(spec, nodes, n);
    if (options.length === 0) problems.push(`no admissible placement of ${n} pods on ${nodes.length} nodes`);
    const ok = (s: Survival) => s.raft && s.reads && s.writes;
    // A drain evicts through the PDB: how many pods can be down at once before the budget says no.
    let down = 0;
    while (pdb && down < n && disruptionsAllowed(pdb.spec, n, n - down) >= 1) down++;
    if (!pdb) down = n; // without a PDB, a drain may take every pod on the node, and more drains in parallel
    if (!ok(survival(cfg, down))) problems.push(`a drain may take ${down} pod(s) down at once`);
    for (const placement of options) {
        const zones = new Set(nodes.map((x) => x.zone));
        for (const zone of zones) {
            const lost = placement.filter((x) => x.zone === zone).length;
            if (!ok(survival(cfg, lost))) problems.push(`losing zone ${zone} takes ${lost} pod(s) of placement ${placement.map((x) => x.name).join(",")}`);
        }
        const perNode = new Map<string, number>();
        for (const x of placement) perNode.set(x.name, (perNode.get(x.name) ?? 0) + 1);
        for (const [node, count] of perNode) if (!ok(survival(cfg, count))) problems.push(`losing node ${node} takes ${count} pod(s)`);
    }
    return problems;
}

/** Three zones with `perZone` user nodes each: prod's user pool at its minimum (1) and maximum (2). */
function userPool(perZone: number): Node[] {
    return ["1", "2", "3"].flatMap((zone) => Array.from({ length: perZone }, (_, i) => ({ name: `node-z${zone}-${i}`, zone })));
}

describe("Qdrant cluster mode (prod)", () => {
    const cfg = configFor("prod");
    const list = workloadManifests(cfg, WORKLOAD_INPUTS) as any[];
    const sts = find(list, "StatefulSet", NAMES.qdrant);
    const headless = find(list, "Service", NAMES.qdrantHeadless);
    const container = sts.spec.template.spec.containers[0];
    const env = (name: string) => container.env.find((e: any) => e.name === name)?.value;

    it("runs 3 nodes in cluster mode, started in parallel, on the p2p port the headless Service publishes", () => {
        assert.equal(sts.spec.replicas, 3);
        assert.equal(sts.spec.podManagementPolicy, "Parallel", "OrderedReady deadlocks: pod 0 is not ready before its peers");
        assert.equal(env("QDRANT__CLUSTER__ENABLED"), "true");
        assert.equal(env("QDRANT__CLUSTER__P2P__PORT"), String(QDRANT_P2P_PORT));
        assert.deepEqual(container.ports.find((p: any) => p.name === "p2p"), { name: "p2p", containerPort: QDRANT_P2P_PORT, protocol: "TCP" });
        assert.deepEqual(headless.spec.ports.find((p: any) => p.name === "p2p"), { name: "p2p", port: QDRANT_P2P_PORT, targetPort: "p2p", protocol: "TCP" });
        assert.equal(headless.spec.clusterIP, "None");
        assert.equal(headless.spec.publishNotReadyAddresses, true, "peers must resolve before they are ready");
        assert.equal(sts.spec.serviceName, headless.metadata.name, "pod DNS names come from the governing Service");
    });

    it("bootstraps every peer from pod 0, each at its own headless Service DNS name", () => {
        const dns = (i: number) => `http://${sts.metadata.name}-${i}.${headless.metadata.name}.${sts.metadata.namespace}.svc.cluster.local:${QDRANT_P2P_PORT}`;
        assert.deepEqual(startArgs(cfg, `${sts.metadata.name}-0`), ["--uri", dns(0)]);
        for (let i = 1; i < sts.spec.replicas; i++) assert.deepEqual(startArgs(cfg, `${sts.metadata.name}-${i}`), ["--bootstrap", dns(0), "--uri", dns(i)]);
        assert.deepEqual(container.command.slice(0, 2), ["/bin/bash", "-c"]);
        assert.equal(container.command[2], qdrantClusterStartScript(cfg));
        const other = configFor("prod", { [key("namespace")]: "tools" });
        assert.deepEqual(startArgs(other, "qdrant-2"), ["--bootstrap", dns(0).replace(".mcp-server.", ".tools."), "--uri", dns(2).replace(".mcp-server.", ".tools.")]);
    });

    it("the backup asks every node by the same DNS names, on the REST port", () => {
        const entries = qdrantNodesSetting(cfg).split(" ");
        assert.equal(entries.length, sts.spec.replicas);
        entries.forEach((e, i) => assert.equal(e, `${sts.metadata.name}-${i}=http://${sts.metadata.name}-${i}.${headless.metadata.name}.${cfg.namespace}.svc.cluster.local:6333`));
    });

    it("gives new collections a replication factor and write consistency that survive one node down", () => {
        assert.equal(env("QDRANT__STORAGE__COLLECTION__REPLICATION_FACTOR"), String(cfg.qdrant.replicationFactor));
        assert.equal(env("QDRANT__STORAGE__COLLECTION__WRITE_CONSISTENCY_FACTOR"), String(cfg.qdrant.writeConsistencyFactor));
        assert.deepEqual(survival(cfg, 1), { raft: true, reads: true, writes: true });
        assert.equal(survival(cfg, 2).raft, false, "two of three down is beyond any 3-node cluster");
    });

    it("keeps a majority and every shard through a drain and a zone loss, for every admissible placement", () => {
        const pdb = find(list, "PodDisruptionBudget", NAMES.qdrant);
        assert.equal(pdb.spec.maxUnavailable, 1);
        assert.deepEqual(pdb.spec.selector.matchLabels, { "app.kubernetes.io/name": NAMES.qdrant });
        assert.equal(disruptionsAllowed(pdb.spec, 3), 1, "one pod may go");
        assert.equal(disruptionsAllowed(pdb.spec, 3, 2), 0, "not a second one while the first is away");
        for (const perZone of [1, 2]) {
            assert.ok(placements(sts.spec.template.spec, userPool(perZone), 3).length > 0);
            assert.deepEqual(quorumProblems(cfg, sts, pdb, userPool(perZone)), [], `${perZone} node(s) per zone`);
        }
    });

    it("the computation can fail: soft spread, no anti-affinity or no PDB lose the quorum somewhere", () => {
        const pdb = qdrantPodDisruptionBudgetManifest(cfg);
        const soft = structuredClone(qdrantStatefulSetManifest(cfg, WORKLOAD_INPUTS.qdrantImage)) as any;
        soft.spec.template.spec.topologySpreadConstraints = soft.spec.template.spec.topologySpreadConstraints.map((c: any) => ({ ...c, whenUnsatisfiable: "ScheduleAnyway" }));
        delete soft.spec.template.spec.affinity;
        assert.ok(quorumProblems(cfg, soft, pdb, userPool(2)).some((p) => p.startsWith("losing zone")));
        // With all three zones up the hard zone spread alone separates the pods; once a zone is gone (its
        // pod rescheduled into the other two), only the anti-affinity keeps two pods off one node.
        const twoZones = userPool(2).filter((n) => n.zone !== "3");
        const noAntiAffinity = structuredClone(qdrantStatefulSetManifest(cfg, WORKLOAD_INPUTS.qdrantImage)) as any;
        delete noAntiAffinity.spec.template.spec.affinity;
        assert.ok(quorumProblems(cfg, noAntiAffinity, pdb, twoZones).some((p) => p.startsWith("losing node")), "two pods may share a node");
        assert.ok(!quorumProblems(cfg, sts, pdb, twoZones).some((p) => p.startsWith("losing node")), "never with the anti-affinity");
        assert.ok(quorumProblems(cfg, sts, undefined, userPool(1)).some((p) => p.startsWith("a drain")));
        const allMustWrite = { ...cfg, qdrant: { ...cfg.qdrant, writeConsistencyFactor: 3 } } as StackConfig;
        assert.equal(survival(allMustWrite, 1).writes, false, "WCF = RF stops writes with one node down");
    });

    it("a node catching up is not restarted: generous startup, liveness on /livez only after it, readiness on /readyz", () => {
        const period = (p: any) => p.periodSeconds * p.failureThreshold;
        assert.equal(container.startupProbe.httpGet.path, "/readyz");
        assert.ok(period(container.startupProbe) >= 600, "at least 10 minutes to join and load");
        assert.equal(container.livenessProbe.httpGet.path, "/livez", "liveness must not depend on catching up");
        assert.ok(period(container.livenessProbe) >= 120, "two minutes of failed /livez before a restart");
        assert.equal(container.readinessProbe.httpGet.path, "/readyz");
    });
});

describe("Qdrant single node (dev)", () => {
    const cfg = configFor("dev");
    const sts = qdrantStatefulSetManifest(cfg, WORKLOAD_INPUTS.qdrantImage) as any;

    it("runs one node without cluster mode, p2p port, start script, anti-affinity or PDB", () => {
        assert.equal(sts.spec.replicas, 1);
        const c = sts.spec.template.spec.containers[0];
        assert.equal(c.command, undefined, "the image's own entrypoint");
        assert.ok(!c.env.some((e: any) => e.name.startsWith("QDRANT__CLUSTER__")));
        assert.ok(!c.ports.some((p: any) => p.name === "p2p"));
        assert.equal(sts.spec.template.spec.affinity, undefined);
        assert.equal(qdrantPodDisruptionBudgetManifest(cfg), undefined);
    });
});
