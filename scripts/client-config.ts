/**
 * Writes (or merges) an MCP client's config file from a deployed stack's outputs.
 *
 *   npm run client-config -- --stack dev [--format mcp|vscode|claude] [--out FILE | --print]
 *
 * Everything outside this process (the Pulumi CLI, the file system, the console) comes in through
 * CliDeps, so the tests drive main() with a fake Pulumi and a temp dir.
 */
import { execFile } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { isDeepStrictEqual } from "util";
import {
    CLIENT_FILE_NAMES,
    CLIENT_FORMATS,
    ClientFormat,
    STACK_OUTPUTS,
    authEnvVar,
    clientConfigs,
    clientEntries,
    connectorInstructions,
    isClientFormat,
    McpServerEntry,
    mergeClientConfig,
} from "../components/client-config";
import { EdgeTarget, parseEdgeTarget, parseServerTargets, ServerTarget } from "../components/access";

export interface CliDeps {
    /** Runs `pulumi <args>` and resolves with its stdout; rejects with an error carrying `code` and `stderr`. */
    runPulumi(args: readonly string[]): Promise<string>;
    readFile(file: string): Promise<string>;
    /** Creates missing parent directories; must not leave a half-written file behind. */
    writeFile(file: string, content: string): Promise<void>;
    exists(file: string): Promise<boolean>;
    stdout(text: string): void;
    stderr(text: string): void;
    platform: NodeJS.Platform;
    env: NodeJS.ProcessEnv;
    homedir: string;
    /** Base for relative paths. */
    cwd: string;
}

export const USAGE = `Usage: npm run client-config -- [--stack <stack>] [--format ${CLIENT_FORMATS.join("|")}] [--out <file> | --print]

  --stack   Pulumi stack to read (default: the selected stack)
  --format  mcp: Claude Code .mcp.json (default); vscode: .vscode/mcp.json; claude: Claude Desktop config
  --out     file to write or merge into (default: the client's usual location)
  --print   print the generated document to stdout and write nothing`;

/** An error the user can act on: one line, and the exit code to leave with. */
export class CliError extends Error {
    constructor(message: string, readonly exitCode = 1) {
        super(message);
        this.name = "CliError";
    }
}

export interface CliArgs {
    stack?: string;
    format: ClientFormat;
    out?: string;
    print: boolean;
    help: boolean;
}

export function parseArgs(argv: readonly string[]): CliArgs {
    const args: CliArgs = { format: "mcp", print: false, help: false };
    for (let i = 0; i < argv.length; i++) {
        const arg = argv[i];
        const eq = arg.indexOf("=");
        const flag = arg.startsWith("--") && eq > 0 ? arg.slice(0, eq) : arg;
        const inline = arg.startsWith("--") && eq > 0 ? arg.slice(eq + 1) : undefined;
        const value = (): string => {
            const v = inline ?? argv[++i];
            if (v === undefined || v === "" || (inline === undefined && v.startsWith("-"))) {
                throw new CliError(`${flag} needs a value\n${USAGE}`, 2);
            }
            return v;
        };
        switch (flag) {
            case "--stack":
            case "-s":
                args.stack = value();
                break;
            case "--format":
            case "-f": {
                const f = value();
                if (!isClientFormat(f)) throw new CliError(`unknown --format "${f}"; use one of ${CLIENT_FORMATS.join(", ")}`, 2);
                args.format = f;
                break;
            }
            case "--out":
            case "-o":
                args.out = value();
                break;
            case "--print":
                args.print = true;
                break;
            case "--help":
            case "-h":
                args.help = true;
                break;
            default:
                throw new CliError(`unknown argument "${arg}"\n${USAGE}`, 2);
        }
    }
    if (args.print && args.out !== undefined) {
        throw new CliError("use either --print (stdout only) or --out <file>, not both", 2);
    }
    return args;
}

