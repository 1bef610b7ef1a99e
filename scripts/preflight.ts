/**
 * Checks, with the az CLI, what a first `pulumi up` needs and cannot fix by itself:
 *
 *   npm run preflight -- --stack dev
 *
 * Logged in; kubelogin on PATH; the resource providers registered; ACR Tasks allowed on the subscription;
 * vCPU quota in the region for the node pools at their maximum scale; the configured admin principals exist,
 * and the principal running this is one of them. The stack config goes through the program's own
 * validation (components/config.ts) first. Every failure is one line that ends with the fix; the exit
 * status is 1 when any check fails.
 */
import { spawnSync } from "child_process";
import { ConfigError, RawConfig, StackConfig, adminPrincipals, parseStackConfig, sanitizeStackName } from "../components/config";
import { azureNames } from "../components/naming";
import { REQUIRED_PROVIDERS, registerCommand } from "../components/azure/resource-providers";
import { readStackFile } from "../tests/harness";

export interface CommandResult {
    /** Exit status; null when the program could not be started (e.g. not on PATH). */
    readonly status: number | null;
    readonly stdout: string;
    readonly stderr: string;
}

export interface PreflightDeps {
    /** Runs a program from PATH. */
    run(command: string, args: readonly string[]): CommandResult;
    /** The raw config of a stack (`Pulumi.<stack>.yaml`) and which keys hold secrets. */
    readStack(stack: string): { raw: RawConfig; secretKeys: string[] };
    out(line: string): void;
}

export const USAGE = `Usage: npm run preflight -- --stack <stack> [--skip-entra-lookups]

  --skip-entra-lookups  do not look the admin principals up in Entra ID (Microsoft Graph): for a CI
                        identity, which has no directory permissions`;

export interface Finding {
    readonly ok: boolean;
    /** One line: what was checked and, on failure, what is wrong and the fix. */
    readonly text: string;
}

const pass = (text: string): Finding => ({ ok: true, text });
const fail = (problem: string, fix: string): Finding => ({ ok: false, text: `${problem}; fix: ${fix}` });

/** Quota ids of subscriptions funded by free credits, where ACR Tasks requests fail with TasksOperationsNotAllowed. */
const NO_ACR_TASKS_QUOTA = /^(FreeTrial|AzureForStudents|AzurePass)_/i;

function json<T>(result: CommandResult): T | undefined {
    if (result.status !== 0) return undefined;
    try {
        return JSON.parse(result.stdout) as T;
    } catch {
        return undefined;
    }
}

function firstLine(text: string): string {
    return text.split("\n").map((l) => l.trim()).find((l) => l !== "") ?? "";
}

interface Account {
    id: string;
    name?: string;
    tenantId: string;
    user?: { name?: string; type?: string };
}

function checkKubelogin(deps: PreflightDeps): Finding {
    const r = deps.run("kubelogin", ["--version"]);
    if (r.status === null) return fail("kubelogin is not on PATH (AKS has local accounts off; the Kubernetes provider gets Entra tokens through it)", "az aks install-cli");
    if (r.status !== 0) return fail(`kubelogin --version failed: ${firstLine(r.stderr)}`, "az aks install-cli");
    return pass(`kubelogin ${firstLine(r.stdout).replace(/^kubelogin version\s*/i, "")}`.trim());
}

function checkProviders(deps: PreflightDeps): Finding[] {
    const states = json<Array<{ namespace: string; registrationState: string }>>(
        deps.run("az", ["provider", "list", "--query", "[].{namespace:namespace, registrationState:registrationState}", "--output", "json"]),
    );
    if (!states) return [fail("could not list the subscription's resource providers", "az provider list --output table (check your role on the subscription)")];
    const byName = new Map(states.map((s) => [s.namespace.toLowerCase(), s.registrationState]));
    const findings: Finding[] = [];
    for (const p of REQUIRED_PROVIDERS) {
        const state = byName.get(p.namespace.toLowerCase()) ?? "NotRegistered";
        if (state === "Registered") continue;
        findings.push(fail(`resource provider ${p.namespace} is ${state} (needed for ${p.why})`, registerCommand(p.namespace)));
    }
    if (findings.length === 0) findings.push(pass(`resource providers: all ${REQUIRED_PROVIDERS.length} registered`));
    return findings;
}

