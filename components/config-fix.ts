/**
 * The generic half of config validation: walking the zod schema by path, accepting what `pulumi config set`
 * really stores, and writing fix commands that the CLI accepts and that store the right type. Pure.
 *
 * How the Pulumi CLI stores values (pulumi config set docs; sdk/go/common/resource/config/map.go):
 * - a top-level key always holds a string; the program receives objects and lists as JSON text;
 * - with `--path`, `true`/`false` become booleans, integers without a leading zero become numbers, and
 *   everything else (`0.5`, `1.30`, `'["a"]'`) stays a string; list elements are `key[0]`;
 * - a value set with `--path --secret` makes the whole top-level key secret.
 * So the config accepts, wherever it is unambiguous: numeric strings for numbers, "true"/"false" for
 * booleans, integers and booleans for strings, and JSON text for lists, maps and objects. Fixes then need
 * nothing but `pulumi config set [--path]` and `pulumi config rm [--path]`, which every 3.x CLI has.
 */
import { z } from "zod";

export type Kind = "string" | "number" | "boolean" | "list" | "map" | "object" | "unknown";
export type PathSegment = string | number;

type AnySchema = z.core.$ZodType;

function def(node: AnySchema): any {
    return (node as any)._zod.def;
}

/** The schema node below optional/nullable/default wrappers, and whether null is allowed. */
export function unwrap(node: AnySchema): { node: AnySchema; nullable: boolean; optional: boolean } {
    let cur = node;
    let nullable = false;
    let optional = false;
    for (;;) {
        const d = def(cur);
        if (d.type === "nullable") nullable = true;
        else if (d.type === "optional" || d.type === "default" || d.type === "prefault") optional = true;
        else if (d.type === "pipe") {
            cur = d.in;
            continue;
        } else break;
        cur = d.innerType;
    }
    return { node: cur, nullable, optional };
}

export function kindOf(node: AnySchema): Kind {
    const t = def(unwrap(node).node).type;
    switch (t) {
        case "string":
        case "enum":
        case "literal":
            return "string";
        case "number":
        case "int":
            return "number";
        case "boolean":
            return "boolean";
        case "array":
            return "list";
        case "record":
            return "map";
        case "object":
            return "object";
        default:
            return "unknown";
    }
}

/** The schema node that validates the value at `path`, or undefined where the schema has none. */
export function nodeAt(root: AnySchema, path: readonly PathSegment[]): AnySchema | undefined {
    let cur: AnySchema | undefined = root;
    for (const seg of path) {
        if (!cur) return undefined;
        const n = unwrap(cur).node;
        const d = def(n);
        if (d.type === "object") cur = d.shape[seg as string];
        else if (d.type === "record") cur = d.valueType;
        else if (d.type === "array") cur = d.element;
        else return undefined;
    }
    return cur;
}

/** Keys of an object node, for "an object with the keys ..." and "did you mean". */
export function objectKeys(node: AnySchema | undefined): string[] {
    if (!node) return [];
    const d = def(unwrap(node).node);
    return d.type === "object" ? Object.keys(d.shape) : [];
}

const NUMERIC = /^-?(0|[1-9]\d*)(\.\d+)?([eE][-+]?\d+)?$/;

function parseJson(text: string): unknown {
    try {
        return JSON.parse(text);
    } catch {
        return undefined;
    }
}

/**
 * Converts what the CLI stores into the type the schema wants, where that is unambiguous; leaves anything
 * else alone for the schema to report.
 */
export function coerce(node: AnySchema | undefined, value: unknown): unknown {
    if (!node || value === undefined) return value;
    const { node: inner, nullable } = unwrap(node);
    if (value === null) return value;
    const d = def(inner);
    const kind = kindOf(inner);
    if (nullable && value === "null" && kind !== "string") return null;
    switch (kind) {
        case "number":
            return typeof value === "string" && NUMERIC.test(value) ? Number(value) : value;
        case "boolean":
            return value === "true" ? true : value === "false" ? false : value;
        case "string":
            if (typeof value === "boolean") return String(value);
            if (typeof value === "number" && Number.isSafeInteger(value)) return String(value);
            return value;
        case "list": {
            const list = typeof value === "string" ? parseJson(value) : value;
            return Array.isArray(list) ? list.map((v) => coerce(d.element, v)) : value;
        }
        case "map": {
            const map = typeof value === "string" ? parseJson(value) : value;
            if (!isPlainObject(map)) return value;
            return Object.fromEntries(Object.entries(map).map(([k, v]) => [k, coerce(d.valueType, v)]));
        }
        case "object": {
            const obj = typeof value === "string" ? parseJson(value) : value;
            if (!isPlainObject(obj)) return value;
            return Object.fromEntries(Object.entries(obj).map(([k, v]) => [k, coerce(d.shape[k], v)]));
        }
        default:
            return value;
    }
}

export function isPlainObject(v: unknown): v is Record<string, unknown> {
    return typeof v === "object" && v !== null && !Array.isArray(v);
}

// ---------------------------------------------------------------------------------------------------
// Paths and commands

const BARE_SEGMENT = /^[A-Za-z_][A-Za-z0-9_-]*$/;

/** A path in the CLI's `--path` syntax: `cluster.zones[0]`, `tags["team.name"]`. */
export function cliPath(path: readonly PathSegment[]): string {
    return path
        .map((seg, i) => {
            if (typeof seg === "number") return `[${seg}]`;
            if (BARE_SEGMENT.test(seg)) return i === 0 ? seg : `.${seg}`;
            return `[${JSON.stringify(seg)}]`;
        })
        .join("");
}

