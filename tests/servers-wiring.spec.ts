/**
 * Two MCP servers in config, through the real program under mocks: each gets its own identity, federated
 * credential, Key Vault roles, SecretProviderClass, ClusterIP Service and policy, and nothing of the other's.
 * The mock cloud gives every identity the same placeholder ids, so "whose identity" is checked through the
 * graph: which resource's outputs an input was built from (dependencies) and which names it carries.
 */
import { strict as assert } from "assert";
import * as YAML from "yaml";
import { mcpNames, NAMES } from "../components/cluster/specs";
import { keyVaultSecretName } from "../components/naming";
import { serviceAccountSubject } from "../components/workload-identity";
import { CapturedResource, Evaluation, evaluateStack } from "./harness";
import { key } from "./fixtures";

const T = {
    uami: "azure-native:managedidentity:UserAssignedIdentity",
    fic: "azure-native:managedidentity:FederatedIdentityCredential",
    role: "azure-native:authorization:RoleAssignment",
    secret: "azure-native:keyvault:Secret",
    serviceAccount: "kubernetes:core/v1:ServiceAccount",
    deployment: "kubernetes:apps/v1:Deployment",
    service: "kubernetes:core/v1:Service",
    spc: "kubernetes:secrets-store.csi.x-k8s.io/v1:SecretProviderClass",
    networkPolicy: "kubernetes:networking.k8s.io/v1:NetworkPolicy",
};

/** docs (the stack file's) plus search: another image and port, one key, no Qdrant. */
const SEARCH = { image: "search-mcp:2.0.0", port: 8080, apiKeys: ["TAVILY_API_KEY"] };

