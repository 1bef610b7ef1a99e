/**
 * Node capacity: what each VM size offers, what AKS reserves on every node, and whether the pods a stack
 * declares fit its pools at the autoscaler maximum. config.ts runs the check at preview, so a config whose
 * pods at HPA maximum could never be scheduled is refused before anything is created, instead of leaving
 * Pending pods that the cluster autoscaler cannot help.
 *
 * Pure data and functions, no Pulumi. Other components add their pods to stackWorkloads() (one entry per
 * Deployment or StatefulSet, replicas at their maximum), and the check covers them with no further work.
 */

/** A VM size as Azure documents it. */
export interface VmSize {
    readonly vcpus: number;
    readonly memoryGiB: number;
    /** Temporary (resource) disk in GiB; 0 when the size has none. */
    readonly tempDiskGiB: number;
    /** Cache of the size in GiB; 0 when the size has none (v5 and later sizes have none). */
    readonly cacheGiB: number;
}

/**
 * The sizes the stacks use and common alternatives. Sources: the size pages under
 * https://learn.microsoft.com/azure/virtual-machines/sizes/ (B-series, Dv3/Dsv3, Dv5/Dsv5, Ddv5/Ddsv5,
 * Dasv5/Dadsv5, Esv5/Edsv5, Fsv2): vCPUs, memory, "Temp storage (SSD) GiB" and, for v3/Fsv2, the cache size
 * in parentheses under "Max cached and temp storage throughput". To add a size, copy those four numbers.
 * A size missing here is refused by config.ts: without its numbers neither the ephemeral OS disk check nor
 * the capacity check can run.
 */
export const VM_SIZES: Readonly<Record<string, VmSize>> = {
    Standard_B2s: { vcpus: 2, memoryGiB: 4, tempDiskGiB: 8, cacheGiB: 0 },
    Standard_B2ms: { vcpus: 2, memoryGiB: 8, tempDiskGiB: 16, cacheGiB: 0 },
    Standard_B4ms: { vcpus: 4, memoryGiB: 16, tempDiskGiB: 32, cacheGiB: 0 },
    Standard_D2s_v3: { vcpus: 2, memoryGiB: 8, tempDiskGiB: 16, cacheGiB: 50 },
    Standard_D4s_v3: { vcpus: 4, memoryGiB: 16, tempDiskGiB: 32, cacheGiB: 100 },
    Standard_D8s_v3: { vcpus: 8, memoryGiB: 32, tempDiskGiB: 64, cacheGiB: 200 },
    Standard_D2s_v5: { vcpus: 2, memoryGiB: 8, tempDiskGiB: 0, cacheGiB: 0 },
    Standard_D4s_v5: { vcpus: 4, memoryGiB: 16, tempDiskGiB: 0, cacheGiB: 0 },
    Standard_D8s_v5: { vcpus: 8, memoryGiB: 32, tempDiskGiB: 0, cacheGiB: 0 },
    Standard_D2ds_v5: { vcpus: 2, memoryGiB: 8, tempDiskGiB: 75, cacheGiB: 0 },
    Standard_D4ds_v5: { vcpus: 4, memoryGiB: 16, tempDiskGiB: 150, cacheGiB: 0 },
    Standard_D8ds_v5: { vcpus: 8, memoryGiB: 32, tempDiskGiB: 300, cacheGiB: 0 },
    Standard_D16ds_v5: { vcpus: 16, memoryGiB: 64, tempDiskGiB: 600, cacheGiB: 0 },
    Standard_D2as_v5: { vcpus: 2, memoryGiB: 8, tempDiskGiB: 0, cacheGiB: 0 },
    Standard_D4as_v5: { vcpus: 4, memoryGiB: 16, tempDiskGiB: 0, cacheGiB: 0 },
    Standard_D2ads_v5: { vcpus: 2, memoryGiB: 8, tempDiskGiB: 75, cacheGiB: 0 },
    Standard_D4ads_v5: { vcpus: 4, memoryGiB: 16, tempDiskGiB: 150, cacheGiB: 0 },
    Standard_E2s_v5: { vcpus: 2, memoryGiB: 16, tempDiskGiB: 0, cacheGiB: 0 },
    Standard_E4s_v5: { vcpus: 4, memoryGiB: 32, tempDiskGiB: 0, cacheGiB: 0 },
    Standard_E2ds_v5: { vcpus: 2, memoryGiB: 16, tempDiskGiB: 75, cacheGiB: 0 },
    Standard_E4ds_v5: { vcpus: 4, memoryGiB: 32, tempDiskGiB: 150, cacheGiB: 0 },
    Standard_F2s_v2: { vcpus: 2, memoryGiB: 4, tempDiskGiB: 16, cacheGiB: 32 },
    Standard_F4s_v2: { vcpus: 4, memoryGiB: 8, tempDiskGiB: 32, cacheGiB: 64 },
};

