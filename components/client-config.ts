/**
 * Pure functions: the stack's MCP endpoint (and server list) -> the config documents that MCP clients read.
 * No Pulumi imports and no I/O, so index.ts (stack outputs) and scripts/client-config.ts (files on a
 * laptop) produce byte-for-byte the same documents, and the tests need no mocks.
 *
 * No document ever holds a secret: a server with `auth` gets a header whose value is a placeholder that the
 * client resolves at run time (a VS Code password prompt, or an environment variable).
 */

/** Names of the stack outputs that carry the client configuration; index.ts exports under these names. */
export const STACK_OUTPUTS = {
    /** The primary MCP endpoint, `http(s)://<host>/mcp`; empty or absent while the Service has no IP. */
    endpoint: "mcpEndpoint",
    /** Optional list of `{ name, url, description?, auth? }`, one per deployed MCP server. */
    servers: "mcpServers",
    /** All three documents, keyed by ClientFormat. */
    clientConfig: "clientConfig",
    /** One output per document, for `pulumi stack output <name> --json > file`. */
    mcpJson: "mcpJson",
    vscodeMcpJson: "vscodeMcpJson",
    claudeDesktopConfig: "claudeDesktopConfig",
} as const;

/**
 * The mcp-remote release Claude Desktop runs. Pinned because `npx -y mcp-remote` would fetch whatever is
 * newest at every start of Claude Desktop; checked with `npm view mcp-remote version`.
 */
export const MCP_REMOTE_VERSION = "0.15.1";

/** The clients we write config for: Claude Code (`.mcp.json`), VS Code, Claude Desktop. */
export const CLIENT_FORMATS = ["mcp", "vscode", "claude"] as const;
export type ClientFormat = (typeof CLIENT_FORMATS)[number];

/** The file each client reads, relative to a project (mcp, vscode) or in the user's profile (claude). */
export const CLIENT_FILE_NAMES: Readonly<Record<ClientFormat, string>> = {
    mcp: ".mcp.json",
    vscode: ".vscode/mcp.json",
    claude: "claude_desktop_config.json",
};

/** One deployed MCP server as the clients should see it. */
export interface McpServerEntry {
    /** Key in the client's server map: letters, digits, '-' and '_'. */
    readonly name: string;
    /** Base URL or URL ending in /mcp; normalised to end in exactly one /mcp. */
    readonly url: string;
    /** Shown in the VS Code token prompt. */
    readonly description?: string;
    /** The server wants a header (for example `Authorization`); its value is supplied by the user at run time. */
    readonly auth?: { readonly header: string };
}

/** `.mcp.json`, Claude Code's project-scoped config. */
export interface McpJsonDocument {
    mcpServers: Record<string, { type: "http"; url: string; headers?: Record<string, string> }>;
}

export interface VscodeInput {
    type: "promptString";
    id: string;
    description: string;
    password: true;
}

/** `.vscode/mcp.json`. */
export interface VscodeMcpDocument {
    servers: Record<string, { type: "http"; url: string; headers?: Record<string, string> }>;
    inputs: VscodeInput[];
}

/** `claude_desktop_config.json`; Claude Desktop only starts local processes, so mcp-remote bridges to HTTP. */
export interface ClaudeDesktopDocument {
    mcpServers: Record<string, { command: "npx"; args: string[] }>;
}

export type ClientDocument = McpJsonDocument | VscodeMcpDocument | ClaudeDesktopDocument;

export interface ClientDocuments {
    mcp: McpJsonDocument;
    vscode: VscodeMcpDocument;
    claude: ClaudeDesktopDocument;
}

export interface ClientConfigOptions {
    /** Stack name, for the default server name when no server list is given. */
    readonly stack?: string;
}

const NAME_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;
// RFC 9110 token characters would allow more, but mcp-remote's `--header Name:value` parser accepts only these.
const HEADER_PATTERN = /^[A-Za-z0-9-]{1,64}$/;

export function isClientFormat(value: unknown): value is ClientFormat {
    return typeof value === "string" && (CLIENT_FORMATS as readonly string[]).includes(value);
}

