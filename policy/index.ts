/**
 * Entry point of the policy pack: `pulumi preview --policy-pack policy`. The Pulumi CLI runs this file with
 * ts-node from the policy/ directory; the PolicyPack constructor starts the analyzer server, so nothing but
 * the CLI should import this module (tests import ./policies).
 */
import { PolicyPack } from "@pulumi/policy";
import { allPolicies, PACK_NAME } from "./policies";

new PolicyPack(PACK_NAME, {
    description:
        "mcp-aks security baseline: Pod Security restricted workloads, default-deny namespaces, authenticated MCP routes behind one edge, hardened AKS, ACR, Key Vault and least-privilege role assignments.",
    // Security controls block the deployment; a policy is only relaxed per stack through --policy-pack-config,
    // where the exception is written down and reviewed.
    enforcementLevel: "mandatory",
    policies: allPolicies,
});
