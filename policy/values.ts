/**
 * Reading resource properties that may be unknown. During `pulumi preview` the engine hands policies a
 * proxy that throws UnknownValueError on any property whose value depends on a resource not created yet.
 * A thrown error makes the engine skip the whole policy for that resource, so one unknown id would hide
 * every other finding. Policies therefore copy the props into plain data first, with UNKNOWN in place of
 * each value that cannot be known yet, and decide per check whether "unknown" is a pass or a skip.
 */
import { UnknownValueError } from "@pulumi/policy";

/** Marks a value that the engine cannot know until the resources it depends on exist. */
export const UNKNOWN: unique symbol = Symbol("unknown-during-preview");
export type Unknown = typeof UNKNOWN;

/** Plain copy of a (possibly proxied) value, with UNKNOWN for each value the engine does not know yet. */
export function known(value: unknown): unknown {
    if (value === null || typeof value !== "object") return value;
    if (Array.isArray(value)) {
        const out: unknown[] = [];
        for (let i = 0; i < value.length; i++) out.push(readOne(value, i));
        return out;
    }
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(value)) out[key] = readOne(value as Record<string, unknown>, key);
    return out;
}

function readOne(container: Record<string | number, unknown> | unknown[], key: string | number): unknown {
    try {
        return known((container as Record<string | number, unknown>)[key]);
    } catch (err) {
        if (err instanceof UnknownValueError) return UNKNOWN;
        throw err;
    }
}

export function isUnknown(value: unknown): value is Unknown {
    return value === UNKNOWN;
}

/** The value at a path of plain data; UNKNOWN as soon as any step is unknown, undefined when absent. */
export function at(value: unknown, ...path: (string | number)[]): unknown {
    let current = value;
    for (const key of path) {
        if (isUnknown(current)) return UNKNOWN;
        if (current === null || typeof current !== "object") return undefined;
        current = (current as Record<string | number, unknown>)[key];
    }
    return current;
}

/** The elements of an array at a path ([] when absent); UNKNOWN when the array itself is unknown. */
export function listAt(value: unknown, ...path: (string | number)[]): unknown[] | Unknown {
    const found = at(value, ...path);
    if (isUnknown(found)) return UNKNOWN;
    return Array.isArray(found) ? found : [];
}

/** Three-valued answer: a known yes, a known no, or "cannot tell during preview". */
export type Tri = true | false | Unknown;

/** Whether a known string equals one of the given values, ignoring case. */
export function equalsIgnoreCase(value: unknown, ...candidates: string[]): boolean {
    return typeof value === "string" && candidates.some((c) => c.toLowerCase() === value.toLowerCase());
}

/** The stack name encoded in a URN (`urn:pulumi:<stack>::<project>::<type>::<name>`). */
export function stackOfUrn(urn: string): string | undefined {
    const match = /^urn:pulumi:([^:]+)::/.exec(urn);
    return match ? match[1] : undefined;
}
