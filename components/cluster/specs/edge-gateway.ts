/**
 * Pure: the agentgateway standalone configuration of the edge, as typed objects. The types mirror the parts
 * of agentgateway's published config schema (schema/config.json, `LocalConfig`) that the edge uses; the
 * tests validate every rendered document against that schema (tests/agentgateway/), so a field the pinned
 * release does not know fails offline instead of crash-looping the pods.
 *
 * One route per MCP server: `/mcp/<server>` plus its RFC 9728 protected-resource metadata and the Entra
 * adapter's RFC 8414 endpoints below `/.well-known/oauth-authorization-server/mcp/<server>`.
 */
import * as YAML from "yaml";
import { EDGE_ALL_SERVERS_ROLE, EDGE_SCOPE, entraAppIdUri, entraIssuer, entraJwksUrl, serverRole } from "../../entra";

/** An MCP server behind the edge: its route name and the ClusterIP Service that serves it. */
export interface EdgeRouteTarget {
    /** Route name: the server is reached at `/mcp/<name>`. */
    readonly name: string;
    /** Name of the server's Service in the workload namespace (`<name>-mcp`). */
    readonly serviceName: string;
    /** The Service port that serves MCP (also the pod port: the Services map it unchanged). */
    readonly port: number;
    /** The server's MCP path (Streamable HTTP); `/mcp` when unset. */
    readonly path?: string;
}

/** The Entra ID app registration the edge validates tokens for. */
export interface EdgeEntra {
    readonly tenantId: string;
    /** Application (client) id: the token audience, and the client id answered to dynamic registration. */
    readonly clientId: string;
    /** Whether a client secret reaches the pods (ENTRA_CLIENT_SECRET), for confidential (web) redirects. */
    readonly hasClientSecret: boolean;
    /** Require the app role `mcp.<server>` (or `mcp.all`) for a server's tools. */
    readonly requireAppRoles: boolean;
}

export interface EdgeGatewaySettings {
    readonly namespace: string;
    /** `http://localhost:<port>` (private) or `https://<hostname>`: what clients and metadata name. */
    readonly publicBaseUrl: string;
    /** Plain HTTP for the port-forward (private mode) or HTTPS with the Key Vault certificate. */
    readonly listener: { readonly protocol: "HTTP" } | { readonly protocol: "HTTPS"; readonly certFile: string };
    readonly routes: readonly EdgeRouteTarget[];
    readonly entra: EdgeEntra;
}

// ---------------------------------------------------------------------------------------------------
// The subset of agentgateway's LocalConfig the edge writes (names as in schema/config.json).

export type AgwPathMatch = { readonly exact: string } | { readonly pathPrefix: string };

export interface AgwMcpAuthentication {
    readonly mode: "strict";
    readonly issuer: string;
    readonly audiences: readonly string[];
    readonly jwks: { readonly url: string };
    readonly provider: { readonly entra: Record<string, never> };
    readonly clientId: string;
    readonly clientSecret?: string;
    readonly resourceMetadata: {
        readonly resource: string;
        readonly scopesSupported: readonly string[];
        readonly bearerMethodsSupported: readonly string[];
    };
}

export interface AgwRoutePolicies {
    readonly cors: {
        readonly allowOrigins: readonly string[];
        readonly allowHeaders: readonly string[];
        readonly exposeHeaders: readonly string[];
    };
    readonly mcpAuthentication: AgwMcpAuthentication;
    readonly mcpAuthorization?: { readonly rules: readonly string[] };
    readonly timeout: { readonly requestTimeout: string; readonly backendRequestTimeout: string };
}

export interface AgwMcpBackend {
    readonly targets: ReadonlyArray<{ readonly name: string; readonly mcp: { readonly host: string; readonly port: number; readonly path: string } }>;
    readonly statefulMode: "stateful";
    readonly sseKeepAlive: string;
}

export interface AgwRoute {
    readonly name: string;
    readonly matches: ReadonlyArray<{ readonly path: AgwPathMatch }>;
    readonly policies: AgwRoutePolicies;
    readonly backends: ReadonlyArray<{ readonly mcp: AgwMcpBackend }>;
}

export interface AgwListener {
    readonly name: string;
    readonly protocol: "HTTP" | "HTTPS";
    readonly tls?: { readonly cert: string; readonly key: string; readonly minTLSVersion: "TLS_V1_2" };
    readonly routes: readonly AgwRoute[];
}

export interface AgwConfig {
    readonly config: {
        readonly session: { readonly key: string };
        readonly logging: { readonly format: "json" };
    };
    readonly binds: ReadonlyArray<{ readonly port: number; readonly listeners: readonly AgwListener[] }>;
}

// ---------------------------------------------------------------------------------------------------

/** The container port of the edge's listener (both modes; the Service maps 443 or 8080 onto it). */
export const EDGE_LISTENER_PORT = 8080;
/** Local port of `npm run connect` in private mode: the URLs clients use are `http://localhost:<port>/mcp/<server>`. */
export const EDGE_LOCAL_PORT = 8080;
/** Readiness endpoint of agentgateway (`readinessAddr` default `0.0.0.0:15021`, path `/healthz/ready`). */
export const EDGE_READINESS_PORT = 15021;
export const EDGE_READINESS_PATH = "/healthz/ready";
/** Env vars the CSI-synced Secret provides; the config refers to them, so no secret is in the ConfigMap. */
export const EDGE_ENV = { sessionKey: "SESSION_KEY", clientSecret: "ENTRA_CLIENT_SECRET" } as const;
/**
 * Longer than Claude's 300 s tool timeout, so the client gives up first and sees its own error instead of
 * a gateway 504. Streams are not bounded by these: both stop applying once response headers arrive.
 */
