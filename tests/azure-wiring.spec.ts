/**
 * The Azure layer's wiring under mocks: which output feeds which input, which resource waits for which.
 * Values come from the simulated cloud in harness.ts, so each assertion follows a real data path.
 */
import { strict as assert } from "assert";
import { BUILT_IN_ROLES } from "../components/azure/role-assignment";
import { ALWAYS_REGISTERED, REQUIRED_PROVIDERS } from "../components/azure/resource-providers";
import { roleAssignmentName } from "../components/naming";
import { mcpServerServiceAccount, TOKEN_EXCHANGE_AUDIENCE } from "../components/workload-identity";
import { CapturedResource, Evaluation, dependencyClosure, evaluateConfig, evaluateStack, PLACEHOLDER } from "./harness";
import { configFor, key } from "./fixtures";

const T = {
    cluster: "azure-native:containerservice:ManagedCluster",
    registry: "azure-native:containerregistry:Registry",
    vault: "azure-native:keyvault:Vault",
    secret: "azure-native:keyvault:Secret",
    uami: "azure-native:managedidentity:UserAssignedIdentity",
    fic: "azure-native:managedidentity:FederatedIdentityCredential",
    role: "azure-native:authorization:RoleAssignment",
    deployment: "kubernetes:apps/v1:Deployment",
    serviceAccount: "kubernetes:core/v1:ServiceAccount",
    k8sProvider: "pulumi:providers:kubernetes",
};

/**
 * The Azure resource provider behind each azure-native module the program uses. An unknown module fails the
 * test below, so a new kind of resource cannot reach a subscription whose provider nobody checks.
 */
const PROVIDER_OF_MODULE: Record<string, string> = {
    resources: "Microsoft.Resources",
    authorization: "Microsoft.Authorization",
    containerservice: "Microsoft.ContainerService",
    containerregistry: "Microsoft.ContainerRegistry",
    keyvault: "Microsoft.KeyVault",
    managedidentity: "Microsoft.ManagedIdentity",
    operationalinsights: "Microsoft.OperationalInsights",
    insights: "Microsoft.Insights",
    alertsmanagement: "Microsoft.AlertsManagement",
    storage: "Microsoft.Storage",
    consumption: "Microsoft.Consumption",
    policyinsights: "Microsoft.PolicyInsights",
};
/** azure-native's `monitor` module mixes two providers: data collection lives in Microsoft.Insights. */
function providerOf(type: string): string | undefined {
    const [, module, kind] = type.split(":");
    if (module === "monitor") return kind.startsWith("DataCollection") ? "Microsoft.Insights" : "Microsoft.Monitor";
    return PROVIDER_OF_MODULE[module];
}

/** The MCP server's identity and its federated credential (the backup has an identity of its own). */
function mcpIdentity(ev: Evaluation): CapturedResource {
    const found = ev.ofType(T.uami).filter((u) => u.inputs.resourceName === `id-mcp-${ev.config.stack}-docs-mcp`);
    assert.equal(found.length, 1);
    return found[0];
}

function mcpFic(ev: Evaluation): CapturedResource {
    const found = ev.ofType(T.fic).filter((f) => f.inputs.resourceName === mcpIdentity(ev).inputs.resourceName);
    assert.equal(found.length, 1);
    return found[0];
}

function roleFor(ev: Evaluation, roleId: string): CapturedResource {
    const found = ev.ofType(T.role).filter((r) => String(r.inputs.roleDefinitionId).endsWith(`/roleDefinitions/${roleId}`));
    assert.equal(found.length, 1, `expected one assignment of role ${roleId}`);
    return found[0];
}

