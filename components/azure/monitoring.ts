/**
 * Monitoring: a Log Analytics workspace for Container Insights (always) and, where configured, an Azure
 * Monitor workspace for managed Prometheus. The portal and `az aks enable-addons` create the data
 * collection rules behind the scenes; through ARM they must be declared, or the agents run but collect
 * nothing. The workspace exists before the cluster (the add-on names it); the rules attach after it.
 */
import * as pulumi from "@pulumi/pulumi";
import * as operationalinsights from "@pulumi/azure-native/operationalinsights";
import * as monitor from "@pulumi/azure-native/monitor";

export interface LogWorkspaceArgs {
    /** Resource group that holds the workspaces. */
    readonly resourceGroupName: pulumi.Input<string>;
    /** Azure region. */
    readonly location: string;
    /** Log Analytics workspace name. */
    readonly workspaceName: string;
    /** Days of interactive retention (30-730). */
    readonly retentionDays: number;
    /** Daily ingestion cap in GB, or -1 for none. */
    readonly dailyQuotaGb: number;
    /** Also create an Azure Monitor workspace for managed Prometheus metrics. */
    readonly managedPrometheus: boolean;
    /** Tags applied to every monitoring resource. */
    readonly tags: Record<string, string>;
}

export class LogWorkspace extends pulumi.ComponentResource {
    readonly workspaceId: pulumi.Output<string>;
    /** Azure Monitor workspace id, when managed Prometheus is on. */
    readonly prometheusWorkspaceId?: pulumi.Output<string>;

    constructor(name: string, args: LogWorkspaceArgs, opts?: pulumi.ComponentResourceOptions) {
        super("mcp-aks:azure:LogWorkspace", name, {}, opts);
        const workspace = new operationalinsights.Workspace(
            `${name}-log`,
            {
                resourceGroupName: args.resourceGroupName,
                location: args.location,
                workspaceName: args.workspaceName,
                sku: { name: "PerGB2018" },
                retentionInDays: args.retentionDays,
                workspaceCapping: { dailyQuotaGb: args.dailyQuotaGb },
                // Agents authenticate with Entra ID (useAADAuth), so shared workspace keys are not needed.
                features: { disableLocalAuth: true, enableLogAccessUsingOnlyResourcePermissions: true },
                tags: args.tags,
            },
            { parent: this },
        );
        this.workspaceId = workspace.id;
        if (args.managedPrometheus) {
            const amw = new monitor.AzureMonitorWorkspace(
                `${name}-amw`,
                { resourceGroupName: args.resourceGroupName, location: args.location, azureMonitorWorkspaceName: `${args.workspaceName}-prom`, tags: args.tags },
                { parent: this },
            );
            this.prometheusWorkspaceId = amw.id;
        }
        this.registerOutputs({ workspaceId: this.workspaceId, prometheusWorkspaceId: this.prometheusWorkspaceId });
    }
}

export interface ClusterDataCollectionArgs {
    /** Resource group that holds the rules. */
    readonly resourceGroupName: pulumi.Input<string>;
    /** Azure region (the cluster's). */
    readonly location: string;
    /** Base for the rule names. */
    readonly baseName: string;
    /** The AKS cluster the rules attach to. */
    readonly clusterId: pulumi.Input<string>;
    /** Log Analytics workspace for Container Insights. */
    readonly workspaceId: pulumi.Input<string>;
    /** Azure Monitor workspace for Prometheus metrics; omit to skip managed Prometheus. */
    readonly prometheusWorkspaceId?: pulumi.Input<string>;
    /** Tags applied to the rules. */
    readonly tags: Record<string, string>;
}

/** The data collection rules and their associations with the cluster. */
export class ClusterDataCollection extends pulumi.ComponentResource {
    constructor(name: string, args: ClusterDataCollectionArgs, opts?: pulumi.ComponentResourceOptions) {
        super("mcp-aks:azure:ClusterDataCollection", name, {}, opts);
        const insightsRule = new monitor.DataCollectionRule(
            `${name}-ci-dcr`,
            {
                resourceGroupName: args.resourceGroupName,
                location: args.location,
                dataCollectionRuleName: `MSCI-${args.baseName}`,
                kind: "Linux",
                dataSources: {
                    extensions: [
                        {
                            name: "ContainerInsightsExtension",
                            extensionName: "ContainerInsights",
                            streams: ["Microsoft-ContainerInsights-Group-Default"],
                            // ContainerLogV2 is the supported schema; a 1-minute interval is the default.
                            extensionSettings: { dataCollectionSettings: { interval: "1m", namespaceFilteringMode: "Off", enableContainerLogV2: true } },
                        },
                    ],
                },
                destinations: { logAnalytics: [{ name: "ciworkspace", workspaceResourceId: args.workspaceId }] },
                dataFlows: [{ streams: ["Microsoft-ContainerInsights-Group-Default"], destinations: ["ciworkspace"] }],
                tags: args.tags,
            },
            { parent: this },
        );
        new monitor.DataCollectionRuleAssociation(
            `${name}-ci-dcra`,
            // The add-on looks for an association with exactly this name.
            { resourceUri: args.clusterId, associationName: "ContainerInsightsExtension", dataCollectionRuleId: insightsRule.id },
            { parent: this },
        );

        if (args.prometheusWorkspaceId) {
            const endpoint = new monitor.DataCollectionEndpoint(
                `${name}-prom-dce`,
                { resourceGroupName: args.resourceGroupName, location: args.location, dataCollectionEndpointName: `MSProm-${args.baseName}`, kind: "Linux", tags: args.tags },
                { parent: this },
            );
            const promRule = new monitor.DataCollectionRule(
                `${name}-prom-dcr`,
                {
                    resourceGroupName: args.resourceGroupName,
                    location: args.location,
                    dataCollectionRuleName: `MSProm-${args.baseName}`,
                    kind: "Linux",
                    dataCollectionEndpointId: endpoint.id,
                    dataSources: { prometheusForwarder: [{ name: "PrometheusDataSource", streams: ["Microsoft-PrometheusMetrics"] }] },
                    destinations: { monitoringAccounts: [{ name: "MonitoringAccount1", accountResourceId: args.prometheusWorkspaceId }] },
                    dataFlows: [{ streams: ["Microsoft-PrometheusMetrics"], destinations: ["MonitoringAccount1"] }],
                    tags: args.tags,
                },
                { parent: this },
            );
            new monitor.DataCollectionRuleAssociation(
                `${name}-prom-dcra`,
                { resourceUri: args.clusterId, associationName: `MSProm-${args.baseName}`, dataCollectionRuleId: promRule.id },
                { parent: this },
            );
            // The metrics add-on reads its scrape configuration through the endpoint associated under
            // this fixed name.
            new monitor.DataCollectionRuleAssociation(
                `${name}-prom-dcea`,
                { resourceUri: args.clusterId, associationName: "configurationAccessEndpoint", dataCollectionEndpointId: endpoint.id },
                { parent: this },
            );
        }
        this.registerOutputs({});
    }
}
