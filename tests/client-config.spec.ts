import { strict as assert } from "assert";
import {
    CLIENT_FORMATS,
    ClientFormat,
    MCP_REMOTE_VERSION,
    McpServerEntry,
    STACK_OUTPUTS,
    canonicalMcpUrl,
    clientConfigs,
    clientEntries,
    clientServerName,
    documentFor,
    mergeClientConfig,
    validateServerName,
} from "../components/client-config";
import { forwardTargets, ServerTarget } from "../components/access";

const SECRET = "s3cr3t-token-value";

/** Every string value under any `headers` object, and every `--header` argument of mcp-remote. */
function headerValues(doc: unknown): string[] {
    const found: string[] = [];
    const walk = (node: unknown): void => {
        if (Array.isArray(node)) {
            node.forEach((v, i) => {
                if (v === "--header" && typeof node[i + 1] === "string") found.push(String(node[i + 1]).replace(/^[^:]+:/, ""));
                walk(v);
            });
        } else if (typeof node === "object" && node !== null) {
            for (const [k, v] of Object.entries(node)) {
                if (k === "headers" && typeof v === "object" && v !== null) found.push(...Object.values(v).map(String));
                walk(v);
            }
        }
    };
    walk(doc);
    return found;
}

describe("client-config: URLs", () => {
    const cases: [string, string][] = [
        ["http://20.1.2.3/mcp", "http://20.1.2.3/mcp"],
        ["http://20.1.2.3/mcp/", "http://20.1.2.3/mcp"],
        ["http://20.1.2.3//mcp", "http://20.1.2.3/mcp"],
        ["http://localhost:18080/mcp/docs", "http://localhost:18080/mcp/docs"],
        ["http://localhost:18081/sse", "http://localhost:18081/sse"],
        ["http://localhost:18081/", "http://localhost:18081/"],
        ["  https://MCP.Example.com:8443/base//mcp/  ", "https://mcp.example.com:8443/base/mcp"],
        ["https://mcp.example.com:443/mcp", "https://mcp.example.com/mcp"],
        ["http://[2001:db8::1]:8080/mcp", "http://[2001:db8::1]:8080/mcp"],
    ];
    for (const [input, expected] of cases) {
        it(`${JSON.stringify(input)} -> ${expected}`, () => assert.equal(canonicalMcpUrl(input), expected));
    }

    it("is idempotent and never appends a path of its own", () => {
        for (const [input] of cases) assert.equal(canonicalMcpUrl(canonicalMcpUrl(input)), canonicalMcpUrl(input));
        assert.ok(!canonicalMcpUrl("http://localhost:18080/mcp/docs").endsWith("/mcp/docs/mcp"));
    });

    it("rejects non-http(s) schemes with a message naming the scheme", () => {
        assert.throws(() => canonicalMcpUrl("ws://20.1.2.3/mcp"), /unsupported URL scheme "ws:"/);
        assert.throws(() => canonicalMcpUrl("file:///etc/passwd"), /unsupported URL scheme "file:"/);
    });

    it("rejects strings that are not URLs", () => {
        assert.throws(() => canonicalMcpUrl("20.1.2.3"), /not a URL/);
        assert.throws(() => canonicalMcpUrl(""), /not a URL/);
    });

    it("rejects URLs that would carry a secret (credentials, query, fragment)", () => {
        assert.throws(() => canonicalMcpUrl(`http://user:${SECRET}@20.1.2.3/mcp`), /embeds credentials/);
        assert.throws(() => canonicalMcpUrl(`http://20.1.2.3/mcp?token=${SECRET}`), /query or fragment/);
        assert.throws(() => canonicalMcpUrl("http://20.1.2.3/mcp#x"), /query or fragment/);
    });
});

