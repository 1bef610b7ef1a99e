import { strict as assert } from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { MCP_REMOTE_VERSION } from "../components/client-config";
import { CliDeps, claudeDesktopConfigPath, describePulumiFailure, main, parseArgs, targetPath } from "../scripts/client-config";

interface Run {
    code: number;
    out: string;
    err: string;
    calls: string[][];
}

type FakePulumi = (args: readonly string[]) => Promise<string>;

/** Pulumi that knows one selected stack and returns the given outputs for it. */
function pulumiWith(outputs: Record<string, unknown>, selected: string | null = "dev"): FakePulumi {
    return async (args) => {
        if (args[0] === "stack" && args[1] === "--show-name") {
            if (selected === null) throw Object.assign(new Error("Command failed: pulumi stack --show-name"), { code: 255, stderr: "error: no stack selected; please use `pulumi stack select` to choose one\n" });
            return `${selected}\n`;
        }
        if (args[0] === "stack" && args[1] === "output") return JSON.stringify(outputs);
        throw new Error(`unexpected pulumi ${args.join(" ")}`);
    };
}

describe("client-config CLI", () => {
    let dir: string;

    beforeEach(() => {
        dir = fs.mkdtempSync(path.join(os.tmpdir(), "client-config-"));
    });
    afterEach(() => {
        fs.rmSync(dir, { recursive: true, force: true });
    });

    async function run(argv: string[], runPulumi: FakePulumi, extra: Partial<CliDeps> = {}): Promise<Run> {
        const result: Run = { code: -1, out: "", err: "", calls: [] };
        result.code = await main(argv, {
            runPulumi: (args) => {
                result.calls.push([...args]);
                return runPulumi(args);
            },
            stdout: (t) => void (result.out += t),
            stderr: (t) => void (result.err += t),
            cwd: dir,
            env: {},
            homedir: path.join(dir, "home"),
            platform: "linux",
            ...extra,
        });
        return result;
    }

    const DOCS = { name: "docs", namespace: "mcp-server", service: "docs-mcp", port: 3000, path: "/mcp" };
    const SEARCH = { name: "search", namespace: "mcp-server", service: "search-mcp", port: 8080, path: "/mcp" };
    const ready = pulumiWith({ servers: [DOCS], stackName: "dev" });
    const readJson = (file: string): unknown => JSON.parse(fs.readFileSync(file, "utf8"));

    it("writes .mcp.json by default, reading the stack named by --stack", async () => {
        const r = await run(["--stack", "dev"], ready);
        assert.equal(r.code, 0, r.err);
        assert.deepEqual(r.calls, [["stack", "output", "--json", "--stack", "dev"]]);
        assert.deepEqual(readJson(path.join(dir, ".mcp.json")), { mcpServers: { "mcp-aks-dev-docs": { type: "http", url: "http://localhost:18080/mcp" } } });
        assert.match(r.out, /Wrote .*\.mcp\.json: mcp-aks-dev-docs -> http:\/\/localhost:18080\/mcp/);
        assert.match(r.out, /Start `npm run connect -- --stack dev` and keep it running/);
        assert.equal(r.err, "");
    });

    it("behind the edge: the edge URL and the edge's sign-in client id, as a deployed stack outputs them", async () => {
        const clientId = "44444444-4444-4444-4444-444444444444";
        const edge = { exposure: "keyVault", namespace: "mcp-server", service: "mcp-edge", port: 443, baseUrl: "https://mcp.example.com", clientId, address: "20.1.2.3", urls: {} };
        const r = await run(["--stack", "dev"], pulumiWith({ servers: [DOCS], edge }));
        assert.equal(r.code, 0, r.err);
        assert.deepEqual(readJson(path.join(dir, ".mcp.json")), { mcpServers: { "mcp-aks-dev-docs": { type: "http", url: "https://mcp.example.com/mcp/docs", oauth: { clientId } } } });
        assert.match(r.out, /sign in with your Microsoft \(Entra ID\) account/);
        assert.doesNotMatch(r.out, /npm run connect/, "a public edge needs no forward");
    });

    it("uses the selected stack when --stack is absent", async () => {
        const r = await run(["--format", "vscode"], pulumiWith({ servers: [DOCS] }, "prod"));
        assert.equal(r.code, 0, r.err);
        assert.deepEqual(r.calls[1], ["stack", "output", "--json", "--stack", "prod"]);
        assert.deepEqual(readJson(path.join(dir, ".vscode", "mcp.json")), {
            servers: { "mcp-aks-prod-docs": { type: "http", url: "http://localhost:18080/mcp" } },
            inputs: [],
        });
    });

    it("writes the Claude Desktop config at the OS path, creating parent directories", async () => {
        const r = await run(["--stack=dev", "--format=claude"], ready);
        assert.equal(r.code, 0, r.err);
        const file = path.join(dir, "home", ".config", "Claude", "claude_desktop_config.json");
        assert.deepEqual(readJson(file), {
            mcpServers: { "mcp-aks-dev-docs": { command: "npx", args: ["-y", `mcp-remote@${MCP_REMOTE_VERSION}`, "http://localhost:18080/mcp"] } },
        });
    });

    it("writes one entry per server of the servers output, each at its forwarded port", async () => {
        const r = await run(["--stack", "dev", "--out", "cfg/custom.json"], pulumiWith({ servers: [SEARCH, DOCS] }));
        assert.equal(r.code, 0, r.err);
        assert.deepEqual(readJson(path.join(dir, "cfg", "custom.json")), {
            mcpServers: {
                "mcp-aks-dev-docs": { type: "http", url: "http://localhost:18080/mcp" },
                "mcp-aks-dev-search": { type: "http", url: "http://localhost:18081/mcp" },
            },
        });
    });

    it("--print writes the document to stdout and no file", async () => {
        const r = await run(["--stack", "dev", "--print", "--format", "vscode"], ready);
        assert.equal(r.code, 0, r.err);
        assert.deepEqual(JSON.parse(r.out), { servers: { "mcp-aks-dev-docs": { type: "http", url: "http://localhost:18080/mcp" } }, inputs: [] });
        assert.deepEqual(fs.readdirSync(dir), []);
    });

    it("merges into an existing file, keeping the user's servers and keys; a second run changes nothing", async () => {
        const file = path.join(dir, ".mcp.json");
        const user = { mcpServers: { theirs: { type: "stdio", command: "theirs" }, "mcp-aks-dev-docs": { type: "http", url: "http://old/mcp" } }, note: "keep" };
        fs.writeFileSync(file, JSON.stringify(user, null, 4));
        const first = await run(["--stack", "dev"], ready);
        assert.equal(first.code, 0, first.err);
        assert.deepEqual(readJson(file), {
            mcpServers: { theirs: { type: "stdio", command: "theirs" }, "mcp-aks-dev-docs": { type: "http", url: "http://localhost:18080/mcp" } },
            note: "keep",
        });
        assert.match(first.out, /^Updated /);
        const after = fs.readFileSync(file);
        const second = await run(["--stack", "dev"], ready);
        assert.equal(second.code, 0, second.err);
        assert.match(second.out, /already up to date/);
        assert.ok(fs.readFileSync(file).equals(after), "file is byte-identical after the second run");
    });

    it("refuses a malformed existing file and leaves it byte-identical", async () => {
        const file = path.join(dir, ".mcp.json");
        const broken = Buffer.from('{ "mcpServers": { "theirs": { "url": "http://x/mcp" }, } // half-edited\n');
        fs.writeFileSync(file, broken);
        const r = await run(["--stack", "dev"], ready);
        assert.equal(r.code, 1);
        assert.ok(fs.readFileSync(file).equals(broken), "file untouched");
        assert.deepEqual(fs.readdirSync(dir), [".mcp.json"], "no temp or backup file left behind");
        assert.match(r.err, /^client-config: .*\.mcp\.json is not valid JSON \(.+\); it was left unchanged/);
        assert.equal(r.err.trim().split("\n").length, 1, "one line");
    });

    it("refuses an existing file whose server map has the wrong shape, and leaves it unchanged", async () => {
        const file = path.join(dir, ".mcp.json");
        fs.writeFileSync(file, '{"mcpServers": []}');
        const r = await run(["--stack", "dev"], ready);
        assert.equal(r.code, 1);
        assert.equal(fs.readFileSync(file, "utf8"), '{"mcpServers": []}');
        assert.match(r.err, /"mcpServers" in the existing file is not an object/);
    });

    for (const [label, outputs] of [
        ["missing", {}],
        ["null", { servers: null }],
    ] as const) {
        it(`explains that the stack is not deployed yet when servers is ${label}`, async () => {
            const r = await run(["--stack", "dev"], pulumiWith(outputs));
            assert.equal(r.code, 1);
            assert.match(r.err, /stack "dev" has no servers output yet: run `pulumi up --stack dev` first/);
            assert.deepEqual(fs.readdirSync(dir), [], "nothing written");
        });
    }

    it("explains a stack whose servers are all disabled", async () => {
        const r = await run(["--stack", "dev"], pulumiWith({ servers: [] }));
        assert.equal(r.code, 1);
        assert.match(r.err, /runs no MCP server/);
        assert.deepEqual(fs.readdirSync(dir), []);
    });

    it("explains a missing Pulumi CLI (ENOENT)", async () => {
        const r = await run(["--stack", "dev"], async () => {
            throw Object.assign(new Error("spawn pulumi ENOENT"), { code: "ENOENT" });
        });
        assert.equal(r.code, 1);
        assert.match(r.err, /the Pulumi CLI was not found on PATH; install it/);
    });

    it("explains that no stack is selected", async () => {
        const r = await run([], pulumiWith({ servers: [DOCS] }, null));
        assert.equal(r.code, 1);
        assert.match(r.err, /no Pulumi stack selected; pass --stack dev \(or run `pulumi stack select dev`\)/);
    });

    it("explains an unknown stack and other pulumi failures in one line", async () => {
        const unknown = describePulumiFailure({ code: 255, stderr: "error: no stack named 'qa' found\n" }, "qa");
        assert.match(unknown.message, /stack "qa" was not found; list the stacks with `pulumi stack ls`/);
        const other = describePulumiFailure({ code: 255, stderr: "warning: x\nerror: something odd\nmore detail\n" }, "dev");
        assert.equal(other.message, "pulumi failed: something odd");
        const login = describePulumiFailure({ code: 255, stderr: "error: PULUMI_ACCESS_TOKEN must be set for login during non-interactive CLI sessions" }, "dev");
        assert.match(login.message, /run `pulumi login`/);
    });

    it("rejects a malformed servers output with a message naming the stack and the field", async () => {
        const r = await run(["--stack", "dev"], pulumiWith({ servers: [{ ...DOCS, port: "3000" }] }));
        assert.equal(r.code, 1);
        assert.match(r.err, /stack "dev": output servers is unusable: servers\[0\]\.port must be a port number/);
    });

    it("rejects bad arguments with exit code 2", async () => {
        for (const argv of [["--format", "cursor"], ["--stack"], ["--bogus"], ["--print", "--out", "x.json"]]) {
            const r = await run(argv, ready);
            assert.equal(r.code, 2, argv.join(" "));
            assert.deepEqual(r.calls, [], "pulumi not run");
        }
    });

    it("parses flags in both --flag value and --flag=value forms", () => {
        assert.deepEqual(parseArgs(["--stack=dev", "--format", "claude", "--out", "x.json"]), { stack: "dev", format: "claude", out: "x.json", print: false, help: false });
        assert.deepEqual(parseArgs([]), { format: "mcp", print: false, help: false });
    });

    it("knows where Claude Desktop keeps its config on each OS", () => {
        assert.equal(claudeDesktopConfigPath("darwin", {}, "/Users/a"), "/Users/a/Library/Application Support/Claude/claude_desktop_config.json");
        assert.equal(claudeDesktopConfigPath("win32", { APPDATA: "C:\\Users\\a\\AppData\\Roaming" }, "C:\\Users\\a"), "C:\\Users\\a\\AppData\\Roaming\\Claude\\claude_desktop_config.json");
        assert.equal(claudeDesktopConfigPath("linux", {}, "/home/a"), "/home/a/.config/Claude/claude_desktop_config.json");
        assert.equal(claudeDesktopConfigPath("linux", { XDG_CONFIG_HOME: "/xdg" }, "/home/a"), "/xdg/Claude/claude_desktop_config.json");
    });

    it("resolves relative paths from where npm was invoked (INIT_CWD)", () => {
        const deps = { platform: "linux" as const, homedir: "/home/a", cwd: "/repo" };
        assert.equal(targetPath("mcp", undefined, { ...deps, env: {} }), "/repo/.mcp.json");
        assert.equal(targetPath("vscode", undefined, { ...deps, env: { INIT_CWD: "/repo/sub" } }), "/repo/sub/.vscode/mcp.json");
        assert.equal(targetPath("mcp", "/abs/x.json", { ...deps, env: {} }), "/abs/x.json");
    });
});