/** `mcp-aks-<stack>`; an org/project/ prefix is dropped and other characters become '-'. */
export function defaultServerName(stack: string): string {
    const short = stack.trim().split("/").pop() ?? "";
    if (short === "") throw new Error("defaultServerName: the stack name is empty; pass the stack, for example `dev`");
    return validateServerName(`mcp-aks-${short.replace(/[^A-Za-z0-9_-]/g, "-")}`.slice(0, 64));
}

export function validateServerName(name: string): string {
    if (!NAME_PATTERN.test(name)) {
        throw new Error(`invalid MCP server name ${JSON.stringify(name)}: use 1-64 letters, digits, '-' or '_'`);
    }
    return name;
}

/**
 * Turns a base URL or an MCP URL into `<scheme>://<host>[:port][/path]/mcp`.
 * Credentials, query strings and fragments are refused: they are where secrets end up in URLs, and the
 * documents are meant to be safe to commit.
 */
export function normaliseMcpUrl(raw: string): string {
    const text = raw.trim();
    let url: URL;
    try {
        url = new URL(text);
    } catch {
        throw new Error(`not a URL: ${JSON.stringify(raw)}; expected http(s)://<host>/mcp`);
    }
    if (url.protocol !== "http:" && url.protocol !== "https:") {
        throw new Error(`unsupported URL scheme "${url.protocol}" in ${JSON.stringify(raw)}; MCP clients need http:// or https://`);
    }
    if (url.hostname === "") throw new Error(`URL ${JSON.stringify(raw)} has no host`);
    if (url.username !== "" || url.password !== "") {
        throw new Error(`URL ${JSON.stringify(raw)} embeds credentials; remove them and configure auth as a header instead`);
    }
    if (url.search !== "" || url.hash !== "") {
        throw new Error(`URL ${JSON.stringify(raw)} has a query or fragment; give the plain endpoint, for example http://<host>/mcp`);
    }
    const segments = url.pathname.split("/").filter((s) => s !== "");
    if (segments[segments.length - 1] !== "mcp") segments.push("mcp");
    return `${url.protocol}//${url.host}/${segments.join("/")}`;
}

/** Checks an unknown value (for example the `mcpServers` stack output) and returns typed, normalised entries. */
export function parseServerList(value: unknown): McpServerEntry[] {
    if (!Array.isArray(value)) throw new Error(`${STACK_OUTPUTS.servers} must be a list of { name, url }`);
    const entries = value.map((item, i): McpServerEntry => {
        if (typeof item !== "object" || item === null || Array.isArray(item)) {
            throw new Error(`${STACK_OUTPUTS.servers}[${i}] must be an object with name and url`);
        }
        const rec = item as Record<string, unknown>;
        if (typeof rec.name !== "string") throw new Error(`${STACK_OUTPUTS.servers}[${i}].name must be a string`);
        if (typeof rec.url !== "string") throw new Error(`${STACK_OUTPUTS.servers}[${i}].url must be a string`);
        if (rec.description !== undefined && typeof rec.description !== "string") {
            throw new Error(`${STACK_OUTPUTS.servers}[${i}].description must be a string`);
        }
        let auth: McpServerEntry["auth"];
        if (rec.auth !== undefined && rec.auth !== null) {
            const a = rec.auth as Record<string, unknown>;
            if (typeof a !== "object" || typeof a.header !== "string") {
                throw new Error(`${STACK_OUTPUTS.servers}[${i}].auth must be { header: "<Header-Name>" }`);
            }
            auth = { header: a.header };
        }
        return {
            name: rec.name,
            url: rec.url,
            ...(rec.description !== undefined ? { description: rec.description as string } : {}),
            ...(auth ? { auth } : {}),
        };
    });
    return validateServers(entries);
}

