/**
 * Reads and validates the whole stack config into one typed, frozen object, before any resource is
 * declared. parseStackConfig is pure (raw key/value map in, StackConfig out) so that it is tested without
 * mocks; loadStackConfig reads the raw map from the Pulumi runtime.
 *
 * Every problem becomes one line of a ConfigError that names the key, the bad value, what is allowed and
 * the `pulumi config set` command that fixes it. Secret values never appear in it.
 */
import * as util from "util";
import * as pulumi from "@pulumi/pulumi";
import * as ipaddr from "ipaddr.js";
import { z } from "zod";
import { DEFAULT_API_KEYS, DEFAULT_MCP_SETTINGS, ENVIRONMENTS, Environment, environmentDefaults } from "./config-defaults";
import { azureNames, nameViolations, keyVaultSecretName, NameStem } from "./naming";

export { Environment } from "./config-defaults";

/** The Pulumi project name, which is also the config namespace (`mcp-aks:cluster`). */
export const PROJECT = "mcp-aks";

/**
 * A secret config value. It cannot be printed, logged or serialised by accident: only reveal() gives
 * the value, and callers pass that straight to pulumi.secret().
 */
export class SecretValue {
    readonly #value: string;
    constructor(value: string) {
        this.#value = value;
    }
    reveal(): string {
        return this.#value;
    }
    toString(): string {
        return "[secret]";
    }
    toJSON(): string {
        return "[secret]";
    }
    [util.inspect.custom](): string {
        return "[secret]";
    }
}

export type KubeloginMode = "azurecli" | "workloadidentity" | "spn" | "msi";

export interface NodePoolConfig {
    readonly vmSize: string;
    readonly minCount: number;
    readonly maxCount: number;
    readonly osDiskType: "Ephemeral" | "Managed";
    readonly osDiskSizeGB: number;
}

export interface ResourcesConfig {
    readonly requests: { readonly cpu: string; readonly memory: string };
    readonly limits: { readonly cpu: string; readonly memory: string };
}

export interface AccessConfig {
    /** Entra group object ids whose members are cluster admins (the break-glass path; required in prod). */
    readonly adminGroups: readonly string[];
    /** Object id of the CI service principal (its enterprise application, not the app id), or null. */
    readonly ciServicePrincipal: string | null;
    /** Object ids of individual users, for a single-person dev setup. */
    readonly adminUsers: readonly string[];
}

export interface StackConfig {
    readonly project: string;
    readonly stack: string;
    readonly environment: Environment;
    readonly location: string;
    readonly namePrefix: string;
    readonly tags: Readonly<Record<string, string>>;
    readonly kubeloginMode: KubeloginMode;
    /** Who administers the cluster: Entra object ids, never whoever runs `pulumi up`. */
    readonly access: AccessConfig;
    readonly cluster: {
        readonly kubernetesVersion?: string;
        readonly tier: "Free" | "Standard" | "Premium";
        readonly zones: readonly string[];
        readonly systemPool: NodePoolConfig;
        readonly userPool: NodePoolConfig | null;
        readonly authorizedIpRanges: readonly string[];
        readonly upgradeChannel: "patch" | "stable" | "rapid" | "node-image" | "none";
        readonly nodeOsUpgradeChannel: "NodeImage" | "SecurityPatch" | "Unmanaged" | "None";
        readonly network: { readonly podCidr: string; readonly serviceCidr: string; readonly dnsServiceIp: string };
        readonly managedPrometheus: boolean;
        readonly logRetentionDays: number;
        readonly logDailyQuotaGb: number;
    };
    readonly registry: { readonly sku: "Basic" | "Standard" | "Premium" };
    readonly keyVault: {
        readonly sku: "standard" | "premium";
        readonly softDeleteRetentionDays: number;
        readonly purgeProtection: boolean;
    };
    /** Env var names of the API keys; each has a secret config key of the same name. */
    readonly apiKeys: readonly string[];
    /** The API key values by env var name. */
    readonly secrets: Readonly<Record<string, SecretValue>>;
    readonly namespace: string;
    readonly mcpServer: {
        /** `repo:tag` or `repo@sha256:...` in the stack's ACR, or a full reference with a registry host. */
        readonly image: string;
        readonly minReplicas: number;
        readonly maxReplicas: number;
        readonly resources: ResourcesConfig;
        readonly targetCpuUtilization: number;
        readonly targetMemoryUtilization: number;
        /** Size limit of the per-pod SQLite index volume. */
        readonly dataVolumeSize: string;
        /** Command of an init container that fills the per-pod index; empty: the server fills it on start. */
        readonly indexInitCommand: readonly string[];
        /** Extra or overriding non-secret settings for the ConfigMap, merged over DEFAULT_MCP_SETTINGS. */
        readonly settings: Readonly<Record<string, string>>;
    };
    readonly endpoint: {
        readonly internal: boolean;
        readonly sourceRanges: readonly string[];
        readonly idleTimeoutMinutes: number;
    };
    readonly qdrant: {
        readonly image: string;
        readonly storageSize: string;
        readonly resources: ResourcesConfig;
    };
}

