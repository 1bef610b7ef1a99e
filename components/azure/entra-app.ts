/**
 * The Entra ID app registration MCP clients sign in to: an API with one delegated scope (mcp.access), app
 * roles for per-server access, the redirect URIs of the clients that use it through the edge's Entra
 * adapter (claude.ai / claude.com connectors, Claude Code's loopback), VS Code pre-authorized, v2 access
 * tokens, a service principal, and a client secret for the confidential (web) redirects.
 *
 * App registrations are Microsoft Graph objects, not ARM resources, so this uses @pulumi/azuread; the
 * deployer needs the Graph permission to create applications (Application Developer role, or "users can
 * register applications"). Without it, edge.entra.existingAppId skips this component.
 */
import * as pulumi from "@pulumi/pulumi";
import * as azuread from "@pulumi/azuread";
import * as random from "@pulumi/random";
import { EDGE_ALL_SERVERS_ROLE, EDGE_SCOPE, VSCODE_CLIENT_ID, entraAppIdUri, serverRole } from "../entra";

/** Web redirect URIs of the Claude connectors (claude.ai, and claude.com where the product moved). */
export const CLAUDE_CONNECTOR_REDIRECTS = ["https://claude.ai/api/mcp/auth_callback", "https://claude.com/api/mcp/auth_callback"];
/**
 * The loopback callback each native client listens on, on a port it picks at sign-in. Entra ignores the
 * port of a loopback redirect URI but matches its host and path exactly ("Localhost exceptions" in
 * learn.microsoft.com/entra/identity-platform/reply-url), so each host and path a client uses is registered
 * once, without a port.
 */
export const NATIVE_CLIENT_CALLBACKS = {
    /** `claude mcp` / `.mcp.json`: http://localhost:<port>/callback. */
    claudeCode: "http://localhost/callback",
    /** mcp-remote (the Claude Desktop bridge of a private edge): http://localhost:<port>/oauth/callback. */
    mcpRemote: "http://localhost/oauth/callback",
    /** VS Code's generic OAuth flow: http://127.0.0.1:<port>/. */
    vscode: "http://127.0.0.1",
    /** Other native clients that listen on the root of localhost. */
    localhost: "http://localhost",
} as const;
export const LOOPBACK_REDIRECTS: readonly string[] = Object.values(NATIVE_CLIENT_CALLBACKS);
/** How long a generated client secret lives; `pulumi up` after a rotation writes the new one to Key Vault. */
export const CLIENT_SECRET_LIFETIME = "8760h";

export interface EntraAppArgs {
    /** Display name of the app registration. */
    readonly displayName: string;
    /** MCP server names; each gets the app role `mcp.<name>`. */
    readonly servers: readonly string[];
    /** Web redirect URIs in addition to the Claude connectors (for example the edge's own callback). */
    readonly extraRedirectUris?: readonly string[];
    /**
     * Object ids of the app's owners (users or service principals). A CI identity with only the Graph role
     * Application.ReadWrite.OwnedBy can update the app only while it owns it, also when a laptop created it.
     */
    readonly owners: readonly string[];
}

/** The owners from the stack's admins: the CI service principal and the admin users (groups cannot own apps). */
export function entraAppOwners(access: { readonly ciServicePrincipal: string | null; readonly adminUsers: readonly string[] }): string[] {
    return [...(access.ciServicePrincipal ? [access.ciServicePrincipal] : []), ...access.adminUsers];
}

/** App roles for users and groups: one per server plus one for all servers, with stable random ids. */
export function appRoleValues(servers: readonly string[]): string[] {
    return [EDGE_ALL_SERVERS_ROLE, ...servers.map(serverRole)];
}

export class EntraApp extends pulumi.ComponentResource {
    /** Application (client) id: the token audience. */
    readonly clientId: pulumi.Output<string>;
    /** Secret: a client secret of the app, for the adapter's proxied token requests. */
    readonly clientSecret: pulumi.Output<string>;
    /** `api://<client id>/mcp.access`, the scope clients request. */
    readonly scope: pulumi.Output<string>;

    constructor(name: string, args: EntraAppArgs, opts?: pulumi.ComponentResourceOptions) {
        super("mcp-aks:azure:EntraApp", name, {}, opts);
        const uuid = (suffix: string) => new random.RandomUuid(`${name}-${suffix}`, {}, { parent: this }).result;
        const scopeId = uuid("scope-id");

        const app = new azuread.Application(
            `${name}-app`,
            {
                displayName: args.displayName,
                signInAudience: "AzureADMyOrg",
                api: {
                    // v2 tokens carry iss https://login.microsoftonline.com/<tenant>/v2.0, which the edge checks.
                    requestedAccessTokenVersion: 2,
                    oauth2PermissionScopes: [
                        {
                            id: scopeId,
                            value: EDGE_SCOPE,
                            type: "User",
                            enabled: true,
                            adminConsentDisplayName: "Use the MCP servers",
                            adminConsentDescription: "Lets the app call the MCP servers of this platform as the signed-in user.",
                            userConsentDisplayName: "Use the MCP servers",
                            userConsentDescription: "Lets the app call the MCP servers as you.",
                        },
                    ],
                },
                appRoles: appRoleValues(args.servers).map((value) => ({
                    id: uuid(`role-${value}`),
                    value,
                    displayName: value === EDGE_ALL_SERVERS_ROLE ? "All MCP servers" : `MCP server ${value.slice("mcp.".length)}`,
                    description: value === EDGE_ALL_SERVERS_ROLE ? "Call the tools of every MCP server." : `Call the tools of the MCP server ${value.slice("mcp.".length)}.`,
                    allowedMemberTypes: ["User"],
                    enabled: true,
                })),
                web: { redirectUris: [...CLAUDE_CONNECTOR_REDIRECTS, ...(args.extraRedirectUris ?? [])] },
                publicClient: { redirectUris: [...LOOPBACK_REDIRECTS] },
                // Unset, Graph makes whoever created the app its only owner, and a later run by CI could not update it.
                owners: args.owners.length > 0 ? [...args.owners] : undefined,
            },
            // The identifier URI needs the client id, known only after creation; it is its own resource below.
            { parent: this, ignoreChanges: ["identifierUris"] },
        );
        new azuread.ApplicationIdentifierUri(
            `${name}-identifier-uri`,
            { applicationId: app.id, identifierUri: app.clientId.apply(entraAppIdUri) },
            { parent: this },
        );
        // Without a service principal the tenant cannot issue tokens for the API or assign its roles.
        new azuread.ServicePrincipal(`${name}-sp`, { clientId: app.clientId }, { parent: this });
        // VS Code signs in with its own client id; pre-authorizing it skips the consent prompt.
        new azuread.ApplicationPreAuthorized(
            `${name}-vscode`,
            { applicationId: app.id, authorizedClientId: VSCODE_CLIENT_ID, permissionIds: [scopeId] },
            { parent: this },
        );
        const password = new azuread.ApplicationPassword(
            `${name}-secret`,
            { applicationId: app.id, displayName: "mcp-edge", endDateRelative: CLIENT_SECRET_LIFETIME },
            { parent: this, additionalSecretOutputs: ["value"] },
        );

        this.clientId = app.clientId;
        this.clientSecret = pulumi.secret(password.value);
        this.scope = app.clientId.apply((id) => `${entraAppIdUri(id)}/${EDGE_SCOPE}`);
        this.registerOutputs({ clientId: this.clientId, scope: this.scope });
    }
}
