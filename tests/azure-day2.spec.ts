/**
 * Day-2 wiring under mocks: what each operations resource points at (scopes, targets, workspaces, the
 * identity and group that hold the disks), what is protected, and what the cost output says. Values come
 * from the simulated cloud in harness.ts, so each assertion follows a real data path.
 */
import { strict as assert } from "assert";
import { alertRules, budgetStartDate, budgetThresholds, LogAlertRule } from "../components/azure/alerts";
import { MAINTENANCE_CONFIG_NAMES, userPoolName } from "../components/azure/cluster";
import { BASIC_PLAN_TABLES, clusterLogCategories, insightsCollectionSettings } from "../components/azure/monitoring";
import { POD_SECURITY_RESTRICTED_INITIATIVE, podSecurityAssignmentParameters } from "../components/azure/policy";
import { BUILT_IN_ROLES } from "../components/azure/role-assignment";
import { estimateCost } from "../components/cost";
import { configFor } from "./fixtures";
import { Evaluation, evaluateStack, PLACEHOLDER } from "./harness";

describe("day-2 rules (pure)", () => {
    it("every alert says what to do first, and the log alerts read only the workload namespace", () => {
        const rules = alertRules("my-ns");
        assert.deepEqual(rules.map((r) => r.id).sort(), ["node-cpu", "node-memory", "pods-not-ready", "restarts-oom", "secret-sync", "vault-availability"]);
        for (const r of rules) {
            assert.match(r.description, /First: /, r.id);
            if (r.kind === "log") assert.match(r.query, /^(KubePodInventory|KubeEvents)\n\| where Namespace == "my-ns"\n/, r.id);
        }
        const weird = alertRules('we"ird').find((r) => r.id === "secret-sync") as LogAlertRule;
        assert.ok(weird.query.includes('Namespace == "we\\"ird"'), "the namespace is quoted as a KQL string");
    });

    it("a finished Job pod does not count as not ready; a restart does count, OOM or not", () => {
        const q = (id: string) => (alertRules("ns").find((r) => r.id === id) as any).query as string;
        assert.match(q("pods-not-ready"), /PodStatus != "Succeeded"/);
        assert.match(q("restarts-oom"), /where restarts > 0\n/);
        assert.match(q("restarts-oom"), /oomKilled = ContainerLastStatus has "OOMKilled"/);
    });

    it("budget thresholds: one notification per configured percentage, actual and forecast", () => {
        assert.deepEqual(budgetThresholds(configFor("dev").budget), [
            { key: "actual80", thresholdType: "Actual", threshold: 80 },
            { key: "actual100", thresholdType: "Actual", threshold: 100 },
            { key: "forecast100", thresholdType: "Forecasted", threshold: 100 },
        ]);
    });

    it("the budget starts on the first day of the current month (UTC)", () => {
        assert.equal(budgetStartDate(new Date("2026-11-21T19:00:00Z")), "2026-11-01T00:00:00Z");
        assert.equal(budgetStartDate(new Date("2027-01-01T00:30:00+02:00")), "2026-12-01T00:00:00Z");
    });

    it("the policy assignment audits, with the initiative's system namespaces excluded", () => {
        assert.equal(POD_SECURITY_RESTRICTED_INITIATIVE, "/providers/Microsoft.Authorization/policySetDefinitions/42b8ef37-b724-4e24-bbc8-7a7708edfe00");
        assert.deepEqual(podSecurityAssignmentParameters(), {
            effect: { value: "Audit" },
            excludedNamespaces: { value: ["kube-system", "gatekeeper-system", "azure-arc", "azure-extensions-usage-system"] },
        });
    });

    it("a capped workspace collects less and sends only the audit categories", () => {
        assert.deepEqual(clusterLogCategories(true), ["kube-audit-admin", "guard"]);
        assert.deepEqual(clusterLogCategories(false).slice(0, 2), ["kube-audit-admin", "guard"]);
        assert.ok(clusterLogCategories(false).includes("cluster-autoscaler"));
        assert.equal(insightsCollectionSettings(true).interval, "5m");
        assert.equal(insightsCollectionSettings(false).interval, "1m");
    });
});

const T = {
    group: "azure-native:resources:ResourceGroup",
    cluster: "azure-native:containerservice:ManagedCluster",
    pool: "azure-native:containerservice:AgentPool",
    maintenance: "azure-native:containerservice:MaintenanceConfiguration",
    diagnostics: "azure-native:monitor:DiagnosticSetting",
    workspace: "azure-native:operationalinsights:Workspace",
    table: "azure-native:operationalinsights:Table",
    dcr: "azure-native:monitor:DataCollectionRule",
    vault: "azure-native:keyvault:Vault",
    role: "azure-native:authorization:RoleAssignment",
    policy: "azure-native:authorization:PolicyAssignment",
    actionGroup: "azure-native:monitor:ActionGroup",
    metricAlert: "azure-native:monitor:MetricAlert",
    logAlert: "azure-native:monitor:ScheduledQueryRule",
    budget: "azure-native:consumption:Budget",
    storageClass: "kubernetes:storage.k8s.io/v1:StorageClass",
};