for (const stack of ["dev", "prod"] as const) {
    describe(`Azure wiring under mocks (${stack})`, function () {
        let ev: Evaluation;
        before(async () => {
            ev = await evaluateStack(stack);
        });

        it("the federated credential trusts the cluster's own OIDC issuer, with the token-exchange audience", () => {
            const fic = mcpFic(ev);
            assert.equal(fic.inputs.issuer, PLACEHOLDER.oidcIssuer, "issuer must be the ManagedCluster's oidcIssuerProfile.issuerURL output");
            assert.deepEqual(fic.inputs.audiences, [TOKEN_EXCHANGE_AUDIENCE]);
            assert.ok(fic.dependencies.includes(ev.one(T.cluster).urn), "the credential must wait for the cluster's issuer");
            assert.equal(fic.inputs.resourceName, mcpIdentity(ev).inputs.resourceName, "credential belongs to the MCP identity");
        });

        it("the federated credential's subject is the ServiceAccount the MCP pods actually run as", () => {
            const deployment = ev.one(T.deployment, "docs-mcp");
            const podSa = deployment.inputs.spec.template.spec.serviceAccountName;
            const namespace = deployment.inputs.metadata.namespace;
            assert.equal(podSa, mcpServerServiceAccount("docs"));
            const sa = ev.ofType(T.serviceAccount).find((s) => s.inputs.metadata.name === podSa && s.inputs.metadata.namespace === namespace);
            assert.ok(sa, `the Deployment's ServiceAccount ${namespace}/${podSa} is declared`);
            assert.equal(mcpFic(ev).inputs.subject, `system:serviceaccount:${namespace}:${podSa}`);
            assert.equal(sa.inputs.metadata.annotations["azure.workload.identity/client-id"], PLACEHOLDER.identityClientId, "the SA names the identity the credential belongs to");
            assert.equal(sa.inputs.metadata.annotations["azure.workload.identity/tenant-id"], PLACEHOLDER.tenantId);
        });

        it("AcrPull goes to the kubelet identity, scoped to the registry", () => {
            const role = roleFor(ev, BUILT_IN_ROLES.acrPull);
            assert.equal(role.inputs.scope, ev.one(T.registry).id);
            assert.equal(role.inputs.principalId, PLACEHOLDER.kubeletObjectId);
            assert.equal(role.inputs.principalType, "ServicePrincipal");
        });

        it("every pod-running object waits for the kubelet's AcrPull grant (a first pull must not race it)", () => {
            const role = roleFor(ev, BUILT_IN_ROLES.acrPull);
            const runners = ev.resources.filter((r) => /^kubernetes:(apps\/v1:(Deployment|StatefulSet)|batch\/v1:(Job|CronJob))$/.test(r.type));
            assert.ok(runners.length >= 4, `found ${runners.length}`);
            for (const r of runners) assert.ok(dependencyClosure(ev, r).has(role.urn), `${r.type} ${r.name} waits for AcrPull`);
        });

        it("Key Vault Secrets User goes to the server's identity, once per secret it reads, scoped to that secret", () => {
            const roles = ev
                .ofType(T.role)
                .filter((r) => String(r.inputs.roleDefinitionId).endsWith(`/roleDefinitions/${BUILT_IN_ROLES.keyVaultSecretsUser}`) && r.inputs.principalId === PLACEHOLDER.identityPrincipalId);
            // The API keys; the edge's own secrets are read only by the edge (edge-wiring.spec.ts).
            const secrets = ev.ofType(T.secret).filter((s) => s.inputs.tags?.envVar);
            assert.deepEqual(roles.map((r) => r.inputs.scope).sort(), secrets.map((s) => s.id).sort(), "one role per secret, on the secret itself");
            for (const role of roles) {
                assert.notEqual(role.inputs.scope, ev.one(T.vault).id, "never the whole vault");
                assert.equal(role.inputs.principalId, PLACEHOLDER.identityPrincipalId);
                assert.equal(role.inputs.principalType, "ServicePrincipal");
            }
        });

        it("cluster admins come from config, on the resource group, and the Kubernetes provider waits for them", () => {
            const admins = ev.ofType(T.role).filter((r) => String(r.inputs.roleDefinitionId).endsWith(`/roleDefinitions/${BUILT_IN_ROLES.aksRbacClusterAdmin}`));
            assert.deepEqual(
                admins.map((r) => [r.inputs.principalId, r.inputs.principalType]),
                [[PLACEHOLDER.adminGroupObjectId, "Group"]],
            );
            const rg = ev.one("azure-native:resources:ResourceGroup", "platform-rg");
            for (const r of admins) {
                assert.equal(r.inputs.scope, rg.id, "granted on the resource group, which exists minutes before the cluster");
                assert.ok(!r.dependencies.includes(ev.one(T.cluster).urn), "the grant must not wait for the cluster: it propagates while AKS is created");
                assert.notEqual(r.inputs.principalId, PLACEHOLDER.deployerObjectId, "never the principal running pulumi up");
            }
            const provider = ev.one(T.k8sProvider);
            for (const r of admins) assert.ok(provider.dependencies.includes(r.urn), "no Kubernetes call before the grants exist");
            assert.deepEqual(ev.one(T.cluster).inputs.aadProfile.adminGroupObjectIDs, [PLACEHOLDER.adminGroupObjectId]);
        });

        it("every role assignment has a principalType and a deterministic GUID name", () => {
            const roles = ev.ofType(T.role);
            // AcrPull, AKS admin (one placeholder admin group), the backup's Storage Blob Data Contributor, the control
            // plane's Contributor on the data group, and one Secrets User per secret (the servers' API keys, the edge's session key and client secret).
            assert.equal(roles.length, 4 + ev.ofType(T.secret).length);
            const rg = ev.one("azure-native:resources:ResourceGroup", "platform-rg").id;
            const dataGroup = ev.one("azure-native:resources:ResourceGroup", "platform-data-rg");
            for (const r of roles) {
                assert.ok(r.inputs.principalType, r.name);
                assert.equal(r.inputs.roleAssignmentName, roleAssignmentName(r.inputs.scope, r.inputs.principalId, r.inputs.roleDefinitionId), r.name);
                // One resource, the group dedicated to Qdrant's disks, or (cluster admins only, see above) the
                // stack's own group; never the subscription.
                const admin = r.inputs.roleDefinitionId.endsWith(BUILT_IN_ROLES.aksRbacClusterAdmin);
                assert.ok(/\/providers\/Microsoft\./.test(r.inputs.scope) || r.inputs.scope === dataGroup.id || (admin && r.inputs.scope === rg), `${r.name} is scoped to one resource or the data group`);
            }
        });

        it("every Azure resource type's provider is checked by preflight (or always registered)", () => {
            const checked = new Set<string>([...REQUIRED_PROVIDERS.map((p) => p.namespace), ...ALWAYS_REGISTERED]);
            const types = [...new Set(ev.resources.filter((r) => r.type.startsWith("azure-native:")).map((r) => r.type))];
            assert.ok(types.length >= 10);
            for (const t of types) {
                const provider = providerOf(t);
                assert.ok(provider, `${t}: add its module's resource provider to PROVIDER_OF_MODULE`);
                assert.ok(checked.has(provider), `${t} needs ${provider}: add it to REQUIRED_PROVIDERS (components/azure/resource-providers.ts)`);
            }
        });

        it("ACR: admin user and anonymous pull off", () => {
            const acr = ev.one(T.registry);
            assert.equal(acr.inputs.adminUserEnabled, false);
            assert.equal(acr.inputs.anonymousPullEnabled, false);
            assert.equal(acr.inputs.sku.name, ev.config.registry.sku);
            assert.match(acr.inputs.registryName, new RegExp(`${PLACEHOLDER.randomSuffix}$`));
        });

        it("Key Vault: RBAC mode, soft delete, a random suffix, one secret per API key and the edge's secrets", () => {
            const vault = ev.one(T.vault);
            assert.equal(vault.inputs.properties.enableRbacAuthorization, true);
            assert.equal(vault.inputs.properties.enableSoftDelete, true);
            assert.equal(vault.inputs.properties.tenantId, PLACEHOLDER.tenantId);
            assert.match(vault.inputs.vaultName, new RegExp(`^kv-mcp-${stack}-${PLACEHOLDER.randomSuffix}$`));
            const secrets = ev.ofType(T.secret);
            assert.deepEqual(secrets.map((s) => s.inputs.secretName).sort(), ["anthropic-api-key", "edge-entra-client-secret", "edge-session-key", "openai-api-key", "tavily-api-key"]);
            for (const s of secrets) assert.equal(s.inputs.vaultName, vault.inputs.vaultName);
        });

        it("the Kubernetes provider uses the converted, non-interactive kubeconfig", () => {
            const provider = ev.one(T.k8sProvider);
            assert.match(provider.inputs.kubeconfig, /--login\s*\n?\s*- azurecli|azurecli/);
            assert.ok(!provider.inputs.kubeconfig.includes("devicecode"));
            assert.ok(ev.invokes.includes("azure-native:containerservice:listManagedClusterUserCredentials"));
        });

        it("the MCP Deployment waits for its federated credential, its Key Vault roles and its secrets", () => {
            const deps = new Set(ev.one(T.deployment, "docs-mcp").dependencies);
            assert.ok(deps.has(mcpFic(ev).urn), "federated credential");
            for (const r of ev.ofType(T.role).filter((x) => x.inputs.principalId === PLACEHOLDER.identityPrincipalId)) assert.ok(deps.has(r.urn), `role ${r.name}`);
            for (const s of ev.ofType(T.secret).filter((x) => x.inputs.tags?.envVar)) assert.ok(deps.has(s.urn), `secret ${s.inputs.secretName}`);
        });

        it("nothing waits behind AKS creation except what needs the cluster", () => {
            const cluster = ev.one(T.cluster).urn;
            for (const type of [T.registry, T.vault, T.secret, T.uami, "azure-native:operationalinsights:Workspace"]) {
                for (const r of ev.ofType(type)) assert.ok(!r.dependencies.includes(cluster), `${r.type} ${r.name} waits for the cluster`);
            }
        });

        it("the kubeconfig output is a secret", async () => {
            const isSecret = await (ev.rawOutputs.kubeconfig as any).isSecret;
            assert.equal(isSecret, true);
            assert.equal(typeof ev.outputs.kubeconfig, "string");
        });

        it("exports what later layers and users need", () => {
            for (const key of ["resourceGroupName", "clusterName", "oidcIssuerUrl", "acrLoginServer", "serverIdentityClientIds", "keyVaultName", "keyVaultUri", "kubeconfig"]) {
                assert.ok(ev.outputs[key], `output ${key}`);
            }
            assert.equal(ev.outputs.oidcIssuerUrl, PLACEHOLDER.oidcIssuer);
            assert.deepEqual(ev.outputs.serverIdentityClientIds, { docs: PLACEHOLDER.identityClientId });
        });
    });
}

