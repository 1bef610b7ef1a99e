/**
 * Reaching the servers through the edge: `npm run connect` forwards the edge once (private mode) and
 * every server is `<edge>/mcp/<name>`; a public edge needs no forward. The client documents use the same URLs.
 */
import { strict as assert } from "assert";
import { EdgeTarget, ServerTarget, clientUrls, distinctForwards, forwardTargets, parseEdgeTarget } from "../components/access";
import { clientEntries } from "../components/client-config";

const DOCS: ServerTarget = { name: "docs", namespace: "mcp-server", service: "docs-mcp", port: 3000, path: "/mcp" };
const SEARCH: ServerTarget = { name: "search", namespace: "mcp-server", service: "search-mcp", port: 8080, path: "/sse" };
const PRIVATE: EdgeTarget = { exposure: "private", namespace: "mcp-server", service: "mcp-edge", port: 8080, baseUrl: "http://localhost:8080" };
const PUBLIC: EdgeTarget = { exposure: "keyVault", namespace: "mcp-server", service: "mcp-edge", port: 443, baseUrl: "https://mcp.example.com" };

describe("access through the edge", () => {
    it("a private edge: every server behind the one forward of the edge, at /mcp/<name>", () => {
        const targets = forwardTargets([SEARCH, DOCS], PRIVATE);
        assert.deepEqual(targets.map((t) => [t.name, t.resource, `${t.localPort}:${t.remotePort}`, t.url]), [
            ["docs", "service/mcp-edge", "8080:8080", "http://localhost:8080/mcp/docs"],
            ["search", "service/mcp-edge", "8080:8080", "http://localhost:8080/mcp/search"],
        ]);
        assert.equal(distinctForwards(targets).length, 1, "connect opens one forward for all of them");
    });

    it("a public edge: nothing to forward, the servers are at the public name", () => {
        assert.deepEqual(forwardTargets([DOCS], PUBLIC), []);
        assert.deepEqual(clientUrls([DOCS, SEARCH], PUBLIC), [
            { name: "docs", url: "https://mcp.example.com/mcp/docs" },
            { name: "search", url: "https://mcp.example.com/mcp/search" },
        ]);
    });

    it("without an edge output (an older stack), each server keeps its own forward", () => {
        const targets = forwardTargets([DOCS, SEARCH]);
        assert.deepEqual(targets.map((t) => t.resource), ["service/docs-mcp", "service/search-mcp"]);
        assert.equal(distinctForwards(targets).length, 2);
    });

    it("client entries name the server per stack and use the edge URL", () => {
        assert.deepEqual(clientEntries("dev", [DOCS], PRIVATE).map((e) => [e.name, e.url]), [["mcp-aks-dev-docs", "http://localhost:8080/mcp/docs"]]);
    });

    it("client entries carry the edge's sign-in client id when its output names one (older outputs do not)", () => {
        const id = "44444444-4444-4444-4444-444444444444";
        assert.deepEqual(clientEntries("dev", [DOCS, SEARCH], { ...PUBLIC, clientId: id }).map((e) => e.oauthClientId), [id, id]);
        assert.equal(clientEntries("dev", [DOCS], PUBLIC)[0].oauthClientId, undefined);
        assert.equal(parseEdgeTarget({ ...PUBLIC, clientId: id }).clientId, id);
        assert.throws(() => parseEdgeTarget({ ...PUBLIC, clientId: 42 }), /edge\.clientId/);
    });

    it("checks the edge output and says which field is wrong", () => {
        assert.deepEqual(parseEdgeTarget({ ...PRIVATE, address: "", urls: {} }), PRIVATE);
        assert.throws(() => parseEdgeTarget({ ...PRIVATE, exposure: "open" }), /edge\.exposure/);
        assert.throws(() => parseEdgeTarget({ ...PRIVATE, port: 0 }), /edge\.port/);
        assert.throws(() => parseEdgeTarget({ ...PRIVATE, baseUrl: "" }), /edge\.baseUrl/);
    });
});
