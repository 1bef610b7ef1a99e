import { strict as assert } from "assert";
import {
    CLIENT_FORMATS,
    ClientFormat,
    MCP_REMOTE_VERSION,
    McpServerEntry,
    STACK_OUTPUTS,
    clientConfigs,
    defaultServerName,
    documentFor,
    mergeClientConfig,
    normaliseMcpUrl,
    parseServerList,
    validateServerName,
} from "../components/client-config";

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

describe("client-config: URL normalisation", () => {
    const cases: [string, string][] = [
        ["http://20.1.2.3", "http://20.1.2.3/mcp"],
        ["http://20.1.2.3/", "http://20.1.2.3/mcp"],
        ["http://20.1.2.3/mcp", "http://20.1.2.3/mcp"],
        ["http://20.1.2.3/mcp/", "http://20.1.2.3/mcp"],
        ["http://20.1.2.3//mcp", "http://20.1.2.3/mcp"],
        ["  https://MCP.Example.com:8443/base//  ", "https://mcp.example.com:8443/base/mcp"],
        ["https://mcp.example.com:443/mcp", "https://mcp.example.com/mcp"],
        ["http://[2001:db8::1]:8080", "http://[2001:db8::1]:8080/mcp"],
    ];
    for (const [input, expected] of cases) {
        it(`${JSON.stringify(input)} -> ${expected}`, () => assert.equal(normaliseMcpUrl(input), expected));
    }

    it("is idempotent", () => {
        for (const [input] of cases) assert.equal(normaliseMcpUrl(normaliseMcpUrl(input)), normaliseMcpUrl(input));
    });

    it("rejects non-http(s) schemes with a message naming the scheme", () => {
        assert.throws(() => normaliseMcpUrl("ws://20.1.2.3/mcp"), /unsupported URL scheme "ws:"/);
        assert.throws(() => normaliseMcpUrl("file:///etc/passwd"), /unsupported URL scheme "file:"/);
    });

    it("rejects strings that are not URLs", () => {
        assert.throws(() => normaliseMcpUrl("20.1.2.3"), /not a URL/);
        assert.throws(() => normaliseMcpUrl(""), /not a URL/);
    });

    it("rejects URLs that would carry a secret (credentials, query, fragment)", () => {
        assert.throws(() => normaliseMcpUrl(`http://user:${SECRET}@20.1.2.3/mcp`), /embeds credentials/);
        assert.throws(() => normaliseMcpUrl(`http://20.1.2.3/mcp?token=${SECRET}`), /query or fragment/);
        assert.throws(() => normaliseMcpUrl("http://20.1.2.3/mcp#x"), /query or fragment/);
    });
});

describe("client-config: names", () => {
    it("defaultServerName is mcp-aks-<stack>", () => {
        assert.equal(defaultServerName("dev"), "mcp-aks-dev");
        assert.equal(defaultServerName("myorg/mcp-aks/prod"), "mcp-aks-prod");
        assert.equal(defaultServerName("feature.x"), "mcp-aks-feature-x");
        assert.throws(() => defaultServerName("  "), /stack name is empty/);
    });

    it("accepts letters, digits, '-' and '_' only", () => {
        assert.equal(validateServerName("docs_search-2"), "docs_search-2");
        for (const bad of ["", "has space", "dot.ted", "slash/x", "ü", "x".repeat(65)]) {
            assert.throws(() => validateServerName(bad), /invalid MCP server name/, bad);
        }
    });

    it("documentFor rejects duplicate names and bad header names", () => {
        const s = { name: "a", url: "http://1.2.3.4" };
        assert.throws(() => documentFor("mcp", [s, s]), /duplicate MCP server name "a"/);
        assert.throws(() => documentFor("vscode", [{ ...s, auth: { header: "Bad Header" } }]), /invalid auth header name/);
        assert.throws(() => documentFor("claude", [{ name: "a", url: "ftp://x" }]), /MCP server a: unsupported URL scheme/);
    });
});

