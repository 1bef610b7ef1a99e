/**
 * Every printed fix works when pasted: for each bad input in BAD_INPUTS, the stack file is changed the way a
 * user would (CLI commands through the model in pulumi-cli.ts, or YAML written by hand), the config is
 * validated, and then each problem's fix is applied the way the CLI would store it and validation re-runs:
 * that problem must be gone and no new one may appear; all fixes together must give a valid config.
 * ACCEPTED lists what the CLI stores for valid intents, which must parse to the intended values.
 *
 * Adding a config key? Add its bad inputs to BAD_INPUTS; the fixes come from the schema, by type.
 */
import { strict as assert } from "assert";
import { parseStackConfig, PROJECT, StackConfig } from "../components/config";
import { DEFAULT_API_KEYS, environmentDefaults } from "../components/config-defaults";
import { BadInput, baseline, fill, keyOf, problemsOf, stateFor, TODAY } from "./config-inputs";
import { PLACEHOLDER } from "./harness";
import { setCommand, yamlFix } from "../components/config-fix";
import { applyFix, rawConfigOf } from "./pulumi-cli";

export const BAD_INPUTS: readonly BadInput[] = [
    // numbers, booleans, strings, lists, maps, objects: wrong type and out of range
    { name: "node count 0", stack: "dev", commands: ["config set --path cluster.systemPool.minCount 0"], keys: ["cluster.systemPool.minCount"] },
    { name: "minCount above maxCount", stack: "dev", commands: ["config set --path cluster.systemPool.minCount 5"], keys: ["cluster.systemPool.minCount"] },
    { name: "boolean as yes", stack: "dev", commands: ["config set --path keyVault.purgeProtection yes"], keys: ["keyVault.purgeProtection"] },
    { name: "negative quota other than -1", stack: "dev", commands: ["config set --path cluster.logDailyQuotaGb -- -2"], keys: ["cluster.logDailyQuotaGb"] },
    { name: "quota as text", stack: "dev", commands: ["config set --path cluster.logDailyQuotaGb lots"], keys: ["cluster.logDailyQuotaGb"] },
    { name: "enum typo", stack: "dev", commands: ["config set --path cluster.tier Gold"], keys: ["cluster.tier"] },
    { name: "zone 4", stack: "prod", commands: ["config set --path cluster.zones[0] 1", "config set --path cluster.zones[1] 4"], keys: ["cluster.zones[1]"] },
    { name: "zones as one string", stack: "prod", yaml: { cluster: { authorizedIpRanges: ["20.1.0.0/16"], zones: "1,2,3" } }, keys: ["cluster.zones"] },
    { name: "list given as a map", stack: "dev", yaml: { apiKeys: { a: "OPENAI_API_KEY" } }, keys: ["apiKeys"] },
    { name: "object given as a list", stack: "dev", yaml: { cluster: [] }, keys: ["cluster"], says: [/cluster: an object with the keys kubernetesVersion, tier/] },
    { name: "map given as a string", stack: "dev", commands: ["config set tags team-a"], keys: ["tags"] },
    { name: "unknown top-level key", stack: "dev", commands: ["config set clustr Free"], keys: ["clustr"] },
    { name: "unknown nested key", stack: "dev", commands: ["config set --path cluster.systemPool.spot true"], keys: ["cluster.systemPool.spot"] },
    { name: "nested key set without --path", stack: "dev", commands: ["config set cluster.tier Standard"], keys: ["cluster.tier"] },
    { name: "version parsed as a float", stack: "dev", yaml: { cluster: { kubernetesVersion: 1.4 } }, keys: ["cluster.kubernetesVersion"], says: [/YAML read this as the number 1\.4; write it in quotes/, /Fix: pulumi config set --path cluster\.kubernetesVersion 1\.40 --stack dev/] },
    { name: "unsupported Kubernetes version", stack: "dev", commands: ["config set --path cluster.kubernetesVersion 1.29"], keys: ["cluster.kubernetesVersion"], says: [/community support for 1\.29 ended 2025-03/] },
    // networks
    { name: "CIDR with host bits", stack: "prod", commands: ["config set --path cluster.authorizedIpRanges[0] 20.1.2.3/16"], keys: ["cluster.authorizedIpRanges[0]"] },
    { name: "IPv6 range", stack: "prod", commands: ["config set --path cluster.authorizedIpRanges[0] 2001:db8::/32"], keys: ["cluster.authorizedIpRanges[0]"] },
    { name: "invalid CIDR", stack: "dev", commands: ["config set --path cluster.authorizedIpRanges[0] 10.0.0.300/24"], keys: ["cluster.authorizedIpRanges[0]"] },
    { name: "documentation range in prod", stack: "prod", keys: ["cluster.authorizedIpRanges[0]"], says: [/RFC 5737/] },
    { name: "DNS IP outside the service range", stack: "dev", commands: ["config set --path cluster.network.dnsServiceIp 10.1.0.10"], keys: ["cluster.network.dnsServiceIp"] },
    { name: "DNS IP on the network address", stack: "dev", commands: ["config set --path cluster.network.dnsServiceIp 10.0.0.0"], keys: ["cluster.network.dnsServiceIp"] },
    { name: "DNS IP on the kubernetes Service", stack: "dev", commands: ["config set --path cluster.network.dnsServiceIp 10.0.0.1"], keys: ["cluster.network.dnsServiceIp"], says: [/kubernetes Service/] },
    { name: "pod range overlaps service range", stack: "dev", commands: ["config set --path cluster.network.podCidr 10.0.0.0/8"], keys: ["cluster.network.podCidr"] },
    { name: "service range with host bits", stack: "dev", commands: ["config set --path cluster.network.serviceCidr 10.0.0.1/16"], keys: ["cluster.network.serviceCidr"] },
    // workloads
    { name: "request above limit", stack: "dev", commands: ["config set --path mcpServers.docs.resources.requests.memory 4Gi"], keys: ["mcpServers.docs.resources.requests.memory"] },
    { name: "zero-size volume", stack: "dev", commands: ["config set --path mcpServers.docs.dataVolumeSize 0Gi"], keys: ["mcpServers.docs.dataVolumeSize"] },
    { name: "zero-size Qdrant disk", stack: "dev", commands: ["config set --path qdrant.storageSize 0Mi"], keys: ["qdrant.storageSize"] },
    { name: "zero CPU request", stack: "dev", commands: ["config set --path qdrant.resources.requests.cpu 0m"], keys: ["qdrant.resources.requests.cpu"] },
    { name: "system namespace", stack: "dev", commands: ["config set namespace kube-system"], keys: ["namespace"] },
    { name: "image on latest", stack: "dev", commands: ["config set --path mcpServers.docs.image mcp-server:latest"], keys: ["mcpServers.docs.image"] },
    { name: "server build and image both set", stack: "dev", commands: ["config set --path mcpServers.docs.build.context server", "config set --path mcpServers.docs.image mcp-server:2.0.0"], keys: ["mcpServers.docs.image"] },
    { name: "server Dockerfile not in its context", stack: "dev", commands: ["config set --path mcpServers.docs.build.dockerfile Nope"], keys: ["mcpServers.docs.build.dockerfile"] },
    { name: "upstream server image without digest", stack: "dev", commands: ["config set --path mcpServers.docs.image ghcr.io/org/mcp:2.0.0"], keys: ["mcpServers.docs.image"] },
    { name: "server with neither build nor image", stack: "dev", commands: ["config set --path mcpServers.search.port 8080"], keys: ["mcpServers.search.image"] },
    { name: "platform setting overridden", stack: "dev", commands: ["config set --path mcpServers.docs.settings.QDRANT_URL http://elsewhere"], keys: ["mcpServers.docs.settings.QDRANT_URL"] },
    { name: "setting set with --secret", stack: "dev", commands: ["config set --path --secret mcpServers.docs.settings.SEARCH_TOKEN s3cr3t-value"], keys: ["mcpServers.docs.settings.SEARCH_TOKEN"] },
    { name: "float setting from hand-written YAML", stack: "dev", yaml: { mcpServers: { docs: { image: "mcp-server:1.0.0", settings: { LLM_TEMPERATURE: 0.3 } } } }, keys: ["mcpServers.docs.settings.LLM_TEMPERATURE"] },
    { name: "capacity: pods at HPA maximum do not fit", stack: "dev", commands: ["config set --path mcpServers.docs.maxReplicas 40"], keys: ["cluster.systemPool.maxCount"], says: [/at least \d+ nodes/] },
    { name: "capacity: one pod larger than any node", stack: "dev", commands: ["config set --path mcpServers.docs.resources.requests.memory 7Gi", "config set --path mcpServers.docs.resources.limits.memory 8Gi"], keys: ["mcpServers.docs.resources.requests"] },
    // Azure
    { name: "unknown region", stack: "dev", commands: ["config set location 'West Europe'"], keys: ["location"], says: [/did you mean westeurope/] },
    { name: "VM size not in the table", stack: "dev", commands: ["config set --path cluster.systemPool.vmSize Standard_Z9"], keys: ["cluster.systemPool.vmSize"] },
    { name: "ephemeral OS disk on a size without cache or temp disk", stack: "prod", commands: ["config set --path cluster.userPool.vmSize Standard_D2s_v5"], keys: ["cluster.userPool.osDiskType"] },
    { name: "ephemeral OS disk larger than the temp disk", stack: "prod", commands: ["config set --path cluster.userPool.osDiskSizeGB 100"], keys: ["cluster.userPool.osDiskSizeGB"] },
    { name: "tag the program overwrites", stack: "dev", commands: ["config set --path tags.Environment staging"], keys: ["tags.Environment"] },
    { name: "tag value too long", stack: "dev", commands: [`config set --path tags.owner ${"a".repeat(300)}`], keys: ["tags.owner"] },
    { name: "too many tags", stack: "dev", yaml: { tags: Object.fromEntries(Array.from({ length: 48 }, (_, i) => [`t${i}`, "x"])) }, keys: ["tags"] },
    { name: "name prefix too long for Key Vault", stack: "prod", commands: ["config set namePrefix platformteam"], keys: ["namePrefix"] },
    { name: "stack name too long for any prefix", stack: "dev", commands: [], keys: [] },
    // day 2: node pools, maintenance windows, alerts, budget
    { name: "maxPods above the CNI overlay limit", stack: "dev", commands: ["config set --path cluster.systemPool.maxPods 300"], keys: ["cluster.systemPool.maxPods"] },
    { name: "system pool maxPods below AKS's 30", stack: "dev", commands: ["config set --path cluster.systemPool.maxPods 20"], keys: ["cluster.systemPool.maxPods"], says: [/AKS requires it of system node pools/] },
    { name: "user pool minCount negative", stack: "prod", commands: ["config set --path cluster.userPool.minCount -- -1"], keys: ["cluster.userPool.minCount"] },
    { name: "prod system pool below three nodes", stack: "prod", commands: ["config set --path cluster.systemPool.minCount 2"], keys: ["cluster.systemPool.minCount"], says: [/at least 3 in prod/] },
    { name: "maintenance window shorter than AKS's 4 hours", stack: "dev", commands: ["config set --path maintenance.autoUpgrade.durationHours 2"], keys: ["maintenance.autoUpgrade.durationHours"] },
    { name: "maintenance day typo", stack: "dev", commands: ["config set --path maintenance.nodeOsUpgrade.dayOfWeek Funday"], keys: ["maintenance.nodeOsUpgrade.dayOfWeek"] },
    { name: "maintenance start time past midnight", stack: "dev", commands: ["config set --path maintenance.autoUpgrade.startTime 25:00"], keys: ["maintenance.autoUpgrade.startTime"] },
    { name: "maintenance UTC offset stored as a number", stack: "prod", commands: ["config set --path maintenance.autoUpgrade.utcOffset +5"], keys: ["maintenance.autoUpgrade.utcOffset"] },
    { name: "maintenance every 5 weeks", stack: "dev", commands: ["config set --path maintenance.nodeOsUpgrade.intervalWeeks 5"], keys: ["maintenance.nodeOsUpgrade.intervalWeeks"] },
    { name: "alert email without a domain", stack: "dev", commands: ["config set --path alerts.emails[0] oncall"], keys: ["alerts.emails[0]"] },
    { name: "prod alerts reach nobody", stack: "prod", yaml: { alerts: { emails: [] } }, keys: ["alerts.emails"], says: [/at least one address in prod/] },
    { name: "budget of zero", stack: "dev", commands: ["config set --path budget.amount 0"], keys: ["budget.amount"] },
    { name: "budget threshold as text", stack: "dev", commands: ["config set --path budget.forecastPercent[0] most"], keys: ["budget.forecastPercent[0]"] },
    { name: "budget with more than five notifications", stack: "prod", commands: ["config set --path budget.actualPercent '[50,60,70,80,90]'"], keys: ["budget.actualPercent"], says: [/at most five notifications/] },
    { name: "budget without notifications", stack: "dev", yaml: { budget: { actualPercent: [], forecastPercent: [] } }, keys: ["budget.actualPercent"] },
    // secrets
    { name: "missing API keys", stack: "dev", withoutSecrets: true, keys: DEFAULT_API_KEYS },
    { name: "API key in plaintext", stack: "dev", commands: ["config set OPENAI_API_KEY sk-live-plaintext"], keys: ["OPENAI_API_KEY"] },
    { name: "secret not named in apiKeys", stack: "dev", commands: ["config set --secret EXTRA_API_KEY abc"], keys: ["EXTRA_API_KEY"] },
    { name: "prod purge protection off", stack: "prod", commands: ["config set --path keyVault.purgeProtection false"], keys: ["keyVault.purgeProtection"] },
    { name: "several problems at once", stack: "dev", commands: ["config set --path cluster.tier Gold", "config set --path cluster.systemPool.minCount 0", "config set kubeloginMode devicecode"], withoutSecrets: true, keys: ["cluster.tier", "cluster.systemPool.minCount", "kubeloginMode", "OPENAI_API_KEY"] },
];