/** Validates names, headers and URLs, rejects duplicate names, and returns entries with normalised URLs. */
export function validateServers(servers: readonly McpServerEntry[]): McpServerEntry[] {
    const seen = new Set<string>();
    return servers.map((s) => {
        validateServerName(s.name);
        if (seen.has(s.name)) throw new Error(`duplicate MCP server name ${JSON.stringify(s.name)}`);
        seen.add(s.name);
        let url: string;
        try {
            url = normaliseMcpUrl(s.url);
        } catch (e) {
            throw new Error(`MCP server ${s.name}: ${(e as Error).message}`);
        }
        if (s.auth && !HEADER_PATTERN.test(s.auth.header)) {
            throw new Error(`MCP server ${s.name}: invalid auth header name ${JSON.stringify(s.auth.header)}; use letters, digits and '-'`);
        }
        return { ...s, url };
    });
}

/** VS Code input id of a server's auth header prompt. */
export function authInputId(name: string): string {
    return `${name}-auth`;
}

/** Environment variable that holds a server's auth header value for Claude Code and Claude Desktop. */
export function authEnvVar(name: string): string {
    return `${name.toUpperCase().replace(/[^A-Z0-9]/g, "_")}_AUTH`;
}

function mcpJson(servers: readonly McpServerEntry[]): McpJsonDocument {
    const mcpServers: McpJsonDocument["mcpServers"] = {};
    for (const s of servers) {
        // Claude Code expands ${VAR} in headers, so the committed file names the variable, not the value.
        mcpServers[s.name] = {
            type: "http",
            url: s.url,
            ...(s.auth ? { headers: { [s.auth.header]: `\${${authEnvVar(s.name)}}` } } : {}),
        };
    }
    return { mcpServers };
}

function vscodeMcpJson(servers: readonly McpServerEntry[]): VscodeMcpDocument {
    const doc: VscodeMcpDocument = { servers: {}, inputs: [] };
    for (const s of servers) {
        doc.servers[s.name] = { type: "http", url: s.url };
        if (s.auth) {
            const id = authInputId(s.name);
            doc.servers[s.name].headers = { [s.auth.header]: `\${input:${id}}` };
            doc.inputs.push({
                type: "promptString",
                id,
                description: `${s.auth.header} header for ${s.description ?? s.name}`,
                password: true,
            });
        }
    }
    return doc;
}

function claudeDesktopConfig(servers: readonly McpServerEntry[]): ClaudeDesktopDocument {
    const mcpServers: ClaudeDesktopDocument["mcpServers"] = {};
    for (const s of servers) {
        const args = ["-y", `mcp-remote@${MCP_REMOTE_VERSION}`, s.url];
        // mcp-remote refuses plain http to anything but localhost unless told that the network is trusted.
        if (s.url.startsWith("http://")) args.push("--allow-http");
        // No space after ':' because Claude Desktop on Windows splits args on spaces; mcp-remote expands
        // ${VAR} from the environment, which the user sets in this entry's `env` (kept by the merge).
        if (s.auth) args.push("--header", `${s.auth.header}:\${${authEnvVar(s.name)}}`);
        mcpServers[s.name] = { command: "npx", args };
    }
    return { mcpServers };
}

/** The document for one client. Servers are validated and their URLs normalised first. */
export function documentFor(format: "mcp", servers: readonly McpServerEntry[]): McpJsonDocument;
export function documentFor(format: "vscode", servers: readonly McpServerEntry[]): VscodeMcpDocument;
export function documentFor(format: "claude", servers: readonly McpServerEntry[]): ClaudeDesktopDocument;
export function documentFor(format: ClientFormat, servers: readonly McpServerEntry[]): ClientDocument;
export function documentFor(format: ClientFormat, servers: readonly McpServerEntry[]): ClientDocument {
    const valid = validateServers(servers);
    switch (format) {
        case "mcp":
            return mcpJson(valid);
        case "vscode":
            return vscodeMcpJson(valid);
        case "claude":
            return claudeDesktopConfig(valid);
        default:
            throw new Error(`unknown client format ${JSON.stringify(format)}; use one of ${CLIENT_FORMATS.join(", ")}`);
    }
}

/**
 * All three documents. Returns undefined while the endpoint is empty or absent (the LoadBalancer has no IP
 * yet), so that a stack output built with it never fails a deployment. Without a server list, the one
 * server is the endpoint itself, named `defaultServerName(stack)` (or `mcp-aks` without a stack).
 */
