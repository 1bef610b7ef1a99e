/**
 * Per-environment defaults, in one place. A stack file only states where it differs from these.
 * Cost notes are list prices (pay-as-you-go, Linux, West Europe, 730 h/month) as of 2026; see README "Cost".
 */
export type Environment = "dev" | "prod";

export const ENVIRONMENTS: readonly Environment[] = ["dev", "prod"];

/**
 * The server a stack runs when its config names none: the reference MCP server from `server/` (seeds/000's
 * documentation search over the `crypto_docs` index). Named for what it serves; it becomes `docs-mcp` in the
 * cluster and the route `/mcp/docs` at the edge.
 */
export const DEFAULT_SERVER_NAME = "docs";

/** The API keys the reference MCP server reads (env var names; Key Vault stores them as openai-api-key, ...). */
export const DEFAULT_API_KEYS = ["OPENAI_API_KEY", "ANTHROPIC_API_KEY", "TAVILY_API_KEY"];

/** Non-secret MCP server settings from the original plan (seeds/000); the ConfigMap adds the wiring values. */
export const DEFAULT_MCP_SETTINGS: Record<string, string> = {
    QDRANT_COLLECTION: "crypto_docs",
    LLM_SYNTHESIS_MODEL: "gpt-4.1",
    LLM_EVALUATION_MODEL: "gpt-4.1-mini",
    LLM_REFINEMENT_MODEL: "gpt-4.1",
    LLM_ANALYZER_MODEL: "gpt-4.1-mini",
    LLM_MAX_TOKENS: "4000",
    LLM_TEMPERATURE: "0.3",
    AGENTIC_EVALUATION_ENABLED: "true",
    AGENTIC_MAX_ITERATIONS: "3",
    AGENTIC_AUTO_RETURN_THRESHOLD: "85",
    MCP_RESPONSE_METADATA: "true",
};

/**
 * Third-party images, each imported into the stack's ACR and run from there by the same digest (a
 * multi-architecture index digest, so the same reference serves amd64 and arm64 nodes). Bump a version by
 * replacing tag and digest together; `docker buildx imagetools inspect <image>:<tag>` prints the digest.
 */
export const DEFAULT_IMAGES: Record<string, string> = {
    // The -unprivileged build runs as uid/gid 1000 instead of root, which Pod Security "restricted"
    // requires; v1.19.2 is the newest release with that variant at the time of writing.
    qdrant: "docker.io/qdrant/qdrant:v1.19.2-unprivileged@sha256:efb96a9425a90d2d5a1a0a474156280df1892dcdf1af3e8515bd2589b1bfd88b",
    // A small curl (runs as uid 100, curl_user) for the smoke test and backup jobs.
    curl: "docker.io/curlimages/curl:8.11.1@sha256:c1fe1679c34d9784c1b0d1e5f62ac0a79fca01fb6377cdd33e90473c6f9f9a69",
    // The edge's gateway: agentgateway v1.4.1 from its own registry, pinned by the digest that independent
    // deployments of that release pin (runs as uid 65532).
    agentgateway: "cr.agentgateway.dev/agentgateway:v1.4.1@sha256:efd79355b89094a8225a9db465d9a01dc656b377f0bab458761b935a13231d29",
    // Only in edge.tls.mode letsEncrypt: Caddy in front of agentgateway, for ACME (agentgateway has none).
    caddy: "docker.io/library/caddy:2.10.2@sha256:c3d7ee5d2b11f9dc54f947f68a734c84e9c9666c92c88a7f30b9cba5da182adb",
};

