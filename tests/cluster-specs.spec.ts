/**
 * The workloads layer's Kubernetes objects, built by the pure spec builders: schema-valid, wired to each
 * other by the right names, and different between dev and prod exactly where intended. No Pulumi mocks.
 */
import { strict as assert } from "assert";
import * as YAML from "yaml";
import { Deployment } from "kubernetes-models/apps/v1/Deployment";
import { StackConfig } from "../components/config";
import { DEFAULT_MCP_SETTINGS, environmentDefaults } from "../components/config-defaults";
import { keyVaultSecretName } from "../components/naming";
import { mcpServerServiceAccount, WORKLOAD_IDENTITY_CLIENT_ID_ANNOTATION, WORKLOAD_IDENTITY_TENANT_ID_ANNOTATION, WORKLOAD_IDENTITY_USE_LABEL, serviceAccountSubject } from "../components/workload-identity";
import { NAMES, mcpNames, workloadManifests } from "../components/cluster/specs";
import {
    MCP_DATA_PATH,
    PRE_STOP_SLEEP_SECONDS,
    TERMINATION_GRACE_SECONDS,
    mcpConfigMapManifest,
    mcpDeploymentManifest,
    mcpHorizontalPodAutoscalerManifest,
    mcpSecretProviderClassManifest,
    mcpServerSettings,
    mcpServiceAccountManifest,
    mcpServiceManifest,
} from "../components/cluster/specs/mcp-server";
import { qdrantApiKeySecretManifest, qdrantStatefulSetManifest, qdrantStorageClassManifest } from "../components/cluster/specs/qdrant";
import { clientIdOf, configFor, imageOf, key, workloadInputs, WORKLOAD_INPUTS as INPUTS } from "./fixtures";
import { manifestProblems } from "./k8s-schema";
import { disruptionsAllowed } from "./scheduling";

const DOCS = mcpNames("docs");
/** Raw config that changes the docs server's entry. */
const docsWith = (entry: Record<string, unknown>) => ({ [key("mcpServers")]: JSON.stringify({ docs: entry }) });


type AnyObject = { apiVersion: string; kind: string; metadata: { name: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string> }; [k: string]: any };

function objects(cfg: StackConfig): AnyObject[] {
    return workloadManifests(cfg, workloadInputs(cfg)) as unknown as AnyObject[];
}

function find(list: AnyObject[], kind: string, name: string): AnyObject {
    const found = list.filter((o) => o.kind === kind && o.metadata.name === name);
    assert.equal(found.length, 1, `exactly one ${kind} ${name}`);
    return found[0];
}

function matches(selector: Record<string, string>, labels: Record<string, string> | undefined): boolean {
    return Object.entries(selector).every(([k, v]) => labels?.[k] === v);
}

const WITH_INIT = docsWith({ indexInitCommand: ["node", "fill.js"] });

