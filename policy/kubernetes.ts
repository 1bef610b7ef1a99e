/**
 * Kubernetes policies: the workload half of the security baseline (DESIGN.md "Reference standards" and
 * pitfalls 3, 4 and 6). Resource policies judge one object at a time; stack policies need several objects
 * together (a namespace and its workloads, an HPA and its target, a PDB and the pods it selects).
 *
 * Types are matched by token, not by SDK class, so the pack never loads @pulumi/kubernetes and also sees
 * objects that came from YAML or Helm-rendered manifests.
 */
import {
    PolicyResource,
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    StackValidationArgs,
    StackValidationPolicy,
} from "@pulumi/policy";
import { at, isUnknown, known, listAt, Tri, UNKNOWN } from "./values";

// ---------------------------------------------------------------------------------------------------------
// Shapes
// ---------------------------------------------------------------------------------------------------------

const WORKLOAD_KINDS = ["Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Job", "CronJob", "Pod"] as const;
export type WorkloadKind = (typeof WORKLOAD_KINDS)[number];

/** The Kubernetes kind of a Pulumi type token (`kubernetes:apps/v1:Deployment` -> Deployment), any API version. */
export function kindOf(type: string): string | undefined {
    const match = /^kubernetes:[^:]+:([A-Za-z]+)$/.exec(type);
    return match ? match[1] : undefined;
}

export function workloadKindOf(type: string): WorkloadKind | undefined {
    const kind = kindOf(type);
    return (WORKLOAD_KINDS as readonly string[]).includes(kind ?? "") ? (kind as WorkloadKind) : undefined;
}

/** The pod template (metadata + spec) of a workload, wherever its kind keeps it. */
export function podTemplateOf(kind: WorkloadKind, props: unknown): { metadata: unknown; spec: unknown } {
    switch (kind) {
        case "Pod":
            return { metadata: at(props, "metadata"), spec: at(props, "spec") };
        case "CronJob":
            return { metadata: at(props, "spec", "jobTemplate", "spec", "template", "metadata"), spec: at(props, "spec", "jobTemplate", "spec", "template", "spec") };
        default:
            return { metadata: at(props, "spec", "template", "metadata"), spec: at(props, "spec", "template", "spec") };
    }
}

type ContainerField = "containers" | "initContainers" | "ephemeralContainers";

interface NamedContainer {
    readonly label: string;
    readonly value: unknown;
}

/** The containers of a pod spec, each labelled for messages (`container "x"`, `initContainer "y"`). */
function containersOf(spec: unknown, fields: readonly ContainerField[]): NamedContainer[] {
    const out: NamedContainer[] = [];
    for (const field of fields) {
        const list = listAt(spec, field);
        if (isUnknown(list)) continue;
        list.forEach((value, index) => {
            const name = at(value, "name");
            const label = `${field.replace(/s$/, "")} "${typeof name === "string" ? name : `#${index}`}"`;
            out.push({ label, value });
        });
    }
    return out;
}

const ALL_CONTAINERS: readonly ContainerField[] = ["containers", "initContainers", "ephemeralContainers"];
/** Ephemeral containers (kubectl debug) take no resources, ports or probes, so only PSS applies to them. */
const RUNNING_CONTAINERS: readonly ContainerField[] = ["containers", "initContainers"];

function namespaceOf(props: unknown): string | typeof UNKNOWN {
    const ns = at(props, "metadata", "namespace");
    if (isUnknown(ns)) return UNKNOWN;
    return typeof ns === "string" && ns !== "" ? ns : "default";
}

function resourceLabel(resource: { type: string; name: string; props: unknown }): string {
    const name = at(resource.props, "metadata", "name");
    const shown = typeof name === "string" ? name : resource.name;
    return `${kindOf(resource.type) ?? resource.type} "${shown}"`;
}

// ---------------------------------------------------------------------------------------------------------
// Pod Security Standards "restricted"
// ---------------------------------------------------------------------------------------------------------

/** Volume sources the restricted profile allows; every other source (hostPath, nfs, ...) is rejected. */
const RESTRICTED_VOLUME_TYPES = new Set(["configMap", "csi", "downwardAPI", "emptyDir", "ephemeral", "persistentVolumeClaim", "projected", "secret"]);
/** Sysctls that are namespaced and isolated, so the baseline profile allows pods to set them. */
const SAFE_SYSCTLS = new Set([
    "kernel.shm_rmid_forced",
    "net.ipv4.ip_local_port_range",
    "net.ipv4.ip_unprivileged_port_start",
    "net.ipv4.tcp_syncookies",
    "net.ipv4.ping_group_range",
    "net.ipv4.ip_local_reserved_ports",
    "net.ipv4.tcp_keepalive_time",
    "net.ipv4.tcp_fin_timeout",
    "net.ipv4.tcp_keepalive_intvl",
    "net.ipv4.tcp_keepalive_probes",
]);
const ALLOWED_SELINUX_TYPES = new Set(["", "container_t", "container_init_t", "container_kvm_t", "container_engine_t"]);
const SECCOMP_OK = new Set(["RuntimeDefault", "Localhost"]);