/**
 * The largest ephemeral OS disk a size can hold: AKS places it in the cache or, failing that, on the temp
 * disk, and the OS disk must fit whichever it uses (AKS "Ephemeral OS disk" docs). 0: not supported.
 */
export function maxEphemeralOsDiskGB(size: VmSize): number {
    return Math.max(size.cacheGiB, size.tempDiskGiB);
}

/**
 * Pods per node: AKS's default `maxPods` for Azure CNI overlay is 250 (the stack leaves it unset). It
 * drives the memory reservation below.
 */
export const DEFAULT_MAX_PODS = 250;

/**
 * kube-reserved CPU in millicores by host cores, from "Node resource reservations in AKS"
 * (https://learn.microsoft.com/azure/aks/node-resource-reservations, "CPU reservations").
 */
const KUBE_RESERVED_CPU: ReadonlyArray<[cores: number, millicores: number]> = [
    [1, 60],
    [2, 100],
    [4, 140],
    [8, 180],
    [16, 260],
    [32, 420],
    [64, 740],
];

/** kube-reserved CPU for a host: the table's row for the largest core count not above `cores`. */
export function kubeReservedCpuMillis(cores: number): number {
    let millis = KUBE_RESERVED_CPU[0][1];
    for (const [c, m] of KUBE_RESERVED_CPU) if (cores >= c) millis = m;
    return millis;
}

/**
 * Reserved memory in MiB for AKS 1.29 and later (same page, "Memory reservations"): kube-reserved is the
 * smaller of 20 MB x maxPods + 50 MB and 25% of the node's memory, plus the kubelet's `memory.available<100Mi`
 * eviction threshold. The page counts in MB; treating them as MiB errs on the safe side by under 5%.
 */
export function reservedMemoryMiB(memoryGiB: number, maxPods = DEFAULT_MAX_PODS): number {
    const kubeReserved = Math.min(20 * maxPods + 50, 0.25 * memoryGiB * 1024);
    return Math.ceil(kubeReserved + 100);
}

/** Requests in millicores and MiB. */
export interface Requests {
    readonly cpuMillis: number;
    readonly memoryMiB: number;
}

/**
 * Requests of the AKS DaemonSets on every node of this stack's clusters (Container Insights, Cilium,
 * cloud-node-manager, Azure Disk CSI), and a margin for the ones without published numbers. Sources:
 * ama-logs 75m/325Mi + addon-token-adapter 20m/50Mi, 0.17 CPU per log pod (Azure/AKS#5413); cilium agent
 * 100Mi from its init container, no CPU (Azure/AKS#5244); cloud-node-manager 50m/50Mi and azuredisk
 * 10m/20Mi (Azure/AKS#5251). The margin (an estimate) covers azure-cns, the secrets-store CSI driver and its
 * Azure provider, ip-masq-agent, the CSI sidecars and ama-metrics-node. Refresh from `kubectl describe node`
 * ("Non-terminated Pods") on a live node.
 */
export const NODE_DAEMONSETS: ReadonlyArray<{ name: string } & Requests> = [
    { name: "ama-logs", cpuMillis: 170, memoryMiB: 375 },
    { name: "cilium", cpuMillis: 0, memoryMiB: 100 },
    { name: "cloud-node-manager", cpuMillis: 50, memoryMiB: 50 },
    { name: "csi-azuredisk-node", cpuMillis: 10, memoryMiB: 20 },
    { name: "other AKS DaemonSets (estimate)", cpuMillis: 200, memoryMiB: 500 },
];

