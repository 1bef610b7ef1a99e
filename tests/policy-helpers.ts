/**
 * Calls policy validations the way the Pulumi engine does, without the engine: props behind the same
 * unknown-checking proxy, getConfig answering from a per-call config, reportViolation collecting messages.
 * Also holds compliant fixtures, so each failing case states only what it breaks.
 */
import {
    PolicyResource,
    ResourceValidation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    StackValidationArgs,
    StackValidationPolicy,
    unknownCheckingProxy,
} from "@pulumi/policy";

/**
 * The engine's sentinel for a string that is unknown during preview. It is internal to @pulumi/policy, so
 * a change there breaks these tests loudly instead of silently testing nothing.
 */
export const UNKNOWN_VALUE: string = require("@pulumi/policy/proxy").unknownStringValue;
if (typeof UNKNOWN_VALUE !== "string" || UNKNOWN_VALUE.length < 30) throw new Error("@pulumi/policy no longer exposes its unknown sentinel");

export const PROJECT = "mcp-aks";

export function urnOf(type: string, name: string, stack = "dev"): string {
    return `urn:pulumi:${stack}::${PROJECT}::${type}::${name}`;
}

class NotApplicable extends Error {}

function typeOfClass(resourceClass: unknown): string | undefined {
    return (resourceClass as { __pulumiType?: string }).__pulumiType;
}

export interface ArgsOptions {
    readonly name?: string;
    readonly stack?: string;
    /** The full URN, when the resource comes from a real evaluation; otherwise built from type, name and stack. */
    readonly urn?: string;
    readonly config?: object;
}

/** The ResourceValidationArgs the engine would build for one resource's inputs. */
export function resourceArgs(type: string, props: object, options: ArgsOptions = {}): ResourceValidationArgs {
    const name = options.name ?? "test";
    const proxied = unknownCheckingProxy(props) as Record<string, any>;
    return {
        type,
        props: proxied,
        urn: options.urn ?? urnOf(type, name, options.stack),
        name,
        opts: { protect: false, ignoreChanges: [], aliases: [], customTimeouts: { createSeconds: 0, updateSeconds: 0, deleteSeconds: 0 }, additionalSecretOutputs: [] },
        stackTags: new Map(),
        isType: (resourceClass) => typeOfClass(resourceClass) === type,
        asType: ((resourceClass: unknown) => (typeOfClass(resourceClass) === type ? proxied : undefined)) as ResourceValidationArgs["asType"],
        getConfig: <T extends object>() => (options.config ?? {}) as T,
        notApplicable: (reason?: string): never => {
            throw new NotApplicable(reason);
        },
    };
}

export interface StackResourceSpec {
    readonly type: string;
    readonly name: string;
    readonly urn?: string;
    readonly props: object;
    readonly parent?: string;
    readonly dependencies?: string[];
}

/** The PolicyResource list the engine would hand a stack validation. */
export function policyResources(specs: StackResourceSpec[], stack = "dev"): PolicyResource[] {
    const resources = specs.map((spec) => {
        const proxied = unknownCheckingProxy(spec.props) as Record<string, any>;
        const resource: PolicyResource = {
            type: spec.type,
            props: proxied,
            urn: spec.urn ?? urnOf(spec.type, spec.name, stack),
            name: spec.name,
            opts: { protect: false, ignoreChanges: [], aliases: [], customTimeouts: { createSeconds: 0, updateSeconds: 0, deleteSeconds: 0 }, additionalSecretOutputs: [] },
            dependencies: [],
            propertyDependencies: {},
            isType: (resourceClass) => typeOfClass(resourceClass) === spec.type,
            asType: ((resourceClass: unknown) => (typeOfClass(resourceClass) === spec.type ? proxied : undefined)) as PolicyResource["asType"],
        };
        return resource;
    });
    const byUrn = new Map(resources.map((r) => [r.urn, r]));
    specs.forEach((spec, i) => {
        if (spec.parent) resources[i].parent = byUrn.get(spec.parent);
        resources[i].dependencies = (spec.dependencies ?? []).map((u) => byUrn.get(u)).filter((r): r is PolicyResource => r !== undefined);
    });
    return resources;
}

