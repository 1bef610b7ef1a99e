/**
 * An offline Fairwinds Polaris audit of plain Kubernetes manifests, with the check definitions Polaris
 * ships (tests/polaris/checks, severities from tests/polaris/default.yaml; see tests/polaris/README.md).
 *
 * Each check's JSON Schema is evaluated with ajv (draft 2019-09, as the checks declare) against the object
 * Polaris would validate: the controller, its pod spec, its pod template, each container (or, for
 * `schemaTarget: PodSpec`, the pod spec reduced to that one container), or an object of the targeted kind.
 * Polaris renders schemas as Go templates and looks up other objects (`additionalSchemaStrings`); the few
 * checks that need that are implemented by hand below (HAND_CHECKS) and the rest are listed in SKIPPED
 * with the reason. A skipped check fails loudly if the manifests ever contain an object it targets.
 */
import * as fs from "fs";
import * as path from "path";
import * as YAML from "yaml";
import Ajv2019 from "ajv/dist/2019";
import type { ValidateFunction } from "ajv";

export const POLARIS_DIR = path.join(__dirname, "polaris");

export type Severity = "danger" | "warning" | "ignore";

export interface Manifest {
    apiVersion: string;
    kind: string;
    metadata: { name: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string> };
    [k: string]: any;
}

export interface PolarisCheck {
    id: string;
    target: string;
    schemaTarget?: string;
    controllers?: { include?: string[]; exclude?: string[] };
    containers?: { exclude?: string[] };
    schema?: Record<string, unknown>;
    schemaString?: string;
    additionalSchemaStrings?: Record<string, string>;
    failureMessage?: string;
}

export interface PolarisResult {
    check: string;
    severity: Severity;
    /** `Kind/name` of the audited object. */
    object: string;
    container?: string;
    passed: boolean;
    /** True when an exemption annotation on the object turned the check off (Polaris drops these). */
    exempt: boolean;
    message: string;
}

/**
 * Checks not evaluated, with the reason. Each needs a Go template over a referenced Role/ClusterRole
 * (`additionalSchemaStrings`); the workloads layer creates no RBAC objects, so they have nothing to audit.
 */
export const SKIPPED: Record<string, string> = {
    clusterrolebindingClusterAdmin: "needs a Go-templated lookup of the bound ClusterRole; no ClusterRoleBindings in the manifests",
    clusterrolebindingPodExecAttach: "needs a Go-templated lookup of the bound ClusterRole; no ClusterRoleBindings in the manifests",
    rolebindingClusterAdminClusterRole: "needs a Go-templated lookup of the bound ClusterRole; no RoleBindings in the manifests",
    rolebindingClusterAdminRole: "needs a Go-templated lookup of the bound Role; no RoleBindings in the manifests",
    rolebindingClusterRolePodExecAttach: "needs a Go-templated lookup of the bound ClusterRole; no RoleBindings in the manifests",
    rolebindingRolePodExecAttach: "needs a Go-templated lookup of the bound Role; no RoleBindings in the manifests",
};

/** Kinds whose pods Polaris audits, and where their pod template sits. */
const CONTROLLERS: Record<string, (m: Manifest) => any> = {
    Deployment: (m) => m.spec?.template,
    StatefulSet: (m) => m.spec?.template,
    DaemonSet: (m) => m.spec?.template,
    ReplicaSet: (m) => m.spec?.template,
    Job: (m) => m.spec?.template,
    CronJob: (m) => m.spec?.jobTemplate?.spec?.template,
    Pod: (m) => ({ metadata: m.metadata, spec: m.spec }),
};

const PER_CONTROLLER_TARGETS = new Set(["Controller", "PodSpec", "PodTemplate", "Container"]);

/**
 * Go's RE2 writes case-insensitivity as an inline `(?i)` (e.g. `^(?i)ALL$`), which JavaScript rejects.
 * Every `(?i)` in the checks stands at the start of the pattern (after an optional `^`), so it is
 * equivalent to the `i` flag on the whole pattern.
 */
function goRegExp(pattern: string, flags: string): RegExp {
    let f = flags;
    const source = pattern.replace(/\(\?i\)/g, () => {
        if (!f.includes("i")) f += "i";
        return "";
    });
    return new RegExp(source, f);
}
goRegExp.code = "new RegExp";

// strict: false -- the checks carry `$comment`s and keywords in places ajv's strict mode rejects; no
// `format` keyword is used, so ajv-formats is not needed.
const ajv = new Ajv2019({ strict: false, allErrors: true, code: { regExp: goRegExp } });

