/**
 * A model of how long a stack's first `pulumi up` takes: a critical-path schedule over the resource graph
 * the harness captures. Every resource starts when everything it waits for has finished and takes a nominal
 * create time. The durations are estimates, not measurements; what the model can show is which chain of
 * resources sets the total and whether a resource is on it. Pure: no mocha, no Pulumi runtime.
 */
import type { CapturedResource, Evaluation } from "./harness";
import { propagationWaitMs } from "../components/azure/rbac-propagation";

/** What a duration may look at: when the resource starts and what it waited for (with their finishes). */
export interface StartContext {
    readonly start: number;
    readonly waits: ReadonlyArray<{ readonly resource: CapturedResource; readonly finish: number }>;
}

export type Duration = number | ((r: CapturedResource, at: StartContext) => number);

/** A small ARM or Graph write that returns once the object exists (estimate). */
const SMALL_WRITE = 10;
/** A Kubernetes object the provider does not await beyond the API call (estimate). */
const K8S_OBJECT = 2;
/** Local computation in the provider, no network (random values). */
const LOCAL = 0;

/** Seconds the engine spends creating each resource type on a first `up`. A type not listed makes the model throw. */
export const MODEL_SECONDS: Readonly<Record<string, Duration>> = {
    // Azure docs (AKS quickstarts): "a few minutes"; estimate 8 min with a zonal system pool and add-ons.
    "azure-native:containerservice:ManagedCluster": 480,
    // Estimate: a new VMSS-backed pool, 3-5 min, whatever its initial count.
    "azure-native:containerservice:AgentPool": 240,
    // Estimate: a property of the cluster, applied in seconds.
    "azure-native:containerservice:MaintenanceConfiguration": 5,
    // Estimate.
    "azure-native:containerregistry:Registry": 40,
    // Estimate (includes the vault's DNS name).
    "azure-native:keyvault:Vault": 30,
    // Estimate: one data-plane call.
    "azure-native:keyvault:Secret": 3,
    // Estimate: one synchronous ARM call.
    "azure-native:resources:ResourceGroup": 2,
    // Estimate; it returns before the grant has propagated (that wait is the Kubernetes provider's, below).
    "azure-native:authorization:RoleAssignment": 10,
    // Estimate.
    "azure-native:authorization:PolicyAssignment": SMALL_WRITE,
    // Estimate.
    "azure-native:consumption:Budget": SMALL_WRITE,
    // Estimate.
    "azure-native:managedidentity:UserAssignedIdentity": 5,
    // Estimate.
    "azure-native:managedidentity:FederatedIdentityCredential": 5,
    // Estimate.
    "azure-native:monitor:ActionGroup": SMALL_WRITE,
    // Estimate: it also creates its managed resource group, data collection endpoint and rule.
    "azure-native:monitor:AzureMonitorWorkspace": 60,
    // Estimate.
    "azure-native:monitor:DataCollectionEndpoint": SMALL_WRITE,
    // Estimate.
    "azure-native:monitor:DataCollectionRule": SMALL_WRITE,
    // Estimate.
    "azure-native:monitor:DataCollectionRuleAssociation": SMALL_WRITE,
    // Estimate.
    "azure-native:monitor:DiagnosticSetting": SMALL_WRITE,
    // Estimate.
    "azure-native:monitor:MetricAlert": SMALL_WRITE,
    // Estimate.
    "azure-native:monitor:ScheduledQueryRule": SMALL_WRITE,
    // Estimate.
    "azure-native:operationalinsights:Workspace": 30,
    // Estimate: a long-running ARM operation.
    "azure-native:operationalinsights:Table": 20,
    // Estimate: a long-running ARM operation.
    "azure-native:storage:StorageAccount": 25,
    // Estimate.
    "azure-native:storage:BlobContainer": 3,
    // Estimate.
    "azure-native:storage:BlobServiceProperties": 3,
    // Estimate.
    "azure-native:storage:ManagementPolicy": 5,
    // Estimate: Graph writes, plus the provider's retries while a new application replicates.
    "azuread:index/application:Application": SMALL_WRITE,
    // Estimate (waits for the application to replicate).
    "azuread:index/servicePrincipal:ServicePrincipal": SMALL_WRITE,
    // Estimate.
    "azuread:index/applicationPassword:ApplicationPassword": 5,
    // Estimate.
    "azuread:index/applicationIdentifierUri:ApplicationIdentifierUri": 5,
    // Estimate.
    "azuread:index/applicationPreAuthorized:ApplicationPreAuthorized": 5,
    "random:index/randomString:RandomString": LOCAL,
    "random:index/randomPassword:RandomPassword": LOCAL,
    "random:index/randomId:RandomId": LOCAL,
    "random:index/randomUuid:RandomUuid": LOCAL,
    "command:local:Command": commandSeconds,
    "pulumi:providers:kubernetes": kubernetesProviderSeconds,
    // Estimate: the provider awaits the rollout (image pull from the stack's ACR, CSI secret mount,
    // startup probe, minReadySeconds).
    "kubernetes:apps/v1:Deployment": 60,
    // Estimate: Azure Disk provisioning and attach for each claim (Parallel pod management) before Qdrant is ready.
    "kubernetes:apps/v1:StatefulSet": 120,
    // Estimate: the provider awaits Complete; the smoke test pulls curl and calls every server.
    "kubernetes:batch/v1:Job": 30,
    "kubernetes:core/v1:Service": serviceSeconds,
    "kubernetes:core/v1:Namespace": K8S_OBJECT,
    "kubernetes:core/v1:ConfigMap": K8S_OBJECT,
    "kubernetes:core/v1:Secret": K8S_OBJECT,
    "kubernetes:core/v1:ServiceAccount": K8S_OBJECT,
    "kubernetes:networking.k8s.io/v1:NetworkPolicy": K8S_OBJECT,
    "kubernetes:policy/v1:PodDisruptionBudget": K8S_OBJECT,
    "kubernetes:autoscaling/v2:HorizontalPodAutoscaler": K8S_OBJECT,
    // Not awaited: the schedule's first run is not part of the update.
    "kubernetes:batch/v1:CronJob": K8S_OBJECT,
    "kubernetes:scheduling.k8s.io/v1:PriorityClass": K8S_OBJECT,
    "kubernetes:storage.k8s.io/v1:StorageClass": K8S_OBJECT,
    "kubernetes:secrets-store.csi.x-k8s.io/v1:SecretProviderClass": K8S_OBJECT,
};