describe("Azure: prod differs from dev where intended", () => {
    let dev: Evaluation;
    let prod: Evaluation;
    before(async () => {
        dev = await evaluateStack("dev");
        prod = await evaluateStack("prod");
    });

    it("purge protection and protect only in prod", () => {
        assert.equal(dev.one(T.vault).inputs.properties.enablePurgeProtection, undefined, "Azure rejects an explicit false");
        assert.equal(prod.one(T.vault).inputs.properties.enablePurgeProtection, true);
        assert.equal(dev.one(T.vault).protect, false);
        assert.equal(prod.one(T.vault).protect, true);
    });

    it("managed Prometheus only in prod", () => {
        assert.equal(dev.ofType("azure-native:monitor:AzureMonitorWorkspace").length, 0);
        assert.equal(prod.ofType("azure-native:monitor:AzureMonitorWorkspace").length, 1);
        const promRule = prod.ofType("azure-native:monitor:DataCollectionRule").find((r) => r.inputs.dataSources?.prometheusForwarder);
        assert.ok(promRule);
    });

    it("both stacks collect Container Insights through a rule associated with the cluster", () => {
        for (const ev of [dev, prod]) {
            const assoc = ev.ofType("azure-native:monitor:DataCollectionRuleAssociation").find((a) => a.inputs.associationName === "ContainerInsightsExtension");
            assert.ok(assoc);
            assert.equal(assoc.inputs.resourceUri, ev.one(T.cluster).id);
        }
    });
});

