/**
 * The MCP exposure policies, each with a passing and a failing case: every MCP route of the edge requires
 * authentication, and MCP server Services are ClusterIP.
 */
import * as assert from "assert";
import { mcpRouteAuthFindings, mcpRoutesRequireAuth, mcpServerServicesClusterIp } from "../policy/policies";
import { edgeSettings, mcpRoutes } from "../components/cluster/specs";
import { edgeGatewayConfig, renderEdgeGatewayConfig } from "../components/cluster/specs/edge-gateway";
import { configFor } from "./fixtures";
import { check, TYPES, UNKNOWN_VALUE } from "./policy-helpers";
import * as YAML from "yaml";

const ENTRA = { tenantId: "22222222-2222-2222-2222-222222222222", clientId: "44444444-4444-4444-4444-444444444444", hasClientSecret: false };

/** The edge's real rendered config, with an optional change to its first route. */
function edgeConfig(change?: (route: any) => void): string {
    const doc = edgeGatewayConfig(edgeSettings(configFor("dev"), mcpRoutes(configFor("dev")), ENTRA)) as any;
    const copy = structuredClone(doc);
    if (change) change(copy.binds[0].listeners[0].routes[0]);
    return renderEdgeGatewayConfig(copy);
}

const configMap = (text: unknown) => ({ metadata: { name: "mcp-edge-config", namespace: "mcp" }, data: { "config.yaml": text } });

describe("policy: mcp-route-requires-auth", () => {
    it("passes the edge's own config", async () => {
        assert.deepStrictEqual(mcpRouteAuthFindings(edgeConfig()), []);
        assert.deepStrictEqual(await check(mcpRoutesRequireAuth, TYPES.configMap, configMap(edgeConfig())), []);
    });

    it("rejects an MCP route without mcpAuthentication, naming the route", async () => {
        const text = edgeConfig((r) => delete r.policies.mcpAuthentication);
        const violations = await check(mcpRoutesRequireAuth, TYPES.configMap, configMap(text));
        assert.strictEqual(violations.length, 1);
        assert.match(violations[0].message, /route "mcp-docs" serves MCP without mcpAuthentication/);
    });

    it("rejects the optional and permissive modes, which never answer 401", async () => {
        for (const mode of ["optional", "permissive"]) {
            const violations = await check(mcpRoutesRequireAuth, TYPES.configMap, configMap(edgeConfig((r) => (r.policies.mcpAuthentication.mode = mode))));
            assert.match(violations[0].message, new RegExp(`mode "${mode}".*use strict`));
        }
        assert.deepStrictEqual(mcpRouteAuthFindings(edgeConfig((r) => delete r.policies.mcpAuthentication.mode)), [], "unset is strict");
    });

    it("ignores routes without an MCP backend, ConfigMaps that are not agentgateway configs, and unknown data", async () => {
        const plain = YAML.stringify({ binds: [{ port: 1, listeners: [{ routes: [{ name: "health", backends: [{ host: "x:1" }] }] }] }] });
        assert.deepStrictEqual(mcpRouteAuthFindings(plain), []);
        assert.strictEqual(mcpRouteAuthFindings("QDRANT_COLLECTION: docs"), undefined);
        assert.deepStrictEqual(await check(mcpRoutesRequireAuth, TYPES.configMap, { metadata: { name: "settings" }, data: { LLM_MAX_TOKENS: "4000" } }), []);
        assert.deepStrictEqual(await check(mcpRoutesRequireAuth, TYPES.configMap, configMap(UNKNOWN_VALUE)), []);
    });
});

describe("policy: mcp-server-service-clusterip", () => {
    const svc = (type: string | undefined, component = "mcp-server") => ({
        metadata: { name: "research-mcp", labels: { "app.kubernetes.io/component": component } },
        spec: { ...(type ? { type } : {}), ports: [{ port: 3000 }] },
    });

    it("passes a ClusterIP (or default-typed) MCP server Service", async () => {
        assert.deepStrictEqual(await check(mcpServerServicesClusterIp, TYPES.service, svc("ClusterIP")), []);
        assert.deepStrictEqual(await check(mcpServerServicesClusterIp, TYPES.service, svc(undefined)), []);
    });

    it("rejects a LoadBalancer or NodePort MCP server Service with the fix", async () => {
        for (const type of ["LoadBalancer", "NodePort"]) {
            const violations = await check(mcpServerServicesClusterIp, TYPES.service, svc(type));
            assert.strictEqual(violations.length, 1, type);
            assert.match(violations[0].message, new RegExp(`Service "research-mcp" of an MCP server is of type ${type}.*ClusterIP.*edge`));
        }
    });

    it("leaves Services of other components to the LoadBalancer allow-list", async () => {
        assert.deepStrictEqual(await check(mcpServerServicesClusterIp, TYPES.service, svc("LoadBalancer", "edge")), []);
    });
});