describe("client-config: document shapes", () => {
    const plain: McpServerEntry[] = [{ name: "mcp-aks-dev", url: "http://20.1.2.3" }];
    const withAuth: McpServerEntry[] = [
        { name: "mcp-aks-dev", url: "https://mcp.example.com/mcp/", description: "docs search", auth: { header: "Authorization" } },
    ];

    it("mcp (.mcp.json): type http and the /mcp URL, nothing else", () => {
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

    it("claude: npx runs the pinned mcp-remote, with --allow-http only for http://", () => {
        assert.match(MCP_REMOTE_VERSION, /^\d+\.\d+\.\d+$/);
        assert.deepEqual(documentFor("claude", plain), {
            mcpServers: { "mcp-aks-dev": { command: "npx", args: ["-y", `mcp-remote@${MCP_REMOTE_VERSION}`, "http://20.1.2.3/mcp", "--allow-http"] } },
        });
        assert.deepEqual(documentFor("claude", withAuth).mcpServers["mcp-aks-dev"].args, [
            "-y",
            `mcp-remote@${MCP_REMOTE_VERSION}`,
            "https://mcp.example.com/mcp",
            "--header",
            "Authorization:${MCP_AKS_DEV_AUTH}",
        ]);
    });

    it("every URL in every document ends in exactly one /mcp", () => {
        const servers: McpServerEntry[] = [
            { name: "a", url: "http://1.2.3.4/" },
            { name: "b", url: "https://b.example.com/x/mcp//" },
        ];
        for (const format of CLIENT_FORMATS) {
            const urls = JSON.stringify(documentFor(format, servers)).match(/https?:\/\/[^"]+/g) ?? [];
            assert.equal(urls.length, 2, format);
            for (const u of urls) assert.match(u, /^https?:\/\/[^/]+(\/[^/]+)*\/mcp$/, `${format}: ${u}`);
            assert.ok(!urls.some((u) => u.includes("/mcp/mcp")), format);
        }
    });

    it("no secret is embedded: every header value is a placeholder", () => {
        const servers: McpServerEntry[] = [
            { name: "one", url: "http://1.2.3.4", auth: { header: "Authorization" } },
            { name: "two", url: "https://two.example.com", auth: { header: "X-Api-Key" } },
        ];
        const docs = clientConfigs("http://1.2.3.4/mcp", servers)!;
        const vscodeValues = headerValues(docs.vscode);
        assert.deepEqual(vscodeValues, ["${input:one-auth}", "${input:two-auth}"]);
        for (const v of vscodeValues) assert.match(v, /^\$\{input:[A-Za-z0-9_-]+\}$/);
        for (const format of ["mcp", "claude"] as const) {
            const values = headerValues(docs[format]);
            assert.deepEqual(values, ["${ONE_AUTH}", "${TWO_AUTH}"], format);
        }
        for (const input of docs.vscode.inputs) assert.equal(input.password, true);
        // A secret-looking value handed in anywhere it could leak is refused before it reaches a document.
        assert.throws(() => clientConfigs(`http://1.2.3.4/mcp?key=${SECRET}`));
    });
});

describe("client-config: clientConfigs", () => {
    it("returns undefined while the endpoint is empty or absent", () => {
        assert.equal(clientConfigs(undefined), undefined);
        assert.equal(clientConfigs(null), undefined);
        assert.equal(clientConfigs("  ", undefined, { stack: "dev" }), undefined);
    });

    it("without a server list, names the one server mcp-aks-<stack>", () => {
        const docs = clientConfigs("http://20.1.2.3", undefined, { stack: "dev" })!;
        assert.deepEqual(Object.keys(docs), ["mcp", "vscode", "claude"]);
        assert.deepEqual(docs.mcp, { mcpServers: { "mcp-aks-dev": { type: "http", url: "http://20.1.2.3/mcp" } } });
        assert.deepEqual(Object.keys(docs.vscode.servers), ["mcp-aks-dev"]);
        assert.deepEqual(Object.keys(docs.claude.mcpServers), ["mcp-aks-dev"]);
        assert.deepEqual(Object.keys(clientConfigs("http://20.1.2.3")!.mcp.mcpServers), ["mcp-aks"]);
    });

    it("with a server list, uses it instead of the endpoint", () => {
        const docs = clientConfigs("http://20.1.2.3/mcp", [{ name: "search", url: "http://20.9.9.9" }], { stack: "dev" })!;
        assert.deepEqual(docs.mcp, { mcpServers: { search: { type: "http", url: "http://20.9.9.9/mcp" } } });
    });

    it("exports the stack output names index.ts and the CLI share", () => {
        assert.equal(STACK_OUTPUTS.endpoint, "mcpEndpoint");
        assert.equal(STACK_OUTPUTS.servers, "mcpServers");
        assert.equal(STACK_OUTPUTS.clientConfig, "clientConfig");
    });

    it("parseServerList checks the shape of the mcpServers output", () => {
        assert.deepEqual(parseServerList([{ name: "a", url: "http://1.2.3.4", extra: 1 }]), [{ name: "a", url: "http://1.2.3.4/mcp" }]);
        assert.throws(() => parseServerList({ name: "a" }), /must be a list/);
        assert.throws(() => parseServerList([{ name: "a" }]), /mcpServers\[0\]\.url must be a string/);
        assert.throws(() => parseServerList([{ name: "a", url: "x", auth: { header: 3 } }]), /auth must be/);
    });
});

describe("client-config: mergeClientConfig", () => {
    const servers: McpServerEntry[] = [{ name: "mcp-aks-dev", url: "http://20.1.2.3", auth: { header: "Authorization" } }];
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