describe("client-config: names", () => {
    it("clientServerName is mcp-aks-<stack>-<server>", () => {
        assert.equal(clientServerName("dev", "docs"), "mcp-aks-dev-docs");
        assert.equal(clientServerName("myorg/mcp-aks/prod", "search"), "mcp-aks-prod-search");
        assert.equal(clientServerName("feature.x", "docs"), "mcp-aks-feature-x-docs");
        assert.throws(() => clientServerName("  ", "docs"), /stack name is empty/);
        assert.throws(() => clientServerName("dev", "x".repeat(59)), /invalid MCP server name/, "over 64 characters is refused, not cut");
    });

    it("accepts letters, digits, '-' and '_' only", () => {
        assert.equal(validateServerName("docs_search-2"), "docs_search-2");
        for (const bad of ["", "has space", "dot.ted", "slash/x", "ü", "x".repeat(65)]) {
            assert.throws(() => validateServerName(bad), /invalid MCP server name/, bad);
        }
    });

    it("documentFor rejects duplicate names and bad header names", () => {
        const s = { name: "a", url: "http://1.2.3.4/mcp" };
        assert.throws(() => documentFor("mcp", [s, s]), /duplicate MCP server name "a"/);
        assert.throws(() => documentFor("vscode", [{ ...s, auth: { header: "Bad Header" } }]), /invalid auth header name/);
        assert.throws(() => documentFor("claude", [{ name: "a", url: "ftp://x" }]), /MCP server a: unsupported URL scheme/);
    });
});

