import * as assert from "assert";
import {
    hpaTargetsOmitReplicas,
    imageReferenceProblem,
    imageRegistryProblem,
    imagesFromAcr,
    imageTagsPinned,
    loadBalancerAllowList,
    namespacesDefaultDeny,
    namespacesEnforceRestricted,
    pdbAllowsDrain,
    podSecurityRestricted,
    readOnlyRootFilesystem,
    resourceRequestsAndLimits,
} from "../policy/policies";
import {
    check,
    checkStack,
    container,
    denyAll,
    deployment,
    hpa,
    namespace,
    pdb,
    podSpec,
    StackResourceSpec,
    TYPES,
    UNKNOWN_VALUE,
    urnOf,
} from "./policy-helpers";

function messages(violations: { message: string }[]): string {
    return violations.map((v) => v.message).join("\n");
}

describe("policy: k8s-pod-security-restricted", () => {
    it("passes a compliant Deployment", async () => {
        assert.deepStrictEqual(await check(podSecurityRestricted, TYPES.deployment, deployment()), []);
    });

    it("reports each missing restricted field of a container, with the fix", async () => {
        const bare = podSpec({ securityContext: {}, containers: [container({ securityContext: {} })] });
        const violations = await check(podSecurityRestricted, TYPES.deployment, deployment(bare));
        assert.strictEqual(violations.length, 1, "one violation per resource, listing every finding");
        const text = violations[0].message;
        assert.match(text, /container "app" allows privilege escalation: set securityContext.allowPrivilegeEscalation: false/);
        assert.match(text, /container "app" may run as root: set runAsNonRoot: true/);
        assert.match(text, /container "app" has no seccomp profile: set securityContext.seccompProfile.type: RuntimeDefault/);
        assert.match(text, /container "app" does not drop all capabilities/);
    });

    it("accepts pod-level runAsNonRoot and seccomp for every container, but not a container opting out", async () => {
        assert.deepStrictEqual(await check(podSecurityRestricted, TYPES.deployment, deployment(podSpec({ containers: [container({ securityContext: { allowPrivilegeEscalation: false, capabilities: { drop: ["ALL"] } } })] }))), []);
        const optOut = podSpec({ containers: [container({ securityContext: { allowPrivilegeEscalation: false, capabilities: { drop: ["ALL"] }, runAsNonRoot: false } })] });
        assert.match(messages(await check(podSecurityRestricted, TYPES.deployment, deployment(optOut))), /may run as root/);
    });

    it("rejects the Qdrant seed's pod without seccompProfile (DESIGN.md pitfall 6)", async () => {
        const seed = podSpec({ securityContext: { runAsNonRoot: true, runAsUser: 1000 } });
        assert.match(messages(await check(podSecurityRestricted, TYPES.statefulSet, deployment(seed))), /no seccomp profile/);
    });

    it("rejects privileged containers, added capabilities, host namespaces, host ports and hostPath volumes", async () => {
        const spec = podSpec({
            hostNetwork: true,
            volumes: [{ name: "docker", hostPath: { path: "/var/run/docker.sock" } }],
            containers: [
                container({
                    ports: [{ containerPort: 80, hostPort: 80 }],
                    securityContext: { privileged: true, allowPrivilegeEscalation: false, runAsNonRoot: true, capabilities: { drop: ["ALL"], add: ["SYS_ADMIN", "NET_BIND_SERVICE"] } },
                }),
            ],
        });
        const text = messages(await check(podSecurityRestricted, TYPES.daemonSet, deployment(spec)));
        assert.match(text, /hostNetwork is true/);
        assert.match(text, /volume "docker" uses hostPath/);
        assert.match(text, /container "app" is privileged/);
        assert.match(text, /adds capability SYS_ADMIN/);
        assert.doesNotMatch(text, /adds capability NET_BIND_SERVICE/);
        assert.match(text, /binds hostPort 80/);
    });

    it("rejects runAsUser 0, Unconfined seccomp, unsafe sysctls and AppArmor unconfined", async () => {
        const spec = podSpec({
            securityContext: { runAsNonRoot: true, runAsUser: 0, seccompProfile: { type: "Unconfined" }, sysctls: [{ name: "kernel.msgmax", value: "1" }] },
        });
        const workload = deployment(spec);
        workload.spec.template.metadata.annotations = { "container.apparmor.security.beta.kubernetes.io/app": "unconfined" };
        const text = messages(await check(podSecurityRestricted, TYPES.deployment, workload));
        assert.match(text, /runAsUser: 0/);
        assert.match(text, /seccompProfile.type: Unconfined/);
        assert.match(text, /sysctl kernel.msgmax/);
        assert.match(text, /AppArmor profile unconfined/);
    });

    it("checks init containers, and finds pod templates in CronJobs and bare Pods", async () => {
        const withInit = podSpec({ initContainers: [container({ name: "fill-index", securityContext: { readOnlyRootFilesystem: true } })] });
        const cronJob = { spec: { schedule: "@daily", jobTemplate: { spec: { template: { spec: withInit } } } } };
        assert.match(messages(await check(podSecurityRestricted, TYPES.cronJob, cronJob)), /initContainer "fill-index" allows privilege escalation/);
        const pod = { metadata: { name: "debug" }, spec: podSpec({ hostPID: true }) };
        assert.match(messages(await check(podSecurityRestricted, TYPES.pod, pod)), /hostPID is true/);
        assert.deepStrictEqual(await check(podSecurityRestricted, TYPES.job, { spec: { template: { spec: podSpec() } } }), []);
    });

    it("does not apply to other kinds", async () => {
        assert.deepStrictEqual(await check(podSecurityRestricted, TYPES.service, { spec: { type: "ClusterIP" } }), []);
    });

    it("survives values that are unknown during preview and still reports what is known", async () => {
        assert.deepStrictEqual(await check(podSecurityRestricted, TYPES.deployment, { metadata: { name: UNKNOWN_VALUE }, spec: UNKNOWN_VALUE }), []);
        const partlyUnknown = podSpec({
            securityContext: UNKNOWN_VALUE,
            containers: [container({ securityContext: { allowPrivilegeEscalation: true, runAsNonRoot: UNKNOWN_VALUE, capabilities: { drop: ["ALL"] } } })],
        });
        const text = messages(await check(podSecurityRestricted, TYPES.deployment, deployment(partlyUnknown)));
        assert.match(text, /allows privilege escalation/);
        assert.doesNotMatch(text, /may run as root|no seccomp profile/);
    });
});

