/**
 * The workloads layer inside the real program, under the shared mock harness: every Kubernetes object goes
 * to the stack's own cluster, waits for what it needs, and the pods' identity matches the federated one.
 */
import { strict as assert } from "assert";
import { NAMES, mcpNames } from "../components/cluster/specs";
import { CapturedResource, Evaluation, PLACEHOLDER, evaluateStack } from "./harness";

const K8S = {
    provider: "pulumi:providers:kubernetes",
    namespace: "kubernetes:core/v1:Namespace",
    serviceAccount: "kubernetes:core/v1:ServiceAccount",
    configMap: "kubernetes:core/v1:ConfigMap",
    secret: "kubernetes:core/v1:Secret",
    service: "kubernetes:core/v1:Service",
    deployment: "kubernetes:apps/v1:Deployment",
    statefulSet: "kubernetes:apps/v1:StatefulSet",
    hpa: "kubernetes:autoscaling/v2:HorizontalPodAutoscaler",
    spc: "kubernetes:secrets-store.csi.x-k8s.io/v1:SecretProviderClass",
    networkPolicy: "kubernetes:networking.k8s.io/v1:NetworkPolicy",
    job: "kubernetes:batch/v1:Job",
    cronJob: "kubernetes:batch/v1:CronJob",
};
const VAULT = "azure-native:keyvault:Vault";
const DOCS = mcpNames("docs");

function kubernetesObjects(ev: Evaluation): CapturedResource[] {
    return ev.resources.filter((r) => r.type.startsWith("kubernetes:"));
}

