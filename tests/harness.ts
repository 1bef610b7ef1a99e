/**
 * The shared mock harness: evaluates the real program for a stack file under pulumi.runtime.setMocks,
 * with the cloud's answers simulated by clearly marked placeholders, and captures every resource with its
 * inputs, options and dependencies. The tests and `npm run plan` both use it, so they see the same program.
 */
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import * as YAML from "yaml";
import { parseStackConfig, PROJECT, RawConfig, StackConfig } from "../components/config";
import { addPlaceholderAccess, addPlaceholderSecrets, SOURCE_ROOT } from "./fixtures";
import { loadStackFile, rawConfigOf } from "./pulumi-cli";

export const REPO_ROOT = path.resolve(__dirname, "..");

/** Placeholders for what only Azure knows. Every one is recognisably fake. */
export const PLACEHOLDER = {
    subscriptionId: "00000000-0000-0000-0000-000000005ub5",
    tenantId: "00000000-0000-0000-0000-0000000te4a7",
    deployerObjectId: "00000000-0000-0000-0000-0000de910ye7",
    /** The admin group a stack file without `access` is evaluated with (a valid GUID, no real group). */
    adminGroupObjectId: "00000000-0000-0000-0000-000000ad0001",
    kubeletObjectId: "00000000-0000-0000-0000-00000ku6e1e7",
    clusterPrincipalId: "00000000-0000-0000-0000-0000c1a5e7e5",
    identityPrincipalId: "00000000-0000-0000-0000-0000004a41d0",
    identityClientId: "00000000-0000-0000-0000-00000c1d0001",
    backupIdentityPrincipalId: "00000000-0000-0000-0000-0000004a41d2",
    backupIdentityClientId: "00000000-0000-0000-0000-00000c1d0002",
    entraAppClientId: "00000000-0000-0000-0000-0000000a9901",
    edgeIdentityClientId: "00000000-0000-0000-0000-00000c1d0ed9",
    edgeIdentityPrincipalId: "00000000-0000-0000-0000-0000004a4ed9",
    randomSuffix: "r4nd0m",
    /** TEST-NET-2 (RFC 5737): documentation addresses, never routable. */
    loadBalancerIp: "198.51.100.10",
    oidcIssuer: "https://placeholder.oic.prod-aks.azure.com/00000000-0000-0000-0000-0000000te4a7/00000000-0000-0000-0000-000000155e40/",
    fakeSecret: "placeholder-not-a-real-key",
} as const;

/** A resource as the engine would receive it. */
export interface CapturedResource {
    readonly type: string;
    readonly name: string;
    readonly urn: string;
    /** The id the simulated cloud assigned ("" during preview). */
    readonly id: string;
    readonly custom: boolean;
    /** Inputs with secrets unwrapped. */
    readonly inputs: any;
    /** What the simulated cloud answered (inputs plus computed outputs such as an identity's clientId). */
    readonly state: any;
    /** Provider reference (`urn::id`) for custom resources with an explicit or inherited provider. */
    readonly provider?: string;
    readonly parent?: string;
    /** URNs this resource waits for (dependsOn plus input dependencies). */
    readonly dependencies: string[];
    readonly protect: boolean;
    readonly retainOnDelete: boolean;
    readonly ignoreChanges: string[];
}

export interface Evaluation {
    readonly config: StackConfig;
    readonly resources: CapturedResource[];
    readonly outputs: Record<string, unknown>;
    /** The stack outputs as the program returned them (Outputs, to inspect secretness). */
    readonly rawOutputs: Record<string, unknown>;
    /** Invoke tokens the program called, in order. */
    readonly invokes: string[];
    ofType(type: string): CapturedResource[];
    one(type: string, name?: string): CapturedResource;
}

/** A stack file that is not valid YAML: its message names the file, line and column. */
export class StackFileError extends Error {}

/** The raw config map of a stack file, as the Pulumi CLI would hand it to the program. */
export function readStackFile(stack: string): { raw: Record<string, string>; secretKeys: string[] } {
    const file = path.join(REPO_ROOT, `Pulumi.${stack}.yaml`);
    let state;
    try {
        state = loadStackFile(file, stack);
    } catch (e) {
        if (e instanceof YAML.YAMLError) {
            const pos = e.linePos?.[0];
            const where = pos ? `line ${pos.line}, column ${pos.col}` : "unknown position";
            throw new StackFileError(`${path.basename(file)}: ${where}: ${e.message.split("\n")[0].replace(/ at line \d+, column \d+:?$/, "")}`);
        }
        throw e;
    }
    // Ciphertext cannot be decrypted offline; it stands for a set secret.
    const { raw, secretKeys } = rawConfigOf(state, PLACEHOLDER.fakeSecret);
    return { raw, secretKeys };
}