/**
 * Go's JSON Schema library reads a bare `required:` (null, as hostPortSet has) as "nothing required";
 * the 2019-09 meta-schema rejects it, so drop it before compiling.
 */
function normalize(schema: any): any {
    if (Array.isArray(schema)) return schema.map(normalize);
    if (schema === null || typeof schema !== "object") return schema;
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(schema)) {
        if (k === "required" && v === null) continue;
        out[k] = normalize(v);
    }
    return out;
}

const compiled = new Map<string, ValidateFunction>();
function compile(schema: unknown): ValidateFunction {
    const keyText = JSON.stringify(schema);
    let fn = compiled.get(keyText);
    if (!fn) {
        fn = ajv.compile(normalize(schema) as object);
        compiled.set(keyText, fn);
    }
    return fn;
}

function validate(schema: unknown, data: unknown): string | undefined {
    const fn = compile(schema);
    return fn(data) ? undefined : ajv.errorsText(fn.errors);
}

function get(obj: any, dotted: string): any {
    return dotted.split(".").reduce((o, k) => (o === null || o === undefined ? undefined : o[k]), obj);
}

/**
 * Renders the one Go-template form a template-free check's `schema` may hold, `{{ .a.b }}` (as in
 * metadataAndInstanceMismatched), against the audited object. Anything else must be a hand check.
 */
function renderSchema(check: PolarisCheck, object: unknown): unknown {
    const text = check.schema !== undefined ? JSON.stringify(check.schema) : undefined;
    if (text !== undefined) {
        const rendered = text.replace(/\{\{\s*\.([\w.]+)\s*\}\}/g, (_, p: string) => JSON.stringify(String(get(object, p) ?? "")).slice(1, -1));
        if (rendered.includes("{{")) throw new Error(`${check.id}: unsupported Go template in schema`);
        return JSON.parse(rendered);
    }
    if (check.schemaString === undefined) throw new Error(`${check.id}: no schema`);
    if (check.schemaString.includes("{{")) throw new Error(`${check.id}: unsupported Go template in schemaString`);
    return YAML.parse(check.schemaString);
}

export function loadChecks(dir: string = path.join(POLARIS_DIR, "checks")): PolarisCheck[] {
    return fs
        .readdirSync(dir)
        .filter((f) => f.endsWith(".yaml"))
        .sort()
        .map((f) => ({ id: path.basename(f, ".yaml"), ...YAML.parse(fs.readFileSync(path.join(dir, f), "utf8")) }));
}

export function loadSeverities(file: string = path.join(POLARIS_DIR, "default.yaml")): Record<string, Severity> {
    return YAML.parse(fs.readFileSync(file, "utf8")).checks;
}

/** What a check sees of one audited unit. */
interface Unit {
    object: Manifest;
    /** The validated data (controller, pod spec, pod template, container, reduced pod spec or object). */
    data: any;
    controller?: Manifest;
    podTemplate?: any;
    podSpec?: any;
    container?: any;
    all: Manifest[];
}

function sameNamespace(all: Manifest[], object: Manifest, kind: string): Manifest[] {
    return all.filter((m) => m.kind === kind && (m.metadata.namespace ?? "") === (object.metadata.namespace ?? ""));
}

/** `{{ if not $podX }}`-style truthiness: Go templates treat empty maps, lists and strings as false. */
function truthy(v: unknown): boolean {
    if (v === null || v === undefined || v === false || v === "" || v === 0) return false;
    if (Array.isArray(v)) return v.length > 0;
    if (typeof v === "object") return Object.keys(v as object).length > 0;
    return true;
}

/**
 * Checks whose schema is a Go template or needs other objects, implemented by hand after the check's
 * YAML. Each returns a failure message, or undefined when it passes. `primary` is the template-free
 * part of the check's own schema (evaluated with ajv first).
 */
