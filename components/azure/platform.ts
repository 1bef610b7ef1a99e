/**
 * The Azure platform of one stack: resource group, monitoring, ACR, AKS, one workload identity with its
 * federated credential per MCP server, Key Vault with the API keys, the role assignments between them, and the
 * Kubernetes provider for the new cluster. Its outputs are the plain inputs the workloads layer takes.
 */
import * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";
import * as random from "@pulumi/random";
import * as resources from "@pulumi/azure-native/resources";
import * as authorization from "@pulumi/azure-native/authorization";
import { StackConfig, adminPrincipals, mcpServerList, sanitizeStackName } from "../config";
import { azureNames, EDGE_VAULT_SECRETS, keyVaultSecretName, serverAzureNames, UNIQUE_SUFFIX_LENGTH } from "../naming";
import { EDGE_SERVICE_ACCOUNT, mcpServerServiceAccount, QDRANT_BACKUP_SERVICE_ACCOUNT } from "../workload-identity";
import { EntraApp, entraAppOwners } from "./entra-app";
import { AksCluster } from "./cluster";
import { WorkloadIdentity } from "./identity";
import { StackImages } from "./images";
import { clusterKubeconfig, clusterProvider } from "./kubernetes-provider";
import { OperationsAlerts } from "./alerts";
import { ClusterDataCollection, clusterLogCategories, diagnosticSetting, LogWorkspace } from "./monitoring";
import { ClusterPolicy } from "./policy";
import { propagationWaitMs } from "./rbac-propagation";
import { Registry } from "./registry";
import { BUILT_IN_ROLES, scopedRoleAssignment } from "./role-assignment";
import { SecretsVault } from "./vault";
import { BackupStorage } from "./storage";

/** What the workloads layer needs to run the Qdrant backup: plain values, no Azure SDK types. */
export interface BackupTarget {
    readonly identityClientId: pulumi.Output<string>;
    readonly accountName: pulumi.Output<string>;
    readonly containerName: pulumi.Output<string>;
    readonly blobEndpoint: pulumi.Output<string>;
    /** The federated credential and the role: the CronJob's first run must not race them. */
    readonly dependencies: pulumi.Resource[];
}

export interface AzurePlatformArgs {
    /** The validated stack config. */
    readonly config: StackConfig;
}

/** What one MCP server's pods need from Azure, and what their first rollout must wait for. */
export interface ServerIdentity {
    /** Client id of the server's own user-assigned identity (its ServiceAccount annotation). */
    readonly clientId: pulumi.Output<string>;
    /** Its federated credential, its Key Vault roles and its secrets. */
    readonly dependencies: pulumi.Resource[];
}

export interface ClusterAdminGrantsArgs {
    /** The validated stack config (its `access`). */
    readonly config: StackConfig;
    /** The stack's resource group: it exists minutes before the cluster. */
    readonly resourceGroupId: pulumi.Input<string>;
    /** Subscription that holds the role definition. */
    readonly subscriptionId: pulumi.Input<string>;
    /** Parent of the grants. */
    readonly parent: pulumi.Resource;
}

/**
 * AKS RBAC Cluster Admin for every configured admin, on the stack's resource group rather than on the
 * cluster. Azure RBAC grants take up to ~5 minutes to reach the AKS authorization webhook, and the
 * Kubernetes provider retries only NotFound, never 403 (DESIGN.md pitfall 13). A grant on the cluster can
 * only be made once the cluster exists, seconds before the first Kubernetes call; a grant on the resource
 * group is made right after the group, in parallel with AKS creation (5-10 minutes), and the cluster
 * inherits it, so it has propagated by the time the API server answers. The group holds only this stack's
 * resources, so the wider scope reaches no other cluster. Each grant is keyed by the principal's object
 * id, so reordering the lists or running `up` as someone else changes nothing.
 */
export function clusterAdminGrants(name: string, args: ClusterAdminGrantsArgs): authorization.RoleAssignment[] {
    return adminPrincipals(args.config.access).map(({ objectId, type }) =>
        scopedRoleAssignment(
            `${name}-${objectId.toLowerCase()}`,
            {
                scope: args.resourceGroupId,
                principalId: objectId,
                principalType: type,
                roleId: BUILT_IN_ROLES.aksRbacClusterAdmin,
                subscriptionId: args.subscriptionId,
                description: `Cluster admin from config (access, ${type})`,
            },
            { parent: args.parent },
        ),
    );
}

