/**
 * Pure functions: the stack's MCP servers -> the config documents that MCP clients read.
 * No Pulumi imports and no I/O, so index.ts (stack outputs) and scripts/client-config.ts (files on a
 * laptop) produce byte-for-byte the same documents, and the tests need no mocks.
 *
 * No document ever holds a secret: a server with `auth` gets a header whose value is a placeholder that the
 * client resolves at run time (a VS Code password prompt, or an environment variable).
 */

import { clientUrls, EdgeTarget, ServerTarget } from "./access";

/** Names of the stack outputs that carry the client configuration; index.ts exports under these names. */
export const STACK_OUTPUTS = {
    /** One `{ name, namespace, service, port, path }` per MCP server (ServerTarget, components/access.ts). */
    servers: "servers",
    /** The edge: `{ exposure, namespace, service, port, baseUrl, address, urls }` (EdgeTarget, components/access.ts). */
    edge: "edge",
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
    /** The server's MCP URL, path included. */
    readonly url: string;
    /** Shown in the VS Code token prompt. */
    readonly description?: string;
    /** The server wants a header (for example `Authorization`); its value is supplied by the user at run time. */
    readonly auth?: { readonly header: string };
    /**
     * The OAuth client id to sign in with (the edge's Entra app), for clients that can be given one instead of
     * registering dynamically: Claude Code (`oauth.clientId`) and mcp-remote (`--static-oauth-client-info`).
     * The edge also answers dynamic registration with this id; naming it spares the clients that round trip
     * and keeps them working if registration is ever refused. Not a secret: public clients use PKCE.
     */
    readonly oauthClientId?: string;
}

/** `.mcp.json`, Claude Code's project-scoped config. */
export interface McpJsonDocument {
    mcpServers: Record<string, { type: "http"; url: string; headers?: Record<string, string>; oauth?: { clientId: string } }>;
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

const NAME_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;
// RFC 9110 token characters would allow more, but mcp-remote's `--header Name:value` parser accepts only these.
const HEADER_PATTERN = /^[A-Za-z0-9-]{1,64}$/;
/** Entra application (client) ids are GUIDs; anything else would be pasted into a client's command line. */
const CLIENT_ID_PATTERN = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;

export function isClientFormat(value: unknown): value is ClientFormat {
    return typeof value === "string" && (CLIENT_FORMATS as readonly string[]).includes(value);
}

/**
 * `mcp-aks-<stack>-<server>`: the key in the client's server map, distinct per stack so that dev and prod
 * can sit side by side in one file. An org/project/ prefix of the stack is dropped and other characters
 * become '-'.
 */
export function clientServerName(stack: string, server: string): string {
    const short = stack.trim().split("/").pop() ?? "";
    if (short === "") throw new Error("clientServerName: the stack name is empty; pass the stack, for example `dev`");
    return validateServerName(`mcp-aks-${short.replace(/[^A-Za-z0-9_-]/g, "-")}-${server}`);
}

/**
 * The client entries of a stack's servers: names per stack, URLs from clientUrls (components/access.ts), and
 * the edge's sign-in client id when the edge output names one.
 */
export function clientEntries(stack: string, servers: readonly ServerTarget[], edge?: EdgeTarget): McpServerEntry[] {
    return clientUrls(servers, edge).map(({ name, url }) => ({
        name: clientServerName(stack, name),
        url,
        description: `MCP server ${name} of stack ${stack}`,
        ...(edge?.clientId ? { oauthClientId: edge.clientId } : {}),
    }));
}

export function validateServerName(name: string): string {
    if (!NAME_PATTERN.test(name)) {
        throw new Error(`invalid MCP server name ${JSON.stringify(name)}: use 1-64 letters, digits, '-' or '_'`);
    }
    return name;
}

/**
 * Checks an MCP URL and writes it canonically: lowercase host, default port dropped, repeated and trailing
 * slashes removed. The path is the server's own (/mcp, /mcp/docs, /sse): nothing is appended.
 * Credentials, query strings and fragments are refused: they are where secrets end up in URLs, and the
 * documents are meant to be safe to commit.
 */
export function canonicalMcpUrl(raw: string): string {
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
    return `${url.protocol}//${url.host}/${segments.join("/")}`;
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
            url = canonicalMcpUrl(s.url);
        } catch (e) {
            throw new Error(`MCP server ${s.name}: ${(e as Error).message}`);
        }
        if (s.auth && !HEADER_PATTERN.test(s.auth.header)) {
            throw new Error(`MCP server ${s.name}: invalid auth header name ${JSON.stringify(s.auth.header)}; use letters, digits and '-'`);
        }
        if (s.oauthClientId !== undefined && !CLIENT_ID_PATTERN.test(s.oauthClientId)) {
            throw new Error(`MCP server ${s.name}: invalid OAuth client id ${JSON.stringify(s.oauthClientId)}; expected an application (client) id GUID`);
        }
        return { ...s, url };
    });
}

/** True for a URL on this machine (a port-forward): reachable by local clients only. */
export function isLocalUrl(url: string): boolean {
    const host = new URL(url).hostname;
    return host === "localhost" || host === "127.0.0.1" || host === "[::1]";
}

/**
 * What to do in Claude Desktop or claude.ai for servers on a public HTTPS endpoint: Claude Desktop ignores
 * remote URLs in its config file, and connectors are added in Settings, where the OAuth sign-in runs.
 * Empty when no server has a public HTTPS URL.
 */
export function connectorInstructions(servers: readonly McpServerEntry[]): string[] {
    return validateServers(servers)
        .filter((s) => s.url.startsWith("https://") && !isLocalUrl(s.url))
        .map((s) => `Claude Desktop or claude.ai: Settings > Connectors > Add custom connector, name "${s.name}", URL ${s.url}; Connect signs you in with Microsoft.`);
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
            ...(s.oauthClientId ? { oauth: { clientId: s.oauthClientId } } : {}),
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
        if (s.url.startsWith("http://") && !isLocalUrl(s.url)) args.push("--allow-http");
        // No space after ':' because Claude Desktop on Windows splits args on spaces; mcp-remote expands
        // ${VAR} from the environment, which the user sets in this entry's `env` (kept by the merge).
        if (s.auth) args.push("--header", `${s.auth.header}:\${${authEnvVar(s.name)}}`);
        // A pre-registered client skips dynamic registration; compact JSON, since Windows splits on spaces.
        if (s.oauthClientId) args.push("--static-oauth-client-info", JSON.stringify({ client_id: s.oauthClientId }));
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

/** All three documents for a list of servers (validated, URLs made canonical). */
export function clientConfigs(servers: readonly McpServerEntry[]): ClientDocuments {
    return {
        mcp: documentFor("mcp", servers),
        vscode: documentFor("vscode", servers),
        claude: documentFor("claude", servers),
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