function checkAcrTasks(deps: PreflightDeps, account: Account): Finding {
    const sub = json<{ subscriptionPolicies?: { quotaId?: string; spendingLimit?: string } }>(
        deps.run("az", ["rest", "--method", "get", "--url", `/subscriptions/${account.id}?api-version=2022-12-01`, "--output", "json"]),
    );
    const policies = sub?.subscriptionPolicies;
    if (!policies?.quotaId) return fail("could not read the subscription's offer (subscriptionPolicies)", `az rest --method get --url /subscriptions/${account.id}?api-version=2022-12-01`);
    // Subscriptions that run on free credits (Free Trial, Azure for Students, Azure Pass, and any with a
    // spending limit) are refused ACR Tasks runs: `az acr build` fails with TasksOperationsNotAllowed.
    if (NO_ACR_TASKS_QUOTA.test(policies.quotaId) || policies.spendingLimit === "On") {
        return fail(
            `ACR Tasks are not allowed on this subscription (offer ${policies.quotaId}, spending limit ${policies.spendingLimit ?? "unknown"}): the stack builds the MCP server image with ACR Tasks`,
            "upgrade it to pay-as-you-go or remove the spending limit (Azure portal > Subscriptions > your subscription > Overview), or open a support request at https://aka.ms/azuresupport",
        );
    }
    return pass(`ACR Tasks allowed (offer ${policies.quotaId})`);
}

interface Sku {
    name: string;
    family?: string;
    capabilities?: Array<{ name: string; value: string }>;
    locationInfo?: Array<{ location: string; zones?: string[] }>;
    restrictions?: Array<{ type: string; reasonCode?: string; restrictionInfo?: { zones?: string[] } }>;
}

interface Usage {
    currentValue: number;
    limit: number;
    name: { value: string; localizedValue?: string };
}

/** The node pools at maximum scale, plus the one surge node each takes during an upgrade (maxSurge 1). */
function pools(cfg: StackConfig): Array<{ key: string; vmSize: string; nodes: number }> {
    const list = [{ key: "cluster.systemPool", pool: cfg.cluster.systemPool }];
    if (cfg.cluster.userPool) list.push({ key: "cluster.userPool", pool: cfg.cluster.userPool });
    return list.map(({ key, pool }) => ({ key, vmSize: pool.vmSize, nodes: pool.maxCount + 1 }));
}

