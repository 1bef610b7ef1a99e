/**
 * Validates a manifest against the official Kubernetes OpenAPI schemas (kubernetes-models). Built-in
 * kinds without a model here fail, so a new kind cannot slip through unchecked; custom resources (whose
 * schema lives in a CRD we do not have) get a shallow check of apiVersion, kind and metadata.name.
 *
 * Limitation: the generated validators do not reject unknown fields (a misspelt optional field passes).
 * The spec builders' `satisfies k8s.types.input...` annotations catch those at compile time instead.
 */
import { ConfigMap } from "kubernetes-models/v1/ConfigMap";
import { LimitRange } from "kubernetes-models/v1/LimitRange";
import { Namespace } from "kubernetes-models/v1/Namespace";
import { PersistentVolumeClaim } from "kubernetes-models/v1/PersistentVolumeClaim";
import { ResourceQuota } from "kubernetes-models/v1/ResourceQuota";
import { Secret } from "kubernetes-models/v1/Secret";
import { Service } from "kubernetes-models/v1/Service";
import { ServiceAccount } from "kubernetes-models/v1/ServiceAccount";
import { DaemonSet } from "kubernetes-models/apps/v1/DaemonSet";
import { Deployment } from "kubernetes-models/apps/v1/Deployment";
import { StatefulSet } from "kubernetes-models/apps/v1/StatefulSet";
import { HorizontalPodAutoscaler } from "kubernetes-models/autoscaling/v2/HorizontalPodAutoscaler";
import { CronJob } from "kubernetes-models/batch/v1/CronJob";
import { Job } from "kubernetes-models/batch/v1/Job";
import { Ingress } from "kubernetes-models/networking.k8s.io/v1/Ingress";
import { NetworkPolicy } from "kubernetes-models/networking.k8s.io/v1/NetworkPolicy";
import { PodDisruptionBudget } from "kubernetes-models/policy/v1/PodDisruptionBudget";
import { ClusterRole } from "kubernetes-models/rbac.authorization.k8s.io/v1/ClusterRole";
import { ClusterRoleBinding } from "kubernetes-models/rbac.authorization.k8s.io/v1/ClusterRoleBinding";
import { Role } from "kubernetes-models/rbac.authorization.k8s.io/v1/Role";
import { RoleBinding } from "kubernetes-models/rbac.authorization.k8s.io/v1/RoleBinding";
import { PriorityClass } from "kubernetes-models/scheduling.k8s.io/v1/PriorityClass";
import { StorageClass } from "kubernetes-models/storage.k8s.io/v1/StorageClass";

interface ModelClass {
    readonly apiVersion: string;
    readonly kind: string;
    new (data: any): { validate(): void };
}

const MODELS: readonly ModelClass[] = [
    ConfigMap, LimitRange, Namespace, PersistentVolumeClaim, ResourceQuota, Secret, Service, ServiceAccount,
    DaemonSet, Deployment, StatefulSet, HorizontalPodAutoscaler, CronJob, Job, Ingress, NetworkPolicy,
    PodDisruptionBudget, ClusterRole, ClusterRoleBinding, Role, RoleBinding, PriorityClass, StorageClass,
];

const BY_TYPE = new Map(MODELS.map((m) => [`${m.apiVersion}/${m.kind}`, m]));

/** Groups served by Kubernetes itself: the core group, the unqualified ones and `*.k8s.io` (not `*.x-k8s.io`). */
export function isBuiltInApiVersion(apiVersion: string): boolean {
    if (!apiVersion.includes("/")) return true;
    const group = apiVersion.split("/")[0];
    return !group.includes(".") || (group.endsWith(".k8s.io") && !group.endsWith(".x-k8s.io"));
}

/** Schema problems of one manifest; empty when it is valid. */
export function manifestProblems(obj: any): string[] {
    const apiVersion = obj?.apiVersion;
    const kind = obj?.kind;
    if (typeof apiVersion !== "string" || typeof kind !== "string") return ["apiVersion and kind must be strings"];
    const model = BY_TYPE.get(`${apiVersion}/${kind}`);
    if (model) {
        try {
            new model(obj).validate();
            return [];
        } catch (e) {
            return [(e as Error).message];
        }
    }
    if (isBuiltInApiVersion(apiVersion)) return [`no schema model for built-in ${apiVersion} ${kind}: add it to tests/k8s-schema.ts`];
    const problems: string[] = [];
    if (!obj.metadata || typeof obj.metadata !== "object") problems.push("metadata must be an object");
    else if (typeof obj.metadata.name !== "string" || obj.metadata.name === "") problems.push("metadata.name must be set");
    return problems;
}