export interface EvaluateOptions {
    /** Evaluate as `pulumi preview` of a new stack: ids and computed outputs are unknown. */
    readonly preview?: boolean;
    /** Raw config entries to add or replace (`mcp-aks:key` to raw string). */
    readonly overrides?: Record<string, string>;
    /** Do not add placeholder values for the API key secrets the stack file does not hold. */
    readonly withoutFakeSecrets?: boolean;
    /** Do not add the placeholder admin group when the stack file sets no `access`. */
    readonly withoutFakeAccess?: boolean;
    /**
     * Where local build contexts resolve. Tests default to SOURCE_ROOT (a stand-in `server/`), so they do not
     * depend on the real server's files; `npm run plan` passes the repo root.
     */
    readonly sourceRoot?: string;
}

/** The raw config used for an evaluation: the stack file, overrides, placeholder secrets for unset API keys and a placeholder admin group when `access` is unset. */
export function stackRawConfig(stack: string, options: EvaluateOptions = {}): { raw: RawConfig; secretKeys: string[] } {
    const { raw, secretKeys } = readStackFile(stack);
    Object.assign(raw, options.overrides ?? {});
    if (!options.withoutFakeSecrets) secretKeys.push(...addPlaceholderSecrets(raw, PLACEHOLDER.fakeSecret));
    if (!options.withoutFakeAccess) addPlaceholderAccess(raw, PLACEHOLDER.adminGroupObjectId);
    return { raw, secretKeys };
}

function azureId(type: string, name: string, inputs: any): string {
    // A resource group's id has no provider segment; a grant scoped to it must look like one to the policies.
    if (type === "azure-native:resources:ResourceGroup") return `/subscriptions/${PLACEHOLDER.subscriptionId}/resourceGroups/${name}`;
    const [, module, kind] = type.split(":");
    const rg = inputs.resourceGroupName ?? "rg-placeholder";
    return `/subscriptions/${PLACEHOLDER.subscriptionId}/resourceGroups/${rg}/providers/Microsoft.${module}/${kind}/${name}`;
}

/** Outputs Azure and the cluster would compute, keyed by resource type. */
function simulatedState(type: string, name: string, inputs: any): Record<string, unknown> {
    switch (type) {
        case "azure-native:resources:ResourceGroup":
            return { name: inputs.resourceGroupName ?? name };
        case "azure-native:containerservice:ManagedCluster":
            return {
                name: inputs.resourceName ?? name,
                fqdn: `${inputs.dnsPrefix}.hcp.${inputs.location}.azmk8s.io`,
                oidcIssuerProfile: { enabled: true, issuerURL: PLACEHOLDER.oidcIssuer },
                identityProfile: { kubeletidentity: { objectId: PLACEHOLDER.kubeletObjectId, clientId: "00000000-0000-0000-0000-00000ku6e1c1" } },
                identity: { ...inputs.identity, principalId: PLACEHOLDER.clusterPrincipalId, tenantId: PLACEHOLDER.tenantId },
                // AKS's default name for the node resource group.
                nodeResourceGroup: `MC_${inputs.resourceGroupName}_${inputs.resourceName}_${inputs.location}`,
            };
        case "azure-native:containerregistry:Registry":
            return { name: inputs.registryName, loginServer: `${String(inputs.registryName).toLowerCase()}.azurecr.io` };
        case "azure-native:managedidentity:UserAssignedIdentity":
            // The backup and edge identities get ids of their own, so a test can tell which identity a value came from.
            if (String(inputs.resourceName).endsWith("-qdrant-backup")) {
                return { name: inputs.resourceName, clientId: PLACEHOLDER.backupIdentityClientId, principalId: PLACEHOLDER.backupIdentityPrincipalId, tenantId: PLACEHOLDER.tenantId };
            }
            if (String(inputs.resourceName).endsWith("-edge")) {
                return { name: inputs.resourceName, clientId: PLACEHOLDER.edgeIdentityClientId, principalId: PLACEHOLDER.edgeIdentityPrincipalId, tenantId: PLACEHOLDER.tenantId };
            }
            return { name: inputs.resourceName ?? name, clientId: PLACEHOLDER.identityClientId, principalId: PLACEHOLDER.identityPrincipalId, tenantId: PLACEHOLDER.tenantId };
        case "azure-native:storage:StorageAccount":
            return { name: inputs.accountName, primaryEndpoints: { blob: `https://${inputs.accountName}.blob.core.windows.net/` } };
        case "azure-native:storage:BlobContainer":
            return { name: inputs.containerName };
        case "azure-native:keyvault:Vault":
            return { name: inputs.vaultName, properties: { ...inputs.properties, vaultUri: `https://${inputs.vaultName}.vault.azure.net/` } };
        case "random:index/randomString:RandomString":
            return { result: PLACEHOLDER.randomSuffix.slice(0, inputs.length ?? 6) };
        case "command:local:Command":
            // az acr build / import print their logs; nothing the program reads.
            return { stdout: "", stderr: "" };
        case "random:index/randomPassword:RandomPassword":
            return { result: "placeholder-generated-password" };
        case "random:index/randomId:RandomId":
            return { hex: "00".repeat(inputs.byteLength ?? 8) };
        case "random:index/randomUuid:RandomUuid":
            return { result: `00000000-0000-4000-8000-${String(name.length).padStart(12, "0")}` };
        case "azuread:index/application:Application":
            return { clientId: PLACEHOLDER.entraAppClientId, objectId: "00000000-0000-0000-0000-0000000a9902" };
        case "azuread:index/applicationPassword:ApplicationPassword":
            return { value: PLACEHOLDER.fakeSecret };
        case "kubernetes:core/v1:Service":
            return inputs.spec?.type === "LoadBalancer" ? { status: { loadBalancer: { ingress: [{ ip: PLACEHOLDER.loadBalancerIp }] } } } : {};
        default:
            return {};
    }
}

