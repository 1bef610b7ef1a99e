import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { once } from "node:events";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { describe, it } from "node:test";
import { startServer } from "../src/app";
import { startQdrantStub } from "./qdrant-stub";
import { SECRETS, assertNoSecrets, secretsMount, sseClient, streamableClient, testConfig, textOf } from "./helpers";

const ENV = { QDRANT_API_KEY: SECRETS.QDRANT_API_KEY };

/**
 * A raw legacy SSE stream, read to its end: "clean" when the server ended the response properly, "cut"
 * when the connection was torn down mid-stream. (The SDK's SSE client just reconnects, so it cannot tell.)
 */
async function openSseStream(baseUrl: string): Promise<{ ended: Promise<"clean" | "cut"> }> {
    const res = await fetch(baseUrl + "/mcp/events", { headers: { accept: "text/event-stream" } });
    assert.equal(res.status, 200);
    // Wrapped: an async function returning the promise itself would wait for the stream to end.
    const ended = res.body!.pipeTo(new WritableStream()).then(
        () => "clean" as const,
        () => "cut" as const,
    );
    return { ended };
}

describe("graceful shutdown", () => {
    it("lets an in-flight tool call finish, then ends open streams and stops listening", async () => {
        const qdrant = await startQdrantStub(SECRETS.QDRANT_API_KEY);
        const mount = secretsMount();
        const logs: string[] = [];
        const server = await startServer(testConfig(qdrant.url, mount.dir), { env: ENV, writeLog: (l) => logs.push(l) });
        const clients: Array<{ close(): Promise<void> }> = [];
        try {
            const legacy = await sseClient(server.url);
            const modern = await streamableClient(server.url);
            clients.push(legacy.client, modern.client);
            // After initialize the client keeps a standalone GET stream open for server-initiated messages;
            // a second one for the same session is refused with 409, which shows the first is open.
            const second = await fetch(server.url + "/mcp", {
                headers: { accept: "text/event-stream", "mcp-session-id": modern.transport.sessionId!, "mcp-protocol-version": "2025-06-18" },
            });
            assert.equal(second.status, 409);
            await second.body?.cancel();

            qdrant.searchDelayMs = 300;
            const raw = await openSseStream(server.url);
            assert.deepEqual(server.sessions(), { streamable: 1, sse: 2 });
            const call = modern.client.callTool({ name: "qdrant_search", arguments: { vector: [1, 2] } });
            await new Promise((r) => setTimeout(r, 50)); // the call is now waiting on Qdrant
            const t0 = Date.now();
            const done = server.shutdown("SIGTERM");

            // New sessions are refused at once while the drain runs.
            const late = await fetch(server.url + "/ready").catch(() => undefined);
            assert.ok(late === undefined || late.status === 503, "readiness fails (or the listener is gone) during the drain");
            const result = await call;
            assert.notEqual(result.isError, true, textOf(result));
            assert.equal(JSON.parse(textOf(result)).hits.length, 2, "the in-flight call completed with its result");
            await done;
            assert.ok(Date.now() - t0 < 3000, "drained well within the timeout");
            assert.equal(await raw.ended, "clean");
            assert.deepEqual(server.sessions(), { streamable: 0, sse: 0 });
            await assert.rejects(fetch(server.url + "/health"), "the listener is closed");
            const complete = logs.map((l) => JSON.parse(l)).find((l) => l.msg === "shutdown complete");
            assert.equal(complete?.drained, true);
            // Every connection, the standalone stream included, ended without being cut.
            assert.equal(complete?.forced, false);
        } finally {
            await Promise.allSettled(clients.map((c) => c.close()));
            await server.shutdown("test");
            await qdrant.close();
            mount.cleanup();
        }
    });

    it("cuts work that outlives the drain timeout instead of hanging", async () => {
        const qdrant = await startQdrantStub(SECRETS.QDRANT_API_KEY);
        const mount = secretsMount();
        const server = await startServer(testConfig(qdrant.url, mount.dir, { shutdownTimeoutMs: 200, qdrantTimeoutMs: 10000 }), { env: ENV, writeLog: () => undefined });
        try {
            const { client } = await streamableClient(server.url);
            qdrant.searchDelayMs = 5000;
            // The client's own request timeout bounds the wait for an answer that will never come.
            const call = client.callTool({ name: "qdrant_search", arguments: { vector: [1] } }, undefined, { timeout: 500 }).then(
                () => "answered",
                () => "failed",
            );
            await new Promise((r) => setTimeout(r, 50));
            const t0 = Date.now();
            await server.shutdown("SIGTERM");
            assert.ok(Date.now() - t0 < 1500, `shutdown took ${Date.now() - t0} ms`);
            assert.equal(await call, "failed", "the cut call fails on the client");
            await client.close();
        } finally {
            qdrant.searchDelayMs = 0;
            await qdrant.close();
            mount.cleanup();
        }
    });

    it("the real process drains on SIGTERM and exits 0, logging no secret", async () => {
        const qdrant = await startQdrantStub(SECRETS.QDRANT_API_KEY);
        const mount = secretsMount();
        const child = spawn(process.execPath, [join(__dirname, "..", "src", "index.js")], {
            env: {
                PATH: process.env.PATH,
                MCP_PORT: "0",
                MCP_HOST: "127.0.0.1",
                QDRANT_URL: qdrant.url,
                QDRANT_API_KEY: SECRETS.QDRANT_API_KEY,
                ANTHROPIC_API_KEY: SECRETS.ANTHROPIC_API_KEY,
                MCP_SECRETS_DIR: mount.dir,
                MCP_API_KEYS: "OPENAI_API_KEY,ANTHROPIC_API_KEY",
            },
            stdio: ["ignore", "pipe", "pipe"],
        });
        const out: string[] = [];
        let stderr = "";
        child.stderr.on("data", (d) => (stderr += d));
        try {
            const lines = createInterface({ input: child.stdout });
            const listening = new Promise<number>((resolve) =>
                lines.on("line", (l) => {
                    out.push(l);
                    const entry = JSON.parse(l);
                    if (entry.msg === "listening") resolve(entry.port);
                }),
            );
            const url = `http://127.0.0.1:${await listening}`;
            assert.equal((await fetch(url + "/ready")).status, 200);
            const { client } = await sseClient(url);
            const status = await client.callTool({ name: "secrets_status", arguments: {} });
            assertNoSecrets(textOf(status), "tool output");
            await client.close();
            const stream = await openSseStream(url);

            child.kill("SIGTERM");
            const [code] = await once(child, "exit");
            assert.equal(code, 0, stderr);
            assert.equal(await stream.ended, "clean");
            const all = out.join("\n") + stderr;
            assert.match(all, /"msg":"shutdown complete","reason":"SIGTERM"/);
            assertNoSecrets(all, "the process output");
        } finally {
            if (child.exitCode === null) child.kill("SIGKILL");
            await qdrant.close();
            mount.cleanup();
        }
    });
});
