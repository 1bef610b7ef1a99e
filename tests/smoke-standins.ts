/**
 * Local stand-ins the smoke-test script runs against, and the runner that starts the script with `sh`:
 * an MCP server that speaks Streamable HTTP (or breaks one step), and the edge (agentgateway's answers to a
 * client that has not signed in, or one of the ways an edge gets them wrong), over HTTP or HTTPS.
 */
import { spawn } from "child_process";
import * as fs from "fs";
import * as http from "http";
import * as https from "https";
import { AddressInfo } from "net";
import * as os from "os";
import * as path from "path";

export const SCRIPT = path.resolve(__dirname, "..", "components", "cluster", "specs", "smoke-test.sh");
export const SESSION = "3b7a5c1e-session";

export type Fault =
    | "none"
    | "sse"
    | "stateless"
    | "health-503"
    | "initialize-500"
    | "initialize-rpc-error"
    | "initialize-no-version"
    | "initialized-400"
    | "tools-rpc-error"
    | "tools-empty";

export interface Seen {
    method: string;
    url: string;
    headers: http.IncomingHttpHeaders;
    body: any;
}

/** A stand-in MCP server: correct by default; `fault` breaks one step. It records every request. */
export function standIn(fault: Fault) {
    const seen: Seen[] = [];
    const server = http.createServer((req, res) => {
        let raw = "";
        req.on("data", (c) => (raw += c));
        req.on("end", () => {
            const body = raw ? JSON.parse(raw) : undefined;
            seen.push({ method: req.method ?? "", url: req.url ?? "", headers: req.headers, body });
            const reply = (status: number, payload?: object, headers: Record<string, string> = {}) => {
                if (payload && fault === "sse") {
                    res.writeHead(status, { "Content-Type": "text/event-stream", ...headers });
                    res.end(`event: message\r\ndata: ${JSON.stringify(payload)}\r\n\r\n`);
                    return;
                }
                res.writeHead(status, { "Content-Type": "application/json", ...headers });
                res.end(payload ? JSON.stringify(payload) : "");
            };
            if (req.url === "/health") return fault === "health-503" ? reply(503, { status: "starting" }) : reply(200, { status: "ok" });
            if (req.url !== "/mcp") return reply(404, { error: "not found" });
            if (req.method === "DELETE") return reply(200);
            // What a real Streamable HTTP server insists on.
            if (!String(req.headers.accept).includes("application/json") || !String(req.headers.accept).includes("text/event-stream")) return reply(406, { error: "Not Acceptable" });
            const stateful = fault !== "stateless";
            if (body.method !== "initialize" && stateful && req.headers["mcp-session-id"] !== SESSION) {
                return reply(400, { jsonrpc: "2.0", id: null, error: { code: -32000, message: "Bad Request: No valid session ID provided" } });
            }
            switch (body.method) {
                case "initialize":
                    if (fault === "initialize-500") return reply(500, { error: "boom" });
                    if (fault === "initialize-rpc-error") return reply(200, { jsonrpc: "2.0", id: body.id, error: { code: -32602, message: "Unsupported protocol version" } });
                    return reply(
                        200,
                        { jsonrpc: "2.0", id: body.id, result: { ...(fault === "initialize-no-version" ? {} : { protocolVersion: "2025-03-26" }), capabilities: { tools: {} }, serverInfo: { name: "stand-in", version: "1" } } },
                        stateful ? { "mcp-session-id": SESSION } : {},
                    );
                case "notifications/initialized":
                    return fault === "initialized-400" ? reply(400, { error: "unexpected notification" }) : reply(202);
                case "tools/list":
                    if (fault === "tools-rpc-error") return reply(200, { jsonrpc: "2.0", id: body.id, error: { code: -32601, message: "Method not found" } });
                    return reply(200, {
                        jsonrpc: "2.0",
                        id: body.id,
                        result: {
                            tools:
                                fault === "tools-empty"
                                    ? []
                                    : [
                                          { name: "search", description: "vector search", inputSchema: { type: "object", properties: { query: { type: "string" } } } },
                                          { name: "secrets", description: "which secrets are mounted", inputSchema: { type: "object" } },
                                      ],
                        },
                    });
                default:
                    return reply(400, { jsonrpc: "2.0", id: body.id ?? null, error: { code: -32601, message: "Method not found" } });
            }
        });
    });
    return {
        seen,
        async start(): Promise<string> {
            await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
            return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
        },
        stop: () => new Promise<void>((r) => server.close(() => r())),
    };
}

