/**
 * Configs for pure spec tests: a validated StackConfig per environment from a small raw map, with fake
 * API key secrets, without Pulumi mocks or stack files.
 */
import * as path from "path";
import { parseStackConfig, PROJECT, StackConfig } from "../components/config";
import { DEFAULT_API_KEYS, DEFAULT_IMAGES, Environment } from "../components/config-defaults";
import { importedImageRef } from "../components/image";
import { SmokeTestInputs, edgeSmokeTarget, mcpServerTargets } from "../components/cluster/specs/smoke-test";

/** The raw config key for a config name (`cluster` -> `mcp-aks:cluster`). */
export function key(name: string): string {
    return `${PROJECT}:${name}`;
}

/**
 * Stands in for the repo root where build contexts resolve: a minimal `server/` with a Dockerfile, so the
 * suite neither needs nor hashes the real server's files (their content decides only the tag).
 */
export const SOURCE_ROOT = path.join(__dirname, "source-root");

/** Stand-ins for what the Azure layer and the random provider hand the pure workload builders. */
export const WORKLOAD_INPUTS = {
    tenantId: "22222222-2222-2222-2222-222222222222",
    vaultName: "kv-mcp-dev-abc123",
    qdrantImage: importedImageRef("acrmcpdevabc123.azurecr.io", DEFAULT_IMAGES.qdrant),
    qdrantApiKey: "generated-key",
    backupIdentityClientId: "33333333-3333-3333-3333-333333333333",
    blobEndpoint: "https://stmcpdevabc123.blob.core.windows.net",
    backupContainer: "qdrant-snapshots",
    backupImage: importedImageRef("acrmcpdevabc123.azurecr.io", DEFAULT_IMAGES.curl),
    edgeIdentityClientId: "55555555-5555-5555-5555-555555555555",
    entraClientId: "44444444-4444-4444-4444-444444444444",
    edgeImage: importedImageRef("acrmcpdevabc123.azurecr.io", DEFAULT_IMAGES.agentgateway),
    dataResourceGroup: "rg-mcp-dev-data",
};

/** A distinct stand-in identity client id per server, so a test can tell whose identity an object names. */
export function clientIdOf(server: string): string {
    return `client-id-of-${server}`;
}

/** A distinct stand-in image per server. */
export function imageOf(server: string): string {
    return `acrmcpdevabc123.azurecr.io/${server}-mcp:1.0.0`;
}

/** The workload inputs for every server of a config. */
export function workloadInputs(cfg: Pick<StackConfig, "mcpServers">) {
    const names = Object.keys(cfg.mcpServers);
    return {
        ...WORKLOAD_INPUTS,
        identityClientIds: Object.fromEntries(names.map((n) => [n, clientIdOf(n)])),
        images: Object.fromEntries(names.map((n) => [n, imageOf(n)])),
    };
}

/** The smoke-test Job's inputs for a config: every server, the edge's routes, stand-in images. */
export function smokeTestInputs(cfg: StackConfig, overrides: Partial<SmokeTestInputs> = {}): SmokeTestInputs {
    return {
        image: WORKLOAD_INPUTS.backupImage,
        serverImages: Object.fromEntries(Object.keys(cfg.mcpServers).map((n) => [n, imageOf(n)])),
        targets: mcpServerTargets(cfg),
        edge: edgeSmokeTarget(cfg),
        edgeRevision: { image: WORKLOAD_INPUTS.edgeImage, config: "binds: []\n" },
        ...overrides,
    };
}

/** A stand-in value for every API key secret; obviously not a real key. */
export const FAKE_SECRET = "fixture-not-a-real-key";

/** The API key names a raw config asks for (the defaults when apiKeys is unset or unreadable). */
export function apiKeyNames(raw: Readonly<Record<string, string>>): string[] {
    const value = raw[key("apiKeys")];
    if (value === undefined) return [...DEFAULT_API_KEYS];
    try {
        const list = JSON.parse(value);
        return Array.isArray(list) ? list.filter((v): v is string => typeof v === "string") : [];
    } catch {
        return [];
    }
}

/**
 * Gives every API key the raw config asks for and does not hold a stand-in secret value. Returns the
 * fully qualified keys it added, which the caller reports as secret.
 */
export function addPlaceholderSecrets(raw: Record<string, string>, value: string): string[] {
    const added = apiKeyNames(raw)
        .map(key)
        .filter((k) => !(k in raw));
    for (const k of added) raw[k] = value;
    return added;
}

/** A stand-in admin group object id (a valid GUID; no real group has it). */
export const FIXTURE_ADMIN_GROUP = "33333333-3333-3333-3333-333333333333";

/**
 * Gives a raw config without `access` one admin group, as every real stack must have. Returns whether it
 * added one.
 */
export function addPlaceholderAccess(raw: Record<string, string>, groupObjectId: string): boolean {
    if (key("access") in raw) return false;
    raw[key("access")] = JSON.stringify({ adminGroups: [groupObjectId] });
    return true;
}

/**
 * A validated config for `environment`. Prod gets the API server range and the alert address it requires. `raw` adds or replaces
 * raw entries (objects as JSON strings, like `pulumi config` holds them); objects in it replace the
 * fixture's object of the same key, so pass prod's cluster ranges (and edge.tls.mode) yourself when
 * overriding `cluster` (or `edge`).
 */
export function configFor(environment: Environment, raw: Record<string, string> = {}): StackConfig {
    const entries: Record<string, string> = { [key("environment")]: environment };
    if (environment === "prod") {
        entries[key("cluster")] = JSON.stringify({ authorizedIpRanges: ["203.0.113.0/24"] });
        // prod has no default exposure; the fixture takes the one without a public endpoint.
        entries[key("edge")] = JSON.stringify({ tls: { mode: "private" } });
        entries[key("alerts")] = JSON.stringify({ emails: ["oncall@example.com"] });
    }
    Object.assign(entries, raw);
    addPlaceholderSecrets(entries, FAKE_SECRET);
    addPlaceholderAccess(entries, FIXTURE_ADMIN_GROUP);
    return parseStackConfig(entries, { stack: environment, secretKeys: apiKeyNames(entries).map(key), sourceRoot: SOURCE_ROOT });
}
