/**
 * The smoke test's edge checks, run for real with `sh` and curl against a local stand-in of the edge: the
 * routes of a real config, called by their public URLs through `--connect-to`, over HTTP (private mode)
 * and HTTPS with certificate verification (keyVault mode), and each way an edge can fail to demand sign-in.
 */
import { strict as assert } from "assert";
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { EdgeSmokeTarget, edgeSmokeTarget, smokeEdgeEnv } from "../components/cluster/specs/smoke-test";
import { configFor, key } from "./fixtures";
import { EdgeFault, Run, edgeStandIn, runScript, standIn } from "./smoke-standins";

const TWO_SERVERS = { [key("mcpServers")]: JSON.stringify({ search: { image: "search-mcp:2.0.0", port: 8080 } }) };
const PRIVATE = edgeSmokeTarget(configFor("dev", TWO_SERVERS));
const KEY_VAULT = edgeSmokeTarget(configFor("dev", { [key("edge")]: JSON.stringify({ tls: { mode: "keyVault", hostname: "mcp.example.com", certificateName: "mcp-tls" } }) }));

/** The Job's edge environment for `target`, with the in-cluster half of --connect-to pointed at the stand-in. */
function edgeEnv(target: EdgeSmokeTarget, port: number, extra: Record<string, string> = {}): Record<string, string> {
    const [publicHost, publicPort] = target.connectTo.split(":");
    const local = { ...target, connectTo: `${publicHost}:${publicPort}:127.0.0.1:${port}` };
    return { ...Object.fromEntries(smokeEdgeEnv(local).map((e) => [e.name, e.value])), SMOKE_EDGE_RETRY_DELAY_SECONDS: "1", SMOKE_EDGE_WAIT_SECONDS: "0", ...extra };
}

/** Runs the script against a correct MCP stand-in and the edge stand-in `fault`. */
async function withEdge(fault: EdgeFault, target: EdgeSmokeTarget = PRIVATE, extra: Record<string, string> = {}, tls?: { key: string; cert: string }) {
    const mcp = standIn("none");
    const edge = edgeStandIn(fault, tls);
    const base = await mcp.start();
    const port = await edge.start();
    try {
        const run = await runScript(`docs-mcp ${base}/health ${base}/mcp`, edgeEnv(target, port, extra));
        return { ...run, seen: edge.seen };
    } finally {
        await mcp.stop();
        await edge.stop();
    }
}

function failedWith(r: Run, message: RegExp): void {
    assert.equal(r.code, 1, r.stdout);
    assert.match(r.stderr, message);
    assert.match(r.terminationLog, message, "the verdict reaches the pod's termination message");
    assert.doesNotMatch(r.stdout, /smoke test passed/);
}

