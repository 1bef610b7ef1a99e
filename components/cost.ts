/**
 * The monthly cost estimate of a stack, computed from its validated config and the price table in
 * prices.ts: pure, so the stack output, the offline plan, the README table and the tests all show the same
 * numbers. Each area contributes line items through one function in COST_CONTRIBUTORS; a feature that adds
 * billable resources (backup storage, the edge's public IP) adds its own contributor there.
 */
import type { StackConfig } from "./config";
import { DAYS_PER_MONTH, HOURS_PER_MONTH, PRICES } from "./prices";
import { qdrantDiskSku, qdrantStatefulSetManifest } from "./cluster/specs/qdrant";
import { storageAccountSettings } from "./azure/storage";

/** One billable item, per month, at the cluster's minimum and maximum node counts. */
export interface CostLine {
    readonly item: string;
    /** USD per month at minimum scale. */
    readonly min: number;
    /** USD per month at maximum scale. */
    readonly max: number;
    /** How the figure is made: counts, sizes, assumptions. */
    readonly basis: string;
}

export interface CostEstimate {
    readonly currency: "USD";
    readonly monthlyAtMinScale: number;
    readonly monthlyAtMaxScale: number;
    readonly lines: readonly CostLine[];
    /** Items without a price in prices.ts (never guessed): the totals exclude them. */
    readonly unpriced: readonly string[];
    readonly prices: { readonly source: string; readonly recorded: string };
}

/** Lines, and the names of items it could not price. */
export type CostContributor = (cfg: StackConfig) => { lines: CostLine[]; unpriced?: string[] };

const round = (n: number) => Math.round(n * 100) / 100;
const flat = (item: string, monthly: number, basis: string): CostLine => ({ item, min: round(monthly), max: round(monthly), basis });

/** The price of one premium SSD of `sizeGi`: the smallest tier that holds it. */
export function premiumDiskMonthly(sizeGi: number, zoneRedundant: boolean): number {
    const tier = PRICES.premiumDiskPerMonth.find(([size]) => size >= sizeGi);
    if (!tier) throw new Error(`no premium disk tier holds ${sizeGi} GiB; extend PRICES.premiumDiskPerMonth`);
    return tier[1] * (zoneRedundant ? PRICES.zrsFactor : 1);
}

function gibibytes(quantity: string): number {
    const m = /^(\d+)(Ki|Mi|Gi|Ti)$/.exec(quantity);
    if (!m) throw new Error(`not a storage quantity: ${quantity}`);
    return Number(m[1]) * { Ki: 1 / 1024 ** 2, Mi: 1 / 1024, Gi: 1, Ti: 1024 }[m[2] as "Ki" | "Mi" | "Gi" | "Ti"];
}

function pools(cfg: StackConfig) {
    const c = cfg.cluster;
    return [
        { name: "system", pool: c.systemPool },
        ...(c.userPool ? [{ name: "user", pool: c.userPool }] : []),
    ];
}

const controlPlane: CostContributor = (cfg) => {
    const perHour = PRICES.aksTierPerHour[cfg.cluster.tier];
    return perHour === undefined
        ? { lines: [], unpriced: [`AKS ${cfg.cluster.tier} tier`] }
        : { lines: [flat("AKS control plane", perHour * HOURS_PER_MONTH, `${cfg.cluster.tier} tier`)] };
};

const nodes: CostContributor = (cfg) => {
    const lines: CostLine[] = [];
    const unpriced: string[] = [];
    for (const { name, pool } of pools(cfg)) {
        const perHour = PRICES.vmPerHour[pool.vmSize];
        if (perHour === undefined) {
            unpriced.push(`${name} pool VM ${pool.vmSize}`);
            continue;
        }
        const monthly = perHour * HOURS_PER_MONTH;
        lines.push({ item: `Nodes: ${name} pool`, min: round(monthly * pool.minCount), max: round(monthly * pool.maxCount), basis: `${pool.minCount}-${pool.maxCount} x ${pool.vmSize}` });
    }
    return { lines, unpriced };
};