/** Valid intents in the form the CLI stores them, and what the config must make of them. */
export const ACCEPTED: ReadonlyArray<{ name: string; stack: "dev" | "prod"; commands: readonly string[]; check(cfg: StackConfig): void }> = [
    { name: "a fractional number set with --path (stored as a string)", stack: "dev", commands: ["config set --path cluster.logDailyQuotaGb 0.5"], check: (c) => assert.equal(c.cluster.logDailyQuotaGb, 0.5) },
    { name: "-1 set with --path", stack: "dev", commands: ["config set --path cluster.logDailyQuotaGb -- -1"], check: (c) => assert.equal(c.cluster.logDailyQuotaGb, -1) },
    { name: "a zone set with --path (stored as a number)", stack: "prod", commands: ["config set --path cluster.zones[0] 1", "config set --path cluster.zones[1] 2"], check: (c) => assert.deepEqual(c.cluster.zones, ["1", "2"]) },
    { name: "a whole list as JSON text", stack: "prod", commands: ["config set --path cluster.authorizedIpRanges '[\"20.1.0.0/16\",\"20.2.0.0/16\"]'"], check: (c) => assert.deepEqual(c.cluster.authorizedIpRanges, ["20.1.0.0/16", "20.2.0.0/16"]) },
    { name: "an empty list as JSON text", stack: "dev", commands: ["config set --path mcpServers.docs.indexInitCommand '[]'"], check: (c) => assert.deepEqual(c.mcpServers.docs.indexInitCommand, []) },
    { name: "a CPU quantity of 1 (stored as a number)", stack: "dev", commands: ["config set --path mcpServers.docs.resources.limits.cpu 1"], check: (c) => assert.equal(c.mcpServers.docs.resources.limits.cpu, "1") },
    { name: "numeric and boolean settings", stack: "dev", commands: ["config set --path mcpServers.docs.settings.LLM_MAX_TOKENS 8000", "config set --path mcpServers.docs.settings.AGENTIC_EVALUATION_ENABLED false", "config set --path mcpServers.docs.settings.LLM_TEMPERATURE 0.2"], check: (c) => assert.deepEqual(["LLM_MAX_TOKENS", "AGENTIC_EVALUATION_ENABLED", "LLM_TEMPERATURE"].map((k) => c.mcpServers.docs.settings[k]), ["8000", "false", "0.2"]) },
    { name: "a numeric tag value", stack: "dev", commands: ["config set --path tags.costCenter 4711", "config set --path tags.ticket 00123"], check: (c) => assert.deepEqual({ ...c.tags }, { costCenter: "4711", ticket: "00123" }) },
    { name: "a quoted Kubernetes version (stored as a string)", stack: "dev", commands: ["config set --path cluster.kubernetesVersion 1.34"], check: (c) => assert.equal(c.cluster.kubernetesVersion, "1.34") },
    { name: "apiKeys as JSON text at the top level", stack: "dev", commands: ["config set apiKeys '[\"OPENAI_API_KEY\"]'", "config rm ANTHROPIC_API_KEY", "config rm TAVILY_API_KEY"], check: (c) => assert.deepEqual(c.apiKeys, ["OPENAI_API_KEY"]) },
];