for (const stack of ["dev", "prod"] as const) {
    describe(`cluster wiring under mocks (${stack})`, function () {
        let ev: Evaluation;
        before(async () => {
            ev = await evaluateStack(stack);
        });

        it("every Kubernetes object uses the stack's own cluster provider", () => {
            const providers = ev.ofType(K8S.provider);
            assert.equal(providers.length, 1);
            const objects = kubernetesObjects(ev);
            assert.ok(objects.length >= 18, `found ${objects.length}`);
            for (const r of objects) {
                assert.ok(r.provider?.startsWith(`${providers[0].urn}::`), `${r.type} ${r.name} uses ${r.provider ?? "the ambient kubeconfig"}`);
            }
        });

        it("pulumi up waits for the smoke test, which waits for the MCP rollout, its Service and its policies", () => {
            const job = ev.one(K8S.job);
            for (const dep of [ev.one(K8S.deployment, DOCS.app), ev.one(K8S.service, DOCS.app), ev.one(K8S.networkPolicy, NAMES.smokeTest), ev.one(K8S.networkPolicy, NAMES.defaultDeny)]) {
                assert.ok(job.dependencies.includes(dep.urn), `the Job waits for ${dep.type} ${dep.inputs.metadata.name}`);
            }
            assert.ok(job.dependencies.includes(ev.one(K8S.configMap, NAMES.smokeTest).urn), "and for its script");
            const deployment = ev.one(K8S.deployment, DOCS.app);
            const server = deployment.inputs.spec.template.spec.containers[0].image;
            assert.equal(job.inputs.metadata.namespace, deployment.inputs.metadata.namespace);
            assert.match(job.inputs.metadata.name, /^mcp-smoke-test-[0-9a-f]{10}$/);
            assert.equal(ev.outputs.smokeTestJob, job.inputs.metadata.name);
            assert.ok(server, "the server image is known");
        });

        it("every object belongs to the McpWorkloads component tree", () => {
            const root = ev.one("mcp-aks:cluster:McpWorkloads");
            const components = ev.resources.filter((r) => r.type.startsWith("mcp-aks:cluster:") && r !== root);
            assert.deepEqual(components.map((c) => c.type).sort(), ["mcp-aks:cluster:Edge", "mcp-aks:cluster:McpServer", "mcp-aks:cluster:Namespace", "mcp-aks:cluster:NetworkPolicies", "mcp-aks:cluster:Qdrant", "mcp-aks:cluster:QdrantBackup", "mcp-aks:cluster:SmokeTest"]);
            for (const c of components) assert.equal(c.parent, root.urn, c.name);
            const componentUrns = new Set(components.map((c) => c.urn));
            for (const r of kubernetesObjects(ev)) assert.ok(r.parent && componentUrns.has(r.parent), `${r.type} ${r.name}`);
        });

        it("the Deployment also waits for its ServiceAccount, settings, SecretProviderClass and Qdrant", () => {
            const deployment = ev.one(K8S.deployment, DOCS.app);
            const needed = [
                ev.one(K8S.serviceAccount, DOCS.serviceAccount),
                ev.one(K8S.configMap, DOCS.config),
                ev.one(K8S.spc, DOCS.secretProviderClass),
                ev.one(K8S.secret, NAMES.qdrantApiKeySecret),
                ev.one(K8S.statefulSet, NAMES.qdrant),
            ];
            for (const r of needed) assert.ok(deployment.dependencies.includes(r.urn), `waits for ${r.type}`);
            assert.ok(!("replicas" in deployment.inputs.spec), "the HPA owns replicas");
            assert.equal(deployment.inputs.spec.template.spec.containers[0].image.split("/")[0], ev.outputs.acrLoginServer);
        });

        it("every namespaced object waits for the namespace, and pods only start once policies exist", () => {
            const ns = ev.one(K8S.namespace);
            const policies = ev.ofType(K8S.networkPolicy).filter((p) => p.inputs.metadata.name !== NAMES.smokeTest);
            assert.equal(policies.length, 4 + Object.keys(ev.config.mcpServers).length, "default deny, Qdrant, the backup, the edge, one per server");
            for (const r of kubernetesObjects(ev).filter((o) => o.inputs.metadata?.namespace !== undefined)) {
                assert.ok(r.dependencies.includes(ns.urn), `${r.type} ${r.name} waits for the namespace`);
            }
            for (const workload of [ev.one(K8S.deployment, DOCS.app), ev.one(K8S.statefulSet, NAMES.qdrant), ev.one(K8S.cronJob, NAMES.qdrantBackup), ev.one(K8S.deployment, NAMES.edge)]) {
                const template = workload.inputs.spec.jobTemplate?.spec.template ?? workload.inputs.spec.template;
                const podLabels: Record<string, string> = template.metadata.labels;
                // Every policy that selects the workload's pods (the default deny selects all of them).
                const selecting = policies.filter((p) => Object.entries<string>(p.inputs.spec.podSelector.matchLabels ?? {}).every(([k, v]) => podLabels[k] === v));
                assert.ok(selecting.length >= 2, `${workload.name}: the default deny and its own policy`);
                for (const p of selecting) assert.ok(workload.dependencies.includes(p.urn), `${workload.name} waits for ${p.name}`);
            }
        });

        it("the SecretProviderClass reads the stack's vault with the server's identity", () => {
            const spc = ev.one(K8S.spc, DOCS.secretProviderClass);
            const vault = ev.one(VAULT);
            assert.equal(spc.inputs.spec.parameters.keyvaultName, vault.inputs.vaultName);
            assert.equal(spc.inputs.spec.parameters.clientID, PLACEHOLDER.identityClientId);
            assert.equal(spc.inputs.spec.parameters.tenantId, PLACEHOLDER.tenantId);
        });

        it("Qdrant's key is generated, and only the Secret carries it", () => {
            const secret = ev.one(K8S.secret, NAMES.qdrantApiKeySecret);
            const password = ev.ofType("random:index/randomPassword:RandomPassword");
            assert.equal(password.length, 1);
            assert.ok(secret.dependencies.includes(password[0].urn));
            assert.equal(secret.inputs.stringData[NAMES.qdrantApiKeySecretKey], "placeholder-generated-password");
            const elsewhere = kubernetesObjects(ev).filter((r) => r !== secret && JSON.stringify(r.inputs).includes("placeholder-generated-password"));
            assert.deepEqual(elsewhere.map((r) => r.name), []);
        });

        it(stack === "prod" ? "prod protects the Qdrant StatefulSet" : "dev leaves the Qdrant StatefulSet unprotected", () => {
            const sts = ev.one(K8S.statefulSet, NAMES.qdrant);
            assert.equal(sts.protect, stack === "prod");
            assert.equal(sts.retainOnDelete, false, "an abandoned StatefulSet would collide with its replacement");
        });

        it("outputs the namespace, Qdrant's Service and each server's Service for the edge and connect", () => {
            assert.equal(ev.outputs.namespace, ev.config.namespace);
            assert.equal(ev.outputs.qdrantServiceName, NAMES.qdrant);
            const service = ev.one(K8S.service, DOCS.app);
            assert.deepEqual(ev.outputs.servers, [
                { name: "docs", namespace: service.inputs.metadata.namespace, service: service.inputs.metadata.name, port: service.inputs.spec.ports[0].port, path: "/mcp" },
            ]);
        });

        it("no Service is a LoadBalancer: the MCP servers are ClusterIP only", () => {
            for (const svc of ev.ofType(K8S.service)) assert.equal(svc.inputs.spec.type, "ClusterIP", svc.inputs.metadata.name);
        });
    });
}

describe("cluster wiring under mocks: first preview", () => {
    it("declares every workload object while the cluster, identity and vault are still unknown", async () => {
        const ev = await evaluateStack("dev", { preview: true });
        const names = kubernetesObjects(ev).map((r) => `${r.type} ${r.inputs.metadata?.name}`);
        for (const expected of [`${K8S.deployment} ${DOCS.app}`, `${K8S.statefulSet} ${NAMES.qdrant}`, `${K8S.spc} ${DOCS.secretProviderClass}`]) {
            assert.ok(names.includes(expected), expected);
        }
    });
});
