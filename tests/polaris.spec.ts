/**
 * A Fairwinds Polaris audit of the workloads layer's manifests, offline, for dev and prod: no danger
 * finding at all, and warnings only where the allow-list below says why.
 */
import { strict as assert } from "assert";
import { workloadManifests } from "../components/cluster/specs";
import { configFor, WORKLOAD_INPUTS as INPUTS } from "./fixtures";
import { Manifest, SKIPPED, formatResult, loadChecks, polarisAudit } from "./polaris";


/**
 * Warning findings accepted by design, as `check object`. Anything else failing fails the test.
 */
const ALLOWED_WARNINGS: Record<"dev" | "prod", readonly string[]> = {
    dev: [
        // The HPA owns the replica count, so the Deployment leaves spec.replicas unset: a fixed value would
        // reset the scale on every `pulumi up`. The HPA's minReplicas is the real floor.
        "deploymentMissingReplicas Deployment/mcp-server",
        // Dev runs one MCP server replica at minimum to save cost; prod's minReplicas is 2.
        "hpaMinAvailability HorizontalPodAutoscaler/mcp-server",
        // The backup job serves nothing, so its NetworkPolicy selects it for ingress with no rule at all
        // (everything denied); Polaris wants a non-empty ingress list, which could only open a door.
        "missingNetworkPolicy CronJob/qdrant-backup",
    ],
    prod: [
        // As in dev: the HPA (minReplicas 2) owns the replica count.
        "deploymentMissingReplicas Deployment/mcp-server",
        // As in dev: the backup job serves nothing, so its policy has no ingress rule at all (deny).
        "missingNetworkPolicy CronJob/qdrant-backup",
    ],
};

function manifests(env: "dev" | "prod"): Manifest[] {
    return workloadManifests(configFor(env), INPUTS) as unknown as Manifest[];
}

function clone<T>(v: T): T {
    return JSON.parse(JSON.stringify(v));
}

function failures(ms: Manifest[]) {
    return polarisAudit(ms).filter((r) => !r.passed);
}