export function stackArgs(resources: PolicyResource[], config: object = {}): StackValidationArgs {
    return {
        resources,
        stackTags: new Map(),
        getConfig: <T extends object>() => config as T,
        notApplicable: (reason?: string): never => {
            throw new NotApplicable(reason);
        },
    };
}

export interface Violation {
    readonly message: string;
    readonly urn?: string;
}

/** Runs every validation of a resource policy and returns what it reported. */
export async function runResourcePolicy(policy: ResourceValidationPolicy, args: ResourceValidationArgs): Promise<Violation[]> {
    const violations: Violation[] = [];
    const validations: ResourceValidation[] = policy.validateResource === undefined ? [] : Array.isArray(policy.validateResource) ? policy.validateResource : [policy.validateResource];
    for (const validate of validations) {
        try {
            await validate(args, (message, urn) => violations.push({ message, urn }));
        } catch (err) {
            if (!(err instanceof NotApplicable)) throw err;
        }
    }
    return violations;
}

export async function runStackPolicy(policy: StackValidationPolicy, args: StackValidationArgs): Promise<Violation[]> {
    const violations: Violation[] = [];
    try {
        await policy.validateStack(args, (message, urn) => violations.push({ message, urn }));
    } catch (err) {
        if (!(err instanceof NotApplicable)) throw err;
    }
    return violations;
}

/** Shorthand: the violations of one resource policy for one resource. */
export function check(policy: ResourceValidationPolicy, type: string, props: object, options: ArgsOptions = {}): Promise<Violation[]> {
    return runResourcePolicy(policy, resourceArgs(type, props, options));
}

/** Shorthand: the violations of one stack policy for a list of resources. */
export function checkStack(policy: StackValidationPolicy, specs: StackResourceSpec[], config: object = {}): Promise<Violation[]> {
    return runStackPolicy(policy, stackArgs(policyResources(specs), config));
}

// ---------------------------------------------------------------------------------------------------------
// Fixtures: compliant objects; tests override the one field they are about.
// ---------------------------------------------------------------------------------------------------------

export const TYPES = {
    deployment: "kubernetes:apps/v1:Deployment",
    statefulSet: "kubernetes:apps/v1:StatefulSet",
    daemonSet: "kubernetes:apps/v1:DaemonSet",
    job: "kubernetes:batch/v1:Job",
    cronJob: "kubernetes:batch/v1:CronJob",
    pod: "kubernetes:core/v1:Pod",
    service: "kubernetes:core/v1:Service",
    configMap: "kubernetes:core/v1:ConfigMap",
    namespace: "kubernetes:core/v1:Namespace",
    networkPolicy: "kubernetes:networking.k8s.io/v1:NetworkPolicy",
    hpa: "kubernetes:autoscaling/v2:HorizontalPodAutoscaler",
    pdb: "kubernetes:policy/v1:PodDisruptionBudget",
    cluster: "azure-native:containerservice:ManagedCluster",
    registry: "azure-native:containerregistry:Registry",
    vault: "azure-native:keyvault:Vault",
    roleAssignment: "azure-native:authorization:RoleAssignment",
} as const;

export function container(overrides: Record<string, unknown> = {}): Record<string, any> {
    return {
        name: "app",
        image: "myacr.azurecr.io/mcp-server:1.0.0",
        resources: { requests: { cpu: "250m", memory: "512Mi" }, limits: { cpu: "1", memory: "2Gi" } },
        securityContext: {
            allowPrivilegeEscalation: false,
            readOnlyRootFilesystem: true,
            runAsNonRoot: true,
            capabilities: { drop: ["ALL"] },
        },
        ...overrides,
    };
}

export function podSpec(overrides: Record<string, unknown> = {}): Record<string, any> {
    return {
        securityContext: { runAsNonRoot: true, runAsUser: 10001, seccompProfile: { type: "RuntimeDefault" } },
        containers: [container()],
        volumes: [{ name: "tmp", emptyDir: {} }, { name: "secrets", csi: { driver: "secrets-store.csi.k8s.io" } }],
        ...overrides,
    };
}

