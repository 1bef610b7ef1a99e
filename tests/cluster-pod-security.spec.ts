/**
 * Pod Security Standards "restricted" for every pod template of the workloads layer, and tests of the
 * checker itself: each rule must reject a pod that breaks it.
 */
import { strict as assert } from "assert";
import { workloadManifests } from "../components/cluster/specs";
import { mcpServerPodSpec } from "../components/cluster/specs/mcp-server";
import { namespaceManifest } from "../components/cluster/specs/namespace";
import { qdrantPodSpec } from "../components/cluster/specs/qdrant";
import { restoreJobManifest } from "../components/cluster/specs/qdrant-backup";
import { configFor, key, WORKLOAD_INPUTS as INPUTS } from "./fixtures";
import { PodSpecLike, PodTemplateLike, baselineViolations, restrictedViolations } from "./pod-security";

const WITH_INIT = { [key("mcpServer")]: JSON.stringify({ indexInitCommand: ["node", "scripts/fill-index.js"] }) };

/** Every pod template the layer declares, for each environment, with and without the index init container. */
function podTemplates(): Array<{ label: string; template: PodTemplateLike }> {
    const out: Array<{ label: string; template: PodTemplateLike }> = [];
    for (const env of ["dev", "prod"] as const) {
        for (const [variant, raw] of [["", {}], [" with index init", WITH_INIT]] as const) {
            for (const obj of workloadManifests(configFor(env, raw), INPUTS)) {
                if (obj.kind === "Deployment" || obj.kind === "StatefulSet") {
                    out.push({ label: `${env} ${obj.kind} ${obj.metadata.name}${variant}`, template: obj.spec.template as PodTemplateLike });
                }
                if (obj.kind === "CronJob") out.push({ label: `${env} CronJob ${obj.metadata.name}${variant}`, template: obj.spec.jobTemplate.spec.template as PodTemplateLike });
            }
        }
        // Not declared by the stack: rendered on demand by `npm run restore`, into the same namespace.
        const restore = restoreJobManifest(configFor(env), INPUTS.backupImage, "20261121T191703Z");
        out.push({ label: `${env} Job ${restore.metadata.name}`, template: restore.spec.template as PodTemplateLike });
    }
    return out;
}

/** A pod that meets restricted, as a base for the checker's negative tests. */
function compliantPod(): PodTemplateLike {
    return structuredClone({ spec: qdrantPodSpec(configFor("dev"), INPUTS.qdrantImage) }) as PodTemplateLike;
}

/** The seed's Qdrant pod (seeds/000), security fields verbatim: it lacks a seccomp profile. */
function seedQdrantPod(): PodTemplateLike {
    return {
        spec: {
            securityContext: { runAsNonRoot: true, runAsUser: 1000 },
            containers: [
                {
                    name: "qdrant",
                    ports: [{ containerPort: 6333 }, { containerPort: 6334 }],
                    securityContext: { allowPrivilegeEscalation: false, capabilities: { drop: ["ALL"] } },
                },
            ],
            volumes: [{ name: "tmp", emptyDir: {} }],
        },
    };
}

