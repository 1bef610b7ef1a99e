/**
 * Small models of what the Kubernetes control plane computes, for tests that must compute availability
 * rather than assert numbers: the disruption controller's budget, and where the scheduler may place the
 * pods of a StatefulSet under its spread and anti-affinity rules.
 */

/** `disruptionsAllowed` as the disruption controller computes it for `healthy` of `expected` pods. */
export function disruptionsAllowed(spec: { maxUnavailable?: number | string; minAvailable?: number | string }, expected: number, healthy = expected): number {
    const resolve = (v: number | string) => (typeof v === "number" ? v : Math.ceil((parseInt(v, 10) / 100) * expected));
    const desiredHealthy = spec.maxUnavailable !== undefined ? Math.max(0, expected - resolve(spec.maxUnavailable)) : resolve(spec.minAvailable ?? 0);
    return Math.max(0, healthy - desiredHealthy);
}

export interface Node {
    readonly name: string;
    readonly zone: string;
}

interface PodSpecRules {
    topologySpreadConstraints?: Array<{ topologyKey: string; maxSkew: number; whenUnsatisfiable: string }>;
    affinity?: { podAntiAffinity?: { requiredDuringSchedulingIgnoredDuringExecution?: Array<{ topologyKey: string }> } };
}

function domain(node: Node, key: string): string {
    if (key === "topology.kubernetes.io/zone") return node.zone;
    if (key === "kubernetes.io/hostname") return node.name;
    throw new Error(`unknown topology key ${key}`);
}

/** Whether the final placement (node per pod) satisfies the pod spec's hard rules. */
export function admissible(spec: PodSpecRules, nodes: readonly Node[], placement: readonly Node[]): boolean {
    for (const term of spec.affinity?.podAntiAffinity?.requiredDuringSchedulingIgnoredDuringExecution ?? []) {
        const domains = placement.map((n) => domain(n, term.topologyKey));
        if (new Set(domains).size !== domains.length) return false;
    }
    for (const c of spec.topologySpreadConstraints ?? []) {
        if (c.whenUnsatisfiable !== "DoNotSchedule") continue;
        const counts = new Map<string, number>();
        for (const n of nodes) counts.set(domain(n, c.topologyKey), 0);
        for (const n of placement) counts.set(domain(n, c.topologyKey), (counts.get(domain(n, c.topologyKey)) ?? 0) + 1);
        const values = [...counts.values()];
        if (Math.max(...values) - Math.min(...values) > c.maxSkew) return false;
    }
    return true;
}

/** Every placement of `pods` pods on `nodes` that the hard rules admit. */
export function placements(spec: PodSpecRules, nodes: readonly Node[], pods: number): Node[][] {
    const out: Node[][] = [];
    const walk = (acc: Node[]) => {
        if (acc.length === pods) {
            if (admissible(spec, nodes, acc)) out.push([...acc]);
            return;
        }
        for (const n of nodes) walk([...acc, n]);
    };
    walk([]);
    return out;
}