export function deployment(spec: Record<string, unknown> = podSpec(), extra: { name?: string; namespace?: string; replicas?: unknown; labels?: Record<string, string> } = {}): Record<string, any> {
    const labels = extra.labels ?? { app: extra.name ?? "mcp-server" };
    return {
        apiVersion: "apps/v1",
        kind: "Deployment",
        metadata: { name: extra.name ?? "mcp-server", namespace: extra.namespace ?? "mcp" },
        spec: {
            ...(extra.replicas === undefined ? {} : { replicas: extra.replicas }),
            selector: { matchLabels: labels },
            template: { metadata: { labels }, spec },
        },
    };
}

export function namespace(name = "mcp", labels: Record<string, string> = { "pod-security.kubernetes.io/enforce": "restricted" }): Record<string, any> {
    return { apiVersion: "v1", kind: "Namespace", metadata: { name, labels } };
}

export function denyAll(namespaceName = "mcp"): Record<string, any> {
    return {
        apiVersion: "networking.k8s.io/v1",
        kind: "NetworkPolicy",
        metadata: { name: "default-deny", namespace: namespaceName },
        spec: { podSelector: {}, policyTypes: ["Ingress", "Egress"] },
    };
}

export function hpa(target: string, minReplicas: unknown = 2, namespaceName = "mcp"): Record<string, any> {
    return {
        apiVersion: "autoscaling/v2",
        kind: "HorizontalPodAutoscaler",
        metadata: { name: target, namespace: namespaceName },
        spec: { scaleTargetRef: { apiVersion: "apps/v1", kind: "Deployment", name: target }, ...(minReplicas === undefined ? {} : { minReplicas }), maxReplicas: 10 },
    };
}

export function pdb(budget: Record<string, unknown>, matchLabels: Record<string, string> = { app: "mcp-server" }, namespaceName = "mcp"): Record<string, any> {
    return {
        apiVersion: "policy/v1",
        kind: "PodDisruptionBudget",
        metadata: { name: "budget", namespace: namespaceName },
        spec: { selector: { matchLabels }, ...budget },
    };
}

export function managedCluster(overrides: Record<string, unknown> = {}): Record<string, any> {
    return {
        resourceGroupName: "rg-mcp-dev",
        disableLocalAccounts: true,
        aadProfile: { managed: true, enableAzureRBAC: true },
        oidcIssuerProfile: { enabled: true },
        securityProfile: { workloadIdentity: { enabled: true } },
        networkProfile: { networkPlugin: "azure", networkPluginMode: "overlay", networkDataplane: "cilium", networkPolicy: "cilium" },
        addonProfiles: { azureKeyvaultSecretsProvider: { enabled: true, config: { enableSecretRotation: "true", rotationPollInterval: "2m" } } },
        autoUpgradeProfile: { upgradeChannel: "patch", nodeOSUpgradeChannel: "NodeImage" },
        tags: { environment: "dev" },
        ...overrides,
    };
}

/** A compliant vault; `tags: null` leaves the vault untagged. */
export function vault(properties: Record<string, unknown> = {}, tags: Record<string, unknown> | null = { environment: "dev" }): Record<string, any> {
    return {
        resourceGroupName: "rg-mcp-dev",
        properties: { tenantId: "t", sku: { family: "A", name: "standard" }, enableRbacAuthorization: true, ...properties },
        ...(tags === null ? {} : { tags }),
    };
}

export const RESOURCE_ID = "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg-mcp-dev/providers/Microsoft.ContainerRegistry/registries/mcpacr";

export function roleAssignment(overrides: Record<string, unknown> = {}): Record<string, any> {
    return {
        scope: RESOURCE_ID,
        principalId: "11111111-1111-1111-1111-111111111111",
        principalType: "ServicePrincipal",
        roleDefinitionId: "/subscriptions/00000000-0000-0000-0000-000000000000/providers/Microsoft.Authorization/roleDefinitions/7f951dda-4ed3-4680-a7ca-43fe172d538d",
        ...overrides,
    };
}
