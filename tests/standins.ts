/**
 * Local stand-ins for what the backup and restore scripts talk to, on loopback: Qdrant nodes (snapshot
 * API), Entra ID's token endpoint, and Blob storage (Put Blob, Put Block, Put Block List, Get Blob, List
 * Blobs). Each records what it was asked, so tests assert what was uploaded, deleted and recovered.
 */
import { createHash } from "crypto";
import * as http from "http";
import type { AddressInfo } from "net";

export const API_KEY = "standin-api-key";
export const FEDERATED_TOKEN = "eyJ.standin-federated-token.sig";
export const TENANT = "standin-tenant";
export const CLIENT_ID = "standin-client-id";
export const CONTAINER = "qdrant-snapshots";

export function sha256(data: Buffer): string {
    return createHash("sha256").update(data).digest("hex");
}

async function listen(handler: http.RequestListener): Promise<{ server: http.Server; url: string }> {
    const server = http.createServer(handler);
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}

async function body(req: http.IncomingMessage): Promise<Buffer> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    return Buffer.concat(chunks);
}

function json(res: http.ServerResponse, status: number, value: unknown): void {
    res.writeHead(status, { "content-type": "application/json" });
    res.end(JSON.stringify(value));
}

/** The file part of a multipart/form-data body (the scripts send one part, `snapshot`). */
function multipartFile(contentType: string, data: Buffer): { field: string; content: Buffer } | undefined {
    const boundary = /boundary=(?:"([^"]+)"|([^;]+))/.exec(contentType);
    if (!boundary) return undefined;
    const delimiter = Buffer.from(`--${boundary[1] ?? boundary[2]}`);
    const start = data.indexOf(delimiter);
    const headerEnd = data.indexOf("\r\n\r\n", start);
    const end = data.indexOf(Buffer.concat([Buffer.from("\r\n"), delimiter]), headerEnd);
    if (start < 0 || headerEnd < 0 || end < 0) return undefined;
    const field = /name="([^"]+)"/.exec(data.subarray(start, headerEnd).toString())?.[1] ?? "";
    return { field, content: data.subarray(headerEnd + 4, end) };
}

export interface QdrantNode {
    readonly name: string;
    url: string;
    server?: http.Server;
    /** Collections this node reports, with the bytes its next snapshot of each holds. */
    readonly collections: Map<string, Buffer>;
    /** Snapshots that exist on the node now, by `collection/name`. */
    readonly snapshots: Map<string, Buffer>;
    readonly deleted: string[];
    /** Uploaded recoveries: collection, priority and the bytes received. */
    readonly recovered: Array<{ collection: string; priority: string | null; content: Buffer }>;
    /** Requests without the right API key. */
    unauthorized: number;
    /** Make snapshot creation fail for these collections. */
    readonly failSnapshots: Set<string>;
    /** Report a wrong checksum for these collections' snapshots. */
    readonly corrupt: Set<string>;
}

export function qdrantNode(name: string, collections: Record<string, Buffer>): QdrantNode {
    return { name, url: "", collections: new Map(Object.entries(collections)), snapshots: new Map(), deleted: [], recovered: [], unauthorized: 0, failSnapshots: new Set(), corrupt: new Set() };
}

