/**
 * A stand-in for Qdrant's REST API on loopback (tests only): enforces the `api-key` header like Qdrant
 * does once a key is set, and records what it was asked.
 */
import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";

export interface StubRequest {
    readonly method: string;
    readonly path: string;
    readonly apiKey: string | undefined;
    readonly body: unknown;
}

export interface QdrantStub {
    readonly url: string;
    readonly requests: StubRequest[];
    /** Delay before answering a search, to hold a tool call in flight. */
    searchDelayMs: number;
    /** When set, every API call fails with HTTP 500 and this error text (Qdrant's error body shape). */
    failWith: string | undefined;
    close(): Promise<void>;
}

async function readBody(req: IncomingMessage): Promise<unknown> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const text = Buffer.concat(chunks).toString("utf8");
    return text ? JSON.parse(text) : undefined;
}

export async function startQdrantStub(apiKey: string, collections: string[] = ["crypto_docs", "notes"]): Promise<QdrantStub> {
    const stub: QdrantStub = {
        url: "",
        requests: [],
        searchDelayMs: 0,
        failWith: undefined,
        close: async () => undefined,
    };
    const server: Server = createServer(async (req, res) => {
        const body = await readBody(req);
        const key = req.headers["api-key"];
        stub.requests.push({ method: req.method ?? "", path: req.url ?? "", apiKey: typeof key === "string" ? key : undefined, body });
        const send = (status: number, payload: unknown) => {
            res.writeHead(status, { "content-type": "application/json" }).end(JSON.stringify(payload));
        };
        if (key !== apiKey) return send(401, { status: { error: "Must provide an API key or an Authorization bearer token" } });
        if (stub.failWith !== undefined) return send(500, { status: { error: stub.failWith } });
        if (req.method === "GET" && req.url === "/collections") {
            return send(200, { result: { collections: collections.map((name) => ({ name })) }, status: "ok", time: 0 });
        }
        const search = /^\/collections\/([^/]+)\/points\/search$/.exec(req.url ?? "");
        if (req.method === "POST" && search) {
            const name = decodeURIComponent(search[1]);
            if (!collections.includes(name)) return send(404, { status: { error: `Collection \`${name}\` doesn't exist!` } });
            // unref: a reply still pending when a test ends must not keep the test process alive.
            await new Promise((r) => setTimeout(r, stub.searchDelayMs).unref());
            const limit = (body as { limit: number }).limit;
            const hits = [
                { id: 7, version: 0, score: 0.99, payload: { title: "Key Vault CSI" } },
                { id: "a2", version: 0, score: 0.42, payload: { title: "Qdrant" } },
            ].slice(0, limit);
            return send(200, { result: hits, status: "ok", time: 0 });
        }
        send(404, { status: { error: "Not found" } });
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    const { port } = server.address() as AddressInfo;
    return Object.assign(stub, {
        url: `http://127.0.0.1:${port}`,
        close: () =>
            new Promise<void>((r) => {
                server.closeAllConnections();
                server.close(() => r());
            }),
    });
}
