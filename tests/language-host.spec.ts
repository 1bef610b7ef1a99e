/**
 * What `pulumi preview` / `pulumi up` print for a bad config, through the SDK's real language-host entry
 * point (tests/language-host.ts): the "Invalid config" text itself, one line per problem, no stack trace,
 * no dump of the error's fields, no secret; and the README's example is exactly that output.
 */
import { strict as assert } from "assert";
import * as fs from "fs";
import * as path from "path";
import { PROJECT } from "../components/config";
import { REPO_ROOT, stackRawConfig } from "./harness";
import { LanguageHostRun, runThroughLanguageHost } from "./language-host";

/** The bad input the README's example shows: a wrong tier, a zero node count and a plaintext API key. */
export const README_EXAMPLE_INPUT = {
    [`${PROJECT}:cluster`]: JSON.stringify({ tier: "Gold", systemPool: { minCount: 0 } }),
    [`${PROJECT}:OPENAI_API_KEY`]: "sk-live-do-not-print-me",
};

describe("the config error through the real language host", function () {
    this.timeout(60000);
    let run: LanguageHostRun;

    before(async () => {
        const { raw, secretKeys } = stackRawConfig("dev", { overrides: README_EXAMPLE_INPUT });
        run = await runThroughLanguageHost({ stack: "dev", config: raw, secretKeys: secretKeys.filter((k) => k !== `${PROJECT}:OPENAI_API_KEY`) });
    });

    it("prints the Invalid config text, one line per problem, and nothing else as an error", () => {
        assert.deepEqual(run.errors, [
            [
                'Invalid config for stack "dev" (3 problems):',
                '  - mcp-aks:cluster.tier is "Gold"; allowed: one of Free, Standard, Premium. Fix: pulumi config set --path cluster.tier Free --stack dev',
                "  - mcp-aks:cluster.systemPool.minCount is 0; allowed: an integer from 1 to 100. Fix: pulumi config set --path cluster.systemPool.minCount 1 --stack dev",
                "  - mcp-aks:OPENAI_API_KEY is [hidden]; allowed: a value set with --secret, so that it is encrypted in the stack file. Fix: pulumi config set --secret OPENAI_API_KEY '<value>' --stack dev",
            ].join("\n"),
        ]);
    });

    it("exits with the code that tells the CLI the message was already shown, with no stack trace or field dump", () => {
        assert.equal(run.exitCode, 32);
        const all = [...run.logs.map((l) => l.message), run.stdout, run.stderr].join("\n");
        assert.doesNotMatch(all, /\n\s+at |problems: \[|name: 'ConfigError'|unhandled exception/);
        assert.ok(!all.includes("sk-live-do-not-print-me"), "the plaintext API key was printed");
        assert.deepEqual(run.registered, ["pulumi:pulumi:Stack"], "nothing but the stack itself is registered");
    });

    it("README's config error example is this output", () => {
        const readme = fs.readFileSync(path.join(REPO_ROOT, "README.md"), "utf8");
        const block = /<!-- config-error-example -->\n```\n([\s\S]*?)\n```/.exec(readme);
        assert.ok(block, "README has no config error example block");
        assert.equal(block[1], run.errors[0]);
    });
});