export interface Run {
    code: number | null;
    stdout: string;
    stderr: string;
    terminationLog: string;
}

/** Runs the script with SMOKE_TARGETS and extra environment; fast failure settings unless overridden. */
export function runScript(targets: string, extraEnv: Record<string, string> = {}): Promise<Run> {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "smoke-"));
    const log = path.join(dir, "termination-log");
    return new Promise((resolve, reject) => {
        const child = spawn("sh", [SCRIPT], {
            env: { PATH: process.env.PATH, SMOKE_TARGETS: targets, SMOKE_TERMINATION_LOG: log, SMOKE_HEALTH_RETRIES: "0", SMOKE_TIMEOUT_SECONDS: "5", TMPDIR: dir, ...extraEnv },
        });
        let stdout = "";
        let stderr = "";
        child.stdout.on("data", (d) => (stdout += d));
        child.stderr.on("data", (d) => (stderr += d));
        child.on("error", reject);
        child.on("close", (code) => {
            const terminationLog = fs.existsSync(log) ? fs.readFileSync(log, "utf8") : "";
            fs.rmSync(dir, { recursive: true, force: true });
            resolve({ code, stdout, stderr, terminationLog });
        });
    });
}


export type EdgeFault =
    | "none"
    | "open"
    | "no-challenge"
    | "basic-challenge"
    | "root-metadata"
    | "any-token"
    | "metadata-404"
    | "metadata-other-resource"
    | "no-authorization-servers"
    | "starting";

/**
 * A stand-in for the edge: MCP routes `/mcp/<name>` that demand a token, and their protected-resource
 * metadata. Like agentgateway without a configured `resource`, it builds every URL from the request's Host
 * and scheme, so a caller that does not send the public name gets metadata for another resource.
 * `tls`: serve HTTPS with this key and certificate. "starting" answers 503 to the first two requests.
 */
export function edgeStandIn(fault: EdgeFault, tls?: { key: string; cert: string }) {
    const seen: Seen[] = [];
    let requests = 0;
    const handler = (req: http.IncomingMessage, res: http.ServerResponse) => {
        req.resume();
        req.on("end", () => {
            requests++;
            seen.push({ method: req.method ?? "", url: req.url ?? "", headers: req.headers, body: undefined });
            const json = (status: number, payload: object, headers: Record<string, string> = {}) => {
                res.writeHead(status, { "Content-Type": "application/json", ...headers });
                res.end(JSON.stringify(payload));
            };
            if (fault === "starting" && requests <= 2) return json(503, { error: "no healthy upstream" });
            const base = `${tls ? "https" : "http"}://${req.headers.host}`;
            const url = req.url ?? "";
            const metadataPrefix = "/.well-known/oauth-protected-resource";
            if (req.method === "GET" && url.startsWith(`${metadataPrefix}/mcp/`)) {
                if (fault === "metadata-404") return json(404, { error: "not found" });
                const resource = fault === "metadata-other-resource" ? `${base}/mcp` : `${base}${url.slice(metadataPrefix.length)}`;
                return json(200, {
                    resource,
                    ...(fault === "no-authorization-servers" ? {} : { authorization_servers: [resource] }),
                    scopes_supported: ["api://app/mcp.access"],
                    bearer_methods_supported: ["header"],
                });
            }
            if (req.method !== "POST" || !url.startsWith("/mcp/")) return json(404, { error: "not found" });
            const authorized = fault === "open" || (fault === "any-token" && /^Bearer /.test(String(req.headers.authorization ?? "")));
            if (authorized) return json(200, { jsonrpc: "2.0", id: 1, result: { protocolVersion: "2025-06-18", capabilities: {}, serverInfo: { name: "open", version: "1" } } });
            const metadata = fault === "root-metadata" ? `${base}${metadataPrefix}` : `${base}${metadataPrefix}${url}`;
            const challenge: Record<string, string> =
                fault === "no-challenge"
                    ? {}
                    : { "WWW-Authenticate": fault === "basic-challenge" ? 'Basic realm="mcp"' : `Bearer ${req.headers.authorization ? 'error="invalid_token", ' : ""}resource_metadata="${metadata}"` };
            return json(401, { error: "unauthorized" }, challenge);
        });
    };
    const server = tls ? https.createServer({ key: tls.key, cert: tls.cert }, handler) : http.createServer(handler);
    return {
        seen,
        /** Listens on a free loopback port and returns it. */
        async start(): Promise<number> {
            await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
            return (server.address() as AddressInfo).port;
        },
        stop: () => new Promise<void>((r) => server.close(() => r())),
    };
}
