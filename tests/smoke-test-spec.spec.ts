/** The smoke-test Job's pure spec: what it runs, how it fails, when it runs again, and that it is restricted. */
import { strict as assert } from "assert";
import {
    SMOKE_TEST_SCRIPT,
    mcpServerTargets,
    smokeTestConfigMapManifest,
    smokeTestJobManifest,
    smokeTestJobName,
    smokeTargetsEnv,
} from "../components/cluster/specs/smoke-test";
import { mcpServiceManifest } from "../components/cluster/specs/mcp-server";
import { configFor, key } from "./fixtures";
import { manifestProblems } from "./k8s-schema";
import { PodTemplateLike, restrictedViolations } from "./pod-security";

const cfg = configFor("dev");
const INPUTS = { image: "acr.azurecr.io/curlimages/curl:8.11.1", serverImages: { docs: "acr.azurecr.io/docs-mcp:abc" }, targets: mcpServerTargets(cfg) };

describe("smoke test: Job spec (pure)", () => {
    const job = smokeTestJobManifest(cfg, INPUTS);
    const container = job.spec.template.spec.containers[0];

    it("is valid Kubernetes and passes Pod Security restricted", () => {
        assert.deepEqual(manifestProblems(job), []);
        assert.deepEqual(manifestProblems(smokeTestConfigMapManifest(cfg)), []);
        assert.deepEqual(restrictedViolations(job.spec.template as PodTemplateLike), []);
        assert.equal(job.metadata.namespace, cfg.namespace);
    });

    it("runs the script from its ConfigMap with sh on the given image, against each server's ClusterIP Service and port", () => {
        assert.equal(container.image, INPUTS.image);
        assert.deepEqual(container.command, ["sh", "/smoke/smoke-test.sh"]);
        assert.equal(smokeTestConfigMapManifest(cfg).data["smoke-test.sh"], SMOKE_TEST_SCRIPT);
        const scriptVolume = job.spec.template.spec.volumes.find((v) => v.name === "script")!;
        assert.equal(scriptVolume.configMap?.name, smokeTestConfigMapManifest(cfg).metadata.name);
        const targets = container.env.find((e) => e.name === "SMOKE_TARGETS")!.value;
        const docs = cfg.mcpServers.docs;
        const service = mcpServiceManifest(cfg, docs);
        const base = `http://${service.metadata.name}.${cfg.namespace}.svc.cluster.local:${service.spec.ports[0].port}`;
        assert.equal(targets, `${service.metadata.name} ${base}${docs.healthPath} ${base}${docs.path}`);
        // Two servers: one line each, at each Service's own port and paths.
        const two = configFor("dev", { [key("mcpServers")]: JSON.stringify({ search: { image: "search-mcp:2.0.0", port: 8080, path: "/rpc", healthPath: "/healthz" } }) });
        assert.deepEqual(
            mcpServerTargets(two).map((t) => [t.name, t.healthUrl, t.mcpUrl, t.podPort]),
            [
                ["docs-mcp", `${base}/health`, `${base}/mcp`, 3000],
                ["search-mcp", `http://search-mcp.${cfg.namespace}.svc.cluster.local:8080/healthz`, `http://search-mcp.${cfg.namespace}.svc.cluster.local:8080/rpc`, 8080],
            ],
        );
    });

    it("fails the update instead of retrying forever, and a failed Job is replaced on the next up", () => {
        assert.equal(job.spec.backoffLimit, 1);
        assert.equal(job.spec.template.spec.restartPolicy, "Never");
        assert.ok(job.spec.activeDeadlineSeconds > 0 && job.spec.activeDeadlineSeconds < 600, "ends before the provider's 10-minute await");
        assert.equal((job.spec as { ttlSecondsAfterFinished?: number }).ttlSecondsAfterFinished, undefined);
        assert.equal(job.metadata.annotations["pulumi.com/replaceUnready"], "true");
        assert.equal(container.terminationMessagePolicy, "FallbackToLogsOnError");
    });

    it("is named by a hash of what it tests: a new server image, setting, runner or script runs it again", () => {
        const name = smokeTestJobName(cfg, INPUTS);
        assert.match(name, /^mcp-smoke-test-[0-9a-f]{10}$/);
        assert.equal(job.metadata.name, name);
        assert.equal(smokeTestJobName(configFor("dev"), { ...INPUTS }), name, "deterministic");
        const variants = [
            smokeTestJobName(cfg, { ...INPUTS, serverImages: { docs: "acr.azurecr.io/docs-mcp:def" } }),
            smokeTestJobName(cfg, { ...INPUTS, image: "acr.azurecr.io/curlimages/curl:8.12.0" }),
            smokeTestJobName(configFor("dev", { [key("mcpServers")]: JSON.stringify({ docs: { settings: { LLM_MAX_TOKENS: "8000" } } }) }), INPUTS),
            smokeTestJobName(cfg, { ...INPUTS, targets: [] }),
        ];
        for (const v of variants) assert.notEqual(v, name);
        assert.equal(new Set(variants).size, variants.length);
    });

    it("takes a list of targets, one line each, and rejects whitespace that would split a line", () => {
        const two = [...INPUTS.targets, { name: "b", healthUrl: "http://b/health", mcpUrl: "http://b/mcp", podSelector: { app: "b" }, podPort: 8080 }];
        assert.equal(smokeTargetsEnv(two).split("\n").length, 2);
        assert.throws(() => smokeTargetsEnv([{ ...two[1], name: "b c" }]), /whitespace/);
    });
});