/**
 * AKS's own Deployments, which run on the system pool: CoreDNS 2 x 100m/70Mi and the workload identity
 * webhook 2 x 100m/20Mi (Azure/AKS#5251), and a margin (an estimate) for metrics-server, konnectivity-agent,
 * Azure Policy (Gatekeeper), the ama-logs ReplicaSet and the snapshot controller.
 */
export const SYSTEM_DEPLOYMENTS: ReadonlyArray<WorkloadDemand> = [
    { name: "coredns", replicas: 2, cpuMillis: 100, memoryMiB: 70, key: "", pool: "system" },
    { name: "azure-wi-webhook", replicas: 2, cpuMillis: 100, memoryMiB: 20, key: "", pool: "system" },
    { name: "other AKS Deployments (estimate)", replicas: 1, cpuMillis: 500, memoryMiB: 1024, key: "", pool: "system" },
];

/** One workload's pods at their maximum. */
export interface WorkloadDemand extends Requests {
    readonly name: string;
    /** Replicas at the maximum (HPA maxReplicas, or the fixed count). */
    readonly replicas: number;
    /** The config key that sets the replica count, named in the error. Empty for AKS's own workloads. */
    readonly key: string;
    /** The config key of the pod's requests, named when one pod cannot fit any node. */
    readonly requestsKey?: string;
    /** "system": AKS add-ons (tolerate the system pool's taint); default: the user pool when there is one. */
    readonly pool?: "system" | "user";
}

/** A node pool as the check sees it. */
export interface PoolCapacity {
    /** Config key of the pool, `cluster.userPool`. */
    readonly key: string;
    readonly vmSize: string;
    readonly maxCount: number;
}

/** What one node of a size has left for pods, after AKS's reservations and DaemonSets. */
export function podAllocatable(size: VmSize): Requests & { reservedCpuMillis: number; reservedMemoryMiB: number; daemonSets: Requests } {
    const ds = NODE_DAEMONSETS.reduce((a, d) => ({ cpuMillis: a.cpuMillis + d.cpuMillis, memoryMiB: a.memoryMiB + d.memoryMiB }), { cpuMillis: 0, memoryMiB: 0 });
    const reservedCpuMillis = kubeReservedCpuMillis(size.vcpus);
    const reservedMemory = reservedMemoryMiB(size.memoryGiB);
    return {
        cpuMillis: size.vcpus * 1000 - reservedCpuMillis - ds.cpuMillis,
        memoryMiB: Math.floor(size.memoryGiB * 1024) - reservedMemory - ds.memoryMiB,
        reservedCpuMillis,
        reservedMemoryMiB: reservedMemory,
        daemonSets: ds,
    };
}

/** Nodes first-fit-decreasing packing needs for these pods, or Infinity if one pod fits no node. */
export function nodesNeeded(pods: readonly Requests[], node: Requests): number {
    const sorted = [...pods].sort((a, b) => b.memoryMiB / node.memoryMiB + b.cpuMillis / node.cpuMillis - (a.memoryMiB / node.memoryMiB + a.cpuMillis / node.cpuMillis));
    const free: Requests[] = [];
    for (const pod of sorted) {
        if (pod.cpuMillis > node.cpuMillis || pod.memoryMiB > node.memoryMiB) return Infinity;
        const i = free.findIndex((f) => f.cpuMillis >= pod.cpuMillis && f.memoryMiB >= pod.memoryMiB);
        if (i >= 0) free[i] = { cpuMillis: free[i].cpuMillis - pod.cpuMillis, memoryMiB: free[i].memoryMiB - pod.memoryMiB };
        else free.push({ cpuMillis: node.cpuMillis - pod.cpuMillis, memoryMiB: node.memoryMiB - pod.memoryMiB });
    }
    return free.length;
}

/** A capacity problem, in the words of a ConfigProblem (config.ts turns it into one). */
export interface CapacityShortfall {
    readonly key: string;
    readonly value: unknown;
    readonly allowed: string;
    /** What to set `key` to, when raising it fixes the shortfall. */
    readonly fixValue?: number;
    /** The pool the pods run on, `cluster.userPool`. */
    readonly poolKey: string;
    /** The smallest listed size whose nodes fit every pod, when the pool's size fits none. */
    readonly largerSize?: string;
}

