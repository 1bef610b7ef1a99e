/**
 * The backup's chain of trust under mocks, followed through real data paths: the CronJob's pods run as a
 * ServiceAccount whose client-id annotation names an identity, whose federated credential trusts exactly
 * that ServiceAccount, and whose only role is Storage Blob Data Contributor on the snapshot container.
 */
import { strict as assert } from "assert";
import { BUILT_IN_ROLES } from "../components/azure/role-assignment";
import { SNAPSHOT_CONTAINER, storageAccountSettings } from "../components/azure/storage";
import { NAMES } from "../components/cluster/specs";
import { BACKUP_DEADLINE_SECONDS, RESTORE_DEADLINE_SECONDS, backupCronJobManifest, backupScripts, backupSettingsConfigMapManifest, restoreJobManifest } from "../components/cluster/specs/qdrant-backup";
import { importedImageRef } from "../components/image";
import { azureNames, nameViolations } from "../components/naming";
import { TOKEN_EXCHANGE_AUDIENCE, WORKLOAD_IDENTITY_CLIENT_ID_ANNOTATION, WORKLOAD_IDENTITY_USE_LABEL } from "../components/workload-identity";
import { configFor, key } from "./fixtures";
import { CapturedResource, Evaluation, PLACEHOLDER, evaluateStack } from "./harness";

const T = {
    account: "azure-native:storage:StorageAccount",
    container: "azure-native:storage:BlobContainer",
    blobService: "azure-native:storage:BlobServiceProperties",
    lifecycle: "azure-native:storage:ManagementPolicy",
    uami: "azure-native:managedidentity:UserAssignedIdentity",
    fic: "azure-native:managedidentity:FederatedIdentityCredential",
    role: "azure-native:authorization:RoleAssignment",
    cronJob: "kubernetes:batch/v1:CronJob",
    serviceAccount: "kubernetes:core/v1:ServiceAccount",
    configMap: "kubernetes:core/v1:ConfigMap",
};

