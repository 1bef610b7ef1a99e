/**
 * Pure: where the MCP server image comes from. A reference without a registry host names a repository in
 * the stack's own ACR (the normal case: `az acr build` pushes there); a reference with a host is used as
 * it is.
 */

/** True when the first path segment is a registry host (has a dot or port, or is localhost). */
export function hasRegistryHost(image: string): boolean {
    const first = image.split("/")[0];
    return image.includes("/") && (first.includes(".") || first.includes(":") || first === "localhost");
}

/** The full image reference the Deployment pulls. */
export function resolveImage(image: string, registryLoginServer: string): string {
    return hasRegistryHost(image) ? image : `${registryLoginServer}/${image}`;
}
