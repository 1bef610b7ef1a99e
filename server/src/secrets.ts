/**
 * API keys: a file under the CSI mount wins over an env var of the same name, because the file is what
 * the driver rotates; the env copy (from the synced Secret) only changes when the pod restarts.
 */
import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";

export type SecretSource = "file" | "env" | "missing";

export interface SecretStatus {
    readonly name: string;
    readonly source: SecretSource;
}

const ENV_NAME = /^[A-Z_][A-Z0-9_]*$/;

export class Secrets {
    constructor(
        private readonly dir: string,
        private readonly env: NodeJS.ProcessEnv = process.env,
    ) {}

    /** The secret's value, or undefined. Never log or return what this gives. */
    value(name: string): string | undefined {
        if (!ENV_NAME.test(name)) return undefined; // also keeps `../` out of the path
        try {
            // The driver writes the raw secret; a trailing newline usually comes from `echo` into Key Vault.
            const v = readFileSync(join(this.dir, name), "utf8").replace(/\r?\n$/, "");
            if (v.length > 0) return v;
        } catch {
            // not mounted: fall back to env
        }
        const e = this.env[name];
        return e !== undefined && e.length > 0 ? e : undefined;
    }

    status(name: string): SecretStatus {
        if (!ENV_NAME.test(name)) return { name, source: "missing" };
        try {
            if (readFileSync(join(this.dir, name), "utf8").length > 0) return { name, source: "file" };
        } catch {
            // fall through
        }
        return { name, source: this.env[name] ? "env" : "missing" };
    }

    /** Names of files in the mount that no configured name accounts for (names only). */
    unexpected(configured: readonly string[]): string[] {
        let entries: string[];
        try {
            // The driver keeps its own bookkeeping in dot-entries (..data, ..<timestamp>): not secrets.
            entries = readdirSync(this.dir).filter((n) => !n.startsWith("."));
        } catch {
            return [];
        }
        return entries.filter((n) => !configured.includes(n)).sort();
    }
}