/**
 * Every finding of the "restricted" Pod Security Standard for one pod template, as remediation sentences.
 * Values that are unknown during preview are given the benefit of the doubt; the check runs again with
 * real values before each resource is created.
 */
export function podSecurityFindings(spec: unknown, metadata: unknown): string[] {
    const findings: string[] = [];
    if (isUnknown(spec) || spec === undefined || spec === null) return findings;
    const podSc = at(spec, "securityContext");

    for (const field of ["hostNetwork", "hostPID", "hostIPC"] as const) {
        if (at(spec, field) === true) findings.push(`${field} is true: remove it (host namespaces break pod isolation).`);
    }

    const volumes = listAt(spec, "volumes");
    if (!isUnknown(volumes)) {
        for (const volume of volumes) {
            if (isUnknown(volume) || volume === null || typeof volume !== "object") continue;
            const name = at(volume, "name");
            for (const source of Object.keys(volume)) {
                if (source === "name" || RESTRICTED_VOLUME_TYPES.has(source)) continue;
                findings.push(`volume "${String(name)}" uses ${source}: use one of ${[...RESTRICTED_VOLUME_TYPES].join(", ")}.`);
            }
        }
    }

    const sysctls = listAt(podSc, "sysctls");
    if (!isUnknown(sysctls)) {
        for (const sysctl of sysctls) {
            const name = at(sysctl, "name");
            if (typeof name === "string" && !SAFE_SYSCTLS.has(name)) findings.push(`sysctl ${name} is not in the safe set: remove it.`);
        }
    }

    const podRunAsNonRoot = at(podSc, "runAsNonRoot");
    const podSeccomp = at(podSc, "seccompProfile", "type");
    findings.push(...securityContextFindings("the pod", podSc, metadata, undefined));

    for (const container of containersOf(spec, ALL_CONTAINERS)) {
        const sc = at(container.value, "securityContext");
        findings.push(...securityContextFindings(container.label, sc, metadata, at(container.value, "name")));

        if (at(sc, "privileged") === true) findings.push(`${container.label} is privileged: set securityContext.privileged: false.`);
        const ape = at(sc, "allowPrivilegeEscalation");
        if (ape !== false && !isUnknown(ape)) {
            findings.push(`${container.label} allows privilege escalation: set securityContext.allowPrivilegeEscalation: false.`);
        }

        const runAsNonRoot = at(sc, "runAsNonRoot");
        if (runAsNonRoot === false || (runAsNonRoot === undefined && podRunAsNonRoot !== true && !isUnknown(podRunAsNonRoot))) {
            findings.push(`${container.label} may run as root: set runAsNonRoot: true in the pod or container securityContext.`);
        }

        const seccomp = at(sc, "seccompProfile", "type");
        const seccompMissing = seccomp === undefined && podSeccomp === undefined;
        if (seccompMissing) {
            findings.push(`${container.label} has no seccomp profile: set securityContext.seccompProfile.type: RuntimeDefault on the pod.`);
        }

        const drop = listAt(sc, "capabilities", "drop");
        if (!isUnknown(drop) && !drop.some((c) => c === "ALL")) {
            findings.push(`${container.label} does not drop all capabilities: set securityContext.capabilities.drop: ["ALL"].`);
        }
        const add = listAt(sc, "capabilities", "add");
        if (!isUnknown(add)) {
            for (const cap of add) {
                if (typeof cap === "string" && cap !== "NET_BIND_SERVICE") {
                    findings.push(`${container.label} adds capability ${cap}: only NET_BIND_SERVICE may be added.`);
                }
            }
        }

        const ports = listAt(container.value, "ports");
        if (!isUnknown(ports)) {
            for (const port of ports) {
                const hostPort = at(port, "hostPort");
                if (typeof hostPort === "number" && hostPort !== 0) findings.push(`${container.label} binds hostPort ${hostPort}: remove it and use a Service.`);
            }
        }
    }
    return findings;
}