/** One problem with the stack config, in the words the error message uses. */
export interface ConfigProblem {
    /** Dotted path below the project namespace, e.g. `cluster.systemPool.minCount`. */
    readonly key: string;
    /** The offending value, already redacted if secret; undefined when the key is missing. */
    readonly value: unknown;
    readonly allowed: string;
    readonly fix: string;
}

export class ConfigError extends Error {
    constructor(
        readonly stack: string,
        readonly problems: readonly ConfigProblem[],
    ) {
        super(formatProblems(stack, problems));
        this.name = "ConfigError";
    }
}

function formatProblems(stack: string, problems: readonly ConfigProblem[]): string {
    const lines = problems.map((p) => {
        const got = p.value === undefined ? "is not set" : `is ${JSON.stringify(p.value)}`;
        return `  - ${PROJECT}:${p.key} ${got}; allowed: ${p.allowed}.\n    fix: ${p.fix}`;
    });
    const count = problems.length === 1 ? "1 problem" : `${problems.length} problems`;
    return `Invalid config for stack "${stack}" (${count}):\n${lines.join("\n")}`;
}

// ---------------------------------------------------------------------------------------------------
// Schema. Each leaf carries the words for "allowed", which become the error message.

const VM_SIZE = /^Standard_[A-Za-z0-9_]+$/;
const CPU_QUANTITY = /^(\d+m|\d+(\.\d+)?)$/;
const MEMORY_QUANTITY = /^\d+(Ki|Mi|Gi|Ti)$/;
const ENV_VAR = /^[A-Z][A-Z0-9_]*$/;
const K8S_NAME = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
/** repository[:tag][@sha256:digest], with a tag or a digest, as the OCI distribution spec names them. */
const IMAGE_REF = /^[a-z0-9]+([._-][a-z0-9]+)*(:[0-9]+)?(\/[a-z0-9]+([._-][a-z0-9]+)*)*(:[A-Za-z0-9_][A-Za-z0-9_.-]{0,127})?(@sha256:[a-f0-9]{64})?$/;

function allowedText(allowed: string) {
    return { error: allowed };
}

function int(min: number, max: number) {
    const a = allowedText(`an integer from ${min} to ${max}`);
    return z.int(a).min(min, a).max(max, a);
}

function text(pattern: RegExp, allowed: string) {
    const a = allowedText(allowed);
    return z.string(a).regex(pattern, a);
}

function oneOf<T extends readonly [string, ...string[]]>(values: T) {
    return z.enum(values, allowedText(`one of ${values.join(", ")}`));
}

function bool() {
    return z.boolean(allowedText("true or false"));
}

function isCidr(value: string): boolean {
    try {
        ipaddr.parseCIDR(value);
        return value.includes("/");
    } catch {
        return false;
    }
}

/** An Entra object id: a GUID in its canonical 8-4-4-4-12 hex form, as `az ad ... show --query id` prints it. */
export const OBJECT_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** How to look up each kind of admin principal's object id. */
export const OBJECT_ID_LOOKUP = {
    group: "az ad group show --group '<group name>' --query id -o tsv",
    "service principal": "az ad sp show --id <app-id> --query id -o tsv",
    user: "az ad signed-in-user show --query id -o tsv",
} as const;

