/**
 * A small model of the Pulumi CLI's config handling, for testing that printed fixes work when pasted:
 * `pulumi config set [--path] [--secret] <key> [--] <value>`, `pulumi config rm [--path] <key>`,
 * `pulumi stack rename`, and the stack file edits a fix may ask for, applied to the stack file's `config:`
 * map; then what the language host hands the program (the raw config map and its secret keys).
 *
 * Modelled on sdk/go/common/resource/config/map.go (Set, Remove, adjustObjectValue) and the
 * `pulumi config set` docs: a top-level value is a string; with --path, true/false become booleans and
 * integers numbers (storedWithPath), list elements are `key[0]`, an index may append at the end only, and a
 * `--path --secret` value makes its whole top-level key secret. Secret values are "encrypted" as base64 with a
 * `model:` prefix; a real ciphertext (which cannot be decrypted offline) stands for `fakeSecret`.
 */
import * as fs from "fs";
import * as path from "path";
import * as YAML from "yaml";
import { cliPath, parseCliPath as parsePropertyPath, PathSegment, storedWithPath } from "../components/config-fix";

export type ConfigMap = Record<string, unknown>;

export interface CliState {
    stack: string;
    /** The stack file's `config:` map: `project:key` to the YAML value (`{ secure: ... }` for secrets). */
    config: ConfigMap;
}

const MODEL_PREFIX = "model:";

function encrypt(value: string): { secure: string } {
    return { secure: MODEL_PREFIX + Buffer.from(value).toString("base64") };
}

function isSecure(v: unknown): v is { secure: string } {
    return typeof v === "object" && v !== null && !Array.isArray(v) && Object.keys(v).length === 1 && typeof (v as { secure?: unknown }).secure === "string";
}

function hasSecure(v: unknown): boolean {
    if (isSecure(v)) return true;
    if (Array.isArray(v)) return v.some(hasSecure);
    if (v && typeof v === "object") return Object.values(v).some(hasSecure);
    return false;
}

/** Reads a stack file the way the CLI does; throws the YAML library's error on a syntax error. */
export function loadStackFile(file: string, stack: string): CliState {
    const doc = YAML.parse(fs.readFileSync(file, "utf8")) ?? {};
    return { stack, config: structuredClone(doc.config ?? {}) };
}

export function loadProjectStack(repoRoot: string, stack: string): CliState {
    return loadStackFile(path.join(repoRoot, `Pulumi.${stack}.yaml`), stack);
}

/**
 * What the program receives: each key's value as a string (objects and lists as JSON, secrets decrypted),
 * the keys Pulumi reports as secret, and the paths of nested secure values.
 */
export function rawConfigOf(state: CliState, fakeSecret: string): { raw: Record<string, string>; secretKeys: string[]; securePaths: string[] } {
    const raw: Record<string, string> = {};
    const secretKeys: string[] = [];
    const securePaths: string[] = [];
    const decrypt = (v: unknown, p: PathSegment[]): unknown => {
        if (isSecure(v)) {
            if (p.length > 1) securePaths.push(cliPath(p));
            return v.secure.startsWith(MODEL_PREFIX) ? Buffer.from(v.secure.slice(MODEL_PREFIX.length), "base64").toString() : fakeSecret;
        }
        if (Array.isArray(v)) return v.map((x, i) => decrypt(x, [...p, i]));
        if (v && typeof v === "object") return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, decrypt(x, [...p, k])]));
        return v;
    };
    for (const [key, value] of Object.entries(state.config)) {
        const name = key.slice(key.indexOf(":") + 1);
        const plain = decrypt(value, [name]);
        raw[key] = typeof plain === "string" ? plain : JSON.stringify(plain);
        if (hasSecure(value)) secretKeys.push(key);
    }
    return { raw, secretKeys, securePaths };
}


function fullKey(project: string, name: string): string {
    return name.includes(":") ? name : `${project}:${name}`;
}

