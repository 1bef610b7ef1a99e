/**
 * `npm run plan`: runs the real plan for each stack into a temp dir and checks what it wrote against the
 * Kubernetes schemas, the evaluated program and the stack config; then the pure renderer on doctored
 * evaluations (a failing pod, an uncovered workload, a leaking field) and the CLI's failure paths.
 */
import { strict as assert } from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as YAML from "yaml";
import { systemPoolDedicated } from "../components/azure/cluster";
import { BUILT_IN_ROLES } from "../components/azure/role-assignment";
import { ConfigError, parseStackConfig } from "../components/config";
import { main, PlanDeps, REDACTED, renderPlan } from "../scripts/plan";
import { importedImageRef } from "../components/image";
import { SOURCE_ROOT } from "./fixtures";
import { CapturedResource, Evaluation, evaluateStack, PLACEHOLDER, REPO_ROOT as REPO_ROOT_FOR_PLAN, stackRawConfig } from "./harness";
import { manifestProblems } from "./k8s-schema";

interface Run {
    code: number;
    out: string;
    err: string;
    evaluation?: Evaluation;
}

async function runPlan(argv: string[], outRoot: string, extra: Partial<PlanDeps> = {}): Promise<Run> {
    const run: Run = { code: -1, out: "", err: "" };
    run.code = await main(argv, {
        outRoot,
        cwd: outRoot,
        stdout: (t) => void (run.out += t),
        stderr: (t) => void (run.err += t),
        evaluate: async (stack, options) => (run.evaluation = await evaluateStack(stack, options)),
        sourceRoot: SOURCE_ROOT,
        ...extra,
    });
    return run;
}

/** Every file under dir, as paths relative to it with forward slashes. */
function listFiles(dir: string): string[] {
    return fs.readdirSync(dir, { recursive: true, withFileTypes: true })
        .filter((d) => d.isFile())
        .map((d) => path.relative(dir, path.join(d.parentPath, d.name)).split(path.sep).join("/"))
        .sort();
}

interface Manifest {
    file: string;
    index: number;
    obj: any;
}

const K8S_PROVIDER = "pulumi:providers:kubernetes";