function objectId(kind: keyof typeof OBJECT_ID_LOOKUP) {
    const a = allowedText(`an Entra ${kind} object id (a GUID such as 3f2a1b4c-5d6e-4f70-8192-a3b4c5d6e7f8; find it with: ${OBJECT_ID_LOOKUP[kind]})`);
    return z.string(a).regex(OBJECT_ID, a);
}

const cidr = z.string(allowedText("a CIDR such as 203.0.113.0/24")).refine(isCidr, allowedText("a CIDR such as 203.0.113.0/24"));
const cidrList = z.array(cidr, allowedText("a list of CIDRs such as [\"203.0.113.0/24\"]"));

const nodePool = z.strictObject({
    vmSize: text(VM_SIZE, "an Azure VM size string such as Standard_D2ds_v5"),
    minCount: int(1, 100),
    maxCount: int(1, 100),
    osDiskType: oneOf(["Ephemeral", "Managed"] as const),
    osDiskSizeGB: int(30, 2048),
});

const resources = z.strictObject({
    requests: z.strictObject({
        cpu: text(CPU_QUANTITY, "a CPU quantity such as 250m or 1"),
        memory: text(MEMORY_QUANTITY, "a memory quantity such as 512Mi or 2Gi"),
    }),
    limits: z.strictObject({
        cpu: text(CPU_QUANTITY, "a CPU quantity such as 1000m or 1"),
        memory: text(MEMORY_QUANTITY, "a memory quantity such as 512Mi or 2Gi"),
    }),
});

const pinnedImage = text(IMAGE_REF, "an image reference pinned by tag or digest, such as mcp-server:1.0.0").refine(
    (ref) => /[:@]/.test(ref.split("/").pop() ?? "") && !/:latest$/.test(ref),
    allowedText("an image pinned by a tag other than latest, or by digest (repo@sha256:...)"),
);

const schema = z.strictObject({
    environment: oneOf(ENVIRONMENTS as unknown as readonly [Environment, ...Environment[]]),
    location: text(/^[a-z][a-z0-9]{2,30}$/, "an Azure region name such as westeurope or eastus2"),
    namePrefix: text(/^[a-z][a-z0-9]{0,11}$/, "1-12 lowercase letters and digits, starting with a letter"),
    tags: z.record(z.string(), z.string(allowedText("string tag values")), allowedText("a map of tag names to strings")),
    kubeloginMode: oneOf(["azurecli", "workloadidentity", "spn", "msi"] as const),
    access: z.strictObject({
        adminGroups: z.array(objectId("group"), allowedText("a list of Entra group object ids")),
        ciServicePrincipal: objectId("service principal").nullable(),
        adminUsers: z.array(objectId("user"), allowedText("a list of Entra user object ids")),
    }),
    apiKeys: z.array(text(ENV_VAR, "an env var name such as OPENAI_API_KEY"), allowedText("a list of env var names")),
    cluster: z.strictObject({
        kubernetesVersion: text(/^\d+\.\d+(\.\d+)?$/, "a Kubernetes version such as 1.33").optional(),
        tier: oneOf(["Free", "Standard", "Premium"] as const),
        zones: z.array(oneOf(["1", "2", "3"] as const), allowedText("a list of zones from \"1\", \"2\", \"3\"")),
        systemPool: nodePool,
        userPool: nodePool.nullable(),
        authorizedIpRanges: cidrList,
        upgradeChannel: oneOf(["patch", "stable", "rapid", "node-image", "none"] as const),
        nodeOsUpgradeChannel: oneOf(["NodeImage", "SecurityPatch", "Unmanaged", "None"] as const),
        network: z.strictObject({ podCidr: cidr, serviceCidr: cidr, dnsServiceIp: text(/^\d+\.\d+\.\d+\.\d+$/, "an IPv4 address") }),
        managedPrometheus: bool(),
        // Log Analytics accepts 30-730 days of interactive retention on the PerGB2018 SKU.
        logRetentionDays: int(30, 730),
        logDailyQuotaGb: z.number(allowedText("a number of GB per day, or -1 for no cap")).refine((n) => n === -1 || n > 0, allowedText("a number of GB per day above 0, or -1 for no cap")),
    }),
    registry: z.strictObject({ sku: oneOf(["Basic", "Standard", "Premium"] as const) }),
    keyVault: z.strictObject({
        sku: oneOf(["standard", "premium"] as const),
        softDeleteRetentionDays: int(7, 90),
        purgeProtection: bool(),
    }),
    namespace: text(K8S_NAME, "a Kubernetes namespace name (lowercase letters, digits, '-')").refine((n) => n.length <= 63, allowedText("at most 63 characters")),
    mcpServer: z.strictObject({
        image: pinnedImage,
        minReplicas: int(1, 50),
        maxReplicas: int(1, 100),
        resources,
        targetCpuUtilization: int(10, 100),
        targetMemoryUtilization: int(10, 100),
        dataVolumeSize: text(MEMORY_QUANTITY, "a size such as 5Gi"),
        indexInitCommand: z.array(z.string(), allowedText("a command as a list of strings, or []")),
        settings: z.record(text(ENV_VAR, "env var names such as LLM_MAX_TOKENS"), z.string(allowedText("string values (quote numbers)")), allowedText("a map of env var names to strings")),
    }),
    endpoint: z.strictObject({
        internal: bool(),
        sourceRanges: cidrList,
        idleTimeoutMinutes: int(4, 30),
    }),
    qdrant: z.strictObject({
        image: pinnedImage,
        storageSize: text(MEMORY_QUANTITY, "a size such as 10Gi"),
        resources,
    }),
});

