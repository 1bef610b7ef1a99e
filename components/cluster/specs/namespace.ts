/** Pure specs for the workload namespace and the priority class its pods use. */
import type * as k8s from "@pulumi/kubernetes";
import { PART_OF, WorkloadConfig, priorityClassName } from "./common";

/** The Pod Security Standards level every pod in the namespace must meet. */
export const POD_SECURITY_LEVEL = "restricted";

/**
 * The namespace enforces, audits and warns on "restricted". The version is `latest` so that rules added
 * in later Kubernetes releases apply as soon as the cluster upgrades; the tests check the full profile.
 */
export function namespaceManifest(cfg: Pick<WorkloadConfig, "namespace">) {
    const modes = ["enforce", "audit", "warn"] as const;
    const podSecurity: Record<string, string> = {};
    for (const mode of modes) {
        podSecurity[`pod-security.kubernetes.io/${mode}`] = POD_SECURITY_LEVEL;
        podSecurity[`pod-security.kubernetes.io/${mode}-version`] = "latest";
    }
    return {
        apiVersion: "v1",
        kind: "Namespace",
        metadata: {
            name: cfg.namespace,
            labels: { ...podSecurity, "app.kubernetes.io/part-of": PART_OF, "app.kubernetes.io/managed-by": "pulumi" },
        },
    } satisfies k8s.types.input.core.v1.Namespace;
}

/**
 * A priority above the default (0) so that, on a full node, the MCP server and Qdrant preempt batch or
 * best-effort pods instead of waiting Pending; far below system-cluster-critical (2e9), so they never
 * evict cluster add-ons. Polaris priorityClassNotSet asks for one.
 */
export function priorityClassManifest(cfg: Pick<WorkloadConfig, "namespace">) {
    return {
        apiVersion: "scheduling.k8s.io/v1",
        kind: "PriorityClass",
        metadata: { name: priorityClassName(cfg), labels: { "app.kubernetes.io/part-of": PART_OF, "app.kubernetes.io/managed-by": "pulumi" } },
        value: 100000,
        globalDefault: false,
        preemptionPolicy: "PreemptLowerPriority",
        description: `MCP platform workloads in namespace ${cfg.namespace}.`,
    } satisfies k8s.types.input.scheduling.v1.PriorityClass;
}
