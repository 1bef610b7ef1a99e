/**
 * Operating signals: an action group whose receivers come from config, the platform alerts that go to it
 * (each says what to do first), and a monthly budget with actual and forecast notifications. The rule
 * definitions are pure (alertRules, budgetNotifications) so that every threshold and query is tested
 * without mocks; the component only declares them against the resources they watch.
 */
import * as pulumi from "@pulumi/pulumi";
import * as monitor from "@pulumi/azure-native/monitor";
import * as consumption from "@pulumi/azure-native/consumption";
import type { StackConfig } from "../config";

/** What an alert watches: the cluster's or the vault's platform metrics, or the Log Analytics workspace. */
export type AlertTarget = "cluster" | "vault" | "workspace";

interface AlertBase {
    /** Short id, part of the rule name. */
    readonly id: string;
    readonly target: AlertTarget;
    /** 0 critical ... 4 verbose. */
    readonly severity: 0 | 1 | 2 | 3 | 4;
    /** What fired and what to do first: the operator reads this in the notification. */
    readonly description: string;
}

export interface MetricAlertRule extends AlertBase {
    readonly kind: "metric";
    readonly metricNamespace: string;
    readonly metricName: string;
    readonly aggregation: "Average" | "Maximum" | "Minimum" | "Total";
    readonly operator: "GreaterThan" | "LessThan";
    readonly threshold: number;
}

export interface LogAlertRule extends AlertBase {
    readonly kind: "log";
    /** KQL over Container Insights tables; one result row is one firing. */
    readonly query: string;
}

export type AlertRule = MetricAlertRule | LogAlertRule;

const CLUSTER_METRICS = "Microsoft.ContainerService/managedClusters";
const VAULT_METRICS = "Microsoft.KeyVault/vaults";

function kqlString(value: string): string {
    return `"${value.replace(/\\/g, "\\\\").replace(/"/g, '\\"')}"`;
}

/** The platform alerts for a workload namespace. Pure. */
export function alertRules(namespace: string): AlertRule[] {
    const ns = kqlString(namespace);
    return [
        {
            kind: "metric",
            id: "node-cpu",
            target: "cluster",
            severity: 2,
            metricNamespace: CLUSTER_METRICS,
            metricName: "node_cpu_usage_percentage",
            aggregation: "Average",
            operator: "GreaterThan",
            threshold: 85,
            description:
                "Node CPU above 85% for 15 minutes. First: `kubectl top nodes` and `kubectl top pods -A --sort-by=cpu` to find the consumer; if the autoscaler is at maxCount, raise cluster.userPool.maxCount (or systemPool) and `pulumi up`.",
        },
        {
            kind: "metric",
            id: "node-memory",
            target: "cluster",
            severity: 2,
            metricNamespace: CLUSTER_METRICS,
            metricName: "node_memory_working_set_percentage",
            aggregation: "Average",
            operator: "GreaterThan",
            threshold: 85,
            description:
                "Node memory working set above 85% for 15 minutes: evictions and OOM kills follow. First: `kubectl top pods -A --sort-by=memory`, compare with the pods' memory limits; scale the pool (maxCount) or lower the heavy workload's limits.",
        },
        {
            kind: "log",
            id: "pods-not-ready",
            target: "workspace",
            severity: 2,
            query: [
                "KubePodInventory",
                `| where Namespace == ${ns}`,
                "| summarize arg_max(TimeGenerated, PodStatus, ContainerStatus, ContainerStatusReason) by Name, ContainerName",
                // A completed Job pod (the smoke test) is Succeeded with terminated containers: not a failure.
                '| where PodStatus != "Succeeded"',
                '| where PodStatus != "Running" or ContainerStatus != "running"',
            ].join("\n"),
            description: `A pod in namespace ${namespace} is not running and ready (its latest Container Insights record). First: \`kubectl -n ${namespace} describe pod <name>\` and read its Events (image pull, secret mount, probe or scheduling failure).`,
        },
        {
            kind: "log",
            id: "restarts-oom",
            target: "workspace",
            severity: 2,
            query: [
                "KubePodInventory",
                `| where Namespace == ${ns}`,
                // An OOM kill restarts the container, so restarts alone fire; the last status says whether it was one
                // (it keeps saying so until the next termination, so it cannot fire on its own).
                "| summarize restarts = max(ContainerRestartCount) - min(ContainerRestartCount), arg_max(TimeGenerated, ContainerLastStatus) by Name, ContainerName",
                "| where restarts > 0",
                '| extend oomKilled = ContainerLastStatus has "OOMKilled"',
            ].join("\n"),
            description: `A container in namespace ${namespace} restarted or was OOM-killed in the last 15 minutes. First: \`kubectl -n ${namespace} logs <pod> -c <container> --previous\`; for OOMKilled raise its memory limit (mcpServer.resources or qdrant.resources), otherwise fix the crash the log shows.`,
        },
        {
            kind: "log",
            id: "secret-sync",
            target: "workspace",
            severity: 1,
            query: [
                "KubeEvents",
                `| where Namespace == ${ns}`,
                '| where Reason in ("FailedMount", "FailedToCreateSecret", "SecretRotationFailed", "FailedToRotate")',
                '| where Message has_any ("secrets-store", "keyvault", "SecretProviderClass")',
            ].join("\n"),
            description: `The Key Vault CSI driver could not mount or sync secrets in namespace ${namespace}: pods that need the API keys cannot start. First: \`kubectl -n ${namespace} describe pod <name>\`; a 403 means the workload identity lost Key Vault Secrets User, a "not found" means a secret is missing in the vault (\`pulumi up\` writes them).`,
        },
        {
            kind: "metric",
            id: "vault-availability",
            target: "vault",
            severity: 1,
            metricNamespace: VAULT_METRICS,
            metricName: "Availability",
            aggregation: "Average",
            operator: "LessThan",
            threshold: 99,
            description:
                "Key Vault answered less than 99% of requests successfully for 15 minutes: secret rotation and new pods will fail. First: check Azure status for Key Vault in the region, then the vault's AuditEvent logs (AzureDiagnostics, ResultType != \"Success\") for throttling or denied callers.",
        },
    ];
}

