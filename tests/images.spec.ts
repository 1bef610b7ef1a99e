/**
 * Images: the pure context hash and az commands, the config of build / image / images, and the wiring
 * under mocks (every pod image from the stack's ACR, rollouts wait for their build or import, and no build
 * or import waits for the cluster).
 */
import { strict as assert } from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { acrBuildCommand, acrImportCommand } from "../components/azure/images";
import { ConfigError, parseStackConfig, StackConfig } from "../components/config";
import { DEFAULT_IMAGES } from "../components/config-defaults";
import { contextFiles, gitBuildTag, importedImageRef, localBuildTag, mayMatchBelow, parseImageRef } from "../components/image";
import { configFor, key, SOURCE_ROOT } from "./fixtures";
import { CapturedResource, dependencyClosure, Evaluation, evaluateStack, stackRawConfig } from "./harness";

const COMMAND = "command:local:Command";
const CLUSTER = "azure-native:containerservice:ManagedCluster";
const REGISTRY = "azure-native:containerregistry:Registry";
const DIGEST = `sha256:${"0123456789abcdef".repeat(4)}`;
const COMMIT = "0123456789abcdef0123456789abcdef01234567";

/** A fresh build context in a temp dir: `files` maps relative paths to contents. */
function contextDir(files: Record<string, string>): string {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "mcp-aks-context-"));
    for (const [rel, content] of Object.entries(files)) {
        fs.mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true });
        fs.writeFileSync(path.join(dir, rel), content);
    }
    return dir;
}

const BASE = {
    Dockerfile: "FROM node:22-alpine\nCOPY . /app\n",
    ".dockerignore": "node_modules\n*.log\n!keep.log\n",
    "package.json": '{"name":"server"}\n',
    "src/index.ts": "console.log('hi');\n",
};

describe("build context hash (pure)", () => {
    const dirs: string[] = [];
    const make = (files: Record<string, string>) => {
        const d = contextDir(files);
        dirs.push(d);
        return d;
    };
    const tag = (files: Record<string, string>) => localBuildTag(make(files), "Dockerfile");
    after(() => {
        for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
    });

    it("same content, same tag: independent of directory, creation order and mtimes", () => {
        const a = make(BASE);
        const reversed = Object.fromEntries(Object.entries(BASE).reverse());
        const b = make(reversed);
        fs.utimesSync(path.join(b, "src/index.ts"), new Date(2001, 1, 1), new Date(2001, 1, 1));
        assert.equal(localBuildTag(a, "Dockerfile"), localBuildTag(b, "Dockerfile"));
        assert.match(localBuildTag(a, "Dockerfile"), /^src-[0-9a-f]{16}$/);
    });

    it("a changed byte, an added file or a removed file gives a new tag", () => {
        const base = tag(BASE);
        assert.notEqual(tag({ ...BASE, "src/index.ts": "console.log('hj');\n" }), base, "changed byte");
        assert.notEqual(tag({ ...BASE, "src/extra.ts": "" }), base, "added file");
        const { ["package.json"]: _removed, ...without } = BASE;
        assert.notEqual(tag(without), base, "removed file");
        const { ["src/index.ts"]: moved, ...rest } = BASE;
        assert.notEqual(tag({ ...rest, "src/main.ts": moved }), base, "renamed file");
        assert.notEqual(tag({ ...BASE, Dockerfile: "FROM node:22-alpine\nCOPY . /srv\n" }), base, "Dockerfile change");
    });

    it("files the .dockerignore excludes do not change the tag; an exception (!keep.log) does", () => {
        const base = tag(BASE);
        assert.equal(tag({ ...BASE, "node_modules/x/index.js": "x" }), base, "ignored directory");
        assert.equal(tag({ ...BASE, "debug.log": "noise" }), base, "ignored pattern");
        assert.equal(tag({ ...BASE, ".git/HEAD": "ref: refs/heads/main\n" }), base, "VCS metadata az acr build never uploads");
        assert.notEqual(tag({ ...BASE, "keep.log": "kept" }), base, "re-included by !keep.log");
        // Docker matches case-sensitively on Linux: NODE_MODULES is not node_modules.
        assert.notEqual(tag({ ...BASE, "NODE_MODULES/x.js": "x" }), base);
    });

    it("an allow-list ignore file (* then !src) keeps exactly what its exceptions name, also deep below ignored folders", () => {
        const files = {
            ...BASE,
            ".dockerignore": "*\n!package.json\n!src\n!vendor/keep/**\n",
            "node_modules/x/index.js": "x",
            "vendor/drop/a.js": "a",
            "vendor/keep/deep/b.js": "b",
        };
        assert.deepEqual(contextFiles(make(files), "Dockerfile"), ["Dockerfile", "package.json", "src/index.ts", "vendor/keep/deep/b.js"]);
    });

    it("mayMatchBelow: an ignored folder is skipped only when no exception can reach below it", () => {
        assert.equal(mayMatchBelow("src", "node_modules"), false);
        assert.equal(mayMatchBelow("src", "src"), true);
        assert.equal(mayMatchBelow("/src/a.ts", "src"), true);
        assert.equal(mayMatchBelow("s*", "src"), true);
        assert.equal(mayMatchBelow("vendor/keep/**", "vendor/drop"), false);
        assert.equal(mayMatchBelow("vendor/keep/**", "vendor/keep/deep"), true);
        assert.equal(mayMatchBelow("**/*.js", "node_modules/x"), true);
        assert.equal(mayMatchBelow("a", "a/b/c"), true, "a pattern naming an ancestor covers everything below");
    });

    it("a Dockerfile the ignore file lists still counts (the builder always receives it)", () => {
        const files = { ...BASE, ".dockerignore": "Dockerfile\n" };
        assert.ok(contextFiles(make(files), "Dockerfile").includes("Dockerfile"));
        assert.notEqual(tag(files), tag({ ...files, Dockerfile: "FROM scratch\n" }));
    });

    it("a Dockerfile not named Dockerfile uses its own <name>.dockerignore", () => {
        const files = { ...BASE, "build.Dockerfile": BASE.Dockerfile, "build.Dockerfile.dockerignore": "src\n" };
        const dir = make(files);
        assert.ok(!contextFiles(dir, "build.Dockerfile").includes("src/index.ts"));
        assert.ok(contextFiles(dir, "Dockerfile").includes("src/index.ts"));
    });

    it("a git context's tag follows the pinned commit and the Dockerfile path", () => {
        const url = `https://github.com/org/repo.git#${COMMIT}:server`;
        assert.equal(gitBuildTag(url, "Dockerfile"), gitBuildTag(url, "Dockerfile"));
        assert.notEqual(gitBuildTag(url.replace("0123", "4567"), "Dockerfile"), gitBuildTag(url, "Dockerfile"));
        assert.notEqual(gitBuildTag(url, "Dockerfile.prod"), gitBuildTag(url, "Dockerfile"));
    });
});