/** Where Claude Desktop reads its config on each OS. */
export function claudeDesktopConfigPath(platform: NodeJS.Platform, env: NodeJS.ProcessEnv, homedir: string): string {
    const file = CLIENT_FILE_NAMES.claude;
    if (platform === "darwin") return path.posix.join(homedir, "Library", "Application Support", "Claude", file);
    if (platform === "win32") {
        return path.win32.join(env.APPDATA || path.win32.join(homedir, "AppData", "Roaming"), "Claude", file);
    }
    return path.posix.join(env.XDG_CONFIG_HOME || path.posix.join(homedir, ".config"), "Claude", file);
}

/** The file to write: --out, or the client's usual location. Relative paths start where the user ran npm. */
export function targetPath(format: ClientFormat, out: string | undefined, deps: Pick<CliDeps, "platform" | "env" | "homedir" | "cwd">): string {
    // npm runs scripts in the package root; INIT_CWD is the directory the user typed the command in.
    const base = deps.env.INIT_CWD || deps.cwd;
    if (out !== undefined) return path.resolve(base, out);
    if (format === "claude") return claudeDesktopConfigPath(deps.platform, deps.env, deps.homedir);
    return path.resolve(base, CLIENT_FILE_NAMES[format]);
}

function firstErrorLine(stderr: string): string {
    const lines = stderr.split(/\r?\n/).map((l) => l.trim()).filter((l) => l !== "");
    return (lines.find((l) => /^error:/i.test(l)) ?? lines[0] ?? "").replace(/^error:\s*/i, "");
}

/** Turns a failed `pulumi` run into a message that says what to do. */
export function describePulumiFailure(err: unknown, stack: string | undefined): CliError {
    const e = (err ?? {}) as { code?: unknown; stderr?: unknown; message?: unknown };
    if (e.code === "ENOENT") {
        return new CliError("the Pulumi CLI was not found on PATH; install it (https://www.pulumi.com/docs/install/) and run again");
    }
    const stderr = typeof e.stderr === "string" ? e.stderr : "";
    const text = `${stderr}\n${typeof e.message === "string" ? e.message : ""}`;
    if (/no stack selected/i.test(text)) {
        return new CliError("no Pulumi stack selected; pass --stack dev (or run `pulumi stack select dev`) and run again");
    }
    if (/no stack named|stack .* (not found|does not exist)/i.test(text)) {
        return new CliError(`stack "${stack ?? "?"}" was not found; list the stacks with \`pulumi stack ls\` and pass one with --stack`);
    }
    if (/PULUMI_ACCESS_TOKEN|not logged in|pulumi login/i.test(text)) {
        return new CliError("the Pulumi CLI is not logged in to the stack's backend; run `pulumi login` and run again");
    }
    if (/no Pulumi\.yaml|no project file/i.test(text)) {
        return new CliError("pulumi could not find this project's Pulumi.yaml; run the command from the mcp-aks checkout");
    }
    const detail = firstErrorLine(stderr) || (typeof e.message === "string" ? e.message.split("\n")[0] : String(err));
    return new CliError(`pulumi failed: ${detail}`);
}

async function pulumi(deps: Pick<CliDeps, "runPulumi">, args: readonly string[], stack: string | undefined): Promise<string> {
    try {
        return await deps.runPulumi(args);
    } catch (err) {
        throw describePulumiFailure(err, stack);
    }
}

/**
 * The stack's name and its MCP servers (the `servers` output), for client-config and connect. Refuses a
 * stack that is not deployed yet or whose output is malformed, naming the stack and the field.
 */