/** Tags on every Azure resource; `environment` is what the policy pack keys prod rules on. */
export function platformTags(config: StackConfig): Record<string, string> {
    return { ...config.tags, environment: config.environment, project: config.project, stack: config.stack, "managed-by": "pulumi" };
}

export class AzurePlatform extends pulumi.ComponentResource {
    readonly resourceGroupName: pulumi.Output<string>;
    /** The resource group that holds Qdrant's disks (StorageClass `resourceGroup`). */
    readonly dataResourceGroupName: pulumi.Output<string>;
    readonly clusterName: pulumi.Output<string>;
    readonly oidcIssuerUrl: pulumi.Output<string>;
    readonly registryLoginServer: pulumi.Output<string>;
    /** Each MCP server's image in the stack's ACR, by server name; resolves once its build (or import) has finished. */
    readonly serverImages: Readonly<Record<string, pulumi.Output<string>>>;
    /** The in-ACR reference of each configured third-party image (config `images`), once imported. */
    readonly images: Readonly<Record<string, pulumi.Output<string>>>;
    /** The kubelet's AcrPull grant on the registry: every pod's first image pull needs it. */
    readonly imagePullGrant: pulumi.Resource;
    readonly tenantId: pulumi.Output<string>;
    readonly vaultName: pulumi.Output<string>;
    readonly vaultUri: pulumi.Output<string>;
    /** Secret: the converted kubeconfig. */
    readonly kubeconfig: pulumi.Output<string>;
    readonly provider: k8s.Provider;
    /** Per MCP server: its identity and what its first rollout must wait for. */
    readonly serverIdentities: Record<string, ServerIdentity>;
    /** The snapshot storage and its identity; undefined when qdrant.backup.enabled is false. */
    readonly backup?: BackupTarget;
    /** Client id of the managed identity the edge pods federate to. */
    readonly edgeIdentityClientId: pulumi.Output<string>;
    /** Application (client) id of the app registration MCP clients sign in to (created, or from config). */
    readonly entraClientId: pulumi.Output<string>;
    /** Whether the vault holds a client secret of that app for the edge. */
    readonly edgeHasClientSecret: boolean;
    /** What the first edge rollout must wait for: its federated credential, vault role and secrets. */
    readonly edgeDependencies: pulumi.Resource[];