/** A base64 AKS "exec" kubeconfig that asks for device-code login, as AKS returns it. */
export function simulatedUserKubeconfig(clusterName: string): string {
    const doc = {
        apiVersion: "v1",
        kind: "Config",
        clusters: [{ name: clusterName, cluster: { server: `https://${clusterName}.hcp.placeholder.azmk8s.io:443`, "certificate-authority-data": "UExBQ0VIT0xERVI=" } }],
        contexts: [{ name: clusterName, context: { cluster: clusterName, user: `clusterUser_${clusterName}` } }],
        "current-context": clusterName,
        users: [
            {
                name: `clusterUser_${clusterName}`,
                user: {
                    exec: {
                        apiVersion: "client.authentication.k8s.io/v1beta1",
                        command: "kubelogin",
                        args: ["get-token", "--environment", "AzurePublicCloud", "--server-id", "6dae42f8-4368-4678-94ff-3960e28e3630", "--client-id", "80faf920-1908-4b52-b5ef-a8e7bedfc67a", "--tenant-id", PLACEHOLDER.tenantId, "--login", "devicecode"],
                        env: null,
                    },
                },
            },
        ],
    };
    return Buffer.from(YAML.stringify(doc)).toString("base64");
}

/** Unwraps Pulumi's secret envelopes so tests see plain values. */
function unwrapSecrets(value: any): any {
    if (Array.isArray(value)) return value.map(unwrapSecrets);
    if (value && typeof value === "object") {
        if (value["4dabf18193072939515e22adb298388d"] === "1b47061264138c4ac30d75fd1eb44270") return unwrapSecrets(value.value);
        return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, unwrapSecrets(v)]));
    }
    return value;
}

async function settle(output: pulumi.Output<unknown>): Promise<unknown> {
    // Output.promise() resolves unknowns (preview) to undefined instead of never resolving.
    return (output as unknown as { promise(): Promise<unknown> }).promise();
}

