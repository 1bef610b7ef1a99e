/**
 * The edge's agentgateway config: every rendered document validates against agentgateway's published
 * config schema (tests/agentgateway/, an excerpt of schema/config.json), and each MCP route has what MCP
 * clients and Claude need (strict Entra sign-in with its metadata, timeouts past 300 s, streams kept alive,
 * sealed sessions, no secret in the file).
 */
import { strict as assert } from "assert";
import * as fs from "fs";
import * as path from "path";
import Ajv2020 from "ajv/dist/2020";
import * as YAML from "yaml";
import { edgeSettings, mcpRoutes } from "../components/cluster/specs";
import {
    AgwConfig,
    EDGE_ENV,
    EDGE_SSE_KEEPALIVE,
    EdgeRouteTarget,
    edgeGatewayConfig,
    protectedResourceMetadataUrl,
    renderEdgeGatewayConfig,
} from "../components/cluster/specs/edge-gateway";
import { StackConfig } from "../components/config";
import { configFor, key } from "./fixtures";

const SCHEMA = JSON.parse(fs.readFileSync(path.join(__dirname, "agentgateway", "config.schema.json"), "utf8"));
// The schema marks integer widths with formats (uint16, uint) that ajv does not know; min/max carry them.
const validate = new Ajv2020({ strict: false, validateFormats: false, allErrors: true }).compile(SCHEMA);

const ENTRA = { tenantId: "22222222-2222-2222-2222-222222222222", clientId: "44444444-4444-4444-4444-444444444444", hasClientSecret: true };
const KEYVAULT = { [key("edge")]: JSON.stringify({ tls: { mode: "keyVault", hostname: "mcp.example.com", certificateName: "mcp-tls" } }) };
const TWO_SERVERS: EdgeRouteTarget[] = [
    { name: "research", serviceName: "research-mcp", port: 3000 },
    { name: "tickets", serviceName: "tickets-mcp", port: 8080 },
];

/** The document as agentgateway reads it: the rendered YAML, parsed back. */
function rendered(cfg: StackConfig, routes = mcpRoutes(configFor("dev")), entra = ENTRA): AgwConfig {
    return YAML.parse(renderEdgeGatewayConfig(edgeGatewayConfig(edgeSettings(cfg, routes, entra))));
}

function schemaErrors(doc: unknown): string[] {
    return validate(doc) ? [] : (validate.errors ?? []).map((e) => `${e.instancePath} ${e.message}`);
}

function routesOf(doc: AgwConfig) {
    return doc.binds.flatMap((b) => b.listeners.flatMap((l) => l.routes));
}