/** The checks that apply alike to a pod-level and a container-level securityContext. */
function securityContextFindings(label: string, sc: unknown, metadata: unknown, containerName: unknown): string[] {
    const findings: string[] = [];
    if (at(sc, "runAsUser") === 0) findings.push(`${label} sets runAsUser: 0: run as a non-zero UID.`);
    if (at(sc, "windowsOptions", "hostProcess") === true) findings.push(`${label} is a Windows HostProcess pod: remove windowsOptions.hostProcess.`);

    const seccomp = at(sc, "seccompProfile", "type");
    if (typeof seccomp === "string" && !SECCOMP_OK.has(seccomp)) findings.push(`${label} sets seccompProfile.type: ${seccomp}: use RuntimeDefault.`);

    const procMount = at(sc, "procMount");
    if (typeof procMount === "string" && procMount !== "Default") findings.push(`${label} sets procMount: ${procMount}: remove it.`);

    const seType = at(sc, "seLinuxOptions", "type");
    if (typeof seType === "string" && !ALLOWED_SELINUX_TYPES.has(seType)) findings.push(`${label} sets seLinuxOptions.type: ${seType}: remove it.`);
    for (const field of ["user", "role"] as const) {
        const value = at(sc, "seLinuxOptions", field);
        if (typeof value === "string" && value !== "") findings.push(`${label} sets seLinuxOptions.${field}: remove it.`);
    }

    const appArmor = at(sc, "appArmorProfile", "type");
    if (appArmor === "Unconfined") findings.push(`${label} sets appArmorProfile.type: Unconfined: use RuntimeDefault.`);
    if (typeof containerName === "string") {
        const annotation = at(metadata, "annotations", `container.apparmor.security.beta.kubernetes.io/${containerName}`);
        if (typeof annotation === "string" && annotation !== "runtime/default" && !annotation.startsWith("localhost/")) {
            findings.push(`${label} has AppArmor profile ${annotation}: use runtime/default.`);
        }
    }
    return findings;
}

// ---------------------------------------------------------------------------------------------------------
// Resource validations
// ---------------------------------------------------------------------------------------------------------

/** Runs `check` on the pod template of a workload; other types are not applicable. */
function forEachPodTemplate(
    check: (spec: unknown, metadata: unknown) => string[],
    intro: string,
): (args: ResourceValidationArgs, reportViolation: ReportViolation) => void {
    return (args, reportViolation) => {
        const kind = workloadKindOf(args.type);
        if (!kind) return;
        const props = known(args.props);
        const template = podTemplateOf(kind, props);
        if (isUnknown(template.spec)) return;
        const findings = check(template.spec, template.metadata);
        if (findings.length > 0) {
            reportViolation(`${resourceLabel({ type: args.type, name: args.name, props })} ${intro}:\n- ${findings.join("\n- ")}`);
        }
    };
}

export const validatePodSecurityRestricted = forEachPodTemplate(
    podSecurityFindings,
    "would be rejected by a namespace that enforces Pod Security Standards \"restricted\"",
);

export function readOnlyRootFilesystemFindings(spec: unknown): string[] {
    return containersOf(spec, RUNNING_CONTAINERS)
        .filter((c) => {
            const value = at(c.value, "securityContext", "readOnlyRootFilesystem");
            return value !== true && !isUnknown(value);
        })
        .map((c) => `${c.label}: set securityContext.readOnlyRootFilesystem: true and mount an emptyDir where it must write (e.g. /tmp).`);
}

export const validateReadOnlyRootFilesystem = forEachPodTemplate(readOnlyRootFilesystemFindings, "has a writable root filesystem");

export function resourceFindings(spec: unknown): string[] {
    const findings: string[] = [];
    for (const container of containersOf(spec, RUNNING_CONTAINERS)) {
        const resources = at(container.value, "resources");
        if (isUnknown(resources)) continue;
        const missing: string[] = [];
        for (const kind of ["requests", "limits"] as const) {
            for (const resource of ["cpu", "memory"] as const) {
                if (at(resources, kind, resource) === undefined) missing.push(`${kind}.${resource}`);
            }
        }
        if (missing.length > 0) findings.push(`${container.label} lacks resources.${missing.join(", resources.")}: set them (requests for scheduling and the HPA, limits to contain a runaway process).`);
    }
    return findings;
}

export const validateResourceRequestsAndLimits = forEachPodTemplate(resourceFindings, "does not declare its requests and limits");

/** Why an image reference is not reproducible, or undefined when it is pinned by tag or digest. */
export function imageReferenceProblem(image: string): string | undefined {
    if (image.includes("@")) return undefined; // a digest pins the exact bytes, whatever the tag says
    const lastSlash = image.lastIndexOf("/");
    const lastColon = image.lastIndexOf(":");
    const tag = lastColon > lastSlash ? image.slice(lastColon + 1) : "";
    if (tag === "") return `image "${image}" has no tag (which means :latest)`;
    if (tag.toLowerCase() === "latest") return `image "${image}" uses the mutable tag latest`;
    return undefined;
}

