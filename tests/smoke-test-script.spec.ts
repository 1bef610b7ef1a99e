/**
 * The smoke-test script, run for real with `sh` (dash here, busybox ash in the Job's image: POSIX only)
 * against a local stand-in MCP server that speaks Streamable HTTP correctly, and against stand-ins that
 * break each step. Asserts the exit status and the exact step each message names.
 */
import { strict as assert } from "assert";
import { smokeTargetsEnv } from "../components/cluster/specs/smoke-test";
import { Fault, Run, SESSION, Seen, runScript, standIn } from "./smoke-standins";

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