for (const stack of ["dev", "prod"] as const) {
    describe(`Day-2 wiring under mocks (${stack})`, function () {
        let ev: Evaluation;
        before(async () => {
            ev = await evaluateStack(stack);
        });
        const prod = stack === "prod";
        const clusterId = () => ev.one(T.cluster).id;
        const workspaceId = () => ev.one(T.workspace).id;
        const dataGroup = () => ev.one(T.group, "platform-data-rg");

        it(prod ? "protects the cluster, the vault, the data group, the backup account and Qdrant" : "protects nothing, so `pulumi destroy` removes everything", () => {
            const protectedOnes = ev.resources.filter((r) => r.protect).map((r) => r.type).sort();
            assert.deepEqual(protectedOnes, prod ? [T.cluster, T.vault, T.group, "azure-native:storage:StorageAccount", "kubernetes:apps/v1:StatefulSet"].sort() : []);
            if (prod) assert.equal(ev.resources.find((r) => r.protect && r.type === T.group)!.name, "platform-data-rg", "the stack's own group stays deletable");
        });

        it("Qdrant's StorageClass provisions into the stack's data group, which the control-plane identity may write", () => {
            const sc = ev.one(T.storageClass);
            assert.equal(sc.inputs.parameters.resourceGroup, dataGroup().inputs.resourceGroupName);
            assert.notEqual(sc.inputs.parameters.resourceGroup, ev.one(T.group, "platform-rg").inputs.resourceGroupName);
            assert.equal(sc.inputs.reclaimPolicy, prod ? "Retain" : "Delete");
            const contributor = ev.ofType(T.role).filter((r) => String(r.inputs.roleDefinitionId).endsWith(BUILT_IN_ROLES.contributor));
            assert.equal(contributor.length, 1);
            assert.equal(contributor[0].inputs.scope, dataGroup().id);
            assert.equal(contributor[0].inputs.principalId, PLACEHOLDER.clusterPrincipalId, "the cluster's own (control-plane) identity runs the disk CSI controller");
        });

        it(prod ? "the user pool is a separate AgentPool on the cluster, named by its immutable settings" : "dev has no user pool", () => {
            const pools = ev.ofType(T.pool);
            if (!prod) return assert.equal(pools.length, 0);
            assert.equal(pools.length, 1);
            const cfg = ev.config.cluster;
            assert.equal(pools[0].inputs.resourceName, ev.one(T.cluster).inputs.resourceName);
            assert.equal(pools[0].inputs.agentPoolName, userPoolName(cfg.userPool!, cfg.zones));
            assert.ok(pools[0].name.endsWith(pools[0].inputs.agentPoolName), "a rotated pool is a new resource");
            assert.equal(pools[0].inputs.maxPods, cfg.userPool!.maxPods);
            assert.deepEqual(pools[0].ignoreChanges, ["count"]);
        });

        it("both AKS maintenance schedules attach to the cluster with the configured windows", () => {
            const configs = ev.ofType(T.maintenance);
            assert.deepEqual(configs.map((m) => m.inputs.configName).sort(), Object.values(MAINTENANCE_CONFIG_NAMES).sort());
            for (const m of configs) {
                assert.equal(m.inputs.resourceName, ev.one(T.cluster).inputs.resourceName);
                const key = m.inputs.configName === MAINTENANCE_CONFIG_NAMES.autoUpgrade ? "autoUpgrade" : "nodeOsUpgrade";
                assert.equal(m.inputs.maintenanceWindow.startTime, ev.config.maintenance[key].startTime);
                assert.equal(m.inputs.maintenanceWindow.schedule.weekly.dayOfWeek, ev.config.maintenance[key].dayOfWeek);
            }
        });

        it("audit logs: the cluster's kube-audit-admin and guard to resource-specific tables, the vault's AuditEvent, both into the stack's workspace", () => {
            const byResource = new Map(ev.ofType(T.diagnostics).map((d) => [d.inputs.resourceUri, d.inputs]));
            const aks = byResource.get(clusterId());
            assert.ok(aks, "a diagnostic setting on the cluster");
            assert.equal(aks.workspaceId, workspaceId());
            assert.equal(aks.logAnalyticsDestinationType, "Dedicated");
            const categories = aks.logs.filter((l: any) => l.enabled).map((l: any) => l.category);
            assert.ok(categories.includes("kube-audit-admin") && categories.includes("guard"));
            assert.ok(!categories.includes("kube-audit"), "kube-audit-admin, not the read-heavy kube-audit");
            assert.equal(categories.includes("kube-apiserver"), prod, "platform logs only where ingestion is not capped");
            const kv = byResource.get(ev.one(T.vault).id);
            assert.ok(kv, "a diagnostic setting on the vault");
            assert.equal(kv.workspaceId, workspaceId());
            assert.deepEqual(kv.logs.map((l: any) => [l.category, l.enabled]), [["AuditEvent", true]]);
        });

        it("the high-volume tables use the Basic plan in the stack's workspace", () => {
            const tables = ev.ofType(T.table);
            assert.deepEqual(tables.map((t) => t.inputs.tableName).sort(), [...BASIC_PLAN_TABLES].sort());
            for (const t of tables) {
                assert.equal(t.inputs.plan, "Basic");
                assert.equal(t.inputs.workspaceName, ev.one(T.workspace).inputs.workspaceName);
                assert.ok(t.retainOnDelete, "Azure tables cannot be deleted; destroy must not fail on them");
            }
        });

        it(prod ? "Container Insights collects every minute from every namespace" : "the capped workspace collects every 5 minutes without kube-system", () => {
            const dcr = ev.ofType(T.dcr).find((d) => String(d.inputs.dataCollectionRuleName).startsWith("MSCI-"))!;
            const settings = dcr.inputs.dataSources.extensions[0].extensionSettings.dataCollectionSettings;
            assert.equal(settings.interval, prod ? "1m" : "5m");
            assert.equal(settings.namespaceFilteringMode, prod ? "Off" : "Exclude");
            assert.equal(ev.one(T.workspace).inputs.workspaceCapping.dailyQuotaGb, ev.config.cluster.logDailyQuotaGb);
        });

        it("the restricted pod security initiative is assigned to the cluster alone, in audit mode", () => {
            const a = ev.one(T.policy);
            assert.equal(a.inputs.scope, clusterId());
            assert.equal(a.inputs.policyDefinitionId, POD_SECURITY_RESTRICTED_INITIATIVE);
            assert.equal(a.inputs.parameters.effect.value, "Audit");
            assert.equal(ev.one(T.cluster).inputs.addonProfiles.azurepolicy.enabled, true, "the add-on that evaluates it");
        });

        it("every alert watches its target and notifies the action group whose receivers come from config", () => {
            const group = ev.one(T.actionGroup);
            assert.deepEqual(group.inputs.emailReceivers.map((r: any) => r.emailAddress), [...ev.config.alerts.emails]);
            assert.ok(group.inputs.groupShortName.length <= 12);
            const targets = { cluster: clusterId(), vault: ev.one(T.vault).id, workspace: workspaceId() };
            const rules = alertRules(ev.config.namespace);
            for (const rule of rules) {
                const found = ev.ofType(rule.kind === "metric" ? T.metricAlert : T.logAlert).filter((r) => String(r.inputs.ruleName).endsWith(`-${rule.id}`));
                assert.equal(found.length, 1, rule.id);
                const inputs = found[0].inputs;
                assert.deepEqual(inputs.scopes, [targets[rule.target]], `${rule.id} scope`);
                const actions = rule.kind === "metric" ? inputs.actions.map((a: any) => a.actionGroupId) : inputs.actions.actionGroups;
                assert.deepEqual(actions, [group.id], `${rule.id} notifies the action group`);
                assert.match(inputs.description, /First: /, `${rule.id} says what to do first`);
                if (rule.kind === "log") assert.match(inputs.criteria.allOf[0].query, new RegExp(`Namespace == "${ev.config.namespace}"`));
            }
            assert.equal(ev.ofType(T.metricAlert).length + ev.ofType(T.logAlert).length, rules.length);
        });

        it("the budget counts the stack's, the data and the node resource groups, with actual and forecast notifications", () => {
            const b = ev.one(T.budget);
            assert.equal(b.inputs.scope, `/subscriptions/${PLACEHOLDER.subscriptionId}`);
            assert.equal(b.inputs.amount, ev.config.budget.amount);
            const cluster = ev.one(T.cluster).inputs;
            assert.deepEqual(b.inputs.filter.dimensions, {
                name: "ResourceGroupName",
                operator: "In",
                values: [ev.one(T.group, "platform-rg").inputs.resourceGroupName, dataGroup().inputs.resourceGroupName, `MC_${cluster.resourceGroupName}_${cluster.resourceName}_${cluster.location}`],
            });
            const notes = Object.values<any>(b.inputs.notifications);
            assert.deepEqual(notes.map((n) => n.thresholdType).sort(), ["Actual", "Actual", "Forecasted"]);
            for (const n of notes) {
                assert.deepEqual(n.contactGroups, [ev.one(T.actionGroup).id]);
                assert.deepEqual(n.contactEmails, [...ev.config.alerts.emails]);
            }
            assert.deepEqual(b.ignoreChanges, ["timePeriod"], "the start date is set once");
        });

        it("the costEstimate output is the estimate of the declared config", () => {
            assert.deepEqual(ev.outputs.costEstimate, JSON.parse(JSON.stringify(estimateCost(ev.config))));
        });
    });
}
