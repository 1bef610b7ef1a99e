/** Keeps the README true: every config key documented, and CI running the command it shows. */
import { strict as assert } from "assert";
import * as fs from "fs";
import * as path from "path";
import { environmentDefaults } from "../components/config-defaults";
import * as YAML from "yaml";
import { problemsOf, stateFor } from "./config-inputs";
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

describe("README: the stack file examples it documents are valid", () => {
    it("the YAML example of lists and numbers, written into Pulumi.prod.yaml, passes validation as a real deployment", () => {
        const block = /### How `pulumi config set` stores values[\s\S]*?```yaml\n([\s\S]*?)```/.exec(readme);
        assert.ok(block, "README has no YAML example in its config section");
        const example = YAML.parse(block[1]).config as Record<string, unknown>;
        const state = stateFor({ stack: "prod" });
        Object.assign(state.config, example);
        assert.deepEqual(problemsOf(state).map((p) => `${p.key}: ${p.allowed}`), []);
    });

    it("the shipped stack files pass once the documented steps are done (secrets set, prod's ranges replaced)", () => {
        for (const stack of ["dev", "prod"] as const) {
            const commands = stack === "prod" ? ["config set --path cluster.authorizedIpRanges[0] 20.1.0.0/16"] : [];
            assert.deepEqual(problemsOf(stateFor({ stack, commands })).map((p) => `${p.key}: ${p.allowed}`), [], stack);
        }
    });
});
