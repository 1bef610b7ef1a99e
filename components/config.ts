/**
 * Reads and validates the whole stack config into one typed, frozen object, before any resource is
 * declared. parseStackConfig is pure (raw key/value map in, StackConfig out) so that it is tested without
 * mocks; loadStackConfig reads the raw map from the Pulumi runtime.
 *
 * Every problem becomes one line of a ConfigError that names the key, the bad value, what is allowed and
 * the `pulumi config set` command that fixes it. Secret values never appear in it.
 */
import * as fs from "fs";
import * as path from "path";
import * as util from "util";
import * as pulumi from "@pulumi/pulumi";
import * as ipaddr from "ipaddr.js";
import * as YAML from "yaml";
import { z } from "zod";
import { aksVersionVerdict, AKS_VERSIONS_AS_OF } from "./aks-versions";
import { AZURE_REGIONS, AZURE_REGIONS_AS_OF } from "./azure-regions";
import { capacityShortfalls, maxEphemeralOsDiskGB, VM_SIZES, WorkloadDemand } from "./capacity";
import { DEFAULT_SERVER_NAME, ENVIRONMENTS, Environment, environmentDefaults, mcpServerDefaults } from "./config-defaults";
import { andThen, cliPath, coerce, HIDDEN, isPlainObject, kindOf, looksSecret, nodeAt, objectKeys, parseCliPath, PathSegment, rmCommand, setCommand, showValue, unwrap, yamlFix } from "./config-fix";
import { azureNames, nameViolations, keyVaultSecretName, NameStem, NAME_RULES, serverAzureNames, SUFFIX_PLACEHOLDER } from "./naming";
import { mcpServerServiceAccount } from "./workload-identity";
import { gitBuildTag, hasRegistryHost, isContainedRelativePath, isGitContext, isPinnedGitContext, localBuildTag, parseImageRef } from "./image";

export { Environment } from "./config-defaults";

/** The Pulumi project name, which is also the config namespace (`mcp-aks:cluster`). */
export const PROJECT = "mcp-aks";

/** The repository root: where Pulumi.yaml lives and where relative build contexts resolve. */
export const REPO_ROOT = path.resolve(__dirname, "..");

/** The ACR repository MCP server `server`'s build pushes to: `<server>-mcp`, the name of its Kubernetes objects. */
export function mcpServerRepository(server: string): string {
    return mcpServerServiceAccount(server);
}

/** Where one MCP server's image comes from, resolved from its `build` or `image`. */
export type McpImageSource =
    /** Built in ACR Tasks from a local directory or a pinned git URL; `tag` is a hash of that source. */
    | { readonly kind: "build"; readonly context: string; readonly dockerfile: string; readonly git: boolean; readonly repository: string; readonly tag: string }
    /** Already in the stack's ACR (`repo:tag` or `repo@sha256:...`, pushed by something else). */
    | { readonly kind: "registry"; readonly ref: string }
    /** Elsewhere, pinned by digest: imported into the stack's ACR like the third-party images. */
    | { readonly kind: "import"; readonly upstream: string };

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
    /** Pods per node; fixed when the pool is created (a change rotates a user pool). */
    readonly maxPods: number;
}

export const WEEKDAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"] as const;
export type Weekday = (typeof WEEKDAYS)[number];

/** A weekly AKS planned-maintenance window. */
export interface MaintenanceWindowConfig {
    readonly dayOfWeek: Weekday;
    readonly intervalWeeks: number;
    /** HH:MM in utcOffset's time. */
    readonly startTime: string;
    readonly durationHours: number;
    /** +HH:MM or -HH:MM. */
    readonly utcOffset: string;
}

export interface ResourcesConfig {
    readonly requests: { readonly cpu: string; readonly memory: string };
    readonly limits: { readonly cpu: string; readonly memory: string };
}

/** One MCP server of the stack: `mcpServers.<name>` with the per-server defaults merged under it. */
export interface McpServerConfig {
    /** The map key: a DNS label; the server's Kubernetes objects are `<name>-mcp`. */
    readonly name: string;
    /** Build context (local directory relative to the repo root, or pinned git URL) and Dockerfile. */
    readonly build?: { readonly context: string; readonly dockerfile: string };
    /** An existing image: `repo:tag`/`repo@sha256:...` in the stack's ACR, or `host/repo:tag@sha256:...` to import. */
    readonly image?: string;
    /** Where the image comes from, resolved from build or image; the tag of a build is known here. */
    readonly source: McpImageSource;
    /** The port the server listens on (MCP_PORT), also its Service port. */
    readonly port: number;
    /** The HTTP path of the server's MCP endpoint, e.g. /mcp. */
    readonly path: string;
    /** The HTTP path of the startup and liveness probes; it must answer 200 without credentials. */
    readonly healthPath: string;
    /** The HTTP path of the readiness probe (may check dependencies such as Qdrant; fails while draining). */
    readonly readyPath: string;
    readonly minReplicas: number;
    readonly maxReplicas: number;
    readonly resources: ResourcesConfig;
    readonly targetCpuUtilization: number;
    readonly targetMemoryUtilization: number;
    /** Size limit of the per-pod SQLite index volume. */
    readonly dataVolumeSize: string;
    /** Command of an init container that fills the per-pod index; empty: the server fills it on start. */
    readonly indexInitCommand: readonly string[];
    /** The API keys (names from the stack's apiKeys) this server may read, and nothing else. */
    readonly apiKeys: readonly string[];
    /** Whether the server talks to the stack's Qdrant (gets its URL, key and a network path to it). */
    readonly usesQdrant: boolean;
    /** Non-secret settings for the server's ConfigMap. */
    readonly settings: Readonly<Record<string, string>>;
}

/** How the edge is reached: private (port-forward only), HTTPS with a Key Vault certificate, or with Let's Encrypt. */
export type EdgeTlsMode = "private" | "keyVault" | "letsEncrypt";

export interface EdgeConfig {
    readonly tls: {
        /** private: no public endpoint (port-forward); keyVault / letsEncrypt: HTTPS on a public name. */
        readonly mode: EdgeTlsMode;
        /** The DNS name clients use (keyVault, or letsEncrypt on a custom domain). */
        readonly hostname: string;
        /** letsEncrypt on Azure's free name: the label of `<label>.<location>.cloudapp.azure.com`. */
        readonly dnsLabel: string;
        /** Contact address for Let's Encrypt expiry notices; "" sends none. */
        readonly acmeEmail: string;
        /** Name of the Key Vault certificate for `hostname` (keyVault mode), imported into the stack's vault. */
        readonly certificateName: string;
    };
    /** Where a keyVault-mode load balancer listens: the internet, or only the VNet. */
    readonly loadBalancer: "public" | "internal";
    /** Client CIDRs allowed to reach a load balancer (loadBalancerSourceRanges and the edge NetworkPolicy). */
    readonly sourceRanges: readonly string[];
    /** Azure LB TCP idle timeout in minutes; the 4-minute default cuts idle SSE streams. */
    readonly idleTimeoutMinutes: number;
    readonly minReplicas: number;
    readonly maxReplicas: number;
    readonly resources: ResourcesConfig;
    readonly targetCpuUtilization: number;
    readonly entra: {
        /** Client id of an app registration made outside the stack; "" lets the stack create one with azuread. */
        readonly existingAppId: string;
        /** Whether tokens must carry the app role of the server (mcp.<server>) or mcp.all to call its tools. */
        readonly requireAppRoles: boolean;
    };
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
    /** A client secret of the existing app registration (edge.entra.existingAppId), set with --secret. */
    readonly edgeClientSecret?: SecretValue;
    readonly namespace: string;
    /** Third-party images by name: upstream references pinned by digest, imported into the stack's ACR. */
    readonly images: Readonly<Record<string, string>>;
    /** The enabled MCP servers by name (disabled entries are dropped here). */
    readonly mcpServers: Readonly<Record<string, McpServerConfig>>;
    /** The MCP-aware edge (agentgateway): the only way into the MCP servers. */
    readonly edge: EdgeConfig;
    readonly qdrant: {
        readonly storageSize: string;
        readonly resources: ResourcesConfig;
        /** Qdrant nodes: 1 (single node) or 3+ (cluster mode, one per node, spread over zones). */
        readonly replicas: number;
        /** Cluster default replicas per shard for new collections (storage.collection.replication_factor). */
        readonly replicationFactor: number;
        /** Replicas that must apply a write for it to succeed (storage.collection.write_consistency_factor). */
        readonly writeConsistencyFactor: number;
        /** Also generate a read-only API key (Secret key `read-only-api-key`) for read-only clients. */
        readonly readOnlyApiKey: boolean;
        readonly backup: QdrantBackupConfig;
    };
    /** When AKS may upgrade the control plane and node images. */
    readonly maintenance: {
        readonly autoUpgrade: MaintenanceWindowConfig;
        readonly nodeOsUpgrade: MaintenanceWindowConfig;
    };
    /** Who the platform alerts reach. */
    readonly alerts: { readonly emails: readonly string[] };
    /** Monthly cost budget of the stack's resource groups, in the billing currency. */
    readonly budget: {
        readonly amount: number;
        /** Percentages of the amount that notify once actual spend reaches them. */
        readonly actualPercent: readonly number[];
        /** Percentages of the amount that notify once the month's forecast reaches them. */
        readonly forecastPercent: readonly number[];
    };
}

export interface QdrantBackupConfig {
    /** Snapshots to Blob on a schedule; false declares no storage account and no CronJob. */
    readonly enabled: boolean;
    /** Cron schedule (UTC) of the snapshot CronJob. */
    readonly schedule: string;
    /** Days a snapshot blob is kept before the lifecycle rule deletes it. */
    readonly retentionDays: number;
}

/** One problem with the stack config, in the words the error message uses. */
export interface ConfigProblem {
    /** Path below the project namespace in the CLI's `--path` syntax, e.g. `cluster.zones[0]`. */
    readonly key: string;
    /** The offending value, already redacted if secret; undefined when the key is missing. */
    readonly value: unknown;
    readonly allowed: string;
    /** Commands (joined with &&) that fix it when pasted; `<...>` marks what only the user knows. */
    readonly fix: string;
}

/**
 * The config is invalid. A RunError, so that the language host (`pulumi preview`/`up`) prints just the
 * message, one line per problem, instead of a stack trace and a dump of the error's fields.
 */
export class ConfigError extends pulumi.RunError {
    readonly problems: readonly ConfigProblem[];
    readonly stackName: string;
    constructor(stackName: string, problems: readonly ConfigProblem[]) {
        super(formatProblems(stackName, problems));
        this.name = "ConfigError";
        this.stackName = stackName;
        this.problems = problems;
    }
}

