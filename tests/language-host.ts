/**
 * Runs the program the way `pulumi preview` / `pulumi up` do: through the SDK's language-host entry point
 * (`node node_modules/@pulumi/pulumi/cmd/run/index.js`), against a minimal fake engine and resource monitor
 * over gRPC (the SDK's own proto stubs), and returns what the user would see: the engine's log messages
 * and the exit status. The config reaches the program exactly as the CLI hands it over (PULUMI_CONFIG and
 * PULUMI_CONFIG_SECRET_KEYS); rawConfigOf (pulumi-cli.ts) makes that map from a stack file. The fake monitor
 * registers resources but answers no invokes, so it suits runs that stop at the config, which take a couple
 * of seconds (the program validates before it loads the resource modules).
 */
import { spawn } from "child_process";
import * as path from "path";
import * as grpc from "@grpc/grpc-js";
import { PROJECT } from "../components/config";
import { REPO_ROOT } from "./harness";

// The SDK's generated stubs (JavaScript, no typings we rely on).
/* eslint-disable @typescript-eslint/no-require-imports */
const engineGrpc = require("@pulumi/pulumi/proto/engine_grpc_pb");
const engineProto = require("@pulumi/pulumi/proto/engine_pb");
const resourceGrpc = require("@pulumi/pulumi/proto/resource_grpc_pb");
const resourceProto = require("@pulumi/pulumi/proto/resource_pb");
const emptyProto = require("google-protobuf/google/protobuf/empty_pb");
const structProto = require("google-protobuf/google/protobuf/struct_pb");
/* eslint-enable @typescript-eslint/no-require-imports */

export interface EngineLog {
    readonly severity: "debug" | "info" | "warning" | "error";
    readonly message: string;
    readonly urn: string;
}

export interface LanguageHostRun {
    readonly exitCode: number | null;
    readonly logs: EngineLog[];
    /** The error-severity messages, as `pulumi up` lists them under Diagnostics. */
    readonly errors: string[];
    readonly stdout: string;
    readonly stderr: string;
    /** Types of the resources the program registered. */
    readonly registered: string[];
}

export interface LanguageHostOptions {
    readonly stack: string;
    /** The raw config map (`mcp-aks:key` to string), as the CLI passes it. */
    readonly config: Record<string, string>;
    readonly secretKeys?: readonly string[];
    readonly preview?: boolean;
    /** Kill the program after this long (ms). */
    readonly timeoutMs?: number;
}

const SEVERITY = ["debug", "info", "warning", "error"] as const;

/** Starts the fake engine and monitor, runs the program once, and stops them. */
export async function runThroughLanguageHost(options: LanguageHostOptions): Promise<LanguageHostRun> {
    const logs: EngineLog[] = [];
    const registered: string[] = [];
    let root = "";
    const server = new grpc.Server();
    server.addService(engineGrpc.EngineService, {
        log(call: any, cb: any) {
            const req = call.request;
            logs.push({ severity: SEVERITY[req.getSeverity()] ?? "info", message: req.getMessage(), urn: req.getUrn() });
            cb(null, new emptyProto.Empty());
        },
        getRootResource(_call: any, cb: any) {
            const resp = new engineProto.GetRootResourceResponse();
            resp.setUrn(root);
            cb(null, resp);
        },
        setRootResource(call: any, cb: any) {
            root = call.request.getUrn();
            cb(null, new engineProto.SetRootResourceResponse());
        },
    });
    server.addService(resourceGrpc.ResourceMonitorService, {
        supportsFeature(_call: any, cb: any) {
            const resp = new resourceProto.SupportsFeatureResponse();
            resp.setHassupport(false);
            cb(null, resp);
        },
        registerResource(call: any, cb: any) {
            const req = call.request;
            registered.push(req.getType());
            const resp = new resourceProto.RegisterResourceResponse();
            resp.setUrn(`urn:pulumi:${options.stack}::${PROJECT}::${req.getType()}::${req.getName()}`);
            resp.setId(options.preview ? "" : `${req.getName()}-id`);
            resp.setObject(new structProto.Struct());
            cb(null, resp);
        },
        registerResourceOutputs(_call: any, cb: any) {
            cb(null, new emptyProto.Empty());
        },
        invoke(_call: any, cb: any) {
            cb({ code: grpc.status.UNIMPLEMENTED, details: "the fake monitor answers no invokes" });
        },
    });
    const port = await new Promise<number>((resolve, reject) =>
        server.bindAsync("127.0.0.1:0", grpc.ServerCredentials.createInsecure(), (err, p) => (err ? reject(err) : resolve(p))),
    );
    try {
        const entry = path.join(REPO_ROOT, "node_modules", "@pulumi", "pulumi", "cmd", "run", "index.js");
        const args = [entry, `--monitor=127.0.0.1:${port}`, `--engine=127.0.0.1:${port}`, `--project=${PROJECT}`, `--stack=${options.stack}`, `--pwd=${REPO_ROOT}`];
        if (options.preview ?? true) args.push("--dry-run");
        args.push(".");
        const child = spawn(process.execPath, args, {
            cwd: REPO_ROOT,
            env: {
                ...process.env,
                PULUMI_CONFIG: JSON.stringify(options.config),
                PULUMI_CONFIG_SECRET_KEYS: JSON.stringify(options.secretKeys ?? []),
                // What Pulumi.yaml's `runtime.options.typescript: true` makes the CLI set.
                PULUMI_NODEJS_TYPESCRIPT: "true",
                // Type checking is `npm test`'s job; skipping it keeps a run at a couple of seconds.
                PULUMI_NODEJS_TRANSPILE_ONLY: "true",
            },
            stdio: ["ignore", "pipe", "pipe"],
        });
        let stdout = "";
        let stderr = "";
        child.stdout.on("data", (d) => (stdout += d));
        child.stderr.on("data", (d) => (stderr += d));
        const timer = setTimeout(() => child.kill("SIGKILL"), options.timeoutMs ?? 30000);
        const exitCode = await new Promise<number | null>((resolve) => child.on("close", (code) => resolve(code)));
        clearTimeout(timer);
        return { exitCode, logs, errors: logs.filter((l) => l.severity === "error").map((l) => l.message), stdout, stderr, registered };
    } finally {
        server.forceShutdown();
    }
}
