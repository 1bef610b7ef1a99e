/**
 * Pure: how MCP clients reach the stack's servers. The stack output `servers` lists each server's Service
 * (the edge routes `/mcp/<name>` to it); `npm run connect` port-forwards to each one through the Kubernetes
 * API server, and the client configs point at the resulting localhost URLs. Both take their targets and
 * URLs from forwardTargets, the one place a client URL is made.
 */

/** One MCP server in the cluster, as the stack output `servers` lists it. */
export interface ServerTarget {
    /** The server's name (the key of mcpServers). */
    readonly name: string;
    /** Namespace of its Service. */
    readonly namespace: string;
    /** Its ClusterIP Service (`<name>-mcp`). */
    readonly service: string;
    /** The Service port. */
    readonly port: number;
    /** The HTTP path of its MCP endpoint, e.g. /mcp. */
    readonly path: string;
}

/** The edge in front of the servers, as the stack output `edge` lists it (issue 12). */
export interface EdgeTarget {
    /** private: reached through a port-forward of the edge; keyVault / letsEncrypt: public HTTPS. */
    readonly exposure: "private" | "keyVault" | "letsEncrypt";
    readonly namespace: string;
    /** The edge's Service (`mcp-edge`) and its port. */
    readonly service: string;
    readonly port: number;
    /** `http://localhost:<port>` (private) or `https://<host>`: each server is `<baseUrl>/mcp/<name>`. */
    readonly baseUrl: string;
    /** Application (client) id of the Entra app clients sign in to (absent in outputs of older stacks). */
    readonly clientId?: string;
}

/** Checks the `edge` stack output. */
export function parseEdgeTarget(value: unknown): EdgeTarget {
    const r = (typeof value === "object" && value !== null ? value : {}) as Record<string, unknown>;
    if (!["private", "keyVault", "letsEncrypt"].includes(r.exposure as string)) throw new Error("edge.exposure must be private, keyVault or letsEncrypt");
    for (const field of ["namespace", "service", "baseUrl"]) {
        if (typeof r[field] !== "string" || r[field] === "") throw new Error(`edge.${field} must be a non-empty string`);
    }
    if (!Number.isInteger(r.port) || (r.port as number) < 1 || (r.port as number) > 65535) throw new Error("edge.port must be a port number");
    if (r.clientId !== undefined && (typeof r.clientId !== "string" || r.clientId === "")) throw new Error("edge.clientId must be a non-empty string when present");
    return {
        exposure: r.exposure as EdgeTarget["exposure"],
        namespace: r.namespace as string,
        service: r.service as string,
        port: r.port as number,
        baseUrl: r.baseUrl as string,
        ...(r.clientId !== undefined ? { clientId: r.clientId as string } : {}),
    };
}

/** One port-forward `npm run connect` opens, and the URL a client uses through it. */
export interface ForwardTarget {
    readonly name: string;
    readonly namespace: string;
    /** `service/<name>`, as kubectl port-forward takes it. */
    readonly resource: string;
    readonly remotePort: number;
    readonly localPort: number;
    readonly url: string;
}

/**
 * Local ports are assigned in name order from here, so they are the same on every run and on every
 * laptop: a client config written once keeps working. Above the usual development ports (3000, 8080).
 */
export const FIRST_LOCAL_PORT = 18080;

const NAME = /^[a-z]([-a-z0-9]*[a-z0-9])?$/;
const PATH = /^\/[A-Za-z0-9._~!$&'()*+,;=:@%/-]*$/;

/** Checks an unknown value (the `servers` stack output) and returns typed targets in name order. */
export function parseServerTargets(value: unknown): ServerTarget[] {
    if (!Array.isArray(value)) throw new Error("servers must be a list of { name, namespace, service, port, path }");
    const seen = new Set<string>();
    const targets = value.map((item, i): ServerTarget => {
        const r = (typeof item === "object" && item !== null ? item : {}) as Record<string, unknown>;
        const where = `servers[${i}]`;
        for (const field of ["name", "namespace", "service", "path"]) {
            if (typeof r[field] !== "string" || r[field] === "") throw new Error(`${where}.${field} must be a non-empty string`);
        }
        if (!NAME.test(r.name as string)) throw new Error(`${where}.name ${JSON.stringify(r.name)} is not a server name (a DNS label)`);
        if (seen.has(r.name as string)) throw new Error(`${where}.name ${JSON.stringify(r.name)} appears twice`);
        seen.add(r.name as string);
        if (!Number.isInteger(r.port) || (r.port as number) < 1 || (r.port as number) > 65535) throw new Error(`${where}.port must be a port number`);
        if (!PATH.test(r.path as string)) throw new Error(`${where}.path ${JSON.stringify(r.path)} is not an absolute URL path`);
        return { name: r.name as string, namespace: r.namespace as string, service: r.service as string, port: r.port as number, path: r.path as string };
    });
    return targets.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

/**
 * The port-forwards for the servers, each with its local port and the URL clients use. Behind a private
 * edge every server shares the one forward of the edge (`<baseUrl>/mcp/<name>`, the edge checks the
 * sign-in); behind a public edge nothing is forwarded. Without an edge, each server gets its own forward
 * on a fixed local port.
 */
export function forwardTargets(servers: readonly ServerTarget[], edge?: EdgeTarget): ForwardTarget[] {
    const sorted = [...servers].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    if (edge) {
        if (edge.exposure !== "private") return [];
        const localPort = Number(new URL(edge.baseUrl).port) || edge.port;
        return sorted.map((s) => ({ name: s.name, namespace: edge.namespace, resource: `service/${edge.service}`, remotePort: edge.port, localPort, url: edgeUrl(edge, s.name) }));
    }
    return sorted.map((s, i) => {
        const localPort = FIRST_LOCAL_PORT + i;
        return { name: s.name, namespace: s.namespace, resource: `service/${s.service}`, remotePort: s.port, localPort, url: `http://localhost:${localPort}${s.path}` };
    });
}

/** A server's URL at the edge. */
export function edgeUrl(edge: Pick<EdgeTarget, "baseUrl">, name: string): string {
    return `${edge.baseUrl.replace(/\/+$/, "")}/mcp/${name}`;
}

/** The distinct forwards to open: servers behind the edge share one. */
export function distinctForwards(targets: readonly ForwardTarget[]): ForwardTarget[] {
    const seen = new Set<string>();
    return targets.filter((t) => {
        const key = `${t.namespace}/${t.resource}:${t.localPort}`;
        if (seen.has(key)) return false;
        seen.add(key);
        return true;
    });
}

/** The URL of each server as MCP clients see it: name and URL, in name order. */
export function clientUrls(servers: readonly ServerTarget[], edge?: EdgeTarget): Array<{ name: string; url: string }> {
    if (edge) return [...servers].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0)).map((s) => ({ name: s.name, url: edgeUrl(edge, s.name) }));
    return forwardTargets(servers).map(({ name, url }) => ({ name, url }));
}
