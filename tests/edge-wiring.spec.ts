/**
 * The edge's wiring under mocks: its identity and Key Vault access, the app registration (created with
 * azuread, or taken from config), the secrets and what its rollout waits for, and its exposure per mode.
 */
import { strict as assert } from "assert";
import * as YAML from "yaml";
import { BUILT_IN_ROLES } from "../components/azure/role-assignment";
import { CLAUDE_CONNECTOR_REDIRECTS, LOOPBACK_REDIRECTS } from "../components/azure/entra-app";
import { VSCODE_CLIENT_ID } from "../components/entra";
import { DEFAULT_IMAGES } from "../components/config-defaults";
import { parseImageRef } from "../components/image";
import { EDGE_VAULT_SECRETS } from "../components/naming";
import { STACK_OUTPUTS } from "../components/client-config";
import { CapturedResource, Evaluation, evaluateStack, PLACEHOLDER } from "./harness";

const T = {
    uami: "azure-native:managedidentity:UserAssignedIdentity",
    fic: "azure-native:managedidentity:FederatedIdentityCredential",
    role: "azure-native:authorization:RoleAssignment",
    vault: "azure-native:keyvault:Vault",
    secret: "azure-native:keyvault:Secret",
    app: "azuread:index/application:Application",
    preAuthorized: "azuread:index/applicationPreAuthorized:ApplicationPreAuthorized",
    identifierUri: "azuread:index/applicationIdentifierUri:ApplicationIdentifierUri",
    password: "azuread:index/applicationPassword:ApplicationPassword",
    servicePrincipal: "azuread:index/servicePrincipal:ServicePrincipal",
    deployment: "kubernetes:apps/v1:Deployment",
    service: "kubernetes:core/v1:Service",
    serviceAccount: "kubernetes:core/v1:ServiceAccount",
    configMap: "kubernetes:core/v1:ConfigMap",
    policy: "kubernetes:networking.k8s.io/v1:NetworkPolicy",
    spc: "kubernetes:secrets-store.csi.x-k8s.io/v1:SecretProviderClass",
};

const EXISTING_APP = "5d5c3f5e-1111-4222-8333-944445555666";

function gatewayConfig(ev: Evaluation): any {
    return YAML.parse(ev.one(T.configMap, "mcp-edge-config").inputs.data["config.yaml"]);
}

function secretNamed(ev: Evaluation, name: string): CapturedResource | undefined {
    return ev.ofType(T.secret).find((s) => s.inputs.secretName === name);
}

