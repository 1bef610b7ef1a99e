/** The smoke-test Job's pure spec: what it runs, how it fails, when it runs again, and that it is restricted. */
import { strict as assert } from "assert";
import * as YAML from "yaml";
import { workloadManifests } from "../components/cluster/specs";
import { EDGE_CLIENT_LABEL, EDGE_NAMES, edgePublicBaseUrl } from "../components/cluster/specs/edge";
import { StackConfig } from "../components/config";
import {
    EDGE_SMOKE_WAIT_SECONDS,
    SMOKE_TEST_DEADLINE_SECONDS,
    SMOKE_TEST_SCRIPT,
    edgeSmokeTarget,
    smokeEdgeRoutesEnv,
    mcpServerTargets,
    smokeTestConfigMapManifest,
    smokeTestJobManifest,
    smokeTestJobName,
    smokeTargetsEnv,
} from "../components/cluster/specs/smoke-test";
import { mcpServiceManifest } from "../components/cluster/specs/mcp-server";
import { configFor, key, smokeTestInputs, workloadInputs } from "./fixtures";
import { manifestProblems } from "./k8s-schema";
import { PodTemplateLike, restrictedViolations } from "./pod-security";

const cfg = configFor("dev");
const INPUTS = smokeTestInputs(cfg);

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

    it("is named by a hash of what it tests: a new server image, setting, runner, script or edge runs it again", () => {
        const name = smokeTestJobName(cfg, INPUTS);
        assert.match(name, /^mcp-smoke-test-[0-9a-f]{10}$/);
        assert.equal(job.metadata.name, name);
        assert.equal(smokeTestJobName(configFor("dev"), { ...INPUTS }), name, "deterministic");
        const variants = [
            smokeTestJobName(cfg, { ...INPUTS, serverImages: { docs: "acr.azurecr.io/docs-mcp:def" } }),
            smokeTestJobName(cfg, { ...INPUTS, image: "acr.azurecr.io/curlimages/curl:8.12.0" }),
            smokeTestJobName(configFor("dev", { [key("mcpServers")]: JSON.stringify({ docs: { settings: { LLM_MAX_TOKENS: "8000" } } }) }), INPUTS),
            smokeTestJobName(cfg, { ...INPUTS, targets: [] }),
            smokeTestJobName(cfg, { ...INPUTS, edgeRevision: { ...INPUTS.edgeRevision, image: "acr.azurecr.io/agentgateway:next" } }),
            smokeTestJobName(cfg, { ...INPUTS, edgeRevision: { ...INPUTS.edgeRevision, config: "binds: [{}]\n" } }),
            smokeTestJobName(cfg, { ...INPUTS, edge: { ...INPUTS.edge, routes: [] } }),
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

/** The rendered objects of a config, found by kind and name. */
function rendered(c: StackConfig) {
    const list = workloadManifests(c, workloadInputs(c)) as any[];
    return (kind: string, name: string) => list.find((o) => o.kind === kind && o.metadata.name === name);
}

const EDGE_MODES: Array<[string, Record<string, string>]> = [
    ["private", {}],
    ["keyVault", { [key("edge")]: JSON.stringify({ tls: { mode: "keyVault", hostname: "mcp.example.com", certificateName: "mcp-tls" } }) }],
    ["letsEncrypt (DNS label)", { [key("edge")]: JSON.stringify({ tls: { mode: "letsEncrypt", dnsLabel: "mcp-dev-contoso" } }) }],
];

describe("smoke test: the edge's routes (pure)", () => {
    const two = { [key("mcpServers")]: JSON.stringify({ search: { image: "search-mcp:2.0.0", port: 8080 } }) };

    for (const [mode, raw] of EDGE_MODES) {
        it(`${mode}: calls every route by the URL clients use, expects the challenge and metadata the gateway config declares`, () => {
            const c = configFor("dev", { ...raw, ...two });
            const job = smokeTestJobManifest(c, smokeTestInputs(c));
            const env = Object.fromEntries(job.spec.template.spec.containers[0].env.map((e) => [e.name, e.value]));
            const gateway = YAML.parse(rendered(c)("ConfigMap", "mcp-edge-config").data["config.yaml"]);
            const routes = gateway.binds[0].listeners[0].routes as any[];
            const lines = env.SMOKE_EDGE_ROUTES.split("\n").map((l: string) => l.split(" "));
            assert.deepEqual(lines.map((l: string[]) => l[0]), ["docs", "search"], "one line per server");
            for (const [name, url, metadata] of lines) {
                const route = routes.find((r) => r.name === `mcp-${name}`);
                // The gateway's metadata names this resource, and agentgateway's challenge is that
                // resource's origin + /.well-known/oauth-protected-resource + the request path.
                const resource = route.policies.mcpAuthentication.resourceMetadata.resource;
                assert.equal(url, resource);
                const path = new URL(url).pathname;
                assert.ok(route.matches.some((m: any) => m.path.exact === path), `${path} is a match of its route`);
                assert.equal(metadata, `${new URL(resource).origin}/.well-known/oauth-protected-resource${path}`);
                assert.ok(route.matches.some((m: any) => m.path.exact === new URL(metadata).pathname), "the metadata path is routed");
            }
        });

        it(`${mode}: connects the public name to the edge Service's port, whose target is the port the smoke test may reach`, () => {
            const c = configFor("dev", raw);
            const target = edgeSmokeTarget(c);
            const [publicHost, publicPort, host, port] = target.connectTo.split(":");
            const base = new URL(edgePublicBaseUrl(c));
            assert.equal(publicHost, base.hostname);
            assert.equal(publicPort, base.port || "443");
            const find = rendered(c);
            const service = find("Service", EDGE_NAMES.edge);
            assert.equal(host, `${service.metadata.name}.${c.namespace}.svc.cluster.local`);
            const servicePort = service.spec.ports.find((p: any) => p.port === Number(port));
            assert.ok(servicePort, `the edge Service serves port ${port}`);
            const containers = find("Deployment", EDGE_NAMES.edge).spec.template.spec.containers as any[];
            const containerPort = containers.flatMap((ct) => ct.ports ?? []).find((p: any) => p.name === servicePort.targetPort);
            assert.equal(containerPort.containerPort, target.podPort, "the Service's target is the pod port the egress rule opens");
            assert.deepEqual(target.podSelector, service.spec.selector);
        });
    }

    it("the Job opts in to the edge's in-cluster clients and passes the routes, connection and wait to the script", () => {
        const job = smokeTestJobManifest(cfg, INPUTS);
        assert.equal(job.spec.template.metadata.labels[EDGE_CLIENT_LABEL], "true");
        const env = Object.fromEntries(job.spec.template.spec.containers[0].env.map((e) => [e.name, e.value]));
        assert.equal(env.SMOKE_EDGE_ROUTES, smokeEdgeRoutesEnv(INPUTS.edge.routes));
        assert.equal(env.SMOKE_EDGE_CONNECT_TO, INPUTS.edge.connectTo);
        assert.equal(env.SMOKE_EDGE_WAIT_SECONDS, String(EDGE_SMOKE_WAIT_SECONDS.other));
        assert.throws(() => smokeEdgeRoutesEnv([{ name: "a b", url: "http://x/mcp/a", metadataUrl: "http://x/m" }]), /whitespace/);
    });

    it("letsEncrypt waits longer for the first certificate, and the Job's deadline still ends before the provider's await", () => {
        const acme = configFor("dev", EDGE_MODES[2][1]);
        const job = smokeTestJobManifest(acme, smokeTestInputs(acme));
        const env = Object.fromEntries(job.spec.template.spec.containers[0].env.map((e) => [e.name, e.value]));
        assert.equal(env.SMOKE_EDGE_WAIT_SECONDS, String(EDGE_SMOKE_WAIT_SECONDS.letsEncrypt));
        assert.ok(EDGE_SMOKE_WAIT_SECONDS.letsEncrypt > EDGE_SMOKE_WAIT_SECONDS.other);
        assert.equal(job.spec.activeDeadlineSeconds, SMOKE_TEST_DEADLINE_SECONDS + EDGE_SMOKE_WAIT_SECONDS.letsEncrypt);
        assert.ok(job.spec.activeDeadlineSeconds < 600, "the provider awaits a Job for 10 minutes");
    });
});