export function formatProblems(stack: string, problems: readonly ConfigProblem[]): string {
    const lines = problems.map((p) => {
        const got = p.value === undefined ? "is not set" : `is ${showValue(p.value)}`;
        return `  - ${PROJECT}:${p.key} ${got}; allowed: ${p.allowed}. Fix: ${p.fix}`;
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
/** Five cron fields of digits, `*`, `/`, `,` and `-` (the CronJob controller also takes names; keep it plain). */
const CRON_SCHEDULE = /^(\S+\s+){4}\S+$/;
const CRON_FIELD = /^(\*|\d+(-\d+)?)(\/\d+)?(,(\*|\d+(-\d+)?)(\/\d+)?)*$/;
const K8S_NAME = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
/** A Service name is an RFC 1035 label: it starts with a letter. */
const SERVER_NAME = /^[a-z]([-a-z0-9]*[a-z0-9])?$/;
/** `<name>-mcp` must fit a 63-character label (Service names, label values). */
export const MAX_SERVER_NAME_LENGTH = 63 - mcpServerServiceAccount("").length;
const HTTP_PATH = /^\/[A-Za-z0-9._~!$&'()*+,;=:@%/-]*$/;
/** repository[:tag][@sha256:digest], with a tag or a digest, as the OCI distribution spec names them. */
const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const DNS_NAME = /^(?=.{1,253}$)([a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/;
/** Key Vault object names: 1-127 alphanumerics and dashes. */
const KEY_VAULT_OBJECT_NAME = /^[A-Za-z0-9-]{1,127}$/;
export const EDGE_TLS_MODES = ["private", "keyVault", "letsEncrypt"] as const;
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

/** An IPv4 range in CIDR form whose host bits are zero: what Azure and Kubernetes accept for ranges. */
function isIpv4Network(value: string): boolean {
    if (!/^\d+\.\d+\.\d+\.\d+\/\d+$/.test(value) || !ipaddr.IPv4.isValidCIDR(value)) return false;
    const [addr, bits] = ipaddr.IPv4.parseCIDR(value);
    return ipaddr.IPv4.networkAddressFromCIDR(`${addr.toString()}/${bits}`).toString() === addr.toString();
}

/** The network address of a CIDR whose host bits are set (`10.0.0.5/16` -> `10.0.0.0/16`), else undefined. */
function networkOf(value: unknown): string | undefined {
    if (typeof value !== "string" || !ipaddr.IPv4.isValidCIDR(value)) return undefined;
    const [, bits] = ipaddr.IPv4.parseCIDR(value);
    return `${ipaddr.IPv4.networkAddressFromCIDR(value).toString()}/${bits}`;
}

const CIDR_ALLOWED = "an IPv4 range in CIDR form with the host bits zero, such as 10.0.0.0/16 (the cluster is IPv4-only)";
const cidr = z.string(allowedText(CIDR_ALLOWED)).refine(isIpv4Network, allowedText(CIDR_ALLOWED));
const cidrList = z.array(cidr, allowedText("a list of CIDRs such as [\"10.0.0.0/16\"]"));

const kubernetesVersion = text(/^\d+\.\d+(\.\d+)?$/, "a Kubernetes version such as 1.33, quoted in YAML (unquoted, 1.30 reads as the number 1.3)").optional();

/**
 * Fix values that keep the user's intent, by schema node: a CIDR with host bits set becomes its network
 * address. Where a node has none, a bad value is reset to the environment's default or removed.
 */
const SUGGESTIONS = new Map<unknown, (value: unknown) => unknown>([
    [cidr, networkOf],
    // Every Kubernetes minor since 1.10 has two digits, so YAML's 1.3 was written 1.30.
    [kubernetesVersion, (v) => (typeof v === "number" ? v.toFixed(2) : undefined)],
]);

/** What only the user knows, by schema node: used where neither a suggestion nor a default exists. */
const PLACEHOLDERS = new Map<unknown, string>([[cidr, "<your-cidr>"]]);

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

/** Top-level keys that earlier versions read, with what replaced them: the error says so instead of "unknown key". */
const REMOVED_KEYS: Readonly<Record<string, string>> = {
    deployerPrincipalType:
        "this key was removed: cluster admins now come from access.adminGroups, access.ciServicePrincipal and access.adminUsers, never from whoever runs pulumi up (README \"Cluster administrators\")",
};

/** A node pool; `minFloor` 1 for the system pool (AKS keeps it running), 0 for a user pool (it may scale to zero). */
const nodePool = (minFloor: 0 | 1) =>
    z.strictObject({
        vmSize: text(VM_SIZE, "an Azure VM size string such as Standard_D2ds_v5"),
        minCount: int(minFloor, 100),
        maxCount: int(1, 100),
        osDiskType: oneOf(["Ephemeral", "Managed"] as const),
        osDiskSizeGB: int(30, 2048),
        // Azure CNI overlay gives pods addresses outside the VNet, so AKS allows up to 250 per node.
        maxPods: int(10, 250),
    });

/** A quantity above zero: a zero CPU request breaks the HPA's utilisation target, a zero size holds nothing. */
function positive(pattern: RegExp, allowed: string) {
    return text(pattern, allowed).refine((q) => quantityValue(q) > 0, allowedText(`${allowed}, above zero`));
}

/** Planned maintenance: AKS requires windows of 4 to 24 hours; weekly schedules repeat every 1-4 weeks. */
const maintenanceWindow = z.strictObject({
    dayOfWeek: oneOf(WEEKDAYS),
    intervalWeeks: int(1, 4),
    startTime: text(/^([01]\d|2[0-3]):[0-5]\d$/, "a 24-hour time HH:MM such as 02:00"),
    durationHours: int(4, 24),
    utcOffset: text(/^[+-](0\d|1[0-4]):[0-5]\d$/, "a UTC offset such as +00:00 or -05:00"),
});

/** Deliberately simple (one @, no spaces, a dot in the domain): Azure Monitor rejects what it cannot deliver. */
const EMAIL = /^[^@\s"',;<>]+@[^@\s"',;<>]+\.[A-Za-z]{2,}$/;
const percentList = z.array(int(1, 1000), allowedText("a list of percentages such as [80, 100]"));
const email = text(EMAIL, "an email address such as platform-oncall@example.com");
PLACEHOLDERS.set(email, "<oncall@your-org>");

const resources = z.strictObject({
    requests: z.strictObject({
        cpu: positive(CPU_QUANTITY, "a CPU quantity such as 250m or 1"),
        memory: positive(MEMORY_QUANTITY, "a memory quantity such as 512Mi or 2Gi"),
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

/** Upstream references are imported by digest; the tag names the version for people and the ACR copy. */
const upstreamImage = text(IMAGE_REF, "an upstream image with registry host, tag and digest, such as docker.io/qdrant/qdrant:v1.19.2-unprivileged@sha256:<64 hex>").refine(
    (ref) => {
        const parsed = parseImageRef(ref);
        return parsed.host.includes(".") && parsed.tag !== undefined && parsed.tag !== "latest" && parsed.digest !== undefined;
    },
    allowedText("an upstream image with a registry host (docker.io, ghcr.io, ...), a version tag and @sha256:<digest>, such as docker.io/curlimages/curl:8.11.1@sha256:<64 hex>"),
);

/** One entry of mcpServers after the per-server defaults are merged under it. */
const mcpServer = z.strictObject(
    {
        enabled: bool(),
        build: z
            .strictObject({
                context: z.string(allowedText("a directory relative to the repo root, such as server, or a git URL")).min(1, allowedText("a directory relative to the repo root, such as server")),
                dockerfile: z.string(allowedText("a Dockerfile path relative to the context, such as Dockerfile")).min(1, allowedText("a Dockerfile path such as Dockerfile")),
            })
            .optional(),
        image: pinnedImage.optional(),
        // Below 1024 a non-root process needs NET_BIND_SERVICE, which the restricted profile's drop ALL removes.
        port: int(1024, 65535),
        path: text(HTTP_PATH, "an absolute URL path such as /mcp"),
        healthPath: text(HTTP_PATH, "an absolute URL path such as /health"),
        readyPath: text(HTTP_PATH, "an absolute URL path such as /ready"),
        minReplicas: int(1, 50),
        maxReplicas: int(1, 100),
        resources,
        targetCpuUtilization: int(10, 100),
        targetMemoryUtilization: int(10, 100),
        dataVolumeSize: positive(MEMORY_QUANTITY, "a size such as 5Gi"),
        indexInitCommand: z.array(z.string(), allowedText("a command as a list of strings, or []")),
        apiKeys: z.array(text(ENV_VAR, "an env var name such as OPENAI_API_KEY"), allowedText("a list of API key names from apiKeys")),
        usesQdrant: bool(),
        settings: z.record(text(ENV_VAR, "env var names such as LLM_MAX_TOKENS"), z.string(allowedText("string values (quote numbers)")), allowedText("a map of env var names to strings")),
    },
    allowedText("an object of server settings, such as { image: search-mcp:2.0.0, apiKeys: [TAVILY_API_KEY] }"),
);

const schema = z.strictObject({
    environment: oneOf(ENVIRONMENTS as unknown as readonly [Environment, ...Environment[]]),
    // Checked against components/azure-regions.ts by ruleProblems, which can suggest the name meant.
    location: z.string(allowedText("an Azure region name such as westeurope or eastus2")),
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
        kubernetesVersion,
        tier: oneOf(["Free", "Standard", "Premium"] as const),
        zones: z.array(oneOf(["1", "2", "3"] as const), allowedText("a list of zones from \"1\", \"2\", \"3\"")),
        systemPool: nodePool(1),
        userPool: nodePool(0).nullable(),
        authorizedIpRanges: cidrList,
        upgradeChannel: oneOf(["patch", "stable", "rapid", "node-image", "none"] as const),
        nodeOsUpgradeChannel: oneOf(["NodeImage", "SecurityPatch", "Unmanaged", "None"] as const),
        network: z.strictObject({ podCidr: cidr, serviceCidr: cidr, dnsServiceIp: z.string(allowedText("an IPv4 address")).refine((ip) => ipaddr.IPv4.isValidFourPartDecimal(ip), allowedText("an IPv4 address")) }),
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
    images: z.record(
        text(/^[a-z][a-z0-9-]{0,30}$/, "image names of lowercase letters, digits and '-', such as qdrant"),
        upstreamImage,
        allowedText("a map of image names to upstream references pinned by digest"),
    ),
    mcpServers: z.record(z.string(), mcpServer, allowedText("a map of server names to server settings")),
    edge: z.strictObject({
        tls: z.strictObject({
            // Optional so that prod, which has no default, reports a missing choice with its own fix.
            mode: oneOf(EDGE_TLS_MODES).optional(),
            hostname: z.string(allowedText("a DNS name such as mcp.example.com, or \"\" in private mode")).refine((h) => h === "" || DNS_NAME.test(h), allowedText("a DNS name such as mcp.example.com, or \"\" in private mode")),
            certificateName: z.string(allowedText("a Key Vault certificate name, or \"\" in private mode")).refine((n) => n === "" || KEY_VAULT_OBJECT_NAME.test(n), allowedText("a Key Vault certificate name (1-127 letters, digits and '-'), or \"\" in private mode")),
            // Azure DNS labels: 3-63 lowercase letters, digits and '-', starting with a letter.
            dnsLabel: z.string(allowedText("a DNS label such as mcp-dev-contoso, or \"\"")).refine((l) => l === "" || /^[a-z][a-z0-9-]{1,61}[a-z0-9]$/.test(l), allowedText("3-63 lowercase letters, digits and '-', starting with a letter, or \"\"")),
            acmeEmail: z.string(allowedText("an email address, or \"\"")).refine((e) => e === "" || /^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(e), allowedText("an email address, or \"\"")),
        }),
        loadBalancer: oneOf(["public", "internal"] as const),
        sourceRanges: cidrList,
        // Azure Load Balancer accepts a TCP idle timeout of 4 to 100 minutes.
        idleTimeoutMinutes: int(4, 100),
        minReplicas: int(1, 20),
        maxReplicas: int(1, 50),
        resources,
        targetCpuUtilization: int(10, 100),
        entra: z.strictObject({
            existingAppId: z.string(allowedText("an application (client) id GUID, or \"\" to let the stack create the app registration")).refine((v) => v === "" || GUID.test(v), allowedText("an application (client) id GUID, or \"\" to let the stack create the app registration")),
            requireAppRoles: bool(),
        }),
    }),
    qdrant: z.strictObject({
        storageSize: positive(MEMORY_QUANTITY, "a size such as 10Gi"),
        resources,
        // Raft needs a majority: 2 nodes tolerate no loss, so 2 is refused; 1 is the single-node mode.
        replicas: int(1, 9).refine((n) => n === 1 || n >= 3, allowedText("1 (single node) or 3 to 9 (a cluster that keeps a majority with one node down)")),
        replicationFactor: int(1, 9),
        writeConsistencyFactor: int(1, 9),
        readOnlyApiKey: bool(),
        backup: z.strictObject({
            enabled: bool(),
            schedule: text(CRON_SCHEDULE, "a five-field cron schedule such as \"17 * * * *\" (UTC)"),
            // The lifecycle rule's daysAfterModificationGreaterThan; Azure allows 0-99999, and 0 would delete each snapshot a day after upload.
            retentionDays: int(1, 3650),
        }),
    }),
    maintenance: z.strictObject({ autoUpgrade: maintenanceWindow, nodeOsUpgrade: maintenanceWindow }),
    alerts: z.strictObject({
        emails: z.array(email, allowedText("a list of email addresses")),
    }),
    budget: z.strictObject({
        amount: int(1, 10_000_000),
        actualPercent: percentList,
        forecastPercent: percentList,
    }),
});

type ParsedConfig = z.infer<typeof schema>;

/** Secret config key holding a client secret of the existing app registration (edge.entra.existingAppId). */
export const EDGE_CLIENT_SECRET_KEY = "EDGE_ENTRA_CLIENT_SECRET";

/** Settings the workloads layer derives itself; a stack may not override them. */
export const RESERVED_SETTINGS = ["MCP_PORT", "MCP_HOST", "QDRANT_URL", "QDRANT_API_KEY", "SQLITE_PATH", "MCP_API_KEYS", "MCP_SHUTDOWN_TIMEOUT_MS"];

/** Tags the program sets on every Azure resource (platformTags); a user tag of the same name is overwritten. */
export const PROGRAM_TAGS = ["environment", "project", "stack", "managed-by"];

/**
 * Azure tag limits ("Use tags to organize your Azure resources", Limitations): 50 tags per resource; a
 * name of up to 512 characters (128 on storage accounts, which the stack's backups use, so 128 here), a
 * value of up to 256; names without < > % & \ ? /. Azure compares tag names case-insensitively.
 */
export const TAG_LIMITS = { count: 50, nameLength: 128, valueLength: 256, forbidden: /[<>%&\\?/]/ };

/**
 * Namespaces a workload must not share: Kubernetes' own (kube-*, default) and those AKS add-ons manage
 * (Azure Policy's Gatekeeper, Calico/Tigera, app routing, `az aks command`). Pod Security labels and
 * NetworkPolicies the stack puts on its namespace would change how those system pods run.
 */
export const SYSTEM_NAMESPACES = ["default", "kube-system", "kube-public", "kube-node-lease", "gatekeeper-system", "calico-system", "tigera-operator", "app-routing-system", "aks-command", "aks-istio-system"];

/** RFC 5737 documentation ranges: they route nowhere, so as allowed source ranges they lock everyone out. */
const DOCUMENTATION_RANGES = ["192.0.2.0/24", "198.51.100.0/24", "203.0.113.0/24"];

// ---------------------------------------------------------------------------------------------------

/** The raw config as Pulumi holds it: `mcp-aks:key` to string (objects and lists as JSON). */
export type RawConfig = Readonly<Record<string, string>>;

export interface ParseOptions {
    readonly stack: string;
    readonly project?: string;
    /** Fully qualified keys (`mcp-aks:OPENAI_API_KEY`) that Pulumi holds as secrets. */
    readonly secretKeys?: readonly string[];
    /**
     * Paths of values the stack file holds as `secure:` below a top-level key (`mcpServers.docs.settings.X`),
     * when known: they name the exact entry to move out of plain config.
     */
    readonly securePaths?: readonly string[];
    /** The date the support checks use (AKS versions); default: now. */
    readonly today?: Date;
    /**
     * A real deployment (loadStackConfig sets it): prod refuses the RFC 5737 documentation ranges, which the
     * offline evaluations (tests, `npm run plan`) use as stand-ins for the user's own ranges.
     */
    readonly deployment?: boolean;
    /** Where local build contexts resolve (default: the repo root). */
    readonly sourceRoot?: string;
}

type Path = readonly PathSegment[];

function valueAt(obj: unknown, p: Path): unknown {
    let cur: unknown = obj;
    for (const seg of p) {
        if (cur === null || typeof cur !== "object") return undefined;
        cur = (cur as Record<PropertyKey, unknown>)[seg];
    }
    return cur;
}

function hasPath(obj: unknown, p: Path): boolean {
    let cur: unknown = obj;
    for (const seg of p) {
        if (cur === null || typeof cur !== "object" || !(seg in (cur as object))) return false;
        cur = (cur as Record<PropertyKey, unknown>)[seg];
    }
    return true;
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

/** Replaces (or with `undefined`, removes) the value at a path, in place. */
function putAt(obj: unknown, p: Path, value: unknown): void {
    const parent = valueAt(obj, p.slice(0, -1));
    const last = p[p.length - 1];
    if (parent === null || typeof parent !== "object") return;
    if (Array.isArray(parent) && typeof last === "number") {
        if (value === undefined) parent.splice(last, 1);
        else parent[last] = value;
    } else if (value === undefined) delete (parent as Record<string, unknown>)[last as string];
    else (parent as Record<string, unknown>)[last as string] = value;
}

function closest(word: string, candidates: readonly string[]): string | undefined {
    const norm = (w: string) => w.toLowerCase().replace(/[^a-z0-9]/g, "");
    const lower = norm(word);
    return candidates.find((c) => norm(c) === lower) ?? candidates.find((c) => lower.length >= 4 && norm(c).startsWith(lower.slice(0, 4)));
}

/** CPU in millicores or memory in MiB, from a Kubernetes quantity the schema accepted. */
function quantityValue(q: string): number {
    const m = /^(\d+(?:\.\d+)?)(m|Ki|Mi|Gi|Ti)?$/.exec(q);
    if (!m) return NaN;
    const n = Number(m[1]);
    const unit = m[2];
    if (unit === "m") return n;
    if (unit === undefined) return n * 1000;
    return n * { Ki: 1 / 1024, Mi: 1, Gi: 1024, Ti: 1024 * 1024 }[unit]!;
}

/** The fallback wording for schema nodes without an allowed text: never zod's own. */
function fallbackAllowed(issue: z.core.$ZodRawIssue): string {
    const node = (issue as { inst?: z.core.$ZodType }).inst;
    switch (node ? kindOf(node) : "unknown") {
        case "object":
            return `an object with the keys ${objectKeys(node).join(", ")}`;
        case "map":
            return "a map of names to values";
        case "list":
            return "a list";
        case "number":
            return "a number";
        case "boolean":
            return "true or false";
        case "string":
            return "a string";
        default:
            return "a valid value";
    }
}

/**
 * Collects problems by key: the first problem for a key wins, and a later one whose key is inside or above
 * an already reported key is dropped (it was checked against a stand-in value, so it would mislead).
 */
class Problems {
    readonly list: ConfigProblem[] = [];
    private related(a: string, b: string): boolean {
        const within = (x: string, y: string) => x === y || x.startsWith(`${y}.`) || x.startsWith(`${y}[`);
        return within(a, b) || within(b, a);
    }
    add(p: ConfigProblem, opts: { independent?: boolean } = {}): void {
        if (this.list.some((q) => q.key === p.key && q.allowed === p.allowed)) return;
        if (!opts.independent && this.list.some((q) => this.related(q.key, p.key))) return;
        this.list.push(p);
    }
}

interface Context {
    readonly stack: string;
    readonly project: string;
    readonly defaults: Record<string, unknown>;
    /** The stack's own values as the CLI stored them (before coercion), filled in by readRaw. */
    readonly user: Record<string, unknown>;
    /** Top-level keys Pulumi holds as secret (their values are never shown). */
    readonly secretTop: ReadonlySet<string>;
    readonly options: ParseOptions;
}

/** The value as a problem may show it: hidden under secret keys, or where it looks like a credential. */
function shown(ctx: Context, p: Path, value: unknown): unknown {
    if (value === undefined) return undefined;
    if (ctx.secretTop.has(String(p[0])) || looksSecret(p, value)) return HIDDEN;
    return value;
}

/**
 * A fix that sets `p` to `target`: `pulumi config set` where the CLI stores it faithfully, a stack file
 * edit where it cannot, `pulumi config rm` to go back to a default list, map or object, and removal when
 * there is no value to go back to.
 */
function fixTo(ctx: Context, p: Path, target: unknown): string {
    // Below a value the stack file holds as JSON text (`--path cluster.userPool '{...}'`), --path cannot
    // reach: the fix rewrites that text with the fixed value in it.
    for (let i = 2; i < p.length; i++) {
        const text = valueAt(ctx.user, p.slice(0, i));
        if (typeof text !== "string") continue;
        const whole = coerce(nodeAt(schema, p.slice(0, i)), text);
        if (typeof whole !== "object" || whole === null) break;
        putAt(whole, p.slice(i), target);
        return setCommand(ctx.stack, p.slice(0, i), whole) ?? yamlFix(ctx.stack, p.slice(0, i), whole, ctx.project);
    }
    if (target === undefined) return rmCommand(ctx.stack, p);
    const isDefault = hasPath(ctx.defaults, p) && JSON.stringify(valueAt(ctx.defaults, p)) === JSON.stringify(target);
    if (isDefault && (target === null || typeof target === "object")) return rmCommand(ctx.stack, p);
    return setCommand(ctx.stack, p, target) ?? yamlFix(ctx.stack, p, target, ctx.project);
}

/** The value that fixes a bad value at `p`: what the schema node suggests, else the default, else none. */
function targetFor(ctx: Context, p: Path, value: unknown): unknown {
    const node = nodeAt(schema, p);
    const suggest = node ? SUGGESTIONS.get(node) : undefined;
    const suggested = suggest?.(value);
    if (suggested !== undefined && JSON.stringify(suggested) !== JSON.stringify(value)) return suggested;
    if (hasPath(ctx.defaults, p)) return valueAt(ctx.defaults, p);
    // A field of an object this environment leaves out (dev's userPool): another environment's default.
    for (const env of ENVIRONMENTS) {
        const other = environmentDefaults(env);
        if (valueAt(other, p) !== undefined) return valueAt(other, p);
    }
    return node ? PLACEHOLDERS.get(node) : undefined;
}

function problemAt(ctx: Context, p: Path, value: unknown, allowed: string, fix?: string): ConfigProblem {
    return { key: cliPath(p), value: shown(ctx, p, value), allowed, fix: fix ?? fixTo(ctx, p, targetFor(ctx, p, value)) };
}

/** Splits the raw map into the plain config and the API key values; reports keys set without --path. */
function readRaw(raw: RawConfig, ctx: Context, problems: Problems) {
    const user: Record<string, unknown> = {};
    const secretValues: Record<string, { raw: string; isSecret: boolean }> = {};
    const secretKeys = new Set(ctx.options.secretKeys ?? []);
    const known = Object.keys(schema.shape);
    for (const [fullKey, rawValue] of Object.entries(raw)) {
        const sep = fullKey.indexOf(":");
        if (fullKey.slice(0, sep) !== ctx.project) continue; // other namespaces (azure-native:location) belong to others
        const key = fullKey.slice(sep + 1);
        if (ENV_VAR.test(key)) {
            secretValues[key] = { raw: rawValue, isSecret: secretKeys.has(fullKey) };
            continue;
        }
        const node = (schema.shape as Record<string, z.core.$ZodType>)[key];
        if (!node) {
            // `pulumi config set cluster.tier Free` (no --path) creates a top-level key named "cluster.tier".
            const first = key.split(/[.[]/)[0];
            if (first !== key && known.includes(first)) {
                let path: PathSegment[] | undefined;
                try {
                    path = parseCliPath(key);
                } catch {
                    path = undefined;
                }
                const hidden = secretKeys.has(fullKey) || looksSecret([key], rawValue);
                const reset = path ? setCommand(ctx.stack, path, hidden ? undefined : rawValue) : undefined;
                problems.add({
                    key,
                    value: undefined,
                    allowed: `a path set with --path; without it the CLI made a separate top-level key named "${key}"`,
                    fix: reset ? andThen(rmCommand(ctx.stack, [key]), reset) : rmCommand(ctx.stack, [key]),
                });
                continue;
            }
        }
        const topKind = node ? kindOf(node) : "unknown";
        if (topKind === "string") user[key] = rawValue;
        else {
            try {
                user[key] = JSON.parse(rawValue);
            } catch {
                user[key] = rawValue;
            }
        }
        if (secretKeys.has(fullKey)) (ctx.secretTop as Set<string>).add(key);
    }
    return { user, secretValues };
}


/** Schema problems, repeated on a repaired copy until it parses, so the rules across fields still run. */
function schemaProblems(ctx: Context, merged: Record<string, unknown>, problems: Problems): ParsedConfig | undefined {
    const work = structuredClone(merged);
    const removals: PathSegment[][] = [];
    for (let round = 0; round < 8; round++) {
        const result = schema.safeParse(work, { error: (iss) => fallbackAllowed(iss) });
        if (result.success) return result.data;
        for (const issue of result.error.issues) {
            const p = issue.path as PathSegment[];
            if (issue.code === "unrecognized_keys") {
                const candidates = p.length === 0 ? Object.keys(schema.shape) : objectKeys(nodeAt(schema, p));
                for (const extra of issue.keys) {
                    const hint = closest(extra, candidates);
                    const removed = p.length === 0 ? REMOVED_KEYS[extra] : undefined;
                    if (removed) {
                        problems.add({ key: extra, value: undefined, allowed: `nothing: ${removed}`, fix: rmCommand(ctx.stack, [extra]) });
                        putAt(work, [extra], undefined);
                        continue;
                    }
                    problems.add({
                        key: cliPath([...p, extra]),
                        // An unknown key's value is never shown: it may be a secret put in the wrong place.
                        value: undefined,
                        allowed: `a known key${hint ? ` (did you mean "${cliPath([...p, hint])}"?)` : ""}; known here: ${candidates.join(", ")}`,
                        fix: rmCommand(ctx.stack, [...p, extra]),
                    });
                    putAt(work, [...p, extra], undefined);
                }
                continue;
            }
            const value = valueAt(work, p);
            if (p[0] !== "environment") {
                const node = nodeAt(schema, p);
                const parsedNumber = typeof value === "number" && node && kindOf(node) === "string";
                const allowed = parsedNumber ? `${issue.message} (YAML read this as the number ${value}; write it in quotes)` : issue.message;
                problems.add(problemAt(ctx, p, value, allowed, accessFix(ctx.stack, p)));
            }
            // Stand in a value that passes (the suggestion or the default) so the next round checks the rest.
            const same = (v: unknown) => JSON.stringify(v) === JSON.stringify(value);
            const target = targetFor(ctx, p, value);
            const fallback = hasPath(ctx.defaults, p) ? valueAt(ctx.defaults, p) : undefined;
            const standIn = target !== undefined && !same(target) ? target : fallback !== undefined && !same(fallback) ? fallback : undefined;
            if (standIn === undefined) removals.push(p);
            else putAt(work, p, structuredClone(standIn));
        }
        // List elements go last to first, so that removing one does not shift the others.
        removals.sort((a, b) => (cliPath(a) < cliPath(b) ? 1 : -1));
        for (const p of removals.splice(0)) putAt(work, p, undefined);
    }
    return undefined;
}

/**
 * Validates the raw config of one stack and returns the typed config, or throws a ConfigError that lists
 * every problem at once: shape and types, the rules across fields, secrets, Azure names and node capacity.
 * Pure: no Pulumi runtime needed.
 */
export function parseStackConfig(raw: RawConfig, options: ParseOptions): StackConfig {
    const stack = options.stack;
    const project = options.project ?? PROJECT;
    const problems = new Problems();

    // Environment first: the defaults depend on it.
    const envRaw = raw[`${project}:environment`] ?? (ENVIRONMENTS.includes(stack as Environment) ? stack : undefined);
    const environment: Environment = ENVIRONMENTS.includes(envRaw as Environment) ? (envRaw as Environment) : "dev";
    const defaults = environmentDefaults(environment);
    const ctx: Context = { stack, project, defaults: { ...defaults, environment }, user: {}, secretTop: new Set<string>(), options };
    if (!ENVIRONMENTS.includes(envRaw as Environment)) {
        problems.add({
            key: "environment",
            value: envRaw,
            allowed: `one of ${ENVIRONMENTS.join(", ")} (the profile of defaults this stack uses)`,
            fix: setCommand(stack, ["environment"], "dev")!,
        });
    }

    const { user, secretValues } = readRaw(raw, ctx, problems);
    // The single server of earlier releases: its fields now live under one entry of mcpServers.
    if ("mcpServer" in user) {
        problems.add({
            key: "mcpServer",
            value: undefined,
            allowed: `no value: mcpServer became mcpServers, a map keyed by server name; move these fields under mcpServers.${DEFAULT_SERVER_NAME}`,
            fix: rmCommand(stack, ["mcpServer"]),
        });
        delete user.mcpServer;
    }
    Object.assign(ctx.user, user);
    // Coerced before the merge, so that JSON text for an object (`--path cluster.network '{}'`) merges like one.
    const merged = coerce(schema, deepMerge(ctx.defaults, coerce(schema, { ...user, environment }))) as Record<string, unknown>;
    // Each server merges over the per-server defaults; the defaults the fixes quote do the same, so a fix for
    // mcpServers.<name>.<key> proposes that server's default.
    if (isPlainObject(merged.mcpServers)) {
        const template = mcpServerDefaults(environment);
        const servers: Record<string, unknown> = {};
        const serverDefaults: Record<string, unknown> = {};
        // The reference server reads every key the stack declares unless its entry says otherwise, so that
        // changing apiKeys does not also require changing mcpServers.docs.apiKeys.
        const stackKeys = Array.isArray(merged.apiKeys) ? { apiKeys: merged.apiKeys } : {};
        for (const [name, entry] of Object.entries(merged.mcpServers)) {
            const own = { ...(name === DEFAULT_SERVER_NAME ? stackKeys : {}), ...((valueAt(defaults, ["mcpServers", name]) as object | undefined) ?? {}) };
            serverDefaults[name] = deepMerge(template, own);
            const server = isPlainObject(entry) ? (deepMerge(serverDefaults[name], entry) as Record<string, unknown>) : entry;
            // An image the stack sets replaces a default build (docs builds server/); both set is reported by mcpImageSource.
            const stated = valueAt(user, ["mcpServers", name]);
            if (isPlainObject(server) && isPlainObject(stated) && stated.image !== undefined && stated.build === undefined) delete server.build;
            // A server without a readiness endpoint of its own is ready when it is alive.
            if (isPlainObject(server) && server.readyPath === undefined) server.readyPath = server.healthPath;
            servers[name] = server;
        }
        merged.mcpServers = servers;
        (ctx.defaults as Record<string, unknown>).mcpServers = serverDefaults;
    }
    const cfg = schemaProblems(ctx, merged, problems);
    if (!cfg) throw new ConfigError(stack, problems.list);

    for (const p of ruleProblems(cfg, ctx)) problems.add(p);
    for (const p of secretProblems(cfg, ctx, secretValues)) problems.add(p, { independent: true });
    for (const p of nestedSecretProblems(cfg, ctx)) problems.add(p, { independent: true });
    for (const p of nameProblems(cfg, ctx)) problems.add(p);
    for (const p of capacityProblems(cfg, ctx)) problems.add(p);
    for (const p of importProblems(cfg, ctx)) problems.add(p);
    const sources: Record<string, McpImageSource> = {};
    for (const [name, server] of Object.entries(cfg.mcpServers)) {
        // A disabled entry deploys nothing, so it needs no image.
        if (!server.enabled) continue;
        const image = mcpImageSource(name, server, ctx, options.sourceRoot ?? REPO_ROOT);
        if ("problem" in image) problems.add(image.problem);
        else sources[name] = image.source;
    }

    if (problems.list.length > 0) throw new ConfigError(stack, problems.list);

    const secrets: Record<string, SecretValue> = {};
    for (const name of cfg.apiKeys) secrets[name] = new SecretValue(secretValues[name].raw);
    const mcpServers: Record<string, McpServerConfig> = {};
    for (const [name, server] of Object.entries(cfg.mcpServers)) {
        const { enabled, ...rest } = server;
        if (enabled) mcpServers[name] = { name, ...rest, source: sources[name] };
    }
    const edgeSecret = secretValues[EDGE_CLIENT_SECRET_KEY];
    const edgeClientSecret = edgeSecret !== undefined && edgeSecret.raw !== "" ? new SecretValue(edgeSecret.raw) : undefined;
    return deepFreeze({ ...cfg, mcpServers, project, stack, environment, secrets, ...(edgeClientSecret ? { edgeClientSecret } : {}) }) as StackConfig;
}

/** Lowercase letters and digits of the stack name: the part of Azure names that identifies the stack. */
export function sanitizeStackName(stack: string): string {
    return stack.toLowerCase().replace(/[^a-z0-9]/g, "");
}

/** Secrets: one per API key, set with --secret, never echoed. */
function secretProblems(cfg: ParsedConfig, ctx: Context, secretValues: Record<string, { raw: string; isSecret: boolean }>): ConfigProblem[] {
    const out: ConfigProblem[] = [];
    const { stack } = ctx;
    for (const name of cfg.apiKeys) {
        const entry = secretValues[name];
        if (entry === undefined || entry.raw === "") {
            out.push({ key: name, value: undefined, allowed: "the API key, stored as a secret", fix: setCommand(stack, [name], undefined, { secret: true })! });
        } else if (!entry.isSecret) {
            out.push({ key: name, value: HIDDEN, allowed: "a value set with --secret, so that it is encrypted in the stack file", fix: setCommand(stack, [name], undefined, { secret: true })! });
        }
    }
    const edgeSecret = secretValues[EDGE_CLIENT_SECRET_KEY];
    if (edgeSecret !== undefined) {
        if (cfg.edge.entra.existingAppId === "") {
            out.push({ key: EDGE_CLIENT_SECRET_KEY, value: HIDDEN, allowed: "only with edge.entra.existingAppId: a stack-created app registration gets its secret from the stack", fix: rmCommand(stack, [EDGE_CLIENT_SECRET_KEY]) });
        } else if (!edgeSecret.isSecret) {
            out.push({ key: EDGE_CLIENT_SECRET_KEY, value: HIDDEN, allowed: "a value set with --secret, so that it is encrypted in the stack file", fix: setCommand(stack, [EDGE_CLIENT_SECRET_KEY], undefined, { secret: true })! });
        }
    }
    for (const name of Object.keys(secretValues)) {
        if (name === EDGE_CLIENT_SECRET_KEY) continue;
        if (!cfg.apiKeys.includes(name)) {
            out.push({
                key: name,
                value: HIDDEN,
                allowed: `an API key named in apiKeys (${cfg.apiKeys.join(", ") || "none"}); remove it, or add it to apiKeys`,
                fix: rmCommand(stack, [name]),
            });
        }
    }
    return out;
}

/**
 * A value set with `--path --secret` below a plain key: the CLI then marks the whole top-level key secret,
 * but nothing below it is handled as a secret (settings land in a plain ConfigMap). Secrets belong in
 * apiKeys, which go to Key Vault.
 */
function nestedSecretProblems(cfg: ParsedConfig, ctx: Context): ConfigProblem[] {
    const out: ConfigProblem[] = [];
    const { stack } = ctx;
    for (const top of ctx.secretTop) {
        const paths = (ctx.options.securePaths ?? []).filter((p) => p === top || p.startsWith(`${top}.`) || p.startsWith(`${top}[`));
        const allowed = `plain config: ${top} is not handled as a secret (mcpServers.<name>.settings land in a plain ConfigMap); a secret belongs in apiKeys, which go to Key Vault`;
        if (paths.length === 0) {
            // Which entry is encrypted is unknown here; re-setting the key as plain JSON keeps every value.
            out.push({ key: top, value: HIDDEN, allowed, fix: `pulumi config set ${top} "$(pulumi config get ${top} --stack ${stack})" --stack ${stack}` });
            continue;
        }
        for (const p of paths) {
            const m = /^mcpServers\.([a-z][-a-z0-9]*)\.settings\.([A-Z][A-Z0-9_]*)$/.exec(p);
            const fix = m
                ? andThen(rmCommand(stack, ["mcpServers", m[1], "settings", m[2]]), setCommand(stack, ["apiKeys"], [...cfg.apiKeys, m[2]])!, setCommand(stack, [m[2]], undefined, { secret: true })!)
                : setCommand(stack, parseCliPath(p), undefined)!;
            out.push({ key: p, value: HIDDEN, allowed, fix });
        }
    }
    return out;
}

function nameProblems(cfg: ParsedConfig, ctx: Context): ConfigProblem[] {
    const stem: NameStem = { prefix: cfg.namePrefix, stack: sanitizeStackName(ctx.stack) };
    const out: ConfigProblem[] = [];
    // Each server's Azure names (identity, federated credential) must fit too.
    for (const name of Object.keys(cfg.mcpServers)) {
        for (const { name: derived, rule } of nameViolations(serverAzureNames(stem, cfg.namespace, name))) {
            out.push({
                key: `mcpServers.${name}`,
                value: name,
                allowed: `a server name short enough for the ${rule.what} name "${derived}" (${derived.length} characters; Azure allows ${rule.allowed}); move its fields under a shorter name`,
                fix: rmCommand(ctx.stack, ["mcpServers", name]),
            });
        }
    }
    const violations = nameViolations(azureNames(stem));
    if (violations.length === 0) return out;
    // The tightest name says how long the prefix may be: everything else in it is fixed by the stack name.
    let room = Infinity;
    for (const { name, rule } of violations) room = Math.min(room, cfg.namePrefix.length - (name.length - rule.max));
    const what = violations.map(({ name, rule }) => `the ${rule.what} name "${name}" (${name.length} characters; Azure allows ${rule.allowed})`).join(", ");
    const kv = NAME_RULES.keyVault;
    const bound = `the Key Vault name is "kv-" + namePrefix + "-" + the stack name "${stem.stack}" + "-" + a ${SUFFIX_PLACEHOLDER.length}-character suffix, at most ${kv.max} characters`;
    if (room >= 1) {
        return [...out, { key: "namePrefix", value: cfg.namePrefix, allowed: `at most ${room} characters with this stack: ${what}; ${bound}`, fix: setCommand(ctx.stack, ["namePrefix"], cfg.namePrefix.slice(0, room))! }];
    }
    const maxStack = kv.max - "kv-".length - 1 - 1 - 1 - SUFFIX_PLACEHOLDER.length;
    return [...out, { key: "namePrefix", value: cfg.namePrefix, allowed: `no prefix fits: ${what}; ${bound}, so the stack name must be at most ${maxStack} letters and digits`, fix: `pulumi stack rename <a stack name of at most ${maxStack} letters and digits> --stack ${ctx.stack}` }];
}

function pools(cfg: ParsedConfig): Array<[Path, ParsedConfig["cluster"]["systemPool"]]> {
    const out: Array<[Path, ParsedConfig["cluster"]["systemPool"]]> = [[["cluster", "systemPool"], cfg.cluster.systemPool]];
    if (cfg.cluster.userPool) out.push([["cluster", "userPool"], cfg.cluster.userPool]);
    return out;
}

/**
 * The pods each workload runs at its maximum, with their requests. A component that adds pods (Qdrant
 * replicas, the edge, more MCP servers) adds its entry here; the capacity check covers it with no more work.
 */
export function stackWorkloads(cfg: {
    readonly mcpServers: Readonly<Record<string, { readonly enabled?: boolean; readonly maxReplicas: number; readonly resources: ResourcesConfig }>>;
    readonly qdrant: Pick<StackConfig["qdrant"], "replicas" | "resources">;
}): WorkloadDemand[] {
    const req = (r: ResourcesConfig["requests"]) => ({ cpuMillis: quantityValue(r.cpu), memoryMiB: quantityValue(r.memory) });
    const servers = Object.entries(cfg.mcpServers).filter(([, s]) => s.enabled !== false);
    return [
        ...servers.map(([name, s]) => ({
            name: mcpServerServiceAccount(name),
            replicas: s.maxReplicas,
            ...req(s.resources.requests),
            key: `mcpServers.${name}.maxReplicas`,
            requestsKey: `mcpServers.${name}.resources.requests`,
        })),
        { name: "qdrant", replicas: cfg.qdrant.replicas, ...req(cfg.qdrant.resources.requests), key: "qdrant.replicas", requestsKey: "qdrant.resources.requests" },
    ];
}

function capacityProblems(cfg: ParsedConfig, ctx: Context): ConfigProblem[] {
    const user = cfg.cluster.userPool;
    const shortfalls = capacityShortfalls(
        {
            system: { key: "cluster.systemPool", vmSize: cfg.cluster.systemPool.vmSize, maxCount: cfg.cluster.systemPool.maxCount },
            user: user ? { key: "cluster.userPool", vmSize: user.vmSize, maxCount: user.maxCount } : null,
        },
        stackWorkloads(cfg),
    );
    return shortfalls.map((s) => {
        const p = s.key.split(".");
        return {
            key: s.key,
            value: s.value,
            allowed: s.allowed,
            fix:
                s.fixValue !== undefined
                    ? setCommand(ctx.stack, p, s.fixValue)!
                    : s.largerSize
                      ? setCommand(ctx.stack, [...s.poolKey.split("."), "vmSize"], s.largerSize)!
                      : setCommand(ctx.stack, [...s.poolKey.split("."), "vmSize"], "<a larger VM size, added to components/capacity.ts>")!,
        };
    });
}

/** Every CIDR value in the config with its path (the schema's `cidr` node marks them). */
function cidrValues(cfg: ParsedConfig): Array<[Path, string]> {
    const out: Array<[Path, string]> = [];
    const walk = (node: z.core.$ZodType | undefined, value: unknown, p: PathSegment[]) => {
        if (!node || value === undefined || value === null) return;
        if (node === cidr && typeof value === "string") out.push([p, value]);
        const inner = unwrap(node).node;
        const d = (inner as any)._zod.def;
        if (d.type === "object" && isPlainObject(value)) for (const [k, v] of Object.entries(value)) walk(d.shape[k], v, [...p, k]);
        if (d.type === "array" && Array.isArray(value)) value.forEach((v, i) => walk(d.element, v, [...p, i]));
        if (d.type === "record" && isPlainObject(value)) for (const [k, v] of Object.entries(value)) walk(d.valueType, v, [...p, k]);
    };
    walk(schema, cfg, []);
    return out;
}

/** Every `resources` block (requests and limits) in the config with its path. */
function resourceBlocks(cfg: ParsedConfig): Array<[Path, ResourcesConfig]> {
    const out: Array<[Path, ResourcesConfig]> = [];
    for (const top of Object.keys(cfg) as Array<keyof ParsedConfig>) {
        const v = cfg[top] as unknown;
        if (isPlainObject(v) && isPlainObject(v.resources) && nodeAt(schema, [top, "resources"]) === resources) out.push([[top, "resources"], v.resources as unknown as ResourcesConfig]);
    }
    for (const [name, server] of Object.entries(cfg.mcpServers)) out.push([["mcpServers", name, "resources"], server.resources]);
    return out;
}

/**
 * The command that sets one admin object id, looked up by the az CLI in the same line (double quotes
 * around `$(...)`, so the shell runs the lookup; a GUID is stored as a string). Undefined for paths that
 * are not an id (the whole access block, a list that is not a list): the generic fix handles those.
 */
export function accessFix(stack: string, p: readonly PathSegment[]): string | undefined {
    if (p[0] !== "access") return undefined;
    const [, field, index] = p;
    if (field === "ciServicePrincipal" && p.length === 2) {
        return `pulumi config set --path access.ciServicePrincipal "$(${OBJECT_ID_LOOKUP["service principal"]})" --stack ${stack}`;
    }
    if (field === "adminUsers" || field === "adminGroups") {
        const lookup = field === "adminUsers" ? OBJECT_ID_LOOKUP.user : OBJECT_ID_LOOKUP.group;
        const set = (i: number) => `pulumi config set --path 'access.${field}[${i}]' "$(${lookup})" --stack ${stack}`;
        if (p.length === 3 && typeof index === "number") return set(index);
        // Not a list at all: --path cannot index into it, so the value goes first and the list starts anew.
        if (p.length === 2) return andThen(rmCommand(stack, p), set(0));
    }
    return undefined;
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

function accessProblems(cfg: ParsedConfig, ctx: Context): ConfigProblem[] {
    const out: ConfigProblem[] = [];
    const prod = cfg.environment === "prod";
    const admins = adminPrincipals(cfg.access);
    if (admins.length === 0) {
        // Local accounts are off: with no admin, the program's own Kubernetes calls get 403 and nobody can
        // ever manage the cluster without a manual role assignment.
        const first: Path = ["access", prod ? "adminGroups" : "adminUsers", 0];
        out.push(
            problemAt(
                ctx,
                ["access"],
                cfg.access,
                prod
                    ? "at least one admin group in access.adminGroups: with no admin nobody, not even pulumi up, can reach the cluster"
                    : "at least one admin (access.adminGroups, access.ciServicePrincipal or access.adminUsers): with no admin nobody, not even pulumi up, can reach the cluster",
                accessFix(ctx.stack, first),
            ),
        );
    } else if (prod && cfg.access.adminGroups.length === 0) {
        out.push(
            problemAt(
                ctx,
                ["access", "adminGroups"],
                [],
                "at least one Entra group in prod: a break-glass admin group whose membership is managed in Entra ID, so losing one person or the CI identity never locks the cluster",
                accessFix(ctx.stack, ["access", "adminGroups", 0]),
            ),
        );
    }
    const seen = new Map<string, string>();
    for (const { key: where, objectId } of admins) {
        const id = objectId.toLowerCase();
        const first = seen.get(id);
        if (first) {
            const p = parseCliPath(where);
            out.push(problemAt(ctx, p, objectId, `each object id once (${first} and ${where} hold the same one; its role assignment would be declared twice)`, rmCommand(ctx.stack, p)));
        } else {
            seen.set(id, where);
        }
    }
    return out;
}

function ruleProblems(cfg: ParsedConfig, ctx: Context): ConfigProblem[] {
    const out: ConfigProblem[] = [...accessProblems(cfg, ctx)];
    const { stack } = ctx;
    const add = (p: Path, value: unknown, allowed: string, fix?: string) => out.push(problemAt(ctx, p, value, allowed, fix));

    if (!AZURE_REGIONS.includes(cfg.location)) {
        const hint = closest(cfg.location, AZURE_REGIONS);
        add(["location"], cfg.location, `an Azure region name${hint ? ` (did you mean ${hint}?)` : ""}; components/azure-regions.ts lists them (as of ${AZURE_REGIONS_AS_OF})`, setCommand(stack, ["location"], hint ?? valueAt(ctx.defaults, ["location"])));
    }

    if (SYSTEM_NAMESPACES.includes(cfg.namespace) || cfg.namespace.startsWith("kube-")) {
        add(["namespace"], cfg.namespace, `a namespace of its own, not ${cfg.namespace} (Kubernetes and AKS add-ons run there: ${SYSTEM_NAMESPACES.join(", ")}, kube-*)`);
    }

    const tags = Object.entries(cfg.tags);
    for (const [name, value] of tags) {
        if (PROGRAM_TAGS.includes(name.toLowerCase())) {
            add(["tags", name], value, `a tag name other than ${PROGRAM_TAGS.join(", ")} (the program sets those on every resource and would overwrite it; Azure compares tag names ignoring case)`, rmCommand(stack, ["tags", name]));
        } else if (name.length > TAG_LIMITS.nameLength || TAG_LIMITS.forbidden.test(name) || name.trim() === "") {
            add(["tags", name], value, `a tag name of 1-${TAG_LIMITS.nameLength} characters without < > % & \\ ? / (Azure's limits)`, rmCommand(stack, ["tags", name]));
        } else if (value.length > TAG_LIMITS.valueLength) {
            add(["tags", name], value, `a tag value of at most ${TAG_LIMITS.valueLength} characters (Azure's limit)`, setCommand(stack, ["tags", name], value.slice(0, TAG_LIMITS.valueLength)) ?? rmCommand(stack, ["tags", name]));
        }
    }
    const room = TAG_LIMITS.count - PROGRAM_TAGS.length;
    if (tags.length > room) {
        const extra = tags.slice(room).map(([n]) => rmCommand(stack, ["tags", n]));
        add(["tags"], `${tags.length} tags`, `at most ${room} tags: Azure allows ${TAG_LIMITS.count} per resource and the program adds ${PROGRAM_TAGS.length} (${PROGRAM_TAGS.join(", ")})`, andThen(...extra));
    }

    if (cfg.cluster.kubernetesVersion !== undefined) {
        const verdict = aksVersionVerdict(cfg.cluster.kubernetesVersion, ctx.options.today ?? new Date());
        if (!verdict.ok) {
            const supported = verdict.supported.length > 0 ? verdict.supported.join(", ") : "none in components/aks-versions.ts any more (newer minors are accepted)";
            add(["cluster", "kubernetesVersion"], cfg.cluster.kubernetesVersion, `a version AKS supports: ${verdict.reason}; supported per the AKS calendar of ${AKS_VERSIONS_AS_OF}: ${supported}; unset, AKS picks its default`, rmCommand(stack, ["cluster", "kubernetesVersion"]));
        }
    }

    for (const [p, pool] of pools(cfg)) {
        if (pool.minCount > pool.maxCount) add([...p, "minCount"], pool.minCount, `at most ${cliPath([...p, "maxCount"])} (${pool.maxCount})`, setCommand(stack, [...p, "minCount"], pool.maxCount));
        const size = VM_SIZES[pool.vmSize];
        if (!size) {
            add([...p, "vmSize"], pool.vmSize, `a VM size listed in components/capacity.ts (${Object.keys(VM_SIZES).join(", ")}); add a size there with its vCPUs, memory, cache and temp disk from the Azure docs`);
            continue;
        }
        if (pool.osDiskType === "Ephemeral") {
            const max = maxEphemeralOsDiskGB(size);
            if (max < 30) {
                add([...p, "osDiskType"], pool.osDiskType, `Managed with ${pool.vmSize}: an ephemeral OS disk lives in the VM's cache or temp disk, and this size has ${size.cacheGiB} GiB cache and ${size.tempDiskGiB} GiB temp disk`, setCommand(stack, [...p, "osDiskType"], "Managed"));
            } else if (pool.osDiskSizeGB > max) {
                add([...p, "osDiskSizeGB"], pool.osDiskSizeGB, `at most ${max} with an ephemeral OS disk on ${pool.vmSize} (its ${size.cacheGiB >= size.tempDiskGiB ? `cache holds ${size.cacheGiB}` : `temp disk holds ${size.tempDiskGiB}`} GiB)`, setCommand(stack, [...p, "osDiskSizeGB"], max));
            }
        }
    }
    out.push(...serverProblems(cfg, ctx));
    // AKS: a system pool must fit at least 30 pods (its add-ons alone need most of them).
    if (cfg.cluster.systemPool.maxPods < 30) {
        add(["cluster", "systemPool", "maxPods"], cfg.cluster.systemPool.maxPods, "at least 30 (AKS requires it of system node pools)", setCommand(stack, ["cluster", "systemPool", "maxPods"], 110));
    }
    // A budget holds at most five notifications; removing both lists restores the defaults (three).
    const notifications = cfg.budget.actualPercent.length + cfg.budget.forecastPercent.length;
    if (notifications === 0 || notifications > 5) {
        add(
            ["budget", "actualPercent"],
            cfg.budget.actualPercent,
            `1 to 5 thresholds in budget.actualPercent and budget.forecastPercent together (now ${notifications}; Azure budgets hold at most five notifications)`,
            andThen(rmCommand(stack, ["budget", "actualPercent"]), rmCommand(stack, ["budget", "forecastPercent"])),
        );
    }
    for (const [p, r] of resourceBlocks(cfg)) {
        for (const res of ["cpu", "memory"] as const) {
            if (quantityValue(r.requests[res]) > quantityValue(r.limits[res])) {
                add([...p, "requests", res], r.requests[res], `at most ${cliPath([...p, "limits", res])} (${r.limits[res]}): Kubernetes rejects a request above its limit`, setCommand(stack, [...p, "requests", res], r.limits[res]));
            }
        }
    }

    const net = cfg.cluster.network;
    const [svcAddr, svcBits] = ipaddr.IPv4.parseCIDR(net.serviceCidr);
    const dns = ipaddr.IPv4.parse(net.dnsServiceIp);
    const netPath: Path = ["cluster", "network"];
    if (!dns.match(svcAddr, svcBits)) {
        add([...netPath, "dnsServiceIp"], net.dnsServiceIp, `an address inside cluster.network.serviceCidr (${net.serviceCidr})`);
    } else {
        const first = ipaddr.IPv4.networkAddressFromCIDR(net.serviceCidr).toByteArray();
        const network = first.join(".");
        first[3] += 1;
        const kubernetesIp = first.join(".");
        const broadcast = ipaddr.IPv4.broadcastAddressFromCIDR(net.serviceCidr).toString();
        const taken: Record<string, string> = { [network]: "the range's network address", [kubernetesIp]: "the address of the kubernetes Service (the range's first address)", [broadcast]: "the range's broadcast address" };
        const why = taken[dns.toString()];
        if (why) {
            const ten = ipaddr.IPv4.networkAddressFromCIDR(net.serviceCidr).toByteArray();
            ten[3] += 10;
            add([...netPath, "dnsServiceIp"], net.dnsServiceIp, `an address in cluster.network.serviceCidr other than ${why}`, setCommand(stack, [...netPath, "dnsServiceIp"], ten.join(".")));
        }
    }
    const [podAddr, podBits] = ipaddr.IPv4.parseCIDR(net.podCidr);
    const overlaps = (a: ipaddr.IPv4, abits: number) => a.match(svcAddr, svcBits) || svcAddr.match(a, abits);
    if (overlaps(podAddr, podBits)) {
        // The default first, then the other private ranges AKS accepts for an overlay pod CIDR.
        const free = [String(valueAt(ctx.defaults, [...netPath, "podCidr"])), "192.168.0.0/16", "172.16.0.0/16", "10.244.0.0/16", "100.64.0.0/16"].find((c) => !overlaps(...ipaddr.IPv4.parseCIDR(c)));
        add([...netPath, "podCidr"], net.podCidr, `a range that does not overlap cluster.network.serviceCidr (${net.serviceCidr})`, free ? setCommand(stack, [...netPath, "podCidr"], free) : undefined);
    }

    if (cfg.environment === "prod") {
        if (cfg.cluster.authorizedIpRanges.length === 0) {
            add(["cluster", "authorizedIpRanges"], [], "at least one CIDR in prod: the API server is not open to the internet", setCommand(stack, ["cluster", "authorizedIpRanges"], ["<your-office-or-runner-cidr>"]));
        }
        if (!cfg.keyVault.purgeProtection) {
            add(["keyVault", "purgeProtection"], false, "true in prod: a deleted vault and its keys must stay recoverable", setCommand(stack, ["keyVault", "purgeProtection"], true));
        }
        if (cfg.cluster.systemPool.minCount < 3) {
            // Three system nodes keep CoreDNS, metrics-server and the CSI controllers up through a node
            // upgrade and a zone outage (AKS production guidance; PSRule Azure.AKS.MinNodeCount).
            add(["cluster", "systemPool", "minCount"], cfg.cluster.systemPool.minCount, "at least 3 in prod", setCommand(stack, ["cluster", "systemPool", "minCount"], 3));
        }
        if (cfg.alerts.emails.length === 0) {
            add(["alerts", "emails"], [], "at least one address in prod: an alert that reaches nobody does not help", setCommand(stack, ["alerts", "emails"], ["<oncall@your-org>"]));
        }
        if (ctx.options.deployment) {
            for (const [p, range] of cidrValues(cfg)) {
                const [addr, bits] = ipaddr.IPv4.parseCIDR(range);
                const doc = DOCUMENTATION_RANGES.find((d) => {
                    const [da, db] = ipaddr.IPv4.parseCIDR(d);
                    return addr.match(da, db) && bits >= db;
                });
                if (doc && p[p.length - 2] !== "network") {
                    add(p, range, `your own range in prod: ${doc} is a documentation range (RFC 5737) that no client uses, so nobody could connect`, setCommand(stack, p, "<your-cidr>"));
                }
            }
        }
    }
    if (cfg.cluster.zones.length > 0 && cfg.cluster.tier === "Free") {
        // Zones without the uptime SLA buy node resilience for an API server that has none.
        add(["cluster", "tier"], cfg.cluster.tier, "Standard or Premium when cluster.zones is set", setCommand(stack, ["cluster", "tier"], "Standard"));
    }

    out.push(...qdrantProblems(cfg, ctx));
    out.push(...edgeProblems(cfg, ctx));

    const kvNames = new Map<string, string>();
    for (const name of cfg.apiKeys) {
        const kv = keyVaultSecretName(name);
        const other = kvNames.get(kv);
        if (other !== undefined) {
            add(["apiKeys"], cfg.apiKeys, `names that stay distinct in Key Vault (${other} and ${name} both become ${kv})`, setCommand(stack, ["apiKeys"], cfg.apiKeys.filter((n) => n !== name)));
        }
        kvNames.set(kv, name);
    }
    return out;
}

/** The rules of each MCP server entry that involve other fields or the rest of the config. */
function serverProblems(cfg: ParsedConfig, ctx: Context): ConfigProblem[] {
    const out: ConfigProblem[] = [];
    const { stack } = ctx;
    const add = (p: Path, value: unknown, allowed: string, fix?: string) => out.push(problemAt(ctx, p, value, allowed, fix));
    const stackKeys = new Set(cfg.apiKeys);
    for (const [name, server] of Object.entries(cfg.mcpServers)) {
        const at = (...rest: PathSegment[]): Path => ["mcpServers", name, ...rest];
        if (!SERVER_NAME.test(name) || name.length > MAX_SERVER_NAME_LENGTH) {
            add(
                at(),
                name,
                `a server name of 1-${MAX_SERVER_NAME_LENGTH} lowercase letters, digits and '-', starting with a letter and not ending in '-' (it becomes the Service name ${mcpServerServiceAccount("<name>")}, a DNS label); move its fields under a valid name`,
                rmCommand(stack, at()),
            );
        }
        if (server.minReplicas > server.maxReplicas) {
            add(at("minReplicas"), server.minReplicas, `at most mcpServers.${name}.maxReplicas (${server.maxReplicas})`, setCommand(stack, at("minReplicas"), server.maxReplicas));
        }
        const seen = new Set<string>();
        server.apiKeys.forEach((key, i) => {
            if (!stackKeys.has(key)) {
                add(at("apiKeys", i), key, `a key the stack declares in apiKeys (${cfg.apiKeys.join(", ") || "none"}): remove it here, or add it to apiKeys first`, rmCommand(stack, at("apiKeys", i)));
            } else if (seen.has(key)) {
                add(at("apiKeys", i), key, "each key once", rmCommand(stack, at("apiKeys", i)));
            }
            seen.add(key);
        });
        for (const setting of Object.keys(server.settings)) {
            if (RESERVED_SETTINGS.includes(setting) || stackKeys.has(setting)) {
                add(at("settings", setting), server.settings[setting], `a setting other than ${[...RESERVED_SETTINGS, ...stackKeys].join(", ")} (those come from the platform or from Key Vault)`, rmCommand(stack, at("settings", setting)));
            }
        }
    }
    return out;
}

/** Qdrant's cluster settings only make sense together: checked here so a bad mix never reaches the pods. */
function qdrantProblems(cfg: ParsedConfig, ctx: Context): ConfigProblem[] {
    const out: ConfigProblem[] = [];
    const q = cfg.qdrant;
    const at = (...leaf: string[]): Path => ["qdrant", ...leaf];
    const add = (p: Path, value: unknown, allowed: string, target: unknown) => out.push(problemAt(ctx, p, value, allowed, setCommand(ctx.stack, p, target)));
    if (q.replicationFactor > q.replicas) {
        add(at("replicationFactor"), q.replicationFactor, `at most qdrant.replicas (${q.replicas}): each replica of a shard lives on its own node`, Math.min(q.replicas, 3));
    } else if (q.replicas >= 3 && q.replicationFactor < 2) {
        add(at("replicationFactor"), q.replicationFactor, "2 or more in cluster mode (qdrant.replicas >= 3): with one replica per shard, losing one node loses that node's shards", Math.min(q.replicas, 3));
    }
    if (q.writeConsistencyFactor > q.replicationFactor) {
        add(at("writeConsistencyFactor"), q.writeConsistencyFactor, `at most qdrant.replicationFactor (${q.replicationFactor})`, Math.max(1, q.replicationFactor - 1));
    } else if (q.replicas >= 3 && q.writeConsistencyFactor > q.replicationFactor - 1) {
        add(at("writeConsistencyFactor"), q.writeConsistencyFactor, `at most qdrant.replicationFactor - 1 (${q.replicationFactor - 1}) in cluster mode, so that writes continue with one node down`, Math.max(1, q.replicationFactor - 1));
    }
    // One Qdrant pod per node (required anti-affinity): the pool Qdrant runs on must be able to hold them all.
    const pool = cfg.cluster.userPool ?? cfg.cluster.systemPool;
    const poolKey = cfg.cluster.userPool ? "cluster.userPool" : "cluster.systemPool";
    if (q.replicas > pool.maxCount) {
        add(at("replicas"), q.replicas, `at most ${poolKey}.maxCount (${pool.maxCount}): each Qdrant node needs a Kubernetes node of its own`, valueAt(ctx.defaults, ["qdrant", "replicas"]));
    }
    const fields = q.backup.schedule.trim().split(/\s+/);
    if (!fields.every((f) => CRON_FIELD.test(f))) {
        add(at("backup", "schedule"), q.backup.schedule, "five cron fields of numbers, *, ranges, lists and steps, such as \"17 * * * *\" (UTC)", valueAt(ctx.defaults, ["qdrant", "backup", "schedule"]));
    }
    return out;
}

/** The ACR repository and tag an upstream reference is imported as. */
export function importTarget(upstream: string): { repository: string; tag: string; digest: string } {
    const ref = parseImageRef(upstream);
    return { repository: ref.repository, tag: ref.tag ?? "", digest: ref.digest ?? "" };
}

function importProblems(cfg: ParsedConfig, ctx: Context): ConfigProblem[] {
    const out: ConfigProblem[] = [];
    const enabled = Object.entries(cfg.mcpServers).filter(([, server]) => server.enabled);
    // The repositories the servers' builds push to: an import into one would mix two images' histories.
    const built = new Map(enabled.filter(([, server]) => server.build && !server.image).map(([name]) => [mcpServerRepository(name), name]));
    // Two imports into one repository:tag with different digests would overwrite each other in ACR.
    const seen = new Map<string, { name: string; digest: string }>();
    const imports: Array<[Path, string]> = Object.entries(cfg.images).map(([name, ref]) => [["images", name], ref]);
    for (const [name, server] of enabled) if (server.image && hasRegistryHost(server.image)) imports.push([["mcpServers", name, "image"], server.image]);
    for (const [p, ref] of imports) {
        const t = importTarget(ref);
        const target = `${t.repository}:${t.tag}`;
        const other = seen.get(target);
        if (other && other.digest !== t.digest) {
            out.push(problemAt(ctx, p, ref, `a reference whose repository and tag (${target}) differ from ${other.name}'s, or the same digest: both are imported as ${target}`, rmCommand(ctx.stack, p)));
        }
        const builder = built.get(t.repository);
        if (builder !== undefined && p[0] === "images") {
            out.push(problemAt(ctx, p, ref, `a repository other than ${t.repository}, which the build of MCP server ${builder} uses`, rmCommand(ctx.stack, p)));
        }
        if (!other) seen.set(target, { name: cliPath(p), digest: t.digest });
    }
    return out;
}

/** The edge's exposure rules: prod chooses explicitly, keyVault and letsEncrypt name their public name. */
function edgeProblems(cfg: ParsedConfig, ctx: Context): ConfigProblem[] {
    const out: ConfigProblem[] = [];
    const edge = cfg.edge;
    const mode = edge.tls.mode;
    const at = (...leaf: string[]): Path => ["edge", ...leaf];
    // fixTo also reaches below a value the stack file holds as JSON text, where --path cannot.
    const add = (p: Path, value: unknown, allowed: string, target: unknown) => out.push(problemAt(ctx, p, value, allowed, fixTo(ctx, p, target)));
    const publicNeedsRanges = () =>
        add(at("sourceRanges"), [], "at least one CIDR when a prod edge is public: sign-in stops strangers, source ranges also stop token-guessing and floods", ["<client-cidr>"]);
    if (mode === undefined) {
        add(
            at("tls", "mode"),
            undefined,
            `an explicit choice in ${cfg.environment} (${EDGE_TLS_MODES.join(", ")}): private has no public endpoint (port-forward), keyVault serves HTTPS on your domain with a certificate from Key Vault, letsEncrypt gets one in the cluster`,
            "private",
        );
    }
    if (mode === "keyVault") {
        if (edge.tls.hostname === "") {
            add(at("tls", "hostname"), "", "the DNS name clients use (its certificate is edge.tls.certificateName) when edge.tls.mode is keyVault", "mcp.example.com");
        }
        if (edge.tls.certificateName === "") {
            add(at("tls", "certificateName"), "", "the name of the Key Vault certificate for edge.tls.hostname when edge.tls.mode is keyVault", "mcp-edge-tls");
        }
        if (cfg.environment === "prod" && edge.loadBalancer === "public" && edge.sourceRanges.length === 0) publicNeedsRanges();
    }
    if (mode === "letsEncrypt") {
        const names = [edge.tls.hostname, edge.tls.dnsLabel].filter((n) => n !== "");
        const allowed =
            "exactly one of edge.tls.hostname (your domain, pointed at the edge) or edge.tls.dnsLabel (Azure's free <label>.<location>.cloudapp.azure.com) when edge.tls.mode is letsEncrypt";
        if (names.length === 0) add(at("tls", "dnsLabel"), "", allowed, `mcp-${sanitizeStackName(ctx.stack)}`);
        if (names.length === 2) add(at("tls", "hostname"), edge.tls.hostname, allowed, "");
        if (edge.loadBalancer === "internal") {
            add(at("loadBalancer"), "internal", "public when edge.tls.mode is letsEncrypt: Let's Encrypt validates the name over port 80 from the internet", "public");
        }
        if (cfg.environment === "prod" && edge.sourceRanges.length === 0) publicNeedsRanges();
    }
    if (edge.minReplicas > edge.maxReplicas) {
        add(at("minReplicas"), edge.minReplicas, `at most edge.maxReplicas (${edge.maxReplicas})`, edge.maxReplicas);
    }
    if (cfg.environment === "prod" && edge.minReplicas < 2) {
        add(at("minReplicas"), edge.minReplicas, "at least 2 in prod: the edge is the only way in, one pod is a single point of failure", 2);
    }
    return out;
}

/** Resolves one server's build / image to one image source, checking the build context on disk. */
function mcpImageSource(name: string, server: Pick<ParsedConfig["mcpServers"][string], "build" | "image">, ctx: Context, sourceRoot: string): { source: McpImageSource } | { problem: ConfigProblem } {
    const { stack } = ctx;
    const { build, image } = server;
    const at = (...rest: PathSegment[]): Path => ["mcpServers", name, ...rest];
    const key = (...rest: PathSegment[]) => cliPath(at(...rest));
    const repository = mcpServerRepository(name);
    const problem = (p: Path, value: unknown, allowed: string, fix: string) => ({ problem: problemAt(ctx, p, value, allowed, fix) });
    const contextPath = at("build", "context");
    const dockerfilePath = at("build", "dockerfile");
    if (build && image) {
        return problem(at("image"), image, `either ${key("build")} (build the image in ACR) or ${key("image")} (an existing image), not both`, rmCommand(stack, at("image")));
    }
    if (image) {
        if (!hasRegistryHost(image)) return { source: { kind: "registry", ref: image } };
        if (!parseImageRef(image).digest) {
            return problem(at("image"), image, "an image with a registry host pinned by digest (host/repo:tag@sha256:<digest>): it is imported into the stack's ACR, and nodes pull only from there", setCommand(stack, at("image"), `${image.split("@")[0]}@sha256:<digest>`)!);
        }
        return { source: { kind: "import", upstream: image } };
    }
    // Back to the entry's default build (docs: the repo's server/) if it has one; otherwise only the user knows what the server runs.
    const fallback = valueAt(ctx.defaults, contextPath);
    if (!build) {
        if (typeof fallback === "string") return problem(contextPath, undefined, `a build context, or an existing image in ${key("image")}`, setCommand(stack, contextPath, fallback)!);
        return problem(
            at("image"),
            undefined,
            `an image reference pinned by tag or digest (in the stack's ACR, or host/repo:tag@sha256:<digest> to import), or a build context in ${key("build", "context")}: every server says what it runs`,
            setCommand(stack, at("image"), `${repository}:<tag>`)!,
        );
    }

    const dockerfileFix = setCommand(stack, dockerfilePath, "Dockerfile")!;
    if (!isContainedRelativePath(build.dockerfile)) {
        return problem(dockerfilePath, build.dockerfile, "a path inside the build context, relative to it, with / separators (az acr build uploads only the context)", dockerfileFix);
    }
    if (isGitContext(build.context)) {
        if (!isPinnedGitContext(build.context)) {
            return problem(
                contextPath,
                build.context,
                "an https git URL ending in .git, pinned to a full 40-character commit, with an optional folder, such as https://github.com/org/repo.git#<commit>:server (a branch or tag could move without the image tag changing; credentials in the URL would be stored in plain text)",
                setCommand(stack, contextPath, "https://github.com/<org>/<repo>.git#<40-hex-commit>:<folder>")!,
            );
        }
        return { source: { kind: "build", context: build.context, dockerfile: build.dockerfile, git: true, repository, tag: gitBuildTag(build.context, build.dockerfile) } };
    }
    const contextFix = setCommand(stack, contextPath, typeof fallback === "string" && build.context !== fallback ? fallback : "<directory-with-a-Dockerfile>")!;
    if (!isContainedRelativePath(build.context)) {
        return problem(contextPath, build.context, "a directory inside the repo, relative to its root with / separators, such as server, or a pinned git URL", contextFix);
    }
    const contextDir = path.resolve(sourceRoot, build.context);
    if (!fs.existsSync(contextDir) || !fs.statSync(contextDir).isDirectory()) {
        return problem(contextPath, build.context, `an existing directory (${contextDir} does not exist; a clone of this repo has server/): the image of MCP server ${name} is built from it`, contextFix);
    }
    if (!fs.existsSync(path.join(contextDir, build.dockerfile))) {
        return problem(dockerfilePath, build.dockerfile, `a Dockerfile that exists in the build context (${path.join(contextDir, build.dockerfile)} does not)`, dockerfileFix);
    }
    return { source: { kind: "build", context: path.posix.normalize(build.context), dockerfile: path.posix.normalize(build.dockerfile), git: false, repository, tag: localBuildTag(contextDir, build.dockerfile) } };
}

function deepFreeze<T>(value: T): T {
    if (value && typeof value === "object" && !(value instanceof SecretValue)) {
        for (const v of Object.values(value)) deepFreeze(v);
        Object.freeze(value);
    }
    return value;
}

/** The enabled servers in name order: the order of every per-server list (resources, outputs, ports). */
export function mcpServerList(cfg: Pick<StackConfig, "mcpServers">): McpServerConfig[] {
    return Object.keys(cfg.mcpServers)
        .sort()
        .map((name) => cfg.mcpServers[name]);
}

/**
 * Paths of the `secure:` values a stack file holds below its top-level keys (`mcpServers.docs.settings.X`), so that
 * a problem can name the entry. Best effort: undefined when the file is elsewhere or unreadable.
 */
export function securePathsInStackFile(file: string, project: string): string[] | undefined {
    try {
        const doc = YAML.parse(fs.readFileSync(file, "utf8")) ?? {};
        const out: string[] = [];
        const walk = (v: unknown, p: PathSegment[]) => {
            if (isPlainObject(v) && Object.keys(v).length === 1 && "secure" in v) {
                if (p.length > 1) out.push(cliPath(p));
            } else if (Array.isArray(v)) v.forEach((x, i) => walk(x, [...p, i]));
            else if (isPlainObject(v)) for (const [k, x] of Object.entries(v)) walk(x, [...p, k]);
        };
        for (const [key, value] of Object.entries<unknown>(doc.config ?? {})) {
            if (key.startsWith(`${project}:`)) walk(value, [key.slice(project.length + 1)]);
        }
        return out;
    } catch {
        return undefined;
    }
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
    const stack = pulumi.getStack();
    const project = pulumi.getProject();
    const securePaths = securePathsInStackFile(path.join(process.cwd(), `Pulumi.${stack}.yaml`), project);
    return parseStackConfig(raw, { stack, project, secretKeys, securePaths, deployment: true });
}
