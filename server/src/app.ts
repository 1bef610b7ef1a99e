/**
 * HTTP surface: /health, /ready, MCP Streamable HTTP at /mcp, legacy HTTP+SSE at /mcp/events, and the
 * drain on shutdown. Sessions live in this replica's memory (the Service or edge keeps a client on one
 * replica); a session id this replica does not know gets 404, which tells a client to initialize again.
 */
import { randomUUID } from "node:crypto";
import type { Server } from "node:http";
import type { AddressInfo, Socket } from "node:net";
import express, { type NextFunction, type Request, type Response } from "express";
import { SSEServerTransport } from "@modelcontextprotocol/sdk/server/sse.js";
import { StreamableHTTPServerTransport } from "@modelcontextprotocol/sdk/server/streamableHttp.js";
import { isInitializeRequest } from "@modelcontextprotocol/sdk/types.js";
import type { ServerConfig } from "./config";
import { JsonLogger, redact } from "./log";
import { createMcpServer, type ToolDeps } from "./mcp";
import { QdrantClient } from "./qdrant";
import { Secrets } from "./secrets";

export const STREAMABLE_PATH = "/mcp";
/** GET opens the legacy SSE stream; its `endpoint` event tells the client to POST messages to this same path. */
export const SSE_PATH = "/mcp/events";
/** Comment frames on legacy SSE streams: proxies and the Azure LB cut connections idle for minutes. */
const SSE_KEEPALIVE_MS = 15000;
/** Readiness must answer within the kubelet's probe timeout (3 s in the pod spec). */
const READY_TIMEOUT_MS = 2000;
/** Vectors of a few thousand floats exceed express's 100 kB default. */
const BODY_LIMIT = "4mb";

export interface StartOptions {
    /** Where log lines go once redacted (stdout by default). */
    readonly writeLog?: (line: string) => void;
    /** Environment the secrets fall back to (process.env by default). */
    readonly env?: NodeJS.ProcessEnv;
}

export interface RunningServer {
    /** Base URL, e.g. http://127.0.0.1:3000. */
    readonly url: string;
    /** Open MCP sessions on this replica, by transport. */
    sessions(): { streamable: number; sse: number };
    /** Stops accepting, lets in-flight calls finish, ends open streams, closes the listener. Idempotent. */
    shutdown(reason: string): Promise<void>;
}

/** Counts work that shutdown should let finish (POSTs and tool calls) and reports when none is left. */
class Inflight {
    private count = 0;
    private waiters: Array<() => void> = [];
    begin(): () => void {
        this.count++;
        let done = false;
        return () => {
            if (done) return;
            done = true;
            if (--this.count === 0) this.waiters.splice(0).forEach((w) => w());
        };
    }
    async run<T>(work: () => Promise<T>): Promise<T> {
        const end = this.begin();
        try {
            return await work();
        } finally {
            end();
        }
    }
    idle(): Promise<void> {
        return this.count === 0 ? Promise.resolve() : new Promise((r) => this.waiters.push(r));
    }
}

function rpcError(res: Response, status: number, message: string): void {
    if (res.headersSent) return;
    res.status(status).json({ jsonrpc: "2.0", error: { code: -32000, message }, id: null });
}