const osDisks: CostContributor = (cfg) => ({
    lines: pools(cfg)
        .filter(({ pool }) => pool.osDiskType === "Managed")
        .map(({ name, pool }) => {
            const each = premiumDiskMonthly(pool.osDiskSizeGB, false);
            return { item: `OS disks: ${name} pool`, min: round(each * pool.minCount), max: round(each * pool.maxCount), basis: `${pool.osDiskSizeGB} GB managed premium SSD per node (ephemeral OS disks cost nothing)` };
        }),
});

/** Whether the edge has a public IP: letsEncrypt always, keyVault unless its load balancer is internal (a VNet address). */
function publicEdge(cfg: StackConfig): boolean {
    return cfg.edge.tls.mode === "letsEncrypt" || (cfg.edge.tls.mode === "keyVault" && cfg.edge.loadBalancer === "public");
}

const network: CostContributor = (cfg) => {
    // The cluster's outbound IP always; the edge's own IP only when it is public (a private edge is a
    // ClusterIP Service reached through `npm run connect`). The MCP servers are ClusterIP behind the edge.
    const edgeIp = publicEdge(cfg);
    const ips = 1 + (edgeIp ? 1 : 0);
    return {
        lines: [
            flat("Standard load balancer", PRICES.loadBalancerPerHour * HOURS_PER_MONTH, "AKS outbound and Service load balancer, first five rules"),
            flat("Public IPs", ips * PRICES.publicIpPerHour * HOURS_PER_MONTH, `${ips} standard static IPv4 (${edgeIp ? "outbound + the edge" : "outbound; the edge has no public IP"})`),
        ],
    };
};

const logs: CostContributor = (cfg) => {
    const c = cfg.cluster;
    const capped = c.logDailyQuotaGb !== -1;
    const gbPerDay = capped ? c.logDailyQuotaGb : PRICES.assumedUncappedGbPerDay;
    const gbPerMonth = gbPerDay * DAYS_PER_MONTH;
    // Capped: the cap is the volume, an upper bound. Uncapped: an assumed volume. Either way, the assumed share
    // in the Basic-plan tables is billed at the Basic price.
    const perGb = PRICES.assumedBasicShare * PRICES.logBasicPerGb + (1 - PRICES.assumedBasicShare) * PRICES.logAnalyticsPerGb;
    const ingestion = gbPerMonth * perGb;
    const retainedGb = gbPerDay * Math.max(0, c.logRetentionDays - 31);
    const lines = [flat("Log Analytics ingestion", ingestion, `${capped ? `capped at ${gbPerDay} GB/day` : `~${gbPerDay} GB/day assumed (no cap)`}, ${PRICES.assumedBasicShare * 100}% in Basic-plan tables`)];
    if (retainedGb > 0) lines.push(flat("Log Analytics retention", retainedGb * PRICES.logRetentionPerGbMonth, `${c.logRetentionDays} days (31 included)`));
    return { lines };
};

const prometheus: CostContributor = (cfg) => ({ lines: cfg.cluster.managedPrometheus ? [flat("Managed Prometheus", PRICES.managedPrometheusPerMonth, "metrics ingestion at this size")] : [] });

const registry: CostContributor = (cfg) => {
    const perDay = PRICES.registryPerDay[cfg.registry.sku];
    return perDay === undefined ? { lines: [], unpriced: [`ACR ${cfg.registry.sku}`] } : { lines: [flat("Container registry", perDay * DAYS_PER_MONTH, `${cfg.registry.sku} SKU`)] };
};

const keyVault: CostContributor = (cfg) => ({ lines: [flat("Key Vault", PRICES.keyVaultPerMonth, `${cfg.keyVault.sku}, secret operations`)] });

const qdrantDisks: CostContributor = (cfg) => {
    // The upstream reference stands in for the in-ACR copy: the image does not change what the disks cost.
    const sts = qdrantStatefulSetManifest(cfg, cfg.images.qdrant).spec;
    const replicas = sts.replicas ?? 1;
    const zrs = qdrantDiskSku(cfg) === "Premium_ZRS";
    const perReplica = sts.volumeClaimTemplates.reduce((sum, t) => sum + premiumDiskMonthly(gibibytes(t.spec.resources.requests.storage), zrs), 0);
    const claims = sts.volumeClaimTemplates.map((t) => t.spec.resources.requests.storage).join(" + ");
    return { lines: [flat("Qdrant disks", perReplica * replicas, `${replicas} replica(s) x (${claims}) ${qdrantDiskSku(cfg)}`)] };
};

