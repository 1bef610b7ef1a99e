/**
 * Shows what a stack would create, offline and without Azure credentials:
 *
 *   npm run plan -- --stack dev
 *
 * It evaluates the real program through the shared mock harness (tests/harness.ts), so the plan and the
 * tests see the same resources, and writes build/<stack>/: one YAML file per Kubernetes object in apply
 * order, azure.json (every Azure resource with its key settings) and summary.md (counts, security
 * posture, exposure, client config). The cloud's answers (IDs, IPs, the OIDC issuer) are PLACEHOLDER
 * values, and secret values are never written.
 */
import * as fs from "fs";
import * as path from "path";
import * as YAML from "yaml";
import { BUILT_IN_ROLES } from "../components/azure/role-assignment";
import { CLIENT_FILE_NAMES, CLIENT_FORMATS, STACK_OUTPUTS } from "../components/client-config";
import { AZURE_LB } from "../components/cluster/specs/edge";
import { ConfigError, mcpServerList, mcpServerRepository } from "../components/config";
import { CostEstimate, costTableMarkdown } from "../components/cost";
import { CapturedResource, Evaluation, EvaluateOptions, evaluateStack, PLACEHOLDER, REPO_ROOT, StackFileError } from "../tests/harness";
import { PodTemplateLike, restrictedViolations } from "../tests/pod-security";

export const USAGE = `Usage: npm run plan -- --stack <stack>

  Evaluates the program for Pulumi.<stack>.yaml offline, with the cloud's answers simulated, and writes
  build/<stack>/: k8s/*.yaml (one file per object, in apply order), azure.json and summary.md.
  IDs, IPs and issuers in the output are placeholders; secret values are never written.`;

export const REDACTED = "<redacted>";

export interface PlanFile {
    /** Relative to build/<stack>/, with forward slashes. */
    readonly path: string;
    readonly content: string;
}

export interface Plan {
    readonly files: PlanFile[];
    /** The short report for stdout. */
    readonly summary: string;
}

export interface PlanDeps {
    /** Directory that receives <stack>/ (default: build/ in the repository). */
    outRoot: string;
    /** Directory holding Pulumi.<stack>.yaml. */
    projectDir: string;
    /** Where local build contexts (mcpServer.build.context) resolve: the repo root. */
    sourceRoot: string;
    /** Raw config entries to add or replace (`mcp-aks:key` to raw string), as the harness takes them. */
    overrides?: Record<string, string>;
    evaluate(stack: string, options: EvaluateOptions): Promise<Evaluation>;
    stdout(text: string): void;
    stderr(text: string): void;
    /** Base for the paths printed to the user. */
    cwd: string;
}

class UsageError extends Error {}

// ---------------------------------------------------------------------------------------------------
// Kubernetes objects

/**
 * Apply order by kind, after Helm's install order: what others reference (namespace, storage classes,
 * identities, config, the SecretProviderClass the pods mount) before the Services and policies, and those
 * before the workloads, so no pod starts without its config or outside its NetworkPolicies.
 */
const KIND_ORDER = [
    "Namespace",
    "ResourceQuota",
    "LimitRange",
    "PriorityClass",
    "CustomResourceDefinition",
    "StorageClass",
    "ServiceAccount",
    "Secret",
    "ConfigMap",
    "*", // custom resources without a place of their own (SecretProviderClass)
    "PersistentVolume",
    "PersistentVolumeClaim",
    "ClusterRole",
    "ClusterRoleBinding",
    "Role",
    "RoleBinding",
    "Service",
    "NetworkPolicy",
    "DaemonSet",
    "StatefulSet",
    "Deployment",
    "Job",
    "CronJob",
    "IngressClass",
    "Ingress",
    "HorizontalPodAutoscaler",
    "PodDisruptionBudget",
];

function kindRank(kind: string): number {
    const i = KIND_ORDER.indexOf(kind);
    return i >= 0 ? i : KIND_ORDER.indexOf("*");
}

/**
 * apiVersion and kind from a Pulumi type token: `kubernetes:apps/v1:Deployment` -> apps/v1, Deployment;
 * the core group drops its name (`core/v1` -> `v1`). CustomResource registers as
 * `kubernetes:<apiVersion>:<kind>`, so the same rule covers it. Undefined for tokens that are not one
 * Kubernetes object (providers, Helm releases, YAML bundles, server-side patches).
 */