export async function readStackServers(deps: Pick<CliDeps, "runPulumi">, requested: string | undefined): Promise<{ stack: string; servers: ServerTarget[]; edge?: EdgeTarget }> {
    const stack = requested ?? (await pulumi(deps, ["stack", "--show-name"], undefined)).trim();
    if (stack === "") throw new CliError("no Pulumi stack selected; pass --stack dev (or run `pulumi stack select dev`) and run again");
    const raw = await pulumi(deps, ["stack", "output", "--json", "--stack", stack], stack);
    let outputs: unknown;
    try {
        outputs = JSON.parse(raw);
    } catch (e) {
        throw new CliError(`\`pulumi stack output --json\` returned something that is not JSON (${(e as Error).message})`);
    }
    if (typeof outputs !== "object" || outputs === null || Array.isArray(outputs)) {
        throw new CliError("`pulumi stack output --json` did not return an object of outputs");
    }
    const rawServers = (outputs as Record<string, unknown>)[STACK_OUTPUTS.servers];
    if (rawServers === undefined || rawServers === null) {
        throw new CliError(`stack "${stack}" has no ${STACK_OUTPUTS.servers} output yet: run \`pulumi up --stack ${stack}\` first, then run again`);
    }
    let servers: ServerTarget[];
    try {
        servers = parseServerTargets(rawServers);
    } catch (e) {
        throw new CliError(`stack "${stack}": output ${STACK_OUTPUTS.servers} is unusable: ${(e as Error).message}`);
    }
    if (servers.length === 0) throw new CliError(`stack "${stack}" runs no MCP server (every entry of mcpServers is disabled)`);
    const rawEdge = (outputs as Record<string, unknown>)[STACK_OUTPUTS.edge];
    let edge: EdgeTarget | undefined;
    if (rawEdge !== undefined && rawEdge !== null) {
        try {
            edge = parseEdgeTarget(rawEdge);
        } catch (e) {
            throw new CliError(`stack "${stack}": output ${STACK_OUTPUTS.edge} is unusable: ${(e as Error).message}`);
        }
    }
    return { stack, servers, ...(edge ? { edge } : {}) };
}

function nextSteps(stack: string, format: ClientFormat, names: readonly string[], authNames: readonly string[], entries: readonly McpServerEntry[], edge?: EdgeTarget): string[] {
    const steps: string[] = [];
    // Localhost URLs are the ends of `npm run connect`'s port-forwards; a public edge needs none.
    if (!edge || edge.exposure === "private") steps.push(`Start \`npm run connect -- --stack ${stack}\` and keep it running while you use the servers.`);
    if (edge) steps.push("On first use each server asks you to sign in with your Microsoft (Entra ID) account.");
    if (format === "claude") steps.push(...connectorInstructions(entries));
    if (format === "mcp") steps.push("Claude Code loads it when started in this directory; approve the server when asked (check with `claude mcp list`).");
    if (format === "vscode") steps.push(`In VS Code run "MCP: List Servers" and start ${names.join(", ")}.`);
    if (format === "claude") steps.push("Quit and restart Claude Desktop to load it (it needs Node.js for npx).");
    for (const name of authNames) {
        if (format === "mcp") steps.push(`Set ${authEnvVar(name)} in your shell to the header value for ${name} before starting Claude Code.`);
        if (format === "claude") steps.push(`Add "env": { "${authEnvVar(name)}": "<header value>" } to the ${name} entry; it is kept on later runs.`);
        if (format === "vscode") steps.push(`VS Code asks for the ${name} header value on first start and stores it in its secret storage.`);
    }
    return steps;
}

async function run(argv: readonly string[], deps: CliDeps): Promise<void> {
    const args = parseArgs(argv);
    if (args.help) {
        deps.stdout(`${USAGE}\n`);
        return;
    }
    const read = await readStackServers(deps, args.stack);
    const stack = read.stack;
    const servers = clientEntries(stack, read.servers, read.edge);

    let docs;
    try {
        docs = clientConfigs(servers);
    } catch (e) {
        throw new CliError(`stack "${stack}": ${(e as Error).message}`);
    }
    const generated = docs[args.format];

    if (args.print) {
        deps.stdout(`${JSON.stringify(generated, null, 2)}\n`);
        return;
    }

    const file = targetPath(args.format, args.out, deps);
    let existing: unknown;
    if (await deps.exists(file)) {
        const text = await deps.readFile(file);
        // An empty file holds nothing to keep; anything else must parse, or we stop and touch nothing.
        if (text.trim() !== "") {
            try {
                existing = JSON.parse(text);
            } catch (e) {
                throw new CliError(
                    `${file} is not valid JSON (${(e as Error).message}); it was left unchanged. Fix it (comments are not supported) or move it away, or use --print and merge by hand`,
                );
            }
        }
    }
    let merged: Record<string, unknown>;
    try {
        merged = mergeClientConfig(args.format, existing, generated);
    } catch (e) {
        throw new CliError(`${file}: ${(e as Error).message}; it was left unchanged`);
    }

    const entries = Object.keys("servers" in generated ? generated.servers : generated.mcpServers);
    const authNames = servers.filter((s) => s.auth).map((s) => s.name);
    if (existing !== undefined && isDeepStrictEqual(existing, merged)) {
        deps.stdout(`${file} is already up to date (${entries.join(", ")}).\n`);
    } else {
        await deps.writeFile(file, `${JSON.stringify(merged, null, 2)}\n`);
        deps.stdout(`${existing === undefined ? "Wrote" : "Updated"} ${file}: ${servers.map((s) => `${s.name} -> ${s.url}`).join(", ")}\n`);
    }
    for (const step of nextSteps(stack, args.format, entries, authNames, servers, read.edge)) deps.stdout(`${step}\n`);
}

