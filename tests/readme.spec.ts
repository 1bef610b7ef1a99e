/** Keeps the README true: every config key documented, and CI running the command it shows. */
import { strict as assert } from "assert";
import * as fs from "fs";
import * as path from "path";
import { environmentDefaults } from "../components/config-defaults";
import { REPO_ROOT } from "./harness";

const readme = fs.readFileSync(path.join(REPO_ROOT, "README.md"), "utf8");

function leafPaths(value: unknown, prefix: string[] = []): string[][] {
    if (value && typeof value === "object" && !Array.isArray(value) && Object.keys(value).length > 0) {
        return Object.entries(value).flatMap(([k, v]) => leafPaths(v, [...prefix, k]));
    }
    return [prefix];
}

describe("README", () => {
    it("documents every config key (itself, its row with siblings, or its parent object)", () => {
        const rows = readme.split("\n").filter((l) => l.startsWith("| `"));
        const missing: string[] = [];
        for (const env of ["dev", "prod"] as const) {
            for (const p of leafPaths(environmentDefaults(env))) {
                const full = p.join(".");
                const ancestors = p.slice(0, -1).map((_, i) => p.slice(0, i + 1).join("."));
                const parent = p.slice(0, -1).join(".");
                const documented =
                    rows.some((r) => r.includes(`\`${full}\``)) ||
                    rows.some((r) => parent !== "" && r.includes(`\`${parent}.`) && r.includes(`\`${p[p.length - 1]}\``)) ||
                    ancestors.some((a) => rows.some((r) => r.startsWith(`| \`${a}\``)));
                if (!documented) missing.push(full);
            }
        }
        assert.deepEqual([...new Set(missing)], []);
    });

    it("shows the test command that CI runs", () => {
        const ci = fs.readFileSync(path.join(REPO_ROOT, ".ci", "run"), "utf8");
        assert.match(ci, /^npm ci\b/m);
        assert.match(ci, /^npm test$/m);
        assert.match(readme, /npm ci && npm test/);
    });
});