export const EDGE_ROUTE_TIMEOUT = "600s";
/**
 * SSE comment interval: well under the load balancer's idle timeout and the Azure default of 4 minutes, so
 * an idle stream never looks dead to anything on the path (DESIGN.md pitfall 5).
 */
export const EDGE_SSE_KEEPALIVE = "15s";

/** The path clients use for a server. */
export function edgeRoutePath(name: string): string {
    return `/mcp/${name}`;
}

/** The full URL of a server behind the edge. */
export function edgeServerUrl(publicBaseUrl: string, name: string): string {
    return `${publicBaseUrl.replace(/\/+$/, "")}${edgeRoutePath(name)}`;
}

/** Where the protected-resource metadata of a server lives (RFC 9728, path-suffixed form). */
export function protectedResourceMetadataUrl(publicBaseUrl: string, name: string): string {
    return `${publicBaseUrl.replace(/\/+$/, "")}/.well-known/oauth-protected-resource${edgeRoutePath(name)}`;
}

function route(settings: EdgeGatewaySettings, target: EdgeRouteTarget): AgwRoute {
    const path = edgeRoutePath(target.name);
    const { entra } = settings;
    const authentication: AgwMcpAuthentication = {
        // strict: a request without a valid token gets 401 with the resource_metadata challenge, which is
        // what makes MCP clients start sign-in (optional and permissive never answer 401).
        mode: "strict",
        issuer: entraIssuer(entra.tenantId),
        // v2 tokens carry the bare client id as `aud`; accept the identifier URI form too.
        audiences: [entra.clientId, entraAppIdUri(entra.clientId)],
        jwks: { url: entraJwksUrl(entra.tenantId) },
        // Entra has no RFC 8414 metadata and no dynamic registration, and rejects `resource` values that
        // are not a verified-domain identifier URI: the adapter serves the metadata, strips `resource`
        // and answers registration with the pre-registered client id (research/edge.md).
        provider: { entra: {} },
        clientId: entra.clientId,
        ...(entra.hasClientSecret ? { clientSecret: `\${${EDGE_ENV.clientSecret}}` } : {}),
        resourceMetadata: {
            resource: edgeServerUrl(settings.publicBaseUrl, target.name),
            scopesSupported: [`${entraAppIdUri(entra.clientId)}/${EDGE_SCOPE}`, "openid", "offline_access"],
            bearerMethodsSupported: ["header"],
        },
    };
    return {
        name: `mcp-${target.name}`,
        matches: [
            { path: { exact: path } },
            { path: { exact: `/.well-known/oauth-protected-resource${path}` } },
            // The adapter serves /authorize, /token and /client-registration below this prefix.
            { path: { pathPrefix: `/.well-known/oauth-authorization-server${path}` } },
        ],
        policies: {
            cors: {
                // Browser-based clients (MCP Inspector, claude.ai's connector UI) read these headers.
                allowOrigins: ["*"],
                allowHeaders: ["mcp-protocol-version", "content-type", "authorization", "mcp-session-id", "last-event-id"],
                exposeHeaders: ["mcp-session-id", "www-authenticate"],
            },
            mcpAuthentication: authentication,
            ...(entra.requireAppRoles
                ? { mcpAuthorization: { rules: [`"${serverRole(target.name)}" in jwt.roles || "${EDGE_ALL_SERVERS_ROLE}" in jwt.roles`] } }
                : {}),
            timeout: { requestTimeout: EDGE_ROUTE_TIMEOUT, backendRequestTimeout: EDGE_ROUTE_TIMEOUT },
        },
        backends: [
            {
                mcp: {
                    targets: [
                        {
                            name: target.name,
                            mcp: { host: `${target.serviceName}.${settings.namespace}.svc.cluster.local`, port: target.port, path: target.path ?? "/mcp" },
                        },
                    ],
                    // Sessions are sealed into the Mcp-Session-Id with config.session.key, so any replica
                    // serves any session: no client-IP affinity, scaling and pod loss keep sessions.
                    statefulMode: "stateful",
                    sseKeepAlive: EDGE_SSE_KEEPALIVE,
                },
            },
        ],
    };
}

/** The agentgateway config for the edge. Secrets appear only as `${VAR}` references to env vars. */
export function edgeGatewayConfig(settings: EdgeGatewaySettings): AgwConfig {
    const names = new Set<string>();
    for (const r of settings.routes) {
        if (!/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(r.name)) throw new Error(`edge route name ${JSON.stringify(r.name)}: use lowercase letters, digits and '-'`);
        if (names.has(r.name)) throw new Error(`edge route ${JSON.stringify(r.name)} is declared twice`);
        names.add(r.name);
    }
    const listener: AgwListener = {
        name: "mcp",
        protocol: settings.listener.protocol,
        ...(settings.listener.protocol === "HTTPS"
            ? // Key Vault CSI writes a certificate as one PEM holding the key and the chain; it serves as both.
              { tls: { cert: settings.listener.certFile, key: settings.listener.certFile, minTLSVersion: "TLS_V1_2" as const } }
            : {}),
        routes: settings.routes.map((t) => route(settings, t)),
    };
    return {
        config: {
            session: { key: `\${${EDGE_ENV.sessionKey}}` },
            logging: { format: "json" },
        },
        binds: [{ port: EDGE_LISTENER_PORT, listeners: [listener] }],
    };
}

/** The config file as the ConfigMap holds it. */
export function renderEdgeGatewayConfig(config: AgwConfig): string {
    return YAML.stringify(config, { lineWidth: 0 });
}