/** The defaults as plain data (the shape of the stack config), deep-merged under what the stack sets. */
export function environmentDefaults(environment: Environment): Record<string, unknown> {
    const prod = environment === "prod";
    return {
        location: "westeurope",
        namePrefix: "mcp",
        tags: {},
        kubeloginMode: "azurecli",
        // No default admin: the stack must name who administers the cluster (config.ts says how).
        access: { adminGroups: [], ciServicePrincipal: null, adminUsers: [] },
        apiKeys: [...DEFAULT_API_KEYS],
        cluster: {
            // Free tier has no uptime SLA; Standard adds the financially backed API server SLA prod needs.
            tier: prod ? "Standard" : "Free",
            zones: prod ? ["1", "2", "3"] : [],
            // B2ms (2 vCPU, 8 GiB) is the cheapest size that fits the add-ons plus MCP and Qdrant; its
            // cache is too small for an ephemeral OS disk, so it gets a small managed disk instead.
            // maxPods: 110 is the Kubernetes default per node and clears PSRule's minimum of 50; the system
            // pool needs at least 30 (AKS). Prod's system pool has one node per zone (AKS production guidance)
            // and, with the user pool able to scale to zero, also runs the workloads: three nodes across three
            // zones are the floor, the user pool the autoscaler's room to grow. This keeps prod's minimum scale
            // well inside its cost target with replicated Qdrant and the edge (README "Cost").
            systemPool: prod
                ? { vmSize: "Standard_D2ds_v5", minCount: 3, maxCount: 4, osDiskType: "Ephemeral", osDiskSizeGB: 64, maxPods: 110 }
                : { vmSize: "Standard_B2ms", minCount: 1, maxCount: 3, osDiskType: "Managed", osDiskSizeGB: 32, maxPods: 110 },
            userPool: prod
                ? { vmSize: "Standard_D2ds_v5", minCount: 0, maxCount: 6, osDiskType: "Ephemeral", osDiskSizeGB: 64, maxPods: 110 }
                : null,
            authorizedIpRanges: [],
            // The same channel in both, so dev (whose maintenance window comes first each week) receives every
            // upgrade prod will; "stable" also satisfies PSRule's Azure.AKS.Version without pinning a version.
            upgradeChannel: "stable",
            nodeOsUpgradeChannel: "NodeImage",
            network: { podCidr: "10.244.0.0/16", serviceCidr: "10.0.0.0/16", dnsServiceIp: "10.0.0.10" },
            managedPrometheus: prod,
            logRetentionDays: prod ? 90 : 30,
            // Caps Log Analytics ingestion in dev, where logs are the largest variable cost; -1 is no cap.
            logDailyQuotaGb: prod ? -1 : 0.1,
        },
        registry: { sku: prod ? "Standard" : "Basic" },
        keyVault: {
            sku: "standard",
            softDeleteRetentionDays: prod ? 90 : 7,
            purgeProtection: prod,
        },
        namespace: "mcp-server",
        images: { ...DEFAULT_IMAGES },
        // Only `docs`; a stack's own entries merge over this map key by key, and every entry merges over
        // mcpServerDefaults below.
        mcpServers: {
            [DEFAULT_SERVER_NAME]: {
                // apiKeys: every key of the stack's apiKeys, unless the stack says otherwise (config.ts).
                // The reference server in this repo, built in ACR Tasks; the Dockerfile path is relative to it.
                build: { context: "server", dockerfile: "Dockerfile" },
                usesQdrant: true,
                // server/'s /ready also proves Qdrant answers with the shared key, and fails while it drains.
                readyPath: "/ready",
                settings: { ...DEFAULT_MCP_SETTINGS },
            },
        },
        edge: {
            // dev has no public endpoint (no public IP, no cost): a port-forward reaches it. prod has no
            // default: exposing an MCP endpoint is a decision the stack file must state (DESIGN.md pitfall 10).
            tls: { ...(prod ? {} : { mode: "private" }), hostname: "", certificateName: "", dnsLabel: "", acmeEmail: "" },
            loadBalancer: "public",
            sourceRanges: [],
            // Longer than any tool call (Claude gives up after 300 s) plus the SSE keepalive gap; the Azure
            // default of 4 minutes silently cuts idle streams (DESIGN.md pitfall 5).
            idleTimeoutMinutes: 30,
            // Two replicas in prod: the edge is the only way in, so a drain or a crash must leave one serving.
            minReplicas: prod ? 2 : 1,
            maxReplicas: prod ? 6 : 2,
            resources: {
                requests: { cpu: prod ? "100m" : "50m", memory: "128Mi" },
                limits: { cpu: "1000m", memory: "512Mi" },
            },
            targetCpuUtilization: 70,
            entra: { existingAppId: "", requireAppRoles: true },
        },
        // Dev upgrades on Tuesday working hours, a week-day ahead of prod's weekend nights, so a bad upgrade
        // shows in dev first and prod's land when traffic is lowest. AKS needs at least 4 hours per window.
        maintenance: prod
            ? {
                  autoUpgrade: { dayOfWeek: "Sunday", intervalWeeks: 1, startTime: "01:00", durationHours: 4, utcOffset: "+00:00" },
                  nodeOsUpgrade: { dayOfWeek: "Saturday", intervalWeeks: 1, startTime: "01:00", durationHours: 4, utcOffset: "+00:00" },
              }
            : {
                  autoUpgrade: { dayOfWeek: "Tuesday", intervalWeeks: 1, startTime: "08:00", durationHours: 4, utcOffset: "+00:00" },
                  nodeOsUpgrade: { dayOfWeek: "Wednesday", intervalWeeks: 1, startTime: "08:00", durationHours: 4, utcOffset: "+00:00" },
              },
        // Prod requires at least one address (config.ts); dev alerts show in the portal when none is set.
        alerts: { emails: [] },
        // The cost targets (DESIGN.md): notify at 80% and 100% of actual spend and when the forecast passes 100%.
        budget: { amount: prod ? 700 : 110, actualPercent: [80, 100], forecastPercent: [100] },
        qdrant: {
            // The image is images.qdrant.
            storageSize: prod ? "50Gi" : "10Gi",
            resources: {
                requests: { cpu: prod ? "500m" : "250m", memory: "1Gi" },
                limits: { cpu: "1000m", memory: prod ? "4Gi" : "2Gi" },
            },
            // prod: a 3-node cluster, one node per zone. Every shard on all 3 nodes (RF 3) and writes
            // acknowledged by 2: with one node down reads and writes go on, and each node's snapshot
            // holds the whole collection, so any single node's snapshot restores it.
            replicas: prod ? 3 : 1,
            replicationFactor: prod ? 3 : 1,
            writeConsistencyFactor: prod ? 2 : 1,
            readOnlyApiKey: false,
            backup: {
                enabled: true,
                // Hourly in prod for the 1-hour RPO (seeds/004); daily in dev. Minute 17 avoids the top of the hour.
                schedule: prod ? "17 * * * *" : "17 3 * * *",
                retentionDays: prod ? 7 : 3,
            },
        },
    };
}

/**
 * What every MCP server entry starts from, before the stack's values for it. No build and no image: a server must say
 * what it runs. No API keys and no Qdrant: a server gets a secret or a data store only when it names it.
 */
export function mcpServerDefaults(environment: Environment): Record<string, unknown> {
    const prod = environment === "prod";
    return {
        enabled: true,
        port: 3000,
        path: "/mcp",
        healthPath: "/health",
        // readyPath: the entry's healthPath unless it names one (config.ts): ready when it is alive.
        minReplicas: prod ? 2 : 1,
        maxReplicas: prod ? 10 : 3,
        resources: {
            requests: { cpu: "250m", memory: "512Mi" },
            limits: { cpu: "1000m", memory: "2Gi" },
        },
        targetCpuUtilization: 70,
        targetMemoryUtilization: 80,
        dataVolumeSize: "5Gi",
        indexInitCommand: [],
        apiKeys: [],
        usesQdrant: false,
        settings: {},
    };
}