describe("az commands (pure)", () => {
    const at = { subscriptionId: "sub-1", resourceGroupName: "rg-mcp-dev", registryName: "acrmcpdev1" };

    it("a local build runs in the repo root: --file is the Dockerfile's path from there, the context last", () => {
        const cmd = acrBuildCommand(at, { context: "server", dockerfile: "Dockerfile", git: false, image: "mcp-server:src-0011" });
        assert.equal(cmd, "az acr build --subscription sub-1 --resource-group rg-mcp-dev --registry acrmcpdev1 --image mcp-server:src-0011 --platform linux/amd64 --file server/Dockerfile server");
    });

    it("a git build passes the URL and the Dockerfile relative to the repository folder", () => {
        const url = `https://github.com/org/repo.git#${COMMIT}:server`;
        const cmd = acrBuildCommand(at, { context: url, dockerfile: "Dockerfile", git: true, image: "mcp-server:git-1" });
        assert.ok(cmd.endsWith(`--file Dockerfile '${url}'`), cmd);
    });

    it("an import copies the upstream digest and tags it with the upstream tag; Docker Hub credentials only from the environment", () => {
        const cmd = acrImportCommand(at, DEFAULT_IMAGES.qdrant);
        const digest = parseImageRef(DEFAULT_IMAGES.qdrant).digest;
        assert.match(cmd, new RegExp(`--source docker\\.io/qdrant/qdrant@${digest} `));
        assert.match(cmd, / --image qdrant\/qdrant:v1\.19\.2-unprivileged --force /);
        assert.match(cmd, /\$\{DOCKERHUB_USERNAME:\+--username "\$DOCKERHUB_USERNAME" --password "\$DOCKERHUB_TOKEN"\}$/);
        const ghcr = acrImportCommand(at, `ghcr.io/org/tool:1.0@${DIGEST}`);
        assert.doesNotMatch(ghcr, /DOCKERHUB/, "no Docker Hub credentials sent to another registry");
    });

    it("the in-ACR reference keeps repository, tag and digest", () => {
        assert.equal(importedImageRef("acr1.azurecr.io", `docker.io/curlimages/curl:8.11.1@${DIGEST}`), `acr1.azurecr.io/curlimages/curl:8.11.1@${DIGEST}`);
    });
});

