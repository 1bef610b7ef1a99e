/**
 * Settings from the environment. The platform sets MCP_PORT, MCP_HOST, QDRANT_URL and QDRANT_COLLECTION in the
 * ConfigMap, QDRANT_API_KEY from the Qdrant key Secret, and mounts the API keys named in MCP_API_KEYS as files.
 */
export interface ServerConfig {
    /** TCP port the HTTP server listens on. */
    readonly port: number;
    /** Interface to bind: 0.0.0.0 in a pod, because probes and the Service reach the pod IP, not loopback. */
    readonly host: string;
    /** Base URL of Qdrant's HTTP API, without a trailing slash. */
    readonly qdrantUrl: string;
    /** Collection searched when a tool call names none. */
    readonly defaultCollection: string;
    /** Where the Key Vault CSI driver mounts one file per secret, named like its env var. */
    readonly secretsDir: string;
    /** The API key names the platform is configured to provide (values are never part of the config). */
    readonly apiKeyNames: readonly string[];
    /** Per-request timeout for calls to Qdrant, in milliseconds. */
    readonly qdrantTimeoutMs: number;
    /** A Streamable HTTP session with no request for this long is closed (clients that vanish never send DELETE). */
    readonly sessionIdleMs: number;
    /** Upper bound on draining after SIGTERM; the pod's grace period minus its preStop pause must exceed it. */
    readonly shutdownTimeoutMs: number;
}

/** The seed plan's keys, used when MCP_API_KEYS is unset (for example when run outside the cluster). */
export const DEFAULT_API_KEY_NAMES = ["OPENAI_API_KEY", "ANTHROPIC_API_KEY", "TAVILY_API_KEY"];

const ENV_NAME = /^[A-Z_][A-Z0-9_]*$/;

function integer(env: NodeJS.ProcessEnv, name: string, fallback: number, min: number, max: number): number {
    const raw = env[name];
    if (raw === undefined || raw === "") return fallback;
    const value = Number(raw);
    if (!Number.isInteger(value) || value < min || value > max) {
        throw new Error(`${name}=${JSON.stringify(raw)} is not an integer from ${min} to ${max}`);
    }
    return value;
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): ServerConfig {
    const names = (env.MCP_API_KEYS ?? "").split(",").map((s) => s.trim()).filter((s) => s.length > 0);
    const bad = names.filter((n) => !ENV_NAME.test(n));
    if (bad.length > 0) throw new Error(`MCP_API_KEYS holds names that are not env var names: ${bad.join(", ")}`);
    const qdrantUrl = (env.QDRANT_URL ?? "http://localhost:6333").replace(/\/+$/, "");
    let protocol = "";
    try {
        protocol = new URL(qdrantUrl).protocol;
    } catch {
        protocol = "";
    }
    if (protocol !== "http:" && protocol !== "https:") throw new Error(`QDRANT_URL=${JSON.stringify(qdrantUrl)} is not an http(s) URL`);
    return {
        port: integer(env, "MCP_PORT", 3000, 0, 65535),
        host: env.MCP_HOST || "0.0.0.0",
        qdrantUrl,
        defaultCollection: env.QDRANT_COLLECTION || "crypto_docs",
        secretsDir: env.MCP_SECRETS_DIR || "/mnt/secrets-store",
        apiKeyNames: names.length > 0 ? names : DEFAULT_API_KEY_NAMES,
        qdrantTimeoutMs: integer(env, "QDRANT_TIMEOUT_MS", 5000, 100, 60000),
        sessionIdleMs: integer(env, "MCP_SESSION_IDLE_MS", 30 * 60 * 1000, 100, 24 * 60 * 60 * 1000),
        // 120 s grace - 15 s preStop leaves 105 s; 30 s is ample for in-flight tool calls (Qdrant timeout 5 s).
        shutdownTimeoutMs: integer(env, "MCP_SHUTDOWN_TIMEOUT_MS", 30000, 0, 100000),
    };
}
