/**
 * Images in the stack's own ACR: the MCP server built by ACR Tasks (no local Docker), and third-party
 * images imported from their upstream registries by digest. Both depend on the registry only, never on the
 * cluster, so they run while AKS is being created.
 *
 * Mechanism: `az acr build` / `az acr import` driven by `@pulumi/command` (local.Command), not an ARM
 * TaskRun or ImportPipeline resource. A TaskRun cannot take a local directory (the context must first be
 * uploaded to a URL, which `az acr build` does itself), and azure-native's polling of TaskRun runs fails on
 * a malformed Azure-AsyncOperation URL (pulumi-azure-native #1713, open). The CLI's long-running-operation
 * handling works, it honours .dockerignore, streams the build log into `pulumi up`, and fails the update
 * when the build fails. A command runs again only when its inputs change, and the tag in them is a hash of
 * the source, so an unchanged source never rebuilds.
 *
 * Each component's `image` is an Output of its command, known at preview (the tag is computed locally), so
 * any Kubernetes object that takes it waits for the build or import to finish before its first pull.
 */
import * as pulumi from "@pulumi/pulumi";
import * as local from "@pulumi/command/local";
import type { McpImageSource } from "../config";
import { formatImageRef, importedImageRef, parseImageRef, resolveImage } from "../image";
import { shellQuote } from "../shell";

/** Where the registry lives: the az commands name all three, so they never depend on the CLI's default subscription. */
export interface RegistryLocation {
    /** Subscription that holds the registry (the one the azure-native provider deploys to). */
    readonly subscriptionId: pulumi.Input<string>;
    /** Resource group of the registry. */
    readonly resourceGroupName: pulumi.Input<string>;
    /** Registry name (not the login server). */
    readonly registryName: pulumi.Input<string>;
    /** Login server (`<name>.azurecr.io`): the prefix of every image reference the pods use. */
    readonly loginServer: pulumi.Input<string>;
}

interface ResolvedLocation {
    readonly subscriptionId: string;
    readonly resourceGroupName: string;
    readonly registryName: string;
}

/** The shell the az commands run in; on Windows, run `pulumi up` from WSL or Git Bash's sh on PATH. */
export const COMMAND_INTERPRETER = ["/bin/sh", "-c"] as const;

/** The platform ACR Tasks builds for: AKS node pools here are Linux on amd64. */
export const BUILD_PLATFORM = "linux/amd64";

/**
 * `az acr build` for one image. A local context is a path relative to the repo root, where Pulumi runs
 * the command; `--file` is then relative to the same directory (the CLI resolves it against the working
 * directory, not the context). A git context takes the Dockerfile path relative to the repository folder.
 */
export function acrBuildCommand(at: ResolvedLocation, build: { context: string; dockerfile: string; git: boolean; image: string }): string {
    const file = build.git ? build.dockerfile : `${build.context.replace(/\/+$/, "")}/${build.dockerfile}`;
    return [
        "az acr build",
        `--subscription ${shellQuote(at.subscriptionId)}`,
        `--resource-group ${shellQuote(at.resourceGroupName)}`,
        `--registry ${shellQuote(at.registryName)}`,
        `--image ${shellQuote(build.image)}`,
        `--platform ${BUILD_PLATFORM}`,
        `--file ${shellQuote(file)}`,
        shellQuote(build.context),
    ].join(" ");
}

/**
 * `az acr import` of one upstream reference, by digest, tagged with its upstream tag. `--force` makes a
 * re-run after a partial failure idempotent. Docker Hub limits anonymous pulls; when DOCKERHUB_USERNAME
 * and DOCKERHUB_TOKEN are set in the environment of `pulumi up`, the import authenticates with them. They
 * are read by the shell at run time, so they never enter the command text or the Pulumi state.
 */
export function acrImportCommand(at: ResolvedLocation, upstream: string): string {
    const ref = parseImageRef(upstream);
    const source = formatImageRef({ host: ref.host, repository: ref.repository, digest: ref.digest });
    const parts = [
        "az acr import",
        `--subscription ${shellQuote(at.subscriptionId)}`,
        `--resource-group ${shellQuote(at.resourceGroupName)}`,
        `--name ${shellQuote(at.registryName)}`,
        `--source ${shellQuote(source)}`,
        `--image ${shellQuote(`${ref.repository}:${ref.tag}`)}`,
        "--force",
    ];
    if (ref.host === "docker.io") parts.push('${DOCKERHUB_USERNAME:+--username "$DOCKERHUB_USERNAME" --password "$DOCKERHUB_TOKEN"}');
    return parts.join(" ");
}

/**
 * The command that puts one image into the registry, and the image reference that resolves once it has
 * run. The URN is known at preview, so the reference is too; because the reference is derived from it,
 * every consumer (a Deployment's image field) waits for the command without a separate dependsOn.
 */
