import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { startServer, type RunningServer } from "../src/app";
import { startQdrantStub, type QdrantStub } from "./qdrant-stub";
import { SECRETS, assertNoSecrets, secretsMount, sseClient, streamableClient, testConfig, textOf } from "./helpers";

const ENV = { QDRANT_API_KEY: SECRETS.QDRANT_API_KEY, ANTHROPIC_API_KEY: SECRETS.ANTHROPIC_API_KEY };

describe("reference MCP server", () => {
    let qdrant: QdrantStub;
    let server: RunningServer;
    let mount: ReturnType<typeof secretsMount>;
    const logs: string[] = [];
    const outputs: string[] = [];

    before(async () => {
        qdrant = await startQdrantStub(SECRETS.QDRANT_API_KEY);
        mount = secretsMount();
        server = await startServer(testConfig(qdrant.url, mount.dir), { env: ENV, writeLog: (l) => logs.push(l) });
    });
    after(async () => {
        await server.shutdown("test end");
        await qdrant.close();
        mount.cleanup();
        // Every log line and every tool result of this suite, checked once everything has run.
        assertNoSecrets(logs.join("\n"), "the logs");
        assertNoSecrets(outputs.join("\n"), "tool output");
    });

    it("serves liveness and readiness (Qdrant reachable with the key)", async () => {
        const health = await fetch(server.url + "/health");
        assert.equal(health.status, 200);
        const ready = await fetch(server.url + "/ready");
        assert.equal(ready.status, 200, await ready.clone().text());
        assert.deepEqual(await ready.json(), { status: "ready", qdrant: "ok" });
        assert.equal(qdrant.requests.at(-1)?.apiKey, SECRETS.QDRANT_API_KEY);
    });

    it("speaks Streamable HTTP: initialize, tools/list, tools/call", async () => {
        const { client } = await streamableClient(server.url);
        try {
            assert.equal(client.getServerVersion()?.name, "mcp-aks-reference");
            const tools = (await client.listTools()).tools.map((t) => t.name).sort();
            assert.deepEqual(tools, ["qdrant_list_collections", "qdrant_search", "secrets_status", "server_info"]);

            const listed = await client.callTool({ name: "qdrant_list_collections", arguments: {} });
            outputs.push(textOf(listed));
            assert.notEqual(listed.isError, true);
            assert.deepEqual(JSON.parse(textOf(listed)), { collections: ["crypto_docs", "notes"] });

            const found = await client.callTool({ name: "qdrant_search", arguments: { vector: [0.1, 0.2, 0.3], limit: 1 } });
            outputs.push(textOf(found));
            const body = JSON.parse(textOf(found));
            assert.equal(body.collection, "crypto_docs");
            assert.deepEqual(body.hits.map((h: { id: unknown }) => h.id), [7]);
            const req = qdrant.requests.at(-1)!;
            assert.equal(req.path, "/collections/crypto_docs/points/search");
            assert.equal(req.apiKey, SECRETS.QDRANT_API_KEY);
            assert.deepEqual(req.body, { vector: [0.1, 0.2, 0.3], limit: 1, with_payload: true });

            const missing = await client.callTool({ name: "qdrant_search", arguments: { vector: [1], collection: "nope" } });
            outputs.push(textOf(missing));
            assert.equal(missing.isError, true);
            assert.match(textOf(missing), /HTTP 404: Collection `nope` doesn't exist/);
        } finally {
            await client.close();
        }
    });

    it("reports configured secrets by name and source, never by value", async () => {
        const { client } = await streamableClient(server.url);
        try {
            const result = await client.callTool({ name: "secrets_status", arguments: {} });
            const text = textOf(result);
            outputs.push(text);
            assert.deepEqual(JSON.parse(text), {
                mountPath: mount.dir,
                secrets: [
                    { name: "OPENAI_API_KEY", source: "file" },
                    { name: "ANTHROPIC_API_KEY", source: "env" },
                    { name: "TAVILY_API_KEY", source: "missing" },
                ],
                qdrantApiKey: "env",
                unexpectedFiles: ["LEGACY_TOKEN"],
            });
        } finally {
            await client.close();
        }
    });

    it("speaks the older HTTP+SSE transport at /mcp/events", async () => {
        const { client } = await sseClient(server.url);
        try {
            assert.equal(server.sessions().sse, 1);
            const tools = (await client.listTools()).tools.map((t) => t.name);
            assert.ok(tools.includes("qdrant_search"));
            const listed = await client.callTool({ name: "qdrant_list_collections", arguments: {} });
            outputs.push(textOf(listed));
            assert.deepEqual(JSON.parse(textOf(listed)), { collections: ["crypto_docs", "notes"] });
        } finally {
            await client.close();
        }
        // The server notices the closed stream and forgets the session.
        for (let i = 0; i < 50 && server.sessions().sse > 0; i++) await new Promise((r) => setTimeout(r, 10));
        assert.equal(server.sessions().sse, 0);
    });

    it("forgets a Streamable HTTP session on DELETE and answers 404 for it afterwards", async () => {
        const { client, transport } = await streamableClient(server.url);
        const id = transport.sessionId!;
        assert.equal(server.sessions().streamable >= 1, true);
        await transport.terminateSession();
        await client.close();
        const res = await fetch(server.url + "/mcp", {
            method: "POST",
            headers: { "content-type": "application/json", accept: "application/json, text/event-stream", "mcp-session-id": id },
            body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "tools/list" }),
        });
        assert.equal(res.status, 404);
    });

    it("rejects a non-initialize request without a session", async () => {
        const res = await fetch(server.url + "/mcp", {
            method: "POST",
            headers: { "content-type": "application/json", accept: "application/json, text/event-stream" },
            body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "tools/list" }),
        });
        assert.equal(res.status, 400);
    });

    it("scrubs a secret that an upstream error echoes back, in tool output and logs", async () => {
        qdrant.failWith = `bad request with api-key ${SECRETS.QDRANT_API_KEY}`;
        const { client } = await streamableClient(server.url);
        try {
            const result = await client.callTool({ name: "qdrant_list_collections", arguments: {} });
            const text = textOf(result);
            outputs.push(text);
            assert.equal(result.isError, true);
            assert.match(text, /HTTP 500: bad request with api-key \[redacted\]/);
            assert.ok(logs.some((l) => l.includes('"tool failed"') && l.includes("api-key [redacted]")), "the failure is logged, scrubbed");
        } finally {
            qdrant.failWith = undefined;
            await client.close();
        }
    });
});