export function imageFindings(spec: unknown): string[] {
    const findings: string[] = [];
    for (const container of containersOf(spec, ALL_CONTAINERS)) {
        const image = at(container.value, "image");
        if (isUnknown(image)) continue;
        if (typeof image !== "string" || image === "") {
            findings.push(`${container.label} has no image: set an image with a version tag or digest.`);
            continue;
        }
        const problem = imageReferenceProblem(image);
        if (problem) findings.push(`${container.label}: ${problem}: pin a version tag (e.g. :1.4.2) or a digest (@sha256:...).`);
    }
    return findings;
}

export const validateImageTags = forEachPodTemplate(imageFindings, "runs images that are not pinned, so a rollout can change code without a diff");

/**
 * Why an image would not come from an Azure Container Registry, or undefined when it does. Nodes are
 * granted AcrPull on the stack's registry only, and anything pulled from elsewhere bypasses the digest pins
 * and scanning the stack applies there (and Docker Hub's pull limits can stall a scale-out).
 */
export function imageRegistryProblem(image: string): string | undefined {
    const first = image.split("/")[0];
    if (image.includes("/") && /^[a-z0-9]+\.azurecr\.io$/.test(first)) return undefined;
    return `image "${image}" is not pulled from an Azure Container Registry (<name>.azurecr.io/...)`;
}

export function registryFindings(spec: unknown): string[] {
    const findings: string[] = [];
    for (const container of containersOf(spec, ALL_CONTAINERS)) {
        const image = at(container.value, "image");
        if (isUnknown(image) || typeof image !== "string" || image === "") continue; // k8s-image-tag-pinned reports a missing image
        const problem = imageRegistryProblem(image);
        if (problem) findings.push(`${container.label}: ${problem}: import it into the stack's ACR (config images) and use the in-ACR reference.`);
    }
    return findings;
}

export const validateImageRegistry = forEachPodTemplate(registryFindings, "pulls images from outside the stack's container registry");

/** Config of the LoadBalancer allow-list: service names, or namespace/name pairs. */
export interface LoadBalancerConfig {
    readonly allowedServices?: string[];
}
export const DEFAULT_ALLOWED_LOAD_BALANCERS = ["mcp-server"];

export function validateLoadBalancerAllowList(args: ResourceValidationArgs, reportViolation: ReportViolation): void {
    if (kindOf(args.type) !== "Service") return;
    const props = known(args.props);
    const type = at(props, "spec", "type");
    if (type !== "LoadBalancer") return;
    const allowed = args.getConfig<LoadBalancerConfig>().allowedServices ?? DEFAULT_ALLOWED_LOAD_BALANCERS;
    const metaName = at(props, "metadata", "name");
    // An autonamed Service is named after its logical name plus a suffix, so the logical name identifies it.
    const name = typeof metaName === "string" ? metaName : args.name;
    const namespace = namespaceOf(props);
    const candidates = [name, ...(isUnknown(namespace) ? [] : [`${namespace}/${name}`])];
    if (candidates.some((c) => allowed.includes(c))) return;
    reportViolation(
        `Service "${name}" is of type LoadBalancer but is not on the allow-list (${allowed.join(", ")}). ` +
            "Each LoadBalancer is a new public (or VNet) entry point: use type ClusterIP, or add the service to the " +
            "policy config allowedServices of k8s-loadbalancer-allowlist after a security review.",
    );
}

// ---------------------------------------------------------------------------------------------------------
// Stack validations
// ---------------------------------------------------------------------------------------------------------

interface PlainResource {
    readonly type: string;
    readonly name: string;
    readonly urn: string;
    readonly props: unknown;
}

function plain(resources: PolicyResource[]): PlainResource[] {
    return resources.map((r) => ({ type: r.type, name: r.name, urn: r.urn, props: known(r.props) }));
}

/** Namespaces that hold workloads, each with the first workload's URN to attach the violation to. */
function workloadNamespaces(resources: PlainResource[]): Map<string, PlainResource[]> {
    const byNamespace = new Map<string, PlainResource[]>();
    for (const r of resources) {
        if (!workloadKindOf(r.type)) continue;
        const ns = namespaceOf(r.props);
        if (isUnknown(ns)) continue;
        byNamespace.set(ns, [...(byNamespace.get(ns) ?? []), r]);
    }
    return byNamespace;
}