    constructor(name: string, args: AzurePlatformArgs, opts?: pulumi.ComponentResourceOptions) {
        super("mcp-aks:azure:AzurePlatform", name, {}, opts);
        const cfg = args.config;
        const tags = platformTags(cfg);
        const stem = { prefix: cfg.namePrefix, stack: sanitizeStackName(cfg.stack) };
        const fixedNames = azureNames(stem);
        // Only the tenant and subscription are read from the client: who runs `up` never changes a grant.
        const client = authorization.getClientConfigOutput({ parent: this });

        // Key Vault and ACR names are global and a deleted vault's name stays reserved for its soft-delete
        // retention, so both carry a random suffix that is stable for the life of the stack.
        const suffix = new random.RandomString(
            `${name}-suffix`,
            { length: UNIQUE_SUFFIX_LENGTH, special: false, upper: false, numeric: true, lower: true },
            { parent: this },
        );
        const uniqueNames = suffix.result.apply((s) => azureNames(stem, s));

        const group = new resources.ResourceGroup(
            `${name}-rg`,
            { resourceGroupName: fixedNames.resourceGroup, location: cfg.location, tags },
            { parent: this },
        );

        // Disks provisioned here survive the cluster: AKS deletes its MC_ group, and every disk in it, with the
        // cluster. Protected in prod so that `pulumi destroy` cannot take retained volumes with it.
        const dataGroup = new resources.ResourceGroup(
            `${name}-data-rg`,
            { resourceGroupName: fixedNames.dataResourceGroup, location: cfg.location, tags: { ...tags, purpose: "stateful-disks" } },
            { parent: this, protect: cfg.environment === "prod" },
        );

        const capped = cfg.cluster.logDailyQuotaGb !== -1;
        const logs = new LogWorkspace(
            `${name}-monitoring`,
            {
                resourceGroupName: group.name,
                location: cfg.location,
                workspaceName: fixedNames.logAnalytics,
                retentionDays: cfg.cluster.logRetentionDays,
                dailyQuotaGb: cfg.cluster.logDailyQuotaGb,
                managedPrometheus: cfg.cluster.managedPrometheus,
                tags,
            },
            { parent: this },
        );

        const registry = new Registry(
            `${name}-registry`,
            { resourceGroupName: group.name, location: cfg.location, registryName: uniqueNames.apply((n) => n.registry), sku: cfg.registry.sku, tags },
            { parent: this },
        );

        // Builds and imports need only the registry, so they run while AKS is being created.
        const images = new StackImages(
            `${name}-images`,
            {
                registry: { subscriptionId: client.subscriptionId, resourceGroupName: group.name, registryName: registry.name, loginServer: registry.loginServer },
                images: cfg.images,
                mcpServers: Object.fromEntries(mcpServerList(cfg).map((server) => [server.name, server.source])),
            },
            { parent: this },
        );

        const cluster = new AksCluster(
            `${name}-cluster`,
            {
                config: cfg,
                resourceGroupName: group.name,
                clusterName: fixedNames.cluster,
                dnsPrefix: fixedNames.dnsPrefix,
                workspaceId: logs.workspaceId,
                tenantId: client.tenantId,
            },
            { parent: this },
        );

        new ClusterDataCollection(
            `${name}-data-collection`,
            {
                resourceGroupName: group.name,
                location: cfg.location,
                baseName: fixedNames.cluster,
                clusterId: cluster.id,
                workspaceId: logs.workspaceId,
                prometheusWorkspaceId: logs.prometheusWorkspaceId,
                capped: capped,
                tags,
            },
            { parent: this },
        );

        const edgeIdentity = new WorkloadIdentity(
            `${name}-edge-identity`,
            {
                resourceGroupName: group.name,
                location: cfg.location,
                identityName: fixedNames.edgeIdentity,
                oidcIssuerUrl: cluster.oidcIssuerUrl,
                subjects: [{ namespace: cfg.namespace, serviceAccount: EDGE_SERVICE_ACCOUNT }],
                tags,
            },
            { parent: this },
        );

        diagnosticSetting(
            `${name}-cluster-diagnostics`,
            { resourceUri: cluster.id, workspaceId: logs.workspaceId, categories: clusterLogCategories(capped), metrics: !capped, dedicated: true },
            { parent: this },
        );

        // The Azure Disk CSI controller runs in the AKS control plane under the cluster's identity; to create
        // disks outside MC_ it needs Contributor on the group that holds them (azuredisk-csi-driver docs).
        scopedRoleAssignment(
            `${name}-cluster-data-contributor`,
            {
                scope: dataGroup.id,
                principalId: cluster.principalId,
                principalType: "ServicePrincipal",
                roleId: BUILT_IN_ROLES.contributor,
                subscriptionId: client.subscriptionId,
                description: "AKS control plane (Azure Disk CSI) creates Qdrant's disks in the data resource group",
            },
            { parent: this },
        );

        new ClusterPolicy(`${name}-policy`, { clusterId: cluster.id, clusterName: fixedNames.cluster }, { parent: this });

        // The key that seals MCP session state into the Mcp-Session-Id, shared by every edge replica so
        // that any of them serves any session (AES-256-GCM: 32 bytes, hex as agentgateway reads it).
        const sessionKey = new random.RandomId(`${name}-edge-session-key`, { byteLength: 32 }, { parent: this, additionalSecretOutputs: ["hex", "b64Std", "b64Url", "dec", "id"] });
        const app = cfg.edge.entra.existingAppId === ""
            ? new EntraApp(`${name}-entra`, { displayName: `mcp-aks ${cfg.stack} MCP servers`, servers: mcpServerList(cfg).map((s) => s.name), owners: entraAppOwners(cfg.access) }, { parent: this })
            : undefined;
        const clientSecret: pulumi.Input<string> | undefined = app ? app.clientSecret : cfg.edgeClientSecret ? pulumi.secret(cfg.edgeClientSecret.reveal()) : undefined;
        const namedSecrets: Record<string, pulumi.Input<string>> = { [EDGE_VAULT_SECRETS.sessionKey]: sessionKey.hex };
        if (clientSecret !== undefined) namedSecrets[EDGE_VAULT_SECRETS.clientSecret] = clientSecret;

        const vault = new SecretsVault(
            `${name}-vault`,
            {
                resourceGroupName: group.name,
                location: cfg.location,
                vaultName: uniqueNames.apply((n) => n.keyVault),
                tenantId: client.tenantId,
                sku: cfg.keyVault.sku,
                softDeleteRetentionDays: cfg.keyVault.softDeleteRetentionDays,
                purgeProtection: cfg.keyVault.purgeProtection,
                secrets: cfg.secrets,
                namedSecrets,
                tags,
            },
            { parent: this },
        );

        diagnosticSetting(
            `${name}-vault-diagnostics`,
            // Key Vault's AuditEvent records every secret read and denied call; it goes to AzureDiagnostics.
            { resourceUri: vault.id, workspaceId: logs.workspaceId, categories: ["AuditEvent"], metrics: false, dedicated: false },
            { parent: this },
        );

        new OperationsAlerts(
            `${name}-alerts`,
            {
                config: cfg,
                resourceGroupName: group.name,
                subscriptionId: client.subscriptionId,
                budgetResourceGroups: [group.name, dataGroup.name, cluster.nodeResourceGroup],
                targets: { cluster: cluster.id, vault: vault.id, workspace: logs.workspaceId },
                baseName: `${stem.prefix}-${stem.stack}`,
                slowLogAlerts: capped,
                tags,
            },
            { parent: this },
        );

        const kubeletAcrPull = scopedRoleAssignment(
            `${name}-kubelet-acrpull`,
            {
                scope: registry.id,
                principalId: cluster.kubeletObjectId,
                principalType: "ServicePrincipal",
                roleId: BUILT_IN_ROLES.acrPull,
                subscriptionId: client.subscriptionId,
                description: "AKS kubelet pulls the MCP server image",
            },
            { parent: this },
        );

        // Each MCP server gets its own identity, trusted only for its own ServiceAccount, and may read only
        // the secrets it names: Key Vault RBAC accepts a role on one secret (scope .../vaults/<v>/secrets/<s>).
        // Microsoft advises a vault per application instead, except when secrets are shared between
        // applications, which is the case here (several servers may read the same LLM key).
        this.serverIdentities = {};
        for (const server of mcpServerList(cfg)) {
            const identity = new WorkloadIdentity(
                `${name}-${server.name}-identity`,
                {
                    resourceGroupName: group.name,
                    location: cfg.location,
                    identityName: serverAzureNames(stem, cfg.namespace, server.name).identity,
                    oidcIssuerUrl: cluster.oidcIssuerUrl,
                    subjects: [{ namespace: cfg.namespace, serviceAccount: mcpServerServiceAccount(server.name) }],
                    tags,
                },
                { parent: this },
            );
            const roles = server.apiKeys.map((key) =>
                scopedRoleAssignment(
                    `${name}-${server.name}-kv-${keyVaultSecretName(key)}`,
                    {
                        scope: vault.secrets[key].id,
                        principalId: identity.principalId,
                        principalType: "ServicePrincipal",
                        roleId: BUILT_IN_ROLES.keyVaultSecretsUser,
                        subscriptionId: client.subscriptionId,
                        description: `MCP server ${server.name} reads ${key}`,
                    },
                    { parent: this },
                ),
            );
            this.serverIdentities[server.name] = {
                clientId: identity.clientId,
                dependencies: [...identity.credentials, ...roles, ...server.apiKeys.map((key) => vault.secrets[key])],
            };
        }

        // The edge reads only its own secrets (and in keyVault mode the certificate, whose private key Key
        // Vault serves as the secret of the same name), never the servers' API keys.
        const edgeSecretScopes: Array<[string, pulumi.Input<string>]> = Object.entries(vault.namedSecrets).map(([secretName, secret]) => [secretName, secret.id]);
        if (cfg.edge.tls.mode === "keyVault") edgeSecretScopes.push([cfg.edge.tls.certificateName, pulumi.interpolate`${vault.id}/secrets/${cfg.edge.tls.certificateName}`]);
        const edgeRoles = edgeSecretScopes.map(([secretName, scope]) =>
            scopedRoleAssignment(
                `${name}-edge-kv-${secretName}`,
                {
                    scope,
                    principalId: edgeIdentity.principalId,
                    principalType: "ServicePrincipal",
                    roleId: BUILT_IN_ROLES.keyVaultSecretsUser,
                    subscriptionId: client.subscriptionId,
                    description: `MCP edge reads ${secretName}`,
                },
                { parent: this },
            ),
        );
        const adminRoles = clusterAdminGrants(`${name}-aks-admin`, {
            config: cfg,
            resourceGroupId: group.id,
            subscriptionId: client.subscriptionId,
            parent: this,
        });

        if (cfg.qdrant.backup.enabled) {
            const backup = new BackupStorage(
                `${name}-backup`,
                {
                    resourceGroupName: group.name,
                    location: cfg.location,
                    accountName: uniqueNames.apply((n) => n.storageAccount),
                    identityName: fixedNames.backupIdentity,
                    production: cfg.environment === "prod",
                    retentionDays: cfg.qdrant.backup.retentionDays,
                    oidcIssuerUrl: cluster.oidcIssuerUrl,
                    subject: { namespace: cfg.namespace, serviceAccount: QDRANT_BACKUP_SERVICE_ACCOUNT },
                    subscriptionId: client.subscriptionId,
                    tags,
                },
                { parent: this },
            );
            this.backup = {
                identityClientId: backup.identityClientId,
                accountName: backup.accountName,
                containerName: backup.containerName,
                blobEndpoint: backup.blobEndpoint,
                dependencies: backup.dependencies,
            };
        }

        this.kubeconfig = clusterKubeconfig({
            resourceGroupName: group.name,
            clusterName: cluster.name,
            clusterId: cluster.id,
            kubelogin: { mode: cfg.kubeloginMode },
        });
        // The grants exist minutes before the cluster does (see clusterAdminGrants). Should the cluster ever
        // be ready sooner than they propagate, the provider's kubeconfig is held back for the rest of the
        // documented window (first up only: see propagationWaitMs).
        const grantsPropagated = pulumi.all(adminRoles.map((r) => r.createdOn)).apply(async (createdOn) => {
            const ms = propagationWaitMs(createdOn, Date.now());
            if (ms > 0) {
                await pulumi.log.info(`Waiting ${Math.ceil(ms / 1000)} s for the new cluster admin grants to reach the AKS API server.`, this);
                await new Promise((resolve) => setTimeout(resolve, ms));
            }
            return true;
        });
        const providerKubeconfig = pulumi.all([this.kubeconfig, grantsPropagated]).apply(([kubeconfig]) => kubeconfig);
        this.provider = clusterProvider(`${name}-k8s`, pulumi.secret(providerKubeconfig), { parent: this, dependsOn: adminRoles });

        this.resourceGroupName = group.name;
        this.dataResourceGroupName = dataGroup.name;
        this.clusterName = cluster.name;
        this.oidcIssuerUrl = cluster.oidcIssuerUrl;
        this.registryLoginServer = registry.loginServer;
        this.serverImages = images.mcpServers;
        this.images = images.images;
        this.imagePullGrant = kubeletAcrPull;
        this.tenantId = client.tenantId;
        this.vaultName = vault.name;
        this.vaultUri = vault.uri;
        this.edgeIdentityClientId = edgeIdentity.clientId;
        this.entraClientId = app ? app.clientId : pulumi.output(cfg.edge.entra.existingAppId);
        this.edgeHasClientSecret = clientSecret !== undefined;
        this.edgeDependencies = [...edgeIdentity.credentials, ...edgeRoles, ...Object.values(vault.namedSecrets)];

        this.registerOutputs({
            resourceGroupName: this.resourceGroupName,
            dataResourceGroupName: this.dataResourceGroupName,
            clusterName: this.clusterName,
            oidcIssuerUrl: this.oidcIssuerUrl,
            registryLoginServer: this.registryLoginServer,
            edgeIdentityClientId: this.edgeIdentityClientId,
            entraClientId: this.entraClientId,
            vaultName: this.vaultName,
            vaultUri: this.vaultUri,
        });
    }
}