describe("policy: k8s-read-only-root-filesystem", () => {
    it("passes when every container's root filesystem is read-only", async () => {
        assert.deepStrictEqual(await check(readOnlyRootFilesystem, TYPES.deployment, deployment()), []);
    });

    it("reports a writable container or init container, naming it", async () => {
        const spec = podSpec({ initContainers: [container({ name: "init", securityContext: { readOnlyRootFilesystem: false } })] });
        const violations = await check(readOnlyRootFilesystem, TYPES.deployment, deployment(spec));
        assert.strictEqual(violations.length, 1);
        assert.match(violations[0].message, /initContainer "init": set securityContext.readOnlyRootFilesystem: true and mount an emptyDir/);
        assert.doesNotMatch(violations[0].message, /container "app"/);
    });
});

describe("policy: k8s-resource-requests-limits", () => {
    it("passes when requests and limits are set", async () => {
        assert.deepStrictEqual(await check(resourceRequestsAndLimits, TYPES.statefulSet, deployment()), []);
    });

    it("names each missing request and limit", async () => {
        const spec = podSpec({ containers: [container({ resources: { requests: { cpu: "100m" } } })] });
        const violations = await check(resourceRequestsAndLimits, TYPES.deployment, deployment(spec));
        assert.strictEqual(violations.length, 1);
        assert.match(violations[0].message, /lacks resources.requests.memory, resources.limits.cpu, resources.limits.memory/);
    });
});

