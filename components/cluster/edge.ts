/**
 * The edge: one agentgateway Deployment per stack, the only way into the MCP servers. It terminates TLS
 * (keyVault mode), demands an Entra ID token on every MCP route (401 with the resource_metadata challenge
 * otherwise), and routes `/mcp/<server>` to each server's ClusterIP Service with sessions sealed by a
 * shared key, so any replica serves any session.
 */
import * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";
import type { StackConfig } from "../config";
import { edgeSettings } from "./specs";
import { EdgeRouteTarget, edgeGatewayConfig, edgeServerUrl, renderEdgeGatewayConfig } from "./specs/edge-gateway";
import {
    edgeConfigChecksum,
    edgeConfigMapManifest,
    edgeDeploymentManifest,
    edgeHorizontalPodAutoscalerManifest,
    edgePodDisruptionBudgetManifest,
    edgePolicyManifest,
    edgePublicBaseUrl,
    edgeSecretProviderClassManifest,
    edgeServiceAccountManifest,
    edgeServiceManifest,
} from "./specs/edge";
import { acmeClaimManifest, acmeConfigMapManifest } from "./specs/edge-acme";

export interface EdgeArgs {
    /** The validated stack config (namespace, edge, cluster zones). */
    readonly config: StackConfig;
    /** The MCP servers to route to: `/mcp/<name>` goes to `<serviceName>:<port>`. */
    readonly routes: readonly EdgeRouteTarget[];
    /** Pinned agentgateway image reference (in the stack's ACR). */
    readonly image: pulumi.Input<string>;
    /** Pinned Caddy image reference (in the stack's ACR), run in letsEncrypt mode; default: upstream `images.caddy`. */
    readonly acmeImage?: pulumi.Input<string>;
    /** Client id of the managed identity the edge pods federate to (Key Vault reads). */
    readonly identityClientId: pulumi.Input<string>;
    /** Entra tenant of that identity, of the vault and of the app registration. */
    readonly tenantId: pulumi.Input<string>;
    /** The Key Vault holding the session key, the client secret and the TLS certificate. */
    readonly vaultName: pulumi.Input<string>;
    /** Application (client) id of the app registration MCP clients sign in to. */
    readonly entraClientId: pulumi.Input<string>;
    /** Whether the vault holds a client secret of that app (edge-entra-client-secret). */
    readonly hasClientSecret: boolean;
    /** What every object waits for: the namespace and the network policies. */
    readonly dependsOn: pulumi.Input<pulumi.Resource>[];
    /** What the first rollout also waits for: the federated credential, the vault role and the secrets. */
    readonly rolloutDependencies: pulumi.Input<pulumi.Resource>[];
}

export class Edge extends pulumi.ComponentResource {
    readonly serviceName: pulumi.Output<string>;
    /** The rendered agentgateway config (no secrets: they are `${VAR}` references). */
    readonly gatewayConfig: pulumi.Output<string>;
    /** One URL per MCP server, `<base>/mcp/<server>`. */
    readonly serverUrls: Record<string, string>;
    /** The load balancer's address in keyVault mode (point the DNS name at it); "" otherwise. */
    readonly loadBalancerAddress: pulumi.Output<string>;
    /** What callers wait for before they use the edge: its rollout and its Service (with its address). */
    readonly rollout: pulumi.Resource[];

    constructor(name: string, args: EdgeArgs, opts?: pulumi.ComponentResourceOptions) {
        super("mcp-aks:cluster:Edge", name, {}, opts);
        const cfg = args.config;
        const inNamespace = { parent: this, dependsOn: args.dependsOn };
        const publicBaseUrl = edgePublicBaseUrl(cfg);

        const gatewayYaml = pulumi.all([args.tenantId, args.entraClientId]).apply(([tenantId, clientId]) =>
            renderEdgeGatewayConfig(edgeGatewayConfig(edgeSettings(cfg, args.routes, { tenantId, clientId, hasClientSecret: args.hasClientSecret }))),
        );

        const serviceAccount = new k8s.core.v1.ServiceAccount(
            `${name}-service-account`,
            edgeServiceAccountManifest(cfg, { clientId: args.identityClientId, tenantId: args.tenantId }),
            inNamespace,
        );
        const configMap = new k8s.core.v1.ConfigMap(`${name}-config`, edgeConfigMapManifest(cfg, gatewayYaml), inNamespace);
        const secretProviderClass = new k8s.apiextensions.CustomResource(
            `${name}-secret-provider-class`,
            edgeSecretProviderClassManifest(cfg, { clientId: args.identityClientId, tenantId: args.tenantId, vaultName: args.vaultName }, args.hasClientSecret),
            inNamespace,
        );
        const policy = new k8s.networking.v1.NetworkPolicy(`${name}-network-policy`, edgePolicyManifest(cfg, args.routes), inNamespace);
        // letsEncrypt mode: Caddy's config and the share that keeps its ACME state across pods and restarts.
        const acme =
            cfg.edge.tls.mode === "letsEncrypt"
                ? [
                      new k8s.core.v1.ConfigMap(`${name}-acme-config`, acmeConfigMapManifest(cfg), inNamespace),
                      new k8s.core.v1.PersistentVolumeClaim(`${name}-acme-claim`, acmeClaimManifest(cfg), inNamespace),
                  ]
                : [];
        const deployment = new k8s.apps.v1.Deployment(
            `${name}-deployment`,
            edgeDeploymentManifest<pulumi.Input<string>>(cfg, args.image, gatewayYaml.apply((yaml) => edgeConfigChecksum(cfg, yaml)), args.hasClientSecret, args.acmeImage),
            {
                parent: this,
                // The CSI mount fails without the federated credential, the vault role and the secrets, and
                // pods must never run before their NetworkPolicy exists.
                dependsOn: [...args.dependsOn, ...args.rolloutDependencies, serviceAccount, configMap, secretProviderClass, policy, ...acme],
            },
        );
        const service = new k8s.core.v1.Service(`${name}-service`, edgeServiceManifest(cfg), inNamespace);
        new k8s.policy.v1.PodDisruptionBudget(`${name}-pdb`, edgePodDisruptionBudgetManifest(cfg), inNamespace);
        new k8s.autoscaling.v2.HorizontalPodAutoscaler(`${name}-hpa`, edgeHorizontalPodAutoscalerManifest(cfg), { parent: this, dependsOn: [...args.dependsOn, deployment] });

        this.rollout = [deployment, service];
        this.serviceName = service.metadata.name;
        this.gatewayConfig = gatewayYaml;
        this.serverUrls = Object.fromEntries(args.routes.map((r) => [r.name, edgeServerUrl(publicBaseUrl, r.name)]));
        this.loadBalancerAddress = service.status.apply((s) => {
            const ingress = s?.loadBalancer?.ingress?.[0];
            return ingress?.ip || ingress?.hostname || "";
        });
        this.registerOutputs({ serviceName: this.serviceName, serverUrls: this.serverUrls, loadBalancerAddress: this.loadBalancerAddress });
    }
}
