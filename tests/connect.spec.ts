/**
 * `npm run connect`: arguments, the forwards built from the stack outputs, and a run against a fake
 * kubectl on PATH that records its command lines and prints what kubectl port-forward prints.
 */
import { strict as assert } from "assert";
import { spawn } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { FIRST_LOCAL_PORT, ServerTarget, forwardTargets, parseServerTargets } from "../components/access";
import { ConnectDeps, MAX_FAILED_STARTS, kubectlArgs, main, parseArgs, urlList } from "../scripts/connect";

const DOCS: ServerTarget = { name: "docs", namespace: "mcp-server", service: "docs-mcp", port: 3000, path: "/mcp" };
const SEARCH: ServerTarget = { name: "search", namespace: "mcp-server", service: "search-mcp", port: 8080, path: "/sse" };
const KUBECONFIG = "apiVersion: v1\nkind: Config\n# placeholder kubeconfig\n";

/**
 * A kubectl stand-in: appends its arguments and the kubeconfig it was given to $FAKE_LOG, fails for a
 * Service named in $FAKE_FAIL, and otherwise prints kubectl's ready line and waits to be stopped.
 */
const FAKE_KUBECTL = `#!/bin/sh
echo "ARGS $*" >> "$FAKE_LOG"
echo "KUBECONFIG $(tr '\\n' ' ' < "$2")MODE $(stat -c %a "$2")" >> "$FAKE_LOG"
for a in "$@"; do
  if [ -n "$FAKE_FAIL" ] && [ "$a" = "service/$FAKE_FAIL" ]; then echo "error: services \\"$FAKE_FAIL\\" not found" >&2; exit 1; fi
done
ports="$(eval echo \\$$#)"
echo "Forwarding from 127.0.0.1:\${ports%%:*} -> \${ports##*:}"
if [ -n "$FAKE_DROP" ] && [ ! -e "$FAKE_LOG.dropped" ]; then
  for a in "$@"; do
    if [ "$a" = "service/$FAKE_DROP" ]; then touch "$FAKE_LOG.dropped"; sleep 0.2; echo "error: lost connection to pod" >&2; exit 1; fi
  done
fi
exec sleep 30
`;

describe("connect: forwards from the stack outputs", () => {
    it("one forward per server in name order, each on its own fixed local port, with the server's path", () => {
        const targets = forwardTargets([SEARCH, DOCS]);
        assert.deepEqual(targets, [
            { name: "docs", namespace: "mcp-server", resource: "service/docs-mcp", remotePort: 3000, localPort: FIRST_LOCAL_PORT, url: `http://localhost:${FIRST_LOCAL_PORT}/mcp` },
            { name: "search", namespace: "mcp-server", resource: "service/search-mcp", remotePort: 8080, localPort: FIRST_LOCAL_PORT + 1, url: `http://localhost:${FIRST_LOCAL_PORT + 1}/sse` },
        ]);
    });

    it("builds the kubectl command line and the URL list", () => {
        const [docs] = forwardTargets([DOCS]);
        assert.deepEqual(kubectlArgs("/tmp/k", docs), ["--kubeconfig", "/tmp/k", "port-forward", "--namespace", "mcp-server", "service/docs-mcp", `${FIRST_LOCAL_PORT}:3000`]);
        const list = urlList("dev", forwardTargets([DOCS, SEARCH]));
        assert.match(list, /^MCP servers of stack "dev"/);
        assert.match(list, /\n {2}docs {4}http:\/\/localhost:18080\/mcp\n {2}search {2}http:\/\/localhost:18081\/sse\n/);
    });

    it("checks the servers output and says which field is wrong", () => {
        assert.deepEqual(parseServerTargets([SEARCH, DOCS]).map((t) => t.name), ["docs", "search"]);
        assert.throws(() => parseServerTargets({}), /must be a list/);
        assert.throws(() => parseServerTargets([{ ...DOCS, service: "" }]), /servers\[0\]\.service must be a non-empty string/);
        assert.throws(() => parseServerTargets([{ ...DOCS, port: 0 }]), /servers\[0\]\.port must be a port number/);
        assert.throws(() => parseServerTargets([{ ...DOCS, path: "mcp" }]), /servers\[0\]\.path "mcp" is not an absolute URL path/);
        assert.throws(() => parseServerTargets([{ ...DOCS, name: "Docs" }]), /is not a server name/);
        assert.throws(() => parseServerTargets([DOCS, DOCS]), /appears twice/);
    });

    it("parses --stack in both forms and rejects anything else with exit code 2", async () => {
        assert.deepEqual(parseArgs(["--stack", "dev"]), { stack: "dev", help: false });
        assert.deepEqual(parseArgs(["--stack=prod"]), { stack: "prod", help: false });
        assert.deepEqual(parseArgs([]), { help: false });
        for (const argv of [["--stack"], ["--stack="], ["--bogus"], ["dev"]]) {
            let err = "";
            const code = await main(argv, { stderr: (t) => void (err += t), runPulumi: async () => assert.fail("pulumi must not run") });
            assert.equal(code, 2, argv.join(" "));
            assert.match(err, /^connect: /);
        }
    });
});

