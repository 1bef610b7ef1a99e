/**
 * The MCP server and its tools. One McpServer per session: the SDK binds a server to one transport.
 */
import { hostname } from "node:os";
import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import { z } from "zod";
import type { ServerConfig } from "./config";
import { type Logger, redact } from "./log";
import { QdrantClient } from "./qdrant";
import { Secrets } from "./secrets";

export const SERVER_NAME = "mcp-aks-reference";
export const SERVER_VERSION = "1.0.0";

export interface ToolDeps {
    readonly config: ServerConfig;
    readonly qdrant: QdrantClient;
    readonly secrets: Secrets;
    /** Every secret value currently known, so tool output can be scrubbed like log lines. */
    readonly secretValues: () => readonly string[];
    /** Where tool failures are logged (the logger redacts secret values). */
    readonly logger?: Logger;
    /** Runs a tool call as in-flight work, so a drain waits for it; the default just runs it. */
    readonly track?: <T>(work: () => Promise<T>) => Promise<T>;
}

function text(value: unknown, deps: ToolDeps): CallToolResult {
    return { content: [{ type: "text", text: redact(JSON.stringify(value, null, 2), deps.secretValues()) }] };
}

function failure(tool: string, err: unknown, deps: ToolDeps): CallToolResult {
    const message = err instanceof Error ? err.message : String(err);
    deps.logger?.log("warn", "tool failed", { tool, error: message });
    return { isError: true, content: [{ type: "text", text: redact(message, deps.secretValues()) }] };
}

export function createMcpServer(deps: ToolDeps): McpServer {
    const server = new McpServer({ name: SERVER_NAME, version: SERVER_VERSION });
    const started = Date.now();
    const run = deps.track ?? ((work) => work());
    /** A Qdrant-backed tool call: tracked for the drain, its failure returned as a tool error and logged. */
    const qdrantCall = (tool: string, work: () => Promise<unknown>): Promise<CallToolResult> =>
        run(async () => {
            try {
                return text(await work(), deps);
            } catch (err) {
                return failure(tool, err, deps);
            }
        });

    server.registerTool(
        "qdrant_list_collections",
        {
            title: "List Qdrant collections",
            description: "Lists the collections in the stack's Qdrant, reached with the shared API key. Proves the server -> Qdrant path and the key work.",
            annotations: { readOnlyHint: true, openWorldHint: false },
        },
        async () => qdrantCall("qdrant_list_collections", async () => ({ collections: await deps.qdrant.listCollections() })),
    );

    server.registerTool(
        "qdrant_search",
        {
            title: "Vector search in Qdrant",
            description: "Nearest-neighbour search: returns the closest points (id, score, payload) to the given vector.",
            inputSchema: {
                vector: z.array(z.number()).min(1).max(65536).describe("The query vector; its length must match the collection's vector size"),
                collection: z.string().min(1).max(255).optional().describe("Collection to search; defaults to QDRANT_COLLECTION"),
                limit: z.number().int().min(1).max(100).optional().describe("Number of hits (default 5)"),
            },
            annotations: { readOnlyHint: true, openWorldHint: false },
        },
        async ({ vector, collection, limit }) => {
            const name = collection ?? deps.config.defaultCollection;
            return qdrantCall("qdrant_search", async () => ({ collection: name, hits: await deps.qdrant.search(name, vector, limit ?? 5) }));
        },
    );

    server.registerTool(
        "secrets_status",
        {
            title: "Configured secrets",
            description: "Reports, by name only, which configured API keys this replica has (Key Vault CSI file, env var, or missing). Never returns values.",
            annotations: { readOnlyHint: true, openWorldHint: false },
        },
        async () => {
            const names = deps.config.apiKeyNames;
            return text(
                {
                    mountPath: deps.config.secretsDir,
                    secrets: names.map((n) => deps.secrets.status(n)),
                    qdrantApiKey: deps.secrets.status("QDRANT_API_KEY").source,
                    unexpectedFiles: deps.secrets.unexpected([...names, "QDRANT_API_KEY"]),
                },
                deps,
            );
        },
    );

    server.registerTool(
        "server_info",
        {
            title: "Server info",
            description: "Which replica answered (pod name), the server version and uptime: shows session affinity at work.",
            annotations: { readOnlyHint: true, openWorldHint: false },
        },
        async () => text({ name: SERVER_NAME, version: SERVER_VERSION, replica: hostname(), uptimeSeconds: Math.round((Date.now() - started) / 1000) }, deps),
    );

    return server;
}