function checkQuota(deps: PreflightDeps, cfg: StackConfig): Finding[] {
    const findings: Finding[] = [];
    const location = cfg.location;
    const need = new Map<string, { vcpus: number; sizes: Set<string>; keys: Set<string> }>();
    let total = 0;
    const sizes = new Map<string, { family: string; vcpus: number }>();
    for (const p of pools(cfg)) {
        const skus = json<Sku[]>(deps.run("az", ["vm", "list-skus", "--location", location, "--size", p.vmSize, "--resource-type", "virtualMachines", "--output", "json"]));
        const sku = skus?.find((s) => s.name.toLowerCase() === p.vmSize.toLowerCase());
        if (!sku?.family) {
            findings.push(fail(`VM size ${p.vmSize} (${p.key}.vmSize) is not offered in ${location}`, `az vm list-skus --location ${location} --resource-type virtualMachines --output table, then pulumi config set --path ${p.key}.vmSize <size> --stack ${cfg.stack}`));
            continue;
        }
        const blocked = (sku.restrictions ?? []).find((r) => r.type === "Location");
        if (blocked) {
            findings.push(fail(`VM size ${p.vmSize} (${p.key}.vmSize) is restricted for this subscription in ${location} (${blocked.reasonCode ?? "restricted"})`, `pick another size (pulumi config set --path ${p.key}.vmSize <size> --stack ${cfg.stack}) or request access: https://aka.ms/azuresupport`));
            continue;
        }
        const offered = new Set(sku.locationInfo?.[0]?.zones ?? []);
        const zoneBlocked = new Set((sku.restrictions ?? []).filter((r) => r.type === "Zone").flatMap((r) => r.restrictionInfo?.zones ?? []));
        const missing = cfg.cluster.zones.filter((z) => !offered.has(z) || zoneBlocked.has(z));
        if (missing.length > 0) {
            findings.push(fail(`VM size ${p.vmSize} (${p.key}.vmSize) is not available in zone(s) ${missing.join(", ")} of ${location}`, `pick a size offered in every zone of cluster.zones (az vm list-skus --location ${location} --zone --size ${p.vmSize} --output table)`));
        }
        const vcpus = Number(sku.capabilities?.find((c) => c.name === "vCPUs")?.value ?? NaN);
        if (!Number.isFinite(vcpus)) continue;
        const family = sku.family.toLowerCase();
        sizes.set(p.vmSize.toLowerCase(), { family, vcpus });
        const entry = need.get(family) ?? { vcpus: 0, sizes: new Set<string>(), keys: new Set<string>() };
        entry.vcpus += vcpus * p.nodes;
        entry.sizes.add(p.vmSize);
        entry.keys.add(p.key);
        need.set(family, entry);
        total += vcpus * p.nodes;
    }
    if (need.size === 0) return findings;

    // On a stack that is already deployed, its own nodes count in currentValue: give them back, so a later
    // run (every CI deploy) measures only what the pools could still add.
    const names = azureNames({ prefix: cfg.namePrefix, stack: sanitizeStackName(cfg.stack) });
    const existing = json<Array<{ vmSize: string; count: number }>>(
        deps.run("az", ["aks", "show", "--resource-group", names.resourceGroup, "--name", names.cluster, "--query", "agentPoolProfiles[].{vmSize:vmSize, count:count}", "--output", "json"]),
    );
    const ownVcpus = new Map<string, number>();
    for (const pool of existing ?? []) {
        const known = sizes.get(pool.vmSize.toLowerCase());
        if (known) ownVcpus.set(known.family, (ownVcpus.get(known.family) ?? 0) + known.vcpus * (pool.count ?? 0));
    }
    const ownTotal = [...ownVcpus.values()].reduce((a, b) => a + b, 0);

    const usages = json<Usage[]>(deps.run("az", ["vm", "list-usage", "--location", location, "--output", "json"]));
    if (!usages) return [...findings, fail(`could not read the vCPU quota in ${location}`, `az vm list-usage --location ${location} --output table`)];
    const usage = (name: string) => usages.find((u) => u.name.value.toLowerCase() === name.toLowerCase());
    const quotaFix = `request more in the Azure portal (Subscriptions > Usage + quotas, region ${location}), or lower the pools' maxCount (pulumi config set --path cluster.systemPool.maxCount <n> --stack ${cfg.stack})`;
    for (const [family, { vcpus, sizes, keys }] of need) {
        const u = usage(family);
        if (!u) {
            findings.push(fail(`no vCPU quota entry for family ${family} (${[...sizes].join(", ")}) in ${location}`, quotaFix));
            continue;
        }
        const free = u.limit - u.currentValue + (ownVcpus.get(family) ?? 0);
        if (free < vcpus) {
            findings.push(fail(`${u.name.localizedValue ?? family} in ${location}: ${vcpus} needed at max scale plus upgrade surge (${[...keys].join(", ")}), ${free} free of ${u.limit}`, quotaFix));
        } else {
            findings.push(pass(`vCPU quota ${u.name.localizedValue ?? family} in ${location}: ${vcpus} needed, ${free} free`));
        }
    }
    const regional = usage("cores");
    if (regional && regional.limit - regional.currentValue + ownTotal < total) {
        findings.push(fail(`Total Regional vCPUs in ${location}: ${total} needed at max scale plus upgrade surge, ${regional.limit - regional.currentValue + ownTotal} free of ${regional.limit}`, quotaFix));
    }
    return findings;
}

/**
 * Object id of the principal the az CLI is logged in as: the `oid` claim of its ARM access token. Works for
 * users and service principals alike, without Microsoft Graph permissions (a CI identity has none).
 */