export function kubernetesTypeInfo(type: string): { apiVersion: string; kind: string } | undefined {
    const m = /^kubernetes:([^:]+):([A-Za-z0-9]+)$/.exec(type);
    if (!m) return undefined;
    const [, groupVersion, kind] = m;
    if (/^(helm\.sh|kustomize|yaml)\//.test(groupVersion) || kind.endsWith("Patch")) return undefined;
    return { apiVersion: groupVersion.startsWith("core/") ? groupVersion.slice("core/".length) : groupVersion, kind };
}

/** Drops undefined values, which Pulumi leaves for unset inputs (`status`), so YAML holds only set fields. */
function prune(value: unknown): unknown {
    if (Array.isArray(value)) return value.map(prune);
    if (value && typeof value === "object") {
        return Object.fromEntries(
            Object.entries(value)
                .filter(([, v]) => v !== undefined)
                .map(([k, v]) => [k, prune(v)]),
        );
    }
    return value;
}

/** The manifest a resource stands for, secret data redacted; undefined for non-object resources. */
export function kubernetesObject(resource: CapturedResource): Record<string, any> | undefined {
    if (!resource.custom) return undefined;
    const info = kubernetesTypeInfo(resource.type);
    if (!info) return undefined;
    const { apiVersion: _apiVersion, kind: _kind, metadata, ...rest } = (prune(resource.inputs) ?? {}) as Record<string, any>;
    const obj: Record<string, any> = { apiVersion: info.apiVersion, kind: info.kind, metadata: metadata ?? {}, ...rest };
    if (info.apiVersion === "v1" && info.kind === "Secret") {
        // Keep the keys (they show what the Secret provides) and hide the values. `data` must stay
        // base64, or the manifest would not validate; the file header says that it is redacted.
        if (obj.stringData) obj.stringData = Object.fromEntries(Object.keys(obj.stringData).map((k) => [k, REDACTED]));
        if (obj.data) obj.data = Object.fromEntries(Object.keys(obj.data).map((k) => [k, Buffer.from(REDACTED).toString("base64")]));
    }
    return obj;
}

interface K8sEntry {
    readonly resource: CapturedResource;
    readonly object: Record<string, any>;
    readonly file: string;
}

function fileSafe(text: string): string {
    return text.toLowerCase().replace(/[^a-z0-9.-]+/g, "-");
}

/** The Kubernetes objects in apply order, each with its file name (`k8s/010-namespace-mcp-server.yaml`). */
export function orderedKubernetesObjects(resources: readonly CapturedResource[]): K8sEntry[] {
    const found = resources.flatMap((resource) => {
        const object = kubernetesObject(resource);
        return object ? [{ resource, object }] : [];
    });
    const key = (e: (typeof found)[number]) => [e.object.metadata.namespace ?? "", e.object.metadata.name ?? "", e.resource.name].join("\0");
    found.sort((a, b) => kindRank(a.object.kind) - kindRank(b.object.kind) || (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0));
    const width = Math.max(3, String(found.length * 10).length);
    return found.map((e, i) => ({
        ...e,
        // Pulumi auto-names objects without metadata.name; the logical name is the best stand-in here.
        file: `k8s/${String((i + 1) * 10).padStart(width, "0")}-${fileSafe(e.object.kind)}-${fileSafe(e.object.metadata.name ?? e.resource.name)}.yaml`,
    }));
}

/** The placeholders a text contains, by PLACEHOLDER key, so each file says which of its values are made up. */
function placeholdersIn(text: string): string[] {
    return Object.entries(PLACEHOLDER)
        .filter(([name, value]) => name !== "fakeSecret" && text.includes(value))
        .map(([name]) => name);
}

function yamlFile(stack: string, entry: K8sEntry): string {
    const body = YAML.stringify(entry.object, { lineWidth: 0 });
    const header = [
        `Rendered by \`npm run plan -- --stack ${stack}\` from ${entry.resource.type} "${entry.resource.name}".`,
        "Offline simulation: IDs, IPs and issuers are placeholders, not values from Azure.",
    ];
    const used = placeholdersIn(body);
    if (used.length > 0) header.push(`Placeholder values in this file: ${used.join(", ")}.`);
    if (entry.object.kind === "Secret") header.push(`Secret values are redacted (${REDACTED}); the real ones exist only in the cluster.`);
    if (!entry.object.metadata.name) header.push("No metadata.name: Pulumi generates one at deploy time.");
    return `${header.map((l) => `# ${l}`).join("\n")}\n${body}`;
}

// ---------------------------------------------------------------------------------------------------
// Azure resources

export function isAzureResource(r: CapturedResource): boolean {
    return r.custom && (r.type.startsWith("azure-native:") || r.type.startsWith("random:") || r.type.startsWith("azuread:"));
}

/** The input that holds the name Azure gives each resource type. */
const AZURE_NAME_INPUT: Record<string, string> = {
    "azure-native:resources:ResourceGroup": "resourceGroupName",
    "azure-native:containerservice:ManagedCluster": "resourceName",
    "azure-native:containerregistry:Registry": "registryName",
    "azure-native:keyvault:Vault": "vaultName",
    "azure-native:keyvault:Secret": "secretName",
    "azure-native:managedidentity:UserAssignedIdentity": "resourceName",
    "azure-native:managedidentity:FederatedIdentityCredential": "federatedIdentityCredentialResourceName",
    "azure-native:authorization:RoleAssignment": "roleAssignmentName",
    "azure-native:operationalinsights:Workspace": "workspaceName",
    "azure-native:monitor:AzureMonitorWorkspace": "azureMonitorWorkspaceName",
    "azure-native:monitor:DataCollectionRule": "dataCollectionRuleName",
    "azure-native:monitor:DataCollectionEndpoint": "dataCollectionEndpointName",
    "azure-native:monitor:DataCollectionRuleAssociation": "associationName",
    "azure-native:containerservice:AgentPool": "agentPoolName",
    "azure-native:containerservice:MaintenanceConfiguration": "configName",
    "azure-native:monitor:DiagnosticSetting": "name",
    "azure-native:monitor:ActionGroup": "actionGroupName",
    "azure-native:monitor:MetricAlert": "ruleName",
    "azure-native:monitor:ScheduledQueryRule": "ruleName",
    "azure-native:consumption:Budget": "budgetName",
    "azure-native:authorization:PolicyAssignment": "policyAssignmentName",
    "azure-native:operationalinsights:Table": "tableName",
};

function azureName(r: CapturedResource): string | null {
    const i = r.inputs ?? {};
    const key = AZURE_NAME_INPUT[r.type] ?? Object.keys(i).find((k) => k.endsWith("Name") && k !== "resourceGroupName" && typeof i[k] === "string");
    return key && typeof i[key] === "string" ? i[key] : null;
}

const ROLE_NAMES: Record<string, string> = Object.fromEntries(Object.entries(BUILT_IN_ROLES).map(([name, id]) => [id, name]));

function pool(p: any) {
    return {
        name: p.name,
        mode: p.mode,
        vmSize: p.vmSize,
        osSKU: p.osSKU,
        osDiskType: p.osDiskType,
        autoscaling: p.enableAutoScaling ? { min: p.minCount, max: p.maxCount } : false,
        maxPods: p.maxPods,
        count: p.count,
        zones: p.availabilityZones ?? [],
        taints: p.nodeTaints ?? [],
    };
}

/** Top-level plain inputs of a type without a curated view; never nested objects, which may hold secrets. */
function scalars(i: Record<string, unknown>): Record<string, unknown> {
    return Object.fromEntries(Object.entries(i).filter(([k, v]) => ["string", "number", "boolean"].includes(typeof v) && !/secret|password|key|value|token/i.test(k)));
}

/** The settings a reviewer checks, per type. Secret values (a Key Vault secret's value) are never read. */
function azureProperties(r: CapturedResource): Record<string, unknown> {
    const i = r.inputs ?? {};
    switch (r.type) {
        case "azure-native:resources:ResourceGroup":
        case "azure-native:managedidentity:UserAssignedIdentity":
        case "azure-native:monitor:AzureMonitorWorkspace":
            return {};
        case "azure-native:containerservice:ManagedCluster": {
            const n = i.networkProfile ?? {};
            const api = i.apiServerAccessProfile ?? {};
            return {
                kubernetesVersion: i.kubernetesVersion ?? "AKS default",
                tier: i.sku?.tier,
                pools: (i.agentPoolProfiles ?? []).map(pool),
                network: { plugin: n.networkPlugin, pluginMode: n.networkPluginMode, dataplane: n.networkDataplane, policy: n.networkPolicy, podCidr: n.podCidr, serviceCidr: n.serviceCidr, outboundType: n.outboundType },
                apiServer: {
                    privateCluster: Boolean(api.enablePrivateCluster),
                    authorizedIpRanges: api.authorizedIPRanges ?? [],
                },
                localAccountsDisabled: Boolean(i.disableLocalAccounts),
                entraId: { managed: Boolean(i.aadProfile?.managed), azureRbac: Boolean(i.aadProfile?.enableAzureRBAC) },
                oidcIssuer: Boolean(i.oidcIssuerProfile?.enabled),
                workloadIdentity: Boolean(i.securityProfile?.workloadIdentity?.enabled),
                imageCleaner: i.securityProfile?.imageCleaner,
                autoUpgrade: i.autoUpgradeProfile,
                addons: Object.fromEntries(Object.entries<any>(i.addonProfiles ?? {}).map(([name, a]) => [name, { enabled: Boolean(a?.enabled), ...(a?.config ? { config: a.config } : {}) }])),
                managedPrometheus: Boolean(i.azureMonitorProfile?.metrics?.enabled),
            };
        }
        case "azure-native:containerregistry:Registry":
            return { adminUserEnabled: i.adminUserEnabled, anonymousPullEnabled: i.anonymousPullEnabled, publicNetworkAccess: i.publicNetworkAccess ?? "Enabled (default)" };
        case "azure-native:keyvault:Vault": {
            const p = i.properties ?? {};
            return {
                sku: p.sku?.name,
                rbacAuthorization: Boolean(p.enableRbacAuthorization),
                softDelete: p.enableSoftDelete !== false,
                softDeleteRetentionDays: p.softDeleteRetentionInDays,
                purgeProtection: Boolean(p.enablePurgeProtection),
                publicNetworkAccess: p.publicNetworkAccess ?? "Enabled (default)",
                networkAcls: p.networkAcls,
            };
        }
        case "azure-native:keyvault:Secret":
            return { vault: i.vaultName, contentType: i.properties?.contentType, value: REDACTED, tags: i.tags };
        case "azure-native:managedidentity:FederatedIdentityCredential":
            return { identity: i.resourceName, issuer: i.issuer, subject: i.subject, audiences: i.audiences };
        case "azure-native:authorization:RoleAssignment": {
            const roleId = String(i.roleDefinitionId ?? "").split("/").pop() ?? "";
            return { role: ROLE_NAMES[roleId] ?? roleId, roleDefinitionId: i.roleDefinitionId, scope: i.scope, principalId: i.principalId, principalType: i.principalType, description: i.description };
        }
        case "azure-native:operationalinsights:Workspace":
            return { retentionInDays: i.retentionInDays, dailyQuotaGb: i.workspaceCapping?.dailyQuotaGb, disableLocalAuth: i.features?.disableLocalAuth };
        case "azure-native:monitor:DataCollectionRule":
            return { kind: i.kind, streams: (i.dataFlows ?? []).flatMap((f: any) => f.streams ?? []) };
        case "azure-native:monitor:DataCollectionRuleAssociation":
            return { resourceUri: i.resourceUri, dataCollectionRuleId: i.dataCollectionRuleId, dataCollectionEndpointId: i.dataCollectionEndpointId };
        case "azure-native:storage:StorageAccount":
            return {
                kind: i.kind,
                accessTier: i.accessTier,
                allowBlobPublicAccess: i.allowBlobPublicAccess,
                allowSharedKeyAccess: i.allowSharedKeyAccess,
                minimumTlsVersion: i.minimumTlsVersion,
                httpsOnly: i.enableHttpsTrafficOnly,
                publicNetworkAccess: i.publicNetworkAccess ?? "Enabled (default)",
            };
        case "azure-native:storage:BlobServiceProperties":
            return { versioning: Boolean(i.isVersioningEnabled), blobSoftDelete: i.deleteRetentionPolicy, containerSoftDelete: i.containerDeleteRetentionPolicy };
        case "azure-native:storage:BlobContainer":
            return { account: i.accountName, publicAccess: i.publicAccess };
        case "azure-native:storage:ManagementPolicy":
            return { account: i.accountName, rules: i.policy?.rules };
        case "azuread:index/application:Application":
            return {
                displayName: i.displayName,
                signInAudience: i.signInAudience,
                accessTokenVersion: i.api?.requestedAccessTokenVersion,
                scopes: (i.api?.oauth2PermissionScopes ?? []).map((x: any) => x.value),
                appRoles: (i.appRoles ?? []).map((x: any) => x.value),
                webRedirectUris: i.web?.redirectUris ?? [],
                publicClientRedirectUris: i.publicClient?.redirectUris ?? [],
            };
        case "azure-native:containerservice:AgentPool":
            return { cluster: i.resourceName, ...pool({ ...i, name: i.agentPoolName }) };
        case "azure-native:containerservice:MaintenanceConfiguration":
            return { cluster: i.resourceName, window: i.maintenanceWindow };
        case "azure-native:monitor:DiagnosticSetting":
            return {
                resourceUri: i.resourceUri,
                workspaceId: i.workspaceId,
                destinationType: i.logAnalyticsDestinationType ?? "AzureDiagnostics",
                logs: (i.logs ?? []).filter((l: any) => l.enabled).map((l: any) => l.category),
                metrics: (i.metrics ?? []).filter((m: any) => m.enabled).map((m: any) => m.category),
            };
        case "azure-native:monitor:ActionGroup":
            return { shortName: i.groupShortName, emails: (i.emailReceivers ?? []).map((r: any) => r.emailAddress) };
        case "azure-native:monitor:MetricAlert":
            return { scopes: i.scopes, severity: i.severity, criteria: i.criteria?.allOf, actions: (i.actions ?? []).map((a: any) => a.actionGroupId), description: i.description };
        case "azure-native:monitor:ScheduledQueryRule":
            return { scopes: i.scopes, severity: i.severity, every: i.evaluationFrequency, query: i.criteria?.allOf?.[0]?.query, actions: i.actions?.actionGroups, description: i.description };
        case "azure-native:consumption:Budget":
            return { scope: i.scope, amount: i.amount, timeGrain: i.timeGrain, resourceGroups: i.filter?.dimensions?.values, notifications: i.notifications };
        case "azure-native:authorization:PolicyAssignment":
            return { scope: i.scope, policyDefinitionId: i.policyDefinitionId, displayName: i.displayName, parameters: i.parameters };
        case "azure-native:operationalinsights:Table":
            return { workspace: i.workspaceName, plan: i.plan, totalRetentionInDays: i.totalRetentionInDays };
        case "random:index/randomString:RandomString":
        case "random:index/randomPassword:RandomPassword":
            return { length: i.length, special: i.special, upper: i.upper, lower: i.lower, numeric: i.numeric, result: "generated at deploy time" };
        default:
            return scalars(i);
    }
}

export interface AzureEntry {
    readonly type: string;
    readonly logicalName: string;
    readonly azureName: string | null;
    readonly resourceGroup?: string;
    readonly location?: string;
    readonly sku?: string;
    /** `pulumi destroy` refuses to delete it. */
    readonly protect?: true;
    readonly properties: Record<string, unknown>;
}

export function azureEntries(resources: readonly CapturedResource[]): AzureEntry[] {
    // Sorted, because registration order follows the timing of async outputs, and diffs between runs
    // should show changes only.
    const sorted = resources.filter(isAzureResource).sort((a, b) => (a.type === b.type ? (a.name < b.name ? -1 : 1) : a.type < b.type ? -1 : 1));
    return sorted.map((r) => {
        const i = r.inputs ?? {};
        const sku = typeof i.sku === "string" ? i.sku : i.sku?.name;
        return prune({
            type: r.type,
            logicalName: r.name,
            azureName: azureName(r),
            resourceGroup: r.type === "azure-native:resources:ResourceGroup" ? undefined : i.resourceGroupName,
            location: i.location,
            sku,
            protect: r.protect ? true : undefined,
            properties: azureProperties(r),
        }) as AzureEntry;
    });
}

// ---------------------------------------------------------------------------------------------------
// Security posture

type Labels = Record<string, string>;

interface LabelSelector {
    matchLabels?: Labels;
    matchExpressions?: Array<{ key: string; operator: string; values?: string[] }>;
}

/** Kubernetes label selector semantics; an empty selector selects everything. */
export function selects(selector: LabelSelector | undefined, labels: Labels): boolean {
    if (!selector) return false;
    for (const [k, v] of Object.entries(selector.matchLabels ?? {})) if (labels[k] !== v) return false;
    for (const e of selector.matchExpressions ?? []) {
        const has = e.key in labels;
        const inValues = has && (e.values ?? []).includes(labels[e.key]);
        const ok = e.operator === "In" ? inValues : e.operator === "NotIn" ? !inValues : e.operator === "Exists" ? has : e.operator === "DoesNotExist" ? !has : false;
        if (!ok) return false;
    }
    return true;
}

/** The pod template of a workload object, or undefined for objects that run no pods. */
function podTemplate(obj: Record<string, any>): PodTemplateLike | undefined {
    switch (obj.kind) {
        case "Deployment":
        case "StatefulSet":
        case "DaemonSet":
        case "ReplicaSet":
        case "Job":
            return obj.spec?.template;
        case "CronJob":
            return obj.spec?.jobTemplate?.spec?.template;
        case "Pod":
            return { metadata: obj.metadata, spec: obj.spec };
        default:
            return undefined;
    }
}

function describePeer(peer: any): string {
    const parts: string[] = [];
    if (peer.ipBlock) parts.push(`${peer.ipBlock.cidr}${peer.ipBlock.except?.length ? ` except ${peer.ipBlock.except.join(", ")}` : ""}`);
    const sel = (s: LabelSelector) => {
        const text = [
            ...Object.entries(s.matchLabels ?? {}).map(([k, v]) => `${k}=${v}`),
            ...(s.matchExpressions ?? []).map((e) => `${e.key} ${e.operator} ${(e.values ?? []).join("|")}`.trim()),
        ].join(",");
        return text === "" ? "all" : text;
    };
    if (peer.namespaceSelector) parts.push(`namespaces ${sel(peer.namespaceSelector)}`);
    if (peer.podSelector) parts.push(`pods ${sel(peer.podSelector)}${peer.namespaceSelector ? "" : " (same namespace)"}`);
    return parts.join(" / ");
}

function describeRule(rule: any, direction: "from" | "to"): string {
    const peers: any[] = rule[direction] ?? [];
    const who = peers.length === 0 ? (direction === "from" ? "any source" : "any destination") : peers.map(describePeer).join("; ");
    const ports: any[] = rule.ports ?? [];
    const where = ports.length === 0 ? "all ports" : ports.map((p) => `${p.protocol ?? "TCP"}/${p.port ?? "*"}${p.endPort ? `-${p.endPort}` : ""}`).join(", ");
    return `${who} on ${where}`;
}

interface WorkloadPosture {
    readonly ref: string;
    readonly restricted: string[];
    readonly namespaceEnforce?: string;
    readonly ingressPolicies: string[];
    readonly egressPolicies: string[];
    readonly ingressAllowed: string[];
    readonly egressAllowed: string[];
}

export function workloadPosture(objects: ReadonlyArray<Record<string, any>>): WorkloadPosture[] {
    const policies = objects.filter((o) => o.kind === "NetworkPolicy");
    const namespaces = new Map(objects.filter((o) => o.kind === "Namespace").map((o) => [o.metadata.name, o]));
    return objects.flatMap((o) => {
        const template = podTemplate(o);
        if (!template) return [];
        const ns = o.metadata.namespace ?? "default";
        const podLabels: Labels = (template.metadata as { labels?: Labels } | undefined)?.labels ?? {};
        const mine = policies.filter((p) => (p.metadata.namespace ?? "default") === ns && selects(p.spec?.podSelector, podLabels));
        // policyTypes defaults to Ingress, plus Egress when the policy has egress rules.
        const types = (p: any): string[] => p.spec?.policyTypes ?? ["Ingress", ...(p.spec?.egress ? ["Egress"] : [])];
        const ingress = mine.filter((p) => types(p).includes("Ingress"));
        const egress = mine.filter((p) => types(p).includes("Egress"));
        return [
            {
                ref: `${o.kind} ${ns}/${o.metadata.name}`,
                restricted: restrictedViolations(template),
                namespaceEnforce: namespaces.get(ns)?.metadata?.labels?.["pod-security.kubernetes.io/enforce"],
                ingressPolicies: ingress.map((p) => p.metadata.name),
                egressPolicies: egress.map((p) => p.metadata.name),
                ingressAllowed: ingress.flatMap((p) => (p.spec.ingress ?? []).map((r: any) => `${describeRule(r, "from")} (${p.metadata.name})`)),
                egressAllowed: egress.flatMap((p) => (p.spec.egress ?? []).map((r: any) => `${describeRule(r, "to")} (${p.metadata.name})`)),
            },
        ];
    });
}


export interface Exposure {
    readonly ref: string;
    readonly type: string;
    readonly internal: boolean;
    readonly ports: string[];
    /** Empty: every source the network can route. */
    readonly sourceRanges: string[];
    readonly externalTrafficPolicy?: string;
}

/** Services that accept traffic from outside the cluster. */
export function exposures(objects: ReadonlyArray<Record<string, any>>): Exposure[] {
    return objects
        .filter((o) => o.kind === "Service" && (o.spec?.type === "LoadBalancer" || o.spec?.type === "NodePort"))
        .map((o) => {
            const annotations = o.metadata.annotations ?? {};
            const fromAnnotation = typeof annotations[AZURE_LB.allowedIpRanges] === "string" ? annotations[AZURE_LB.allowedIpRanges].split(",").map((s: string) => s.trim()) : [];
            return {
                ref: `Service ${o.metadata.namespace ?? "default"}/${o.metadata.name}`,
                type: o.spec.type,
                internal: o.spec.type === "LoadBalancer" && String(annotations[AZURE_LB.internal]) === "true",
                ports: (o.spec.ports ?? []).map((p: any) => `${p.protocol ?? "TCP"}/${p.port}${p.nodePort ? ` (node ${p.nodePort})` : ""}`),
                sourceRanges: [...(o.spec.loadBalancerSourceRanges ?? []), ...fromAnnotation],
                externalTrafficPolicy: o.spec.externalTrafficPolicy,
            };
        });
}

function exposureLine(e: Exposure): string {
    if (e.type === "NodePort") return `${e.ref}: NodePort ${e.ports.join(", ")} on every node`;
    const reach = e.internal ? "internal load balancer (VNet only)" : "PUBLIC load balancer";
    const from = e.sourceRanges.length > 0 ? `from ${e.sourceRanges.join(", ")}` : e.internal ? "from anywhere in the VNet" : "from ANY internet address";
    return `${e.ref}: ${reach} on ${e.ports.join(", ")}, ${from}`;
}

function apiServerLine(ev: Evaluation): string {
    const clusters = ev.ofType("azure-native:containerservice:ManagedCluster");
    if (clusters.length === 0) return "no AKS cluster";
    return clusters
        .map((c) => {
            const api = c.inputs.apiServerAccessProfile ?? {};
            const ranges: string[] = api.authorizedIPRanges ?? [];
            const reach = api.enablePrivateCluster ? "private (VNet only)" : ranges.length > 0 ? `public, limited to ${ranges.join(", ")}` : "public, reachable from ANY address";
            const auth = c.inputs.disableLocalAccounts ? "Entra ID only (local accounts disabled)" : "local accounts ENABLED";
            return `API server of ${c.inputs.resourceName ?? c.name}: ${reach}; ${auth}`;
        })
        .join("\n");
}

/** The edge as the program declares it: exposure, routes, replicas and where sign-in comes from. */
export function edgeLines(ev: Evaluation): string[] {
    const e = ev.config.edge;
    const urls = Object.values((ev.outputs[STACK_OUTPUTS.edge] as { urls?: Record<string, string> } | undefined)?.urls ?? {});
    const reach =
        e.tls.mode === "private"
            ? "private: no load balancer, no public IP (npm run connect)"
            : e.tls.mode === "keyVault"
              ? `keyVault: HTTPS on ${e.tls.hostname} with certificate ${e.tls.certificateName}, ${e.loadBalancer} load balancer`
              : `letsEncrypt: HTTPS on ${e.tls.hostname || `${e.tls.dnsLabel}.${ev.config.location}.cloudapp.azure.com`} (Caddy, ACME HTTP-01)`;
    return [
        `${reach}; ${e.minReplicas}-${e.maxReplicas} replicas`,
        `routes: ${urls.join(", ") || "none"}; each requires an Entra ID token (strict mcpAuthentication)`,
        `sign-in: ${e.entra.existingAppId ? `existing app registration ${e.entra.existingAppId}` : "app registration created by the stack (azuread)"}${e.entra.requireAppRoles ? ", app role mcp.<server> or mcp.all required" : ""}`,
    ];
}

/** Replication and backup settings as the program declares them: what survives what, and where snapshots go. */
export function qdrantLines(ev: Evaluation): string[] {
    const q = ev.config.qdrant;
    const lost = q.replicas > 1 ? Math.min(q.replicationFactor - q.writeConsistencyFactor, Math.floor((q.replicas - 1) / 2)) : 0;
    const pdb = ev.ofType("kubernetes:policy/v1:PodDisruptionBudget").find((p) => p.inputs?.metadata?.name === "qdrant");
    const lines = [
        `${q.replicas} node(s)${q.replicas > 1 ? " in cluster mode" : ""}, replication factor ${q.replicationFactor}, write consistency ${q.writeConsistencyFactor}: ` +
            (lost > 0 ? `reads and writes continue with ${lost} node(s) down` : "no node may be lost (single node)") +
            (pdb ? `; PDB maxUnavailable ${pdb.inputs.spec.maxUnavailable}` : "; no PDB"),
    ];
    const account = ev.ofType("azure-native:storage:StorageAccount")[0];
    const container = ev.ofType("azure-native:storage:BlobContainer")[0];
    if (!q.backup.enabled || !account || !container) {
        lines.push("backups: OFF (qdrant.backup.enabled is false)");
        return lines;
    }
    lines.push(
        `backups: \`${q.backup.schedule}\` (UTC) to ${account.inputs.accountName}/${container.inputs.containerName} (${account.inputs.sku?.name}), kept ${q.backup.retentionDays} day(s), image images.curl (${ev.config.images.curl}, imported into the stack's ACR)`,
    );
    return lines;
}

// ---------------------------------------------------------------------------------------------------
// Rendering

function table(head: string[], rows: string[][]): string {
    const esc = (s: string) => s.replace(/\|/g, "\\|");
    return [`| ${head.join(" | ")} |`, `| ${head.map(() => "---").join(" | ")} |`, ...rows.map((r) => `| ${r.map(esc).join(" | ")} |`)].join("\n");
}

function countsByType(resources: readonly CapturedResource[]): Array<[string, number]> {
    const counts = new Map<string, number>();
    for (const r of resources) counts.set(r.type, (counts.get(r.type) ?? 0) + 1);
    return [...counts.entries()].sort(([a], [b]) => (a < b ? -1 : 1));
}

/**
 * Every secret value the evaluation holds: the config's API keys, the Key Vault secrets' values and the
 * Kubernetes Secrets' data. The rendered output is checked against them, so a new field that happens to
 * carry a secret stops the plan instead of leaking into a file that people share.
 */
function secretValues(ev: Evaluation): string[] {
    const values = new Set<string>([PLACEHOLDER.fakeSecret]);
    for (const s of Object.values(ev.config.secrets ?? {})) values.add(s.reveal());
    for (const r of ev.ofType("azure-native:keyvault:Secret")) if (typeof r.inputs?.properties?.value === "string") values.add(r.inputs.properties.value);
    for (const r of ev.ofType("kubernetes:core/v1:Secret")) {
        for (const field of ["data", "stringData"]) for (const v of Object.values<unknown>(r.inputs?.[field] ?? {})) if (typeof v === "string") values.add(v);
    }
    // Very short values (a "1" flag) would match anywhere and say nothing.
    return [...values].filter((v) => v.length >= 6);
}

export interface ImageLine {
    /** `<server>-mcp` for an MCP server, or the name in config `images`. */
    readonly name: string;
    /** Where it comes from: the build context, or the upstream reference. */
    readonly source: string;
    /** How it reaches the stack's ACR. */
    readonly how: "az acr build" | "az acr import" | "already in ACR";
    /** The reference the pods pull (placeholder login server). */
    readonly image: string;
    /** The command the stack runs for it, if any. */
    readonly command?: string;
}

/** The images the stack builds and imports, from the config, the outputs and the captured commands. */
export function imageLines(ev: Evaluation): ImageLine[] {
    const commands = ev.ofType("command:local:Command").map((c) => String(c.inputs.create ?? ""));
    const find = (needle: string) => commands.find((c) => c.includes(needle));
    const importSource = (upstream: string) => `--source ${upstream.replace(/:[^/@]*@/, "@")}`;
    const serverImages = (ev.outputs.serverImages ?? {}) as Record<string, string>;
    const lines: ImageLine[] = [];
    for (const server of mcpServerList(ev.config)) {
        const source = server.source;
        const name = mcpServerRepository(server.name);
        const image = serverImages[server.name] ?? "";
        switch (source.kind) {
            case "build":
                lines.push({ name, source: `${source.context} (Dockerfile ${source.dockerfile}), tag ${source.tag}`, how: "az acr build", image, command: find(`--image ${source.repository}:${source.tag}`) });
                break;
            case "import":
                lines.push({ name, source: source.upstream, how: "az acr import", image, command: find(importSource(source.upstream)) });
                break;
            case "registry":
                lines.push({ name, source: source.ref, how: "already in ACR", image });
                break;
        }
    }
    const exported = (ev.outputs.images ?? {}) as Record<string, string>;
    for (const [name, upstream] of Object.entries(ev.config.images)) {
        lines.push({ name, source: upstream, how: "az acr import", image: exported[name] ?? "", command: find(importSource(upstream)) });
    }
    return lines;
}

function summaryMarkdown(ev: Evaluation, k8s: K8sEntry[], azure: AzureEntry[], unrendered: CapturedResource[]): string {
    const stack = ev.config.stack;
    const objects = k8s.map((e) => e.object);
    const posture = workloadPosture(objects);
    const exposed = exposures(objects);
    const out: string[] = [];
    out.push(`# Plan for stack \`${stack}\` (${ev.config.environment}, ${ev.config.location})`);
    out.push("");
    out.push(
        "> **Offline simulation.** This is what the program declares for this stack, evaluated with the cloud's answers simulated. " +
            "Every ID, IP address, issuer URL and generated suffix below is a **placeholder**, not a value from Azure, and secret values are never written " +
            `(Kubernetes Secrets and Key Vault secrets show \`${REDACTED}\`). Placeholders used:`,
    );
    out.push("");
    out.push(
        table(
            ["stands for", "placeholder"],
            Object.entries(PLACEHOLDER)
                .filter(([name]) => name !== "fakeSecret")
                .map(([name, value]) => [name, `\`${value}\``]),
        ),
    );
    out.push("");
    out.push("## Resources");
    out.push("");
    out.push(`${azure.length} Azure resources (azure.json), ${k8s.length} Kubernetes objects (k8s/, in apply order).`);
    out.push("");
    out.push(table(["type", "count"], countsByType(ev.resources.filter((r) => r.custom)).map(([t, n]) => [`\`${t}\``, String(n)])));
    out.push("");
    out.push("### Kubernetes objects, in apply order");
    out.push("");
    out.push(
        "Pulumi itself applies by its dependency graph; the numbering is the order for `kubectl apply -f k8s/` and for reading.",
    );
    out.push("");
    out.push(table(["file", "kind", "namespace/name"], k8s.map((e) => [e.file, e.object.kind, `${e.object.metadata.namespace ? `${e.object.metadata.namespace}/` : ""}${e.object.metadata.name ?? "(generated)"}`])));
    if (unrendered.length > 0) {
        out.push("");
        out.push(`Not rendered as manifests: ${unrendered.map((r) => `\`${r.type}\` ${r.name}`).join(", ")}.`);
    }
    out.push("");
    out.push("## Images");
    out.push("");
    out.push("Built and imported into the stack's ACR beside AKS creation; the pods pull only these references.");
    out.push("");
    const images = imageLines(ev);
    out.push(table(["name", "source", "how", "pods pull"], images.map((i) => [i.name, `\`${i.source}\``, i.how, `\`${i.image}\``])));
    out.push("");
    out.push("```sh");
    for (const i of images) if (i.command) out.push(i.command);
    out.push("```");
    out.push("");
    out.push("## Security posture");
    out.push("");
    out.push("### Pod Security Standards, restricted profile (every pod template)");
    out.push("");
    for (const p of posture) {
        const enforce = p.namespaceEnforce ? `namespace enforces \`${p.namespaceEnforce}\`` : "namespace enforces nothing";
        out.push(p.restricted.length === 0 ? `- ${p.ref}: passes restricted (${enforce})` : `- ${p.ref}: **FAILS restricted** (${enforce}):`);
        for (const v of p.restricted) out.push(`  - ${v}`);
    }
    out.push("");
    out.push("### NetworkPolicy coverage");
    out.push("");
    for (const p of posture) {
        out.push(`- ${p.ref}`);
        out.push(`  - ingress: ${p.ingressPolicies.length > 0 ? `selected by ${p.ingressPolicies.join(", ")}` : "**NOT selected by any policy: all ingress allowed**"}`);
        for (const a of p.ingressAllowed) out.push(`    - allows from ${a}`);
        out.push(`  - egress: ${p.egressPolicies.length > 0 ? `selected by ${p.egressPolicies.join(", ")}` : "**NOT selected by any policy: all egress allowed**"}`);
        for (const a of p.egressAllowed) out.push(`    - allows to ${a}`);
    }
    out.push("");
    out.push("### Exposure");
    out.push("");
    out.push(exposed.length === 0 ? "- No Service is reachable from outside the cluster." : exposed.map((e) => `- ${exposureLine(e)}`).join("\n"));
    out.push(...apiServerLine(ev).split("\n").map((l) => `- ${l}`));
    out.push("");
    out.push("## Edge");
    out.push("");
    for (const line of edgeLines(ev)) out.push(`- ${line}`);
    out.push("");
    out.push("## Qdrant: replication and backups");
    out.push("");
    for (const line of qdrantLines(ev)) out.push(`- ${line}`);
    out.push("");
    out.push("## Day 2");
    out.push("");
    const protectedOnes = ev.resources.filter((r) => r.protect).map((r) => `\`${r.type}\` ${r.name}`);
    out.push(`- Protected (\`pulumi destroy\` and replacements stop here): ${protectedOnes.length > 0 ? protectedOnes.join(", ") : "nothing (this stack destroys cleanly)"}.`);
    for (const m of ev.ofType("azure-native:containerservice:MaintenanceConfiguration")) {
        const w = m.inputs.maintenanceWindow ?? {};
        out.push(`- Maintenance \`${m.inputs.configName}\`: every ${w.schedule?.weekly?.intervalWeeks} week(s) on ${w.schedule?.weekly?.dayOfWeek} at ${w.startTime} (UTC${w.utcOffset}) for ${w.durationHours} h.`);
    }
    const alertRules = [...ev.ofType("azure-native:monitor:MetricAlert"), ...ev.ofType("azure-native:monitor:ScheduledQueryRule")].sort((a, b) => (a.inputs.ruleName < b.inputs.ruleName ? -1 : 1));
    for (const a of alertRules) {
        out.push(`- Alert \`${a.inputs.ruleName}\` (severity ${a.inputs.severity}): ${a.inputs.description}`);
    }
    out.push("");
    out.push("## Cost estimate (list prices, USD/month)");
    out.push("");
    const cost = ev.outputs.costEstimate as CostEstimate | undefined;
    if (cost) {
        out.push(costTableMarkdown([{ stack: ev.config.stack, estimate: cost }]));
        out.push("");
        out.push(`Prices: ${cost.prices.source}, recorded ${cost.prices.recorded} (components/prices.ts).`);
    }
    out.push("");
    out.push("## Client config");
    out.push("");
    const clientConfig = ev.outputs[STACK_OUTPUTS.clientConfig] as Record<string, unknown> | undefined;
    const servers = (ev.outputs[STACK_OUTPUTS.servers] ?? []) as Array<{ name: string; namespace: string; service: string; port: number; path: string }>;
    out.push(
        servers.length === 0
            ? "The stack runs no MCP server."
            : table(["server", "Service", "port", "path"], servers.map((s) => [s.name, `${s.namespace}/${s.service}`, String(s.port), s.path])),
    );
    out.push("");
    if (!clientConfig || servers.length === 0) {
        out.push("The stack would produce no client config (no MCP server).");
    } else {
        const privateEdge = ev.config.edge.tls.mode === "private";
        out.push(
            `After \`pulumi up\`, \`npm run client-config -- --stack ${stack}\` writes these documents. ` +
                (privateEdge
                    ? `The edge is private: the URLs work while \`npm run connect -- --stack ${stack}\` forwards it through the Kubernetes API server. `
                    : `The public name must resolve to the edge's load balancer (stack output \`edge.address\`). `) +
                "Every server asks for an Entra ID sign-in (README, \"Connecting MCP clients\").",
        );
        for (const format of CLIENT_FORMATS) {
            if (clientConfig[format] === undefined) continue;
            out.push("");
            out.push(`\`${CLIENT_FILE_NAMES[format]}\` (--format ${format}):`);
            out.push("");
            out.push("```json");
            out.push(JSON.stringify(clientConfig[format], null, 2));
            out.push("```");
        }
    }
    out.push("");
    return out.join("\n");
}

