/**
 * The first-`up` duration model (tests/first-up-model.ts): the schedule itself on small graphs, then what it
 * says about dev and prod: AKS sets the total, and neither the image builds and imports nor the edge
 * (agentgateway, its Entra app, its Key Vault secrets, its image import) make the first `up` any slower.
 */
import { strict as assert } from "assert";
import { CapturedResource, dependencyClosure, Evaluation, evaluateStack } from "./harness";
import { FirstUpSchedule, MODEL_SECONDS, describeSchedule, firstUpSchedule } from "./first-up-model";

const CLUSTER = "azure-native:containerservice:ManagedCluster";
const AGENT_POOL = "azure-native:containerservice:AgentPool";
const COMMAND = "command:local:Command";
const DEPLOYMENT = "kubernetes:apps/v1:Deployment";
const STATEFUL_SET = "kubernetes:apps/v1:StatefulSet";
const JOB = "kubernetes:batch/v1:Job";

/** A resource of a synthetic graph: only what the schedule reads is meaningful. */
function res(name: string, type: string, dependencies: CapturedResource[] = [], extra: Partial<CapturedResource> = {}): CapturedResource {
    return {
        type,
        name,
        urn: `urn:pulumi:test::p::${type}::${name}`,
        id: `${name}-id`,
        custom: true,
        inputs: {},
        state: {},
        dependencies: dependencies.map((d) => d.urn),
        protect: false,
        retainOnDelete: false,
        ignoreChanges: [],
        ...extra,
    };
}

const names = (rs: readonly CapturedResource[]) => rs.map((r) => r.name);

describe("first-up model (synthetic graphs)", () => {
    it("a resource starts when the last of its waits finishes: the total is the longest path, not the sum or the shortest", () => {
        const rg = res("rg", "azure-native:resources:ResourceGroup");
        const vault = res("vault", "azure-native:keyvault:Vault", [rg]);
        const aks = res("aks", CLUSTER, [rg]);
        const grant = res("grant", "azure-native:authorization:RoleAssignment", [vault, aks]);
        const s = firstUpSchedule({ resources: [grant, vault, aks, rg] });
        assert.equal(s.finish.get(vault.urn), 2 + 30);
        assert.equal(s.total, 2 + 480 + 10);
        assert.deepEqual(names(s.criticalPath), ["rg", "aks", "grant"]);
        assert.deepEqual(names(s.pathTo(vault.urn)), ["rg", "vault"]);
    });

    it("waiting for a component is waiting for everything under it; the component itself takes no time", () => {
        const component = res("component", "test:index:Component", [], { custom: false });
        const aks = res("aks", CLUSTER, [], { parent: component.urn });
        const nested = res("nested", "test:index:Component", [], { custom: false, parent: component.urn });
        const registry = res("registry", "azure-native:containerregistry:Registry", [], { parent: nested.urn });
        const grant = res("grant", "azure-native:authorization:RoleAssignment", [component]);
        const s = firstUpSchedule({ resources: [component, aks, nested, registry, grant] });
        assert.equal(s.finish.get(grant.urn), 480 + 10);
        assert.equal(s.finish.get(component.urn), 0);
        assert.deepEqual(names(s.criticalPath), ["aks", "grant"]);
    });

    it("a Kubernetes object waits for its provider, which waits out the rest of the admin grants' propagation window", () => {
        const grant = res("grant", "azure-native:authorization:RoleAssignment");
        const schedule = (cluster: CapturedResource) => {
            const provider = res("k8s", "pulumi:providers:kubernetes", [grant, cluster]);
            const ns = res("ns", "kubernetes:core/v1:Namespace", [], { provider: `${provider.urn}::${provider.id}` });
            return { s: firstUpSchedule({ resources: [ns, provider, cluster, grant] }), provider, ns };
        };
        // A cluster slower than the window (AKS): the grants have propagated, only the credential lookup remains.
        const slow = schedule(res("aks", CLUSTER));
        assert.equal(slow.s.finish.get(slow.provider.urn), 480 + 2);
        assert.equal(slow.s.finish.get(slow.ns.urn), 480 + 2 + 2);
        assert.deepEqual(names(slow.s.criticalPath), ["aks", "k8s", "ns"]);
        // Something ready at 30 s: the provider holds back until 300 s after the grant was created (at 10 s).
        const fast = schedule(res("vault", "azure-native:keyvault:Vault"));
        assert.equal(fast.s.finish.get(fast.provider.urn), 10 + 300 + 2);
    });

    it("reports a dependency cycle by name instead of overflowing or scheduling it", () => {
        const a = res("a", "azure-native:keyvault:Vault");
        const b = res("b", "azure-native:keyvault:Secret", [a]);
        (a as { dependencies: string[] }).dependencies = [b.urn];
        assert.throws(() => firstUpSchedule({ resources: [a, b] }), /dependency cycle (a -> b -> a|b -> a -> b)/);
    });

    it("throws on a custom type or a command it has no duration for, so a new one is modelled on purpose", () => {
        assert.throws(() => firstUpSchedule({ resources: [res("bucket", "aws:s3/bucket:Bucket")] }), /no duration for aws:s3\/bucket:Bucket \(bucket\)/);
        const apply = res("apply", COMMAND, [], { inputs: { create: "kubectl apply -f x.yaml" } });
        assert.throws(() => firstUpSchedule({ resources: [apply] }), /no duration for command apply/);
        assert.equal(firstUpSchedule({ resources: [res("c", "test:index:Component", [], { custom: false })] }).total, 0);
    });

    it("tells commands and Services apart by what they do", () => {
        const one = (r: CapturedResource) => firstUpSchedule({ resources: [r] }).total;
        assert.equal(one(res("b", COMMAND, [], { inputs: { create: "az acr build --registry r ." } })), 240);
        assert.equal(one(res("i", COMMAND, [], { inputs: { create: "az acr import --name r --source x" } })), 30);
        const service = (spec: object) => one(res("svc", "kubernetes:core/v1:Service", [], { inputs: { spec } }));
        assert.equal(service({ type: "LoadBalancer", selector: { app: "x" } }), 60);
        assert.equal(service({ type: "ClusterIP", selector: { app: "x" } }), 12, "endpoints settle for 10 s");
        assert.equal(service({ clusterIP: "None", selector: { app: "x" } }), 2, "headless: not awaited");
    });
});