function signedInObjectId(deps: PreflightDeps): string | undefined {
    const r = deps.run("az", ["account", "get-access-token", "--query", "accessToken", "--output", "tsv"]);
    if (r.status !== 0) return undefined;
    try {
        const payload = JSON.parse(Buffer.from(r.stdout.trim().split(".")[1] ?? "", "base64url").toString("utf8")) as { oid?: string };
        return payload.oid;
    } catch {
        return undefined;
    }
}

function checkAdmins(deps: PreflightDeps, cfg: StackConfig, account: Account, entraLookups: boolean): Finding[] {
    const findings: Finding[] = [];
    const s = cfg.stack;
    const lookups = {
        Group: { what: "group", show: (id: string) => ["ad", "group", "show", "--group", id], find: "az ad group show --group '<group name>' --query id -o tsv" },
        ServicePrincipal: { what: "service principal", show: (id: string) => ["ad", "sp", "show", "--id", id], find: "az ad sp show --id <app-id> --query id -o tsv" },
        User: { what: "user", show: (id: string) => ["ad", "user", "show", "--id", id], find: "az ad user show --id <user@domain> --query id -o tsv" },
    };
    for (const e of entraLookups ? adminPrincipals(cfg.access) : []) {
        const { what, show, find } = lookups[e.type];
        const found = json<{ id: string; displayName?: string }>(deps.run("az", [...show(e.objectId), "--query", "{id:id, displayName:displayName}", "--output", "json"]));
        if (!found) {
            findings.push(fail(`${e.key} ${e.objectId}: no such ${what} in tenant ${account.tenantId}`, `find the object id (${find}) and pulumi config set --path '${e.key}' <object-id> --stack ${s}`));
        } else if (found.id.toLowerCase() !== e.objectId.toLowerCase()) {
            // `az ad sp show --id` also accepts the application (client) id; a role assignment needs the object id.
            findings.push(fail(`${e.key} ${e.objectId} is the application id of ${found.displayName ?? "a service principal"}, not its object id`, `pulumi config set --path '${e.key}' ${found.id} --stack ${s}`));
        } else {
            findings.push(pass(`${e.key}: ${what} ${found.displayName ?? e.objectId}`));
        }
    }

    // The principal running `pulumi up` must be an admin, or the first Kubernetes call gets 403.
    const me = signedInObjectId(deps);
    if (!me) {
        findings.push(fail("could not read your own object id from your Azure access token", "az login, then az account get-access-token"));
        return findings;
    }
    const direct = [...cfg.access.adminUsers, ...(cfg.access.ciServicePrincipal ? [cfg.access.ciServicePrincipal] : [])].some((id) => id.toLowerCase() === me.toLowerCase());
    if (!direct && !entraLookups && cfg.access.adminGroups.length > 0) {
        findings.push(pass(`you (${me}) are not listed by object id; membership of the admin groups not checked (--skip-entra-lookups)`));
        return findings;
    }
    const viaGroup = !direct && cfg.access.adminGroups.some((g) => {
        const r = deps.run("az", ["ad", "group", "member", "check", "--group", g, "--member-id", me, "--query", "value", "--output", "tsv"]);
        return r.status === 0 && r.stdout.trim() === "true";
    });
    if (direct || viaGroup) {
        findings.push(pass(`you (${me}) are a cluster admin${viaGroup ? " through an admin group" : ""}`));
    } else {
        const next = account.user?.type === "servicePrincipal" ? "access.ciServicePrincipal" : `access.adminUsers[${cfg.access.adminUsers.length}]`;
        findings.push(
            fail(
                `you (${me}) are not a cluster admin of this stack, so pulumi up would get 403 from the cluster`,
                cfg.access.adminGroups.length > 0
                    ? `join an admin group (az ad group member add --group ${cfg.access.adminGroups[0]} --member-id ${me}) or pulumi config set --path '${next}' ${me} --stack ${s}`
                    : `pulumi config set --path '${next}' ${me} --stack ${s}`,
            ),
        );
    }
    return findings;
}

