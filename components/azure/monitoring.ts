/**
 * Monitoring: a Log Analytics workspace for Container Insights (always) and, where configured, an Azure
 * Monitor workspace for managed Prometheus. The portal and `az aks enable-addons` create the data
 * collection rules behind the scenes; through ARM they must be declared, or the agents run but collect
 * nothing. The workspace exists before the cluster (the add-on names it); the rules attach after it.
 */
import * as pulumi from "@pulumi/pulumi";
import * as operationalinsights from "@pulumi/azure-native/operationalinsights";
import * as monitor from "@pulumi/azure-native/monitor";

/**
 * Tables moved to the Basic plan (about a fifth of the Analytics price per GB): the high-volume, rarely
 * queried ones. ContainerLogV2 holds container stdout; AKSAuditAdmin and AKSControlPlane hold the
 * kube-audit-admin and guard categories (resource-specific mode). No alert reads them, which Basic tables
 * cannot serve.
 */
export const BASIC_PLAN_TABLES = ["ContainerLogV2", "AKSAuditAdmin", "AKSControlPlane"] as const;

/**
 * The cluster's diagnostic categories: the audit trail always (kube-audit-admin: every change, without the
 * get/list/watch reads of kube-audit; guard: Entra ID and Azure RBAC decisions), and, when ingestion is
 * not capped, the control plane's platform logs too. Pure.
 */
export function clusterLogCategories(capped: boolean): string[] {
    const audit = ["kube-audit-admin", "guard"];
    return capped ? audit : [...audit, "kube-apiserver", "kube-controller-manager", "kube-scheduler", "cluster-autoscaler"];
}

/**
 * Container Insights collection settings. A capped workspace stops ingesting for the rest of the day once
 * the cap is reached, which would silence the alerts too; collecting every 5 minutes instead of every
 * minute and leaving out kube-system keeps a one-node dev cluster well under it. Pure.
 */
export function insightsCollectionSettings(capped: boolean) {
    return capped
        ? { interval: "5m", namespaceFilteringMode: "Exclude", namespaces: ["kube-system"], enableContainerLogV2: true }
        : { interval: "1m", namespaceFilteringMode: "Off", enableContainerLogV2: true };
}

export interface DiagnosticsArgs {
    /** The resource whose logs are sent. */
    readonly resourceUri: pulumi.Input<string>;
    /** The Log Analytics workspace that receives them. */
    readonly workspaceId: pulumi.Input<string>;
    /** Log categories to enable. */
    readonly categories: readonly string[];
    /** Also send the platform metrics (AllMetrics). */
    readonly metrics: boolean;
    /** Resource-specific tables (AKSAuditAdmin, ...) instead of the shared AzureDiagnostics table. */
    readonly dedicated: boolean;
}

/** One diagnostic setting that sends a resource's logs to the stack's workspace. */
export function diagnosticSetting(name: string, args: DiagnosticsArgs, opts: pulumi.CustomResourceOptions): monitor.DiagnosticSetting {
    return new monitor.DiagnosticSetting(
        name,
        {
            name: "to-stack-workspace",
            resourceUri: args.resourceUri,
            workspaceId: args.workspaceId,
            logAnalyticsDestinationType: args.dedicated ? "Dedicated" : undefined,
            logs: args.categories.map((category) => ({ category, enabled: true })),
            metrics: args.metrics ? [{ category: "AllMetrics", enabled: true }] : undefined,
        },
        opts,
    );
}

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
        for (const table of BASIC_PLAN_TABLES) {
            new operationalinsights.Table(
                `${name}-${table.toLowerCase()}`,
                // Basic tables keep 30 days interactive; the rest of the workspace's retention is long-term.
                { resourceGroupName: args.resourceGroupName, workspaceName: args.workspaceName, tableName: table, plan: "Basic", totalRetentionInDays: args.retentionDays },
                // Azure-defined tables cannot be deleted, only reset: destroy forgets them and deletes the workspace.
                { parent: this, dependsOn: [workspace], retainOnDelete: true },
            );
        }
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
    /** The workspace has a daily ingestion cap: collect less (insightsCollectionSettings). */
    readonly capped: boolean;
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
                            // ContainerLogV2 is the supported schema.
                            extensionSettings: { dataCollectionSettings: insightsCollectionSettings(args.capped) },
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