// dev carries the wiring tests; prod's differences (replicas, keyVault exposure) are checked below.
for (const stack of ["dev"] as const) {
    describe(`edge wiring under mocks (${stack})`, function () {
        let ev: Evaluation;
        before(async () => {
            ev = await evaluateStack(stack);
        });

        it("runs the in-ACR copy of images.agentgateway, by the same digest", () => {
            const image = ev.one(T.deployment, "mcp-edge").inputs.spec.template.spec.containers[0].image;
            const ref = parseImageRef(image);
            assert.match(ref.host, /\.azurecr\.io$/);
            assert.equal(ref.digest, parseImageRef(DEFAULT_IMAGES.agentgateway).digest);
            assert.match(image, /@sha256:[0-9a-f]{64}$/);
        });

        it("has its own identity: the federated subject is the ServiceAccount the edge pods run as", () => {
            const deployment = ev.one(T.deployment, "mcp-edge");
            const sa = deployment.inputs.spec.template.spec.serviceAccountName;
            const ns = deployment.inputs.metadata.namespace;
            const uami = ev.ofType(T.uami).find((u) => String(u.inputs.resourceName).endsWith("-edge"))!;
            const fic = ev.ofType(T.fic).find((f) => f.inputs.resourceName === uami.inputs.resourceName)!;
            assert.equal(fic.inputs.subject, `system:serviceaccount:${ns}:${sa}`);
            assert.equal(fic.inputs.issuer, PLACEHOLDER.oidcIssuer);
            const account = ev.ofType(T.serviceAccount).find((s) => s.inputs.metadata.name === sa)!;
            assert.equal(account.inputs.metadata.annotations["azure.workload.identity/client-id"], PLACEHOLDER.edgeIdentityClientId);
            assert.equal(deployment.inputs.spec.template.metadata.labels["azure.workload.identity/use"], "true");
        });

        it("reads only its own secrets: Key Vault Secrets User for its identity, one per secret, scoped to that secret", () => {
            const roles = ev.ofType(T.role).filter((r) => r.inputs.principalId === PLACEHOLDER.edgeIdentityPrincipalId);
            const own = Object.values(EDGE_VAULT_SECRETS).map((n) => secretNamed(ev, n)!.id);
            assert.deepEqual(roles.map((r) => r.inputs.scope).sort(), own.sort(), "never the vault, never an API key");
            for (const r of roles) assert.ok(String(r.inputs.roleDefinitionId).endsWith(BUILT_IN_ROLES.keyVaultSecretsUser));
        });

        it("the session key is 32 random bytes in Key Vault, mounted by CSI into the env agentgateway reads", () => {
            const key = secretNamed(ev, EDGE_VAULT_SECRETS.sessionKey)!;
            assert.match(key.inputs.properties.value, /^[0-9a-f]{64}$/);
            const spc = ev.one(T.spc, "mcp-edge-keyvault").inputs.spec;
            const objects = YAML.parse(spc.parameters.objects).array.map((o: string) => YAML.parse(o));
            assert.ok(objects.some((o: any) => o.objectName === EDGE_VAULT_SECRETS.sessionKey && o.objectAlias === "SESSION_KEY"));
            assert.equal(spc.parameters.clientID, PLACEHOLDER.edgeIdentityClientId, "the CSI driver reads as the edge identity");
            const env = ev.one(T.deployment, "mcp-edge").inputs.spec.template.spec.containers[0].env;
            assert.deepEqual(env.find((e: any) => e.name === "SESSION_KEY").valueFrom.secretKeyRef, { name: spc.secretObjects[0].secretName, key: "SESSION_KEY" });
        });

        it("the first edge rollout waits for its credential, its vault role, its secrets and its NetworkPolicy", () => {
            const deps = new Set(ev.one(T.deployment, "mcp-edge").dependencies);
            const uami = ev.ofType(T.uami).find((u) => String(u.inputs.resourceName).endsWith("-edge"))!;
            assert.ok(deps.has(ev.ofType(T.fic).find((f) => f.inputs.resourceName === uami.inputs.resourceName)!.urn), "federated credential");
            for (const r of ev.ofType(T.role).filter((x) => x.inputs.principalId === PLACEHOLDER.edgeIdentityPrincipalId)) assert.ok(deps.has(r.urn), `vault role ${r.name}`);
            for (const name of Object.values(EDGE_VAULT_SECRETS)) assert.ok(deps.has(secretNamed(ev, name)!.urn), name);
            assert.ok(deps.has(ev.one(T.policy, "mcp-edge").urn), "its NetworkPolicy");
        });

        it("creates the app registration: Claude connector and loopback redirects, v2 tokens, VS Code pre-authorized", () => {
            const app = ev.one(T.app);
            assert.deepEqual(app.inputs.web.redirectUris, CLAUDE_CONNECTOR_REDIRECTS);
            assert.ok(CLAUDE_CONNECTOR_REDIRECTS.includes("https://claude.ai/api/mcp/auth_callback"));
            assert.deepEqual(app.inputs.publicClient.redirectUris, LOOPBACK_REDIRECTS);
            assert.equal(app.inputs.api.requestedAccessTokenVersion, 2);
            const [scope] = app.inputs.api.oauth2PermissionScopes;
            assert.equal(scope.value, "mcp.access");
            const pre = ev.one(T.preAuthorized);
            assert.equal(pre.inputs.authorizedClientId, VSCODE_CLIENT_ID);
            assert.deepEqual(pre.inputs.permissionIds, [scope.id], "VS Code is pre-authorized for the API's own scope");
            assert.deepEqual(app.inputs.appRoles.map((r: any) => r.value), ["mcp.all", "mcp.docs"]);
            assert.equal(new Set(app.inputs.appRoles.map((r: any) => r.id)).size, 2, "distinct role ids");
            assert.equal(ev.one(T.identifierUri).inputs.identifierUri, `api://${PLACEHOLDER.entraAppClientId}`);
            assert.equal(ev.one(T.servicePrincipal).inputs.clientId, PLACEHOLDER.entraAppClientId);
        });

        it("the edge validates tokens for that app, and its client secret reaches the vault, not the config", () => {
            const auth = gatewayConfig(ev).binds[0].listeners[0].routes[0].policies.mcpAuthentication;
            assert.equal(auth.clientId, PLACEHOLDER.entraAppClientId);
            assert.ok(auth.audiences.includes(PLACEHOLDER.entraAppClientId));
            assert.equal(auth.issuer, `https://login.microsoftonline.com/${PLACEHOLDER.tenantId}/v2.0`);
            assert.equal(auth.clientSecret, "${ENTRA_CLIENT_SECRET}");
            const secret = secretNamed(ev, EDGE_VAULT_SECRETS.clientSecret)!;
            assert.ok(secret.dependencies.includes(ev.one(T.password).urn), "the vault secret is the generated password");
            assert.ok(!JSON.stringify(ev.one(T.configMap, "mcp-edge-config").inputs).includes(PLACEHOLDER.fakeSecret));
        });

        it("private: the edge Service is ClusterIP and no Service in the stack is a LoadBalancer", () => {
            assert.equal(ev.config.edge.tls.mode, "private");
            assert.equal(ev.one(T.service, "mcp-edge").inputs.spec.type, "ClusterIP");
            assert.deepEqual(ev.ofType(T.service).filter((s) => s.inputs.spec.type === "LoadBalancer"), []);
            assert.equal(ev.one(T.service, "docs-mcp").inputs.spec.type, "ClusterIP");
        });

        it("outputs the edge and one localhost URL per server, which the client documents use", () => {
            const edge = ev.outputs[STACK_OUTPUTS.edge] as any;
            assert.deepEqual({ exposure: edge.exposure, service: edge.service, port: edge.port, baseUrl: edge.baseUrl }, { exposure: "private", service: "mcp-edge", port: 8080, baseUrl: "http://localhost:8080" });
            assert.deepEqual(edge.urls, { docs: "http://localhost:8080/mcp/docs" });
            const mcpJson = ev.outputs[STACK_OUTPUTS.mcpJson] as any;
            assert.deepEqual(Object.values(mcpJson.mcpServers).map((e: any) => e.url), ["http://localhost:8080/mcp/docs"]);
        });
    });
}

