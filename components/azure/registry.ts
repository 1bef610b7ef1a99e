/**
 * Azure Container Registry for the MCP server image. Pull access is granted by role (AcrPull for the
 * kubelet identity), so the admin user and anonymous pull stay off.
 */
import * as pulumi from "@pulumi/pulumi";
import * as containerregistry from "@pulumi/azure-native/containerregistry";

export interface RegistryArgs {
    /** Resource group that holds the registry. */
    readonly resourceGroupName: pulumi.Input<string>;
    /** Azure region. */
    readonly location: string;
    /** Globally unique registry name (letters and digits). */
    readonly registryName: pulumi.Input<string>;
    /** Basic for dev; Standard or Premium for more storage and throughput. */
    readonly sku: "Basic" | "Standard" | "Premium";
    /** Tags applied to the registry. */
    readonly tags: Record<string, string>;
}

export class Registry extends pulumi.ComponentResource {
    readonly id: pulumi.Output<string>;
    readonly name: pulumi.Output<string>;
    readonly loginServer: pulumi.Output<string>;

    constructor(name: string, args: RegistryArgs, opts?: pulumi.ComponentResourceOptions) {
        super("mcp-aks:azure:Registry", name, {}, opts);
        const registry = new containerregistry.Registry(
            `${name}-acr`,
            {
                resourceGroupName: args.resourceGroupName,
                location: args.location,
                registryName: args.registryName,
                sku: { name: args.sku },
                // Shared admin credentials cannot be scoped or audited per caller (Azure Policy built-in).
                adminUserEnabled: false,
                // Anonymous pull would publish the MCP server image to anyone who knows the name.
                anonymousPullEnabled: false,
                tags: args.tags,
            },
            { parent: this },
        );
        this.id = registry.id;
        this.name = registry.name;
        this.loginServer = registry.loginServer;
        this.registerOutputs({ id: this.id, name: this.name, loginServer: this.loginServer });
    }
}