/** Runs every check; the config ones only when the config is valid. */
export function preflight(stack: string, deps: PreflightDeps, options: { entraLookups?: boolean } = {}): Finding[] {
    const findings: Finding[] = [];
    let cfg: StackConfig | undefined;
    let stackFile: { raw: RawConfig; secretKeys: string[] };
    try {
        stackFile = deps.readStack(stack);
    } catch {
        return [fail(`no stack file Pulumi.${stack}.yaml in this directory`, `run it from the repository root, or create the stack: pulumi stack init ${stack}`)];
    }
    try {
        const { raw, secretKeys } = stackFile;
        cfg = parseStackConfig(raw, { stack, secretKeys });
        findings.push(pass(`config of stack "${stack}" is valid`));
    } catch (e) {
        if (!(e instanceof ConfigError)) throw e;
        for (const p of e.problems) {
            findings.push(fail(`config mcp-aks:${p.key} ${p.value === undefined ? "is not set" : `is ${JSON.stringify(p.value)}`}: allowed ${p.allowed}`, p.fix));
        }
    }

    const account = deps.run("az", ["account", "show", "--output", "json"]);
    if (account.status === null) {
        findings.push(fail("the Azure CLI (az) is not on PATH", "install it: https://learn.microsoft.com/cli/azure/install-azure-cli"));
        findings.push(checkKubelogin(deps));
        return findings;
    }
    const acct = json<Account>(account);
    if (!acct) {
        findings.push(fail(`not logged in to Azure (${firstLine(account.stderr) || "az account show failed"})`, "az login"));
        findings.push(checkKubelogin(deps));
        return findings;
    }
    findings.push(pass(`logged in to subscription ${acct.name ?? acct.id} (${acct.id}) as ${acct.user?.name ?? "?"}`));
    findings.push(checkKubelogin(deps));
    findings.push(...checkProviders(deps));
    findings.push(checkAcrTasks(deps, acct));
    if (cfg) {
        findings.push(...checkQuota(deps, cfg));
        findings.push(...checkAdmins(deps, cfg, acct, options.entraLookups ?? true));
    }
    return findings;
}

export function parseArgs(argv: readonly string[]): { stack: string; entraLookups: boolean } {
    const i = argv.indexOf("--stack");
    const stack = i >= 0 ? argv[i + 1] : undefined;
    const flags = argv.filter((a, j) => a.startsWith("-") && argv[j - 1] !== "--stack");
    const unknown = flags.filter((f) => f !== "--stack" && f !== "--skip-entra-lookups");
    if (!stack || stack.startsWith("-") || unknown.length > 0) throw new Error(USAGE);
    return { stack, entraLookups: !flags.includes("--skip-entra-lookups") };
}

/** Runs programs found on `env.PATH`; a program that is not there yields status null. */
export function commandRunner(env: NodeJS.ProcessEnv = process.env): PreflightDeps["run"] {
    return (command, args) => {
        const r = spawnSync(command, [...args], { encoding: "utf8", env });
        if (r.error && (r.error as NodeJS.ErrnoException).code === "ENOENT") return { status: null, stdout: "", stderr: "" };
        return { status: r.status, stdout: r.stdout ?? "", stderr: r.stderr ?? "" };
    };
}

export const DEFAULT_DEPS: PreflightDeps = {
    run: commandRunner(),
    readStack: (stack) => readStackFile(stack),
    out: (line) => console.log(line),
};

export function main(argv: readonly string[], deps: PreflightDeps = DEFAULT_DEPS): number {
    let args: ReturnType<typeof parseArgs>;
    try {
        args = parseArgs(argv);
    } catch (e) {
        deps.out((e as Error).message);
        return 2;
    }
    const stack = args.stack;
    const findings = preflight(stack, deps, { entraLookups: args.entraLookups });
    for (const f of findings) deps.out(`${f.ok ? "ok  " : "FAIL"} ${f.text}`);
    const failed = findings.filter((f) => !f.ok).length;
    deps.out(failed === 0 ? `preflight passed for stack "${stack}": ready for pulumi up` : `preflight: ${failed} problem(s) for stack "${stack}"; fix each, then run it again`);
    return failed === 0 ? 0 : 1;
}

if (require.main === module) process.exit(main(process.argv.slice(2)));