function costLine(ev: Evaluation): string[] {
    const cost = ev.outputs.costEstimate as CostEstimate | undefined;
    if (!cost) return [];
    const unpriced = cost.unpriced.length > 0 ? ` (not priced: ${cost.unpriced.join(", ")})` : "";
    return [`  Cost estimate: $${cost.monthlyAtMinScale.toFixed(2)}/month at minimum scale, $${cost.monthlyAtMaxScale.toFixed(2)} at maximum (list prices)${unpriced}`];
}

function stdoutSummary(ev: Evaluation, k8s: K8sEntry[], azure: AzureEntry[]): string {
    const objects = k8s.map((e) => e.object);
    const posture = workloadPosture(objects);
    const failing = posture.filter((p) => p.restricted.length > 0);
    const uncovered = posture.filter((p) => p.ingressPolicies.length === 0 || p.egressPolicies.length === 0);
    const lines = [
        `Plan for stack "${ev.config.stack}" (${ev.config.environment}, ${ev.config.location}): offline simulation; IDs, IPs and issuers are placeholders.`,
        `  ${azure.length} Azure resources, ${k8s.length} Kubernetes objects (${[...new Set(objects.map((o) => o.kind))].join(", ")})`,
        `  Pod Security restricted: ${failing.length === 0 ? `all ${posture.length} pod templates pass` : `${failing.length} of ${posture.length} FAIL (${failing.map((p) => p.ref).join(", ")})`}`,
        ...imageLines(ev).map((i) => `  Image ${i.name}: ${i.how} ${i.source}`),
        `  NetworkPolicies: ${uncovered.length === 0 ? `every workload is selected for ingress and egress` : `NOT covered: ${uncovered.map((p) => p.ref).join(", ")}`}`,
        ...qdrantLines(ev).map((l) => `  Qdrant: ${l.replace(/`/g, "")}`),
        ...edgeLines(ev).map((l) => `  Edge: ${l}`),
        ...exposures(objects).map((e) => `  Exposed: ${exposureLine(e)}`),
        ...costLine(ev),
        ...apiServerLine(ev)
            .split("\n")
            .map((l) => `  ${l}`),
    ];
    return `${lines.join("\n")}\n`;
}

/** The plan's files and stdout report for an evaluation. Pure: no I/O. Throws if a secret value would be written. */
export function renderPlan(ev: Evaluation): Plan {
    const k8s = orderedKubernetesObjects(ev.resources);
    const azure = azureEntries(ev.resources);
    const unrendered = ev.resources.filter((r) => r.custom && r.type.startsWith("kubernetes:") && !kubernetesTypeInfo(r.type));
    const files: PlanFile[] = [
        ...k8s.map((e) => ({ path: e.file, content: yamlFile(ev.config.stack, e) })),
        {
            path: "azure.json",
            content: `${JSON.stringify({ stack: ev.config.stack, note: "Offline simulation: IDs, principal ids, issuers and generated suffixes are placeholders; secret values are redacted.", resources: azure }, null, 2)}\n`,
        },
        { path: "summary.md", content: summaryMarkdown(ev, k8s, azure, unrendered) },
    ];
    const secrets = secretValues(ev);
    for (const f of files) {
        if (secrets.some((s) => f.content.includes(s))) throw new Error(`refusing to write ${f.path}: it would contain a secret value; redact the field in scripts/plan.ts`);
    }
    return { files, summary: stdoutSummary(ev, k8s, azure) };
}

// ---------------------------------------------------------------------------------------------------
// CLI

function parseArgs(argv: readonly string[]): { stack?: string; help: boolean } {
    let stack: string | undefined;
    let help = false;
    for (let i = 0; i < argv.length; i++) {
        const arg = argv[i];
        if (arg === "--help" || arg === "-h") help = true;
        else if (arg.startsWith("--stack=")) stack = arg.slice("--stack=".length);
        else if (arg === "--stack" || arg === "-s") {
            const v = argv[++i];
            if (v === undefined || v.startsWith("-")) throw new UsageError(`--stack needs a value\n${USAGE}`);
            stack = v;
        } else throw new UsageError(`unknown argument "${arg}"\n${USAGE}`);
    }
    return { stack, help };
}

function availableStacks(projectDir: string): string[] {
    return fs
        .readdirSync(projectDir)
        .map((f) => /^Pulumi\.(.+)\.yaml$/.exec(f)?.[1])
        .filter((s): s is string => s !== undefined)
        .sort();
}

function shown(file: string, cwd: string): string {
    const rel = path.relative(cwd, file);
    return rel === "" || rel.startsWith("..") || path.isAbsolute(rel) ? file : rel;
}

async function run(argv: readonly string[], deps: PlanDeps): Promise<void> {
    const args = parseArgs(argv);
    if (args.help) {
        deps.stdout(`${USAGE}\n`);
        return;
    }
    if (!args.stack) throw new UsageError(`--stack is required\n${USAGE}`);
    const stacks = availableStacks(deps.projectDir);
    // The name becomes a directory under outRoot, so it must be a plain stack name, not a path.
    if (!/^[A-Za-z0-9_.-]+$/.test(args.stack) || !stacks.includes(args.stack)) {
        throw new UsageError(`no stack file Pulumi.${args.stack}.yaml in ${deps.projectDir}; available: ${stacks.length > 0 ? stacks.join(", ") : "none"}`);
    }
    const dir = path.join(deps.outRoot, args.stack);
    // Cleared before evaluating, so a failed plan never leaves an older plan looking current.
    fs.rmSync(dir, { recursive: true, force: true });

    const evaluation = await deps.evaluate(args.stack, { overrides: deps.overrides, sourceRoot: deps.sourceRoot });
    const plan = renderPlan(evaluation);
    for (const f of plan.files) {
        const target = path.join(dir, ...f.path.split("/"));
        fs.mkdirSync(path.dirname(target), { recursive: true });
        fs.writeFileSync(target, f.content, "utf8");
    }
    deps.stdout(plan.summary);
    deps.stdout(`Wrote ${plan.files.length} files to ${shown(dir, deps.cwd)}${path.sep} (read summary.md first).\n`);
}

/** Runs the plan and returns the exit code: 0 done, 1 invalid config or failure, 2 usage. */
export async function main(argv: readonly string[], overrides: Partial<PlanDeps> = {}): Promise<number> {
    const deps: PlanDeps = {
        outRoot: path.join(REPO_ROOT, "build"),
        projectDir: REPO_ROOT,
        sourceRoot: REPO_ROOT,
        evaluate: evaluateStack,
        stdout: (t) => void process.stdout.write(t),
        stderr: (t) => void process.stderr.write(t),
        cwd: process.env.INIT_CWD || process.cwd(),
        ...overrides,
    };
    try {
        await run(argv, deps);
        return 0;
    } catch (e) {
        if (e instanceof UsageError) {
            deps.stderr(`plan: ${e.message}\n`);
            return 2;
        }
        if (e instanceof StackFileError) {
            deps.stderr(`plan: ${e.message}\n`);
            return 1;
        }
        if (e instanceof ConfigError) {
            // The message names each key and the command that fixes it; a stack trace would only bury it.
            deps.stderr(`${e.message}\n`);
            return 1;
        }
        deps.stderr(`plan: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
        return 1;
    }
}

if (require.main === module) {
    main(process.argv.slice(2)).then((code) => {
        process.exitCode = code;
    });
}