function configError(raw: Record<string, string>, sourceRoot = SOURCE_ROOT): ConfigError {
    const { raw: base, secretKeys } = stackRawConfig("dev", { overrides: raw });
    try {
        parseStackConfig(base, { stack: "dev", secretKeys, sourceRoot });
    } catch (e) {
        if (e instanceof ConfigError) return e;
        throw e;
    }
    assert.fail(`expected a ConfigError for ${JSON.stringify(raw)}`);
}

function problemFor(err: ConfigError, k: string) {
    const p = err.problems.find((x) => x.key === k);
    assert.ok(p, `no problem for ${k} in:\n${err.message}`);
    return p;
}

const mcp = (value: unknown) => ({ [key("mcpServer")]: JSON.stringify(value) });

describe("config: mcpServer.build, mcpServer.image, images", () => {
    it("by default builds server/ with its Dockerfile, tagged by the content hash", () => {
        const source = configFor("dev").mcpServer.source;
        assert.deepEqual(source, { kind: "build", context: "server", dockerfile: "Dockerfile", git: false, repository: "mcp-server", tag: localBuildTag(path.join(SOURCE_ROOT, "server"), "Dockerfile") });
    });

    it("a missing context directory is an error that names the key and the fix", () => {
        const empty = fs.mkdtempSync(path.join(os.tmpdir(), "mcp-aks-root-"));
        try {
            const p = problemFor(configError({}, empty), "mcpServer.build.context");
            assert.equal(p.value, "server");
            assert.match(p.allowed, /existing directory/);
            assert.match(p.fix, /^pulumi config set --path mcpServer\.build\.context '<directory-with-a-Dockerfile>' --stack dev/);
        } finally {
            fs.rmSync(empty, { recursive: true, force: true });
        }
    });

    it("a missing Dockerfile, or a path outside the repo, is rejected", () => {
        assert.equal(problemFor(configError(mcp({ build: { context: "server", dockerfile: "Nope" } })), "mcpServer.build.dockerfile").value, "Nope");
        assert.equal(problemFor(configError(mcp({ build: { context: "server", dockerfile: "../Dockerfile" } })), "mcpServer.build.dockerfile").value, "../Dockerfile");
        for (const context of ["../elsewhere", "/abs/server", "server\\win"]) {
            assert.equal(problemFor(configError(mcp({ build: { context } })), "mcpServer.build.context").value, context);
        }
    });

    it("a git context must be https, end in .git and pin a full commit", () => {
        for (const context of ["https://github.com/org/repo.git#main:server", "https://github.com/org/repo.git", "https://github.com/org/repo#" + COMMIT, "git@github.com:org/repo.git#" + COMMIT, "https://user:token@github.com/org/repo.git#" + COMMIT]) {
            const p = problemFor(configError(mcp({ build: { context } })), "mcpServer.build.context");
            assert.match(p.allowed, /40-character commit/, context);
        }
        const url = `https://github.com/org/repo.git#${COMMIT}:server`;
        const cfg = configFor("dev", mcp({ build: { context: url } }));
        assert.deepEqual(cfg.mcpServer.source, { kind: "build", context: url, dockerfile: "Dockerfile", git: true, repository: "mcp-server", tag: gitBuildTag(url, "Dockerfile") });
    });

    it("mcpServer.image replaces the build: a repository in the stack's ACR, or a digest-pinned image to import", () => {
        assert.deepEqual(configFor("dev", mcp({ image: "team/mcp:2.0.0" })).mcpServer.source, { kind: "registry", ref: "team/mcp:2.0.0" });
        const upstream = `ghcr.io/org/mcp:2.0.0@${DIGEST}`;
        assert.deepEqual(configFor("dev", mcp({ image: upstream })).mcpServer.source, { kind: "import", upstream });
        const p = problemFor(configError(mcp({ image: "ghcr.io/org/mcp:2.0.0" })), "mcpServer.image");
        assert.match(p.allowed, /pinned by digest/);
        assert.match(p.fix, /mcpServer\.image 'ghcr\.io\/org\/mcp:2\.0\.0@sha256:<digest>'/);
    });

    it("setting both build and image is an error naming both", () => {
        const p = problemFor(configError(mcp({ build: { context: "server" }, image: "team/mcp:2.0.0" })), "mcpServer.image");
        assert.match(p.allowed, /mcpServer\.build .*or mcpServer\.image .*not both/);
        // One command the CLI runs as pasted (tests/config-fixes.spec.ts applies every fix); keeping the build
        // is the default, so the fix drops the image.
        assert.equal(p.fix, "pulumi config rm --path mcpServer.image --stack dev");
    });

    it("images defaults include qdrant and curl pinned by digest; a stack adds or overrides entries", () => {
        const cfg = configFor("dev", { [key("images")]: JSON.stringify({ busybox: `docker.io/library/busybox:1.37@${DIGEST}` }) });
        assert.deepEqual(Object.keys(cfg.images).sort(), ["busybox", "curl", "qdrant"]);
        for (const ref of Object.values(cfg.images)) assert.match(ref, /^[a-z0-9.-]+\.[a-z]+\/.+:[\w.-]+@sha256:[0-9a-f]{64}$/);
    });

    it("images must name a host, a tag other than latest and a digest", () => {
        for (const bad of ["docker.io/qdrant/qdrant:v1.19.2", `qdrant/qdrant:v1.19.2@${DIGEST}`, `docker.io/qdrant/qdrant@${DIGEST}`, `docker.io/qdrant/qdrant:latest@${DIGEST}`, `docker.io/qdrant/qdrant:v1@sha256:abc`]) {
            const p = problemFor(configError({ [key("images")]: JSON.stringify({ qdrant: bad }) }), "images.qdrant");
            assert.equal(p.value, bad);
        }
        problemFor(configError({ [key("images")]: JSON.stringify({ Bad_Name: `docker.io/x/y:1@${DIGEST}` }) }), "images.Bad_Name");
    });

    it("two images that would overwrite each other in ACR are rejected", () => {
        const other = DEFAULT_IMAGES.curl.replace(/@sha256:.*/, `@${DIGEST}`);
        const p = problemFor(configError({ [key("images")]: JSON.stringify({ curl2: other }) }), "images.curl2");
        assert.match(p.allowed, /curlimages\/curl:8\.11\.1/);
    });

    it("qdrant.image is gone: the Qdrant image is images.qdrant", () => {
        problemFor(configError({ [key("qdrant")]: JSON.stringify({ image: "qdrant/qdrant:v1.19.2-unprivileged" }) }), "qdrant.image");
    });
});

