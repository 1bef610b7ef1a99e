/**
 * The post-deploy smoke test that `pulumi up` waits for: its NetworkPolicy, its script and the Job that runs
 * it against every target and every edge route once they are rolled out. The Kubernetes provider awaits a Job until it reports
 * Complete and fails the update as soon as it reports Failed, so a broken server fails the deployment.
 */
import * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";
import type { StackConfig } from "../config";
import { EdgeSmokeTarget, SmokeTarget, smokeTestConfigMapManifest, smokeTestJobManifest, smokeTestPolicyManifest } from "./specs/smoke-test";

export interface SmokeTestArgs {
    /** The validated stack config (namespace, the server's settings). */
    readonly config: StackConfig;
    /** Pinned image with sh and curl that runs the script (the stack's ACR copy of `images.curl`). */
    readonly image: pulumi.Input<string>;
    /** Each MCP server's image under test, by server name: part of the Job's name, so a new image runs the test again. */
    readonly serverImages: Readonly<Record<string, pulumi.Input<string>>>;
    /** The MCP endpoints to test. */
    readonly targets: readonly SmokeTarget[];
    /** The edge's routes, each of which must answer a call without a token with the 401 challenge. */
    readonly edge: EdgeSmokeTarget;
    /** What the edge runs (image, rendered gateway config): part of the Job's name, so a new edge is tested again. */
    readonly edgeRevision: { readonly image: pulumi.Input<string>; readonly config: pulumi.Input<string> };
    /** What the test waits for: the namespace and its policies, every target's rollout and Service, and the edge's. */
    readonly dependsOn: pulumi.Input<pulumi.Resource>[];
}

export class SmokeTest extends pulumi.ComponentResource {
    /** The Job's name (`mcp-smoke-test-<hash>`), for `kubectl logs job/<name>`. */
    readonly jobName: pulumi.Output<string>;

    constructor(name: string, args: SmokeTestArgs, opts?: pulumi.ComponentResourceOptions) {
        super("mcp-aks:cluster:SmokeTest", name, {}, opts);
        const cfg = args.config;
        const policy = new k8s.networking.v1.NetworkPolicy(`${name}-network-policy`, smokeTestPolicyManifest(cfg, args.targets, args.edge), { parent: this, dependsOn: args.dependsOn });
        const script = new k8s.core.v1.ConfigMap(`${name}-script`, smokeTestConfigMapManifest(cfg), { parent: this, dependsOn: args.dependsOn });
        const manifest = pulumi
            .all([args.image, pulumi.all(args.serverImages), args.edgeRevision.image, args.edgeRevision.config])
            .apply(([image, serverImages, edgeImage, edgeConfig]) =>
                smokeTestJobManifest(cfg, { image, serverImages, targets: args.targets, edge: args.edge, edgeRevision: { image: edgeImage, config: edgeConfig } }),
            );
        const job = new k8s.batch.v1.Job(
            `${name}-job`,
            { metadata: manifest.apply((m) => m.metadata), spec: manifest.apply((m) => m.spec) },
            {
                parent: this,
                dependsOn: [...args.dependsOn, policy, script],
                // The Job's own deadline (activeDeadlineSeconds) ends it first; this only bounds the wait.
                customTimeouts: { create: "10m", update: "10m" },
            },
        );
        this.jobName = job.metadata.name;
        this.registerOutputs({ jobName: this.jobName });
    }
}
