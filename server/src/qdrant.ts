/**
 * A minimal Qdrant REST client: the two calls the tools need and the readiness check. Qdrant checks the
 * `api-key` header on every API route once an API key is configured (its /healthz and /readyz are open,
 * so they cannot prove the key works; GET /collections can).
 */
export class QdrantError extends Error {
    constructor(
        message: string,
        readonly status?: number,
    ) {
        super(message);
        this.name = "QdrantError";
    }
}

export interface SearchHit {
    readonly id: string | number;
    readonly score: number;
    readonly payload?: Record<string, unknown>;
}

export class QdrantClient {
    constructor(
        private readonly baseUrl: string,
        private readonly apiKey: () => string | undefined,
        private readonly timeoutMs: number,
    ) {}

    private async call<T>(method: "GET" | "POST", path: string, body?: unknown): Promise<T> {
        const headers: Record<string, string> = { accept: "application/json" };
        const key = this.apiKey();
        if (key) headers["api-key"] = key;
        if (body !== undefined) headers["content-type"] = "application/json";
        let res: Response;
        try {
            res = await fetch(this.baseUrl + path, {
                method,
                headers,
                body: body === undefined ? undefined : JSON.stringify(body),
                signal: AbortSignal.timeout(this.timeoutMs),
            });
        } catch (err) {
            // Only the cause's code/name: undici's messages are safe, but nothing request-shaped is echoed.
            const cause = (err as { cause?: { code?: string } }).cause?.code ?? (err as Error).name;
            throw new QdrantError(`Qdrant at ${this.baseUrl} is unreachable (${cause})`);
        }
        const text = await res.text();
        if (res.status === 401 || res.status === 403) {
            throw new QdrantError(`Qdrant rejected the API key (HTTP ${res.status})`, res.status);
        }
        if (!res.ok) {
            // Qdrant's error body is {"status":{"error":"..."}}; report only that text, never request headers.
            let detail = "";
            try {
                detail = String((JSON.parse(text) as { status?: { error?: string } }).status?.error ?? "");
            } catch {
                detail = "";
            }
            throw new QdrantError(`Qdrant ${method} ${path} failed: HTTP ${res.status}${detail ? `: ${detail}` : ""}`, res.status);
        }
        return (JSON.parse(text) as { result: T }).result;
    }

    async listCollections(): Promise<string[]> {
        const result = await this.call<{ collections: Array<{ name: string }> }>("GET", "/collections");
        return result.collections.map((c) => c.name).sort();
    }

    async search(collection: string, vector: readonly number[], limit: number): Promise<SearchHit[]> {
        const path = `/collections/${encodeURIComponent(collection)}/points/search`;
        return this.call<SearchHit[]>("POST", path, { vector, limit, with_payload: true });
    }
}