export const PSS_ENFORCE_LABEL = "pod-security.kubernetes.io/enforce";

export function validateNamespacesEnforceRestricted(args: StackValidationArgs, reportViolation: ReportViolation): void {
    const resources = plain(args.resources);
    const namespaces = resources.filter((r) => kindOf(r.type) === "Namespace");
    const someNameUnknown = namespaces.some((ns) => isUnknown(at(ns.props, "metadata", "name")));
    for (const [name, workloads] of workloadNamespaces(resources)) {
        const ns = namespaces.find((n) => at(n.props, "metadata", "name") === name);
        if (!ns) {
            if (someNameUnknown) continue; // the unknown one may be it; judged again once names are known
            reportViolation(
                `Workloads (${workloads.map((w) => resourceLabel(w)).join(", ")}) run in namespace "${name}", which this stack does not ` +
                    `manage, so nothing guarantees it enforces Pod Security Standards. Declare the namespace in the program with the label ` +
                    `${PSS_ENFORCE_LABEL}: restricted and deploy the workloads into it.`,
                workloads[0].urn,
            );
            continue;
        }
        const label = at(ns.props, "metadata", "labels", PSS_ENFORCE_LABEL);
        if (label !== "restricted" && !isUnknown(label)) {
            reportViolation(
                `Namespace "${name}" runs workloads but its label ${PSS_ENFORCE_LABEL} is ${label === undefined ? "missing" : `"${String(label)}"`}: ` +
                    `set it to "restricted" so the API server rejects any pod that does not pass the profile.`,
                ns.urn,
            );
        }
    }
}

/** Whether a selector is known to be empty (selects every pod of its namespace). */
function selectsAll(selector: unknown): Tri {
    if (isUnknown(selector)) return UNKNOWN;
    if (selector === undefined || selector === null) return true;
    const labels = at(selector, "matchLabels");
    const expressions = at(selector, "matchExpressions");
    if (isUnknown(labels) || isUnknown(expressions)) return UNKNOWN;
    const noLabels = labels === undefined || labels === null || Object.keys(labels as object).length === 0;
    const noExpressions = expressions === undefined || expressions === null || (Array.isArray(expressions) && expressions.length === 0);
    return noLabels && noExpressions;
}

/** Whether a NetworkPolicy is a default deny for one direction: all pods, that direction, no allow rules. */
export function defaultDenies(props: unknown, direction: "Ingress" | "Egress"): Tri {
    const all = selectsAll(at(props, "spec", "podSelector"));
    if (all !== true) return all;
    const rules = at(props, "spec", direction === "Ingress" ? "ingress" : "egress");
    const declared = listAt(props, "spec", "policyTypes");
    if (isUnknown(rules) || isUnknown(declared)) return UNKNOWN;
    // Without policyTypes, Kubernetes infers Ingress always and Egress only when egress rules are present.
    const types = declared.length > 0 ? declared : ["Ingress", ...(rules !== undefined && direction === "Egress" ? ["Egress"] : [])];
    if (!types.includes(direction)) return false;
    return rules === undefined || rules === null || (Array.isArray(rules) && rules.length === 0);
}

export function validateNamespacesDefaultDeny(args: StackValidationArgs, reportViolation: ReportViolation): void {
    const resources = plain(args.resources);
    const policies = resources.filter((r) => kindOf(r.type) === "NetworkPolicy");
    for (const [name, workloads] of workloadNamespaces(resources)) {
        const inNamespace = policies.filter((p) => {
            const ns = namespaceOf(p.props);
            return isUnknown(ns) || ns === name;
        });
        const missing: string[] = [];
        for (const direction of ["Ingress", "Egress"] as const) {
            const answers = inNamespace.map((p) => defaultDenies(p.props, direction));
            if (answers.includes(true) || answers.some(isUnknown)) continue;
            missing.push(direction.toLowerCase());
        }
        if (missing.length > 0) {
            reportViolation(
                `Namespace "${name}" runs workloads without a default-deny NetworkPolicy for ${missing.join(" and ")}: every pod can ` +
                    `${missing.includes("ingress") ? "be reached from anywhere in the cluster" : ""}${missing.length === 2 ? " and " : ""}` +
                    `${missing.includes("egress") ? "reach anything (metadata endpoint, other tenants, the internet)" : ""}. Add a NetworkPolicy in ` +
                    `"${name}" with podSelector: {}, policyTypes: [Ingress, Egress] and no rules, then allow each needed flow explicitly ` +
                    `(DNS on UDP and TCP 53, the Qdrant port, the LoadBalancer ingress).`,
                workloads[0].urn,
            );
        }
    }
}

