/**
 * Pure: the Entra ID facts that both the app registration (Azure layer) and the edge's token validation
 * (workloads layer) derive from, so the scope, the roles and the audience cannot drift apart.
 */

/** The delegated scope clients request (`api://<client-id>/mcp.access`). */
export const EDGE_SCOPE = "mcp.access";
/** The app role that grants every server; `mcp.<server>` grants one. */
export const EDGE_ALL_SERVERS_ROLE = "mcp.all";
/** VS Code's own Entra client id, pre-authorized on the API so it signs in without a consent prompt. */
export const VSCODE_CLIENT_ID = "aebc6443-996d-45c2-90f0-388ff96faa56";

/** The app role value that grants one server. */
export function serverRole(name: string): string {
    return `mcp.${name}`;
}

/** Entra's v2 issuer for a tenant: the `iss` of v2 access tokens (the app requests v2 tokens). */
export function entraIssuer(tenantId: string): string {
    return `https://login.microsoftonline.com/${tenantId}/v2.0`;
}

export function entraJwksUrl(tenantId: string): string {
    return `https://login.microsoftonline.com/${tenantId}/discovery/v2.0/keys`;
}

/** The app's identifier URI, also the prefix of its scope. */
export function entraAppIdUri(clientId: string): string {
    return `api://${clientId}`;
}