/** A budget notification as Azure takes it, without the receivers. */
export interface BudgetThreshold {
    readonly key: string;
    readonly thresholdType: "Actual" | "Forecasted";
    readonly threshold: number;
}

/** One notification per configured percentage, actual spend and forecast. Pure. */
export function budgetThresholds(budget: StackConfig["budget"]): BudgetThreshold[] {
    return [
        ...budget.actualPercent.map((p) => ({ key: `actual${p}`, thresholdType: "Actual" as const, threshold: p })),
        ...budget.forecastPercent.map((p) => ({ key: `forecast${p}`, thresholdType: "Forecasted" as const, threshold: p })),
    ];
}

/**
 * A budget's start must be the first day of a month and not in the past when it is created; the first day of
 * the current month (UTC) fits, and ignoreChanges keeps it from moving every month afterwards. Pure.
 */
export function budgetStartDate(now: Date): string {
    return `${now.getUTCFullYear()}-${String(now.getUTCMonth() + 1).padStart(2, "0")}-01T00:00:00Z`;
}

export interface OperationsAlertsArgs {
    /** The validated stack config (alerts, budget, namespace, stack). */
    readonly config: StackConfig;
    /** Resource group that holds the action group and the rules. */
    readonly resourceGroupName: pulumi.Input<string>;
    /** Subscription the budget lives in. */
    readonly subscriptionId: pulumi.Input<string>;
    /** Resource groups whose spend the budget counts: the stack's, its data group, and AKS's node group. */
    readonly budgetResourceGroups: pulumi.Input<string>[];
    /** What the rules watch. */
    readonly targets: Record<AlertTarget, pulumi.Input<string>>;
    /** Action group and rule name prefix. */
    readonly baseName: string;
    /** Evaluate log alerts every 15 minutes instead of 5 (cheaper; for capped dev workspaces). */
    readonly slowLogAlerts: boolean;
    /** Tags for every resource. */
    readonly tags: Record<string, string>;
}

export class OperationsAlerts extends pulumi.ComponentResource {
    readonly actionGroupId: pulumi.Output<string>;
    readonly ruleNames: string[];