interface ScaleTarget {
    readonly hpa: PlainResource;
    readonly namespace: string;
    readonly kind: string;
    readonly name: string;
    readonly minReplicas: unknown;
}

function scaleTargets(resources: PlainResource[]): ScaleTarget[] {
    const out: ScaleTarget[] = [];
    for (const hpa of resources.filter((r) => kindOf(r.type) === "HorizontalPodAutoscaler")) {
        const namespace = namespaceOf(hpa.props);
        const kind = at(hpa.props, "spec", "scaleTargetRef", "kind");
        const name = at(hpa.props, "spec", "scaleTargetRef", "name");
        if (isUnknown(namespace) || typeof kind !== "string" || typeof name !== "string") continue;
        out.push({ hpa, namespace, kind, name, minReplicas: at(hpa.props, "spec", "minReplicas") });
    }
    return out;
}

function targetOf(targets: ScaleTarget[], workload: PlainResource): ScaleTarget | undefined {
    const name = at(workload.props, "metadata", "name");
    const namespace = namespaceOf(workload.props);
    return targets.find((t) => t.kind === kindOf(workload.type) && t.name === name && t.namespace === namespace);
}

export function validateHpaTargetsOmitReplicas(args: StackValidationArgs, reportViolation: ReportViolation): void {
    const resources = plain(args.resources);
    const targets = scaleTargets(resources);
    for (const workload of resources.filter((r) => ["Deployment", "StatefulSet", "ReplicaSet"].includes(kindOf(r.type) ?? ""))) {
        const target = targetOf(targets, workload);
        if (!target) continue;
        if (at(workload.props, "spec", "replicas") === undefined) continue;
        reportViolation(
            `${resourceLabel(workload)} declares spec.replicas and is scaled by HorizontalPodAutoscaler "${target.hpa.name}": every ` +
                `pulumi up resets the replica count the HPA chose (a scale-down under load). Remove spec.replicas and let the HPA's ` +
                `minReplicas set the floor.`,
            workload.urn,
        );
    }
}

/** Whether a label selector matches a set of pod labels (Kubernetes semantics, all operators). */
export function selectorMatches(selector: unknown, labels: unknown): Tri {
    if (isUnknown(selector) || isUnknown(labels)) return UNKNOWN;
    const podLabels = (labels ?? {}) as Record<string, unknown>;
    const matchLabels = at(selector, "matchLabels");
    const expressions = listAt(selector, "matchExpressions");
    if (isUnknown(matchLabels) || isUnknown(expressions)) return UNKNOWN;
    let unknownSeen = false;
    for (const [key, value] of Object.entries((matchLabels ?? {}) as Record<string, unknown>)) {
        if (isUnknown(value) || isUnknown(podLabels[key])) unknownSeen = true;
        else if (podLabels[key] !== value) return false;
    }
    for (const expression of expressions) {
        const key = at(expression, "key");
        const operator = at(expression, "operator");
        const values = listAt(expression, "values");
        if (typeof key !== "string" || typeof operator !== "string" || isUnknown(values) || isUnknown(podLabels[key])) {
            unknownSeen = true;
            continue;
        }
        const has = key in podLabels;
        const ok =
            operator === "In" ? has && values.includes(podLabels[key]) :
            operator === "NotIn" ? !has || !values.includes(podLabels[key]) :
            operator === "Exists" ? has :
            operator === "DoesNotExist" ? !has : false;
        if (!ok) return false;
    }
    return unknownSeen ? UNKNOWN : true;
}

/** The pods a disruption budget may count on: replicas, or the HPA floor when an HPA owns the count. */
function expectedPods(workload: PlainResource, targets: ScaleTarget[]): number | typeof UNKNOWN {
    const target = targetOf(targets, workload);
    const count = target ? target.minReplicas : at(workload.props, "spec", "replicas");
    if (isUnknown(count)) return UNKNOWN;
    if (count === undefined || count === null) return 1; // both default to 1
    return typeof count === "number" ? count : UNKNOWN;
}

/** Pods that must stay up for a minAvailable value (percentages round up, as the disruption controller does). */
function requiredPods(value: number | string, pods: number): number | undefined {
    if (typeof value === "number") return value;
    const match = /^(\d+)%$/.exec(value);
    return match ? Math.ceil((pods * Number(match[1])) / 100) : undefined;
}