describe("smoke-test.sh: the edge demands sign-in on every route (local stand-in)", function () {
    this.timeout(30000);
    let tlsDir: string;
    let tls: { key: string; cert: string; certFile: string; otherCertFile: string };

    before(() => {
        tlsDir = fs.mkdtempSync(path.join(os.tmpdir(), "smoke-tls-"));
        const make = (name: string, host: string) => {
            execFileSync("openssl", ["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-days", "2", "-subj", `/CN=${host}`, "-addext", `subjectAltName=DNS:${host}`, "-keyout", path.join(tlsDir, `${name}.key`), "-out", path.join(tlsDir, `${name}.pem`)], { stdio: "ignore" });
            return path.join(tlsDir, `${name}.pem`);
        };
        const certFile = make("edge", "mcp.example.com");
        const otherCertFile = make("other", "other.example.com");
        tls = { key: fs.readFileSync(path.join(tlsDir, "edge.key"), "utf8"), cert: fs.readFileSync(certFile, "utf8"), certFile, otherCertFile };
    });
    after(() => fs.rmSync(tlsDir, { recursive: true, force: true }));

    it("passes a private edge: every route of the config gets 401 naming its metadata, a made-up token 401, metadata for itself", async () => {
        const r = await withEdge("none");
        assert.equal(r.code, 0, r.stderr);
        for (const name of ["docs", "search"]) {
            assert.match(r.stdout, new RegExp(`ok {3}edge /mcp/${name} 401 without a token, challenge names http://localhost:8080/\\.well-known/oauth-protected-resource/mcp/${name}\\n`));
            assert.match(r.stdout, new RegExp(`ok {3}edge /mcp/${name} 401 with a made-up token\\n`));
            assert.match(r.stdout, new RegExp(`ok {3}edge /mcp/${name} metadata names http://localhost:8080/mcp/${name} and an authorization server\\n`));
        }
        assert.match(r.stdout, /smoke test passed: 1 target\(s\), 2 edge route\(s\)/);
        assert.deepEqual(
            r.seen.map((s) => `${s.method} ${s.url} ${s.headers.authorization ? "token" : "anonymous"}`),
            ["docs", "search"].flatMap((n) => [`POST /mcp/${n} anonymous`, `POST /mcp/${n} token`, `GET /.well-known/oauth-protected-resource/mcp/${n} anonymous`]),
        );
        // The stand-in builds URLs from Host: the public name must be what arrives, not the Service's.
        for (const s of r.seen) assert.equal(s.headers.host, "localhost:8080");
        assert.match(String(r.seen[1].headers.authorization), /^Bearer [\w-]+\.[\w-]+\.[\w-]+$/, "shaped like a JWT, so a lax edge would try it");
    });

    it("passes an HTTPS edge whose certificate is valid for the public name, checked as clients check it", async () => {
        const r = await withEdge("none", KEY_VAULT, { CURL_CA_BUNDLE: tls.certFile }, tls);
        assert.equal(r.code, 0, r.stderr);
        assert.match(r.stdout, /ok {3}edge \/mcp\/docs 401 without a token, challenge names https:\/\/mcp\.example\.com\/\.well-known\/oauth-protected-resource\/mcp\/docs/);
        for (const s of r.seen) assert.equal(s.headers.host, "mcp.example.com");
    });

    it("fails an HTTPS edge whose certificate clients would not trust", async () => {
        const r = await withEdge("none", KEY_VAULT, { CURL_CA_BUNDLE: tls.otherCertFile }, tls);
        failedWith(r, /^smoke test FAILED for edge \/mcp\/docs at POST https:\/\/mcp\.example\.com\/mcp\/docs without a token: no response after 0s: curl: \(60\) /m);
    });

    const failures: Array<[EdgeFault, RegExp]> = [
        ["open", /^smoke test FAILED for edge \/mcp\/docs at POST http:\/\/localhost:8080\/mcp\/docs without a token: HTTP 200: the route serves MCP to anyone \(expected 401 asking for sign-in\)$/m],
        ["no-challenge", /^smoke test FAILED for edge \/mcp\/docs at POST .* without a token: 401 without a WWW-Authenticate header: MCP clients cannot find where to sign in$/m],
        ["basic-challenge", /^smoke test FAILED for edge \/mcp\/docs at POST .* without a token: WWW-Authenticate is not a Bearer challenge: Basic realm="mcp"$/m],
        ["root-metadata", /^smoke test FAILED for edge \/mcp\/docs at POST .* without a token: the challenge does not name resource_metadata="http:\/\/localhost:8080\/\.well-known\/oauth-protected-resource\/mcp\/docs": Bearer resource_metadata="http:\/\/localhost:8080\/\.well-known\/oauth-protected-resource"$/m],
        ["any-token", /^smoke test FAILED for edge \/mcp\/docs at POST http:\/\/localhost:8080\/mcp\/docs with a made-up token: HTTP 200 \(expected 401: the edge must validate tokens\): /m],
        ["metadata-404", /^smoke test FAILED for edge \/mcp\/docs at GET http:\/\/localhost:8080\/\.well-known\/oauth-protected-resource\/mcp\/docs: HTTP 404 \(expected 200\): /m],
        ["metadata-other-resource", /^smoke test FAILED for edge \/mcp\/docs at GET .*: the metadata's resource is not http:\/\/localhost:8080\/mcp\/docs: /m],
        ["no-authorization-servers", /^smoke test FAILED for edge \/mcp\/docs at GET .*: the metadata names no authorization server: /m],
    ];
    for (const [fault, message] of failures) {
        it(`fails with the route and step named when the edge answers ${fault}`, async () => {
            const r = await withEdge(fault);
            failedWith(r, message);
            assert.match(r.stderr, /FAILED for edge \/mcp\/search/, "and reports every route, not just the first");
        });
    }

    it("waits for an edge that is still starting (5xx), then checks it", async () => {
        const r = await withEdge("starting", PRIVATE, { SMOKE_EDGE_WAIT_SECONDS: "10" });
        assert.equal(r.code, 0, r.stderr);
        assert.equal(r.seen.filter((s) => s.url === "/mcp/docs" && !s.headers.authorization).length, 3, "two 503s, then the 401");
    });

    it("gives up after the wait when nothing answers, with curl's reason", async () => {
        const edge = edgeStandIn("none");
        const port = await edge.start();
        await edge.stop();
        const mcp = standIn("none");
        const base = await mcp.start();
        try {
            const r = await runScript(`docs-mcp ${base}/health ${base}/mcp`, edgeEnv(PRIVATE, port, { SMOKE_EDGE_WAIT_SECONDS: "1" }));
            failedWith(r, /^smoke test FAILED for edge \/mcp\/docs at POST http:\/\/localhost:8080\/mcp\/docs without a token: no response after 1s: curl: \(7\) /m);
        } finally {
            await mcp.stop();
        }
    });

    it("refuses a malformed route line and still checks the others", async () => {
        const lines = `docs http://localhost:8080/mcp/docs\nsearch ${PRIVATE.routes[1].url} ${PRIVATE.routes[1].metadataUrl}`;
        const r = await withEdge("none", PRIVATE, { SMOKE_EDGE_ROUTES: lines });
        failedWith(r, /^smoke test FAILED for edge \/mcp\/docs at SMOKE_EDGE_ROUTES: expected "<name> <route-url> <metadata-url>"$/m);
        assert.match(r.stdout, /ok {3}edge \/mcp\/search 401 without a token/);
    });

    it("refuses routes without a connection target", async () => {
        const r = await withEdge("none", PRIVATE, { SMOKE_EDGE_CONNECT_TO: "" });
        failedWith(r, /^smoke test FAILED for edge at SMOKE_EDGE_CONNECT_TO: empty/m);
    });
});