/** `pulumi config set`. */
export function configSet(state: CliState, project: string, key: string, value: string, opts: { path?: boolean; secret?: boolean }): void {
    const leaf = opts.secret ? encrypt(value) : value;
    if (!opts.path) {
        state.config[fullKey(project, key)] = leaf;
        return;
    }
    const p = parsePropertyPath(key);
    const top = fullKey(project, p[0] as string);
    if (p.length === 1) {
        state.config[top] = leaf;
        return;
    }
    const existing = state.config[top];
    const root: Record<string, unknown> = { [p[0]]: typeof existing === "string" || isSecure(existing) ? undefined : structuredClone(existing) };
    let container: any = root;
    for (let i = 0; i < p.length - 1; i++) {
        const seg = p[i];
        const next = p[i + 1];
        let child = container[seg];
        if (child === undefined || child === null) {
            child = typeof next === "number" ? [] : {};
            if (Array.isArray(container) && typeof seg === "number" && seg > container.length) throw new Error("array index out of range");
            container[seg] = child;
        } else if (typeof next === "number" && !Array.isArray(child)) throw new Error(`an array was expected for index ${next}`);
        else if (typeof next === "string" && (typeof child !== "object" || Array.isArray(child))) throw new Error(`a map was expected for key "${next}"`);
        container = child;
    }
    const last = p[p.length - 1];
    if (Array.isArray(container) && typeof last === "number" && last > container.length) throw new Error("array index out of range");
    container[last] = opts.secret ? leaf : storedWithPath(value);
    state.config[top] = root[p[0]];
}

/** `pulumi config rm`. */
export function configRm(state: CliState, project: string, key: string, opts: { path?: boolean }): void {
    if (!opts.path) {
        delete state.config[fullKey(project, key)];
        return;
    }
    const p = parsePropertyPath(key);
    const top = fullKey(project, p[0] as string);
    if (p.length === 1) {
        delete state.config[top];
        return;
    }
    let container: any = state.config[top];
    for (const seg of p.slice(1, -1)) {
        if (container === null || typeof container !== "object") return;
        container = container[seg];
    }
    const last = p[p.length - 1];
    if (Array.isArray(container) && typeof last === "number") container.splice(last, 1);
    else if (container && typeof container === "object") delete container[last];
}

/** Splits a command line into words the way sh does for the quoting fixes use; `&&` is its own word. */
export function shellWords(line: string, substitute: (inner: string) => string): string[] {
    const words: string[] = [];
    let cur: string | undefined;
    let i = 0;
    const push = () => {
        if (cur !== undefined) words.push(cur);
        cur = undefined;
    };
    while (i < line.length) {
        const c = line[i];
        if (c === " ") {
            push();
            i++;
        } else if (c === "&" && line[i + 1] === "&") {
            push();
            words.push("&&");
            i += 2;
        } else if (c === "'") {
            const end = line.indexOf("'", i + 1);
            cur = (cur ?? "") + line.slice(i + 1, end);
            i = end + 1;
        } else if (c === '"') {
            let j = i + 1;
            let text = "";
            while (line[j] !== '"') {
                if (line[j] === "$" && line[j + 1] === "(") {
                    const end = line.indexOf(")", j);
                    text += substitute(line.slice(j + 2, end));
                    j = end + 1;
                } else text += line[j++];
            }
            cur = (cur ?? "") + text;
            i = j + 1;
        } else if (c === "\\") {
            cur = (cur ?? "") + line[i + 1];
            i += 2;
        } else {
            cur = (cur ?? "") + c;
            i++;
        }
    }
    push();
    return words;
}

/** `pulumi config get <key>`: the value as the CLI prints it (JSON for objects, secrets decrypted). */
export function configGet(state: CliState, project: string, key: string, fakeSecret: string): string {
    const { raw } = rawConfigOf(state, fakeSecret);
    const v = raw[fullKey(project, key)];
    if (v === undefined) throw new Error(`configuration key '${key}' not found`);
    return v;
}

/**
 * Applies one printed fix: commands joined with `&&`, or a stack file edit. `<...>` placeholders (what
 * only the user knows) are replaced through `fill`; an unfilled one fails the test.
 */
