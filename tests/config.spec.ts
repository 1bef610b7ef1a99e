import { strict as assert } from "assert";
import { ConfigError, parseStackConfig, StackConfig } from "../components/config";
import { SOURCE_ROOT } from "./fixtures";
import { stackRawConfig, PLACEHOLDER } from "./harness";

/** Parses a stack file with overrides; returns the ConfigError it throws, or fails. */
function errorFor(stack: string, overrides: Record<string, string>, withoutFakeSecrets = false): ConfigError {
    const { raw, secretKeys } = stackRawConfig(stack, { overrides, withoutFakeSecrets });
    try {
        parseStackConfig(raw, { stack, secretKeys, sourceRoot: SOURCE_ROOT });
    } catch (e) {
        if (e instanceof ConfigError) return e;
        throw e;
    }
    assert.fail(`expected a ConfigError for ${JSON.stringify(overrides)}`);
}

function parse(stack: string, overrides: Record<string, string> = {}): StackConfig {
    const { raw, secretKeys } = stackRawConfig(stack, { overrides });
    return parseStackConfig(raw, { stack, secretKeys, sourceRoot: SOURCE_ROOT });
}

function onlyProblem(err: ConfigError, key: string) {
    const p = err.problems.find((x) => x.key === key);
    assert.ok(p, `no problem for ${key} in:\n${err.message}`);
    return p;
}

describe("config: the real stack files", () => {
    it("Pulumi.dev.yaml parses into the dev profile", () => {
        const cfg = parse("dev");
        assert.equal(cfg.environment, "dev");
        assert.equal(cfg.cluster.tier, "Free");
        assert.deepEqual(cfg.cluster.zones, []);
        assert.equal(cfg.cluster.userPool, null);
        assert.equal(cfg.keyVault.purgeProtection, false);
        assert.ok(Object.isFrozen(cfg) && Object.isFrozen(cfg.cluster.systemPool), "config must be frozen");
    });

    it("Pulumi.prod.yaml parses into the prod profile", () => {
        const cfg = parse("prod");
        assert.equal(cfg.environment, "prod");
        assert.equal(cfg.cluster.tier, "Standard");
        assert.deepEqual(cfg.cluster.zones, ["1", "2", "3"]);
        assert.ok(cfg.cluster.userPool, "prod has a user pool");
        assert.ok(cfg.cluster.authorizedIpRanges.length > 0);
        assert.equal(cfg.keyVault.purgeProtection, true);
        assert.deepEqual(Object.keys(cfg.mcpServers), ["docs"]);
        assert.equal(cfg.mcpServers.docs.minReplicas, 2, "prod's per-server default");
    });

    it("secrets are wrapped and never serialised", () => {
        const cfg = parse("dev");
        assert.deepEqual(Object.keys(cfg.secrets).sort(), ["ANTHROPIC_API_KEY", "OPENAI_API_KEY", "TAVILY_API_KEY"]);
        assert.equal(cfg.secrets.OPENAI_API_KEY.reveal(), PLACEHOLDER.fakeSecret);
        assert.ok(!JSON.stringify(cfg).includes(PLACEHOLDER.fakeSecret));
        assert.ok(!require("util").inspect(cfg, { depth: 10 }).includes(PLACEHOLDER.fakeSecret));
        assert.ok(!String(cfg.secrets.OPENAI_API_KEY).includes(PLACEHOLDER.fakeSecret));
    });
});