const HAND_CHECKS: Record<string, (u: Unit, check: PolarisCheck) => string | undefined> = {
    // PodSpec schema, plus (when the pod does not opt out itself) its ServiceAccount must set false.
    automountServiceAccountToken: (u, check) => {
        const primary = validate(check.schema, u.data);
        if (primary) return primary;
        if (u.podSpec.automountServiceAccountToken === false) return undefined;
        const name = u.podSpec.serviceAccountName ?? "";
        const sa = sameNamespace(u.all, u.object, "ServiceAccount").find((s) => s.metadata.name === name);
        return sa?.automountServiceAccountToken === false ? undefined : `ServiceAccount "${name}" does not set automountServiceAccountToken: false`;
    },
    hpaMaxAvailability: (u) => {
        const { minReplicas, maxReplicas } = u.data.spec ?? {};
        if (!Number.isInteger(maxReplicas) || maxReplicas < 1) return "spec.maxReplicas must be an integer >= 1";
        if (minReplicas !== undefined && (!Number.isInteger(minReplicas) || minReplicas < 1)) return "spec.minReplicas must be an integer >= 1";
        if (minReplicas && !(maxReplicas > minReplicas)) return `maxReplicas ${maxReplicas} must exceed minReplicas ${minReplicas}`;
        return undefined;
    },
    // Per container: an AppArmor annotation, or a seccomp profile, SELinux options or dropped capabilities.
    linuxHardening: (u) => {
        const c = u.container;
        const annotations = u.podTemplate?.metadata?.annotations ?? {};
        if (truthy(annotations[`container.apparmor.security.beta.kubernetes.io/${c.name}`])) return undefined;
        const podType = u.podSpec.securityContext?.seccompProfile?.type;
        const cType = c.securityContext?.seccompProfile?.type;
        const seccomp =
            !podType || podType === "Unconfined"
                ? typeof cType === "string" && cType.length > 0 && cType !== "Unconfined"
                : cType === undefined || (typeof cType === "string" && cType !== "Unconfined");
        const selinux = truthy(u.podSpec.securityContext?.seLinuxOptions) || truthy(c.securityContext?.seLinuxOptions);
        const caps = c.securityContext?.capabilities;
        const drop = Array.isArray(caps?.drop) && caps.drop.length > 0 && !(caps.add ?? []).some((a: string) => /^ALL$/i.test(a));
        return seccomp || selinux || drop ? undefined : "no seccomp profile, SELinux options, AppArmor annotation or dropped capabilities";
    },
    // PodTemplate schema, plus a NetworkPolicy in the namespace selecting exactly one of the pod's labels
    // (the template's `oneOf` over them) with ingress and egress rules and both policy types.
    missingNetworkPolicy: (u, check) => {
        const primary = validate(check.schema, u.data);
        if (primary) return primary;
        const podLabels: Record<string, string> = u.podTemplate?.metadata?.labels ?? {};
        const ok = sameNamespace(u.all, u.object, "NetworkPolicy").some((np) => {
            const spec = np.spec ?? {};
            const match = spec.podSelector?.matchLabels;
            if (!match || typeof match !== "object") return false;
            const hits = Object.entries(podLabels).filter(([k, v]) => match[k] === v).length;
            const types: string[] | undefined = spec.policyTypes;
            return (
                hits === 1 &&
                Array.isArray(spec.egress) && spec.egress.length > 0 &&
                Array.isArray(spec.ingress) && spec.ingress.length > 0 &&
                (types === undefined || (types.some((t) => /^Egress$/i.test(t)) && types.some((t) => /^Ingress$/i.test(t))))
            );
        });
        return ok ? undefined : "no NetworkPolicy with ingress and egress rules matches the pod labels";
    },
    // Controller schema, plus a PodDisruptionBudget in the namespace matching any of the pod's labels.
    missingPodDisruptionBudget: (u, check) => {
        const primary = validate(check.schema, u.data);
        if (primary) return primary;
        const podLabels: Record<string, string> = u.podTemplate?.metadata?.labels ?? {};
        const ok = sameNamespace(u.all, u.object, "PodDisruptionBudget").some((pdb) => {
            const match = pdb.spec?.selector?.matchLabels;
            return match && Object.entries(podLabels).some(([k, v]) => match[k] === v);
        });
        return ok ? undefined : "no PodDisruptionBudget matches the pod labels";
    },
    // Polaris implements this one in Go: a PDB's integer minAvailable above the HPA's minReplicas blocks
    // every voluntary eviction at minimum scale. (A percentage can never exceed the replica count.)
    pdbMinAvailableGreaterThanHPAMinReplicas: (u) => {
        const hpa = sameNamespace(u.all, u.object, "HorizontalPodAutoscaler").find(
            (h) => h.spec?.scaleTargetRef?.kind === u.object.kind && h.spec?.scaleTargetRef?.name === u.object.metadata.name,
        );
        if (!hpa) return undefined;
        const podLabels: Record<string, string> = u.podTemplate?.metadata?.labels ?? {};
        const pdb = sameNamespace(u.all, u.object, "PodDisruptionBudget").find((p) => {
            const match = p.spec?.selector?.matchLabels;
            return match && Object.entries(match).every(([k, v]) => podLabels[k] === v);
        });
        const minAvailable = pdb?.spec?.minAvailable;
        const minReplicas = hpa.spec.minReplicas ?? 1;
        return typeof minAvailable === "number" && minAvailable > minReplicas
            ? `PDB ${pdb!.metadata.name} minAvailable ${minAvailable} > HPA minReplicas ${minReplicas}`
            : undefined;
    },
};