export async function startQdrant(node: QdrantNode): Promise<void> {
    let counter = 0;
    const { server, url } = await listen(async (req, res) => {
        const data = await body(req);
        if (req.headers["api-key"] !== API_KEY) {
            node.unauthorized++;
            return json(res, 401, { status: { error: "Must provide an API key" } });
        }
        const u = new URL(req.url ?? "/", "http://x");
        const parts = u.pathname.split("/").filter(Boolean);
        if (req.method === "GET" && u.pathname === "/collections") {
            return json(res, 200, { result: { collections: [...node.collections.keys()].map((n) => ({ name: n })) }, status: "ok", time: 0.001 });
        }
        if (parts[0] !== "collections" || parts.length < 2) return json(res, 404, { status: { error: "not found" } });
        const collection = parts[1];
        if (req.method === "GET" && parts.length === 2) {
            const points = node.recovered.filter((r) => r.collection === collection).length > 0 ? 42 : 0;
            return json(res, 200, { result: { status: "green", points_count: points }, status: "ok", time: 0 });
        }
        if (parts[2] !== "snapshots") return json(res, 404, {});
        if (req.method === "POST" && parts.length === 3) {
            const content = node.collections.get(collection);
            if (!content || node.failSnapshots.has(collection)) return json(res, 500, { status: { error: `snapshot of ${collection} failed` } });
            const snap = `${collection}-${node.name}-${++counter}-2026-11-21-19-17-03.snapshot`;
            node.snapshots.set(`${collection}/${snap}`, content);
            const checksum = node.corrupt.has(collection) ? "0".repeat(64) : sha256(content);
            return json(res, 200, { result: { name: snap, creation_time: "2026-11-21T19:17:03", size: content.length, checksum }, status: "ok", time: 0.2 });
        }
        if (req.method === "POST" && parts[3] === "upload") {
            const file = multipartFile(String(req.headers["content-type"] ?? ""), data);
            if (!file || file.field !== "snapshot") return json(res, 400, { status: { error: "expected a multipart field named snapshot" } });
            node.recovered.push({ collection, priority: u.searchParams.get("priority"), content: file.content });
            return json(res, 200, { result: true, status: "ok", time: 0.5 });
        }
        const key = `${collection}/${parts[3]}`;
        if (req.method === "GET" && parts.length === 4) {
            const content = node.snapshots.get(key);
            if (!content) return json(res, 404, {});
            res.writeHead(200, { "content-type": "application/octet-stream", "content-length": content.length });
            return res.end(content);
        }
        if (req.method === "DELETE" && parts.length === 4) {
            node.deleted.push(key);
            node.snapshots.delete(key);
            return json(res, 200, { result: true, status: "ok", time: 0 });
        }
        return json(res, 404, {});
    });
    node.server = server;
    node.url = url;
}

export interface Azure {
    url: string;
    server?: http.Server;
    /** Committed blobs by name, with the metadata they were written with. */
    readonly blobs: Map<string, { content: Buffer; sha256?: string }>;
    /** Tokens issued; every storage request must carry one of them. */
    readonly tokens: string[];
    /** Token requests that broke the client-credentials-with-assertion contract. */
    readonly badTokenRequests: string[];
    readonly requests: string[];
    /** Largest single Put Blob / Put Block body accepted (a stand-in for Azure's limits). */
    maxPutBytes: number;
    /** Blocks staged per blob, before Put Block List commits them. */
    readonly staged: Map<string, Map<string, Buffer>>;
    /** Page size of List Blobs (NextMarker after that many names). */
    listPageSize: number;
}