/** Every container image of every pod template the program declares. */
function podImages(ev: Evaluation): Array<{ where: string; image: string }> {
    const out: Array<{ where: string; image: string }> = [];
    for (const r of ev.resources.filter((x) => /^kubernetes:(apps\/v1:(Deployment|StatefulSet|DaemonSet)|batch\/v1:(Job|CronJob))$/.test(x.type))) {
        const pod = r.type.endsWith("CronJob") ? r.inputs.spec.jobTemplate.spec.template.spec : r.inputs.spec.template.spec;
        for (const c of [...(pod.initContainers ?? []), ...pod.containers]) out.push({ where: `${r.type} ${r.name} ${c.name}`, image: c.image });
    }
    return out;
}

function commandOf(ev: Evaluation, component: string): CapturedResource {
    const parent = ev.one(component).urn;
    const found = ev.ofType(COMMAND).filter((c) => c.parent === parent);
    assert.equal(found.length, 1, `one command under ${component}`);
    return found[0];
}

for (const stack of ["dev", "prod"] as const) {
    describe(`images under mocks (${stack})`, () => {
        let ev: Evaluation;
        let cfg: StackConfig;
        let server: string;
        before(async () => {
            ev = await evaluateStack(stack);
            cfg = ev.config;
            server = String(ev.outputs.acrLoginServer);
        });

        it("the build and every import wait for the registry, and nothing among them waits for the cluster", () => {
            const registry = ev.one(REGISTRY).urn;
            const cluster = ev.one(CLUSTER).urn;
            const commands = ev.ofType(COMMAND);
            assert.equal(commands.length, 1 + Object.keys(cfg.images).length, "one build plus one import per image");
            for (const c of commands) {
                const waits = dependencyClosure(ev, c);
                assert.ok(waits.has(registry), `${c.name} waits for the registry`);
                assert.ok(!waits.has(cluster), `${c.name} must not wait for the cluster (it would put the build on the critical path)`);
            }
        });

        it("the build command builds the configured context with the hashed tag", () => {
            const source = cfg.mcpServer.source;
            assert.equal(source.kind, "build");
            if (source.kind !== "build") return;
            const build = commandOf(ev, "mcp-aks:azure:AcrBuild");
            assert.match(build.inputs.create, new RegExp(`^az acr build .*--registry ${ev.one(REGISTRY).inputs.registryName} --image mcp-server:${source.tag} .*--file server/Dockerfile server$`));
            assert.deepEqual(build.inputs.triggers, [`mcp-server:${source.tag}`]);
            for (const c of ev.ofType(COMMAND)) assert.deepEqual(c.inputs.interpreter, ["/bin/sh", "-c"], "POSIX sh on every OS");
        });

        it("the MCP Deployment runs the build's image and waits for the build", () => {
            const source = cfg.mcpServer.source;
            assert.ok(source.kind === "build");
            const deployment = ev.one("kubernetes:apps/v1:Deployment", "mcp-server");
            assert.equal(deployment.inputs.spec.template.spec.containers[0].image, `${server}/mcp-server:${source.tag}`);
            assert.equal(ev.outputs.mcpServerImage, `${server}/mcp-server:${source.tag}`);
            assert.ok(deployment.dependencies.includes(commandOf(ev, "mcp-aks:azure:AcrBuild").urn), "the rollout waits for the push");
        });

        it("Qdrant runs the imported copy by the configured digest and waits for the import", () => {
            const sts = ev.one("kubernetes:apps/v1:StatefulSet", "qdrant");
            const image = sts.inputs.spec.template.spec.containers[0].image;
            assert.equal(image, importedImageRef(server, cfg.images.qdrant));
            assert.equal(parseImageRef(image).digest, parseImageRef(cfg.images.qdrant).digest);
            const qdrantImport = ev.ofType(COMMAND).find((c) => c.inputs.create.includes(`--source docker.io/qdrant/qdrant@${parseImageRef(cfg.images.qdrant).digest}`));
            assert.ok(qdrantImport, "an import of the configured qdrant digest");
            assert.ok(sts.dependencies.includes(qdrantImport.urn), "the StatefulSet waits for the import");
        });

        it("every container image in the workloads comes from the stack's ACR", () => {
            const images = podImages(ev);
            assert.ok(images.length >= 2);
            for (const { where, image } of images) assert.ok(image.startsWith(`${server}/`), `${where}: ${image}`);
        });

        it("exports the in-ACR reference of every imported image, by digest", () => {
            const exported = ev.outputs.images as Record<string, string>;
            assert.deepEqual(Object.keys(exported).sort(), Object.keys(cfg.images).sort());
            for (const [name, ref] of Object.entries(exported)) assert.equal(ref, importedImageRef(server, cfg.images[name]));
        });
    });
}