describe("first preview of a new stack (pitfall 2)", () => {
    it("evaluates without looking up credentials of a cluster that does not exist yet", async () => {
        const ev = await evaluateStack("dev", { preview: true });
        assert.ok(!ev.invokes.includes("azure-native:containerservice:listManagedClusterUserCredentials"));
        assert.ok(ev.ofType(T.deployment).length > 0, "the workloads still preview");
    });
});

describe("cluster admins do not follow whoever runs pulumi up (issue 8)", () => {
    const group = "0a1b2c3d-0000-4000-8000-00000000000a";
    const ci = "0a1b2c3d-0000-4000-8000-00000000000b";
    const user = "0a1b2c3d-0000-4000-8000-00000000000c";
    const access = (a: object) => ({ [key("access")]: JSON.stringify(a) });

    async function grants(config = configFor("dev", access({ adminGroups: [group], ciServicePrincipal: ci, adminUsers: [user] }))) {
        const ev = await evaluateConfig(config);
        return ev
            .ofType(T.role)
            .filter((r) => String(r.inputs.roleDefinitionId).endsWith(`/roleDefinitions/${BUILT_IN_ROLES.aksRbacClusterAdmin}`))
            .map((r) => ({ name: r.name, principalId: r.inputs.principalId, principalType: r.inputs.principalType, assignment: r.inputs.roleAssignmentName }));
    }

    it("grants each configured group, CI principal and user its own assignment, with its principal type", async () => {
        const found = await grants();
        assert.deepEqual(
            found.map((g) => [g.principalId, g.principalType]),
            [
                [group, "Group"],
                [ci, "ServicePrincipal"],
                [user, "User"],
            ],
        );
    });

    it("reordering the lists changes no resource name and no assignment", async () => {
        const a = await grants(configFor("dev", access({ adminGroups: [group, ci], adminUsers: [user] })));
        const b = await grants(configFor("dev", access({ adminGroups: [ci, group], adminUsers: [user] })));
        const byName = (list: typeof a) => Object.fromEntries(list.map((g) => [g.name, g.assignment]));
        assert.deepEqual(byName(a), byName(b));
    });
});