/** Pod labels of a workload's template, for matching a Service's selector. */
function podLabels(r: CapturedResource): Record<string, string> {
    return r.inputs.spec?.template?.metadata?.labels ?? {};
}

/** The edge and what exists only for it: its objects, its Entra app registration, its secrets and its image import. */
function edgeResources(ev: Evaluation): Set<string> {
    const edge = new Set<string>();
    const entra = ev.resources.find((r) => r.type === "mcp-aks:azure:EntraApp");
    const under = (r: CapturedResource, ancestor: string): boolean => r.parent === ancestor || (r.parent !== undefined && ev.resources.some((p) => p.urn === r.parent && under(p, ancestor)));
    const edgeImages: string[] = ev
        .ofType(DEPLOYMENT)
        .filter((d) => String(d.inputs.metadata?.name).includes("edge"))
        .flatMap((d) => d.inputs.spec.template.spec.containers.map((c: { image: string }) => c.image));
    for (const r of ev.resources) {
        const imports = / --image (\S+)/.exec(r.type === COMMAND ? String(r.inputs.create) : "")?.[1];
        if (
            r.name.includes("edge") ||
            String(r.inputs?.metadata?.name ?? "").includes("edge") ||
            r.type.startsWith("azuread:") ||
            (entra !== undefined && under(r, entra.urn)) ||
            (imports !== undefined && edgeImages.some((image) => image.includes(`/${imports}@`)))
        )
            edge.add(r.urn);
    }
    return edge;
}

/** The evaluation as if the edge did not exist: its resources and every wait for them removed. */
function withoutEdge(ev: Evaluation, edge: Set<string>): Pick<Evaluation, "resources"> {
    return { resources: ev.resources.filter((r) => !edge.has(r.urn)).map((r) => ({ ...r, dependencies: r.dependencies.filter((d) => !edge.has(d)) })) };
}

/** Seconds of a fixed-duration type. */
function seconds(type: string): number {
    const d = MODEL_SECONDS[type];
    assert.equal(typeof d, "number", `${type} has a fixed duration`);
    return d as number;
}