export async function startServer(config: ServerConfig, options: StartOptions = {}): Promise<RunningServer> {
    const env = options.env ?? process.env;
    const secrets = new Secrets(config.secretsDir, env);
    const secretValues = () =>
        [...config.apiKeyNames, "QDRANT_API_KEY"].map((n) => secrets.value(n)).filter((v): v is string => v !== undefined);
    const logger = new JsonLogger(secretValues, options.writeLog);
    const qdrantKey = () => secrets.value("QDRANT_API_KEY");
    const inflight = new Inflight();
    const deps: ToolDeps = {
        config,
        secrets,
        secretValues,
        qdrant: new QdrantClient(config.qdrantUrl, qdrantKey, config.qdrantTimeoutMs),
        logger,
        track: (work) => inflight.run(work),
    };
    const readiness = new QdrantClient(config.qdrantUrl, qdrantKey, Math.min(READY_TIMEOUT_MS, config.qdrantTimeoutMs));

    const streamable = new Map<string, StreamableHTTPServerTransport>();
    /** Last request per Streamable HTTP session, for the idle sweep. */
    const lastSeen = new Map<string, number>();
    const sse = new Map<string, SSEServerTransport>();
    let draining = false;

    const app = express();
    app.disable("x-powered-by");
    app.use((req, res, next) => {
        // After SIGTERM requests still arrive on kept-alive connections. Each connection is ended as soon
        // as its response is complete; otherwise the drain would wait out Node's 5 s keep-alive timeout.
        if (draining) res.setHeader("connection", "close");
        res.on("finish", () => {
            // Once our FIN is out, nothing more is read: a client that keeps its half open must not hold the drain.
            if (draining) req.socket.end(() => req.socket.destroy());
        });
        if (req.method === "POST") {
            const end = inflight.begin();
            res.on("close", end);
        }
        next();
    });

    app.get("/health", (_req, res) => {
        // Liveness: the process serves HTTP. Never depends on Qdrant, so a Qdrant outage does not restart pods.
        res.json({ status: "ok" });
    });

    app.get("/ready", async (_req, res) => {
        if (draining) {
            res.status(503).json({ status: "draining" });
            return;
        }
        try {
            await readiness.listCollections();
            res.json({ status: "ready", qdrant: "ok" });
        } catch (err) {
            res.status(503).json({ status: "not ready", qdrant: redact((err as Error).message, secretValues()) });
        }
    });

    const existing = (req: Request): StreamableHTTPServerTransport | undefined => {
        const id = req.header("mcp-session-id");
        const transport = id ? streamable.get(id) : undefined;
        if (id && transport) lastSeen.set(id, Date.now());
        return transport;
    };

    app.post(STREAMABLE_PATH, express.json({ limit: BODY_LIMIT }), async (req, res) => {
        if (req.header("mcp-session-id")) {
            const transport = existing(req);
            if (!transport) return rpcError(res, 404, "Session not found on this replica: initialize a new session");
            return transport.handleRequest(req, res, req.body);
        }
        if (!isInitializeRequest(req.body)) return rpcError(res, 400, "Bad request: no mcp-session-id and not an initialize request");
        if (draining) {
            res.setHeader("retry-after", "1");
            return rpcError(res, 503, "Server is shutting down");
        }
        const transport: StreamableHTTPServerTransport = new StreamableHTTPServerTransport({
            sessionIdGenerator: () => randomUUID(),
            onsessioninitialized: (id) => {
                streamable.set(id, transport);
                lastSeen.set(id, Date.now());
                logger.log("info", "session opened", { transport: "streamable-http", session: id });
            },
        });
        transport.onclose = () => {
            const id = transport.sessionId;
            if (id) lastSeen.delete(id);
            if (id && streamable.delete(id)) logger.log("info", "session closed", { transport: "streamable-http", session: id });
        };
        await createMcpServer(deps).connect(transport);
        await transport.handleRequest(req, res, req.body);
    });

    // GET opens the session's standalone stream; DELETE ends the session.
    const sessionRequest = async (req: Request, res: Response) => {
        const transport = existing(req);
        if (!transport) return rpcError(res, req.header("mcp-session-id") ? 404 : 400, "Unknown or missing mcp-session-id");
        await transport.handleRequest(req, res);
    };
    app.get(STREAMABLE_PATH, sessionRequest);
    app.delete(STREAMABLE_PATH, sessionRequest);

    app.get(SSE_PATH, async (_req, res) => {
        if (draining) {
            res.setHeader("retry-after", "1");
            res.status(503).end();
            return;
        }
        const transport = new SSEServerTransport(SSE_PATH, res);
        const id = transport.sessionId;
        sse.set(id, transport);
        const keepalive = setInterval(() => res.write(": keepalive\n\n"), SSE_KEEPALIVE_MS);
        keepalive.unref();
        transport.onclose = () => {
            clearInterval(keepalive);
            if (sse.delete(id)) logger.log("info", "session closed", { transport: "sse", session: id });
        };
        await createMcpServer(deps).connect(transport);
        logger.log("info", "session opened", { transport: "sse", session: id });
    });

    app.post(SSE_PATH, express.json({ limit: BODY_LIMIT }), async (req, res) => {
        const transport = sse.get(String(req.query.sessionId ?? ""));
        if (!transport) return rpcError(res, 404, "Unknown sessionId: open a new stream with GET " + SSE_PATH);
        await transport.handlePostMessage(req, res, req.body);
    });

    app.use((err: Error & { status?: number; type?: string }, _req: Request, res: Response, _next: NextFunction) => {
        // body-parser errors carry a status (400 malformed JSON, 413 too large); everything else is ours.
        const status = err.status && err.status >= 400 && err.status < 500 ? err.status : 500;
        if (status === 500) logger.log("error", "request failed", { error: err.message });
        rpcError(res, status, status === 500 ? "Internal server error" : err.message);
    });

    const server: Server = await new Promise((resolve, reject) => {
        const s = app.listen(config.port, config.host, () => resolve(s));
        s.once("error", reject);
    });
    const sockets = new Set<Socket>();
    server.on("connection", (socket: Socket) => {
        sockets.add(socket);
        socket.once("close", () => sockets.delete(socket));
    });
    const address = server.address() as AddressInfo;
    const host = address.family === "IPv6" ? `[${address.address}]` : address.address;
    const url = `http://${host === "0.0.0.0" ? "127.0.0.1" : host}:${address.port}`;
    logger.log("info", "listening", { host: config.host, port: address.port, qdrant: config.qdrantUrl });

    // Clients that vanish (laptop closed, pod of a client killed) never send DELETE; without this sweep their
    // sessions would pile up in memory until the replica is replaced.
    const sweep = setInterval(() => {
        const cutoff = Date.now() - config.sessionIdleMs;
        for (const [id, seen] of lastSeen) {
            if (seen >= cutoff) continue;
            logger.log("info", "session idle", { transport: "streamable-http", session: id });
            void streamable.get(id)?.close();
        }
    }, Math.min(60000, Math.max(50, config.sessionIdleMs / 2)));
    sweep.unref();

    let closing: Promise<void> | undefined;
    const shutdown = (reason: string): Promise<void> => {
        closing ??= (async () => {
            draining = true;
            clearInterval(sweep);
            const started = Date.now();
            logger.log("info", "shutdown started", { reason, streamable: streamable.size, sse: sse.size });
            const closed = new Promise<void>((resolve) => server.close(() => resolve()));
            const deadline = new Promise<"timeout">((r) => setTimeout(() => r("timeout"), config.shutdownTimeoutMs).unref());
            // In-flight POSTs and tool calls finish first: their results travel on the streams closed next.
            const finished = await Promise.race([inflight.idle().then(() => "idle" as const), deadline]);
            // Open streams never end on their own; closing the transports ends each response cleanly, and
            // clients reconnect (through the Service) to a replica that is not terminating.
            await Promise.allSettled([...streamable.values(), ...sse.values()].map((t) => t.close()));
            server.closeIdleConnections();
            // A connection on which no request ever arrived (HTTP clients open spares) is not "idle" to Node,
            // so it would hold the drain until the client drops it; nothing is lost by closing it.
            for (const socket of sockets) if (socket.bytesRead === 0) socket.destroy();
            const forced = (await Promise.race([closed.then(() => "closed" as const), deadline])) === "timeout";
            if (forced) server.closeAllConnections();
            await closed;
            logger.log("info", "shutdown complete", { reason, ms: Date.now() - started, drained: finished === "idle", forced });
        })();
        return closing;
    };

    return { url, sessions: () => ({ streamable: streamable.size, sse: sse.size }), shutdown };
}