export function validatePdbAllowsDrain(args: StackValidationArgs, reportViolation: ReportViolation): void {
    const resources = plain(args.resources);
    const targets = scaleTargets(resources);
    const fix = "A node drain (AKS upgrade, node-image patch, scale-in) waits forever on such a budget. Use maxUnavailable: 1 instead";
    budgets: for (const pdb of resources.filter((r) => kindOf(r.type) === "PodDisruptionBudget")) {
        const label = resourceLabel(pdb);
        const maxUnavailable = at(pdb.props, "spec", "maxUnavailable");
        if (maxUnavailable === 0 || maxUnavailable === "0" || maxUnavailable === "0%") {
            reportViolation(`${label} sets maxUnavailable: ${String(maxUnavailable)}, so no pod may ever be evicted. ${fix}.`, pdb.urn);
            continue;
        }
        const minAvailable = at(pdb.props, "spec", "minAvailable");
        if (typeof minAvailable !== "number" && typeof minAvailable !== "string") continue;
        const namespace = namespaceOf(pdb.props);
        if (isUnknown(namespace)) continue;
        const selector = at(pdb.props, "spec", "selector");
        let pods = 0;
        const matched: PlainResource[] = [];
        for (const workload of resources) {
            const kind = workloadKindOf(workload.type);
            if (!kind || !["Deployment", "StatefulSet", "ReplicaSet"].includes(kind) || namespaceOf(workload.props) !== namespace) continue;
            const match = selectorMatches(selector, at(podTemplateOf(kind, workload.props).metadata, "labels"));
            if (match === false) continue;
            const count = expectedPods(workload, targets);
            if (match !== true || isUnknown(count)) continue budgets; // cannot total the pods yet; judged again with real values
            pods += count;
            matched.push(workload);
        }
        if (matched.length === 0) continue;
        const required = requiredPods(minAvailable, pods);
        if (required !== undefined && required >= pods) {
            reportViolation(
                `${label} requires ${required} available pod(s) (minAvailable: ${minAvailable}) but ${matched.map((m) => resourceLabel(m)).join(", ")} ` +
                    `run(s) only ${pods} at the floor. ${fix}, or a minAvailable below the replica count (or HPA minReplicas).`,
                pdb.urn,
            );
        }
    }
}

// ---------------------------------------------------------------------------------------------------------
// Policies
// ---------------------------------------------------------------------------------------------------------

export const podSecurityRestricted: ResourceValidationPolicy = {
    name: "k8s-pod-security-restricted",
    description:
        "Every pod template (Deployment, StatefulSet, DaemonSet, ReplicaSet, Job, CronJob, Pod) passes the Pod Security Standards " +
        "\"restricted\" profile. A namespace that enforces restricted rejects any other pod at admission, so a failing template is " +
        "a rollout that never starts (DESIGN.md pitfall 6), and a passing one cannot escalate to the node.",
    remediationSteps:
        "In the pod securityContext set runAsNonRoot: true and seccompProfile.type: RuntimeDefault; in every container set " +
        "allowPrivilegeEscalation: false and capabilities.drop: [\"ALL\"]; use only configMap, secret, projected, downwardAPI, " +
        "emptyDir, csi, ephemeral and persistentVolumeClaim volumes; no host namespaces, ports or paths.",
    enforcementLevel: "mandatory",
    severity: "high",
    validateResource: validatePodSecurityRestricted,
};

export const readOnlyRootFilesystem: ResourceValidationPolicy = {
    name: "k8s-read-only-root-filesystem",
    description:
        "Every container runs with a read-only root filesystem, so an attacker who gets code execution cannot drop tools or " +
        "alter the image's binaries, and the container's state is exactly its image plus declared volumes.",
    remediationSteps: "Set securityContext.readOnlyRootFilesystem: true on each container; mount an emptyDir at paths it must write (/tmp, caches).",
    enforcementLevel: "mandatory",
    severity: "medium",
    validateResource: validateReadOnlyRootFilesystem,
};

export const resourceRequestsAndLimits: ResourceValidationPolicy = {
    name: "k8s-resource-requests-limits",
    description:
        "Every container declares CPU and memory requests and limits. Requests drive scheduling and the HPA's utilization " +
        "targets; limits keep one runaway or attacked pod from starving its neighbours on a shared node.",
    remediationSteps: "Set resources.requests.cpu/memory and resources.limits.cpu/memory on every container and init container.",
    enforcementLevel: "mandatory",
    severity: "medium",
    validateResource: validateResourceRequestsAndLimits,
};

export const imageTagsPinned: ResourceValidationPolicy = {
    name: "k8s-image-tag-pinned",
    description:
        "Every image has an explicit tag other than latest, or a digest. A mutable tag lets the running code change without a " +
        "reviewed diff, and makes rollbacks and incident forensics guesswork.",
    remediationSteps: "Reference images as repo:1.2.3 or repo@sha256:<digest>; publish a new tag per build.",
    enforcementLevel: "mandatory",
    severity: "medium",
    validateResource: validateImageTags,
};