/** The listed VM size with the least memory (then CPU) whose node fits every one of these pods. */
export function smallestFittingSize(pods: readonly Requests[]): string | undefined {
    const fits = Object.entries(VM_SIZES)
        .filter(([, size]) => {
            const node = podAllocatable(size);
            return pods.every((p) => p.cpuMillis <= node.cpuMillis && p.memoryMiB <= node.memoryMiB);
        })
        .sort(([, a], [, b]) => a.memoryGiB - b.memoryGiB || a.vcpus - b.vcpus);
    return fits[0]?.[0];
}

function expand(workloads: readonly WorkloadDemand[]): Requests[] {
    return workloads.flatMap((w) => Array.from({ length: w.replicas }, () => ({ cpuMillis: w.cpuMillis, memoryMiB: w.memoryMiB })));
}

function describeTotal(pods: readonly Requests[]): string {
    const cpu = pods.reduce((a, p) => a + p.cpuMillis, 0);
    const mem = pods.reduce((a, p) => a + p.memoryMiB, 0);
    return `${cpu}m CPU / ${mem}Mi`;
}

/**
 * Checks that the workloads at their maximum fit the pools at their autoscaler maximum. With a user pool,
 * the system pool is tainted CriticalAddonsOnly and holds only AKS's own pods; without one, everything
 * shares the system pool. The pool limit AKS puts on maxCount is 1000; the config allows up to `maxAllowed`.
 */
export function capacityShortfalls(
    pools: { system: PoolCapacity; user: PoolCapacity | null },
    workloads: readonly WorkloadDemand[],
    maxAllowed = 100,
): CapacityShortfall[] {
    const out: CapacityShortfall[] = [];
    const appPool = pools.user ?? pools.system;
    const groups: Array<[PoolCapacity, WorkloadDemand[]]> = pools.user
        ? [
              [pools.system, [...SYSTEM_DEPLOYMENTS, ...workloads.filter((w) => w.pool === "system")]],
              [pools.user, workloads.filter((w) => w.pool !== "system")],
          ]
        : [[pools.system, [...SYSTEM_DEPLOYMENTS, ...workloads]]];
    for (const [pool, group] of groups) {
        const size = VM_SIZES[pool.vmSize];
        if (!size) continue; // config.ts reports the unknown size itself
        const node = podAllocatable(size);
        const perNode = `${node.cpuMillis}m CPU / ${node.memoryMiB}Mi per ${pool.vmSize} node after AKS's reservation (${node.reservedCpuMillis}m / ${node.reservedMemoryMiB}Mi) and DaemonSets (${node.daemonSets.cpuMillis}m / ${node.daemonSets.memoryMiB}Mi)`;
        for (const w of group) {
            if (w.cpuMillis > node.cpuMillis || w.memoryMiB > node.memoryMiB) {
                out.push({
                    key: w.requestsKey ?? `${pool.key}.vmSize`,
                    value: `${w.cpuMillis}m / ${w.memoryMiB}Mi`,
                    allowed: `requests that fit one node: ${w.name} asks for ${w.cpuMillis}m CPU / ${w.memoryMiB}Mi, and ${perNode}; lower the requests or choose a larger ${pool.key}.vmSize`,
                    poolKey: pool.key,
                    largerSize: smallestFittingSize(group),
                });
            }
        }
        if (out.length > 0) continue;
        const pods = expand(group);
        const needed = nodesNeeded(pods, node);
        if (needed <= pool.maxCount) continue;
        const apps = group.filter((w) => w.key !== "");
        const named = apps.map((w) => `${w.name} ${w.replicas} x ${w.cpuMillis}m/${w.memoryMiB}Mi (${w.key})`).join(", ");
        out.push({
            key: `${pool.key}.maxCount`,
            value: pool.maxCount,
            allowed:
                `at least ${needed} nodes: at their maximum the pods on this pool request ${describeTotal(pods)}` +
                `${named ? ` (${named}${pool === appPool ? ", plus AKS's own pods" : ""})` : ""}, and ${perNode}; ` +
                `raise ${pool.key}.maxCount${apps.length > 0 ? ` or lower ${apps.map((w) => w.key).join(" / ")}` : ""}`,
            fixValue: needed <= maxAllowed ? needed : undefined,
            poolKey: pool.key,
        });
    }
    return out;
}
