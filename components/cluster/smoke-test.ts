/**
 * The post-deploy smoke test that `pulumi up` waits for: its NetworkPolicy, its script and the Job that runs
 * it against every target once they are rolled out. The Kubernetes provider awaits a Job until it reports
 * Complete and fails the update as soon as it reports Failed, so a broken server fails the deployment.
 */
import * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";
import type { StackConfig } from "../config";
import { SmokeTarget, smokeTestConfigMapManifest, smokeTestJobManifest, smokeTestPolicyManifest } from "./specs/smoke-test";

export interface SmokeTestArgs {
    /** The validated stack config (namespace, the server's settings). */
    readonly config: StackConfig;
    /** Pinned image with sh and curl that runs the script (the stack's ACR copy of `images.curl`). */
    readonly image: pulumi.Input<string>;
    /** Each MCP server's image under test, by server name: part of the Job's name, so a new image runs the test again. */
    readonly serverImages: Readonly<Record<string, pulumi.Input<string>>>;
    /** The MCP endpoints to test. */
    readonly targets: readonly SmokeTarget[];
    /** What the test waits for: the namespace and its policies, and every target's rollout and Service. */
    readonly dependsOn: pulumi.Input<pulumi.Resource>[];
}

export class SmokeTest extends pulumi.ComponentResource {
    /** The Job's name (`mcp-smoke-test-<hash>`), for `kubectl logs job/<name>`. */
    readonly jobName: pulumi.Output<string>;

    constructor(name: string, args: SmokeTestArgs, opts?: pulumi.ComponentResourceOptions) {
        super("mcp-aks:cluster:SmokeTest", name, {}, opts);
        const cfg = args.config;
        const policy = new k8s.networking.v1.NetworkPolicy(`${name}-network-policy`, smokeTestPolicyManifest(cfg, args.targets), { parent: this, dependsOn: args.dependsOn });
        const script = new k8s.core.v1.ConfigMap(`${name}-script`, smokeTestConfigMapManifest(cfg), { parent: this, dependsOn: args.dependsOn });
        const manifest = pulumi
            .all([args.image, pulumi.all(args.serverImages)])
            .apply(([image, serverImages]) => smokeTestJobManifest(cfg, { image, serverImages, targets: args.targets }));
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