/** `apps/Deployment` -> matches apiVersion `apps/v1`, kind Deployment; `/ConfigMap` -> core `v1`. */
function matchesKindTarget(target: string, m: Manifest): boolean {
    const slash = target.lastIndexOf("/");
    const group = slash < 0 ? "" : target.slice(0, slash);
    const kind = slash < 0 ? target : target.slice(slash + 1);
    const apiGroup = m.apiVersion.includes("/") ? m.apiVersion.split("/")[0] : "";
    return m.kind === kind && apiGroup === group;
}

function isExempt(m: Manifest, checkId: string): boolean {
    const a = m.metadata.annotations ?? {};
    const on = (v: string | undefined) => (v ?? "").toLowerCase() === "true";
    return on(a["polaris.fairwinds.com/exempt"]) || on(a[`polaris.fairwinds.com/${checkId}-exempt`]);
}

function unitsFor(check: PolarisCheck, m: Manifest, all: Manifest[]): Unit[] {
    if (!PER_CONTROLLER_TARGETS.has(check.target)) return matchesKindTarget(check.target, m) ? [{ object: m, data: m, all }] : [];
    const templateOf = CONTROLLERS[m.kind];
    if (!templateOf) return [];
    if (check.controllers?.include && !check.controllers.include.includes(m.kind)) return [];
    if (check.controllers?.exclude?.includes(m.kind)) return [];
    const podTemplate = templateOf(m);
    const podSpec = podTemplate?.spec ?? {};
    const base = { object: m, controller: m, podTemplate, podSpec, all };
    switch (check.target) {
        case "Controller":
            return [{ ...base, data: m }];
        case "PodSpec":
            return [{ ...base, data: podSpec }];
        case "PodTemplate":
            return [{ ...base, data: podTemplate }];
        default: {
            const containers: any[] = [...(podSpec.containers ?? [])];
            if (!check.containers?.exclude?.includes("initContainer")) containers.push(...(podSpec.initContainers ?? []));
            return containers.map((c) => ({
                ...base,
                container: c,
                // Polaris validates a copy of the pod spec holding just this container.
                data: check.schemaTarget === "PodSpec" ? { ...podSpec, initContainers: [], containers: [c] } : c,
            }));
        }
    }
}

/**
 * Audits `manifests` with every check that has a severity other than `ignore`. One result per check and
 * audited unit (object, or container of a controller); exempted units are reported with `exempt: true`.
 */
export function polarisAudit(manifests: readonly Manifest[], checks = loadChecks(), severities = loadSeverities()): PolarisResult[] {
    const all = manifests.map((m) => JSON.parse(JSON.stringify(m)) as Manifest);
    const results: PolarisResult[] = [];
    for (const check of checks) {
        const severity = severities[check.id] ?? "ignore";
        if (severity === "ignore") continue;
        for (const m of all) {
            for (const unit of unitsFor(check, m, all)) {
                const base = { check: check.id, severity, object: `${m.kind}/${m.metadata.name}`, ...(unit.container ? { container: unit.container.name } : {}) };
                if (isExempt(m, check.id)) {
                    results.push({ ...base, passed: true, exempt: true, message: "exempt by annotation" });
                    continue;
                }
                let error: string | undefined;
                if (check.id in SKIPPED) error = `check not implemented offline (${SKIPPED[check.id]})`;
                else if (check.id in HAND_CHECKS) error = HAND_CHECKS[check.id](unit, check);
                else error = validate(renderSchema(check, unit.data), unit.data);
                results.push({ ...base, passed: error === undefined, exempt: false, message: error ?? "ok" });
            }
        }
    }
    return results;
}

/** One line per result, for assertion messages. */
export function formatResult(r: PolarisResult): string {
    return `${r.severity} ${r.check} ${r.object}${r.container ? `[${r.container}]` : ""}: ${r.message}`;
}