/**
 * Runs a command's body and returns its exit code; every expected failure (CliError) becomes a message on
 * stderr prefixed with the command's name. Shared by client-config and connect.
 */
export async function runCommand(name: string, body: () => Promise<void>, stderr: (text: string) => void): Promise<number> {
    try {
        await body();
        return 0;
    } catch (e) {
        if (e instanceof CliError) {
            stderr(`${name}: ${e.message}\n`);
            return e.exitCode;
        }
        stderr(`${name}: unexpected error: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
        return 1;
    }
}

/** Runs the CLI and returns the exit code; every expected failure becomes a one-line message on stderr. */
export async function main(argv: readonly string[], overrides: Partial<CliDeps> = {}): Promise<number> {
    const deps: CliDeps = { ...defaultDeps(), ...overrides };
    return runCommand("client-config", () => run(argv, deps), deps.stderr);
}

// The project root, so that `pulumi` finds Pulumi.yaml wherever the user stands.
const PROJECT_DIR = path.resolve(__dirname, "..");

/** Runs `pulumi <args>` in the project root; rejects with an error carrying `code` and `stderr`. */
export function runPulumiCli(args: readonly string[]): Promise<string> {
    return new Promise((resolve, reject) => {
        execFile(
            "pulumi",
            [...args],
            { cwd: PROJECT_DIR, maxBuffer: 32 * 1024 * 1024, env: { ...process.env, PULUMI_SKIP_UPDATE_CHECK: "true" } },
            (err, stdout, stderr) => (err ? reject(Object.assign(err, { stderr: String(stderr) })) : resolve(String(stdout))),
        );
    });
}

export function defaultDeps(): CliDeps {
    return {
        runPulumi: runPulumiCli,
        readFile: (file) => fs.promises.readFile(file, "utf8"),
        writeFile: async (file, content) => {
            // Dotfile managers often symlink these configs; write through the link rather than replace it.
            const real = await fs.promises.realpath(file).catch(() => file);
            await fs.promises.mkdir(path.dirname(real), { recursive: true });
            const mode = await fs.promises.stat(real).then((st) => st.mode & 0o777, () => undefined);
            // Write beside the target and rename over it, so a crash never leaves the user's config half-written.
            const tmp = `${real}.${process.pid}.tmp`;
            await fs.promises.writeFile(tmp, content, { encoding: "utf8", ...(mode !== undefined ? { mode } : {}) });
            try {
                await fs.promises.rename(tmp, real);
            } catch (e) {
                await fs.promises.rm(tmp, { force: true });
                throw e;
            }
        },
        exists: async (file) => {
            try {
                await fs.promises.access(file);
                return true;
            } catch {
                return false;
            }
        },
        stdout: (text) => void process.stdout.write(text),
        stderr: (text) => void process.stderr.write(text),
        platform: process.platform,
        env: process.env,
        homedir: os.homedir(),
        cwd: process.cwd(),
    };
}

if (require.main === module) {
    main(process.argv.slice(2)).then((code) => {
        process.exitCode = code;
    });
}