/** `az acr build` / `az acr import` (components/azure/images.ts); any other command must be modelled on purpose. */
function commandSeconds(r: CapturedResource): number {
    const create = String(r.inputs.create ?? "");
    // Estimate: an ACR Tasks build of the server image (queue, npm ci, push), 3-5 min.
    if (create.startsWith("az acr build")) return 240;
    // Estimate: a registry-side copy of one public image.
    if (create.startsWith("az acr import")) return 30;
    throw new Error(`first-up model: no duration for command ${r.name} (${create.slice(0, 40)}...): add it to commandSeconds in tests/first-up-model.ts`);
}

/**
 * The provider's kubeconfig waits for the cluster's credentials (estimate: 2 s) and then for the rest of the
 * admin grants' propagation window measured from their creation (components/azure/rbac-propagation.ts).
 * The same function decides it here, with the modelled finish of each grant as its createdOn.
 */
function kubernetesProviderSeconds(_r: CapturedResource, at: StartContext): number {
    const createdOn = at.waits.filter((w) => w.resource.type === "azure-native:authorization:RoleAssignment").map((w) => new Date(w.finish * 1000).toISOString());
    return 2 + propagationWaitMs(createdOn, at.start * 1000) / 1000;
}

/**
 * The provider awaits a Service (pulumi-kubernetes await/service.go): a LoadBalancer until it has an
 * address (estimate: ~1 min for an Azure public IP); a non-headless Service with a selector until its
 * endpoints target a pod and then 10 s of settling. The pod comes with the workload it selects, which the model does not tie to the
 * Service: everything that waits for such a Service also waits for that workload (first-up-model.spec.ts
 * checks it), whose rollout ends later than its first pod gets an address.
 */
function serviceSeconds(r: CapturedResource): number {
    const spec = r.inputs.spec ?? {};
    if (spec.type === "LoadBalancer") return 60;
    const headless = spec.clusterIP === "None";
    const selects = Object.keys(spec.selector ?? {}).length > 0;
    return headless || !selects ? K8S_OBJECT : K8S_OBJECT + 10;
}

