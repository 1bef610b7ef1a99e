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
import { MCP_SERVER_SERVICE_ACCOUNT, WORKLOAD_IDENTITY_CLIENT_ID_ANNOTATION, WORKLOAD_IDENTITY_TENANT_ID_ANNOTATION, WORKLOAD_IDENTITY_USE_LABEL, serviceAccountSubject } from "../components/workload-identity";
import { NAMES, workloadManifests } from "../components/cluster/specs";
import {
    AZURE_LB_ANNOTATIONS,
    MCP_DATA_PATH,
    PRE_STOP_SLEEP_SECONDS,
    TERMINATION_GRACE_SECONDS,
    endpointUrlFromStatus,
    mcpConfigMapManifest,
    mcpDeploymentManifest,
    mcpHorizontalPodAutoscalerManifest,
    mcpSecretProviderClassManifest,
    mcpServerSettings,
    mcpServiceAccountManifest,
    mcpServiceManifest,
} from "../components/cluster/specs/mcp-server";
import { qdrantApiKeySecretManifest, qdrantStatefulSetManifest, qdrantStorageClassManifest } from "../components/cluster/specs/qdrant";
import { configFor, key, WORKLOAD_INPUTS as INPUTS } from "./fixtures";
import { manifestProblems } from "./k8s-schema";
import { disruptionsAllowed } from "./scheduling";


type AnyObject = { apiVersion: string; kind: string; metadata: { name: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string> }; [k: string]: any };

function objects(cfg: StackConfig): AnyObject[] {
    return workloadManifests(cfg, INPUTS) as unknown as AnyObject[];
}

function find(list: AnyObject[], kind: string, name: string): AnyObject {
    const found = list.filter((o) => o.kind === kind && o.metadata.name === name);
    assert.equal(found.length, 1, `exactly one ${kind} ${name}`);
    return found[0];
}

function matches(selector: Record<string, string>, labels: Record<string, string> | undefined): boolean {
    return Object.entries(selector).every(([k, v]) => labels?.[k] === v);
}