const snapshotStorage: CostContributor = (cfg) => {
    if (!cfg.qdrant.backup.enabled) return { lines: [] };
    const sku = storageAccountSettings(cfg.environment === "prod").sku.name;
    const monthly = PRICES.snapshotStoragePerMonth[sku];
    return monthly === undefined ? { lines: [], unpriced: [`snapshot storage ${sku}`] } : { lines: [flat("Qdrant snapshot storage", monthly, `${sku}, a small collection's snapshots (grows with the data)`)] };
};

const alerts: CostContributor = (cfg) => {
    // Three metric rules (node CPU, node memory, vault availability) and three log rules (alerts.ts).
    const frequency = cfg.cluster.logDailyQuotaGb !== -1 ? "PT15M" : "PT5M";
    return { lines: [flat("Alert rules", 3 * PRICES.metricAlertPerMonth + 3 * PRICES.logAlertPerMonth[frequency], `3 metric rules, 3 log rules every ${frequency === "PT15M" ? 15 : 5} minutes`)] };
};

/** Every area's line items, in README order. Add a contributor here for new billable resources. */
export const COST_CONTRIBUTORS: CostContributor[] = [controlPlane, nodes, osDisks, network, logs, prometheus, registry, keyVault, qdrantDisks, snapshotStorage, alerts];

/** The stack's monthly estimate. `extra` adds line items a caller knows of (and tests use for headroom). */
export function estimateCost(cfg: StackConfig, extra: readonly CostLine[] = []): CostEstimate {
    const lines: CostLine[] = [];
    const unpriced: string[] = [];
    for (const contribute of COST_CONTRIBUTORS) {
        const out = contribute(cfg);
        lines.push(...out.lines);
        unpriced.push(...(out.unpriced ?? []));
    }
    lines.push(...extra);
    return {
        currency: "USD",
        monthlyAtMinScale: round(lines.reduce((s, l) => s + l.min, 0)),
        monthlyAtMaxScale: round(lines.reduce((s, l) => s + l.max, 0)),
        lines,
        unpriced,
        prices: { source: PRICES.source, recorded: PRICES.recorded },
    };
}

const money = (n: number) => `$${n.toFixed(2)}`;

/** The README cost table for the given stacks (column per stack): generated, and checked by a test. */
export function costTableMarkdown(estimates: ReadonlyArray<{ stack: string; estimate: CostEstimate }>): string {
    // Rows in contributor order: the stack with the most lines first, then anything only others have.
    const ordered = [...estimates].sort((a, b) => b.estimate.lines.length - a.estimate.lines.length);
    const items = [...new Set(ordered.flatMap((e) => e.estimate.lines.map((l) => l.item)))];
    const cell = (e: CostEstimate, item: string) => {
        const line = e.lines.find((l) => l.item === item);
        if (!line) return "-";
        const range = line.min === line.max ? money(line.min) : `${money(line.min)} (max ${money(line.max)})`;
        return `${range}: ${line.basis}`;
    };
    const head = `| | ${estimates.map((e) => e.stack).join(" | ")} |`;
    const sep = `| --- |${estimates.map(() => " --- |").join("")}`;
    const rows = items.map((item) => `| ${item} | ${estimates.map((e) => cell(e.estimate, item)).join(" | ")} |`);
    const total = `| **Total at minimum scale** | ${estimates.map((e) => `**${money(e.estimate.monthlyAtMinScale)}**`).join(" | ")} |`;
    const max = `| Total at maximum scale | ${estimates.map((e) => money(e.estimate.monthlyAtMaxScale)).join(" | ")} |`;
    const unpriced = estimates.filter((e) => e.estimate.unpriced.length > 0).map((e) => `\n\nNot priced (${e.stack}): ${e.estimate.unpriced.join(", ")}.`);
    return [head, sep, ...rows, total, max].join("\n") + unpriced.join("");
}