describe("cluster: Pod Security Standards", () => {
    it("the namespace enforces, audits and warns on restricted", () => {
        const labels = namespaceManifest(configFor("dev")).metadata.labels as Record<string, string>;
        for (const mode of ["enforce", "audit", "warn"]) assert.equal(labels[`pod-security.kubernetes.io/${mode}`], "restricted", mode);
    });

    it("covers every workload and the restore Job in both environments, with and without the init container", () => {
        const labels = podTemplates().map((p) => p.label);
        assert.equal(labels.length, 14);
        assert.ok(labels.some((l) => l.includes("prod CronJob qdrant-backup")));
        assert.ok(labels.some((l) => l.includes("prod Job qdrant-restore-")));
        assert.ok(labels.some((l) => l.includes("Deployment mcp-server with index init")));
        assert.ok(labels.some((l) => l.includes("prod StatefulSet qdrant")));
    });

    for (const { label, template } of podTemplates()) {
        it(`${label} passes the full restricted profile`, () => {
            assert.deepEqual(restrictedViolations(template), []);
        });
    }

    it("the init container runs with the same image and security context as the server", () => {
        const spec = mcpServerPodSpec(configFor("dev", WITH_INIT), INPUTS.image);
        assert.ok(spec.initContainers, "init container expected when indexInitCommand is set");
        const [init] = spec.initContainers;
        assert.deepEqual(init.command, ["node", "scripts/fill-index.js"]);
        assert.equal(init.image, INPUTS.image);
        assert.deepEqual(init.securityContext, spec.containers[0].securityContext);
        assert.deepEqual(init.resources, spec.containers[0].resources);
        assert.equal(mcpServerPodSpec(configFor("dev"), INPUTS.image).initContainers, undefined);
    });

    describe("the checker", () => {
        it("rejects the seed's Qdrant pod for its missing seccomp profile, and for nothing else", () => {
            assert.deepEqual(restrictedViolations(seedQdrantPod()), ["container qdrant: seccompProfile.type must be RuntimeDefault or Localhost (in the container or the pod)"]);
            assert.deepEqual(baselineViolations(seedQdrantPod()), [], "baseline does not require seccomp");
        });

        it("accepts the seed's Qdrant pod once the pod sets RuntimeDefault", () => {
            const pod = seedQdrantPod();
            pod.spec.securityContext = { ...pod.spec.securityContext, seccompProfile: { type: "RuntimeDefault" } };
            assert.deepEqual(restrictedViolations(pod), []);
        });

        const addVolume = (pod: PodTemplateLike, volume: { name: string } & Record<string, unknown>) => {
            pod.spec.volumes = [...(pod.spec.volumes ?? []), volume];
        };
        const c = (pod: PodTemplateLike) => pod.spec.containers[0] as { securityContext: Record<string, unknown> } & PodSpecLike["containers"][number];
        const cases: Array<[string, (pod: PodTemplateLike) => void, RegExp]> = [
            ["hostNetwork", (p) => void (p.spec.hostNetwork = true), /hostNetwork/],
            ["hostPID", (p) => void (p.spec.hostPID = true), /hostPID/],
            ["hostIPC", (p) => void (p.spec.hostIPC = true), /hostIPC/],
            ["a privileged container", (p) => void (c(p).securityContext.privileged = true), /privileged/],
            ["an added SYS_ADMIN capability", (p) => void (c(p).securityContext.capabilities = { drop: ["ALL"], add: ["SYS_ADMIN"] }), /SYS_ADMIN may not be added/],
            ["an added CHOWN capability (baseline allows it, restricted not)", (p) => void (c(p).securityContext.capabilities = { drop: ["ALL"], add: ["CHOWN"] }), /only NET_BIND_SERVICE/],
            ["capabilities that do not drop ALL", (p) => void (c(p).securityContext.capabilities = { drop: ["NET_RAW"] }), /must drop ALL/],
            ["a hostPath volume", (p) => addVolume(p, { name: "host", hostPath: { path: "/" } }), /hostPath volumes are forbidden/],
            ["an azureDisk volume", (p) => addVolume(p, { name: "disk", azureDisk: { diskName: "d" } }), /volume type azureDisk/],
            ["a hostPort", (p) => void (c(p).ports = [{ containerPort: 6333, hostPort: 6333 }]), /hostPort/],
            ["an unconfined AppArmor annotation", (p) => void (p.metadata = { annotations: { "container.apparmor.security.beta.kubernetes.io/qdrant": "unconfined" } }), /AppArmor/],
            ["an Unconfined AppArmor profile", (p) => void (c(p).securityContext.appArmorProfile = { type: "Unconfined" }), /appArmorProfile/],
            ["a custom SELinux type", (p) => void (c(p).securityContext.seLinuxOptions = { type: "spc_t" }), /seLinuxOptions.type/],
            ["an SELinux user", (p) => void (p.spec.securityContext = { ...p.spec.securityContext, seLinuxOptions: { user: "system_u" } }), /seLinuxOptions.user/],
            ["an unmasked /proc", (p) => void (c(p).securityContext.procMount = "Unmasked"), /procMount/],
            ["a container seccomp of Unconfined over a RuntimeDefault pod", (p) => void (c(p).securityContext.seccompProfile = { type: "Unconfined" }), /seccompProfile/],
            ["an unsafe sysctl", (p) => void (p.spec.securityContext = { ...p.spec.securityContext, sysctls: [{ name: "kernel.msgmax", value: "1" }] }), /sysctl kernel.msgmax/],
            ["a container with runAsNonRoot false", (p) => void (c(p).securityContext.runAsNonRoot = false), /runAsNonRoot must be true/],
            ["runAsUser 0", (p) => void (c(p).securityContext.runAsUser = 0), /runAsUser must not be 0/],
            ["a pod with runAsUser 0", (p) => void (p.spec.securityContext = { ...p.spec.securityContext, runAsUser: 0 }), /pod runAsUser must not be 0/],
            ["no allowPrivilegeEscalation", (p) => void delete c(p).securityContext.allowPrivilegeEscalation, /allowPrivilegeEscalation/],
            ["a Windows host process", (p) => void (c(p).securityContext.windowsOptions = { hostProcess: true }), /hostProcess/],
            ["an init container without a security context", (p) => void (p.spec.initContainers = [{ name: "init" }]), /initContainer init: allowPrivilegeEscalation/],
            ["an ephemeral debug container without a security context", (p) => void (p.spec.ephemeralContainers = [{ name: "debug" }]), /ephemeralContainer debug: capabilities must drop ALL/],
        ];
        for (const [what, mutate, expected] of cases) {
            it(`rejects ${what}`, () => {
                const pod = compliantPod();
                assert.deepEqual(restrictedViolations(pod), [], "the base pod must be compliant");
                mutate(pod);
                const violations = restrictedViolations(pod);
                assert.ok(violations.some((v) => expected.test(v)), `expected ${expected} in ${JSON.stringify(violations)}`);
            });
        }

        it("requires runAsNonRoot somewhere: neither pod nor container setting it fails", () => {
            const pod = compliantPod();
            delete (pod.spec.securityContext as Record<string, unknown>).runAsNonRoot;
            delete c(pod).securityContext.runAsNonRoot;
            assert.ok(restrictedViolations(pod).some((v) => /runAsNonRoot must be true/.test(v)));
        });
    });
});