describe("two MCP servers under mocks (dev)", () => {
    let ev: Evaluation;
    before(async () => {
        ev = await evaluateStack("dev", { overrides: { [key("mcpServers")]: JSON.stringify({ search: SEARCH }) } });
    });

    /** The identity of a server: the UAMI whose name ends in `-<server>-mcp`. */
    const identity = (server: string): CapturedResource => {
        const found = ev.ofType(T.uami).filter((r) => String(r.inputs.resourceName).endsWith(`-${server}-mcp`));
        assert.equal(found.length, 1, `one identity for ${server}`);
        return found[0];
    };
    const secretsRead = (server: string): string[] =>
        ev
            .ofType(T.role)
            .filter((r) => r.dependencies.includes(identity(server).urn))
            .map((r) => ev.ofType(T.secret).find((s) => s.id === r.inputs.scope)?.inputs.secretName)
            .sort();

    it("declares one identity, one federated credential and one ServiceAccount per server", () => {
        const ofServers = (r: CapturedResource) => /-(docs|search)-mcp$/.test(String(r.inputs.resourceName));
        assert.equal(ev.ofType(T.uami).filter(ofServers).length, 2, "besides the Qdrant backup's identity");
        assert.notEqual(identity("docs").inputs.resourceName, identity("search").inputs.resourceName);
        assert.equal(ev.ofType(T.fic).filter(ofServers).length, 2);
        for (const server of ["docs", "search"]) ev.one(T.serviceAccount, mcpNames(server).serviceAccount);
    });

    it("each federated credential sits on its server's identity and trusts exactly the ServiceAccount its pods use", () => {
        for (const server of ["docs", "search"]) {
            const fics = ev.ofType(T.fic).filter((f) => f.inputs.resourceName === identity(server).inputs.resourceName);
            assert.equal(fics.length, 1, server);
            const pod = ev.one(T.deployment, mcpNames(server).app).inputs.spec.template.spec;
            assert.equal(fics[0].inputs.subject, serviceAccountSubject(ev.config.namespace, pod.serviceAccountName));
        }
    });

    it("each ServiceAccount and SecretProviderClass names its own server's identity", () => {
        for (const [server, other] of [["docs", "search"], ["search", "docs"]]) {
            const n = mcpNames(server);
            for (const r of [ev.one(T.serviceAccount, n.serviceAccount), ev.one(T.spc, n.secretProviderClass)]) {
                assert.ok(r.dependencies.includes(identity(server).urn), `${r.name} is built from ${server}'s identity`);
                assert.ok(!r.dependencies.includes(identity(other).urn), `${r.name} does not use ${other}'s identity`);
            }
        }
    });

    it("each identity may read exactly its server's secrets, each role scoped to one secret", () => {
        assert.deepEqual(secretsRead("search"), ["tavily-api-key"]);
        assert.deepEqual(secretsRead("docs"), ev.config.mcpServers.docs.apiKeys.map(keyVaultSecretName).sort());
    });

    it("each SecretProviderClass lists only its server's secrets", () => {
        const objectsOf = (server: string) =>
            (YAML.parse(ev.one(T.spc, mcpNames(server).secretProviderClass).inputs.spec.parameters.objects).array as string[]).map((o) => YAML.parse(o).objectName).sort();
        assert.deepEqual(objectsOf("search"), ["tavily-api-key"]);
        assert.deepEqual(objectsOf("docs"), secretsRead("docs"));
    });

    it("each Deployment waits for its own credential, roles and secrets, and not for the other server's", () => {
        for (const [server, other] of [["docs", "search"], ["search", "docs"]]) {
            const deps = new Set(ev.one(T.deployment, mcpNames(server).app).dependencies);
            const own = ev.ofType(T.fic).find((f) => f.inputs.resourceName === identity(server).inputs.resourceName)!;
            const theirs = ev.ofType(T.fic).find((f) => f.inputs.resourceName === identity(other).inputs.resourceName)!;
            assert.ok(deps.has(own.urn), `${server} waits for its credential`);
            assert.ok(!deps.has(theirs.urn), `${server} does not wait for ${other}'s credential`);
            for (const r of ev.ofType(T.role).filter((x) => x.dependencies.includes(identity(server).urn))) assert.ok(deps.has(r.urn), r.name);
        }
        const searchDeps = new Set(ev.one(T.deployment, mcpNames("search").app).dependencies);
        const openai = ev.ofType(T.secret).find((s) => s.inputs.secretName === "openai-api-key")!;
        assert.ok(!searchDeps.has(openai.urn), "search does not wait for a secret it cannot read");
        assert.ok(!searchDeps.has(ev.one("kubernetes:apps/v1:StatefulSet", NAMES.qdrant).urn), "search does not use Qdrant");
    });

    it("each Service is ClusterIP on its server's port, and its policy admits only the edge and the smoke test on that port", () => {
        for (const [server, port] of [["docs", 3000], ["search", 8080]] as const) {
            const n = mcpNames(server);
            const svc = ev.one(T.service, n.app);
            assert.equal(svc.inputs.spec.type, "ClusterIP");
            assert.equal(svc.inputs.spec.ports[0].port, port);
            const policy = ev.one(T.networkPolicy, n.app);
            assert.deepEqual(policy.inputs.spec.podSelector, { matchLabels: { "app.kubernetes.io/name": n.app } });
            assert.deepEqual(policy.inputs.spec.ingress, [
                { from: [{ podSelector: { matchLabels: { "app.kubernetes.io/name": NAMES.edge } } }], ports: [{ protocol: "TCP", port }] },
                { from: [{ podSelector: { matchLabels: { "app.kubernetes.io/name": NAMES.smokeTest } } }], ports: [{ protocol: "TCP", port }] },
            ]);
        }
    });

    it("the smoke test calls every server's Service on its port and waits for every server's rollout", () => {
        const job = ev.one("kubernetes:batch/v1:Job");
        const targets = job.inputs.spec.template.spec.containers[0].env.find((e: { name: string }) => e.name === "SMOKE_TARGETS").value.split("\n");
        const ns = ev.config.namespace;
        assert.deepEqual(targets, [
            `docs-mcp http://docs-mcp.${ns}.svc.cluster.local:3000/health http://docs-mcp.${ns}.svc.cluster.local:3000/mcp`,
            `search-mcp http://search-mcp.${ns}.svc.cluster.local:8080/health http://search-mcp.${ns}.svc.cluster.local:8080/mcp`,
        ]);
        for (const server of ["docs", "search"]) {
            for (const type of [T.deployment, T.service]) assert.ok(job.dependencies.includes(ev.one(type, mcpNames(server).app).urn), `the Job waits for ${server}'s ${type}`);
        }
    });

    it("the smoke test calls both routes of the edge by the URLs the client configs hold, after the edge's rollout", () => {
        const job = ev.one("kubernetes:batch/v1:Job");
        const env = Object.fromEntries(job.inputs.spec.template.spec.containers[0].env.map((e: { name: string; value: string }) => [e.name, e.value]));
        const routes = env.SMOKE_EDGE_ROUTES.split("\n").map((line: string) => line.split(" "));
        const edge = ev.outputs.edge as { urls: Record<string, string>; service: string; namespace: string; port: number };
        assert.deepEqual(routes.map((r: string[]) => [r[0], r[1]]), Object.entries(edge.urls), "one route per server, at the URL the stack outputs");
        const mcp = ev.outputs.mcpJson as { mcpServers: Record<string, { url: string }> };
        assert.deepEqual(routes.map((r: string[]) => r[1]), Object.values(mcp.mcpServers).map((s) => s.url), "the URL clients are configured with");
        assert.ok(env.SMOKE_EDGE_CONNECT_TO.endsWith(`:${edge.service}.${edge.namespace}.svc.cluster.local:${edge.port}`), "through the edge's Service");
        assert.equal(job.inputs.spec.template.metadata.labels["mcp-aks/edge-client"], "true");
        for (const type of [T.deployment, T.service]) assert.ok(job.dependencies.includes(ev.one(type, NAMES.edge).urn), `the Job waits for the edge's ${type}`);
    });

    it("outputs both servers for the edge and connect, and a client config entry for each", () => {
        const servers = ev.outputs.servers as Array<Record<string, unknown>>;
        assert.deepEqual(servers.map((s) => [s.name, s.service, s.port, s.path]), [["docs", "docs-mcp", 3000, "/mcp"], ["search", "search-mcp", 8080, "/mcp"]]);
        const mcp = ev.outputs.mcpJson as { mcpServers: Record<string, { url: string }> };
        assert.deepEqual(Object.keys(mcp.mcpServers), ["mcp-aks-dev-docs", "mcp-aks-dev-search"]);
        assert.notEqual(mcp.mcpServers["mcp-aks-dev-docs"].url, mcp.mcpServers["mcp-aks-dev-search"].url);
    });

    it("every client entry signs in with the app registration the edge validates tokens for", () => {
        const app = ev.one("azuread:index/application:Application");
        const clientId = app.state.clientId;
        assert.ok(clientId, "the simulated app has a client id");
        const gateway = YAML.parse(ev.one("kubernetes:core/v1:ConfigMap", "mcp-edge-config").inputs.data["config.yaml"]);
        for (const route of gateway.binds[0].listeners[0].routes) assert.equal(route.policies.mcpAuthentication.clientId, clientId);
        const mcp = ev.outputs.mcpJson as { mcpServers: Record<string, { oauth?: { clientId: string } }> };
        assert.deepEqual(Object.values(mcp.mcpServers).map((s) => s.oauth?.clientId), [clientId, clientId]);
        const claude = ev.outputs.claudeDesktopConfig as { mcpServers: Record<string, { args: string[] }> };
        for (const entry of Object.values(claude.mcpServers)) assert.equal(JSON.parse(entry.args[entry.args.indexOf("--static-oauth-client-info") + 1]).client_id, clientId);
        assert.equal((ev.outputs.edge as { clientId: string }).clientId, clientId);
    });
});