export interface FirstUpSchedule {
    /** Seconds from the start of the update until each resource is created, by URN. */
    readonly finish: ReadonlyMap<string, number>;
    /** The modelled duration of the whole update. */
    readonly total: number;
    /** The chain that sets the total, first to last: each one waits for the one before. */
    readonly criticalPath: readonly CapturedResource[];
    /** The chain that sets when `urn` is created, first to last (the critical path is the one to the last resource). */
    pathTo(urn: string): CapturedResource[];
}

/** Seconds a resource takes once it starts; a component takes none (waiting for one is waiting for its descendants). */
function durationOf(r: CapturedResource, at: StartContext): number {
    if (!r.custom) return 0;
    const model = MODEL_SECONDS[r.type];
    if (model === undefined) throw new Error(`first-up model: no duration for ${r.type} (${r.name}): add it to MODEL_SECONDS in tests/first-up-model.ts`);
    return typeof model === "number" ? model : model(r, at);
}

/**
 * Schedules the evaluated graph as the engine runs it: a resource waits for its dependencies (a component
 * stands for all its descendants, as in harness.ts dependencyClosure) and for its provider, whose reference
 * (`urn::id`) the SDK resolves before it registers the resource. Throws on a cycle or an unmodelled type.
 */
export function firstUpSchedule(ev: Pick<Evaluation, "resources">): FirstUpSchedule {
    const byUrn = new Map(ev.resources.map((r) => [r.urn, r]));
    const children = new Map<string, string[]>();
    for (const r of ev.resources) if (r.parent) children.set(r.parent, [...(children.get(r.parent) ?? []), r.urn]);
    const descendants = (urn: string): string[] => (children.get(urn) ?? []).flatMap((c) => [c, ...descendants(c)]);

    const waitsOf = (r: CapturedResource): CapturedResource[] => {
        const urns = new Set<string>();
        for (const dep of r.dependencies) {
            urns.add(dep);
            if (byUrn.get(dep)?.custom === false) for (const d of descendants(dep)) urns.add(d);
        }
        if (r.provider) urns.add(r.provider.slice(0, r.provider.lastIndexOf("::")));
        return [...urns].flatMap((u) => byUrn.get(u) ?? []);
    };

    const finish = new Map<string, number>();
    /** The wait that finished last, for the critical path. */
    const via = new Map<string, CapturedResource>();
    const visiting: string[] = [];
    const visit = (r: CapturedResource): number => {
        const done = finish.get(r.urn);
        if (done !== undefined) return done;
        if (visiting.includes(r.urn)) {
            const cycle = [...visiting.slice(visiting.indexOf(r.urn)), r.urn].map((u) => byUrn.get(u)?.name ?? u);
            throw new Error(`first-up model: dependency cycle ${cycle.join(" -> ")}`);
        }
        visiting.push(r.urn);
        const waits = waitsOf(r).map((w) => ({ resource: w, finish: visit(w) }));
        visiting.pop();
        let start = 0;
        for (const w of waits) {
            if (w.finish > start || !via.has(r.urn)) via.set(r.urn, w.resource);
            start = Math.max(start, w.finish);
        }
        const end = start + durationOf(r, { start, waits });
        finish.set(r.urn, end);
        return end;
    };

    let last: CapturedResource | undefined;
    for (const r of ev.resources) {
        const end = visit(r);
        // On a tie a resource ends the path rather than a component that merely waits for it.
        if (!last || end > (finish.get(last.urn) ?? 0) || (end === finish.get(last.urn) && r.custom && !last.custom)) last = r;
    }
    const pathTo = (urn: string): CapturedResource[] => {
        const path: CapturedResource[] = [];
        for (let r = byUrn.get(urn); r; r = via.get(r.urn)) path.unshift(r);
        return path;
    };
    return { finish, total: last ? (finish.get(last.urn) ?? 0) : 0, criticalPath: last ? pathTo(last.urn) : [], pathTo };
}

function mmss(seconds: number): string {
    const s = Math.round(seconds);
    return `${String(Math.floor(s / 60)).padStart(2, "0")}:${String(s % 60).padStart(2, "0")}`;
}

/** The critical path (or the chain to `urn`) as `mm:ss  type name` lines, each time when that resource is created. */
export function describeSchedule(schedule: FirstUpSchedule, urn?: string): string[] {
    const path = urn === undefined ? schedule.criticalPath : schedule.pathTo(urn);
    return path.map((r) => `${mmss(schedule.finish.get(r.urn) ?? 0)}  ${r.type} ${r.name}`);
}