export const imagesFromAcr: ResourceValidationPolicy = {
    name: "k8s-image-from-acr",
    description:
        "Every image is pulled from an Azure Container Registry. The stack imports third-party images into its own ACR by " +
        "digest and builds its own there; an image from a public registry is unpinned by that process, unscanned, and subject " +
        "to the upstream's availability and pull limits when a node scales out.",
    remediationSteps: "Add the upstream reference, pinned by digest, to the config map `images` and pass the in-ACR reference to the workload.",
    enforcementLevel: "mandatory",
    severity: "medium",
    validateResource: validateImageRegistry,
};

export const loadBalancerAllowList: ResourceValidationPolicy = {
    name: "k8s-loadbalancer-allowlist",
    description:
        "Only allow-listed Services may be of type LoadBalancer (default: mcp-server). Every LoadBalancer opens a new entry point " +
        "to the cluster; an unreviewed one (for example Qdrant, which has no TLS) exposes data and credits.",
    remediationSteps: "Use type ClusterIP for internal services; add a reviewed service to this policy's allowedServices config.",
    enforcementLevel: "mandatory",
    severity: "high",
    configSchema: {
        properties: {
            allowedServices: {
                type: "array",
                items: { type: "string" },
                default: DEFAULT_ALLOWED_LOAD_BALANCERS,
                description: "Service names (metadata.name, or the logical name when autonamed), or namespace/name pairs.",
            },
        },
    },
    validateResource: validateLoadBalancerAllowList,
};

export const namespacesEnforceRestricted: StackValidationPolicy = {
    name: "k8s-namespace-enforces-restricted",
    description:
        "Every namespace that runs workloads is managed by the stack and enforces Pod Security Standards restricted " +
        `(${PSS_ENFORCE_LABEL}: restricted), so the API server, not only this policy pack, rejects non-compliant pods ` +
        "(including ones created later with kubectl).",
    remediationSteps: `Declare the namespace in the program with metadata.labels["${PSS_ENFORCE_LABEL}"] = "restricted".`,
    enforcementLevel: "mandatory",
    severity: "high",
    validateStack: validateNamespacesEnforceRestricted,
};

export const namespacesDefaultDeny: StackValidationPolicy = {
    name: "k8s-namespace-default-deny",
    description:
        "Every namespace that runs workloads has default-deny NetworkPolicies for ingress and egress (podSelector: {}), so each " +
        "allowed flow is explicit and a compromised pod cannot reach the rest of the cluster or the node metadata endpoint.",
    remediationSteps: "Add a NetworkPolicy with podSelector: {}, policyTypes: [Ingress, Egress] and no rules; then allow flows one by one.",
    enforcementLevel: "mandatory",
    severity: "high",
    validateStack: validateNamespacesDefaultDeny,
};

export const hpaTargetsOmitReplicas: StackValidationPolicy = {
    name: "k8s-hpa-target-omits-replicas",
    description:
        "No Deployment (or StatefulSet) that an HPA scales also declares spec.replicas. Pulumi would reset the count on every " +
        "update, scaling a loaded service down to the declared number (DESIGN.md pitfall 3).",
    remediationSteps: "Remove spec.replicas from the workload; set the floor with the HPA's minReplicas.",
    enforcementLevel: "mandatory",
    severity: "medium",
    validateStack: validateHpaTargetsOmitReplicas,
};

export const pdbAllowsDrain: StackValidationPolicy = {
    name: "k8s-pdb-allows-drain",
    description:
        "No PodDisruptionBudget blocks a node drain: maxUnavailable is never 0, and minAvailable stays below the pods the " +
        "workload runs at its floor (replicas, or HPA minReplicas). A blocking budget stalls AKS upgrades and node-image " +
        "security patches indefinitely (DESIGN.md pitfall 4).",
    remediationSteps: "Use maxUnavailable: 1, or a minAvailable lower than the replica count / HPA minReplicas.",
    enforcementLevel: "mandatory",
    severity: "high",
    validateStack: validatePdbAllowsDrain,
};

export const kubernetesResourcePolicies: ResourceValidationPolicy[] = [
    podSecurityRestricted,
    readOnlyRootFilesystem,
    resourceRequestsAndLimits,
    imageTagsPinned,
    imagesFromAcr,
    loadBalancerAllowList,
];

export const kubernetesStackPolicies: StackValidationPolicy[] = [namespacesEnforceRestricted, namespacesDefaultDeny, hpaTargetsOmitReplicas, pdbAllowsDrain];