type ParsedConfig = z.infer<typeof schema>;

/** Keys whose value is a plain string in the raw config map; every other key holds JSON. */
const STRING_KEYS = new Set(["environment", "location", "namePrefix", "kubeloginMode", "namespace"]);

/** Top-level keys that earlier versions read, with what replaced them: the error says so instead of "unknown key". */
const REMOVED_KEYS: Readonly<Record<string, string>> = {
    deployerPrincipalType:
        "this key was removed: cluster admins now come from access.adminGroups, access.ciServicePrincipal and access.adminUsers, never from whoever runs pulumi up (README \"Cluster administrators\")",
};

/** Settings the workloads layer derives itself; a stack may not override them. */
export const RESERVED_SETTINGS = ["MCP_PORT", "MCP_HOST", "QDRANT_URL", "QDRANT_API_KEY", "SQLITE_PATH"];

// ---------------------------------------------------------------------------------------------------

/** The raw config as Pulumi holds it: `mcp-aks:key` to string (objects and lists as JSON). */
export type RawConfig = Readonly<Record<string, string>>;

export interface ParseOptions {
    readonly stack: string;
    readonly project?: string;
    /** Fully qualified keys (`mcp-aks:OPENAI_API_KEY`) that Pulumi holds as secrets. */
    readonly secretKeys?: readonly string[];
}

function setCommand(stack: string, key: string, value: unknown, opts: { secret?: boolean; path?: boolean } = {}): string {
    const flags = [opts.secret ? "--secret" : "", opts.path ? "--path" : ""].filter(Boolean).join(" ");
    const shown = value === undefined ? "<value>" : typeof value === "string" ? value : JSON.stringify(value);
    const quote = (s: string) => (/^[\w./:@-]+$/.test(s) ? s : `'${s.replace(/'/g, "'\\''")}'`);
    return `pulumi config set ${flags ? flags + " " : ""}${quote(key)} ${quote(shown)} --stack ${stack}`;
}