describe("edge: agentgateway config", () => {
    const variants: Array<[string, StackConfig, EdgeRouteTarget[], typeof ENTRA]> = [
        ["dev, private", configFor("dev"), mcpRoutes(configFor("dev")), ENTRA],
        ["prod, private", configFor("prod"), mcpRoutes(configFor("dev")), ENTRA],
        ["keyVault TLS, two servers", configFor("dev", KEYVAULT), TWO_SERVERS, ENTRA],
        ["Let's Encrypt behind Caddy", configFor("dev", { [key("edge")]: JSON.stringify({ tls: { mode: "letsEncrypt", dnsLabel: "mcp-dev-contoso" } }) }), TWO_SERVERS, ENTRA],
        ["existing app without a client secret, roles not required", configFor("dev", { [key("edge")]: JSON.stringify({ entra: { requireAppRoles: false } }) }), mcpRoutes(configFor("dev")), { ...ENTRA, hasClientSecret: false }],
    ];
    for (const [label, cfg, routes, entra] of variants) {
        it(`validates against agentgateway's published schema: ${label}`, () => {
            assert.deepEqual(schemaErrors(rendered(cfg, routes, entra)), []);
        });
    }

    it("the schema check can fail: unknown fields, a missing resourceMetadata and a loose auth mode are rejected", () => {
        const doc = rendered(configFor("dev")) as any;
        const typo = structuredClone(doc);
        typo.binds[0].listeners[0].routes[0].policies.mcpAuthentification = typo.binds[0].listeners[0].routes[0].policies.mcpAuthentication;
        assert.ok(schemaErrors(typo).length > 0, "a misspelt policy");
        const noPrm = structuredClone(doc);
        delete noPrm.binds[0].listeners[0].routes[0].policies.mcpAuthentication.resourceMetadata;
        assert.ok(schemaErrors(noPrm).some((e) => /resourceMetadata/.test(e)));
        const loose = structuredClone(doc);
        loose.binds[0].listeners[0].routes[0].policies.mcpAuthentication.mode = "lenient";
        assert.ok(schemaErrors(loose).length > 0);
        const stdio = structuredClone(doc);
        stdio.binds[0].listeners[0].routes[0].backends[0].mcp.targets[0] = { name: "x", mcp: { host: "h", port: "3000", path: "/mcp" } };
        assert.ok(schemaErrors(stdio).length > 0, "a port that is not a number");
    });

    it("one route per server, to that server's Service, at /mcp/<server> with its metadata paths", () => {
        const routes = routesOf(rendered(configFor("dev"), TWO_SERVERS));
        assert.deepEqual(routes.map((r) => r.name), ["mcp-research", "mcp-tickets"]);
        for (const [r, target] of routes.map((r, i) => [r, TWO_SERVERS[i]] as const)) {
            assert.deepEqual(r.matches.map((m) => m.path), [
                { exact: `/mcp/${target.name}` },
                { exact: `/.well-known/oauth-protected-resource/mcp/${target.name}` },
                { pathPrefix: `/.well-known/oauth-authorization-server/mcp/${target.name}` },
            ]);
            assert.deepEqual(r.backends[0].mcp.targets, [{ name: target.name, mcp: { host: `${target.serviceName}.mcp-server.svc.cluster.local`, port: target.port, path: "/mcp" } }]);
        }
    });

    it("every route demands an Entra token: strict, issuer, both audience forms, Entra's JWKS, the adapter", () => {
        for (const r of routesOf(rendered(configFor("prod"), TWO_SERVERS))) {
            const a = r.policies.mcpAuthentication;
            assert.equal(a.mode, "strict", "only strict answers 401, which starts sign-in");
            assert.equal(a.issuer, `https://login.microsoftonline.com/${ENTRA.tenantId}/v2.0`);
            assert.deepEqual(a.audiences, [ENTRA.clientId, `api://${ENTRA.clientId}`]);
            assert.equal(a.jwks.url, `https://login.microsoftonline.com/${ENTRA.tenantId}/discovery/v2.0/keys`);
            assert.deepEqual(a.provider, { entra: {} });
            assert.equal(a.clientId, ENTRA.clientId, "dynamic registration is answered with the app's client id");
            assert.ok(a.resourceMetadata.scopesSupported.includes(`api://${ENTRA.clientId}/mcp.access`));
        }
    });

    it("each server's protected-resource metadata names the URL clients use, in both exposure modes", () => {
        const priv = routesOf(rendered(configFor("dev"), TWO_SERVERS));
        assert.equal(priv[0].policies.mcpAuthentication.resourceMetadata.resource, "http://localhost:8080/mcp/research");
        const tls = routesOf(rendered(configFor("dev", KEYVAULT), TWO_SERVERS));
        assert.equal(tls[1].policies.mcpAuthentication.resourceMetadata.resource, "https://mcp.example.com/mcp/tickets");
        assert.equal(protectedResourceMetadataUrl("https://mcp.example.com", "tickets"), "https://mcp.example.com/.well-known/oauth-protected-resource/mcp/tickets");
    });

    it("per-server access: the server's app role or mcp.all, unless roles are switched off", () => {
        const [research] = routesOf(rendered(configFor("dev"), TWO_SERVERS));
        assert.deepEqual(research.policies.mcpAuthorization?.rules, ['"mcp.research" in jwt.roles || "mcp.all" in jwt.roles']);
        const open = routesOf(rendered(configFor("dev", { [key("edge")]: JSON.stringify({ entra: { requireAppRoles: false } }) })));
        assert.equal(open[0].policies.mcpAuthorization, undefined);
    });

    it("calls outlast Claude's 300 s tool timeout, streams are kept alive and never buffered, sessions are sealed", () => {
        const doc = rendered(configFor("prod"));
        for (const r of routesOf(doc)) {
            for (const t of [r.policies.timeout.requestTimeout, r.policies.timeout.backendRequestTimeout]) assert.ok(parseInt(t, 10) > 300, t);
            assert.ok(!("buffer" in r.policies), "a buffered response would hold SSE events back");
            assert.equal(r.backends[0].mcp.statefulMode, "stateful");
            assert.ok(parseInt(EDGE_SSE_KEEPALIVE, 10) * 4 < 240, "keepalives well inside the Azure LB's default idle timeout");
            assert.equal(r.backends[0].mcp.sseKeepAlive, EDGE_SSE_KEEPALIVE);
        }
        assert.equal(doc.config.session.key, `\${${EDGE_ENV.sessionKey}}`, "one key for every replica, from Key Vault through the env");
    });

    it("keyVault mode listens with TLS on the mounted Key Vault PEM; private mode in plain HTTP for the port-forward", () => {
        const tls = rendered(configFor("dev", KEYVAULT)).binds[0].listeners[0];
        assert.equal(tls.protocol, "HTTPS");
        assert.equal(tls.tls?.cert, "/mnt/edge-keyvault/tls.pem");
        assert.equal(tls.tls?.key, tls.tls?.cert, "the PEM Key Vault writes holds the key and the chain");
        assert.equal(rendered(configFor("dev")).binds[0].listeners[0].protocol, "HTTP");
    });

    it("no secret value is in the config: the client secret is an env reference, or absent", () => {
        const withSecret = renderEdgeGatewayConfig(edgeGatewayConfig(edgeSettings(configFor("dev"), mcpRoutes(configFor("dev")), ENTRA)));
        assert.match(withSecret, /clientSecret: \$\{ENTRA_CLIENT_SECRET\}/);
        const without = rendered(configFor("dev"), mcpRoutes(configFor("dev")), { ...ENTRA, hasClientSecret: false });
        assert.ok(routesOf(without).every((r) => !("clientSecret" in r.policies.mcpAuthentication)));
    });

    it("refuses route names that would make bad paths, and duplicates", () => {
        const cfg = configFor("dev");
        assert.throws(() => edgeGatewayConfig(edgeSettings(cfg, [{ name: "Bad Name", serviceName: "x-mcp", port: 1 }], ENTRA)), /lowercase/);
        assert.throws(() => edgeGatewayConfig(edgeSettings(cfg, [TWO_SERVERS[0], TWO_SERVERS[0]], ENTRA)), /declared twice/);
    });
});