export async function startAzure(): Promise<Azure> {
    const azure: Azure = { url: "", blobs: new Map(), tokens: [], badTokenRequests: [], requests: [], maxPutBytes: Infinity, staged: new Map(), listPageSize: 1000 };
    const { server, url } = await listen(async (req, res) => {
        const data = await body(req);
        const u = new URL(req.url ?? "/", "http://x");
        azure.requests.push(`${req.method} ${u.pathname}${u.search}`);
        if (req.method === "POST" && u.pathname === `/${TENANT}/oauth2/v2.0/token`) {
            const form = new URLSearchParams(data.toString());
            const expected: Record<string, string> = {
                client_id: CLIENT_ID,
                scope: "https://storage.azure.com/.default",
                grant_type: "client_credentials",
                client_assertion_type: "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
                client_assertion: FEDERATED_TOKEN,
            };
            const wrong = Object.entries(expected).filter(([k, v]) => form.get(k) !== v);
            if (wrong.length > 0) {
                azure.badTokenRequests.push(wrong.map(([k]) => k).join(","));
                return json(res, 400, { error: "invalid_request" });
            }
            const token = `standin-access-token-${azure.tokens.length + 1}`;
            azure.tokens.push(token);
            return json(res, 200, { token_type: "Bearer", expires_in: 3599, access_token: token });
        }
        const auth = String(req.headers.authorization ?? "");
        if (!auth.startsWith("Bearer ") || !azure.tokens.includes(auth.slice(7)) || !req.headers["x-ms-version"]) {
            res.writeHead(403);
            return res.end("<Error><Code>AuthorizationFailure</Code></Error>");
        }
        const [, container, ...rest] = u.pathname.split("/");
        if (container !== CONTAINER) {
            res.writeHead(404);
            return res.end("<Error><Code>ContainerNotFound</Code></Error>");
        }
        const name = decodeURIComponent(rest.join("/"));
        const comp = u.searchParams.get("comp");
        if (req.method === "GET" && u.searchParams.get("restype") === "container" && comp === "list") {
            const prefix = u.searchParams.get("prefix") ?? "";
            const all = [...azure.blobs.keys()].filter((n) => n.startsWith(prefix)).sort();
            const from = Number(u.searchParams.get("marker") ?? "0");
            const page = all.slice(from, from + azure.listPageSize);
            const next = from + azure.listPageSize < all.length ? String(from + azure.listPageSize) : "";
            res.writeHead(200, { "content-type": "application/xml" });
            return res.end(`<?xml version="1.0" encoding="utf-8"?><EnumerationResults ContainerName="${CONTAINER}"><Prefix>${prefix}</Prefix><Blobs>${page.map((n) => `<Blob><Name>${n}</Name><Properties /></Blob>`).join("")}</Blobs><NextMarker>${next}</NextMarker></EnumerationResults>`);
        }
        if (req.method === "PUT" && comp === "block") {
            if (data.length > azure.maxPutBytes) return void res.writeHead(413).end();
            const blocks = azure.staged.get(name) ?? new Map<string, Buffer>();
            blocks.set(u.searchParams.get("blockid") ?? "", data);
            azure.staged.set(name, blocks);
            return void res.writeHead(201).end();
        }
        if (req.method === "PUT" && comp === "blocklist") {
            const ids = [...data.toString().matchAll(/<Latest>([^<]+)<\/Latest>/g)].map((m) => m[1]);
            const staged = azure.staged.get(name) ?? new Map();
            if (ids.some((id) => !staged.has(id))) return void res.writeHead(400).end("<Error><Code>InvalidBlockList</Code></Error>");
            azure.blobs.set(name, { content: Buffer.concat(ids.map((id) => staged.get(id)!)), sha256: req.headers["x-ms-meta-sha256"] as string | undefined });
            azure.staged.delete(name);
            return void res.writeHead(201).end();
        }
        if (req.method === "PUT") {
            if (req.headers["x-ms-blob-type"] !== "BlockBlob") return void res.writeHead(400).end("<Error><Code>MissingRequiredHeader</Code></Error>");
            if (data.length > azure.maxPutBytes) return void res.writeHead(413).end("<Error><Code>RequestBodyTooLarge</Code></Error>");
            azure.blobs.set(name, { content: data, sha256: req.headers["x-ms-meta-sha256"] as string | undefined });
            return void res.writeHead(201).end();
        }
        if (req.method === "GET") {
            const blob = azure.blobs.get(name);
            if (!blob) return void res.writeHead(404).end("<Error><Code>BlobNotFound</Code></Error>");
            res.writeHead(200, { "content-length": blob.content.length, ...(blob.sha256 ? { "x-ms-meta-sha256": blob.sha256 } : {}) });
            return res.end(blob.content);
        }
        res.writeHead(405);
        res.end();
    });
    azure.server = server;
    azure.url = url;
    return azure;
}