/** Parses the CLI's property path syntax (`a.b[0]["c.d"]`), as resource.ParsePropertyPath does. */
export function parseCliPath(text: string): PathSegment[] {
    const out: PathSegment[] = [];
    let i = 0;
    while (i < text.length) {
        if (text[i] === ".") i++;
        if (text[i] === "[") {
            const end = text.indexOf("]", i);
            if (end < 0) throw new Error(`invalid config key path ${text}`);
            const inner = text.slice(i + 1, end);
            if (/^\d+$/.test(inner)) out.push(Number(inner));
            else if (inner.startsWith('"')) out.push(JSON.parse(inner));
            else throw new Error(`invalid config key path ${text}`);
            i = end + 1;
        } else {
            let j = i;
            while (j < text.length && text[j] !== "." && text[j] !== "[") j++;
            out.push(text.slice(i, j));
            i = j;
        }
    }
    if (out.length === 0 || typeof out[0] !== "string" || out[0] === "") throw new Error(`invalid config key path ${text}`);
    return out;
}

/** Quotes a word for sh/bash/zsh when it needs it. */
export function shellQuote(word: string): string {
    return /^[\w./:@=,+-]+$/.test(word) && !word.startsWith("-") ? word : `'${word.replace(/'/g, "'\\''")}'`;
}

/**
 * What the CLI stores for `pulumi config set --path <key> <text>`: the same rules as the CLI's
 * adjustObjectValue (true/false, then integers without a leading zero, else the string).
 */
export function storedWithPath(text: string): string | number | boolean {
    if (text === "true") return true;
    if (text === "false") return false;
    if (text.length > 1 && text[0] === "0") return text;
    if (/^[-+]?\d+$/.test(text)) {
        const n = Number(text);
        // The CLI keeps int64; beyond that range it stores the string.
        if (Math.abs(n) <= 9223372036854775807) return n;
    }
    return text;
}

/** The text to type for a value: strings as they are, everything else as JSON. */
function textFor(value: unknown): string {
    return typeof value === "string" ? value : JSON.stringify(value);
}

export interface SetOptions {
    readonly secret?: boolean;
}

/**
 * `pulumi config set` for a value at a path, or undefined when no command stores it faithfully (a string
 * the CLI would turn into a different number). Top-level keys are set without --path (always a string,
 * which the config parses as JSON for non-string keys); nested ones with --path.
 */
export function setCommand(stack: string, path: readonly PathSegment[], value: unknown, opts: SetOptions = {}): string | undefined {
    const text = value === undefined ? "<value>" : textFor(value);
    const nested = path.length > 1;
    if (nested && typeof value === "string") {
        const stored = storedWithPath(text);
        const back = typeof stored === "string" ? stored : String(stored);
        if (back !== text || (typeof stored === "number" && !Number.isSafeInteger(stored))) return undefined;
    }
    const flags = [opts.secret ? "--secret" : "", nested ? "--path" : ""].filter(Boolean).join(" ");
    const head = `pulumi config set ${flags ? `${flags} ` : ""}${shellQuote(keyText(path))}`;
    // A value starting with "-" would be read as a flag; "--" ends the flags.
    return text.startsWith("-") ? `${head} --stack ${stack} -- ${shellQuote(text)}` : `${head} ${shellQuote(text)} --stack ${stack}`;
}

/** The key as the command line names it: a path with --path, the literal key name without. */
function keyText(path: readonly PathSegment[]): string {
    return path.length > 1 ? cliPath(path) : String(path[0]);
}

export function rmCommand(stack: string, path: readonly PathSegment[]): string {
    return `pulumi config rm ${path.length > 1 ? "--path " : ""}${shellQuote(keyText(path))} --stack ${stack}`;
}

/** A fix written as a stack file edit, for values no `pulumi config set` stores faithfully. */
export function yamlFix(stack: string, path: readonly PathSegment[], value: unknown, project: string): string {
    return `edit Pulumi.${stack}.yaml: under config, set ${project}:${cliPath(path)} to ${JSON.stringify(value)} (quoted, so YAML keeps it a string)`;
}

/** Joins commands so that pasting the line runs them in order and stops at the first failure. */
export function andThen(...commands: string[]): string {
    return commands.join(" && ");
}

// ---------------------------------------------------------------------------------------------------
// Showing values

const SECRET_NAME = /(api[_-]?key|secret|token|passw(or)?d|credential|private[_-]?key|connection[_-]?string|access[_-]?key)/i;
const SECRET_VALUE = /^(sk-|sk_|ghp_|gho_|github_pat_|xox[abpr]-|AKIA|eyJ[A-Za-z0-9_-]{10,}\.|-----BEGIN)|^v1:[A-Za-z0-9+/=:]{16,}$/;

/** True if a value must not be printed: its path names a secret, or it looks like a credential. */
export function looksSecret(path: readonly PathSegment[], value: unknown): boolean {
    if (path.some((s) => typeof s === "string" && SECRET_NAME.test(s))) return true;
    const seen = (v: unknown): boolean => {
        if (typeof v === "string") return SECRET_VALUE.test(v);
        if (Array.isArray(v)) return v.some(seen);
        if (isPlainObject(v)) return "secure" in v || Object.entries(v).some(([k, x]) => SECRET_NAME.test(k) || seen(x));
        return false;
    };
    return seen(value);
}

export const HIDDEN = "[hidden]";

/** The value as the message shows it: JSON, shortened when long. */
export function showValue(value: unknown): string {
    if (value === HIDDEN) return HIDDEN;
    const text = JSON.stringify(value) ?? String(value);
    return text.length > 90 ? `${text.slice(0, 60)}...(${typeof value === "string" ? value.length : text.length} characters)` : text;
}