for (const stack of ["dev", "prod"] as const) {
    describe(`first-up model (${stack})`, () => {
        let ev: Evaluation;
        let s: FirstUpSchedule;
        let lastK8s: CapturedResource;
        const at = (r: CapturedResource) => s.finish.get(r.urn) as number;
        before(async () => {
            ev = await evaluateStack(stack);
            s = firstUpSchedule(ev);
            const k8s = ev.resources.filter((r) => r.custom && r.type.startsWith("kubernetes:"));
            lastK8s = k8s.reduce((a, b) => (at(b) > at(a) ? b : a));
        });

        it("AKS sets the total: the critical path runs through the ManagedCluster and ends at the last Kubernetes object (the smoke-test Job) or at one of the cluster's node pools", () => {
            const cluster = ev.one(CLUSTER);
            assert.equal(lastK8s.type, JOB, `the last Kubernetes object is the smoke test, not ${lastK8s.type} ${lastK8s.name}`);
            assert.ok(s.criticalPath.includes(cluster), describeSchedule(s).join("\n"));
            assert.ok(s.pathTo(lastK8s.urn).includes(cluster), "the in-cluster rollout waits for AKS");
            const end = s.criticalPath[s.criticalPath.length - 1];
            assert.ok(end === lastK8s || (end.type === AGENT_POOL && dependencyClosure(ev, end).has(cluster.urn)), `the first up ends at ${end.type} ${end.name}`);
        });

        it("after AKS, only the in-cluster tail remains: Qdrant, then an MCP server, then the smoke test", () => {
            const aks = [ev.one(CLUSTER), ...ev.ofType(AGENT_POOL)];
            const aksDone = Math.max(...aks.map(at));
            // The rollouts that by design follow one another (the servers wait for Qdrant, the smoke test for
            // the servers), plus 30 s for the provider's credential lookup and the plain objects between them
            // (namespace, network policies, secrets: 2 s each). An image build or the RBAC propagation wait
            // after the cluster would each add minutes.
            const tail = seconds(STATEFUL_SET) + seconds(DEPLOYMENT) + seconds(JOB) + 30;
            assert.ok(s.total - aksDone <= tail, `${s.total - aksDone} s after AKS (bound ${tail} s):\n${describeSchedule(s).join("\n")}`);
        });

        it("no image build or import, and nothing of the edge, is on the critical path or on the path to the last Kubernetes object", () => {
            const edge = edgeResources(ev);
            assert.ok(ev.resources.some((r) => r.type === "azuread:index/application:Application" && edge.has(r.urn)), "the Entra app counts as the edge");
            assert.ok(ev.resources.some((r) => r.type === COMMAND && edge.has(r.urn)), "the agentgateway import counts as the edge");
            for (const path of [s.criticalPath, s.pathTo(lastK8s.urn)]) {
                for (const r of path) {
                    assert.notEqual(r.type, COMMAND, `${r.name} is on the path:\n${describeSchedule(s).join("\n")}`);
                    assert.ok(!edge.has(r.urn), `${r.type} ${r.name} (edge) is on the path`);
                }
            }
        });

        it("the edge is rolled out no later than the slowest MCP server or Qdrant, and the first up is no slower with it", () => {
            const edge = edgeResources(ev);
            const edgeDone = Math.max(...ev.resources.filter((r) => edge.has(r.urn)).map(at));
            const servers = ev.ofType(DEPLOYMENT).filter((d) => d.inputs.metadata?.labels?.["app.kubernetes.io/component"] === "mcp-server");
            assert.ok(servers.length > 0);
            const workloadsDone = Math.max(...[...servers, ev.one(STATEFUL_SET, "qdrant")].map(at));
            assert.ok(edgeDone <= workloadsDone, `edge done at ${edgeDone} s, MCP servers and Qdrant at ${workloadsDone} s`);
            assert.equal(firstUpSchedule(withoutEdge(ev, edge)).total, s.total, "the same total without the edge");
        });

        it("model assumption: whatever waits for a Service with a selector also waits for a workload it selects (the Service's own wait for a pod is covered by it)", () => {
            const workloads = ev.resources.filter((r) => r.type === DEPLOYMENT || r.type === STATEFUL_SET);
            for (const service of ev.ofType("kubernetes:core/v1:Service")) {
                const selector: Record<string, string> = service.inputs.spec?.selector ?? {};
                if (service.inputs.spec?.clusterIP === "None" || Object.keys(selector).length === 0) continue;
                const selected = workloads.filter((w) => Object.entries(selector).every(([k, v]) => podLabels(w)[k] === v)).map((w) => w.urn);
                assert.ok(selected.length > 0, `${service.name} selects a workload`);
                for (const r of ev.resources) {
                    const waits = dependencyClosure(ev, r);
                    if (waits.has(service.urn)) assert.ok(selected.some((w) => waits.has(w)), `${r.name} waits for ${service.name} but not for the pods behind it`);
                }
            }
        });
    });
}