describe("client-config: document shapes", () => {
    const plain: McpServerEntry[] = [{ name: "mcp-aks-dev", url: "http://20.1.2.3/mcp" }];
    const local: McpServerEntry[] = [{ name: "mcp-aks-dev-docs", url: "http://localhost:18080/mcp" }];
    const withAuth: McpServerEntry[] = [
        { name: "mcp-aks-dev", url: "https://mcp.example.com/mcp/", description: "docs search", auth: { header: "Authorization" } },
    ];

    it("mcp (.mcp.json): type http and the URL, nothing else", () => {
        assert.deepEqual(documentFor("mcp", plain), { mcpServers: { "mcp-aks-dev": { type: "http", url: "http://20.1.2.3/mcp" } } });
    });

    it("mcp with auth: the header names an environment variable", () => {
        assert.deepEqual(documentFor("mcp", withAuth), {
            mcpServers: {
                "mcp-aks-dev": { type: "http", url: "https://mcp.example.com/mcp", headers: { Authorization: "${MCP_AKS_DEV_AUTH}" } },
            },
        });
    });

    it("vscode without auth: no headers and an empty inputs list", () => {
        assert.deepEqual(documentFor("vscode", plain), { servers: { "mcp-aks-dev": { type: "http", url: "http://20.1.2.3/mcp" } }, inputs: [] });
    });

    it("vscode with auth: a password prompt referenced as ${input:<id>}", () => {
        assert.deepEqual(documentFor("vscode", withAuth), {
            servers: {
                "mcp-aks-dev": { type: "http", url: "https://mcp.example.com/mcp", headers: { Authorization: "${input:mcp-aks-dev-auth}" } },
            },
            inputs: [{ type: "promptString", id: "mcp-aks-dev-auth", description: "Authorization header for docs search", password: true }],
        });
    });

    it("claude: npx runs the pinned mcp-remote stdio bridge, with --allow-http only for plain http beyond localhost", () => {
        assert.match(MCP_REMOTE_VERSION, /^\d+\.\d+\.\d+$/);
        assert.deepEqual(documentFor("claude", plain), {
            mcpServers: { "mcp-aks-dev": { command: "npx", args: ["-y", `mcp-remote@${MCP_REMOTE_VERSION}`, "http://20.1.2.3/mcp", "--allow-http"] } },
        });
        assert.deepEqual(documentFor("claude", local), {
            mcpServers: { "mcp-aks-dev-docs": { command: "npx", args: ["-y", `mcp-remote@${MCP_REMOTE_VERSION}`, "http://localhost:18080/mcp"] } },
        });
        assert.deepEqual(documentFor("claude", withAuth).mcpServers["mcp-aks-dev"].args, [
            "-y",
            `mcp-remote@${MCP_REMOTE_VERSION}`,
            "https://mcp.example.com/mcp",
            "--header",
            "Authorization:${MCP_AKS_DEV_AUTH}",
        ]);
    });

    it("with the edge's client id: Claude Code's oauth.clientId and mcp-remote's static client info; VS Code registers through the edge", () => {
        const id = "44444444-4444-4444-4444-444444444444";
        const signIn: McpServerEntry[] = [{ name: "mcp-aks-dev-docs", url: "https://mcp.example.com/mcp/docs", oauthClientId: id }];
        assert.deepEqual(documentFor("mcp", signIn), { mcpServers: { "mcp-aks-dev-docs": { type: "http", url: "https://mcp.example.com/mcp/docs", oauth: { clientId: id } } } });
        const args = documentFor("claude", signIn).mcpServers["mcp-aks-dev-docs"].args;
        assert.deepEqual(args.slice(-2), ["--static-oauth-client-info", `{"client_id":"${id}"}`]);
        assert.deepEqual(JSON.parse(args[args.length - 1]), { client_id: id });
        assert.ok(!args.some((a) => /\s/.test(a)), "no spaces: Claude Desktop on Windows splits arguments on them");
        assert.deepEqual(documentFor("vscode", signIn), { servers: { "mcp-aks-dev-docs": { type: "http", url: "https://mcp.example.com/mcp/docs" } }, inputs: [] });
        assert.throws(() => documentFor("claude", [{ ...signIn[0], oauthClientId: 'x" --evil' }]), /MCP server mcp-aks-dev-docs: invalid OAuth client id "x\\" --evil"; expected an application \(client\) id GUID/);
    });

    it("no secret is embedded: every header value is a placeholder", () => {
        const servers: McpServerEntry[] = [
            { name: "one", url: "http://1.2.3.4/mcp", auth: { header: "Authorization" } },
            { name: "two", url: "https://two.example.com/mcp", auth: { header: "X-Api-Key" } },
        ];
        const docs = clientConfigs(servers);
        const vscodeValues = headerValues(docs.vscode);
        assert.deepEqual(vscodeValues, ["${input:one-auth}", "${input:two-auth}"]);
        for (const v of vscodeValues) assert.match(v, /^\$\{input:[A-Za-z0-9_-]+\}$/);
        for (const format of ["mcp", "claude"] as const) {
            const values = headerValues(docs[format]);
            assert.deepEqual(values, ["${ONE_AUTH}", "${TWO_AUTH}"], format);
        }
        for (const input of docs.vscode.inputs) assert.equal(input.password, true);
        // A secret-looking value handed in anywhere it could leak is refused before it reaches a document.
        assert.throws(() => clientConfigs([{ name: "one", url: `http://1.2.3.4/mcp?key=${SECRET}` }]));
    });
});

describe("client-config: from the stack's servers", () => {
    const servers: ServerTarget[] = [
        { name: "search", namespace: "mcp-server", service: "search-mcp", port: 8080, path: "/mcp" },
        { name: "docs", namespace: "mcp-server", service: "docs-mcp", port: 3000, path: "/mcp" },
    ];

    it("one entry per server, named per stack, at the localhost URL npm run connect forwards", () => {
        const entries = clientEntries("dev", servers);
        const forwards = forwardTargets(servers);
        assert.deepEqual(entries.map((e) => [e.name, e.url]), forwards.map((f) => [`mcp-aks-dev-${f.name}`, f.url]));
        assert.deepEqual(entries.map((e) => e.url), ["http://localhost:18080/mcp", "http://localhost:18081/mcp"]);
        const docs = clientConfigs(entries);
        assert.deepEqual(Object.keys(docs), ["mcp", "vscode", "claude"]);
        assert.deepEqual(docs.mcp.mcpServers["mcp-aks-dev-search"], { type: "http", url: "http://localhost:18081/mcp" });
        assert.deepEqual(Object.keys(docs.vscode.servers), ["mcp-aks-dev-docs", "mcp-aks-dev-search"]);
        assert.deepEqual(Object.keys(docs.claude.mcpServers), ["mcp-aks-dev-docs", "mcp-aks-dev-search"]);
    });

    it("exports the stack output names index.ts and the CLI share", () => {
        assert.equal(STACK_OUTPUTS.servers, "servers");
        assert.equal(STACK_OUTPUTS.clientConfig, "clientConfig");
    });
});

describe("client-config: mergeClientConfig", () => {
    const servers: McpServerEntry[] = [{ name: "mcp-aks-dev", url: "http://20.1.2.3/mcp", auth: { header: "Authorization" } }];
    const generated = (format: ClientFormat) => documentFor(format, servers);

    it("into nothing gives the generated document", () => {
        for (const format of CLIENT_FORMATS) assert.deepEqual(mergeClientConfig(format, undefined, generated(format)), generated(format));
    });

    it("keeps the user's other servers and top-level keys, and replaces only our entry", () => {
        const existing = {
            globalShortcut: "Ctrl+Space",
            mcpServers: {
                filesystem: { command: "npx", args: ["-y", "@modelcontextprotocol/server-filesystem", "/tmp"] },
                "mcp-aks-dev": { command: "npx", args: ["mcp-remote", "http://old/mcp"], env: { MCP_AKS_DEV_AUTH: "kept" } },
            },
        };
        const snapshot = JSON.parse(JSON.stringify(existing));
        const merged = mergeClientConfig("claude", existing, generated("claude"));
        assert.deepEqual(merged, {
            globalShortcut: "Ctrl+Space",
            mcpServers: {
                filesystem: existing.mcpServers.filesystem,
                "mcp-aks-dev": { ...documentFor("claude", servers).mcpServers["mcp-aks-dev"], env: { MCP_AKS_DEV_AUTH: "kept" } },
            },
        });
        assert.deepEqual(existing, snapshot, "the input is not mutated");
    });

    it("vscode: merges inputs by id without duplicates and keeps the user's inputs in order", () => {
        const existing = {
            servers: { other: { type: "stdio", command: "x" }, "mcp-aks-dev": { type: "http", url: "http://old/mcp" } },
            inputs: [
                { type: "promptString", id: "mine", description: "my key", password: true },
                { type: "promptString", id: "mcp-aks-dev-auth", description: "stale", password: true },
                { type: "promptString", id: "mcp-aks-dev-auth", description: "stale duplicate", password: true },
            ],
        };
        const merged = mergeClientConfig("vscode", existing, generated("vscode"));
        const inputs = merged.inputs as { id: string; description: string }[];
        assert.deepEqual(inputs.map((i) => i.id), ["mine", "mcp-aks-dev-auth"]);
        assert.equal(inputs[1].description, "Authorization header for mcp-aks-dev");
        assert.deepEqual(Object.keys(merged.servers as object), ["other", "mcp-aks-dev"]);
        assert.deepEqual((merged.servers as Record<string, unknown>).other, { type: "stdio", command: "x" });
    });

    it("is idempotent for every format (merge twice = merge once)", () => {
        const existing = {
            other: { keep: true },
            mcpServers: { theirs: { type: "http", url: "https://x/mcp" } },
            servers: { theirs: { type: "http", url: "https://x/mcp" } },
            inputs: [{ type: "promptString", id: "theirs", description: "t", password: true }],
        };
        for (const format of CLIENT_FORMATS) {
            const once = mergeClientConfig(format, existing, generated(format));
            const twice = mergeClientConfig(format, once, generated(format));
            assert.deepEqual(twice, once, format);
            assert.equal(JSON.stringify(twice), JSON.stringify(once), `${format}: same key order`);
        }
    });

    it("refuses shapes it would have to destroy", () => {
        assert.throws(() => mergeClientConfig("mcp", [1, 2], generated("mcp")), /not a JSON object/);
        assert.throws(() => mergeClientConfig("mcp", "text", generated("mcp")), /not a JSON object/);
        assert.throws(() => mergeClientConfig("mcp", { mcpServers: [] }, generated("mcp")), /"mcpServers" in the existing file is not an object/);
        assert.throws(() => mergeClientConfig("vscode", { inputs: {} }, generated("vscode")), /"inputs" in the existing file is not a list/);
    });
});