describe("config fixes: every printed fix works when pasted", function () {
    for (const input of BAD_INPUTS) {
        if (input.keys.length === 0) continue;
        it(input.name, () => {
            const commands = input.name === "documentation range in prod" ? input.commands ?? [] : [...baseline(input.stack), ...(input.commands ?? [])];
            const state = stateFor({ ...input, commands });
            const problems = problemsOf(state);
            const message = problems.map((p) => `  - ${p.key}: ${p.allowed}. Fix: ${p.fix}`).join("\n");
            for (const key of input.keys) assert.ok(problems.some((p) => p.key === key), `no problem for ${key}:\n${message}`);
            for (const re of input.says ?? []) assert.match(message, re);
            assert.equal(new Set(problems.map(keyOf)).size, problems.length, `a problem is reported twice:\n${message}`);
            for (const p of problems) {
                assert.doesNotMatch(p.allowed, /Invalid input|expected \w+, received|Too (small|big)/, `raw validator wording: ${p.allowed}`);
                const fixed = structuredClone(state);
                applyFix(fixed, PROJECT, p.fix, fill, PLACEHOLDER.fakeSecret);
                const after = problemsOf(fixed);
                assert.ok(!after.some((q) => keyOf(q) === keyOf(p)), `the fix for ${p.key} did not fix it: ${p.fix}\n${after.map(keyOf).join("\n")}`);
                // A fix that replaces a whole value (`pulumi config rm cluster`) may reveal problems inside it
                // (prod's required ranges): those are the same problem, told in more detail.
                const before = new Set(problems.map((q) => q.key));
                const inside = (k: string) => k.startsWith(`${p.key}.`) || k.startsWith(`${p.key}[`);
                const fresh = after.filter((q) => !before.has(q.key) && !inside(q.key));
                assert.deepEqual(fresh.map(keyOf), [], `the fix for ${p.key} (${p.fix}) caused new problems`);
            }
            // All fixes one after the other give a valid config (each later fix still applies).
            const all = structuredClone(state);
            let left = problemsOf(all);
            for (let round = 0; round < 5 && left.length > 0; round++) {
                for (const p of left) applyFix(all, PROJECT, p.fix, fill, PLACEHOLDER.fakeSecret);
                left = problemsOf(all);
            }
            assert.deepEqual(left.map(keyOf), []);
        });
    }

    it("a stack name too long for any name prefix asks for a shorter stack name, and renaming fixes it", () => {
        const state = stateFor({ stack: "dev" });
        state.stack = "development-westeurope";
        state.config[`${PROJECT}:environment`] = "dev";
        const problems = problemsOf(state);
        const p = problems.find((x) => x.key === "namePrefix");
        assert.ok(p, problems.map(keyOf).join("\n"));
        assert.match(p.allowed, /no prefix fits/);
        applyFix(state, PROJECT, p.fix, fill, PLACEHOLDER.fakeSecret);
        assert.deepEqual(problemsOf(state).map(keyOf), []);
    });
});