describe("Polaris audit", () => {
    it("loads every check file and evaluates or explicitly skips each one", () => {
        const checks = loadChecks();
        assert.equal(checks.length, 44);
        for (const id of Object.keys(SKIPPED)) assert.ok(checks.some((c) => c.id === id), id);
        // The checks that apply to the workloads all produce results (none silently drops out).
        const audited = new Set(polarisAudit(manifests("prod")).map((r) => r.check));
        for (const c of checks.filter((c) => ["Controller", "PodSpec", "PodTemplate", "Container"].includes(c.target))) {
            assert.ok(audited.has(c.id), `${c.id} produced no result`);
        }
        for (const id of ["hpaMaxAvailability", "hpaMinAvailability", "pdbDisruptionsIsZero", "sensitiveConfigmapContent"]) assert.ok(audited.has(id), id);
    });

    for (const env of ["dev", "prod"] as const) {
        describe(env, () => {
            const results = polarisAudit(manifests(env));

            it("audits both workloads and every container", () => {
                const objects = new Set(results.map((r) => r.object));
                for (const o of ["Deployment/mcp-server", "StatefulSet/qdrant", "HorizontalPodAutoscaler/mcp-server", "PodDisruptionBudget/mcp-server", "ConfigMap/mcp-server-config"]) {
                    assert.ok(objects.has(o), o);
                }
                const containers = new Set(results.filter((r) => r.container).map((r) => `${r.object}[${r.container}]`));
                assert.deepEqual([...containers].sort(), ["CronJob/qdrant-backup[backup]", "Deployment/mcp-server[mcp-server]", "StatefulSet/qdrant[qdrant]"]);
            });

            it("passes every danger check", () => {
                const failed = results.filter((r) => r.severity === "danger" && !r.passed);
                assert.deepEqual(failed.map(formatResult), []);
            });

            it("passes every warning check except the commented allow-list", () => {
                const failed = results.filter((r) => r.severity === "warning" && !r.passed).map((r) => `${r.check} ${r.object}`);
                assert.deepEqual(failed.sort(), [...ALLOWED_WARNINGS[env]].sort());
            });

            it("uses exemption annotations only where the check is a false positive", () => {
                // The ConfigMap's key LLM_MAX_TOKENS matches the `(?i)token` pattern, but it holds a token
                // count, not a credential. Without the annotation, that key is the only finding.
                const exempt = results.filter((r) => r.exempt).map((r) => `${r.check} ${r.object}`);
                assert.deepEqual(exempt, ["sensitiveConfigmapContent ConfigMap/mcp-server-config"]);
                const ms = clone(manifests(env));
                const cm = ms.find((m) => m.kind === "ConfigMap" && m.metadata.name === "mcp-server-config")!;
                delete cm.metadata.annotations!["polaris.fairwinds.com/sensitiveConfigmapContent-exempt"];
                const found = failures(ms).filter((r) => r.check === "sensitiveConfigmapContent");
                assert.equal(found.length, 1);
                // ajv does not name the offending key; removing LLM_MAX_TOKENS alone clears the finding.
                delete cm.data.LLM_MAX_TOKENS;
                assert.deepEqual(failures(ms).filter((r) => r.check === "sensitiveConfigmapContent"), []);
            });
        });
    }

    describe("can fail", () => {
        it("flags a privileged container with a writable root filesystem", () => {
            const ms = clone(manifests("prod"));
            const container = ms.find((m) => m.kind === "Deployment")!.spec.template.spec.containers[0];
            container.securityContext.privileged = true;
            container.securityContext.readOnlyRootFilesystem = false;
            container.securityContext.allowPrivilegeEscalation = true;
            const failed = failures(ms).map((r) => `${r.severity} ${r.check} ${r.object}[${r.container}]`);
            for (const f of [
                "danger runAsPrivileged Deployment/mcp-server[mcp-server]",
                "danger privilegeEscalationAllowed Deployment/mcp-server[mcp-server]",
                "warning notReadOnlyRootFilesystem Deployment/mcp-server[mcp-server]",
            ]) {
                assert.ok(failed.includes(f), `${f} not in ${failed.join(", ")}`);
            }
        });

        it("flags a container without a security context, resources or probes, and a latest tag", () => {
            const ms = clone(manifests("prod"));
            const c = ms.find((m) => m.kind === "StatefulSet")!.spec.template.spec.containers[0];
            for (const k of ["securityContext", "resources", "readinessProbe", "livenessProbe"]) delete c[k];
            c.image = "qdrant/qdrant:latest";
            c.securityContext = { capabilities: { add: ["SYS_ADMIN"] } };
            const failed = new Set(failures(ms).filter((r) => r.object === "StatefulSet/qdrant").map((r) => r.check));
            for (const id of ["tagNotSpecified", "dangerousCapabilities", "insecureCapabilities", "cpuLimitsMissing", "memoryRequestsMissing", "readinessProbeMissing", "livenessProbeMissing"]) {
                assert.ok(failed.has(id), id);
            }
            // The pod-level runAsNonRoot and seccomp profile still cover runAsRootAllowed and linuxHardening.
            assert.ok(!failed.has("runAsRootAllowed"));
            assert.ok(!failed.has("linuxHardening"));
            delete ms.find((m) => m.kind === "StatefulSet")!.spec.template.spec.securityContext;
            const again = new Set(failures(ms).map((r) => r.check));
            assert.ok(again.has("runAsRootAllowed") && again.has("linuxHardening"));
        });

        it("flags missing NetworkPolicy and PodDisruptionBudget, and a PDB blocking evictions", () => {
            const ms = clone(manifests("prod")).filter((m) => m.kind !== "NetworkPolicy" && m.kind !== "PodDisruptionBudget");
            const failed = new Set(failures(ms).map((r) => `${r.check} ${r.object}`));
            assert.ok(failed.has("missingNetworkPolicy Deployment/mcp-server"));
            assert.ok(failed.has("missingNetworkPolicy StatefulSet/qdrant"));
            assert.ok(failed.has("missingPodDisruptionBudget Deployment/mcp-server"));

            const withPdb = clone(manifests("prod"));
            const pdb = withPdb.find((m) => m.kind === "PodDisruptionBudget" && m.metadata.name === "mcp-server")!;
            delete pdb.spec.maxUnavailable;
            pdb.spec.minAvailable = 3;
            const pdbFailed = new Set(failures(withPdb).map((r) => r.check));
            assert.ok(pdbFailed.has("pdbMinAvailableGreaterThanHPAMinReplicas"));
            pdb.spec.minAvailable = "100%";
            assert.ok(failures(withPdb).some((r) => r.check === "pdbDisruptionsIsZero"));
        });

        it("fails a skipped check loudly if an object it targets appears", () => {
            const rb: Manifest = {
                apiVersion: "rbac.authorization.k8s.io/v1",
                kind: "RoleBinding",
                metadata: { name: "x", namespace: "mcp-server" },
                roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "Role", name: "x" },
                subjects: [],
            };
            const failed = failures([...manifests("prod"), rb]).map((r) => r.check);
            assert.ok(failed.includes("rolebindingRolePodExecAttach"));
        });

        it("honors the exemption annotations", () => {
            const ms = clone(manifests("prod"));
            const dep = ms.find((m) => m.kind === "Deployment")!;
            dep.spec.template.spec.hostNetwork = true;
            assert.ok(failures(ms).some((r) => r.check === "hostNetworkSet"));
            dep.metadata.annotations = { "polaris.fairwinds.com/hostNetworkSet-exempt": "true" };
            assert.ok(!failures(ms).some((r) => r.check === "hostNetworkSet"));
            dep.metadata.annotations = { "polaris.fairwinds.com/exempt": "true" };
            assert.deepEqual(failures(ms).filter((r) => r.object === "Deployment/mcp-server"), []);
        });
    });
});