for (const stack of ["dev", "prod"] as const) {
    describe(`Qdrant backup wiring under mocks (${stack})`, function () {
        let ev: Evaluation;
        let cronJob: CapturedResource;
        let identity: CapturedResource;
        before(async () => {
            ev = await evaluateStack(stack);
            cronJob = ev.one(T.cronJob, NAMES.qdrantBackup);
            const pod = cronJob.inputs.spec.jobTemplate.spec.template;
            const sa = ev.ofType(T.serviceAccount).find((s) => s.inputs.metadata.name === pod.spec.serviceAccountName)!;
            const clientId = sa.inputs.metadata.annotations[WORKLOAD_IDENTITY_CLIENT_ID_ANNOTATION];
            const matching = ev.ofType(T.uami).filter((u) => u.state.clientId === clientId);
            assert.equal(matching.length, 1, "the annotation names exactly one identity");
            identity = matching[0];
        });

        it("identity chain: pod ServiceAccount -> client-id annotation -> identity -> federated credential subject == that ServiceAccount", () => {
            const pod = cronJob.inputs.spec.jobTemplate.spec.template;
            assert.equal(pod.metadata.labels[WORKLOAD_IDENTITY_USE_LABEL], "true", "the webhook injects the token only into labelled pods");
            assert.equal(identity.state.clientId, PLACEHOLDER.backupIdentityClientId, "its own identity, not the MCP server's");
            const fics = ev.ofType(T.fic).filter((f) => f.inputs.resourceName === identity.inputs.resourceName);
            assert.equal(fics.length, 1);
            const namespace = cronJob.inputs.metadata.namespace;
            assert.equal(fics[0].inputs.subject, `system:serviceaccount:${namespace}:${pod.spec.serviceAccountName}`);
            assert.equal(fics[0].inputs.issuer, PLACEHOLDER.oidcIssuer);
            assert.deepEqual(fics[0].inputs.audiences, [TOKEN_EXCHANGE_AUDIENCE]);
            assert.ok(cronJob.dependencies.includes(fics[0].urn), "the first run waits for the credential");
        });

        it("the identity's one role is Storage Blob Data Contributor, scoped to the snapshot container only", () => {
            const roles = ev.ofType(T.role).filter((r) => r.inputs.principalId === identity.state.principalId);
            assert.equal(roles.length, 1);
            const [role] = roles;
            assert.ok(String(role.inputs.roleDefinitionId).endsWith(`/roleDefinitions/${BUILT_IN_ROLES.storageBlobDataContributor}`));
            const container = ev.one(T.container);
            assert.equal(role.inputs.scope, container.id, "scope is the container's resource id");
            assert.notEqual(role.inputs.scope, ev.one(T.account).id, "not the whole account");
            assert.equal(role.inputs.principalType, "ServicePrincipal");
            assert.ok(cronJob.dependencies.includes(role.urn), "the first run waits for the role");
            const storageRoles = ev.ofType(T.role).filter((r) => String(r.inputs.roleDefinitionId).endsWith(BUILT_IN_ROLES.storageBlobDataContributor));
            assert.deepEqual(storageRoles.map((r) => r.inputs.principalId), [PLACEHOLDER.backupIdentityPrincipalId], "the MCP identity gets no storage role");
        });

        it("the job writes to the container the stack created, on the account's own blob endpoint, with an image from ACR", () => {
            const settings = ev.one(T.configMap, NAMES.qdrantBackupSettings).inputs.data;
            const account = ev.one(T.account);
            assert.equal(settings.BLOB_ENDPOINT, `https://${account.inputs.accountName}.blob.core.windows.net`);
            assert.equal(settings.BLOB_CONTAINER, ev.one(T.container).inputs.containerName);
            assert.equal(ev.one(T.container).inputs.accountName, account.inputs.accountName);
            const image = cronJob.inputs.spec.jobTemplate.spec.template.spec.containers[0].image;
            assert.equal(image, importedImageRef(String(ev.outputs.acrLoginServer), ev.config.images.curl));
            assert.match(account.inputs.accountName, new RegExp(`^stmcp${stack}${PLACEHOLDER.randomSuffix}$`));
        });

        it("the account: private, Entra-only, TLS 1.2; zone-redundant with versioning and soft delete in prod only", () => {
            const prod = stack === "prod";
            const account = ev.one(T.account);
            assert.deepEqual({ ...account.inputs, accountName: undefined, resourceGroupName: undefined, location: undefined, tags: undefined }, {
                ...storageAccountSettings(prod),
                accountName: undefined,
                resourceGroupName: undefined,
                location: undefined,
                tags: undefined,
            });
            assert.equal(account.inputs.sku.name, prod ? "Standard_ZRS" : "Standard_LRS");
            assert.equal(account.protect, prod, "prod's snapshots survive a pulumi destroy");
            const service = ev.one(T.blobService).inputs;
            assert.equal(service.isVersioningEnabled, prod);
            assert.equal(service.deleteRetentionPolicy.enabled, prod);
            assert.equal(ev.one(T.container).inputs.publicAccess, "None");
        });

        it("the lifecycle rule deletes snapshots in that container after qdrant.backup.retentionDays (and their versions in prod)", () => {
            const [rule] = ev.one(T.lifecycle).inputs.policy.rules;
            assert.equal(ev.one(T.lifecycle).inputs.managementPolicyName, "default");
            assert.deepEqual(rule.definition.filters, { blobTypes: ["blockBlob"], prefixMatch: [`${SNAPSHOT_CONTAINER}/`] });
            assert.equal(rule.definition.actions.baseBlob.delete.daysAfterModificationGreaterThan, ev.config.qdrant.backup.retentionDays);
            assert.equal(rule.definition.actions.version !== undefined, stack === "prod", "versions are deleted where versioning is on");
        });

        it("outputs the schedule, the storage target and the replication settings", () => {
            const backup = ev.outputs.qdrantBackup as Record<string, unknown>;
            assert.equal(backup.schedule, ev.config.qdrant.backup.schedule);
            assert.equal(backup.storageAccount, ev.one(T.account).inputs.accountName);
            assert.equal(backup.container, SNAPSHOT_CONTAINER);
            assert.equal(backup.cronJob, NAMES.qdrantBackup);
            assert.deepEqual(ev.outputs.qdrant, { replicas: ev.config.qdrant.replicas, replicationFactor: ev.config.qdrant.replicationFactor, writeConsistencyFactor: ev.config.qdrant.writeConsistencyFactor });
        });
    });
}

describe("Qdrant backup: switched off", () => {
    it("declares no storage account, identity, CronJob or backup policy", async () => {
        const ev = await evaluateStack("dev", { overrides: { [key("qdrant")]: JSON.stringify({ backup: { enabled: false } }) } });
        assert.equal(ev.ofType(T.account).length, 0);
        assert.equal(ev.ofType(T.uami).length, 1, "only the MCP identity");
        assert.equal(ev.ofType(T.cronJob).length, 0);
        assert.ok(!ev.ofType("kubernetes:networking.k8s.io/v1:NetworkPolicy").some((p) => p.inputs.metadata.name === NAMES.qdrantBackup));
        assert.equal(ev.outputs.qdrantBackup, undefined);
    });
});

