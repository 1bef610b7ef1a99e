/**
 * Sign-in redirects: the callback every supported client really uses must match a redirect URI on the app
 * registration under Entra's documented rule (exact match, except that a loopback URI's port is ignored;
 * host and path still count), or the browser shows AADSTS50011 instead of returning to the client.
 */
import { strict as assert } from "assert";
import { CLAUDE_CONNECTOR_REDIRECTS, LOOPBACK_REDIRECTS } from "../components/azure/entra-app";

const LOOPBACK_HOSTS = new Set(["localhost", "127.0.0.1", "[::1]"]);

/** Entra's match of a requested redirect_uri against one registered URI (reply-url, "Localhost exceptions"). */
function entraMatches(registered: string, requested: string): boolean {
    const r = new URL(registered);
    const q = new URL(requested);
    if (r.protocol === "http:" && LOOPBACK_HOSTS.has(r.hostname)) {
        return q.protocol === "http:" && q.hostname === r.hostname && q.pathname === r.pathname && q.search === r.search;
    }
    return r.href === q.href;
}

/** What each client sends as redirect_uri, with the port it happened to pick. */
const CLIENT_CALLBACKS: Array<[string, string]> = [
    ["Claude Code", "http://localhost:49152/callback"],
    ["mcp-remote (Claude Desktop bridge)", "http://localhost:3334/oauth/callback"],
    ["VS Code", "http://127.0.0.1:33418/"],
    ["claude.ai connector", "https://claude.ai/api/mcp/auth_callback"],
    ["claude.com connector", "https://claude.com/api/mcp/auth_callback"],
];

describe("Entra sign-in redirects", () => {
    const registered = [...CLAUDE_CONNECTOR_REDIRECTS, ...LOOPBACK_REDIRECTS];

    for (const [client, callback] of CLIENT_CALLBACKS) {
        it(`${client}: ${callback} matches a registered redirect URI`, () => {
            assert.ok(registered.some((uri) => entraMatches(uri, callback)), `${callback} matches none of ${registered.join(", ")}`);
        });
    }

    it("the model of Entra's rule can fail: a path-less loopback URI does not accept a callback path, nor another host", () => {
        assert.ok(!entraMatches("http://localhost", "http://localhost:49152/callback"));
        assert.ok(!entraMatches("http://localhost/callback", "http://127.0.0.1:49152/callback"));
        assert.ok(entraMatches("http://localhost/callback", "http://localhost:1234/callback"), "any port");
        assert.ok(!entraMatches("https://claude.ai/api/mcp/auth_callback", "https://claude.ai:8443/api/mcp/auth_callback"), "ports count for web URIs");
    });

    it("registers no loopback URI with a port (Entra ignores it, and duplicates that differ only by port are refused)", () => {
        for (const uri of LOOPBACK_REDIRECTS) assert.equal(new URL(uri).port, "", uri);
        assert.equal(new Set(LOOPBACK_REDIRECTS).size, LOOPBACK_REDIRECTS.length);
    });
});