    constructor(name: string, args: OperationsAlertsArgs, opts?: pulumi.ComponentResourceOptions) {
        super("mcp-aks:azure:OperationsAlerts", name, {}, opts);
        const cfg = args.config;
        const group = new monitor.ActionGroup(
            `${name}-action-group`,
            {
                resourceGroupName: args.resourceGroupName,
                actionGroupName: `ag-${args.baseName}`,
                // Shown as the sender of SMS and email; Azure allows at most 12 characters.
                groupShortName: args.baseName.slice(0, 12),
                location: "Global",
                enabled: true,
                emailReceivers: cfg.alerts.emails.map((emailAddress, i) => ({ name: `email-${i}`, emailAddress, useCommonAlertSchema: true })),
                tags: args.tags,
            },
            { parent: this },
        );
        this.actionGroupId = group.id;

        this.ruleNames = [];
        for (const rule of alertRules(cfg.namespace)) {
            const ruleName = `${args.baseName}-${rule.id}`;
            this.ruleNames.push(ruleName);
            if (rule.kind === "metric") {
                new monitor.MetricAlert(
                    `${name}-${rule.id}`,
                    {
                        resourceGroupName: args.resourceGroupName,
                        ruleName,
                        location: "global",
                        description: rule.description,
                        severity: rule.severity,
                        enabled: true,
                        scopes: [args.targets[rule.target]],
                        evaluationFrequency: "PT5M",
                        windowSize: "PT15M",
                        autoMitigate: true,
                        criteria: {
                            odataType: "Microsoft.Azure.Monitor.SingleResourceMultipleMetricCriteria",
                            allOf: [
                                {
                                    criterionType: "StaticThresholdCriterion",
                                    name: rule.id,
                                    metricNamespace: rule.metricNamespace,
                                    metricName: rule.metricName,
                                    timeAggregation: rule.aggregation,
                                    operator: rule.operator,
                                    threshold: rule.threshold,
                                },
                            ],
                        },
                        actions: [{ actionGroupId: group.id }],
                        tags: args.tags,
                    },
                    { parent: this },
                );
            } else {
                new monitor.ScheduledQueryRule(
                    `${name}-${rule.id}`,
                    {
                        resourceGroupName: args.resourceGroupName,
                        ruleName,
                        location: cfg.location,
                        kind: "LogAlert",
                        description: rule.description,
                        severity: rule.severity,
                        enabled: true,
                        scopes: [args.targets[rule.target]],
                        evaluationFrequency: args.slowLogAlerts ? "PT15M" : "PT5M",
                        windowSize: "PT15M",
                        autoMitigate: true,
                        criteria: {
                            allOf: [
                                {
                                    query: rule.query,
                                    timeAggregation: "Count",
                                    operator: "GreaterThan",
                                    threshold: 0,
                                    failingPeriods: { numberOfEvaluationPeriods: 1, minFailingPeriodsToAlert: 1 },
                                },
                            ],
                        },
                        actions: { actionGroups: [group.id] },
                        tags: args.tags,
                    },
                    { parent: this },
                );
            }
        }

        new consumption.Budget(
            `${name}-budget`,
            {
                // Subscription scope filtered to the stack's resource groups: the VMs, load balancer and public
                // IPs are billed in AKS's node resource group and the Qdrant disks in the data group, so a
                // budget on the stack's own group alone would miss most of the spend.
                scope: pulumi.interpolate`/subscriptions/${args.subscriptionId}`,
                budgetName: `budget-${args.baseName}`,
                amount: cfg.budget.amount,
                category: "Cost",
                timeGrain: "Monthly",
                timePeriod: { startDate: budgetStartDate(new Date()) },
                filter: { dimensions: { name: "ResourceGroupName", operator: "In", values: args.budgetResourceGroups } },
                notifications: Object.fromEntries(
                    budgetThresholds(cfg.budget).map((t) => [
                        t.key,
                        {
                            enabled: true,
                            operator: "GreaterThanOrEqualTo",
                            threshold: t.threshold,
                            thresholdType: t.thresholdType,
                            contactEmails: [...cfg.alerts.emails],
                            contactGroups: [group.id],
                            // Owners hear about spend even where no alert address is configured (dev).
                            contactRoles: ["Owner"],
                        },
                    ]),
                ),
            },
            { parent: this, ignoreChanges: ["timePeriod"] },
        );
        this.registerOutputs({ actionGroupId: this.actionGroupId });
    }
}
