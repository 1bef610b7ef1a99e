/** Node capacity: AKS's reservation formula against its documented examples, packing, and the check's verdicts. */
import { strict as assert } from "assert";
import { capacityShortfalls, kubeReservedCpuMillis, nodesNeeded, podAllocatable, reservedMemoryMiB, smallestFittingSize, VM_SIZES } from "../components/capacity";
import { aksVersionVerdict } from "../components/aks-versions";
import { stackWorkloads } from "../components/config";
import { configFor } from "./fixtures";

describe("capacity: AKS node reservations", () => {
    it("reserves CPU by the documented table", () => {
        assert.deepEqual([1, 2, 4, 8, 16, 32, 64].map(kubeReservedCpuMillis), [60, 100, 140, 180, 260, 420, 740]);
        assert.equal(kubeReservedCpuMillis(12), 180, "between rows, the smaller host's reservation");
    });

    it("reserves memory as in the documented examples (plus the 100Mi eviction threshold)", () => {
        // 8 GB and 30 pods: 20 MB x 30 + 50 MB = 650 MB; 4 GB and 70 pods: 25% of 4 GB = 1000 MB (docs use 1000 for 1024).
        assert.equal(reservedMemoryMiB(8, 30), 650 + 100);
        assert.equal(reservedMemoryMiB(4, 70), 1024 + 100);
        // This stack's default maxPods (250) makes 25% the smaller term up to about 20 GiB.
        assert.equal(reservedMemoryMiB(8), 2048 + 100);
    });

    it("packs pods first-fit-decreasing and refuses a pod larger than a node", () => {
        const node = { cpuMillis: 1000, memoryMiB: 1000 };
        assert.equal(nodesNeeded([{ cpuMillis: 600, memoryMiB: 100 }, { cpuMillis: 600, memoryMiB: 100 }, { cpuMillis: 300, memoryMiB: 100 }], node), 2);
        assert.equal(nodesNeeded([{ cpuMillis: 1001, memoryMiB: 1 }], node), Infinity);
        assert.equal(smallestFittingSize([{ cpuMillis: 500, memoryMiB: 7000 }]), "Standard_E2s_v5");
    });
});

describe("capacity: the check on real configs", () => {
    it("the dev and prod defaults fit with room to spare", () => {
        for (const env of ["dev", "prod"] as const) {
            const cfg = configFor(env);
            const pools = { system: { key: "cluster.systemPool", ...cfg.cluster.systemPool }, user: cfg.cluster.userPool ? { key: "cluster.userPool", ...cfg.cluster.userPool } : null };
            assert.deepEqual(capacityShortfalls(pools, stackWorkloads(cfg)), [], env);
        }
    });

    it("names the numbers, the key to change and the node count that fits", () => {
        const cfg = configFor("dev");
        const workloads = stackWorkloads({ ...cfg, mcpServer: { ...cfg.mcpServer, maxReplicas: 30 } });
        const [s] = capacityShortfalls({ system: { key: "cluster.systemPool", vmSize: "Standard_B2ms", maxCount: 3 }, user: null }, workloads);
        const node = podAllocatable(VM_SIZES.Standard_B2ms);
        assert.equal(s.key, "cluster.systemPool.maxCount");
        assert.equal(s.value, 3);
        assert.match(s.allowed, /mcp-server 30 x 250m\/512Mi \(mcpServer\.maxReplicas\)/);
        assert.ok(s.allowed.includes(`${node.cpuMillis}m CPU / ${node.memoryMiB}Mi per Standard_B2ms node`));
        assert.ok(s.fixValue && s.fixValue > 3 && s.fixValue <= 100);
        assert.deepEqual(capacityShortfalls({ system: { key: "cluster.systemPool", vmSize: "Standard_B2ms", maxCount: s.fixValue }, user: null }, workloads), []);
    });
});

describe("AKS versions", () => {
    const day = new Date("2026-11-21T00:00:00Z");
    it("refuses a minor past its end of support, accepts one newer than the table", () => {
        const old = aksVersionVerdict("1.32", day);
        assert.equal(old.ok, false);
        assert.ok(!old.ok && /ended 2026-03/.test(old.reason));
        assert.equal(aksVersionVerdict("1.32.4", new Date("2025-06-01")).ok, true);
        assert.equal(aksVersionVerdict("1.34", day).ok, true);
        assert.equal(aksVersionVerdict("1.20", day).ok, false);
        assert.equal(aksVersionVerdict("2.0", day).ok, false);
    });
});