describe("images under mocks: mcpServer.image instead of a build", () => {
    it("an image in the stack's ACR: no build, the Deployment pulls it from the login server", async () => {
        const ev = await evaluateStack("dev", { overrides: mcp({ image: "team/mcp:2.0.0" }) });
        assert.equal(ev.ofType(COMMAND).length, Object.keys(ev.config.images).length, "imports only");
        const image = ev.one("kubernetes:apps/v1:Deployment", "mcp-server").inputs.spec.template.spec.containers[0].image;
        assert.equal(image, `${ev.outputs.acrLoginServer}/team/mcp:2.0.0`);
    });

    it("an image elsewhere, pinned by digest: imported, and the Deployment waits for the import", async () => {
        const upstream = `ghcr.io/org/mcp:2.0.0@${DIGEST}`;
        const ev = await evaluateStack("dev", { overrides: mcp({ image: upstream }) });
        const deployment = ev.one("kubernetes:apps/v1:Deployment", "mcp-server");
        assert.equal(deployment.inputs.spec.template.spec.containers[0].image, importedImageRef(String(ev.outputs.acrLoginServer), upstream));
        const imp = ev.ofType(COMMAND).find((c) => c.inputs.create.includes(`--source ghcr.io/org/mcp@${DIGEST}`));
        assert.ok(imp);
        assert.ok(deployment.dependencies.includes(imp.urn));
        assert.ok(!dependencyClosure(ev, imp).has(ev.one(CLUSTER).urn));
    });
});