for (const stack of ["dev", "prod"] as const) {
    describe(`npm run plan -- --stack ${stack}`, function () {
        let root: string;
        let dir: string;
        let run: Run;
        let ev: Evaluation;
        let files: string[];
        let manifests: Manifest[];
        const read = (file: string) => fs.readFileSync(path.join(dir, file), "utf8");
        const find = (kind: string, name: string) => {
            const found = manifests.filter((m) => m.obj.kind === kind && m.obj.metadata.name === name);
            assert.equal(found.length, 1, `expected one ${kind} ${name} in the plan`);
            return found[0];
        };

        before(async () => {
            root = fs.mkdtempSync(path.join(os.tmpdir(), "plan-"));
            dir = path.join(root, stack);
            // A leftover from an older plan must not survive: the directory is cleared first.
            fs.mkdirSync(path.join(dir, "k8s"), { recursive: true });
            fs.writeFileSync(path.join(dir, "k8s", "999-stale.yaml"), "stale: true\n");
            run = await runPlan(["--stack", stack], root);
            assert.equal(run.code, 0, `plan failed: ${run.err}`);
            ev = run.evaluation!;
            files = listFiles(dir);
            manifests = files
                .filter((f) => f.startsWith("k8s/"))
                .map((file) => {
                    const docs = YAML.parseAllDocuments(read(file));
                    assert.equal(docs.length, 1, `${file} holds one document`);
                    assert.deepEqual(docs[0].errors, [], `${file} is valid YAML`);
                    return { file, index: Number(/^k8s\/(\d+)-/.exec(file)?.[1]), obj: docs[0].toJS() };
                })
                .sort((a, b) => a.index - b.index);
        });

        after(() => {
            fs.rmSync(root, { recursive: true, force: true });
        });

        // Its speed is measured by `npm run bench`, not asserted here: a wall-clock bound fails on a loaded machine.
        it("reports where the files went", () => {
            assert.equal(run.err, "");
            assert.match(run.out, new RegExp(`Plan for stack "${stack}"`));
            assert.match(run.out, /placeholders/);
            assert.match(run.out, /Cost estimate: \$\d+\.\d\d\/month at minimum scale/);
            assert.match(run.out, new RegExp(`Wrote ${files.length} files to ${stack}`));
            assert.ok(!files.includes("k8s/999-stale.yaml"), "the old plan was cleared");
            assert.ok(files.includes("azure.json") && files.includes("summary.md"));
        });

        it("writes one file per Kubernetes object the program declares, and nothing else", () => {
            const declared = ev.resources.filter((r) => r.custom && r.type.startsWith("kubernetes:")).map((r) => r.inputs.metadata.name).sort();
            assert.ok(declared.length >= 15, `expected the full workload set, got ${declared.length}`);
            assert.deepEqual(manifests.map((m) => m.obj.metadata.name).sort(), declared);
            assert.equal(files.length, declared.length + 2);
            for (const m of manifests) {
                assert.match(m.file, new RegExp(`^k8s/\\d{3}-${m.obj.kind.toLowerCase()}-${m.obj.metadata.name}\\.yaml$`));
            }
            assert.deepEqual(manifests.map((m) => m.index), manifests.map((_, i) => (i + 1) * 10), "numbered 010, 020, ... without gaps");
        });

        it("every manifest validates against the official Kubernetes schema", () => {
            const problems = manifests.flatMap((m) => manifestProblems(m.obj).map((p) => `${m.file}: ${p}`));
            assert.deepEqual(problems, []);
        });

        it("apiVersion and kind come from the Pulumi type token, and the object from the inputs", () => {
            assert.equal(find("Deployment", "docs-mcp").obj.apiVersion, "apps/v1");
            assert.equal(find("Service", "docs-mcp").obj.apiVersion, "v1");
            assert.equal(find("HorizontalPodAutoscaler", "docs-mcp").obj.apiVersion, "autoscaling/v2");
            assert.equal(find("SecretProviderClass", "docs-mcp-keyvault").obj.apiVersion, "secrets-store.csi.x-k8s.io/v1");
            const deployment = ev.one("kubernetes:apps/v1:Deployment", "docs-mcp");
            assert.deepEqual(find("Deployment", "docs-mcp").obj.spec, JSON.parse(JSON.stringify(deployment.inputs.spec)));
            const sa = find("ServiceAccount", "docs-mcp").obj;
            assert.equal(sa.metadata.annotations["azure.workload.identity/client-id"], PLACEHOLDER.identityClientId);
            assert.match(read(find("ServiceAccount", "docs-mcp").file), /^# .*placeholders/m, "each file says its values are placeholders");
        });

        it("files are in apply order: the namespace first, each workload after everything it uses", () => {
            assert.equal(manifests[0].obj.kind, "Namespace");
            const indexOf = (kind: string, name: string) => find(kind, name).index;
            for (const w of manifests.filter((m) => ["Deployment", "StatefulSet"].includes(m.obj.kind))) {
                const pod = w.obj.spec.template.spec;
                const ns = w.obj.metadata.namespace;
                const uses: Array<[string, string]> = [["Namespace", ns]];
                if (pod.serviceAccountName) uses.push(["ServiceAccount", pod.serviceAccountName]);
                if (pod.priorityClassName) uses.push(["PriorityClass", pod.priorityClassName]);
                for (const v of pod.volumes ?? []) {
                    if (v.configMap) uses.push(["ConfigMap", v.configMap.name]);
                    if (v.csi?.volumeAttributes?.secretProviderClass) uses.push(["SecretProviderClass", v.csi.volumeAttributes.secretProviderClass]);
                }
                for (const c of [...(pod.initContainers ?? []), ...pod.containers]) {
                    for (const e of c.envFrom ?? []) if (e.configMapRef) uses.push(["ConfigMap", e.configMapRef.name]);
                    for (const e of c.env ?? []) {
                        if (e.valueFrom?.configMapKeyRef) uses.push(["ConfigMap", e.valueFrom.configMapKeyRef.name]);
                        // The CSI driver creates the synced API key Secret; only Secrets the plan declares are ordered.
                        const secret = e.valueFrom?.secretKeyRef?.name;
                        if (secret && manifests.some((m) => m.obj.kind === "Secret" && m.obj.metadata.name === secret)) uses.push(["Secret", secret]);
                    }
                }
                for (const claim of w.obj.spec.volumeClaimTemplates ?? []) if (claim.spec.storageClassName) uses.push(["StorageClass", claim.spec.storageClassName]);
                for (const p of manifests.filter((m) => m.obj.kind === "NetworkPolicy")) uses.push(["NetworkPolicy", p.obj.metadata.name]);
                assert.ok(uses.some(([k]) => k === "ServiceAccount") && uses.some(([k]) => k === "NetworkPolicy"), `${w.file} has dependencies to check`);
                for (const [kind, name] of uses) assert.ok(indexOf(kind, name) < w.index, `${kind} ${name} must come before ${w.file}`);
            }
            const mcp = find("Deployment", "docs-mcp");
            assert.ok(mcp.index < find("HorizontalPodAutoscaler", "docs-mcp").index);
            assert.ok(mcp.index < find("PodDisruptionBudget", "docs-mcp").index);
            assert.ok(find("Service", "docs-mcp").index < mcp.index);
        });

        it("Kubernetes Secret values are redacted, and no secret value appears anywhere in the output", () => {
            const secretFiles = manifests.filter((m) => m.obj.kind === "Secret");
            assert.ok(secretFiles.length >= 1);
            for (const s of secretFiles) {
                for (const v of Object.values(s.obj.stringData ?? {})) assert.equal(v, REDACTED);
                for (const v of Object.values(s.obj.data ?? {})) assert.equal(Buffer.from(String(v), "base64").toString(), REDACTED);
            }
            const qdrantKey = ev.one("kubernetes:core/v1:Secret", "qdrant-api-key").inputs.stringData["api-key"];
            assert.ok(typeof qdrantKey === "string" && qdrantKey.length > 0);
            const everything = files.map(read).join("\n");
            assert.ok(!everything.includes(PLACEHOLDER.fakeSecret), "an API key placeholder leaked");
            assert.ok(!everything.includes(qdrantKey), "the Qdrant API key leaked");
            for (const s of Object.values(ev.config.secrets)) assert.ok(!everything.includes(s.reveal()));
        });

        it("azure.json lists every Azure resource with its key settings, and no secret value", () => {
            const doc = JSON.parse(read("azure.json"));
            const entries: any[] = doc.resources;
            const azure = ev.resources.filter((r) => r.custom && (r.type.startsWith("azure-native:") || r.type.startsWith("random:") || r.type.startsWith("azuread:")));
            assert.deepEqual(entries.map((e) => e.logicalName).sort(), azure.map((r) => r.name).sort());
            assert.ok(!entries.some((e) => e.type === K8S_PROVIDER));
            const one = (type: string) => {
                const found = entries.filter((e) => e.type === `azure-native:${type}`);
                assert.equal(found.length, 1, `one ${type} in azure.json`);
                return found[0];
            };
            const cfg = ev.config;

            const aks = one("containerservice:ManagedCluster");
            assert.equal(aks.azureName, ev.one("azure-native:containerservice:ManagedCluster").inputs.resourceName);
            assert.equal(aks.location, cfg.location);
            assert.equal(aks.properties.tier, cfg.cluster.tier);
            assert.deepEqual(aks.properties.pools.map((p: any) => p.name), ["system"]);
            const userPools = entries.filter((e) => e.type === "azure-native:containerservice:AgentPool");
            assert.deepEqual(userPools.map((p) => [p.properties.cluster, p.properties.mode, p.properties.maxPods]), cfg.cluster.userPool ? [[aks.azureName, "User", cfg.cluster.userPool.maxPods]] : []);
            assert.deepEqual(aks.properties.pools[0].autoscaling, { min: cfg.cluster.systemPool.minCount, max: cfg.cluster.systemPool.maxCount });
            assert.equal(aks.properties.pools[0].vmSize, cfg.cluster.systemPool.vmSize);
            for (const p of aks.properties.pools) assert.deepEqual(p.zones, [...cfg.cluster.zones]);
            assert.deepEqual(aks.properties.pools[0].taints, systemPoolDedicated(cfg) ? ["CriticalAddonsOnly=true:NoSchedule"] : []);
            assert.equal(aks.properties.pools[0].maxPods, cfg.cluster.systemPool.maxPods);
            assert.equal(aks.properties.network.policy, "cilium");
            assert.deepEqual(aks.properties.apiServer.authorizedIpRanges, [...cfg.cluster.authorizedIpRanges]);
            assert.equal(aks.properties.localAccountsDisabled, true);
            assert.equal(aks.properties.oidcIssuer, true);
            assert.equal(aks.properties.workloadIdentity, true);
            assert.equal(aks.properties.addons.azureKeyvaultSecretsProvider.enabled, true);

            const vault = one("keyvault:Vault");
            assert.equal(vault.properties.rbacAuthorization, true);
            assert.equal(vault.properties.purgeProtection, cfg.keyVault.purgeProtection);
            assert.equal(vault.properties.softDeleteRetentionDays, cfg.keyVault.softDeleteRetentionDays);
            assert.equal(vault.protect === true, cfg.keyVault.purgeProtection, "a purge-protected vault is protected from pulumi destroy");
            assert.match(vault.azureName, new RegExp(PLACEHOLDER.randomSuffix));

            assert.equal(one("containerregistry:Registry").sku, cfg.registry.sku);
            assert.equal(one("containerregistry:Registry").properties.adminUserEnabled, false);
            const identities = entries.filter((e) => e.type === "azure-native:managedidentity:UserAssignedIdentity");
            assert.deepEqual(identities.map((i) => i.azureName).sort(), [`id-mcp-${stack}-docs-mcp`, `id-mcp-${stack}-edge`, `id-mcp-${stack}-qdrant-backup`]);
            const fics = entries.filter((e) => e.type === "azure-native:managedidentity:FederatedIdentityCredential");
            for (const fic of fics) assert.equal(fic.properties.issuer, PLACEHOLDER.oidcIssuer);
            assert.deepEqual(fics.map((f) => f.properties.subject).sort(), [`system:serviceaccount:${cfg.namespace}:docs-mcp`, `system:serviceaccount:${cfg.namespace}:mcp-edge`, `system:serviceaccount:${cfg.namespace}:qdrant-backup`]);

            const account = one("storage:StorageAccount");
            assert.equal(account.sku, stack === "prod" ? "Standard_ZRS" : "Standard_LRS");
            assert.equal(account.properties.allowSharedKeyAccess, false);
            assert.equal(account.properties.allowBlobPublicAccess, false);
            assert.equal(account.properties.minimumTlsVersion, "TLS1_2");
            assert.equal(one("storage:BlobServiceProperties").properties.versioning, stack === "prod");
            assert.match(JSON.stringify(one("storage:ManagementPolicy").properties), new RegExp(`"daysAfterModificationGreaterThan":${cfg.qdrant.backup.retentionDays}`));

            const roles = entries.filter((e) => e.type === "azure-native:authorization:RoleAssignment");
            const kvRoles = roles.filter((r) => r.properties.role === "keyVaultSecretsUser" && r.properties.principalId === PLACEHOLDER.identityPrincipalId);
            const edgeRoles = roles.filter((r) => r.properties.role === "keyVaultSecretsUser" && r.properties.principalId === PLACEHOLDER.edgeIdentityPrincipalId);
            assert.equal(edgeRoles.length, 2, "the edge reads its session key and its client secret, nothing else");
            assert.deepEqual(roles.map((r) => r.properties.role).filter((r) => r !== "keyVaultSecretsUser").sort(), ["acrPull", "aksRbacClusterAdmin", "contributor", "storageBlobDataContributor"]);
            assert.equal(kvRoles.length, cfg.mcpServers.docs.apiKeys.length, "one per secret the server reads");
            for (const kvRole of kvRoles) {
                assert.ok(kvRole.properties.roleDefinitionId.endsWith(BUILT_IN_ROLES.keyVaultSecretsUser));
                assert.equal(kvRole.properties.principalId, PLACEHOLDER.identityPrincipalId);
                assert.equal(kvRole.properties.principalType, "ServicePrincipal");
                assert.ok(ev.ofType("azure-native:keyvault:Secret").some((sec) => sec.id === kvRole.properties.scope), "scoped to one secret");
            }

            const secrets = entries.filter((e) => e.type === "azure-native:keyvault:Secret");
            assert.equal(secrets.length, cfg.apiKeys.length + 2, "the API keys, the edge's session key and its client secret");
            const app = entries.find((e) => e.type === "azuread:index/application:Application");
            assert.deepEqual(app.properties.appRoles, ["mcp.all", "mcp.docs"]);
            for (const s of secrets) assert.equal(s.properties.value, REDACTED);
            assert.ok(!read("azure.json").includes(PLACEHOLDER.fakeSecret));
        });

        it("summary.md states the placeholders, counts, pod security, policy coverage, exposure and client config", () => {
            const summary = read("summary.md");
            assert.match(summary, /\*\*placeholder\*\*/);
            assert.ok(summary.includes(PLACEHOLDER.loadBalancerIp) && summary.includes(PLACEHOLDER.oidcIssuer), "the placeholder table lists the values");
            assert.match(summary, /`azure-native:authorization:RoleAssignment` \| 9 \|/);
            assert.match(summary, /`kubernetes:networking\.k8s\.io\/v1:NetworkPolicy` \| 6 \|/);
            const q = ev.config.qdrant;
            const replication = `${q.replicas} node(s)${q.replicas > 1 ? " in cluster mode" : ""}, replication factor ${q.replicationFactor}, write consistency ${q.writeConsistencyFactor}`;
            assert.ok(summary.includes(replication), "replication settings");
            assert.ok(run.out.includes(replication));
            assert.ok(summary.includes(`\`${q.backup.schedule}\` (UTC)`), "backup schedule");
            assert.ok(run.out.includes(`stmcp${stack}${PLACEHOLDER.randomSuffix}/qdrant-snapshots`), "storage target on stdout");
            assert.match(summary, new RegExp(`## Cost estimate[\\s\\S]*\\*\\*Total at minimum scale\\*\\* \\| \\*\\*\\$${(ev.outputs.costEstimate as any).monthlyAtMinScale.toFixed(2).replace(".", "\\.")}\\*\\*`));
            assert.match(summary, /Maintenance `aksManagedAutoUpgradeSchedule`/);
            for (const w of ["StatefulSet mcp-server/qdrant", "Deployment mcp-server/docs-mcp"].map((r) => r.replace(/mcp-server\//, `${ev.config.namespace}/`))) {
                assert.ok(summary.includes(`- ${w}: passes restricted (namespace enforces \`restricted\`)`), `pod security line for ${w}`);
                assert.ok(summary.includes(`- ${w}\n  - ingress: selected by default-deny-all`), `ingress coverage for ${w}`);
            }
            assert.doesNotMatch(summary, /NOT selected|FAILS restricted/);
            assert.ok(summary.includes("- No Service is reachable from outside the cluster."), "no MCP load balancer");
            const ranges = ev.config.cluster.authorizedIpRanges;
            assert.ok(summary.includes(ranges.length > 0 ? `public, limited to ${ranges.join(", ")}` : "public, reachable from ANY address"), "API server exposure");
            assert.ok(!run.out.includes("Exposed: Service"));
            assert.ok(summary.includes(`| docs | ${ev.config.namespace}/docs-mcp | 3000 | /mcp |`), "the servers the edge and connect reach");
            assert.ok(summary.includes(`npm run connect -- --stack ${ev.config.stack}`));
            assert.ok(summary.includes("## Edge") && summary.includes("each requires an Entra ID token"), "the edge section");
            assert.ok(run.out.includes("Edge: private: no load balancer, no public IP"), "the edge on stdout");
            assert.ok(summary.includes(`"url": "http://localhost:8080/mcp/docs"`), "the client config it would produce: the server at the edge");
            assert.ok(summary.includes(".vscode/mcp.json") && summary.includes("claude_desktop_config.json"));
        });

        it("shows the build source and tag, each import, and the commands the stack runs", () => {
            const summary = read("summary.md");
            const source = ev.config.mcpServers.docs.source;
            assert.ok(source.kind === "build");
            const server = String(ev.outputs.acrLoginServer);
            assert.ok(summary.includes(`| docs-mcp | \`${source.context} (Dockerfile ${source.dockerfile}), tag ${source.tag}\` | az acr build | \`${server}/docs-mcp:${source.tag}\` |`), "build row");
            assert.ok(run.out.includes(`Image docs-mcp: az acr build ${source.context} (Dockerfile ${source.dockerfile}), tag ${source.tag}`), "stdout names the tag");
            for (const [name, upstream] of Object.entries(ev.config.images)) {
                assert.ok(summary.includes(`| ${name} | \`${upstream}\` | az acr import | \`${importedImageRef(server, upstream)}\` |`), `import row for ${name}`);
                assert.ok(run.out.includes(`Image ${name}: az acr import ${upstream}`), `stdout line for ${name}`);
            }
            const commands = ev.ofType("command:local:Command").map((c) => c.inputs.create);
            assert.equal(commands.length, 1 + Object.keys(ev.config.images).length);
            for (const c of commands) assert.ok(summary.includes(`\n${c}\n`), `command in summary: ${c}`);
        });

        describe("renderPlan on a doctored evaluation", () => {
            /** The real evaluation with one resource's inputs changed. */
            function doctor(type: string, name: string, change: (inputs: any) => void): Evaluation {
                const resources = ev.resources.map((r): CapturedResource => {
                    if (r.type !== type || r.inputs?.metadata?.name !== name) return r;
                    const inputs = structuredClone(r.inputs);
                    change(inputs);
                    return { ...r, inputs };
                });
                return { ...ev, resources, ofType: (t) => resources.filter((r) => r.type === t) };
            }
            const summaryOf = (e: Evaluation) => renderPlan(e).files.find((f) => f.path === "summary.md")!.content;

            it("reports a pod template that breaks the restricted profile", () => {
                const bad = doctor("kubernetes:apps/v1:Deployment", "docs-mcp", (i) => {
                    i.spec.template.spec.containers[0].securityContext.privileged = true;
                });
                const summary = summaryOf(bad);
                assert.match(summary, /Deployment [\w-]+\/docs-mcp: \*\*FAILS restricted\*\*/);
                assert.match(summary, /container mcp-server: privileged must be unset or false/);
                assert.match(renderPlan(bad).summary, /1 of 5 FAIL/);
            });

            it("reports a workload that no NetworkPolicy selects", () => {
                const bad = doctor("kubernetes:apps/v1:StatefulSet", "qdrant", (i) => {
                    i.spec.template.metadata.labels = { app: "elsewhere" };
                });
                // Only the default-deny policy (empty podSelector) still selects it.
                const policies = ev.ofType("kubernetes:networking.k8s.io/v1:NetworkPolicy");
                assert.ok(policies.some((p) => p.inputs.metadata.name === "default-deny-all" && Object.keys(p.inputs.spec.podSelector).length === 0));
                assert.match(summaryOf(bad), /StatefulSet [\w-]+\/qdrant\n {2}- ingress: selected by default-deny-all\n/);
                const noDeny = { ...bad, resources: bad.resources.filter((r) => r.inputs?.metadata?.name !== "default-deny-all") };
                assert.match(summaryOf(noDeny), /StatefulSet [\w-]+\/qdrant\n {2}- ingress: \*\*NOT selected by any policy/);
            });

            it("refuses to write a secret value that reaches an unredacted field", () => {
                const leak = doctor("kubernetes:core/v1:ConfigMap", "docs-mcp-config", (i) => {
                    i.data.LEAKED = Object.values(ev.config.secrets)[0].reveal();
                });
                assert.throws(() => renderPlan(leak), /refusing to write k8s\/\d+-configmap-docs-mcp-config\.yaml: it would contain a secret value/);
            });
        });
    });
}

describe("npm run plan: failures", () => {
    let root: string;
    beforeEach(() => {
        root = fs.mkdtempSync(path.join(os.tmpdir(), "plan-fail-"));
    });
    afterEach(() => {
        fs.rmSync(root, { recursive: true, force: true });
    });

    it("an invalid config exits 1 with the ConfigError text as is, and writes nothing", async () => {
        const overrides = { "mcp-aks:cluster": JSON.stringify({ tier: "Gold" }), "mcp-aks:namespace": "Not_A_Namespace" };
        let expected: ConfigError | undefined;
        try {
            const { raw, secretKeys } = stackRawConfig("dev", { overrides });
            parseStackConfig(raw, { stack: "dev", secretKeys, sourceRoot: SOURCE_ROOT });
        } catch (e) {
            expected = e as ConfigError;
        }
        assert.ok(expected instanceof ConfigError && expected.problems.length === 2);
        let evaluated = false;
        const run = await runPlan(["--stack", "dev"], root, {
            overrides,
            evaluate: async (stack, options) => {
                evaluated = true;
                return evaluateStack(stack, options);
            },
        });
        assert.ok(evaluated);
        assert.equal(run.code, 1);
        assert.equal(run.err, `${expected.message}\n`);
        assert.match(run.err, /Invalid config for stack "dev" \(2 problems\)/);
        assert.match(run.err, /mcp-aks:cluster\.tier is "Gold"/);
        assert.doesNotMatch(run.err, /\n\s+at /, "no stack trace");
        assert.equal(run.out, "");
        assert.ok(!fs.existsSync(path.join(root, "dev")));
    });

    it("without --stack it exits 2 with the usage", async () => {
        const run = await runPlan([], root);
        assert.equal(run.code, 2);
        assert.match(run.err, /--stack is required/);
        assert.match(run.err, /Usage: npm run plan -- --stack <stack>/);
        assert.equal(run.evaluation, undefined);
    });

    it("an unknown stack exits 2 and lists the stack files there are", async () => {
        for (const stack of ["staging", "../dev"]) {
            const run = await runPlan(["--stack", stack], root);
            assert.equal(run.code, 2, stack);
            assert.match(run.err, new RegExp(`no stack file Pulumi\\.${stack.replace(/\./g, "\\.")}\\.yaml .*; available: dev, prod`));
            assert.equal(run.evaluation, undefined);
        }
        assert.deepEqual(fs.readdirSync(root), []);
    });

    it("--stack without a value and unknown flags exit 2", async () => {
        assert.equal((await runPlan(["--stack"], root)).code, 2);
        const run = await runPlan(["--stack", "dev", "--apply"], root);
        assert.equal(run.code, 2);
        assert.match(run.err, /unknown argument "--apply"/);
    });
});

describe("npm run plan on a stack file with a YAML syntax error", () => {
    const file = path.join(REPO_ROOT_FOR_PLAN, "Pulumi.yamlerror.yaml");
    after(() => fs.rmSync(file, { force: true }));

    it("prints one line naming the file, line and column, and no stack trace", async () => {
        fs.writeFileSync(file, "config:\n  mcp-aks:environment: dev\n  mcp-aks:cluster:\n    tier: [Free\n");
        const root = fs.mkdtempSync(path.join(os.tmpdir(), "plan-"));
        const run = await runPlan(["--stack", "yamlerror"], root, { projectDir: REPO_ROOT_FOR_PLAN });
        fs.rmSync(root, { recursive: true, force: true });
        assert.equal(run.code, 1);
        assert.match(run.err, /^plan: Pulumi\.yamlerror\.yaml: line 5, column 1: .+\n$/);
        assert.doesNotMatch(run.err, /\n\s+at /);
    });
});
