/** The smoke-test Job's pure spec: what it runs, how it fails, when it runs again, and that it is restricted. */
import { strict as assert } from "assert";
import { NAMES } from "../components/cluster/specs";
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
const INPUTS = { image: "acr.azurecr.io/curlimages/curl:8.11.1", serverImage: "acr.azurecr.io/mcp-server:abc", targets: mcpServerTargets(cfg) };

describe("smoke test: Job spec (pure)", () => {
    const job = smokeTestJobManifest(cfg, INPUTS);
    const container = job.spec.template.spec.containers[0];

    it("is valid Kubernetes and passes Pod Security restricted", () => {
        assert.deepEqual(manifestProblems(job), []);
        assert.deepEqual(manifestProblems(smokeTestConfigMapManifest(cfg)), []);
        assert.deepEqual(restrictedViolations(job.spec.template as PodTemplateLike), []);
        assert.equal(job.metadata.namespace, cfg.namespace);
    });

    it("runs the script from its ConfigMap with sh on the given image, against the MCP Service", () => {
        assert.equal(container.image, INPUTS.image);
        assert.deepEqual(container.command, ["sh", "/smoke/smoke-test.sh"]);
        assert.equal(smokeTestConfigMapManifest(cfg).data["smoke-test.sh"], SMOKE_TEST_SCRIPT);
        const scriptVolume = job.spec.template.spec.volumes.find((v) => v.name === "script")!;
        assert.equal(scriptVolume.configMap?.name, smokeTestConfigMapManifest(cfg).metadata.name);
        const targets = container.env.find((e) => e.name === "SMOKE_TARGETS")!.value;
        const service = mcpServiceManifest(cfg);
        assert.equal(targets, `${NAMES.mcp} http://${service.metadata.name}.${cfg.namespace}.svc.cluster.local/health http://${service.metadata.name}.${cfg.namespace}.svc.cluster.local/mcp`);
        assert.equal(service.spec.ports[0].port, 80, "the URLs use the Service's default HTTP port");
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
            smokeTestJobName(cfg, { ...INPUTS, serverImage: "acr.azurecr.io/mcp-server:def" }),
            smokeTestJobName(cfg, { ...INPUTS, image: "acr.azurecr.io/curlimages/curl:8.12.0" }),
            smokeTestJobName(configFor("dev", { [key("mcpServer")]: JSON.stringify({ settings: { LLM_MAX_TOKENS: "8000" } }) }), INPUTS),
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