describe("config fixes: values no `pulumi config set` stores faithfully", () => {
    it("are written as a stack file edit, which keeps them strings", () => {
        // The CLI would store "+5" as the number 5 and a 19-digit id as an int64 that JavaScript cannot hold exactly.
        for (const value of ["+5", "-05", "1234567890123456789"]) {
            assert.equal(setCommand("dev", ["tags", "ticket"], value), undefined, value);
            const state = stateFor({ stack: "dev" });
            applyFix(state, PROJECT, yamlFix("dev", ["tags", "ticket"], value, PROJECT), fill, PLACEHOLDER.fakeSecret);
            const { raw, secretKeys } = rawConfigOf(state, PLACEHOLDER.fakeSecret);
            assert.equal(parseStackConfig(raw, { stack: "dev", secretKeys }).tags.ticket, value);
        }
        assert.ok(setCommand("dev", ["tags", "ticket"], "0123"), "a leading zero keeps it a string, so the CLI form works");
        assert.ok(setCommand("dev", ["tags", "ticket"], "12345678901234567890"), "beyond int64 the CLI keeps the string");
    });
});

describe("config: what the CLI stores for valid intents is accepted", () => {
    for (const a of ACCEPTED) {
        it(a.name, () => {
            const state = stateFor({ stack: a.stack, commands: [...baseline(a.stack), ...a.commands] });
            const { raw, secretKeys } = rawConfigOf(state, PLACEHOLDER.fakeSecret);
            a.check(parseStackConfig(raw, { stack: a.stack, secretKeys, today: TODAY, deployment: true }));
        });
    }
});