describe("edge wiring: owners of the app registration", () => {
    it("are the configured CI service principal and admin users, so CI with Application.ReadWrite.OwnedBy can update it", async () => {
        const ci = "0c0c0c0c-1111-4222-8333-444444444444";
        const user = "0e0e0e0e-1111-4222-8333-444444444444";
        const group = "0d0d0d0d-1111-4222-8333-444444444444";
        const ev = await evaluateStack("dev", { overrides: { "mcp-aks:access": JSON.stringify({ adminGroups: [group], ciServicePrincipal: ci, adminUsers: [user] }) } });
        assert.deepEqual(ev.one(T.app).inputs.owners, [ci, user], "groups cannot own an app; the CI principal and the users do");
        const groupsOnly = await evaluateStack("dev", { overrides: { "mcp-aks:access": JSON.stringify({ adminGroups: [group] }) } });
        assert.equal(groupsOnly.one(T.app).inputs.owners, undefined, "no owners configured: Graph's default (the creator)");
    });
});

describe("edge wiring: an existing app registration", () => {
    it("declares no azuread resource and validates tokens for the configured app id; no client secret unless set", async () => {
        const ev = await evaluateStack("dev", { overrides: { "mcp-aks:edge": JSON.stringify({ entra: { existingAppId: EXISTING_APP } }) } });
        assert.deepEqual(ev.resources.filter((r) => r.type.startsWith("azuread:")), []);
        const auth = gatewayConfig(ev).binds[0].listeners[0].routes[0].policies.mcpAuthentication;
        assert.equal(auth.clientId, EXISTING_APP);
        assert.ok(auth.audiences.includes(`api://${EXISTING_APP}`));
        assert.equal(auth.clientSecret, undefined);
        assert.equal(secretNamed(ev, EDGE_VAULT_SECRETS.clientSecret), undefined);
        assert.equal(ev.outputs.entraClientId, EXISTING_APP);
        const mcp = ev.outputs.mcpJson as { mcpServers: Record<string, { oauth?: { clientId: string } }> };
        assert.deepEqual(Object.values(mcp.mcpServers).map((s) => s.oauth?.clientId), [EXISTING_APP], "Claude Code signs in with the configured app");
        assert.equal((ev.outputs.edge as { clientId: string }).clientId, EXISTING_APP);
    });
});