function valueAt(obj: unknown, path: readonly PropertyKey[]): unknown {
    let cur: unknown = obj;
    for (const p of path) {
        if (cur === null || typeof cur !== "object") return undefined;
        cur = (cur as Record<PropertyKey, unknown>)[p];
    }
    return cur;
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
    return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** Objects merge key by key; anything else (lists included) replaces the default. */
function deepMerge(base: unknown, over: unknown): unknown {
    if (isPlainObject(base) && isPlainObject(over)) {
        const out: Record<string, unknown> = { ...base };
        for (const [k, v] of Object.entries(over)) out[k] = deepMerge(base[k], v);
        return out;
    }
    return over === undefined ? base : over;
}

/** A fix for a bad nested value: set it to the environment's default, or to a placeholder. */
function fixFor(stack: string, path: readonly PropertyKey[], defaults: unknown): string {
    const key = path.map(String).join(".");
    const def = valueAt(defaults, path);
    if (path.length === 1) return setCommand(stack, key, def);
    return setCommand(stack, key, def, { path: true });
}

function decodeRaw(key: string, raw: string): unknown {
    if (STRING_KEYS.has(key)) return raw;
    try {
        return JSON.parse(raw);
    } catch {
        // Pulumi stores a scalar set without --path as a plain string; JSON-only keys reject it below.
        return raw;
    }
}

function closest(word: string, candidates: readonly string[]): string | undefined {
    const lower = word.toLowerCase();
    return candidates.find((c) => c.toLowerCase() === lower || c.toLowerCase().startsWith(lower.slice(0, 4)));
}

/**
 * Validates the raw config of one stack and returns the typed config, or throws a ConfigError that lists
 * every problem at once. Pure: no Pulumi runtime needed.
 */
export function parseStackConfig(raw: RawConfig, options: ParseOptions): StackConfig {
    const stack = options.stack;
    const project = options.project ?? PROJECT;
    const secretKeys = new Set(options.secretKeys ?? []);
    const problems: ConfigProblem[] = [];

    // 1. Split the raw map into plain keys and secret API key values; reject foreign keys.
    const user: Record<string, unknown> = {};
    const secretValues: Record<string, { raw: string; isSecret: boolean }> = {};
    const knownKeys = Object.keys(schema.shape);
    for (const [fullKey, rawValue] of Object.entries(raw)) {
        const [ns, ...rest] = fullKey.split(":");
        if (ns !== project) continue; // other namespaces (azure-native:location, pulumi:tags) belong to others
        const key = rest.join(":");
        if (ENV_VAR.test(key)) {
            secretValues[key] = { raw: rawValue, isSecret: secretKeys.has(fullKey) };
        } else {
            user[key] = decodeRaw(key, rawValue);
        }
    }

    // 2. Environment first: the defaults depend on it.
    const envRaw = user.environment ?? (ENVIRONMENTS.includes(stack as Environment) ? stack : undefined);
    const environment: Environment = ENVIRONMENTS.includes(envRaw as Environment) ? (envRaw as Environment) : "dev";
    if (!ENVIRONMENTS.includes(envRaw as Environment)) {
        problems.push({
            key: "environment",
            value: envRaw,
            allowed: `one of ${ENVIRONMENTS.join(", ")} (the profile of defaults this stack uses)`,
            fix: setCommand(stack, "environment", "dev"),
        });
    }
    const defaults = environmentDefaults(environment);
    const merged = deepMerge({ ...defaults, environment }, user) as Record<string, unknown>;

    // 3. Shape, types and ranges.
    const result = schema.safeParse(merged);
    if (!result.success) {
        for (const issue of result.error.issues) {
            if (issue.code === "unrecognized_keys") {
                for (const extra of issue.keys) {
                    const path = [...issue.path, extra].map(String);
                    const candidates = issue.path.length === 0 ? knownKeys : Object.keys(valueAt(defaults, issue.path) ?? {});
                    const hint = closest(extra, candidates);
                    const removed = issue.path.length === 0 ? REMOVED_KEYS[extra] : undefined;
                    if (removed) {
                        problems.push({ key: extra, value: valueAt(merged, [extra]), allowed: `nothing: ${removed}`, fix: `pulumi config rm ${extra} --stack ${stack}` });
                        continue;
                    }
                    problems.push({
                        key: path.join("."),
                        value: valueAt(merged, [...issue.path, extra]),
                        allowed: `a known key${hint ? ` (did you mean "${[...issue.path.map(String), hint].join(".")}"?)` : ""}; known here: ${candidates.join(", ")}`,
                        fix: `pulumi config rm ${issue.path.length ? "--path " : ""}'${path.join(".")}' --stack ${stack}`,
                    });
                }
                continue;
            }
            if (issue.path[0] === "environment") continue; // reported above
            problems.push({
                key: issue.path.map(String).join("."),
                value: valueAt(merged, issue.path),
                allowed: issue.message,
                fix: issue.path[0] === "access" ? accessFix(stack, issue.path) : fixFor(stack, issue.path, defaults),
            });
        }
        throw new ConfigError(stack, problems);
    }
    const cfg: ParsedConfig = result.data;

    // 4. Rules across fields.
    problems.push(...crossFieldProblems(cfg, stack, defaults));

    // 5. Secrets: one per API key, set with --secret, never echoed.
    const secrets: Record<string, SecretValue> = {};
    for (const name of cfg.apiKeys) {
        const entry = secretValues[name];
        if (entry === undefined || entry.raw === "") {
            problems.push({ key: name, value: undefined, allowed: "the API key, stored as a secret", fix: setCommand(stack, name, undefined, { secret: true }) });
        } else if (!entry.isSecret) {
            problems.push({ key: name, value: "[plaintext, hidden]", allowed: "a value set with --secret, so that it is encrypted in the stack file", fix: setCommand(stack, name, undefined, { secret: true }) });
        } else {
            secrets[name] = new SecretValue(entry.raw);
        }
    }
    for (const name of Object.keys(secretValues)) {
        if (!cfg.apiKeys.includes(name)) {
            problems.push({
                key: name,
                value: "[hidden]",
                allowed: `an API key named in apiKeys (${cfg.apiKeys.join(", ") || "none"})`,
                fix: `${setCommand(stack, "apiKeys", [...cfg.apiKeys, name])}  (or: pulumi config rm ${name} --stack ${stack})`,
            });
        }
    }

    // 6. Names derived from the config must fit Azure's limits.
    const stem: NameStem = { prefix: cfg.namePrefix, stack: sanitizeStackName(stack) };
    for (const { name, rule } of nameViolations(azureNames(stem))) {
        problems.push({
            key: "namePrefix",
            value: cfg.namePrefix,
            allowed: `a prefix short enough for the ${rule.what} name "${name}" (${name.length} characters; Azure allows ${rule.allowed})`,
            fix: setCommand(stack, "namePrefix", "mcp"),
        });
    }

    if (problems.length > 0) throw new ConfigError(stack, problems);

    return deepFreeze({ ...cfg, project, stack, environment, secrets }) as StackConfig;
}

/** Lowercase letters and digits of the stack name: the part of Azure names that identifies the stack. */
export function sanitizeStackName(stack: string): string {
    return stack.toLowerCase().replace(/[^a-z0-9]/g, "");
}

/**
 * The command that sets an admin object id, looked up by the az CLI in the same line. Double quotes around
 * `$(...)` so the shell runs the lookup; the id is a GUID, which Pulumi stores as a string.
 */
export function accessFix(stack: string, path: readonly PropertyKey[]): string {
    const [, field, index] = path.map(String);
    if (field === "ciServicePrincipal") {
        return `pulumi config set --path access.ciServicePrincipal "$(${OBJECT_ID_LOOKUP["service principal"]})" --stack ${stack}`;
    }
    const list = field === "adminUsers" ? "adminUsers" : "adminGroups";
    const lookup = list === "adminUsers" ? OBJECT_ID_LOOKUP.user : OBJECT_ID_LOOKUP.group;
    const at = index !== undefined && /^\d+$/.test(index) ? index : "0";
    return `pulumi config set --path 'access.${list}[${at}]' "$(${lookup})" --stack ${stack}`;
}

/** One configured cluster admin: where it is set, its object id and its kind (the role assignment's principalType). */
export interface AdminPrincipal {
    /** The config path that holds it, as `--path` takes it (`access.adminGroups[0]`). */
    readonly key: string;
    readonly objectId: string;
    readonly type: "Group" | "ServicePrincipal" | "User";
}

/** Every configured cluster admin: groups, then the CI service principal, then users. */
export function adminPrincipals(access: AccessConfig): AdminPrincipal[] {
    return [
        ...access.adminGroups.map((objectId, i) => ({ key: `access.adminGroups[${i}]`, objectId, type: "Group" as const })),
        ...(access.ciServicePrincipal ? [{ key: "access.ciServicePrincipal", objectId: access.ciServicePrincipal, type: "ServicePrincipal" as const }] : []),
        ...access.adminUsers.map((objectId, i) => ({ key: `access.adminUsers[${i}]`, objectId, type: "User" as const })),
    ];
}

function accessProblems(cfg: ParsedConfig, stack: string): ConfigProblem[] {
    const problems: ConfigProblem[] = [];
    const admins = adminPrincipals(cfg.access);
    if (admins.length === 0) {
        // Local accounts are off: with no admin, the program's own Kubernetes calls get 403 and nobody can
        // ever manage the cluster without a manual role assignment.
        problems.push({
            key: "access",
            value: cfg.access,
            allowed:
                cfg.environment === "prod"
                    ? "at least one admin group in access.adminGroups: with no admin nobody, not even pulumi up, can reach the cluster"
                    : "at least one admin (access.adminGroups, access.ciServicePrincipal or access.adminUsers): with no admin nobody, not even pulumi up, can reach the cluster",
            fix: accessFix(stack, ["access", cfg.environment === "prod" ? "adminGroups" : "adminUsers", 0]),
        });
    } else if (cfg.environment === "prod" && cfg.access.adminGroups.length === 0) {
        problems.push({
            key: "access.adminGroups",
            value: [],
            allowed: "at least one Entra group in prod: a break-glass admin group whose membership is managed in Entra ID, so losing one person or the CI identity never locks the cluster",
            fix: accessFix(stack, ["access", "adminGroups", 0]),
        });
    }
    const seen = new Map<string, string>();
    for (const { key: where, objectId } of admins) {
        const id = objectId.toLowerCase();
        const first = seen.get(id);
        if (first) {
            problems.push({
                key: "access",
                value: objectId,
                allowed: `each object id once (${first} and ${where} hold the same one; its role assignment would be declared twice)`,
                fix: `pulumi config rm --path '${where}' --stack ${stack}`,
            });
        } else {
            seen.set(id, where);
        }
    }
    return problems;
}

function crossFieldProblems(cfg: ParsedConfig, stack: string, defaults: Record<string, unknown>): ConfigProblem[] {
    const problems: ConfigProblem[] = [...accessProblems(cfg, stack)];
    const pools: Array<[string, ParsedConfig["cluster"]["systemPool"] | null]> = [
        ["cluster.systemPool", cfg.cluster.systemPool],
        ["cluster.userPool", cfg.cluster.userPool],
    ];
    for (const [key, pool] of pools) {
        if (pool && pool.minCount > pool.maxCount) {
            problems.push({ key: `${key}.minCount`, value: pool.minCount, allowed: `at most maxCount (${pool.maxCount})`, fix: fixFor(stack, [...key.split("."), "minCount"], defaults) });
        }
    }
    if (cfg.mcpServer.minReplicas > cfg.mcpServer.maxReplicas) {
        problems.push({ key: "mcpServer.minReplicas", value: cfg.mcpServer.minReplicas, allowed: `at most mcpServer.maxReplicas (${cfg.mcpServer.maxReplicas})`, fix: fixFor(stack, ["mcpServer", "minReplicas"], defaults) });
    }

    const net = cfg.cluster.network;
    const service = ipaddr.parseCIDR(net.serviceCidr);
    const pod = ipaddr.parseCIDR(net.podCidr);
    let dns: ipaddr.IPv4 | ipaddr.IPv6 | undefined;
    try {
        dns = ipaddr.parse(net.dnsServiceIp);
    } catch {
        dns = undefined;
    }
    if (!dns || dns.kind() !== service[0].kind() || !dns.match(service)) {
        problems.push({ key: "cluster.network.dnsServiceIp", value: net.dnsServiceIp, allowed: `an address inside cluster.network.serviceCidr (${net.serviceCidr})`, fix: fixFor(stack, ["cluster", "network", "dnsServiceIp"], defaults) });
    }
    if (pod[0].kind() === service[0].kind() && (pod[0].match(service) || service[0].match(pod))) {
        problems.push({ key: "cluster.network.podCidr", value: net.podCidr, allowed: `a range that does not overlap cluster.network.serviceCidr (${net.serviceCidr})`, fix: fixFor(stack, ["cluster", "network", "podCidr"], defaults) });
    }

    if (cfg.environment === "prod") {
        if (cfg.cluster.authorizedIpRanges.length === 0) {
            problems.push({ key: "cluster.authorizedIpRanges", value: [], allowed: "at least one CIDR in prod: the API server is not open to the internet", fix: setCommand(stack, "cluster.authorizedIpRanges[0]", "<your-office-or-runner-cidr>", { path: true }) });
        }
        if (!cfg.keyVault.purgeProtection) {
            problems.push({ key: "keyVault.purgeProtection", value: false, allowed: "true in prod: a deleted vault and its keys must stay recoverable", fix: setCommand(stack, "keyVault.purgeProtection", true, { path: true }) });
        }
        if (!cfg.endpoint.internal && cfg.endpoint.sourceRanges.length === 0) {
            problems.push({ key: "endpoint.sourceRanges", value: [], allowed: "at least one CIDR when a prod endpoint is public (endpoint.internal=false): an open MCP endpoint spends your LLM credits for anyone", fix: setCommand(stack, "endpoint.sourceRanges[0]", "<client-cidr>", { path: true }) });
        }
    }
    if (cfg.cluster.zones.length > 0 && cfg.cluster.tier === "Free") {
        // Zones without the uptime SLA buy node resilience for an API server that has none.
        problems.push({ key: "cluster.tier", value: cfg.cluster.tier, allowed: "Standard or Premium when cluster.zones is set", fix: setCommand(stack, "cluster.tier", "Standard", { path: true }) });
    }

    const secretNames = new Set(cfg.apiKeys);
    for (const name of Object.keys(cfg.mcpServer.settings)) {
        if (RESERVED_SETTINGS.includes(name) || secretNames.has(name)) {
            problems.push({ key: `mcpServer.settings.${name}`, value: cfg.mcpServer.settings[name], allowed: `a setting other than ${[...RESERVED_SETTINGS, ...secretNames].join(", ")} (those come from the platform or from Key Vault)`, fix: `pulumi config rm --path 'mcpServer.settings.${name}' --stack ${stack}` });
        }
    }
    const kvNames = new Map<string, string>();
    for (const name of cfg.apiKeys) {
        const kv = keyVaultSecretName(name);
        if (kvNames.has(kv)) {
            problems.push({ key: "apiKeys", value: cfg.apiKeys, allowed: `names that stay distinct in Key Vault (${kvNames.get(kv)} and ${name} both become ${kv})`, fix: setCommand(stack, "apiKeys", DEFAULT_API_KEYS) });
        }
        kvNames.set(kv, name);
    }
    return problems;
}

function deepFreeze<T>(value: T): T {
    if (value && typeof value === "object" && !(value instanceof SecretValue)) {
        for (const v of Object.values(value)) deepFreeze(v);
        Object.freeze(value);
    }
    return value;
}

/** The ConfigMap settings: the plan's defaults with the stack's overrides on top. */
export function mcpSettings(cfg: StackConfig): Record<string, string> {
    return { ...DEFAULT_MCP_SETTINGS, ...cfg.mcpServer.settings };
}

/**
 * Reads the current stack's config from the Pulumi runtime and validates it. Nothing is declared before
 * this returns, so a bad value stops the program before any resource exists.
 */
export function loadStackConfig(): StackConfig {
    // isConfigSecret is internal to the SDK (absent from its typings); the public API only offers
    // per-key getSecret, which cannot tell a plaintext API key from a secret one.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const runtimeConfig = require("@pulumi/pulumi/runtime/config") as { isConfigSecret(key: string): boolean };
    const raw = pulumi.runtime.allConfig();
    const secretKeys = Object.keys(raw).filter((k) => runtimeConfig.isConfigSecret(k));
    return parseStackConfig(raw, { stack: pulumi.getStack(), project: pulumi.getProject(), secretKeys });
}