describe("idle sessions", () => {
    it("closes a Streamable HTTP session that sends nothing for MCP_SESSION_IDLE_MS, and keeps a busy one", async () => {
        const qdrant = await startQdrantStub(SECRETS.QDRANT_API_KEY);
        const mount = secretsMount();
        const server = await startServer(testConfig(qdrant.url, mount.dir, { sessionIdleMs: 300 }), { env: ENV, writeLog: () => undefined });
        const idle = await streamableClient(server.url);
        const busy = await streamableClient(server.url);
        try {
            assert.equal(server.sessions().streamable, 2);
            for (let i = 0; i < 8; i++) {
                await busy.client.callTool({ name: "server_info", arguments: {} });
                await new Promise((r) => setTimeout(r, 100));
            }
            assert.equal(server.sessions().streamable, 1, "only the idle session was closed");
            const res = await fetch(server.url + "/mcp", {
                method: "POST",
                headers: { "content-type": "application/json", accept: "application/json, text/event-stream", "mcp-session-id": idle.transport.sessionId! },
                body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "tools/list" }),
            });
            assert.equal(res.status, 404, "the client is told to initialize again");
        } finally {
            await Promise.allSettled([idle.client.close(), busy.client.close()]);
            await server.shutdown("test");
            await qdrant.close();
            mount.cleanup();
        }
    });
});

describe("readiness", () => {
    it("fails with a wrong API key, naming the cause", async () => {
        const qdrant = await startQdrantStub("the-right-key-0123456789");
        const mount = secretsMount();
        const server = await startServer(testConfig(qdrant.url, mount.dir), { env: { QDRANT_API_KEY: "a-wrong-key-9876543210" }, writeLog: () => undefined });
        try {
            const res = await fetch(server.url + "/ready");
            assert.equal(res.status, 503);
            const body = (await res.json()) as { qdrant: string };
            assert.match(body.qdrant, /rejected the API key \(HTTP 401\)/);
            assert.ok(!body.qdrant.includes("a-wrong-key-9876543210"));
            assert.equal((await fetch(server.url + "/health")).status, 200, "liveness does not depend on Qdrant");
        } finally {
            await server.shutdown("test");
            await qdrant.close();
            mount.cleanup();
        }
    });

    it("fails when Qdrant is unreachable", async () => {
        const qdrant = await startQdrantStub(SECRETS.QDRANT_API_KEY);
        const deadUrl = qdrant.url;
        await qdrant.close();
        const mount = secretsMount();
        const server = await startServer(testConfig(deadUrl, mount.dir), { env: { QDRANT_API_KEY: SECRETS.QDRANT_API_KEY }, writeLog: () => undefined });
        try {
            const res = await fetch(server.url + "/ready");
            assert.equal(res.status, 503);
            assert.match(((await res.json()) as { qdrant: string }).qdrant, /unreachable \(ECONNREFUSED\)/);
        } finally {
            await server.shutdown("test");
            mount.cleanup();
        }
    });
});