/** Every path of the defaults (objects, their fields, a first list element): new keys are covered as they come. */
function defaultPaths(value: unknown, p: Array<string | number> = []): Array<Array<string | number>> {
    if (Array.isArray(value)) return [p, [...p, 0]];
    if (value && typeof value === "object") return [p, ...Object.entries(value).flatMap(([k, v]) => defaultPaths(v, [...p, k]))];
    return [p];
}

/** Writes `value` at a path of the stack file by hand, creating objects on the way. */
function writeAt(config: Record<string, unknown>, p: ReadonlyArray<string | number>, value: unknown): void {
    const top = `${PROJECT}:${p[0]}`;
    if (p.length === 1) {
        config[top] = value;
        return;
    }
    const root: any = typeof config[top] === "object" && config[top] !== null ? structuredClone(config[top]) : {};
    let c = root;
    for (let i = 1; i < p.length - 1; i++) {
        if (typeof c[p[i]] !== "object" || c[p[i]] === null) c[p[i]] = typeof p[i + 1] === "number" ? [] : {};
        c = c[p[i]];
    }
    c[p[p.length - 1]] = value;
    config[top] = root;
}

describe("config fixes: every key, given a value of each wrong type", function () {
    // One value of every other JSON type, JSON text, and an encrypted-looking blob that must never be shown.
    const WRONG: unknown[] = [null, "x", 1.5, [], "{}", { secure: "v1:bm90LWEtcmVhbC1jaXBoZXJ0ZXh0" }];
    it("is refused or accepted, never crashes, never shows the blob or validator wording, and each fix works", () => {
        const failures: string[] = [];
        for (const path of defaultPaths(environmentDefaults("prod")).filter((p) => p.length > 0)) {
            for (const value of WRONG) {
                const state = stateFor({ stack: "prod", commands: baseline("prod") });
                writeAt(state.config, path, value);
                const where = `${path.join(".")} = ${JSON.stringify(value)}`;
                const problems = problemsOf(state);
                for (const p of problems) {
                    if (JSON.stringify(p).includes("v1:bm90")) failures.push(`${where}: ${p.key} shows the blob`);
                    if (/Invalid input|expected \w+, received|Too (small|big)/.test(p.allowed)) failures.push(`${where}: raw validator wording for ${p.key}: ${p.allowed}`);
                    const fixed = structuredClone(state);
                    try {
                        applyFix(fixed, PROJECT, p.fix, fill, PLACEHOLDER.fakeSecret);
                    } catch (e) {
                        failures.push(`${where}: the CLI refuses the fix for ${p.key}: ${p.fix} (${(e as Error).message})`);
                        continue;
                    }
                    const after = problemsOf(fixed);
                    if (after.some((q) => keyOf(q) === keyOf(p))) failures.push(`${where}: the fix for ${p.key} does not fix it: ${p.fix}`);
                    const before = new Set(problems.map((q) => q.key));
                    const fresh = after.filter((q) => !before.has(q.key) && !q.key.startsWith(`${p.key}.`) && !q.key.startsWith(`${p.key}[`));
                    if (fresh.length > 0) failures.push(`${where}: the fix for ${p.key} causes ${fresh.map(keyOf).join("; ")}`);
                }
            }
        }
        assert.deepEqual(failures, []);
    });
});