describe("policy: k8s-image-from-acr", () => {
    it("accepts images in an Azure Container Registry, by tag or digest", () => {
        for (const image of ["myacr.azurecr.io/mcp-server:src-0123", "acrmcpdev1.azurecr.io/qdrant/qdrant:v1.19.2-unprivileged@sha256:0123abcd"]) {
            assert.strictEqual(imageRegistryProblem(image), undefined, image);
        }
    });

    it("rejects public registries, implicit Docker Hub and look-alike hosts", () => {
        for (const image of ["qdrant/qdrant:v1.19.2", "docker.io/curlimages/curl:8.11.1", "ghcr.io/org/app:1", "evil.azurecr.io.example.com/app:1", "azurecr.io/app:1", "myacr.azurecr.io:1"]) {
            assert.match(imageRegistryProblem(image) ?? "", /not pulled from an Azure Container Registry/, image);
        }
    });

    it("passes a workload on ACR and reports each container that is not, with the fix; unknown images are skipped", async () => {
        assert.deepStrictEqual(await check(imagesFromAcr, TYPES.deployment, deployment()), []);
        const violations = await check(imagesFromAcr, TYPES.deployment, deployment(podSpec({ containers: [container({ image: "docker.io/curlimages/curl:8.11.1" })] })));
        assert.strictEqual(violations.length, 1);
        assert.match(violations[0].message, /docker\.io\/curlimages\/curl:8\.11\.1.*import it into the stack's ACR/);
        assert.deepStrictEqual(await check(imagesFromAcr, TYPES.deployment, deployment(podSpec({ containers: [container({ image: UNKNOWN_VALUE })] }))), []);
    });
});

describe("policy: k8s-image-tag-pinned", () => {
    it("accepts version tags, digests and registries with ports", () => {
        for (const image of ["qdrant/qdrant:v1.13.4-unprivileged", "myacr.azurecr.io/mcp-server:1.0.0", "registry:5000/team/app:2.1", "nginx@sha256:0123abcd", "nginx:latest@sha256:0123abcd"]) {
            assert.strictEqual(imageReferenceProblem(image), undefined, image);
        }
    });

    it("rejects latest and untagged images, including a registry port mistaken for a tag", () => {
        assert.match(imageReferenceProblem("qdrant/qdrant:latest") ?? "", /mutable tag latest/);
        assert.match(imageReferenceProblem("qdrant/qdrant:LATEST") ?? "", /mutable tag latest/);
        assert.match(imageReferenceProblem("qdrant/qdrant") ?? "", /no tag/);
        assert.match(imageReferenceProblem("registry:5000/team/app") ?? "", /no tag/);
    });

    it("passes a pinned workload and reports an unpinned one with the fix", async () => {
        assert.deepStrictEqual(await check(imageTagsPinned, TYPES.deployment, deployment()), []);
        const violations = await check(imageTagsPinned, TYPES.deployment, deployment(podSpec({ containers: [container({ image: "mcp-server" })] })));
        assert.strictEqual(violations.length, 1);
        assert.match(violations[0].message, /image "mcp-server" has no tag .*pin a version tag/);
    });

    it("skips an image reference that is unknown during preview", async () => {
        assert.deepStrictEqual(await check(imageTagsPinned, TYPES.deployment, deployment(podSpec({ containers: [container({ image: UNKNOWN_VALUE })] }))), []);
    });
});

describe("policy: k8s-loadbalancer-allowlist", () => {
    const lb = (name: string | undefined, namespaceName = "mcp") => ({ metadata: { ...(name ? { name } : {}), namespace: namespaceName }, spec: { type: "LoadBalancer", ports: [{ port: 80 }] } });

    it("allows the mcp-server LoadBalancer by default, and ClusterIP services", async () => {
        assert.deepStrictEqual(await check(loadBalancerAllowList, TYPES.service, lb("mcp-server")), []);
        assert.deepStrictEqual(await check(loadBalancerAllowList, TYPES.service, { metadata: { name: "qdrant" }, spec: { type: "ClusterIP" } }), []);
    });

    it("rejects any other LoadBalancer with the way to fix or allow it", async () => {
        const violations = await check(loadBalancerAllowList, TYPES.service, lb("qdrant"));
        assert.strictEqual(violations.length, 1);
        assert.match(violations[0].message, /Service "qdrant" is of type LoadBalancer but is not on the allow-list \(mcp-server\).*ClusterIP.*allowedServices/s);
    });

    it("uses the logical name for autonamed services and honours the configured allow-list", async () => {
        assert.deepStrictEqual(await check(loadBalancerAllowList, TYPES.service, lb(undefined), { name: "mcp-server" }), []);
        assert.strictEqual((await check(loadBalancerAllowList, TYPES.service, lb("mcp-server"), { config: { allowedServices: ["other"] } })).length, 1);
        assert.deepStrictEqual(await check(loadBalancerAllowList, TYPES.service, lb("grafana", "monitoring"), { config: { allowedServices: ["monitoring/grafana"] } }), []);
    });
});

/** A compliant namespace with its workload, deny-all policy and HPA; tests add or replace pieces. */
function compliantStack(): StackResourceSpec[] {
    return [
        { type: TYPES.namespace, name: "ns", props: namespace() },
        { type: TYPES.networkPolicy, name: "deny", props: denyAll() },
        { type: TYPES.deployment, name: "mcp-server", props: deployment() },
        { type: TYPES.hpa, name: "mcp-server", props: hpa("mcp-server", 2) },
        { type: TYPES.pdb, name: "mcp-server", props: pdb({ maxUnavailable: 1 }) },
    ];
}

describe("policy: k8s-namespace-enforces-restricted", () => {
    it("passes when the workload namespace enforces restricted", async () => {
        assert.deepStrictEqual(await checkStack(namespacesEnforceRestricted, compliantStack()), []);
    });

    it("reports a namespace whose enforce label is missing or weaker, on the namespace's URN", async () => {
        const stack = compliantStack();
        stack[0] = { type: TYPES.namespace, name: "ns", props: namespace("mcp", { "pod-security.kubernetes.io/enforce": "baseline" }) };
        const violations = await checkStack(namespacesEnforceRestricted, stack);
        assert.strictEqual(violations.length, 1);
        assert.match(violations[0].message, /Namespace "mcp" .* is "baseline": set it to "restricted"/);
        assert.strictEqual(violations[0].urn, urnOf(TYPES.namespace, "ns"));
    });

    it("reports workloads in a namespace the stack does not manage (default included)", async () => {
        const violations = await checkStack(namespacesEnforceRestricted, [{ type: TYPES.deployment, name: "app", props: { metadata: { name: "app" }, spec: { template: { spec: podSpec() } } } }]);
        assert.strictEqual(violations.length, 1);
        assert.match(violations[0].message, /namespace "default", which this stack does not manage/);
    });

    it("waits when a namespace name is unknown during preview", async () => {
        const stack = compliantStack();
        stack[0] = { type: TYPES.namespace, name: "ns", props: { metadata: { name: UNKNOWN_VALUE } } };
        assert.deepStrictEqual(await checkStack(namespacesEnforceRestricted, stack), []);
    });
});

describe("policy: k8s-namespace-default-deny", () => {
    it("passes with one policy denying both directions, or one per direction", async () => {
        assert.deepStrictEqual(await checkStack(namespacesDefaultDeny, compliantStack()), []);
        const split = compliantStack().filter((r) => r.type !== TYPES.networkPolicy);
        split.push({ type: TYPES.networkPolicy, name: "deny-in", props: { metadata: { namespace: "mcp" }, spec: { podSelector: {} } } });
        split.push({ type: TYPES.networkPolicy, name: "deny-out", props: { metadata: { namespace: "mcp" }, spec: { podSelector: {}, policyTypes: ["Egress"] } } });
        assert.deepStrictEqual(await checkStack(namespacesDefaultDeny, split), []);
    });

    it("reports a namespace with ingress deny only (no policyTypes means Ingress only)", async () => {
        const stack = compliantStack().filter((r) => r.type !== TYPES.networkPolicy);
        stack.push({ type: TYPES.networkPolicy, name: "deny-in", props: { metadata: { namespace: "mcp" }, spec: { podSelector: {} } } });
        const violations = await checkStack(namespacesDefaultDeny, stack);
        assert.strictEqual(violations.length, 1);
        assert.match(violations[0].message, /Namespace "mcp" runs workloads without a default-deny NetworkPolicy for egress/);
        assert.match(violations[0].message, /podSelector: \{\}, policyTypes: \[Ingress, Egress\]/);
    });

    it("does not count allow policies, selective policies or policies in other namespaces", async () => {
        const stack = compliantStack().filter((r) => r.type !== TYPES.networkPolicy);
        stack.push({ type: TYPES.networkPolicy, name: "allow-all-in", props: { metadata: { namespace: "mcp" }, spec: { podSelector: {}, policyTypes: ["Ingress", "Egress"], ingress: [{}] } } });
        stack.push({ type: TYPES.networkPolicy, name: "only-qdrant", props: { metadata: { namespace: "mcp" }, spec: { podSelector: { matchLabels: { app: "qdrant" } }, policyTypes: ["Ingress", "Egress"] } } });
        stack.push({ type: TYPES.networkPolicy, name: "elsewhere", props: denyAll("other") });
        const violations = await checkStack(namespacesDefaultDeny, stack);
        assert.strictEqual(violations.length, 1);
        assert.match(violations[0].message, /for ingress/);
    });
});

describe("policy: k8s-hpa-target-omits-replicas", () => {
    it("passes when the HPA's target leaves replicas unset", async () => {
        assert.deepStrictEqual(await checkStack(hpaTargetsOmitReplicas, compliantStack()), []);
    });

    it("reports a Deployment with replicas that an HPA scales, and ignores one without an HPA", async () => {
        const stack = compliantStack();
        stack[2] = { type: TYPES.deployment, name: "mcp-server", props: deployment(podSpec(), { replicas: 2 }) };
        stack.push({ type: TYPES.deployment, name: "fixed", props: deployment(podSpec(), { name: "fixed", replicas: 3 }) });
        const violations = await checkStack(hpaTargetsOmitReplicas, stack);
        assert.strictEqual(violations.length, 1);
        assert.match(violations[0].message, /Deployment "mcp-server" declares spec.replicas .* Remove spec.replicas/);
        assert.strictEqual(violations[0].urn, urnOf(TYPES.deployment, "mcp-server"));
    });
});

describe("policy: k8s-pdb-allows-drain", () => {
    const qdrant = (replicas: unknown, budget: Record<string, unknown>): StackResourceSpec[] => [
        { type: TYPES.statefulSet, name: "qdrant", props: deployment(podSpec(), { name: "qdrant", replicas, labels: { app: "qdrant" } }) },
        { type: TYPES.pdb, name: "qdrant", props: pdb(budget, { app: "qdrant" }) },
    ];

    it("passes maxUnavailable 1, and minAvailable below the HPA floor", async () => {
        assert.deepStrictEqual(await checkStack(pdbAllowsDrain, compliantStack()), []);
        const stack = compliantStack();
        stack[4] = { type: TYPES.pdb, name: "mcp-server", props: pdb({ minAvailable: 1 }) };
        assert.deepStrictEqual(await checkStack(pdbAllowsDrain, stack), []);
    });

    it("reports maxUnavailable 0 in any spelling", async () => {
        for (const value of [0, "0%"]) {
            const violations = await checkStack(pdbAllowsDrain, qdrant(3, { maxUnavailable: value }));
            assert.strictEqual(violations.length, 1, String(value));
            assert.match(violations[0].message, /no pod may ever be evicted.*maxUnavailable: 1/s);
        }
    });

    it("reports the single Qdrant with minAvailable 1 (DESIGN.md pitfall 4), also when replicas is left at its default", async () => {
        for (const replicas of [1, undefined]) {
            const violations = await checkStack(pdbAllowsDrain, qdrant(replicas, { minAvailable: 1 }));
            assert.strictEqual(violations.length, 1);
            assert.match(violations[0].message, /requires 1 available pod\(s\) .* only 1 at the floor/);
        }
    });

    it("compares minAvailable with the HPA's minReplicas, not the Deployment, and rounds percentages up", async () => {
        const stack = compliantStack();
        stack[4] = { type: TYPES.pdb, name: "mcp-server", props: pdb({ minAvailable: 2 }) };
        assert.strictEqual((await checkStack(pdbAllowsDrain, stack)).length, 1);
        assert.strictEqual((await checkStack(pdbAllowsDrain, qdrant(1, { minAvailable: "50%" }))).length, 1);
        assert.deepStrictEqual(await checkStack(pdbAllowsDrain, qdrant(3, { minAvailable: "50%" })), []);
    });

    it("waits when the replica count is unknown during preview", async () => {
        assert.deepStrictEqual(await checkStack(pdbAllowsDrain, qdrant(UNKNOWN_VALUE, { minAvailable: 1 })), []);
    });
});
