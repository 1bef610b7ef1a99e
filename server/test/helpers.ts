import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { SSEClientTransport } from "@modelcontextprotocol/sdk/client/sse.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import type { ServerConfig } from "../src/config";

/** Distinct, long, random-looking values: easy to search for in any output. */
export const SECRETS = {
    QDRANT_API_KEY: "qdrant-key-5f0c1e9a7b3d4c2e",
    OPENAI_API_KEY: "sk-openai-8d2f6a1c9e4b7d03",
    ANTHROPIC_API_KEY: "sk-ant-3b9e7c5a1f2d8e64",
};

/** A CSI-like mount: OPENAI_API_KEY as a file (with the trailing newline `echo` leaves), plus a stray file. */
export function secretsMount(): { dir: string; cleanup: () => void } {
    const dir = mkdtempSync(join(tmpdir(), "mcp-secrets-"));
    writeFileSync(join(dir, "OPENAI_API_KEY"), SECRETS.OPENAI_API_KEY + "\n");
    writeFileSync(join(dir, "LEGACY_TOKEN"), "x".repeat(32));
    return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

export function testConfig(qdrantUrl: string, secretsDir: string, overrides: Partial<ServerConfig> = {}): ServerConfig {
    return {
        port: 0,
        host: "127.0.0.1",
        qdrantUrl,
        defaultCollection: "crypto_docs",
        secretsDir,
        apiKeyNames: ["OPENAI_API_KEY", "ANTHROPIC_API_KEY", "TAVILY_API_KEY"],
        qdrantTimeoutMs: 2000,
        sessionIdleMs: 60000,
        shutdownTimeoutMs: 5000,
        ...overrides,
    };
}

export async function streamableClient(baseUrl: string): Promise<{ client: Client; transport: StreamableHTTPClientTransport }> {
    const client = new Client({ name: "test", version: "1.0.0" });
    const transport = new StreamableHTTPClientTransport(new URL("/mcp", baseUrl));
    await client.connect(transport);
    return { client, transport };
}

export async function sseClient(baseUrl: string): Promise<{ client: Client; transport: SSEClientTransport }> {
    const client = new Client({ name: "test-sse", version: "1.0.0" });
    const transport = new SSEClientTransport(new URL("/mcp/events", baseUrl));
    await client.connect(transport);
    return { client, transport };
}

export function textOf(result: unknown): string {
    const content = (result as { content: Array<{ type: string; text?: string }> }).content;
    return content.map((c) => c.text ?? "").join("\n");
}

export function assertNoSecrets(haystack: string, where: string): void {
    for (const [name, value] of Object.entries(SECRETS)) {
        if (haystack.includes(value)) throw new Error(`${name}'s value appears in ${where}`);
    }
}
