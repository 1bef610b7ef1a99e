/** The harness itself: an unmocked invoke must fail loudly, and the placeholders must be recognisable. */
import { strict as assert } from "assert";
import * as pulumi from "@pulumi/pulumi";
import { CapturedResource, dependencyClosure, Evaluation, evaluateStack, PLACEHOLDER } from "./harness";

describe("mock harness", () => {
    it("throws on an invoke it does not know, instead of answering with nothing", async () => {
        const ev = await evaluateStack("dev");
        // The engine protocol drops the message, so check that the call reached the mock and was refused.
        await assert.rejects(pulumi.runtime.invoke("azure-native:network:getVirtualNetwork", { resourceGroupName: "x" }));
        assert.equal(ev.invokes[ev.invokes.length - 1], "azure-native:network:getVirtualNetwork");
    });

    it("dependencyClosure follows dependencies transitively and into the children of a component", async () => {
        const ev = await evaluateStack("dev");
        const cluster = ev.one("azure-native:containerservice:ManagedCluster").urn;
        // The MCP Deployment reaches the cluster only through its federated credential: a transitive wait.
        const deployment = ev.one("kubernetes:apps/v1:Deployment", "docs-mcp");
        assert.ok(!deployment.dependencies.includes(cluster));
        assert.ok(dependencyClosure(ev, deployment).has(cluster));
        // The resource groups (the stack's and the data group for Qdrant's disks) wait for nothing.
        const groups = ev.ofType("azure-native:resources:ResourceGroup");
        assert.equal(groups.length, 2);
        for (const group of groups) assert.equal(dependencyClosure(ev, group).size, 0, group.name);
        // Waiting for a component is waiting for its children (and what they wait for).
        const r = (urn: string, dependencies: string[] = [], parent?: string) => ({ urn, dependencies, parent }) as unknown as CapturedResource;
        const graph = [r("a", ["component"]), r("component"), r("child", ["leaf"], "component"), r("leaf")];
        assert.deepEqual([...dependencyClosure({ resources: graph } as unknown as Evaluation, graph[0])].sort(), ["child", "component", "leaf"]);
    });

    it("placeholders cannot be mistaken for real values", () => {
        for (const key of ["subscriptionId", "tenantId", "deployerObjectId", "kubeletObjectId", "identityPrincipalId", "identityClientId"] as const) {
            assert.match(PLACEHOLDER[key], /^00000000-0000-0000-0000-/);
        }
        assert.match(PLACEHOLDER.oidcIssuer, /placeholder/);
        assert.match(PLACEHOLDER.loadBalancerIp, /^198\.51\.100\./, "RFC 5737 documentation range");
    });
});