describe("edge wiring: keyVault TLS on a custom domain", () => {
    it("a LoadBalancer with the raised idle timeout and the source ranges, HTTPS on 443, the certificate mounted", async () => {
        const ev = await evaluateStack("prod", {
            overrides: {
                // prod's own ranges for the API server stay from Pulumi.prod.yaml.
                "mcp-aks:edge": JSON.stringify({ tls: { mode: "keyVault", hostname: "mcp.example.com", certificateName: "mcp-tls" }, sourceRanges: ["198.51.100.0/24"] }),
            },
        });
        const svc = ev.one(T.service, "mcp-edge").inputs;
        assert.equal(svc.spec.type, "LoadBalancer");
        assert.deepEqual(svc.spec.ports.map((p: any) => p.port), [443]);
        assert.equal(svc.metadata.annotations["service.beta.kubernetes.io/azure-load-balancer-tcp-idle-timeout"], String(ev.config.edge.idleTimeoutMinutes));
        assert.ok(ev.config.edge.idleTimeoutMinutes * 60 > 300, "longer than a tool call");
        assert.deepEqual(svc.spec.loadBalancerSourceRanges, ["198.51.100.0/24"]);
        assert.equal(svc.spec.sessionAffinity, undefined, "sealed sessions need no client-IP affinity");
        const objects = YAML.parse(ev.one(T.spc, "mcp-edge-keyvault").inputs.spec.parameters.objects).array.map((o: string) => YAML.parse(o));
        assert.ok(objects.some((o: any) => o.objectName === "mcp-tls" && o.objectType === "secret" && o.objectAlias === "tls.pem"));
        assert.equal(gatewayConfig(ev).binds[0].listeners[0].protocol, "HTTPS");
        assert.ok(ev.one("kubernetes:autoscaling/v2:HorizontalPodAutoscaler", "mcp-edge").inputs.spec.minReplicas >= 2, "prod runs at least two edge replicas");
        const edge = ev.outputs[STACK_OUTPUTS.edge] as any;
        assert.equal(edge.address, PLACEHOLDER.loadBalancerIp);
        assert.deepEqual(edge.urls, { docs: "https://mcp.example.com/mcp/docs" });
        // The certificate's secret is readable by the edge, and by nothing else new.
        const certRole = ev.ofType(T.role).find((r) => r.inputs.principalId === PLACEHOLDER.edgeIdentityPrincipalId && String(r.inputs.scope).endsWith("/secrets/mcp-tls"));
        assert.ok(certRole, "the edge may read its certificate");
    });
});
