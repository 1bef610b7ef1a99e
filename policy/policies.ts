/**
 * The whole security baseline as plain policy objects. Kept apart from index.ts because constructing a
 * PolicyPack starts the analyzer's gRPC server: tests and tools import this module instead.
 */
import { Policies, ResourceValidationPolicy, StackValidationPolicy } from "@pulumi/policy";
import { azurePolicies } from "./azure";
import { kubernetesResourcePolicies, kubernetesStackPolicies } from "./kubernetes";
import { mcpResourcePolicies } from "./mcp";

export const PACK_NAME = "mcp-aks-baseline";

export const resourcePolicies: ResourceValidationPolicy[] = [...kubernetesResourcePolicies, ...mcpResourcePolicies, ...azurePolicies];

export const stackPolicies: StackValidationPolicy[] = [...kubernetesStackPolicies];

export const allPolicies: Policies = [...resourcePolicies, ...stackPolicies];

export * from "./azure";
export * from "./kubernetes";
export * from "./mcp";
