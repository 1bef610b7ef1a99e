/**
 * Reaches a stack's MCP servers from a laptop without any public endpoint:
 *
 *   npm run connect -- --stack dev
 *
 * Reads the stack's `servers` and `kubeconfig` outputs, and runs one `kubectl port-forward` per server
 * through the Kubernetes API server, which admits only Entra ID users with Azure RBAC on the cluster (the
 * kubeconfig signs in with kubelogin). Prints the localhost URL of each server and keeps the forwards up
 * until Ctrl+C. The targets come from forwardTargets (components/access.ts), the same data the client
 * configs use, so their URLs always match.
 */
import { ChildProcess, spawn } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { ForwardTarget, distinctForwards, forwardTargets } from "../components/access";
import { CliError, describePulumiFailure, readStackServers, runCommand, runPulumiCli } from "./client-config";

export const USAGE = `Usage: npm run connect -- [--stack <stack>]

  Port-forwards each MCP server of the stack to localhost through the Kubernetes API server, prints the
  URLs and keeps the forwards open until Ctrl+C. Needs the Pulumi CLI, kubectl and kubelogin on PATH
  (\`az aks install-cli\` installs both) and an \`az login\` as a user with Azure RBAC on the cluster.

  --stack   Pulumi stack to read (default: the selected stack)`;

/** A forward that fails this many times in a row without ever becoming ready stops the command. */
export const MAX_FAILED_STARTS = 3;
/** Pause before a forward that broke (a pod restarted, the connection dropped) is opened again. */
export const RESTART_DELAY_MS = 1000;

export interface ConnectDeps {
    /** Runs `pulumi <args>` and resolves with its stdout; rejects with an error carrying `code` and `stderr`. */
    runPulumi(args: readonly string[]): Promise<string>;
    /** Starts `kubectl <args>`; the default finds kubectl on env.PATH. */
    spawnKubectl(args: readonly string[]): ChildProcess;
    stdout(text: string): void;
    stderr(text: string): void;
    /** Resolves when the user wants to stop (Ctrl+C or SIGTERM by default). */
    stopRequested(): Promise<void>;
    /** Directory for the temporary kubeconfig. */
    tmpdir: string;
    /** Pause before a broken forward is reopened. */
    restartDelayMs: number;
}

export interface ConnectArgs {
    stack?: string;
    help: boolean;
}

export function parseArgs(argv: readonly string[]): ConnectArgs {
    const args: ConnectArgs = { help: false };
    for (let i = 0; i < argv.length; i++) {
        const arg = argv[i];
        if (arg === "--help" || arg === "-h") args.help = true;
        else if (arg.startsWith("--stack=")) args.stack = arg.slice("--stack=".length);
        else if (arg === "--stack" || arg === "-s") {
            const v = argv[++i];
            if (v === undefined || v === "" || v.startsWith("-")) throw new CliError(`--stack needs a value\n${USAGE}`, 2);
            args.stack = v;
        } else throw new CliError(`unknown argument "${arg}"\n${USAGE}`, 2);
    }
    if (args.stack === "") throw new CliError(`--stack needs a value\n${USAGE}`, 2);
    return args;
}

/** The kubectl command line of one forward. */
export function kubectlArgs(kubeconfig: string, target: ForwardTarget): string[] {
    return ["--kubeconfig", kubeconfig, "port-forward", "--namespace", target.namespace, target.resource, `${target.localPort}:${target.remotePort}`];
}

/** The lines printed once every forward is up. */
export function urlList(stack: string, targets: readonly ForwardTarget[]): string {
    const width = Math.max(...targets.map((t) => t.name.length));
    const lines = targets.map((t) => `  ${t.name.padEnd(width)}  ${t.url}`);
    return `MCP servers of stack "${stack}", forwarded through the Kubernetes API server:\n${lines.join("\n")}\nPress Ctrl+C to stop.\n`;
}

/** The stack's forward targets and its kubeconfig. */
export async function readStack(deps: ConnectDeps, requested: string | undefined): Promise<{ stack: string; targets: ForwardTarget[]; kubeconfig: string }> {
    const { stack, servers, edge } = await readStackServers(deps, requested);
    if (edge && edge.exposure !== "private") {
        throw new CliError(`stack "${stack}" serves its MCP servers on a public edge (${edge.baseUrl}/mcp/<server>): nothing to forward; \`npm run client-config -- --stack ${stack}\` writes the URLs`);
    }
    // The one secret output: read on its own, so no other secret is ever decrypted here.
    let kubeconfig: string;
    try {
        kubeconfig = await deps.runPulumi(["stack", "output", "kubeconfig", "--show-secrets", "--stack", stack]);
    } catch (err) {
        throw describePulumiFailure(err, stack);
    }
    if (kubeconfig.trim() === "") throw new CliError(`stack "${stack}" has no kubeconfig output; run \`pulumi up --stack ${stack}\` first`);
    return { stack, targets: forwardTargets(servers, edge), kubeconfig };
}

