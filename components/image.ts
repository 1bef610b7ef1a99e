/**
 * Pure: image references and build sources. Where an image comes from (an upstream reference to import, a
 * repository in the stack's ACR, a build context), and the tag of a build, which is a hash of its context:
 * the same files give the same tag on any machine, so the Deployment's image reference is known at
 * preview and changes exactly when the source does.
 */
import * as crypto from "crypto";
import * as fs from "fs";
import * as path from "path";
import dockerignore from "@balena/dockerignore";

/** True when the first path segment is a registry host (has a dot or port, or is localhost). */
export function hasRegistryHost(image: string): boolean {
    const first = image.split("/")[0];
    return image.includes("/") && (first.includes(".") || first.includes(":") || first === "localhost");
}

/** The full image reference the pods pull: a reference without a host names a repository in the stack's ACR. */
export function resolveImage(image: string, registryLoginServer: string): string {
    return hasRegistryHost(image) ? image : `${registryLoginServer}/${image}`;
}

/** An image reference split into its parts (`host/repo/path:tag@sha256:hex`). */
export interface ImageRef {
    /** Registry host, or "" when the reference has none. */
    readonly host: string;
    readonly repository: string;
    readonly tag?: string;
    /** `sha256:<64 hex>`. */
    readonly digest?: string;
}

export function parseImageRef(ref: string): ImageRef {
    const at = ref.indexOf("@");
    const digest = at >= 0 ? ref.slice(at + 1) : undefined;
    const named = at >= 0 ? ref.slice(0, at) : ref;
    const lastSlash = named.lastIndexOf("/");
    const lastColon = named.lastIndexOf(":");
    const tag = lastColon > lastSlash ? named.slice(lastColon + 1) : undefined;
    const name = tag === undefined ? named : named.slice(0, lastColon);
    const host = hasRegistryHost(name) ? name.split("/")[0] : "";
    const repository = host ? name.slice(host.length + 1) : name;
    return { host, repository, ...(tag !== undefined ? { tag } : {}), ...(digest !== undefined ? { digest } : {}) };
}

export function formatImageRef(ref: ImageRef): string {
    return `${ref.host ? `${ref.host}/` : ""}${ref.repository}${ref.tag ? `:${ref.tag}` : ""}${ref.digest ? `@${ref.digest}` : ""}`;
}

/** The in-ACR copy of an upstream reference: same repository path, tag and digest, on the stack's login server. */
export function importedImageRef(loginServer: string, upstream: string): string {
    return formatImageRef({ ...parseImageRef(upstream), host: loginServer });
}

// ---------------------------------------------------------------------------------------------------
// Build sources

/**
 * A git build context as ACR Tasks (and Docker) take it: `https://host/path.git#<commit>[:<folder>]`. Only
 * a full 40-character commit pins the source, so that the tag is derived without asking the network.
 */
const GIT_CONTEXT = /^https:\/\/[A-Za-z0-9.-]+(:\d+)?\/[A-Za-z0-9._~/-]+\.git#([0-9a-f]{40})(:([A-Za-z0-9._-]+(\/[A-Za-z0-9._-]+)*))?$/;

export function isGitContext(context: string): boolean {
    return /^[a-z][a-z0-9+.-]*:\/\//i.test(context) || context.startsWith("git@");
}

export function isPinnedGitContext(context: string): boolean {
    return GIT_CONTEXT.test(context);
}

/** A path below a root: relative, without `..` segments or backslashes (the same on every OS). */
export function isContainedRelativePath(p: string): boolean {
    if (p === "" || p.includes("\\") || path.posix.isAbsolute(p) || /^[A-Za-z]:/.test(p)) return false;
    const normal = path.posix.normalize(p);
    return normal !== ".." && !normal.startsWith("../");
}

/** The version of the hashing scheme, part of every hash: changing the scheme must change every tag. */
const HASH_SCHEME = "mcp-aks-context-v1";

/** VCS metadata `az acr build` never uploads (it skips these names at the root of the context). */
const VCS_ENTRIES = new Set([".git", ".gitignore", ".bzr", "bzrignore", ".hg", ".hgignore", ".svn"]);

/**
 * The ignore file that decides what reaches the builder: `<Dockerfile name>.dockerignore` at the root of
 * the context when the Dockerfile is not called "Dockerfile" and that file exists (as `az acr build` and
 * BuildKit do), otherwise `.dockerignore`.
 */
function ignoreFile(contextDir: string, dockerfile: string): string | undefined {
    const base = path.posix.basename(dockerfile);
    const candidates = base === "Dockerfile" ? [".dockerignore"] : [`${base}.dockerignore`, ".dockerignore"];
    return candidates.map((c) => path.join(contextDir, c)).find((f) => fs.existsSync(f));
}