describe("config: every bad value gives a clear error", () => {
    it("an unknown top-level key names the key, suggests the right one and how to remove it", () => {
        const err = errorFor("dev", { "mcp-aks:clustr": JSON.stringify({ tier: "Free" }) });
        const p = onlyProblem(err, "clustr");
        assert.match(p.allowed, /did you mean "cluster"/);
        assert.match(p.fix, /pulumi config rm clustr --stack dev/);
    });

    it("an unknown nested key is rejected", () => {
        const err = errorFor("dev", { "mcp-aks:cluster": JSON.stringify({ systemPool: { vmSize: "Standard_B2ms", minCount: 1, maxCount: 2, osDiskType: "Managed", osDiskSizeGB: 32, spot: true } }) });
        const p = onlyProblem(err, "cluster.systemPool.spot");
        assert.match(p.fix, /pulumi config rm --path cluster.systemPool.spot --stack dev/);
    });

    it("a wrong type names the value and the expected type", () => {
        const err = errorFor("dev", { "mcp-aks:keyVault": JSON.stringify({ purgeProtection: "yes" }) });
        const p = onlyProblem(err, "keyVault.purgeProtection");
        assert.equal(p.value, "yes");
        assert.equal(p.allowed, "true or false");
        assert.match(err.message, /mcp-aks:keyVault\.purgeProtection is "yes"; allowed: true or false/);
        assert.match(p.fix, /pulumi config set --path keyVault\.purgeProtection false --stack dev/);
    });

    it("a node count out of range shows the range and the environment's default", () => {
        const err = errorFor("dev", { "mcp-aks:cluster": JSON.stringify({ systemPool: { minCount: 0 } }) });
        const p = onlyProblem(err, "cluster.systemPool.minCount");
        assert.equal(p.value, 0);
        assert.equal(p.allowed, "an integer from 1 to 100");
        assert.match(p.fix, /pulumi config set --path cluster\.systemPool\.minCount 1 --stack dev/);
    });

    it("minCount above maxCount is rejected", () => {
        const err = errorFor("dev", { "mcp-aks:cluster": JSON.stringify({ systemPool: { minCount: 5, maxCount: 3 } }) });
        assert.match(onlyProblem(err, "cluster.systemPool.minCount").allowed, /at most cluster\.systemPool\.maxCount \(3\)/);
    });

    it("a VM size that is not a string is rejected", () => {
        const err = errorFor("prod", { "mcp-aks:cluster": JSON.stringify({ authorizedIpRanges: ["203.0.113.0/24"], userPool: { vmSize: 4 } }) });
        const p = onlyProblem(err, "cluster.userPool.vmSize");
        // The CLI stores `--path ... 4` as a number; an integer is accepted as the string "4", which no size is.
        assert.equal(p.value, "4");
        assert.match(p.allowed, /Azure VM size string/);
        assert.match(p.fix, /Standard_D2ds_v5/);
    });

    it("a CIDR that is not valid is rejected", () => {
        const err = errorFor("prod", { "mcp-aks:cluster": JSON.stringify({ authorizedIpRanges: ["10.0.0.300/24"] }) });
        const p = onlyProblem(err, "cluster.authorizedIpRanges[0]");
        assert.equal(p.value, "10.0.0.300/24");
        assert.match(p.allowed, /CIDR/);
    });

    it("a DNS service IP outside the service CIDR is rejected", () => {
        const err = errorFor("dev", { "mcp-aks:cluster": JSON.stringify({ network: { dnsServiceIp: "10.1.0.10" } }) });
        assert.match(onlyProblem(err, "cluster.network.dnsServiceIp").allowed, /inside cluster\.network\.serviceCidr/);
    });

    it("overlapping pod and service CIDRs are rejected", () => {
        const err = errorFor("dev", { "mcp-aks:cluster": JSON.stringify({ network: { podCidr: "10.0.0.0/8" } }) });
        assert.ok(onlyProblem(err, "cluster.network.podCidr"));
    });

    it("a name prefix too long for Key Vault's 24 characters names the limit", () => {
        const err = errorFor("prod", { "mcp-aks:namePrefix": "platformteam" });
        const p = onlyProblem(err, "namePrefix");
        assert.equal(p.value, "platformteam");
        assert.match(p.allowed, /Key Vault name "kv-platformteam-prod-xxxxxx" \(27 characters; Azure allows 3-24/);
        assert.match(p.allowed, /"kv-" \+ namePrefix \+ "-" \+ the stack name "prod" \+ "-" \+ a 6-character suffix/);
        assert.match(p.allowed, /^at most 9 characters with this stack/);
        assert.match(p.fix, /^pulumi config set namePrefix platformt --stack prod$/);
    });

    it("a missing required secret names the secret command, for each key", () => {
        const err = errorFor("dev", {}, true);
        for (const name of ["OPENAI_API_KEY", "ANTHROPIC_API_KEY", "TAVILY_API_KEY"]) {
            const p = onlyProblem(err, name);
            assert.equal(p.value, undefined);
            assert.equal(p.fix, `pulumi config set --secret ${name} '<value>' --stack dev`);
        }
        assert.match(err.message, /mcp-aks:OPENAI_API_KEY is not set/);
    });

    it("an API key set in plaintext is rejected without echoing it", () => {
        const { raw, secretKeys } = stackRawConfig("dev", {});
        const leaked = "sk-live-should-never-be-printed";
        const err = (() => {
            try {
                parseStackConfig({ ...raw, "mcp-aks:OPENAI_API_KEY": leaked }, { stack: "dev", secretKeys: secretKeys.filter((k) => k !== "mcp-aks:OPENAI_API_KEY"), sourceRoot: SOURCE_ROOT });
            } catch (e) {
                return e as ConfigError;
            }
            return assert.fail("plaintext secret accepted");
        })();
        assert.match(onlyProblem(err, "OPENAI_API_KEY").fix, /--secret/);
        assert.ok(!err.message.includes(leaked), "the secret value leaked into the error");
    });

    it("prod refuses an API server open to the internet", () => {
        const err = errorFor("prod", { "mcp-aks:cluster": JSON.stringify({ authorizedIpRanges: [] }) });
        assert.equal(onlyProblem(err, "cluster.authorizedIpRanges").fix, `pulumi config set --path cluster.authorizedIpRanges '["<your-office-or-runner-cidr>"]' --stack prod`);
    });

    it("maintenance windows: a bad start time and a window shorter than AKS's 4 hours name the key and the default", () => {
        const err = errorFor("dev", { "mcp-aks:maintenance": JSON.stringify({ autoUpgrade: { startTime: "25:00" }, nodeOsUpgrade: { durationHours: 2 } }) });
        const time = onlyProblem(err, "maintenance.autoUpgrade.startTime");
        assert.equal(time.value, "25:00");
        assert.equal(time.allowed, "a 24-hour time HH:MM such as 02:00");
        assert.match(time.fix, /pulumi config set --path maintenance\.autoUpgrade\.startTime 08:00 --stack dev/);
        assert.equal(onlyProblem(err, "maintenance.nodeOsUpgrade.durationHours").allowed, "an integer from 4 to 24");
        assert.equal(onlyProblem(err, "maintenance.nodeOsUpgrade.durationHours").value, 2);
    });

    it("maintenance windows come from config over the environment's defaults", () => {
        const cfg = parse("prod", { "mcp-aks:maintenance": JSON.stringify({ autoUpgrade: { dayOfWeek: "Friday", utcOffset: "+02:00" } }) });
        assert.equal(cfg.maintenance.autoUpgrade.dayOfWeek, "Friday");
        assert.equal(cfg.maintenance.autoUpgrade.utcOffset, "+02:00");
        assert.equal(cfg.maintenance.autoUpgrade.startTime, "01:00", "unset fields keep prod's default");
        assert.equal(cfg.maintenance.nodeOsUpgrade.dayOfWeek, "Saturday");
    });

    it("alert emails are validated, and prod requires one", () => {
        const bad = errorFor("dev", { "mcp-aks:alerts": JSON.stringify({ emails: ["not-an-address"] }) });
        const p = onlyProblem(bad, "alerts.emails[0]");
        assert.equal(p.value, "not-an-address");
        assert.equal(p.allowed, "an email address such as platform-oncall@example.com");
        assert.equal(p.fix, "pulumi config set --path 'alerts.emails[0]' '<oncall@your-org>' --stack dev");
        const none = onlyProblem(errorFor("prod", { "mcp-aks:alerts": JSON.stringify({ emails: [] }) }), "alerts.emails");
        assert.match(none.allowed, /at least one address in prod/);
        assert.equal(none.fix, `pulumi config set --path alerts.emails '["<oncall@your-org>"]' --stack prod`);
    });

    it("a budget with more than five notifications, or none, is rejected", () => {
        const many = errorFor("dev", { "mcp-aks:budget": JSON.stringify({ actualPercent: [50, 80, 90, 100], forecastPercent: [100, 120] }) });
        assert.match(onlyProblem(many, "budget.actualPercent").allowed, /1 to 5 thresholds .*now 6/);
        const none = errorFor("dev", { "mcp-aks:budget": JSON.stringify({ actualPercent: [], forecastPercent: [] }) });
        assert.equal(onlyProblem(none, "budget.actualPercent").fix, "pulumi config rm --path budget.actualPercent --stack dev && pulumi config rm --path budget.forecastPercent --stack dev");
        assert.equal(onlyProblem(errorFor("dev", { "mcp-aks:budget": JSON.stringify({ amount: 0 }) }), "budget.amount").allowed, "an integer from 1 to 10000000");
    });

    it("AKS's system pool rules: maxPods of at least 30, at least one node, three in prod", () => {
        const pods = onlyProblem(errorFor("dev", { "mcp-aks:cluster": JSON.stringify({ systemPool: { maxPods: 20 } }) }), "cluster.systemPool.maxPods");
        assert.match(pods.allowed, /at least 30/);
        assert.match(pods.fix, /cluster\.systemPool\.maxPods 110 --stack dev/);
        assert.equal(parse("prod", { "mcp-aks:cluster": JSON.stringify({ authorizedIpRanges: ["203.0.113.0/24"], userPool: { minCount: 0 } }) }).cluster.userPool!.minCount, 0, "a user pool may scale to zero");
        const prodMin = onlyProblem(
            errorFor("prod", { "mcp-aks:cluster": JSON.stringify({ authorizedIpRanges: ["203.0.113.0/24"], systemPool: { minCount: 2 } }) }),
            "cluster.systemPool.minCount",
        );
        assert.equal(prodMin.allowed, "at least 3 in prod");
        assert.equal(prodMin.fix, "pulumi config set --path cluster.systemPool.minCount 3 --stack prod");
    });

    it("prod refuses to turn purge protection off", () => {
        const err = errorFor("prod", { "mcp-aks:keyVault": JSON.stringify({ purgeProtection: false }) });
        assert.ok(onlyProblem(err, "keyVault.purgeProtection"));
    });

    it("an image pinned to latest, or not pinned at all, is rejected", () => {
        for (const image of ["mcp-server:latest", "mcp-server", "myacr.azurecr.io/mcp-server"]) {
            const err = errorFor("dev", { "mcp-aks:mcpServers": JSON.stringify({ docs: { image } }) });
            assert.equal(onlyProblem(err, "mcpServers.docs.image").value, image);
        }
        // A digest pin is fine.
        const digest = `myacr.azurecr.io/mcp-server@sha256:${"a".repeat(64)}`;
        assert.equal(parse("dev", { "mcp-aks:mcpServers": JSON.stringify({ docs: { image: digest } }) }).mcpServers.docs.image, digest);
    });

    it("an unknown environment is rejected with the allowed ones", () => {
        const err = errorFor("dev", { "mcp-aks:environment": "staging" });
        const p = onlyProblem(err, "environment");
        assert.equal(p.value, "staging");
        assert.match(p.allowed, /one of dev, prod/);
    });

    it("reports every problem at once", () => {
        const err = errorFor("dev", { "mcp-aks:location": "West Europe", "mcp-aks:kubeloginMode": "devicecode" });
        assert.deepEqual(err.problems.map((p) => p.key).sort(), ["kubeloginMode", "location"]);
        assert.match(err.message, /2 problems/);
    });

    it("settings that the platform owns cannot be overridden", () => {
        const err = errorFor("dev", { "mcp-aks:mcpServers": JSON.stringify({ docs: { settings: { QDRANT_URL: "http://elsewhere" } } }) });
        assert.match(onlyProblem(err, "mcpServers.docs.settings.QDRANT_URL").fix, /pulumi config rm --path mcpServers\.docs\.settings\.QDRANT_URL --stack dev/);
    });
});

describe("config: MCP servers", () => {
    const servers = (value: unknown) => ({ "mcp-aks:mcpServers": JSON.stringify(value) });

    it("without mcpServers, the stack runs the reference server docs with its keys, Qdrant and settings", () => {
        const { raw: fromFile, secretKeys } = stackRawConfig("dev", {});
        const raw: Record<string, string> = { ...fromFile };
        delete raw["mcp-aks:mcpServers"];
        const cfg = parseStackConfig(raw, { stack: "dev", secretKeys });
        assert.deepEqual(Object.keys(cfg.mcpServers), ["docs"]);
        const docs = cfg.mcpServers.docs;
        assert.equal(docs.name, "docs");
        assert.equal(docs.image, undefined);
        assert.deepEqual(docs.build, { context: "server", dockerfile: "Dockerfile" });
        assert.ok(docs.source.kind === "build" && docs.source.repository === "docs-mcp", "built from server/ into docs-mcp");
        assert.deepEqual(docs.apiKeys, cfg.apiKeys);
        assert.equal(docs.usesQdrant, true);
        assert.equal(docs.settings.QDRANT_COLLECTION, "crypto_docs");
        assert.equal(docs.port, 3000);
        assert.equal(docs.path, "/mcp");
    });

    it("a second server merges the per-server defaults of its environment, with no keys and no Qdrant", () => {
        for (const env of ["dev", "prod"] as const) {
            const cfg = parse(env, servers({ search: { image: "search-mcp:2.0.0", port: 8080 } }));
            assert.deepEqual(Object.keys(cfg.mcpServers).sort(), ["docs", "search"], "the stack file's docs stays");
            const search = cfg.mcpServers.search;
            assert.deepEqual(search.apiKeys, []);
            assert.equal(search.usesQdrant, false);
            assert.deepEqual(search.settings, {});
            assert.equal(search.port, 8080);
            assert.equal(search.minReplicas, env === "prod" ? 2 : 1);
            assert.equal(search.healthPath, "/health");
        }
    });

    it("a server without an image is rejected, naming the key", () => {
        const p = onlyProblem(errorFor("dev", servers({ search: { port: 8080 } })), "mcpServers.search.image");
        assert.equal(p.value, undefined);
        assert.match(p.allowed, /an image reference pinned by tag or digest/);
    });

    it("a server may read only keys the stack declares; the fix adds the key or drops it", () => {
        const err = errorFor("dev", servers({ search: { image: "s:1", apiKeys: ["TAVILY_API_KEY", "GITHUB_TOKEN"] } }));
        const p = onlyProblem(err, "mcpServers.search.apiKeys[1]");
        assert.match(p.allowed, /a key the stack declares in apiKeys \(OPENAI_API_KEY, ANTHROPIC_API_KEY, TAVILY_API_KEY\): remove it here, or add it to apiKeys first/);
        assert.match(p.fix, /pulumi config rm --path 'mcpServers\.search\.apiKeys\[1\]' --stack dev/);
        assert.equal(err.problems.length, 1);
    });

    it("server names must be DNS labels short enough for <name>-mcp", () => {
        for (const bad of ["Search", "9lives", "two_words", "trailing-", "x".repeat(60)]) {
            const err = errorFor("dev", servers({ [bad]: { image: "s:1" } }));
            assert.equal(err.problems.length, 1, err.message);
            assert.ok(err.problems[0].key.includes(bad), err.problems[0].key);
            assert.match(err.problems[0].allowed, /1-59 lowercase letters, digits and '-'/, bad);
        }
        assert.ok(parse("dev", servers({ ["x".repeat(59)]: { image: "s:1" } })).mcpServers["x".repeat(59)]);
    });

    it("a server whose federated credential name would pass Azure's 120 characters is rejected", () => {
        const name = "s".repeat(57);
        const err = errorFor("dev", { "mcp-aks:namespace": "n".repeat(60), ...servers({ [name]: { image: "s:1" } }) });
        const p = onlyProblem(err, `mcpServers.${name}`);
        assert.match(p.allowed, /federated identity credential name ".*" \(122 characters; Azure allows 3-120/);
    });

    it("an entry that is not an object says what an entry looks like", () => {
        const p = onlyProblem(errorFor("dev", servers({ search: "search-mcp:2.0.0" })), "mcpServers.search");
        assert.equal(p.value, "search-mcp:2.0.0");
        assert.match(p.allowed, /an object of server settings/);
        assert.equal(p.fix, "pulumi config rm --path mcpServers.search --stack dev", "--path cannot store an object");
    });

    it("enabled: false drops a server, the reference one included", () => {
        const cfg = parse("dev", servers({ docs: { enabled: false }, search: { image: "s:1" } }));
        assert.deepEqual(Object.keys(cfg.mcpServers), ["search"]);
        assert.ok(!("enabled" in cfg.mcpServers.search));
    });

    it("an unknown key in a server entry names the known ones", () => {
        const p = onlyProblem(errorFor("dev", servers({ docs: { replicas: 2 } })), "mcpServers.docs.replicas");
        assert.match(p.allowed, /known here: .*minReplicas/);
        assert.match(p.fix, /pulumi config rm --path mcpServers\.docs\.replicas --stack dev/);
    });

    it("minReplicas above maxReplicas is rejected per server", () => {
        const p = onlyProblem(errorFor("dev", servers({ docs: { minReplicas: 4, maxReplicas: 2 } })), "mcpServers.docs.minReplicas");
        assert.match(p.allowed, /at most mcpServers\.docs\.maxReplicas \(2\)/);
        assert.match(p.fix, /pulumi config set --path mcpServers\.docs\.minReplicas 2 --stack dev/);
    });

    it("the single-server key of earlier releases says where its fields went", () => {
        const p = onlyProblem(errorFor("dev", { "mcp-aks:mcpServer": JSON.stringify({ image: "mcp-server:1.0.0" }) }), "mcpServer");
        assert.match(p.allowed, /mcpServer became mcpServers, a map keyed by server name; move these fields under mcpServers\.docs/);
        assert.equal(p.fix, "pulumi config rm mcpServer --stack dev");
    });

    describe("qdrant cluster and backup settings", () => {
        const q = (value: object) => ({ "mcp-aks:qdrant": JSON.stringify(value) });

        it("defaults: prod a 3-node cluster with RF 3 / WCF 2 and hourly backups; dev one node, daily", () => {
            const prod = parse("prod").qdrant;
            assert.deepEqual([prod.replicas, prod.replicationFactor, prod.writeConsistencyFactor, prod.backup.schedule], [3, 3, 2, "17 * * * *"]);
            const dev = parse("dev").qdrant;
            assert.deepEqual([dev.replicas, dev.replicationFactor, dev.writeConsistencyFactor, dev.backup.schedule], [1, 1, 1, "17 3 * * *"]);
            assert.equal(dev.backup.enabled, true);
        });

        it("2 nodes are refused: Raft loses its majority with either one down", () => {
            const p = onlyProblem(errorFor("prod", q({ replicas: 2 })), "qdrant.replicas");
            assert.match(p.allowed, /1 \(single node\) or 3 to 9/);
            assert.match(p.fix, /pulumi config set --path qdrant\.replicas 3 --stack prod/);
        });

        it("a cluster needs a replication factor of 2+ and a write consistency below it, so one node may go", () => {
            let p = onlyProblem(errorFor("prod", q({ replicationFactor: 1, writeConsistencyFactor: 1 })), "qdrant.replicationFactor");
            assert.match(p.allowed, /2 or more in cluster mode/);
            p = onlyProblem(errorFor("prod", q({ writeConsistencyFactor: 3 })), "qdrant.writeConsistencyFactor");
            assert.match(p.allowed, /at most qdrant\.replicationFactor - 1 \(2\)/);
            assert.match(p.fix, /qdrant\.writeConsistencyFactor 2 --stack prod/);
            p = onlyProblem(errorFor("dev", q({ replicationFactor: 2 })), "qdrant.replicationFactor");
            assert.match(p.allowed, /at most qdrant\.replicas \(1\)/);
            assert.doesNotThrow(() => parse("prod", q({ replicationFactor: 2, writeConsistencyFactor: 1 })));
        });

        it("more Qdrant nodes than the pool can hold (one per node) is refused", () => {
            const p = onlyProblem(errorFor("prod", q({ replicas: 7 })), "qdrant.replicas");
            assert.match(p.allowed, /at most cluster\.userPool\.maxCount \(6\)/);
        });

        it("a backup schedule must be five cron fields; retention at least a day", () => {
            for (const schedule of ["@hourly", "* * * *", "17 * * * * *", "every hour"]) {
                const p = onlyProblem(errorFor("dev", q({ backup: { schedule } })), "qdrant.backup.schedule");
                assert.match(p.fix, /qdrant\.backup\.schedule '17 3 \* \* \*' --stack dev/);
            }
            assert.doesNotThrow(() => parse("dev", q({ backup: { schedule: "*/30 1-5,7 * * 1-5" } })));
            assert.ok(onlyProblem(errorFor("dev", q({ backup: { retentionDays: 0 } })), "qdrant.backup.retentionDays"));
        });
    });
});

describe("config: secrets stay out of messages", () => {
    it("an API key put into the settings by mistake is refused without showing it", () => {
        const err = errorFor("dev", { "mcp-aks:mcpServers": JSON.stringify({ docs: { settings: { OPENAI_API_KEY: "sk-proj-should-not-print" } } }) });
        assert.equal(onlyProblem(err, "mcpServers.docs.settings.OPENAI_API_KEY").value, "[hidden]");
        assert.ok(!err.message.includes("sk-proj-should-not-print"));
    });

    it("a value under a key Pulumi holds as secret is never shown, even when it is the bad one", () => {
        const { raw, secretKeys } = stackRawConfig("dev", { overrides: { "mcp-aks:keyVault": JSON.stringify({ softDeleteRetentionDays: 99, purgeProtection: "hush-hush" }) } });
        const err = (() => {
            try {
                parseStackConfig(raw, { stack: "dev", secretKeys: [...secretKeys, "mcp-aks:keyVault"] });
            } catch (e) {
                return e as ConfigError;
            }
            return assert.fail("accepted");
        })();
        assert.ok(!err.message.includes("hush-hush") && !err.message.includes("99"), err.message);
        assert.ok(err.problems.some((p) => p.key === "keyVault" && /not handled as a secret/.test(p.allowed)));
    });
});

describe("config: access (cluster admins)", () => {
    const GROUP = "0a1b2c3d-0000-4000-8000-00000000000a";
    const access = (a: object) => ({ "mcp-aks:access": JSON.stringify(a) });

    it("a stack with no admin at all is an error whose fix looks up your own object id (dev) or a group (prod)", () => {
        const dev = onlyProblem(errorFor("dev", access({})), "access");
        assert.match(dev.allowed, /at least one admin.*nobody, not even pulumi up/);
        assert.equal(dev.fix, `pulumi config set --path 'access.adminUsers[0]' "$(az ad signed-in-user show --query id -o tsv)" --stack dev`);
        const prod = onlyProblem(errorFor("prod", access({ adminGroups: [] })), "access");
        assert.match(prod.fix, /^pulumi config set --path 'access\.adminGroups\[0\]' "\$\(az ad group show --group '<group name>' --query id -o tsv\)" --stack prod$/);
    });

    it("prod needs a break-glass admin group even when a user or the CI principal is set", () => {
        const p = onlyProblem(errorFor("prod", access({ adminUsers: [GROUP] })), "access.adminGroups");
        assert.match(p.allowed, /break-glass/);
        assert.deepEqual(parse("dev", access({ adminUsers: [GROUP] })).access, { adminGroups: [], ciServicePrincipal: null, adminUsers: [GROUP] });
    });

    it("rejects ids that are not GUIDs, naming the key and how to find the right id", () => {
        const err = errorFor("dev", access({ adminGroups: ["platform-admins"], ciServicePrincipal: "github-mcp-aks", adminUsers: ["me@example.com"] }));
        const group = onlyProblem(err, "access.adminGroups[0]");
        assert.equal(group.value, "platform-admins");
        assert.match(group.allowed, /Entra group object id \(a GUID.*az ad group show/);
        assert.match(group.fix, /'access\.adminGroups\[0\]' "\$\(az ad group show/);
        assert.match(onlyProblem(err, "access.ciServicePrincipal").fix, /--path access\.ciServicePrincipal "\$\(az ad sp show --id <app-id> --query id -o tsv\)"/);
        assert.match(onlyProblem(err, "access.adminUsers[0]").allowed, /az ad signed-in-user show/);
    });

    it("rejects one object id listed twice (its grant would be declared twice)", () => {
        const p = onlyProblem(errorFor("dev", access({ adminGroups: [GROUP], adminUsers: [GROUP.toUpperCase()] })), "access.adminUsers[0]");
        assert.match(p.allowed, /access\.adminGroups\[0\] and access\.adminUsers\[0\]/);
        assert.equal(p.fix, "pulumi config rm --path 'access.adminUsers[0]' --stack dev");
    });

    it("the removed deployerPrincipalType says what replaced it and how to remove it", () => {
        const p = onlyProblem(errorFor("dev", { "mcp-aks:deployerPrincipalType": "ServicePrincipal" }), "deployerPrincipalType");
        assert.match(p.allowed, /removed.*access\.adminGroups/);
        assert.equal(p.fix, "pulumi config rm deployerPrincipalType --stack dev");
    });
});