export function applyFix(state: CliState, project: string, fix: string, fill: (placeholder: string) => string, fakeSecret: string): void {
    const edit = /^edit Pulumi\.(.+)\.yaml: under config, set ([^ ]+) to (.+?) \(quoted, so YAML keeps it a string\)$/.exec(fix);
    if (edit) {
        const [, , target, json] = edit;
        const [ns, name] = [target.slice(0, target.indexOf(":")), target.slice(target.indexOf(":") + 1)];
        const p = parsePropertyPath(name);
        const top = `${ns}:${p[0]}`;
        if (p.length === 1) state.config[top] = JSON.parse(json);
        else {
            const root: any = { v: structuredClone(state.config[top] ?? {}) };
            let c = root.v;
            for (const seg of p.slice(1, -1)) c = c[seg] ??= {};
            c[p[p.length - 1]] = JSON.parse(json);
            state.config[top] = root.v;
        }
        return;
    }
    const filled = fix.replace(/<[^<>]+>/g, (m) => fill(m));
    const words = shellWords(filled, (inner) => {
        const w = shellWords(inner, () => "");
        if (w[0] === "az") return azLookup(w);
        if (w[0] !== "pulumi" || w[1] !== "config" || w[2] !== "get") throw new Error(`unsupported substitution: ${inner}`);
        return configGet(state, project, w[3], fakeSecret);
    });
    const commands: string[][] = [[]];
    for (const w of words) (w === "&&" ? commands.push([]) : commands[commands.length - 1].push(w));
    for (const cmd of commands) runCommand(state, project, cmd);
}

/**
 * What the az CLI prints for the object-id lookups the access fixes embed (`$(az ad ... show --query id -o
 * tsv)`): a GUID per kind of principal. Anything else az is asked fails the test, so a fix cannot lean on
 * a lookup nobody modelled.
 */
export const AZ_OBJECT_IDS: Readonly<Record<string, string>> = {
    "ad signed-in-user show": "0a0a0a0a-1111-4222-8333-444444444444",
    "ad group show": "0b0b0b0b-1111-4222-8333-444444444444",
    "ad sp show": "0c0c0c0c-1111-4222-8333-444444444444",
};

function azLookup(argv: string[]): string {
    const verb = argv.slice(1, 4).join(" ");
    const id = AZ_OBJECT_IDS[verb];
    const query = argv.indexOf("--query");
    if (!id || argv[query + 1] !== "id" || !argv.includes("tsv")) throw new Error(`unsupported az call in a fix: ${argv.join(" ")}`);
    return id;
}

function runCommand(state: CliState, project: string, argv: string[]): void {
    const flags = new Set<string>();
    const positional: string[] = [];
    let afterDashes = false;
    for (let i = 0; i < argv.length; i++) {
        const a = argv[i];
        if (afterDashes) positional.push(a);
        else if (a === "--") afterDashes = true;
        else if (a === "--stack" || a === "-s") {
            if (argv[i + 1] !== state.stack) throw new Error(`fix names stack ${argv[i + 1]}, expected ${state.stack}`);
            i++;
        } else if (a.startsWith("-")) {
            if (!["--path", "--secret", "--plaintext"].includes(a)) throw new Error(`unknown flag: ${a}`);
            flags.add(a);
        } else positional.push(a);
    }
    if (!flags.has("--stack") && !argv.includes("--stack")) throw new Error(`fix does not name the stack: ${argv.join(" ")}`);
    const [tool, group, verb, ...rest] = positional;
    if (tool !== "pulumi") throw new Error(`not a pulumi command: ${argv.join(" ")}`);
    if (group === "config" && verb === "set") {
        if (rest.length !== 2) throw new Error(`config set takes a key and a value: ${argv.join(" ")}`);
        configSet(state, project, rest[0], rest[1], { path: flags.has("--path"), secret: flags.has("--secret") });
    } else if (group === "config" && verb === "rm") {
        if (rest.length !== 1) throw new Error(`config rm takes a key: ${argv.join(" ")}`);
        configRm(state, project, rest[0], { path: flags.has("--path") });
    } else if (group === "stack" && verb === "rename") {
        state.stack = rest[0];
    } else throw new Error(`unsupported command: ${argv.join(" ")}`);
}