export function clientConfigs(
    endpoint: string | undefined | null,
    servers?: readonly McpServerEntry[],
    options: ClientConfigOptions = {},
): ClientDocuments | undefined {
    if (endpoint === undefined || endpoint === null || endpoint.trim() === "") return undefined;
    const url = normaliseMcpUrl(endpoint);
    const list: readonly McpServerEntry[] =
        servers && servers.length > 0
            ? servers
            : [{ name: options.stack ? defaultServerName(options.stack) : "mcp-aks", url }];
    return {
        mcp: documentFor("mcp", list),
        vscode: documentFor("vscode", list),
        claude: documentFor("claude", list),
    };
}

const SERVER_MAP_KEY: Readonly<Record<ClientFormat, "mcpServers" | "servers">> = {
    mcp: "mcpServers",
    vscode: "servers",
    claude: "mcpServers",
};

// Fields of one of our entries that belong to the user, not to us: Claude Desktop's `env` is where the user
// puts the auth header value, and regenerating the config must not wipe it.
const USER_OWNED_ENTRY_FIELDS: Readonly<Record<ClientFormat, readonly string[]>> = {
    mcp: [],
    vscode: [],
    claude: ["env"],
};

function isPlainObject(value: unknown): value is Record<string, unknown> {
    return typeof value === "object" && value !== null && !Array.isArray(value);
}

/**
 * Merges a generated document into the parsed JSON of the user's existing file (or undefined). Keeps every
 * other top-level key and every other server, replaces the entries we generate (keeping their user-owned
 * fields), and for VS Code merges `inputs` by id. Idempotent: merging the result again gives a deep-equal
 * document. Throws, naming the key, when the existing file has a shape we would have to destroy.
 */
export function mergeClientConfig(format: ClientFormat, existing: unknown, generated: ClientDocument): Record<string, unknown> {
    if (!isClientFormat(format)) throw new Error(`unknown client format ${JSON.stringify(format)}; use one of ${CLIENT_FORMATS.join(", ")}`);
    if (existing !== undefined && !isPlainObject(existing)) {
        throw new Error("the existing file is not a JSON object; fix or move it, then run again");
    }
    const base: Record<string, unknown> = existing ? { ...existing } : {};
    const key = SERVER_MAP_KEY[format];
    const gen = generated as unknown as Record<string, unknown>;
    const ours = gen[key] as Record<string, Record<string, unknown>>;

    const current = base[key];
    if (current !== undefined && !isPlainObject(current)) {
        throw new Error(`"${key}" in the existing file is not an object; fix it, then run again`);
    }
    const servers: Record<string, unknown> = { ...(current ?? {}) };
    for (const [name, entry] of Object.entries(ours)) {
        const previous = servers[name];
        const kept: Record<string, unknown> = {};
        if (isPlainObject(previous)) {
            for (const field of USER_OWNED_ENTRY_FIELDS[format]) {
                if (previous[field] !== undefined) kept[field] = previous[field];
            }
        }
        servers[name] = { ...entry, ...kept };
    }
    base[key] = servers;

    if (format === "vscode") {
        const currentInputs = base.inputs;
        if (currentInputs !== undefined && !Array.isArray(currentInputs)) {
            throw new Error(`"inputs" in the existing file is not a list; fix it, then run again`);
        }
        const pending = new Map((generated as VscodeMcpDocument).inputs.map((i) => [i.id, i] as const));
        const ourIds = new Set(pending.keys());
        const inputs: unknown[] = [];
        // Replace in place so that the user's ordering survives; a repeated id of ours is dropped.
        for (const input of currentInputs ?? []) {
            const id = isPlainObject(input) && typeof input.id === "string" ? input.id : undefined;
            if (id === undefined || !ourIds.has(id)) {
                inputs.push(input);
            } else if (pending.has(id)) {
                inputs.push(pending.get(id));
                pending.delete(id);
            }
        }
        base.inputs = [...inputs, ...pending.values()];
    }
    return base;
}
