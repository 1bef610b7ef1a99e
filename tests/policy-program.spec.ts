/**
 * The real program, for each stack, passes every policy of the pack. This is the same check CI runs with
 * `pulumi preview --policy-pack policy`, but offline: the shared harness evaluates the program under mocks
 * and each captured resource goes through the validations as the engine would hand it over.
 *
 * The evaluation is an update, not a preview: under mocks an unknown value is dropped (undefined) rather
 * than marked unknown, and a dropped image or scope would look like a missing one.
 */
import * as assert from "assert";
import { resourcePolicies, stackPolicies } from "../policy/policies";
import { CapturedResource, evaluateStack } from "./harness";
import { key } from "./fixtures";
import { resourceArgs, runResourcePolicy, runStackPolicy, policyResources, stackArgs } from "./policy-helpers";

/** Resources the engine sends to analyzers: custom resources, not providers and not our components. */
function analyzed(resources: CapturedResource[]): CapturedResource[] {
    return resources.filter((r) => r.custom && !r.type.startsWith("pulumi:providers:") && !r.type.startsWith("mcp-aks:"));
}

/** dev and prod as their stack files say, and dev with a second MCP server (own port and key, no Qdrant). */
const VARIANTS = [
    { label: "dev", stack: "dev", overrides: {} },
    { label: "prod", stack: "prod", overrides: {} },
    { label: "dev with two servers", stack: "dev", overrides: { [key("mcpServers")]: JSON.stringify({ search: { image: "search-mcp:2.0.0", port: 8080, apiKeys: ["TAVILY_API_KEY"] } }) } },
] as const;

for (const { label, stack, overrides } of VARIANTS) {
    describe(`policy pack against the program (${label})`, () => {
        let resources: CapturedResource[];

        before(async () => {
            resources = analyzed((await evaluateStack(stack, { overrides })).resources);
        });

        it("declares the resources the policies are about", () => {
            const types = new Set(resources.map((r) => r.type));
            for (const type of [
                "azure-native:containerservice:ManagedCluster",
                "azure-native:containerregistry:Registry",
                "azure-native:keyvault:Vault",
                "azure-native:authorization:RoleAssignment",
                "kubernetes:core/v1:Namespace",
                "kubernetes:apps/v1:Deployment",
                "kubernetes:apps/v1:StatefulSet",
                "kubernetes:networking.k8s.io/v1:NetworkPolicy",
                "kubernetes:autoscaling/v2:HorizontalPodAutoscaler",
                "kubernetes:policy/v1:PodDisruptionBudget",
            ]) {
                assert.ok(types.has(type), `the ${stack} program declares no ${type}, so the policies about it would prove nothing`);
            }
        });

        it("every resource passes every resource policy", async () => {
            const violations: string[] = [];
            for (const resource of resources) {
                for (const policy of resourcePolicies) {
                    const args = resourceArgs(resource.type, resource.inputs ?? {}, { name: resource.name, urn: resource.urn, stack });
                    for (const v of await runResourcePolicy(policy, args)) violations.push(`${policy.name} on ${resource.type} "${resource.name}": ${v.message}`);
                }
            }
            assert.deepStrictEqual(violations, []);
        });

        it("the stack passes every stack policy", async () => {
            const list = policyResources(resources.map((r) => ({ type: r.type, name: r.name, urn: r.urn, props: r.inputs ?? {}, parent: r.parent, dependencies: r.dependencies })), stack);
            const violations: string[] = [];
            for (const policy of stackPolicies) {
                for (const v of await runStackPolicy(policy, stackArgs(list))) violations.push(`${policy.name}: ${v.message} (${v.urn ?? "stack"})`);
            }
            assert.deepStrictEqual(violations, []);
        });
    });
}