/** Runs the forwards until stopped; rejects when one cannot start at all. */
function runForwards(deps: ConnectDeps, stack: string, kubeconfig: string, targets: readonly ForwardTarget[]): Promise<void> {
    // Servers behind the edge share its one forward; each server still gets its line in the URL list.
    const forwards = distinctForwards(targets);
    return new Promise((resolve, reject) => {
        const children = new Map<string, ChildProcess>();
        const ready = new Set<string>();
        let stopping = false;
        let announced = false;

        const stopAll = () => {
            stopping = true;
            for (const child of children.values()) child.kill("SIGTERM");
        };
        const fail = (error: CliError) => {
            if (stopping) return;
            stopAll();
            reject(error);
        };

        const start = (target: ForwardTarget, failedStarts: number) => {
            let becameReady = false;
            let stderr = "";
            const child = deps.spawnKubectl(kubectlArgs(kubeconfig, target));
            children.set(target.name, child);
            child.stdout?.on("data", (chunk: Buffer) => {
                if (!becameReady && /Forwarding from/.test(String(chunk))) {
                    becameReady = true;
                    ready.add(target.name);
                    if (!announced && ready.size === forwards.length) {
                        announced = true;
                        deps.stdout(urlList(stack, targets));
                    }
                }
            });
            child.stderr?.on("data", (chunk: Buffer) => void (stderr = (stderr + String(chunk)).slice(-2000)));
            child.on("error", (err: NodeJS.ErrnoException) => {
                if (err.code === "ENOENT") fail(new CliError("kubectl was not found on PATH; install it with `az aks install-cli` (which also installs kubelogin) and run again"));
                else fail(new CliError(`kubectl for ${target.name} failed to start: ${err.message}`));
            });
            child.on("exit", (code) => {
                children.delete(target.name);
                ready.delete(target.name);
                if (stopping) {
                    if (children.size === 0) resolve();
                    return;
                }
                const detail = stderr.trim().split("\n").slice(-3).join(" | ") || `exit code ${code}`;
                const failures = becameReady ? 0 : failedStarts + 1;
                if (failures >= MAX_FAILED_STARTS) {
                    fail(new CliError(`the forward to ${target.name} (${target.resource} in ${target.namespace}) failed ${failures} times: ${detail}`));
                    return;
                }
                deps.stderr(`connect: the forward to ${target.name} stopped (${detail}); reopening\n`);
                setTimeout(() => {
                    if (!stopping) start(target, failures);
                }, deps.restartDelayMs);
            });
        };

        for (const target of forwards) start(target, 0);
        deps.stopRequested().then(() => {
            if (stopping) return;
            stopAll();
            if (children.size === 0) resolve();
        });
    });
}

async function run(argv: readonly string[], deps: ConnectDeps): Promise<void> {
    const args = parseArgs(argv);
    if (args.help) {
        deps.stdout(`${USAGE}\n`);
        return;
    }
    const { stack, targets, kubeconfig } = await readStack(deps, args.stack);
    // kubectl reads the kubeconfig from a file; a private directory, removed on the way out.
    const dir = fs.mkdtempSync(path.join(deps.tmpdir, "mcp-aks-connect-"));
    const file = path.join(dir, "kubeconfig");
    try {
        fs.writeFileSync(file, kubeconfig, { mode: 0o600 });
        await runForwards(deps, stack, file, targets);
    } finally {
        fs.rmSync(dir, { recursive: true, force: true });
    }
}

/** Runs the command and returns the exit code; every expected failure becomes a message on stderr. */
export async function main(argv: readonly string[], overrides: Partial<ConnectDeps> = {}): Promise<number> {
    const deps: ConnectDeps = { ...defaultDeps(), ...overrides };
    return runCommand("connect", () => run(argv, deps), deps.stderr);
}

export function defaultDeps(): ConnectDeps {
    return {
        runPulumi: runPulumiCli,
        spawnKubectl: (args) => spawn("kubectl", [...args], { stdio: ["ignore", "pipe", "pipe"] }),
        stdout: (text) => void process.stdout.write(text),
        stderr: (text) => void process.stderr.write(text),
        stopRequested: () => new Promise((resolve) => {
            process.once("SIGINT", () => resolve());
            process.once("SIGTERM", () => resolve());
        }),
        tmpdir: os.tmpdir(),
        restartDelayMs: RESTART_DELAY_MS,
    };
}

if (require.main === module) {
    main(process.argv.slice(2)).then((code) => {
        process.exitCode = code;
    });
}