/** Evaluates an already validated config under mocks and captures what it declares. */
export async function evaluateConfig(config: StackConfig, options: { preview?: boolean } = {}): Promise<Evaluation> {
    const resources = new Map<string, CapturedResource>();
    const invokes: string[] = [];
    /** Inputs by `type::name`, as newResource sees them; the options come from the registration request. */
    const pendingInputs = new Map<string, unknown>();
    const pendingState = new Map<string, unknown>();
    const preview = options.preview ?? false;

    await pulumi.runtime.setMocks(
        {
            newResource(args) {
                const state = { ...args.inputs, ...simulatedState(args.type, args.name, args.inputs) };
                const id = preview ? "" : args.type.startsWith("azure-native:") ? azureId(args.type, String(state.name ?? args.name), args.inputs) : `${args.name}-id`;
                pendingInputs.set(`${args.type}::${args.name}`, unwrapSecrets(args.inputs));
                pendingState.set(`${args.type}::${args.name}`, unwrapSecrets(state));
                return { id, state };
            },
            call(args) {
                invokes.push(args.token);
                switch (args.token) {
                    case "azure-native:authorization:getClientConfig":
                        return { clientId: "04b07795-8ddb-461a-bbee-02f9e1bf7b46", objectId: PLACEHOLDER.deployerObjectId, subscriptionId: PLACEHOLDER.subscriptionId, tenantId: PLACEHOLDER.tenantId };
                    case "azure-native:containerservice:listManagedClusterUserCredentials":
                        return { kubeconfigs: [{ name: "clusterUser", value: simulatedUserKubeconfig(args.inputs.resourceName) }] };
                    default:
                        // An unmocked invoke must never pass silently.
                        throw new Error(`Unmocked invoke ${args.token}: add it to tests/harness.ts`);
                }
            },
        },
        PROJECT,
        config.stack,
        preview,
    );

    // Record the engine-facing options (dependencies, protect, ...) that mocks do not pass to newResource.
    const monitor = pulumi.runtime.getMonitor() as any;
    const register = monitor.registerResource.bind(monitor);
    monitor.registerResource = (req: any, callback: (err: any, resp: any) => void) => {
        register(req, (err: any, resp: any) => {
            if (!err) {
                const urn = resp.getUrn();
                resources.set(urn, {
                    type: req.getType(),
                    name: req.getName(),
                    urn,
                    id: resp.getId(),
                    custom: req.getCustom(),
                    inputs: pendingInputs.get(`${req.getType()}::${req.getName()}`) ?? {},
                    state: pendingState.get(`${req.getType()}::${req.getName()}`) ?? {},
                    provider: req.getProvider() || undefined,
                    parent: req.getParent() || undefined,
                    dependencies: req.getDependenciesList(),
                    protect: Boolean(req.getProtect()),
                    retainOnDelete: Boolean(req.getRetainondelete()),
                    ignoreChanges: req.getIgnorechangesList(),
                });
            }
            callback(err, resp);
        });
    };

    // Required lazily so that the SDK modules bind to the mocked runtime.
    const { createStack } = require("../components/stack") as typeof import("../components/stack");
    const outputs = createStack(config);
    const settled = (await settle(pulumi.output(outputs))) as Record<string, unknown>;

    // Registrations finish asynchronously after the outputs resolve; wait until the count is stable.
    let last = -1;
    let stableRounds = 0;
    while (stableRounds < 5) {
        await new Promise((r) => setTimeout(r, 5));
        stableRounds = resources.size === last ? stableRounds + 1 : 0;
        last = resources.size;
    }

    const list = [...resources.values()];
    return {
        config,
        resources: list,
        outputs: settled ?? {},
        rawOutputs: outputs,
        invokes,
        ofType: (type) => list.filter((r) => r.type === type),
        one(type, name) {
            const found = list.filter((r) => r.type === type && (name === undefined || r.name === name || r.inputs?.metadata?.name === name));
            if (found.length !== 1) throw new Error(`expected exactly one ${type}${name ? ` named ${name}` : ""}, found ${found.length}`);
            return found[0];
        },
    };
}

/** Reads, validates and evaluates a stack file (`Pulumi.<stack>.yaml`). Throws ConfigError on bad config. */
export async function evaluateStack(stack: string, options: EvaluateOptions = {}): Promise<Evaluation> {
    const { raw, secretKeys } = stackRawConfig(stack, options);
    const config = parseStackConfig(raw, { stack, secretKeys, sourceRoot: options.sourceRoot ?? SOURCE_ROOT });
    return evaluateConfig(config, { preview: options.preview });
}

/**
 * Everything `resource` waits for before the engine creates it: its dependencies, transitively. Waiting
 * for a component means waiting for all of its children, so those count too.
 */
export function dependencyClosure(ev: Evaluation, resource: CapturedResource): Set<string> {
    const byUrn = new Map(ev.resources.map((r) => [r.urn, r]));
    const children = new Map<string, string[]>();
    for (const r of ev.resources) if (r.parent) children.set(r.parent, [...(children.get(r.parent) ?? []), r.urn]);
    const seen = new Set<string>();
    const pending = [...resource.dependencies];
    while (pending.length > 0) {
        const urn = pending.pop() as string;
        if (seen.has(urn)) continue;
        seen.add(urn);
        pending.push(...(byUrn.get(urn)?.dependencies ?? []), ...(children.get(urn) ?? []));
    }
    return seen;
}
