/**
 * Bad and valid config inputs as a user creates them (CLI commands through the model in pulumi-cli.ts, or
 * YAML written into the stack file), and validation as `pulumi up` runs it. Shared by the fix test
 * (config-fixes.spec.ts), the README test and the language-host test.
 */
import { ConfigError, ConfigProblem, parseStackConfig, PROJECT } from "../components/config";
import { DEFAULT_API_KEYS } from "../components/config-defaults";
import { PLACEHOLDER, REPO_ROOT } from "./harness";
import { applyFix, CliState, configSet, loadProjectStack, rawConfigOf } from "./pulumi-cli";

/** The date the version checks use, so the table does not age with the calendar. */
export const TODAY = new Date("2026-11-21T00:00:00Z");

/** How a bad input gets into the stack: CLI commands, or top-level YAML values written into the file. */
export interface BadInput {
    readonly name: string;
    readonly stack: "dev" | "prod";
    /** `pulumi config ...` commands, as the user typed them (without --stack; the test adds it). */
    readonly commands?: readonly string[];
    /** Top-level values written into Pulumi.<stack>.yaml by hand (`cluster` -> its YAML value). */
    readonly yaml?: Readonly<Record<string, unknown>>;
    /** Keys that must be reported (others may be reported too). */
    readonly keys: readonly string[];
    /** Texts that the message must contain. */
    readonly says?: readonly RegExp[];
    /** Leave out the placeholder API key secrets. */
    readonly withoutSecrets?: boolean;
    /** Leave out the admin the documented setup names. */
    readonly withoutAccess?: boolean;
}

/** Values the user supplies for a fix's `<...>` placeholders. */
export const FILL: Record<string, string> = {
    "<value>": "model-secret-value",
    "<your-cidr>": "20.50.0.0/16",
    "<your-office-or-runner-cidr>": "20.50.0.0/16",
    "<client-cidr>": "20.60.0.0/16",
    "<tag>": "2.0.0",
    "<digest>": "0123456789abcdef".repeat(4),
    "<oncall@your-org>": "oncall@contoso.com",
    "<group name>": "mcp-aks-admins",
    "<app-id>": "0f0f0f0f-1111-4222-8333-444444444444",
};

export function fill(placeholder: string): string {
    if (FILL[placeholder]) return FILL[placeholder];
    if (/stack name of at most/.test(placeholder)) return "p";
    if (/larger VM size/.test(placeholder)) return "Standard_D8ds_v5";
    throw new Error(`no value for placeholder ${placeholder}`);
}

export function withStack(command: string, stack: string): string {
    const cmd = `pulumi ${command}`;
    return cmd.includes(" -- ") ? cmd.replace(" -- ", ` --stack ${stack} -- `) : `${cmd} --stack ${stack}`;
}

/** The stack file with the bad input applied, and the API key secrets unless left out. */
/** The admin each stack names in the documented setup (`pulumi config set --path <key> <object id>`). */
export const ADMIN_STEP = {
    dev: { key: "access.adminUsers[0]", objectId: "0e0e0e0e-1111-4222-8333-444444444444" },
    prod: { key: "access.adminGroups[0]", objectId: "0d0d0d0d-1111-4222-8333-444444444444" },
} as const;

export function stateFor(input: { stack: string; commands?: readonly string[]; yaml?: Readonly<Record<string, unknown>>; withoutSecrets?: boolean; withoutAccess?: boolean }): CliState {
    const state = loadProjectStack(REPO_ROOT, input.stack);
    if (!input.withoutSecrets) for (const name of DEFAULT_API_KEYS) configSet(state, PROJECT, name, PLACEHOLDER.fakeSecret, { secret: true });
    // Every user also names the cluster's admins (README quick start): a group in prod, themselves in dev.
    if (!input.withoutAccess) configSet(state, PROJECT, ADMIN_STEP[input.stack === "prod" ? "prod" : "dev"].key, ADMIN_STEP[input.stack === "prod" ? "prod" : "dev"].objectId, { path: true });
    for (const [key, value] of Object.entries(input.yaml ?? {})) state.config[`${PROJECT}:${key}`] = structuredClone(value);
    for (const c of input.commands ?? []) applyFix(state, PROJECT, withStack(c, state.stack), fill, PLACEHOLDER.fakeSecret);
    return state;
}

/** Validates a modelled stack as `pulumi up` would (a real deployment), returning its problems. */
export function problemsOf(state: CliState): ConfigProblem[] {
    const { raw, secretKeys, securePaths } = rawConfigOf(state, PLACEHOLDER.fakeSecret);
    try {
        parseStackConfig(raw, { stack: state.stack, secretKeys, securePaths, today: TODAY, deployment: true });
        return [];
    } catch (e) {
        if (e instanceof ConfigError) return [...e.problems];
        throw e;
    }
}

export const keyOf = (p: ConfigProblem) => `${p.key} | ${p.allowed}`;

/** The stack file as shipped, with only its documentation range replaced (what every user must do in prod). */
export function baseline(stack: "dev" | "prod"): string[] {
    return stack === "prod" ? ["config set --path cluster.authorizedIpRanges[0] 20.1.0.0/16"] : [];
}

