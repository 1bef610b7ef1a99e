/**
 * The smoke-test script, run for real with `sh` (dash here, busybox ash in the Job's image: POSIX only)
 * against a local stand-in MCP server that speaks Streamable HTTP correctly, and against stand-ins that
 * break each step. Asserts the exit status and the exact step each message names.
 */
import { strict as assert } from "assert";
import { spawn } from "child_process";
import * as fs from "fs";
import * as http from "http";
import { AddressInfo } from "net";
import * as os from "os";
import * as path from "path";
import { smokeTargetsEnv } from "../components/cluster/specs/smoke-test";

const SCRIPT = path.resolve(__dirname, "..", "components", "cluster", "specs", "smoke-test.sh");
const SESSION = "3b7a5c1e-session";

type Fault =
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

interface Seen {
    method: string;
    url: string;
    headers: http.IncomingHttpHeaders;
    body: any;
}

/** A stand-in MCP server: correct by default; `fault` breaks one step. It records every request. */
function standIn(fault: Fault) {
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

interface Run {
    code: number | null;
    stdout: string;
    stderr: string;
    terminationLog: string;
}

function runScript(targets: string): Promise<Run> {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "smoke-"));
    const log = path.join(dir, "termination-log");
    return new Promise((resolve, reject) => {
        const child = spawn("sh", [SCRIPT], {
            env: { PATH: process.env.PATH, SMOKE_TARGETS: targets, SMOKE_TERMINATION_LOG: log, SMOKE_HEALTH_RETRIES: "0", SMOKE_TIMEOUT_SECONDS: "5", TMPDIR: dir },
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

async function against(fault: Fault): Promise<Run & { seen: Seen[]; base: string }> {
    const s = standIn(fault);
    const base = await s.start();
    try {
        const run = await runScript(smokeTargetsEnv([{ name: "mcp-server", healthUrl: `${base}/health`, mcpUrl: `${base}/mcp`, podSelector: {}, podPort: 3000 }]));
        return { ...run, seen: s.seen, base };
    } finally {
        await s.stop();
    }
}

describe("smoke-test.sh against a stand-in MCP server", function () {
    this.timeout(20000);

    it("passes a correct server, carrying the session id and protocol version after initialize", async () => {
        const r = await against("none");
        assert.equal(r.code, 0, r.stderr);
        assert.match(r.stdout, /ok {3}mcp-server initialize \(protocol 2025-03-26, session 3b7a5c1e-session\)/);
        assert.match(r.stdout, /ok {3}mcp-server tools\/list \(2 tools\)/);
        assert.match(r.stdout, /smoke test passed: 1 target\(s\)/);
        assert.equal(r.stderr, "");
        assert.deepEqual(
            r.seen.map((s) => `${s.method} ${s.url} ${s.body?.method ?? ""}`.trim()),
            ["GET /health", "POST /mcp initialize", "POST /mcp notifications/initialized", "POST /mcp tools/list", "DELETE /mcp"],
        );
        const [, init, initialized, tools] = r.seen;
        assert.equal(init.headers["mcp-session-id"], undefined);
        assert.equal(init.body.params.protocolVersion, "2025-06-18");
        assert.equal(initialized.body.id, undefined, "a notification has no id");
        for (const req of [initialized, tools]) {
            assert.equal(req.headers["mcp-session-id"], SESSION);
            assert.equal(req.headers["mcp-protocol-version"], "2025-03-26", "the negotiated version, not the requested one");
            assert.equal(req.headers["content-type"], "application/json");
        }
    });

    it("reads answers sent as an SSE stream", async () => {
        const r = await against("sse");
        assert.equal(r.code, 0, r.stderr);
        assert.match(r.stdout, /tools\/list \(2 tools\)/);
    });

    it("works with a stateless server that sends no session id", async () => {
        const r = await against("stateless");
        assert.equal(r.code, 0, r.stderr);
        assert.match(r.stdout, /session none/);
        assert.ok(!r.seen.some((s) => s.method === "DELETE"), "no session to end");
    });

    const failures: Array<[Fault, RegExp]> = [
        ["health-503", /^smoke test FAILED for mcp-server at GET http:\/\/127\.0\.0\.1:\d+\/health: HTTP 503 \(expected 2xx\): \{"status":"starting"\}$/m],
        ["initialize-500", /^smoke test FAILED for mcp-server at initialize \(POST http:\/\/127\.0\.0\.1:\d+\/mcp\): HTTP 500 \(expected 200\): \{"error":"boom"\}$/m],
        ["initialize-rpc-error", /^smoke test FAILED for mcp-server at initialize \(POST .*\/mcp\): JSON-RPC error: Unsupported protocol version$/m],
        ["initialize-no-version", /^smoke test FAILED for mcp-server at initialize \(POST .*\/mcp\): the result has no protocolVersion: /m],
        ["initialized-400", /^smoke test FAILED for mcp-server at notifications\/initialized: HTTP 400 \(expected 202\): \{"error":"unexpected notification"\}$/m],
        ["tools-rpc-error", /^smoke test FAILED for mcp-server at tools\/list: JSON-RPC error: Method not found$/m],
        ["tools-empty", /^smoke test FAILED for mcp-server at tools\/list: 0 tools listed \(expected at least 1\)$/m],
    ];
    for (const [fault, message] of failures) {
        it(`fails with the step named when ${fault}`, async () => {
            const r = await against(fault);
            assert.equal(r.code, 1, r.stdout);
            assert.match(r.stderr, message);
            assert.match(r.terminationLog, message, "the verdict reaches the pod's termination message");
            assert.doesNotMatch(r.stdout, /smoke test passed/);
        });
    }

    it("fails when nothing listens, with curl's reason", async () => {
        const s = standIn("none");
        const base = await s.start();
        await s.stop();
        const r = await runScript(`mcp-server ${base}/health ${base}/mcp`);
        assert.equal(r.code, 1);
        assert.match(r.stderr, /^smoke test FAILED for mcp-server at GET http:\/\/127\.0\.0\.1:\d+\/health: no response: curl: \(7\) /m);
    });

    it("tests every target and reports each failure, not just the first", async () => {
        const good = standIn("none");
        const bad = standIn("tools-empty");
        const [g, b] = [await good.start(), await bad.start()];
        try {
            const r = await runScript(`good ${g}/health ${g}/mcp\nbad ${b}/health ${b}/mcp\nworse ${b}/health`);
            assert.equal(r.code, 1);
            assert.match(r.stdout, /ok {3}good tools\/list/);
            assert.match(r.stderr, /FAILED for bad at tools\/list/);
            assert.match(r.stderr, /FAILED for worse at SMOKE_TARGETS: expected "<name> <health-url> <mcp-url>"/);
        } finally {
            await good.stop();
            await bad.stop();
        }
    });

    it("refuses an empty target list", async () => {
        const r = await runScript("");
        assert.equal(r.code, 1);
        assert.match(r.stderr, /SMOKE_TARGETS is empty/);
    });
});