function registryCommand(name: string, parent: pulumi.Resource, registry: RegistryLocation, run: { create: (at: ResolvedLocation) => string; trigger: string; image: (server: string) => string }) {
    const at = pulumi.all([registry.subscriptionId, registry.resourceGroupName, registry.registryName]).apply(([subscriptionId, resourceGroupName, registryName]) => ({ subscriptionId, resourceGroupName, registryName }));
    // `triggers` replaces the command when the tag or upstream changes; there is no delete command, since a
    // previous image may still run in pods until the new rollout completes.
    // A POSIX shell everywhere (the import's credential expansion is sh syntax; cmd.exe is the Windows default).
    const command = new local.Command(name, { create: at.apply(run.create), triggers: [run.trigger], interpreter: [...COMMAND_INTERPRETER] }, { parent });
    const image = pulumi.all([registry.loginServer, command.urn]).apply(([server]) => run.image(server));
    return { command, image };
}

export interface AcrBuildArgs {
    /** The stack's registry. */
    readonly registry: RegistryLocation;
    /** Local directory relative to the repo root, or a git URL pinned to a commit. */
    readonly context: string;
    /** Dockerfile path relative to the context. */
    readonly dockerfile: string;
    /** True when context is a git URL. */
    readonly git: boolean;
    /** ACR repository to push to. */
    readonly repository: string;
    /** Tag derived from the source (a hash of the context), so the reference is known before the build. */
    readonly tag: string;
}

/** One image built in ACR Tasks from a build context. */
export class AcrBuild extends pulumi.ComponentResource {
    /** `<login server>/<repository>:<tag>`, resolved only once the build has pushed it. */
    readonly image: pulumi.Output<string>;
    readonly command: local.Command;

    constructor(name: string, args: AcrBuildArgs, opts?: pulumi.ComponentResourceOptions) {
        super("mcp-aks:azure:AcrBuild", name, {}, opts);
        const image = `${args.repository}:${args.tag}`;
        // The tag is the source's hash: a new tag is a new build, the same tag never rebuilds.
        ({ command: this.command, image: this.image } = registryCommand(`${name}-build`, this, args.registry, {
            create: (at) => acrBuildCommand(at, { context: args.context, dockerfile: args.dockerfile, git: args.git, image }),
            trigger: image,
            image: (server) => `${server}/${image}`,
        }));
        this.registerOutputs({ image: this.image });
    }
}

export interface AcrImportArgs {
    /** The stack's registry. */
    readonly registry: RegistryLocation;
    /** Upstream reference with registry host, tag and digest. */
    readonly upstream: string;
}

/** One upstream image copied into the stack's ACR by digest. */
export class AcrImport extends pulumi.ComponentResource {
    /** `<login server>/<repository>:<tag>@sha256:<digest>`, resolved only once the import has finished. */
    readonly image: pulumi.Output<string>;
    readonly command: local.Command;

    constructor(name: string, args: AcrImportArgs, opts?: pulumi.ComponentResourceOptions) {
        super("mcp-aks:azure:AcrImport", name, {}, opts);
        ({ command: this.command, image: this.image } = registryCommand(`${name}-import`, this, args.registry, {
            create: (at) => acrImportCommand(at, args.upstream),
            trigger: args.upstream,
            image: (server) => importedImageRef(server, args.upstream),
        }));
        this.registerOutputs({ image: this.image });
    }
}

export interface StackImagesArgs {
    /** The stack's registry. */
    readonly registry: RegistryLocation;
    /** Third-party images by name: upstream references pinned by digest (config `images`). */
    readonly images: Readonly<Record<string, string>>;
    /** Where the MCP server image comes from (config `mcpServer.build` / `mcpServer.image`). */
    readonly mcpServer: McpImageSource;
}

/** Every image the stack's pods run, in the stack's ACR: the MCP server build and the imports. */
export class StackImages extends pulumi.ComponentResource {
    /** The in-ACR reference of each configured third-party image, by config name. */
    readonly images: Readonly<Record<string, pulumi.Output<string>>>;
    /** The MCP server image the Deployment runs. */
    readonly mcpServer: pulumi.Output<string>;

    constructor(name: string, args: StackImagesArgs, opts?: pulumi.ComponentResourceOptions) {
        super("mcp-aks:azure:StackImages", name, {}, opts);
        const imports: Record<string, pulumi.Output<string>> = {};
        for (const [imageName, upstream] of Object.entries(args.images)) {
            imports[imageName] = new AcrImport(`${name}-${imageName}`, { registry: args.registry, upstream }, { parent: this }).image;
        }
        this.images = imports;

        const source = args.mcpServer;
        switch (source.kind) {
            case "build":
                this.mcpServer = new AcrBuild(`${name}-mcp-server`, { registry: args.registry, ...source }, { parent: this }).image;
                break;
            case "import":
                this.mcpServer = new AcrImport(`${name}-mcp-server`, { registry: args.registry, upstream: source.upstream }, { parent: this }).image;
                break;
            case "registry":
                // Pushed by something outside the stack (a CI pipeline): nothing here to wait for.
                this.mcpServer = pulumi.output(args.registry.loginServer).apply((server) => resolveImage(source.ref, server));
                break;
        }
        this.registerOutputs({ images: this.images, mcpServer: this.mcpServer });
    }
}