function ignorePatterns(file: string | undefined): string[] {
    if (!file) return [];
    return fs
        .readFileSync(file, "utf8")
        .replace(/^\uFEFF/, "")
        .split(/\r?\n/)
        .map((l) => l.trim())
        .filter((l) => l !== "" && !l.startsWith("#"));
}

/** One path segment of a .dockerignore pattern as a RegExp (`*`, `?` and `[...]` as Go's filepath.Match). */
function segmentRegExp(segment: string): RegExp {
    const body = segment.replace(/[.+^${}()|\\]/g, "\\$&").replace(/\*/g, "[^/]*").replace(/\?/g, "[^/]");
    return new RegExp(`^${body}$`);
}

/**
 * Whether a pattern could match the directory `dir` itself or a path below it: its leading segments
 * match dir's, or a `**` stands before they run out. Conservative: true whenever unsure.
 */
export function mayMatchBelow(pattern: string, dir: string): boolean {
    const pat = pattern.replace(/^\/+/, "").split("/").filter((s) => s !== "" && s !== ".");
    const parts = dir.split("/");
    for (let i = 0; i < parts.length; i++) {
        if (i >= pat.length) return true; // the pattern names an ancestor of dir: everything below is matched
        if (pat[i].includes("**")) return true;
        try {
            if (!segmentRegExp(pat[i]).test(parts[i])) return false;
        } catch {
            return true;
        }
    }
    return true;
}

/** The files of a build context that reach the builder, as sorted POSIX paths relative to the context. */
export function contextFiles(contextDir: string, dockerfile: string): string[] {
    const patterns = ignorePatterns(ignoreFile(contextDir, dockerfile));
    // Docker's matching is case-sensitive on Linux, where ACR builds; the library defaults to ignoring case.
    const ig = dockerignore({ ignorecase: false }).add(patterns);
    const files: string[] = [];
    // An ignored directory is read only if an exception pattern could bring back something below it (a
    // server/node_modules would otherwise be listed file by file, only to be thrown away).
    const exceptions = patterns.filter((p) => p.startsWith("!")).map((p) => p.slice(1));
    const walk = (rel: string) => {
        const entries = fs.readdirSync(path.join(contextDir, rel), { withFileTypes: true });
        for (const entry of entries) {
            const child = rel ? `${rel}/${entry.name}` : entry.name;
            if (!rel && VCS_ENTRIES.has(entry.name)) continue;
            const ignored = ig.ignores(child);
            if (entry.isDirectory()) {
                if (!ignored || exceptions.some((e) => mayMatchBelow(e, child))) walk(child);
            } else if (!ignored && (entry.isFile() || entry.isSymbolicLink())) {
                files.push(child);
            }
        }
    };
    walk("");
    // The Dockerfile always reaches the builder, even when the ignore file lists it.
    const dockerfilePath = path.posix.normalize(dockerfile);
    if (!files.includes(dockerfilePath)) files.push(dockerfilePath);
    return files.sort();
}

/**
 * A hash over what the builder receives: the Dockerfile's path, then each file's relative path and
 * content (a symlink's target instead of its content), in sorted order. No mtimes, owners or modes, which
 * differ between checkouts of the same commit.
 */
export function contextHash(contextDir: string, dockerfile: string): string {
    const hash = crypto.createHash("sha256");
    const field = (s: string | Buffer) => {
        const bytes = typeof s === "string" ? Buffer.from(s, "utf8") : s;
        // Length-prefixed, so that no two different file lists can produce the same byte stream.
        hash.update(`${bytes.length}:`);
        hash.update(bytes);
    };
    field(HASH_SCHEME);
    field(path.posix.normalize(dockerfile));
    for (const rel of contextFiles(contextDir, dockerfile)) {
        const full = path.join(contextDir, rel);
        const stat = fs.lstatSync(full);
        field(rel);
        if (stat.isSymbolicLink()) field(`symlink:${fs.readlinkSync(full)}`);
        else field(fs.readFileSync(full));
    }
    return hash.digest("hex");
}

/** Hex characters of the hash kept in a tag: 64 bits, far beyond any collision among one repo's builds. */
const TAG_HASH_LENGTH = 16;

/** The image tag of a local build context. */
export function localBuildTag(contextDir: string, dockerfile: string): string {
    return `src-${contextHash(contextDir, dockerfile).slice(0, TAG_HASH_LENGTH)}`;
}

/** The image tag of a pinned git context: the commit fixes every file, so the URL and Dockerfile do too. */
export function gitBuildTag(context: string, dockerfile: string): string {
    const hash = crypto.createHash("sha256").update(`${HASH_SCHEME}\n${context}\n${path.posix.normalize(dockerfile)}`).digest("hex");
    return `git-${hash.slice(0, TAG_HASH_LENGTH)}`;
}
