/**
 * MCP exposure policies: every MCP route of the edge (agentgateway) demands a valid token, and MCP server
 * Services stay ClusterIP, so the edge is the only way in (DESIGN.md "Exposure", pitfall 10). Together with
 * k8s-loadbalancer-allowlist (default: only mcp-edge) they keep an unauthenticated side door out of a stack.
 */
import { ReportViolation, ResourceValidationArgs, ResourceValidationPolicy } from "@pulumi/policy";
import * as YAML from "yaml";
import { kindOf } from "./kubernetes";
import { at, isUnknown, known } from "./values";

/** The component label of MCP server objects (the shared naming convention). */
export const MCP_SERVER_COMPONENT = "mcp-server";

function isRecord(v: unknown): v is Record<string, unknown> {
    return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** The routes of an agentgateway standalone config (binds -> listeners -> routes), or undefined if it is not one. */
function agentgatewayRoutes(doc: unknown): Array<Record<string, unknown>> | undefined {
    if (!isRecord(doc) || !Array.isArray(doc.binds)) return undefined;
    const routes: Array<Record<string, unknown>> = [];
    for (const bind of doc.binds) {
        for (const listener of isRecord(bind) && Array.isArray(bind.listeners) ? bind.listeners : []) {
            for (const route of isRecord(listener) && Array.isArray(listener.routes) ? listener.routes : []) {
                if (isRecord(route)) routes.push(route);
            }
        }
    }
    return routes;
}

/**
 * Findings for one agentgateway config text: each route with an MCP backend must carry mcpAuthentication
 * in strict mode (the default). `optional` and `permissive` let tokenless calls through and never answer
 * 401, so clients never start sign-in. Undefined when the text is not an agentgateway config.
 */
export function mcpRouteAuthFindings(text: string): string[] | undefined {
    let doc: unknown;
    try {
        doc = YAML.parse(text);
    } catch {
        return undefined;
    }
    const routes = agentgatewayRoutes(doc);
    if (routes === undefined) return undefined;
    const findings: string[] = [];
    routes.forEach((route, index) => {
        const backends = Array.isArray(route.backends) ? route.backends : [];
        if (!backends.some((b) => isRecord(b) && "mcp" in b)) return;
        const label = typeof route.name === "string" ? `route "${route.name}"` : `route #${index}`;
        const auth = isRecord(route.policies) ? route.policies.mcpAuthentication : undefined;
        if (!isRecord(auth)) {
            findings.push(`${label} serves MCP without mcpAuthentication: anyone who reaches the edge can call its tools.`);
        } else if (auth.mode !== undefined && auth.mode !== "strict") {
            findings.push(`${label} has mcpAuthentication mode "${String(auth.mode)}": tokenless requests pass and no 401 starts sign-in; use strict.`);
        }
    });
    return findings;
}

export function validateMcpRoutesRequireAuth(args: ResourceValidationArgs, reportViolation: ReportViolation): void {
    if (kindOf(args.type) !== "ConfigMap") return;
    const data = at(known(args.props), "data");
    if (isUnknown(data) || !isRecord(data)) return;
    for (const [file, text] of Object.entries(data)) {
        // A config rendered from values not known yet is checked again with real values before creation.
        if (typeof text !== "string") continue;
        const findings = mcpRouteAuthFindings(text);
        if (findings && findings.length > 0) reportViolation(`ConfigMap "${args.name}" (${file}):\n- ${findings.join("\n- ")}`);
    }
}

export function validateMcpServerServiceClusterIp(args: ResourceValidationArgs, reportViolation: ReportViolation): void {
    if (kindOf(args.type) !== "Service") return;
    const props = known(args.props);
    if (at(props, "metadata", "labels", "app.kubernetes.io/component") !== MCP_SERVER_COMPONENT) return;
    const type = at(props, "spec", "type");
    if (isUnknown(type) || type === undefined || type === "ClusterIP") return;
    const name = at(props, "metadata", "name");
    reportViolation(
        `Service "${typeof name === "string" ? name : args.name}" of an MCP server is of type ${String(type)}: it would reach the server around the edge, ` +
            "without TLS or sign-in. Use type ClusterIP and route clients through the edge (/mcp/<server>).",
    );
}

export const mcpRoutesRequireAuth: ResourceValidationPolicy = {
    name: "mcp-route-requires-auth",
    description:
        "Every MCP route of the edge (an agentgateway config in a ConfigMap) requires authentication: mcpAuthentication in strict mode. " +
        "A route without it lets anyone who reaches the edge spend the servers' LLM credits and act with their identities (DESIGN.md pitfall 10).",
    remediationSteps: "Add policies.mcpAuthentication (issuer, audiences, resourceMetadata; mode strict or unset) to every route with an mcp backend.",
    enforcementLevel: "mandatory",
    severity: "critical",
    validateResource: validateMcpRoutesRequireAuth,
};

export const mcpServerServicesClusterIp: ResourceValidationPolicy = {
    name: "mcp-server-service-clusterip",
    description:
        "MCP server Services (app.kubernetes.io/component: mcp-server) are ClusterIP. The edge is the only way in; a LoadBalancer or " +
        "NodePort on a server bypasses its TLS, Entra sign-in and per-server roles.",
    remediationSteps: "Set spec.type to ClusterIP (or leave it unset) and reach the server through the edge at /mcp/<server>.",
    enforcementLevel: "mandatory",
    severity: "high",
    validateResource: validateMcpServerServiceClusterIp,
};

export const mcpResourcePolicies: ResourceValidationPolicy[] = [mcpRoutesRequireAuth, mcpServerServicesClusterIp];