describe("Qdrant backup: jobs and names (pure)", () => {
    it("the CronJob runs on schedule, never twice at once, within its deadline, keeping a short history", () => {
        for (const env of ["dev", "prod"] as const) {
            const cfg = configFor(env);
            const job = backupCronJobManifest(cfg, "img");
            assert.equal(job.spec.schedule, cfg.qdrant.backup.schedule);
            assert.equal(job.spec.concurrencyPolicy, "Forbid");
            assert.ok(job.spec.startingDeadlineSeconds > 0);
            assert.ok(job.spec.successfulJobsHistoryLimit <= 3 && job.spec.failedJobsHistoryLimit <= 3);
            assert.equal(job.spec.jobTemplate.spec.activeDeadlineSeconds, BACKUP_DEADLINE_SECONDS);
            assert.equal(job.spec.jobTemplate.spec.template.spec.restartPolicy, "Never");
        }
        // Hourly in prod (RPO 1 hour), daily in dev; a run ends before the next starts.
        assert.match(configFor("prod").qdrant.backup.schedule, /^\d+ \* \* \* \*$/);
        assert.match(configFor("dev").qdrant.backup.schedule, /^\d+ \d+ \* \* \*$/);
        assert.ok(BACKUP_DEADLINE_SECONDS < 3600);
    });

    it("the restore Job restores one run within the 30-minute RTO, as the backup ServiceAccount", () => {
        const job = restoreJobManifest(configFor("prod"), "img", "20261121T191703Z", { collections: ["crypto_docs"] });
        assert.equal(job.metadata.name, "qdrant-restore-20261121t191703z");
        assert.equal(job.spec.activeDeadlineSeconds, RESTORE_DEADLINE_SECONDS);
        assert.equal(RESTORE_DEADLINE_SECONDS, 30 * 60);
        const pod = job.spec.template.spec;
        assert.equal(pod.serviceAccountName, NAMES.qdrantBackupServiceAccount);
        assert.deepEqual(pod.containers[0].command, ["/bin/sh", "/scripts/qdrant-restore.sh"]);
        assert.deepEqual(pod.containers[0].env.slice(1), [{ name: "SNAPSHOT_RUN", value: "20261121T191703Z" }, { name: "COLLECTIONS", value: "crypto_docs" }]);
        assert.equal((job.spec.template.metadata.labels as Record<string, string>)["app.kubernetes.io/name"], NAMES.qdrantBackup, "the backup's NetworkPolicy covers it");
    });

    it("every variable the scripts require reaches the pods: settings ConfigMap, the API key Secret, or the webhook", () => {
        const cfg = configFor("prod");
        const settings = Object.keys(backupSettingsConfigMapManifest(cfg, { blobEndpoint: "e", containerName: "c" }).data);
        // Injected by the workload-identity webhook into pods labelled azure.workload.identity/use.
        const webhook = ["AZURE_CLIENT_ID", "AZURE_TENANT_ID", "AZURE_AUTHORITY_HOST", "AZURE_FEDERATED_TOKEN_FILE"];
        const scripts = backupScripts();
        for (const [script, job] of [["qdrant-backup.sh", backupCronJobManifest(cfg, "img").spec.jobTemplate.spec], ["qdrant-restore.sh", restoreJobManifest(cfg, "img", "20261121T191703Z").spec]] as const) {
            const required = [...scripts[script].matchAll(/"\$\{([A-Z_]+):\?\}"/g)].map((m) => m[1]);
            assert.ok(required.length >= 8, `${script} declares what it requires`);
            const container = job.template.spec.containers[0];
            assert.deepEqual(container.envFrom, [{ configMapRef: { name: NAMES.qdrantBackupSettings } }]);
            const provided = new Set([...settings, ...webhook, ...container.env.map((e) => e.name)]);
            assert.deepEqual(required.filter((v) => !provided.has(v)), [], script);
            const key = container.env.find((e) => e.name === "QDRANT_API_KEY") as any;
            assert.deepEqual(key.valueFrom.secretKeyRef, { name: NAMES.qdrantApiKeySecret, key: NAMES.qdrantApiKeySecretKey }, "one source for the API key");
        }
    });

    it("the storage account name always fits Azure's 3-24 lowercase letters and digits", () => {
        for (const stem of [{ prefix: "mcp", stack: "prod" }, { prefix: "averylongprefx", stack: "productioneurope2" }]) {
            const names = azureNames(stem, "abc123");
            assert.match(names.storageAccount, /^[a-z0-9]{3,24}$/);
            assert.ok(names.storageAccount.endsWith("abc123"), "the random suffix survives the cut");
            assert.deepEqual(nameViolations(azureNames(stem)).filter((v) => v.rule.what === "storage account"), []);
        }
    });
});