describe("cluster: workload specs", () => {
    for (const env of ["dev", "prod"] as const) {
        describe(env, () => {
            const cfg = configFor(env);
            const list = objects(cfg);

            it("every object validates against the Kubernetes schema (kubernetes-models)", () => {
                for (const raw of [...list, ...objects(configFor(env, WITH_INIT))]) {
                    // The SecretProviderClass is a CRD: checked shallowly here and field by field below.
                    assert.deepEqual(manifestProblems(raw), [], `${raw.kind} ${raw.metadata.name}`);
                }
            });

            it("the schema check can fail: a wrongly typed field is rejected", () => {
                const broken = structuredClone(find(list, "Deployment", DOCS.app));
                broken.spec.template.spec.containers[0].ports[0].containerPort = "3000";
                assert.throws(() => new Deployment(broken).validate(), /containerPort/);
            });

            it("namespaced objects all live in the configured namespace; names are fixed (no auto-naming)", () => {
                const clusterScoped = new Set(["Namespace", "PriorityClass", "StorageClass"]);
                for (const o of list) {
                    assert.match(o.metadata.name, /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/);
                    if (clusterScoped.has(o.kind)) assert.equal(o.metadata.namespace, undefined, o.kind);
                    else assert.equal(o.metadata.namespace, cfg.namespace, `${o.kind} ${o.metadata.name}`);
                }
                const custom = objects(configFor(env, { [key("namespace")]: "tools" }));
                assert.ok(custom.filter((o) => !clusterScoped.has(o.kind)).every((o) => o.metadata.namespace === "tools"));
                assert.ok(custom.filter((o) => clusterScoped.has(o.kind)).every((o) => o.metadata.name.startsWith("tools")));
            });

            it("the Deployment declares no replicas (the HPA owns the count) and the HPA targets it", () => {
                const deployment = find(list, "Deployment", DOCS.app);
                assert.ok(!("replicas" in deployment.spec), "replicas must be left to the HPA");
                const hpa = find(list, "HorizontalPodAutoscaler", DOCS.app);
                assert.deepEqual(hpa.spec.scaleTargetRef, { apiVersion: deployment.apiVersion, kind: deployment.kind, name: deployment.metadata.name });
                const docs = cfg.mcpServers.docs;
                assert.equal(hpa.spec.minReplicas, docs.minReplicas);
                assert.equal(hpa.spec.maxReplicas, docs.maxReplicas);
                const metrics = hpa.spec.metrics.map((m: any) => [m.resource.name, m.resource.target.averageUtilization]);
                assert.deepEqual(metrics, [["cpu", docs.targetCpuUtilization], ["memory", docs.targetMemoryUtilization]]);
                assert.ok(hpa.spec.behavior.scaleDown.stabilizationWindowSeconds >= 60);
            });

            it("no PodDisruptionBudget can block a node drain, at any replica count the workloads can have", () => {
                const pdbs = list.filter((o) => o.kind === "PodDisruptionBudget");
                assert.ok(pdbs.length > 0);
                const controllers = list.filter((o) => o.kind === "Deployment" || o.kind === "StatefulSet");
                for (const pdb of pdbs) {
                    assert.equal(pdb.spec.unhealthyPodEvictionPolicy, "AlwaysAllow", `${pdb.metadata.name}: crash-looping pods must stay evictable`);
                    const targets = controllers.filter((c) => matches(pdb.spec.selector.matchLabels, c.spec.template.metadata.labels));
                    assert.equal(targets.length, 1, `${pdb.metadata.name} selects one workload`);
                    const target = targets[0];
                    const server = Object.values(cfg.mcpServers).find((m) => mcpNames(m.name).app === target.metadata.name);
                    // The edge scales within edge.minReplicas..maxReplicas like a server.
                    const bounds = server ?? cfg.edge;
                    const counts = target.kind === "StatefulSet" ? [target.spec.replicas] : range(bounds.minReplicas, bounds.maxReplicas);
                    for (const n of counts) assert.ok(disruptionsAllowed(pdb.spec, n) >= 1, `${pdb.metadata.name} blocks drains at ${n} replicas`);
                }
                // Single-node Qdrant has no PDB: minAvailable 1 on it would block drains forever (pitfall 4);
                // the cluster has one allowing exactly one pod down (tests/qdrant-cluster.spec.ts).
                const qdrantPdbs = pdbs.filter((p) => matches(p.spec.selector.matchLabels, { "app.kubernetes.io/name": NAMES.qdrant }));
                assert.equal(qdrantPdbs.length, cfg.qdrant.replicas > 1 ? 1 : 0);
            });

            it("the drain check can fail: minAvailable equal to the replica count allows no disruption", () => {
                assert.equal(disruptionsAllowed({ minAvailable: 1 }, 1), 0);
                assert.equal(disruptionsAllowed({ minAvailable: "100%" }, 3), 0);
                assert.equal(disruptionsAllowed({ maxUnavailable: 1 }, 1), 1);
            });

            it("the MCP server and Qdrant read the API key from the same Secret and key", () => {
                const secret = find(list, "Secret", NAMES.qdrantApiKeySecret);
                const dataKeys = Object.keys(secret.stringData);
                assert.deepEqual(dataKeys, [NAMES.qdrantApiKeySecretKey]);
                const mcpRef = envVar(find(list, "Deployment", DOCS.app), "QDRANT_API_KEY").valueFrom.secretKeyRef;
                const qdrantRef = envVar(find(list, "StatefulSet", NAMES.qdrant), "QDRANT__SERVICE__API_KEY").valueFrom.secretKeyRef;
                assert.deepEqual(mcpRef, { name: secret.metadata.name, key: dataKeys[0] });
                assert.deepEqual(qdrantRef, mcpRef);
                assert.equal(qdrantApiKeySecretManifest(cfg, "k2").stringData[NAMES.qdrantApiKeySecretKey], "k2");
            });

            it("every controller and pod carries the Polaris essentials", () => {
                for (const c of list.filter((o) => o.kind === "Deployment" || o.kind === "StatefulSet")) {
                    const where = `${c.kind} ${c.metadata.name}`;
                    assert.equal(c.metadata.labels?.["app.kubernetes.io/instance"], c.metadata.name, `${where}: instance label`);
                    assert.ok(matches(c.spec.selector.matchLabels, c.spec.template.metadata.labels), `${where}: selector matches template`);
                    const pod = c.spec.template.spec;
                    assert.equal(pod.automountServiceAccountToken, false, where);
                    assert.ok(pod.priorityClassName, where);
                    assert.equal(pod.priorityClassName, find(list, "PriorityClass", pod.priorityClassName).metadata.name);
                    assert.ok(pod.topologySpreadConstraints.length >= 1, where);
                    const sa = find(list, "ServiceAccount", pod.serviceAccountName);
                    assert.equal(sa.automountServiceAccountToken, false, `${where}: its ServiceAccount mounts no token`);
                    for (const container of [...(pod.initContainers ?? []), ...pod.containers]) {
                        const w = `${where}/${container.name}`;
                        for (const kind of ["requests", "limits"]) for (const r of ["cpu", "memory"]) assert.ok(container.resources?.[kind]?.[r], `${w}: ${kind}.${r}`);
                        assert.equal(container.imagePullPolicy, "Always", w);
                        assert.match(container.image, /^.+:.+$/, `${w}: pinned tag or digest`);
                        assert.doesNotMatch(container.image, /:latest$/, w);
                        assert.equal(container.securityContext.readOnlyRootFilesystem, true, w);
                    }
                    for (const container of pod.containers) {
                        for (const probe of ["startupProbe", "readinessProbe", "livenessProbe"]) assert.ok(container[probe], `${where}/${container.name}: ${probe}`);
                    }
                }
            });
        });
    }

    describe("MCP server", () => {
        const cfg = configFor("dev");
        const docs = cfg.mcpServers.docs;
        const image = imageOf("docs");

        it("runs as the ServiceAccount the federated credential trusts, annotated with the identity", () => {
            const sa = mcpServiceAccountManifest(cfg, docs, { clientId: clientIdOf("docs"), tenantId: INPUTS.tenantId });
            assert.equal(sa.metadata.name, "docs-mcp");
            assert.equal(`system:serviceaccount:${sa.metadata.namespace}:${sa.metadata.name}`, serviceAccountSubject(cfg.namespace, mcpServerServiceAccount("docs")));
            assert.equal(sa.metadata.annotations[WORKLOAD_IDENTITY_CLIENT_ID_ANNOTATION], clientIdOf("docs"));
            assert.equal(sa.metadata.annotations[WORKLOAD_IDENTITY_TENANT_ID_ANNOTATION], INPUTS.tenantId);
            assert.equal(sa.automountServiceAccountToken, false);
            const template = mcpDeploymentManifest(cfg, docs, image).spec.template;
            assert.equal(template.spec.serviceAccountName, sa.metadata.name);
            assert.equal(template.metadata.labels[WORKLOAD_IDENTITY_USE_LABEL], "true");
        });

        it("the ConfigMap holds the plan's settings plus the wiring values, and no secret", () => {
            const data = mcpConfigMapManifest(cfg, docs).data;
            for (const [k, v] of Object.entries(DEFAULT_MCP_SETTINGS)) assert.equal(data[k], v, k);
            assert.equal(data.MCP_PORT, "3000");
            assert.equal(data.MCP_HOST, "0.0.0.0");
            assert.equal(data.QDRANT_URL, `http://${NAMES.qdrant}.${cfg.namespace}.svc.cluster.local:6333`);
            assert.ok(data.SQLITE_PATH.startsWith(`${MCP_DATA_PATH}/`), "the index lives on the per-replica data volume");
            assert.ok(!("QDRANT_API_KEY" in data));
            assert.deepEqual(data.MCP_API_KEYS.split(","), [...docs.apiKeys], "names only, of this server's own keys, for its secrets_status tool");
            for (const apiKey of cfg.apiKeys) assert.ok(!(apiKey in data), apiKey);
            const overriddenCfg = configFor("dev", docsWith({ settings: { LLM_TEMPERATURE: "0.1", EXTRA: "x" } }));
            const overridden = mcpServerSettings(overriddenCfg, overriddenCfg.mcpServers.docs);
            assert.equal(overridden.LLM_TEMPERATURE, "0.1");
            assert.equal(overridden.EXTRA, "x");
        });

        it("exempts the ConfigMap from Polaris' sensitive-content check only for the known false positive", () => {
            const exemption = "polaris.fairwinds.com/sensitiveConfigmapContent-exempt";
            assert.equal(mcpConfigMapManifest(cfg, docs).metadata.annotations?.[exemption], "true", "LLM_MAX_TOKENS is a count");
            const secretCfg = configFor("dev", docsWith({ settings: { SESSION_SECRET: "x" } }));
            const withSecret = mcpConfigMapManifest(secretCfg, secretCfg.mcpServers.docs);
            assert.equal(withSecret.metadata.annotations?.[exemption], undefined);
        });

        it("the SecretProviderClass reads every API key from the vault with the workload identity", () => {
            const spc = mcpSecretProviderClassManifest(cfg, docs, { clientId: clientIdOf("docs"), tenantId: INPUTS.tenantId, vaultName: INPUTS.vaultName })!;
            assert.equal(spc.apiVersion, "secrets-store.csi.x-k8s.io/v1");
            const p = spc.spec.parameters;
            assert.equal(spc.spec.provider, "azure");
            assert.equal(p.clientID, clientIdOf("docs"));
            assert.equal(p.keyvaultName, INPUTS.vaultName);
            assert.equal(p.tenantId, INPUTS.tenantId);
            assert.equal(p.usePodIdentity, "false");
            const objectsDoc = YAML.parse(p.objects) as { array: string[] };
            const parsed = objectsDoc.array.map((s) => YAML.parse(s));
            assert.deepEqual(parsed, cfg.apiKeys.map((k) => ({ objectName: keyVaultSecretName(k), objectType: "secret", objectAlias: k })));
            const [synced] = spc.spec.secretObjects;
            assert.equal(synced.secretName, DOCS.apiKeysSecret);
            assert.deepEqual(synced.data.map((d) => d.key), [...cfg.apiKeys]);
            assert.deepEqual(synced.data.map((d) => d.objectName), [...cfg.apiKeys], "synced from the aliased file names");
        });

        it("the synced keys follow the server's own apiKeys, not the stack's", () => {
            const one = configFor("dev", docsWith({ apiKeys: ["OPENAI_API_KEY"] }));
            const spc = mcpSecretProviderClassManifest(one, one.mcpServers.docs, { clientId: "c", tenantId: "t", vaultName: "v" })!;
            assert.equal(one.apiKeys.length, 3);
            assert.deepEqual(spc.spec.secretObjects[0].data.map((d) => d.key), ["OPENAI_API_KEY"]);
            assert.equal((YAML.parse(spc.spec.parameters.objects) as { array: string[] }).array.length, 1);
        });

        it("the pods mount the vault volume and load the synced Secret and the settings as env", () => {
            const pod = mcpDeploymentManifest(cfg, docs, image).spec.template.spec;
            const csi = pod.volumes.find((v) => "csi" in v && v.csi)!;
            assert.ok("csi" in csi);
            assert.equal(csi.csi?.driver, "secrets-store.csi.k8s.io");
            assert.equal(csi.csi?.volumeAttributes.secretProviderClass, DOCS.secretProviderClass);
            const c = pod.containers[0];
            assert.ok(c.volumeMounts.some((m) => m.name === csi.name && m.readOnly));
            assert.deepEqual(c.envFrom, [{ configMapRef: { name: DOCS.config } }, { secretRef: { name: DOCS.apiKeysSecret } }]);
            assert.equal(c.image, image);
        });

        it("keeps the SQLite index per replica: an emptyDir sized from config, never a shared claim", () => {
            const sized = configFor("dev", docsWith({ dataVolumeSize: "7Gi" }));
            const pod = mcpDeploymentManifest(sized, sized.mcpServers.docs, image).spec.template.spec;
            assert.ok(pod.volumes.every((v) => !("persistentVolumeClaim" in v)));
            const data = pod.volumes.find((v) => v.name === "data")!;
            assert.ok("emptyDir" in data);
            assert.equal(data.emptyDir?.sizeLimit, "7Gi");
            const mounts = pod.containers[0].volumeMounts.map((m) => m.mountPath);
            assert.ok(mounts.includes(MCP_DATA_PATH) && mounts.includes("/tmp"));
        });

        it("rolls out without losing capacity and drains streams on the way out", () => {
            const spec = mcpDeploymentManifest(cfg, docs, image).spec;
            assert.equal(spec.strategy.rollingUpdate.maxUnavailable, 0);
            const pod = spec.template.spec;
            const c = pod.containers[0];
            // Liveness and startup: the process serves HTTP. Readiness: Qdrant answers with the key (server/).
            assert.deepEqual(c.startupProbe.httpGet, { path: docs.healthPath, port: "http" });
            assert.deepEqual(c.livenessProbe.httpGet, { path: "/health", port: "http" });
            assert.deepEqual(c.readinessProbe.httpGet, { path: "/ready", port: "http" });
            assert.deepEqual(c.ports, [{ name: "http", containerPort: 3000, protocol: "TCP" }]);
            assert.deepEqual(c.lifecycle.preStop, { sleep: { seconds: PRE_STOP_SLEEP_SECONDS } });
            assert.ok(!("exec" in c.lifecycle.preStop), "no shell needed in the image");
            assert.equal(pod.terminationGracePeriodSeconds, TERMINATION_GRACE_SECONDS);
            assert.ok(TERMINATION_GRACE_SECONDS >= PRE_STOP_SLEEP_SECONDS + 60, "time left to drain streams after the pause");
            // The server's own drain bound ends before the kubelet's SIGKILL (grace period after the pause).
            const drainMs = Number(mcpServerSettings(cfg, docs).MCP_SHUTDOWN_TIMEOUT_MS);
            assert.ok(drainMs > 0 && drainMs + 10000 <= (TERMINATION_GRACE_SECONDS - PRE_STOP_SLEEP_SECONDS) * 1000, String(drainMs));
        });

        it("spreads replicas over zones and nodes; the zone spread is a requirement only on zonal clusters", () => {
            const tsc = (c: StackConfig) => mcpDeploymentManifest(c, c.mcpServers.docs, image).spec.template.spec.topologySpreadConstraints;
            const byKey = (c: StackConfig) => Object.fromEntries(tsc(c).map((t) => [t.topologyKey, t.whenUnsatisfiable]));
            assert.deepEqual(byKey(configFor("prod")), { "topology.kubernetes.io/zone": "DoNotSchedule", "kubernetes.io/hostname": "ScheduleAnyway" });
            assert.deepEqual(byKey(cfg), { "topology.kubernetes.io/zone": "ScheduleAnyway", "kubernetes.io/hostname": "ScheduleAnyway" });
            for (const t of tsc(configFor("prod"))) {
                assert.deepEqual(t.labelSelector.matchLabels, { "app.kubernetes.io/name": DOCS.app });
                assert.equal(t.nodeTaintsPolicy, "Honor", "the tainted system pool must not count as an empty domain");
            }
        });

        it("a change of settings changes the pod template, so pods restart with it", () => {
            const a = mcpDeploymentManifest(cfg, docs, image).spec.template.metadata.annotations;
            const changed = configFor("dev", docsWith({ settings: { LLM_TEMPERATURE: "0.9" } }));
            const b = mcpDeploymentManifest(changed, changed.mcpServers.docs, image).spec.template.metadata.annotations;
            assert.notEqual(a["mcp-aks/settings-checksum"], b["mcp-aks/settings-checksum"]);
            const again = configFor("dev");
            assert.equal(a["mcp-aks/settings-checksum"], mcpDeploymentManifest(again, again.mcpServers.docs, image).spec.template.metadata.annotations["mcp-aks/settings-checksum"]);
        });

        it("the Service is ClusterIP on the server's port, selecting exactly its pods", () => {
            const custom = configFor("dev", docsWith({ port: 8080 }));
            const svc = mcpServiceManifest(custom, custom.mcpServers.docs);
            assert.equal(svc.spec.type, "ClusterIP");
            assert.equal(svc.metadata.name, "docs-mcp");
            assert.deepEqual(svc.spec.ports, [{ name: "http", port: 8080, targetPort: "http", protocol: "TCP", appProtocol: "http" }]);
            const pod = mcpDeploymentManifest(custom, custom.mcpServers.docs, image).spec.template.spec;
            assert.deepEqual(pod.containers[0].ports, [{ name: "http", containerPort: 8080, protocol: "TCP" }], "targetPort http is the server's port");
            assert.equal(mcpConfigMapManifest(custom, custom.mcpServers.docs).data.MCP_PORT, "8080");
            assert.ok(!("sessionAffinity" in svc.spec), "the edge routes sessions; ClientIP affinity would pin each edge pod to one replica");
            assert.deepEqual(svc.spec.selector, mcpDeploymentManifest(cfg, docs, image).spec.selector.matchLabels);
        });

        it("every object is named <name>-mcp (or derived from it) and labelled as an MCP server", () => {
            // NetworkPolicies carry only the part-of labels: they are about pods, not part of the server.
            for (const o of objects(cfg).filter((x) => x.metadata.name.startsWith("docs-mcp") && x.kind !== "NetworkPolicy")) {
                assert.equal(o.metadata.labels?.["app.kubernetes.io/name"], "docs-mcp", `${o.kind} ${o.metadata.name}`);
                assert.equal(o.metadata.labels?.["app.kubernetes.io/component"], "mcp-server", `${o.kind} ${o.metadata.name}`);
            }
            const kinds = objects(cfg).filter((o) => o.metadata.name === "docs-mcp").map((o) => o.kind).sort();
            assert.deepEqual(kinds, ["Deployment", "HorizontalPodAutoscaler", "NetworkPolicy", "PodDisruptionBudget", "Service", "ServiceAccount"]);
        });
    });

    describe("two servers", () => {
        const cfg = configFor("dev", {
            [key("mcpServers")]: JSON.stringify({ search: { image: "search-mcp:2.0.0", port: 8080, apiKeys: ["TAVILY_API_KEY"], healthPath: "/healthz" }, tools: { image: "tools-mcp:1.0.0" } }),
        });
        const list = objects(cfg);

        it("each gets its own ServiceAccount, identity annotation, image and ClusterIP Service", () => {
            for (const name of ["docs", "search", "tools"]) {
                const n = mcpNames(name);
                const deployment = find(list, "Deployment", n.app);
                const pod = deployment.spec.template.spec;
                assert.equal(pod.serviceAccountName, n.serviceAccount);
                assert.equal(find(list, "ServiceAccount", n.serviceAccount).metadata.annotations![WORKLOAD_IDENTITY_CLIENT_ID_ANNOTATION], clientIdOf(name));
                assert.equal(pod.containers[0].image, imageOf(name));
                const svc = find(list, "Service", n.app);
                assert.equal(svc.spec.type, "ClusterIP");
                assert.deepEqual(svc.spec.selector, { "app.kubernetes.io/name": n.app });
                assert.equal(svc.spec.ports[0].port, cfg.mcpServers[name].port);
                assert.equal(find(list, "HorizontalPodAutoscaler", n.app).spec.scaleTargetRef.name, n.app);
                assert.deepEqual(find(list, "PodDisruptionBudget", n.app).spec.selector.matchLabels, { "app.kubernetes.io/name": n.app });
            }
        });

        it("each SecretProviderClass holds only its server's keys, with its server's identity", () => {
            const search = find(list, "SecretProviderClass", mcpNames("search").secretProviderClass);
            assert.equal(search.spec.parameters.clientID, clientIdOf("search"));
            assert.deepEqual(YAML.parse(search.spec.parameters.objects).array.map((o: string) => YAML.parse(o).objectAlias), ["TAVILY_API_KEY"]);
            assert.deepEqual(search.spec.secretObjects[0].data.map((d: any) => d.key), ["TAVILY_API_KEY"]);
            const docs = find(list, "SecretProviderClass", DOCS.secretProviderClass);
            assert.equal(docs.spec.parameters.clientID, clientIdOf("docs"));
            assert.equal(YAML.parse(docs.spec.parameters.objects).array.length, 3);
        });

        it("a server without keys mounts no vault volume and gets no SecretProviderClass", () => {
            const tools = mcpNames("tools");
            assert.equal(list.filter((o) => o.kind === "SecretProviderClass" && o.metadata.name === tools.secretProviderClass).length, 0);
            const pod = find(list, "Deployment", tools.app).spec.template.spec;
            assert.ok(pod.volumes.every((v: any) => !v.csi));
            assert.deepEqual(pod.containers[0].envFrom, [{ configMapRef: { name: tools.config } }]);
        });

        it("only a server that uses Qdrant learns its URL and key", () => {
            for (const [name, uses] of [["docs", true], ["search", false], ["tools", false]] as const) {
                const n = mcpNames(name);
                const data = find(list, "ConfigMap", n.config).data;
                assert.equal("QDRANT_URL" in data, uses, name);
                const env = find(list, "Deployment", n.app).spec.template.spec.containers[0].env;
                assert.equal(env.some((e: any) => e.name === "QDRANT_API_KEY"), uses, name);
            }
        });

        it("probes use each server's own health path", () => {
            const c = find(list, "Deployment", mcpNames("search").app).spec.template.spec.containers[0];
            assert.equal(c.livenessProbe.httpGet.path, "/healthz");
            assert.equal(c.readinessProbe.httpGet.path, "/healthz", "without a readyPath, ready when alive");
            assert.equal(find(list, "Deployment", DOCS.app).spec.template.spec.containers[0].readinessProbe.httpGet.path, "/ready");
        });
    });

    describe("Qdrant", () => {
        it("the default image is an -unprivileged release pinned by digest", () => {
            const image = (environmentDefaults("dev").images as Record<string, string>).qdrant;
            assert.match(image, /^docker\.io\/qdrant\/qdrant:v\d+\.\d+\.\d+-unprivileged@sha256:[0-9a-f]{64}$/);
        });

        it("runs one replica with an API key, writable storage, snapshots, init marker and /tmp", () => {
            const cfg = configFor("dev");
            const sts = qdrantStatefulSetManifest(cfg, INPUTS.qdrantImage);
            assert.equal(sts.spec.replicas, 1);
            assert.equal(sts.spec.serviceName, NAMES.qdrantHeadless);
            const c = sts.spec.template.spec.containers[0];
            assert.equal(c.image, INPUTS.qdrantImage);
            assert.ok(c.env.some((e) => e.name === "QDRANT__SERVICE__API_KEY" && "valueFrom" in e));
            assert.equal(c.readinessProbe.httpGet.path, "/readyz");
            assert.equal(c.livenessProbe.httpGet.path, "/livez");
            const mounts = Object.fromEntries(c.volumeMounts.map((m) => [m.mountPath, m.name]));
            for (const path of ["/qdrant/storage", "/qdrant/snapshots", "/qdrant/init", "/tmp"]) assert.ok(mounts[path], path);
            const initEnv = c.env.find((e) => e.name === "QDRANT_INIT_FILE_PATH");
            assert.ok(initEnv && "value" in initEnv && String(initEnv.value).startsWith("/qdrant/init/"));
            assert.deepEqual(sts.spec.persistentVolumeClaimRetentionPolicy, { whenDeleted: "Retain", whenScaled: "Retain" });
        });

        it("claims premium CSI disks from its own StorageClass, sized from config", () => {
            const cfg = configFor("dev", { [key("qdrant")]: JSON.stringify({ storageSize: "20Gi" }) });
            const sc = qdrantStorageClassManifest(cfg, INPUTS.dataResourceGroup);
            assert.equal(sc.provisioner, "disk.csi.azure.com");
            assert.equal(sc.volumeBindingMode, "WaitForFirstConsumer");
            assert.equal(sc.allowVolumeExpansion, true);
            // Outside AKS's MC_ group, which is deleted with the cluster (and every disk in it).
            assert.equal(sc.parameters.resourceGroup, INPUTS.dataResourceGroup);
            for (const claim of qdrantStatefulSetManifest(cfg, INPUTS.qdrantImage).spec.volumeClaimTemplates) {
                assert.equal(claim.spec.storageClassName, sc.metadata.name);
                assert.equal(claim.spec.resources.requests.storage, "20Gi");
                assert.deepEqual(claim.spec.accessModes, ["ReadWriteOnce"]);
            }
        });

        it("is reachable only inside the cluster", () => {
            const list = objects(configFor("prod"));
            const qdrantServices = list.filter((o) => o.kind === "Service" && matches(o.spec.selector, { "app.kubernetes.io/name": NAMES.qdrant }));
            assert.deepEqual(qdrantServices.map((s) => s.metadata.name).sort(), [NAMES.qdrant, NAMES.qdrantHeadless]);
            for (const s of qdrantServices) assert.equal(s.spec.type, "ClusterIP");
            // Clients get REST and gRPC; only the headless Service (peer DNS) carries the p2p port.
            assert.deepEqual(find(list, "Service", NAMES.qdrant).spec.ports.map((p: any) => p.port), [6333, 6334]);
            assert.deepEqual(find(list, "Service", NAMES.qdrantHeadless).spec.ports.map((p: any) => p.port), [6333, 6334, 6335]);
            assert.equal(find(list, "Service", NAMES.qdrantHeadless).spec.clusterIP, "None");
        });
    });

    describe("prod differs from dev where intended", () => {
        const dev = objects(configFor("dev"));
        const prod = objects(configFor("prod"));
        const storageClass = (l: AnyObject[]) => l.find((o) => o.kind === "StorageClass")!;

        it("zone-redundant, retained disks in prod; locally redundant, deleted with their claims in dev", () => {
            assert.equal(storageClass(prod).parameters.skuName, "Premium_ZRS");
            assert.equal(storageClass(prod).reclaimPolicy, "Retain");
            assert.equal(storageClass(dev).parameters.skuName, "Premium_LRS");
            assert.equal(storageClass(dev).reclaimPolicy, "Delete");
            const zonedDev = qdrantStorageClassManifest(configFor("dev", { [key("cluster")]: JSON.stringify({ zones: ["1", "2"], tier: "Standard" }) }), "rg");
            assert.equal(zonedDev.parameters.skuName, "Premium_ZRS", "zonal nodes need a disk that attaches in any zone");
        });

        it("more replicas in prod", () => {
            const hpa = (c: StackConfig) => mcpHorizontalPodAutoscalerManifest(c, c.mcpServers.docs).spec;
            assert.ok(hpa(configFor("prod")).minReplicas >= 2, "prod survives the loss of a replica");
            assert.ok(hpa(configFor("prod")).minReplicas > hpa(configFor("dev")).minReplicas);
        });

        it("and nowhere else in the MCP server's pod security or wiring", () => {
            const strip = (l: AnyObject[]) => find(l, "Deployment", DOCS.app).spec.template.spec.securityContext;
            assert.deepEqual(strip(prod), strip(dev));
            assert.deepEqual(find(prod, "SecretProviderClass", DOCS.secretProviderClass), find(dev, "SecretProviderClass", DOCS.secretProviderClass));
        });
    });
});

function envVar(controller: AnyObject, name: string): any {
    const found = controller.spec.template.spec.containers[0].env.find((e: any) => e.name === name);
    assert.ok(found, `${controller.metadata.name} has env ${name}`);
    return found;
}

function range(from: number, to: number): number[] {
    return Array.from({ length: to - from + 1 }, (_, i) => from + i);
}