const WITH_INIT = { [key("mcpServer")]: JSON.stringify({ indexInitCommand: ["node", "fill.js"] }) };

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
                const broken = structuredClone(find(list, "Deployment", NAMES.mcp));
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
                const deployment = find(list, "Deployment", NAMES.mcp);
                assert.ok(!("replicas" in deployment.spec), "replicas must be left to the HPA");
                const hpa = find(list, "HorizontalPodAutoscaler", NAMES.mcp);
                assert.deepEqual(hpa.spec.scaleTargetRef, { apiVersion: deployment.apiVersion, kind: deployment.kind, name: deployment.metadata.name });
                assert.equal(hpa.spec.minReplicas, cfg.mcpServer.minReplicas);
                assert.equal(hpa.spec.maxReplicas, cfg.mcpServer.maxReplicas);
                const metrics = hpa.spec.metrics.map((m: any) => [m.resource.name, m.resource.target.averageUtilization]);
                assert.deepEqual(metrics, [["cpu", cfg.mcpServer.targetCpuUtilization], ["memory", cfg.mcpServer.targetMemoryUtilization]]);
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
                    const counts = target.kind === "StatefulSet" ? [target.spec.replicas] : range(cfg.mcpServer.minReplicas, cfg.mcpServer.maxReplicas);
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
                const mcpRef = envVar(find(list, "Deployment", NAMES.mcp), "QDRANT_API_KEY").valueFrom.secretKeyRef;
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

        it("runs as the ServiceAccount the federated credential trusts, annotated with the identity", () => {
            const sa = mcpServiceAccountManifest(cfg, { clientId: INPUTS.identityClientId, tenantId: INPUTS.tenantId });
            assert.equal(sa.metadata.name, MCP_SERVER_SERVICE_ACCOUNT);
            assert.equal(`system:serviceaccount:${sa.metadata.namespace}:${sa.metadata.name}`, serviceAccountSubject(cfg.namespace, MCP_SERVER_SERVICE_ACCOUNT));
            assert.equal(sa.metadata.annotations[WORKLOAD_IDENTITY_CLIENT_ID_ANNOTATION], INPUTS.identityClientId);
            assert.equal(sa.metadata.annotations[WORKLOAD_IDENTITY_TENANT_ID_ANNOTATION], INPUTS.tenantId);
            assert.equal(sa.automountServiceAccountToken, false);
            const template = mcpDeploymentManifest(cfg, INPUTS.image).spec.template;
            assert.equal(template.spec.serviceAccountName, sa.metadata.name);
            assert.equal(template.metadata.labels[WORKLOAD_IDENTITY_USE_LABEL], "true");
        });

        it("the ConfigMap holds the plan's settings plus the wiring values, and no secret", () => {
            const data = mcpConfigMapManifest(cfg).data;
            for (const [k, v] of Object.entries(DEFAULT_MCP_SETTINGS)) assert.equal(data[k], v, k);
            assert.equal(data.MCP_PORT, "3000");
            assert.equal(data.MCP_HOST, "0.0.0.0");
            assert.equal(data.QDRANT_URL, `http://${NAMES.qdrant}.${cfg.namespace}.svc.cluster.local:6333`);
            assert.ok(data.SQLITE_PATH.startsWith(`${MCP_DATA_PATH}/`), "the index lives on the per-replica data volume");
            assert.ok(!("QDRANT_API_KEY" in data));
            assert.deepEqual(data.MCP_API_KEYS.split(","), [...cfg.apiKeys], "names only, for the server's secrets_status tool");
            for (const apiKey of cfg.apiKeys) assert.ok(!(apiKey in data), apiKey);
            const overridden = mcpServerSettings(configFor("dev", { [key("mcpServer")]: JSON.stringify({ settings: { LLM_TEMPERATURE: "0.1", EXTRA: "x" } }) }));
            assert.equal(overridden.LLM_TEMPERATURE, "0.1");
            assert.equal(overridden.EXTRA, "x");
        });

        it("exempts the ConfigMap from Polaris' sensitive-content check only for the known false positive", () => {
            const exemption = "polaris.fairwinds.com/sensitiveConfigmapContent-exempt";
            assert.equal(mcpConfigMapManifest(cfg).metadata.annotations?.[exemption], "true", "LLM_MAX_TOKENS is a count");
            const withSecret = mcpConfigMapManifest(configFor("dev", { [key("mcpServer")]: JSON.stringify({ settings: { SESSION_SECRET: "x" } }) }));
            assert.equal(withSecret.metadata.annotations?.[exemption], undefined);
        });

        it("the SecretProviderClass reads every API key from the vault with the workload identity", () => {
            const spc = mcpSecretProviderClassManifest(cfg, { clientId: INPUTS.identityClientId, tenantId: INPUTS.tenantId, vaultName: INPUTS.vaultName });
            assert.equal(spc.apiVersion, "secrets-store.csi.x-k8s.io/v1");
            const p = spc.spec.parameters;
            assert.equal(spc.spec.provider, "azure");
            assert.equal(p.clientID, INPUTS.identityClientId);
            assert.equal(p.keyvaultName, INPUTS.vaultName);
            assert.equal(p.tenantId, INPUTS.tenantId);
            assert.equal(p.usePodIdentity, "false");
            const objectsDoc = YAML.parse(p.objects) as { array: string[] };
            const parsed = objectsDoc.array.map((s) => YAML.parse(s));
            assert.deepEqual(parsed, cfg.apiKeys.map((k) => ({ objectName: keyVaultSecretName(k), objectType: "secret", objectAlias: k })));
            const [synced] = spc.spec.secretObjects;
            assert.equal(synced.secretName, NAMES.mcpApiKeysSecret);
            assert.deepEqual(synced.data.map((d) => d.key), [...cfg.apiKeys]);
            assert.deepEqual(synced.data.map((d) => d.objectName), [...cfg.apiKeys], "synced from the aliased file names");
        });

        it("the synced keys follow apiKeys", () => {
            const one = configFor("dev", { [key("apiKeys")]: JSON.stringify(["OPENAI_API_KEY"]) });
            const spc = mcpSecretProviderClassManifest(one, { clientId: "c", tenantId: "t", vaultName: "v" });
            assert.deepEqual(spc.spec.secretObjects[0].data.map((d) => d.key), ["OPENAI_API_KEY"]);
            assert.equal((YAML.parse(spc.spec.parameters.objects) as { array: string[] }).array.length, 1);
        });

        it("the pods mount the vault volume and load the synced Secret and the settings as env", () => {
            const pod = mcpDeploymentManifest(cfg, INPUTS.image).spec.template.spec;
            const csi = pod.volumes.find((v) => "csi" in v && v.csi)!;
            assert.ok("csi" in csi);
            assert.equal(csi.csi?.driver, "secrets-store.csi.k8s.io");
            assert.equal(csi.csi?.volumeAttributes.secretProviderClass, NAMES.mcpSecretProviderClass);
            const c = pod.containers[0];
            assert.ok(c.volumeMounts.some((m) => m.name === csi.name && m.readOnly));
            assert.deepEqual(c.envFrom, [{ configMapRef: { name: NAMES.mcpConfig } }, { secretRef: { name: NAMES.mcpApiKeysSecret } }]);
            assert.equal(c.image, INPUTS.image);
        });

        it("keeps the SQLite index per replica: an emptyDir sized from config, never a shared claim", () => {
            const sized = configFor("dev", { [key("mcpServer")]: JSON.stringify({ dataVolumeSize: "7Gi" }) });
            const pod = mcpDeploymentManifest(sized, INPUTS.image).spec.template.spec;
            assert.ok(pod.volumes.every((v) => !("persistentVolumeClaim" in v)));
            const data = pod.volumes.find((v) => v.name === "data")!;
            assert.ok("emptyDir" in data);
            assert.equal(data.emptyDir?.sizeLimit, "7Gi");
            const mounts = pod.containers[0].volumeMounts.map((m) => m.mountPath);
            assert.ok(mounts.includes(MCP_DATA_PATH) && mounts.includes("/tmp"));
        });

        it("rolls out without losing capacity and drains streams on the way out", () => {
            const spec = mcpDeploymentManifest(cfg, INPUTS.image).spec;
            assert.equal(spec.strategy.rollingUpdate.maxUnavailable, 0);
            const pod = spec.template.spec;
            const c = pod.containers[0];
            // Liveness and startup: the process serves HTTP. Readiness: Qdrant answers with the key (server/).
            assert.deepEqual(c.startupProbe.httpGet, { path: "/health", port: "http" });
            assert.deepEqual(c.livenessProbe.httpGet, { path: "/health", port: "http" });
            assert.deepEqual(c.readinessProbe.httpGet, { path: "/ready", port: "http" });
            assert.deepEqual(c.ports, [{ name: "http", containerPort: 3000, protocol: "TCP" }]);
            assert.deepEqual(c.lifecycle.preStop, { sleep: { seconds: PRE_STOP_SLEEP_SECONDS } });
            assert.ok(!("exec" in c.lifecycle.preStop), "no shell needed in the image");
            assert.equal(pod.terminationGracePeriodSeconds, TERMINATION_GRACE_SECONDS);
            assert.ok(TERMINATION_GRACE_SECONDS >= PRE_STOP_SLEEP_SECONDS + 60, "time left to drain streams after the pause");
            // The server's own drain bound ends before the kubelet's SIGKILL (grace period after the pause).
            const drainMs = Number(mcpServerSettings(cfg).MCP_SHUTDOWN_TIMEOUT_MS);
            assert.ok(drainMs > 0 && drainMs + 10000 <= (TERMINATION_GRACE_SECONDS - PRE_STOP_SLEEP_SECONDS) * 1000, String(drainMs));
        });

        it("spreads replicas over zones and nodes; the zone spread is a requirement only on zonal clusters", () => {
            const tsc = (c: StackConfig) => mcpDeploymentManifest(c, INPUTS.image).spec.template.spec.topologySpreadConstraints;
            const byKey = (c: StackConfig) => Object.fromEntries(tsc(c).map((t) => [t.topologyKey, t.whenUnsatisfiable]));
            assert.deepEqual(byKey(configFor("prod")), { "topology.kubernetes.io/zone": "DoNotSchedule", "kubernetes.io/hostname": "ScheduleAnyway" });
            assert.deepEqual(byKey(cfg), { "topology.kubernetes.io/zone": "ScheduleAnyway", "kubernetes.io/hostname": "ScheduleAnyway" });
            for (const t of tsc(configFor("prod"))) {
                assert.deepEqual(t.labelSelector.matchLabels, { "app.kubernetes.io/name": NAMES.mcp });
                assert.equal(t.nodeTaintsPolicy, "Honor", "the tainted system pool must not count as an empty domain");
            }
        });

        it("a change of settings changes the pod template, so pods restart with it", () => {
            const a = mcpDeploymentManifest(cfg, INPUTS.image).spec.template.metadata.annotations;
            const b = mcpDeploymentManifest(configFor("dev", { [key("mcpServer")]: JSON.stringify({ settings: { LLM_TEMPERATURE: "0.9" } }) }), INPUTS.image).spec.template.metadata.annotations;
            assert.notEqual(a["mcp-aks/settings-checksum"], b["mcp-aks/settings-checksum"]);
            assert.equal(a["mcp-aks/settings-checksum"], mcpDeploymentManifest(configFor("dev"), INPUTS.image).spec.template.metadata.annotations["mcp-aks/settings-checksum"]);
        });

        it("the LoadBalancer Service keeps MCP sessions on one replica and SSE streams open", () => {
            const svc = mcpServiceManifest(configFor("dev", { [key("endpoint")]: JSON.stringify({ idleTimeoutMinutes: 20, sourceRanges: ["198.51.100.0/24"] }) }));
            assert.equal(svc.spec.type, "LoadBalancer");
            assert.deepEqual(svc.spec.ports, [{ name: "http", port: 80, targetPort: "http", protocol: "TCP" }]);
            assert.equal(svc.metadata.annotations[AZURE_LB_ANNOTATIONS.healthProbePath], "/health");
            assert.equal(svc.metadata.annotations[AZURE_LB_ANNOTATIONS.idleTimeout], "20");
            assert.equal(svc.spec.sessionAffinity, "ClientIP");
            assert.ok(svc.spec.sessionAffinityConfig.clientIP.timeoutSeconds >= 3600);
            assert.equal(svc.spec.externalTrafficPolicy, "Local");
            assert.deepEqual(svc.spec.loadBalancerSourceRanges, ["198.51.100.0/24"]);
            assert.ok(!("loadBalancerSourceRanges" in mcpServiceManifest(cfg).spec), "no ranges: the field is omitted");
            assert.deepEqual(svc.spec.selector, mcpDeploymentManifest(cfg, INPUTS.image).spec.selector.matchLabels);
        });

        it("reads the endpoint from the Service status: ip, else hostname, else empty", () => {
            assert.equal(endpointUrlFromStatus({ loadBalancer: { ingress: [{ ip: "198.51.100.10" }] } }), "http://198.51.100.10/mcp");
            assert.equal(endpointUrlFromStatus({ loadBalancer: { ingress: [{ hostname: "mcp.example.com" }] } }), "http://mcp.example.com/mcp");
            assert.equal(endpointUrlFromStatus({ loadBalancer: {} }), "");
            assert.equal(endpointUrlFromStatus(undefined), "");
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

        it("an internal load balancer in prod, a public one in dev", () => {
            const internal = (l: AnyObject[]) => find(l, "Service", NAMES.mcp).metadata.annotations?.[AZURE_LB_ANNOTATIONS.internal];
            assert.equal(internal(prod), "true");
            assert.equal(internal(dev), undefined);
        });

        it("more replicas in prod", () => {
            const hpa = (c: StackConfig) => mcpHorizontalPodAutoscalerManifest(c).spec;
            assert.ok(hpa(configFor("prod")).minReplicas >= 2, "prod survives the loss of a replica");
            assert.ok(hpa(configFor("prod")).minReplicas > hpa(configFor("dev")).minReplicas);
        });

        it("and nowhere else in the MCP server's pod security or wiring", () => {
            const strip = (l: AnyObject[]) => find(l, "Deployment", NAMES.mcp).spec.template.spec.securityContext;
            assert.deepEqual(strip(prod), strip(dev));
            assert.deepEqual(find(prod, "SecretProviderClass", NAMES.mcpSecretProviderClass), find(dev, "SecretProviderClass", NAMES.mcpSecretProviderClass));
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
