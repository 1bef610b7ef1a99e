/**
 * The Azure resource providers a stack needs registered on its subscription. A truly empty subscription
 * has only a few registered, and the first create of a type whose provider is not fails with
 * MissingSubscriptionRegistration. `npm run preflight` checks these and prints the exact
 * `az provider register` commands.
 *
 * The stack does not register them itself: azure-native 3.28 has no resource for a provider registration
 * (features.SubscriptionFeatureRegistration registers preview features, not providers), and registering is
 * a one-time, subscription-wide act that needs `*\/register/action` on the subscription, which belongs to
 * whoever owns the subscription rather than to each deployment.
 */
export interface ResourceProvider {
    /** The namespace as `az provider register --namespace` takes it. */
    readonly namespace: string;
    /** What the stack creates through it. */
    readonly why: string;
}

export const REQUIRED_PROVIDERS: readonly ResourceProvider[] = [
    { namespace: "Microsoft.ContainerService", why: "the AKS cluster" },
    { namespace: "Microsoft.Compute", why: "the node pools' scale sets and disks, Qdrant's disks" },
    { namespace: "Microsoft.Network", why: "the cluster's load balancers, public IPs and virtual network" },
    { namespace: "Microsoft.ContainerRegistry", why: "ACR, its image builds (ACR Tasks) and imports" },
    { namespace: "Microsoft.KeyVault", why: "the vault holding the API keys" },
    { namespace: "Microsoft.ManagedIdentity", why: "the MCP workload identity and its federated credential" },
    { namespace: "Microsoft.OperationalInsights", why: "the Log Analytics workspace" },
    { namespace: "Microsoft.Insights", why: "data collection rules, diagnostic settings, action groups and metric alerts" },
    { namespace: "Microsoft.Monitor", why: "the Azure Monitor workspace for managed Prometheus" },
    { namespace: "Microsoft.AlertsManagement", why: "Prometheus rule groups and alert processing" },
    { namespace: "Microsoft.PolicyInsights", why: "the Azure Policy add-on's compliance results" },
    { namespace: "Microsoft.Storage", why: "the Qdrant backup storage account" },
    { namespace: "Microsoft.Consumption", why: "the stack's budget" },
];

/** Registered in every subscription from its creation: never checked. */
export const ALWAYS_REGISTERED = ["Microsoft.Resources", "Microsoft.Authorization"] as const;

/** The command that registers one provider; `--wait` returns once it is Registered (a minute or two). */
export function registerCommand(namespace: string): string {
    return `az provider register --namespace ${namespace} --wait`;
}