describe("connect: against a fake kubectl on PATH", function () {
    let dir: string;
    let log: string;
    beforeEach(() => {
        dir = fs.mkdtempSync(path.join(os.tmpdir(), "connect-spec-"));
        fs.mkdirSync(path.join(dir, "bin"));
        fs.writeFileSync(path.join(dir, "bin", "kubectl"), FAKE_KUBECTL, { mode: 0o755 });
        log = path.join(dir, "kubectl.log");
    });
    afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

    interface Run {
        code: number;
        out: string;
        err: string;
        pulumi: string[][];
    }

    async function connect(outputs: Record<string, unknown>, env: Record<string, string> = {}, overrides: Partial<ConnectDeps> = {}): Promise<Run> {
        const r: Run = { code: -1, out: "", err: "", pulumi: [] };
        let finished = false;
        const tmp = path.join(dir, "tmp");
        fs.mkdirSync(tmp, { recursive: true });
        r.code = await main(["--stack", "dev"], {
            runPulumi: async (args) => {
                r.pulumi.push([...args]);
                if (args[2] === "kubeconfig") return KUBECONFIG;
                return JSON.stringify(outputs);
            },
            spawnKubectl: (args) =>
                spawn("kubectl", [...args], {
                    stdio: ["ignore", "pipe", "pipe"],
                    env: { ...process.env, PATH: `${path.join(dir, "bin")}${path.delimiter}${process.env.PATH}`, FAKE_LOG: log, ...env },
                }),
            stdout: (t) => void (r.out += t),
            stderr: (t) => void (r.err += t),
            // Stop as soon as the URLs are printed, as a user pressing Ctrl+C would.
            stopRequested: () =>
                new Promise((resolve) => {
                    const poll = setInterval(() => {
                        if (finished) clearInterval(poll);
                        else if (r.out.includes("Press Ctrl+C")) {
                            clearInterval(poll);
                            resolve();
                        }
                    }, 10);
                }),
            tmpdir: tmp,
            restartDelayMs: 10,
            ...overrides,
        });
        finished = true;
        return r;
    }

    it("forwards every server through the stack's kubeconfig, prints the URLs, and cleans up", async () => {
        const r = await connect({ servers: [SEARCH, DOCS] });
        assert.equal(r.code, 0, r.err);
        assert.deepEqual(r.pulumi, [
            ["stack", "output", "--json", "--stack", "dev"],
            ["stack", "output", "kubeconfig", "--show-secrets", "--stack", "dev"],
        ]);
        const lines = fs.readFileSync(log, "utf8").trim().split("\n");
        const calls = lines.filter((l) => l.startsWith("ARGS ")).map((l) => l.slice(5).replace(/--kubeconfig \S+/, "--kubeconfig K")).sort();
        assert.deepEqual(calls, [
            "--kubeconfig K port-forward --namespace mcp-server service/docs-mcp 18080:3000",
            "--kubeconfig K port-forward --namespace mcp-server service/search-mcp 18081:8080",
        ]);
        for (const l of lines.filter((x) => x.startsWith("KUBECONFIG "))) {
            assert.equal(l, `KUBECONFIG ${KUBECONFIG.split("\n").join(" ")}MODE 600`, "the stack's kubeconfig, private to the user");
        }
        assert.ok(r.out.includes("docs    http://localhost:18080/mcp") && r.out.includes("search  http://localhost:18081/sse"), r.out);
        assert.deepEqual(fs.readdirSync(path.join(dir, "tmp")), [], "the temporary kubeconfig is removed");
    });

    it("reopens nothing and stops with the kubectl error when a forward cannot start", async () => {
        const r = await connect({ servers: [DOCS, SEARCH] }, { FAKE_FAIL: "search-mcp" }, { stopRequested: () => new Promise(() => undefined) });
        assert.equal(r.code, 1);
        assert.match(r.err, new RegExp(`connect: the forward to search \\(service/search-mcp in mcp-server\\) failed ${MAX_FAILED_STARTS} times: error: services "search-mcp" not found`));
        const starts = fs.readFileSync(log, "utf8").split("\n").filter((l) => l.includes("service/search-mcp")).length;
        assert.equal(starts, MAX_FAILED_STARTS);
        assert.ok(!r.out.includes("Press Ctrl+C"), "no URL list while a forward is down");
        assert.deepEqual(fs.readdirSync(path.join(dir, "tmp")), []);
    });

    it("reopens a forward that broke after it was up (a pod restarted)", async () => {
        const starts = () => (fs.existsSync(log) ? fs.readFileSync(log, "utf8").split("\n").filter((l) => l.startsWith("ARGS") && l.includes("service/docs-mcp")).length : 0);
        let out = "";
        const r = await connect({ servers: [DOCS] }, { FAKE_DROP: "docs-mcp" }, {
            stdout: (t) => void (out += t),
            stopRequested: () =>
                new Promise((resolve) => {
                    const poll = setInterval(() => {
                        if (starts() >= 2 && out.includes("Press Ctrl+C")) {
                            clearInterval(poll);
                            resolve();
                        }
                    }, 10);
                }),
        });
        assert.equal(r.code, 0, r.err);
        assert.equal(starts(), 2);
        assert.match(r.err, /connect: the forward to docs stopped \(error: lost connection to pod\); reopening/);
    });

    it("explains a missing kubectl", async () => {
        const r = await connect({ servers: [DOCS] }, {}, { spawnKubectl: (args) => spawn(path.join(dir, "no-such-kubectl"), [...args]) });
        assert.equal(r.code, 1);
        assert.match(r.err, /kubectl was not found on PATH; install it with `az aks install-cli`/);
    });

    it("explains a stack that is not deployed yet", async () => {
        const r = await connect({});
        assert.equal(r.code, 1);
        assert.match(r.err, /stack "dev" has no servers output yet: run `pulumi up --stack dev` first/);
        assert.ok(!fs.existsSync(log), "kubectl not run");
    });
});
