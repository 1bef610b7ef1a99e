/**
 * What `pulumi preview` / `pulumi up` print for a bad config, through the SDK's real language-host entry
 * point (tests/language-host.ts): the "Invalid config" text itself, one line per problem, no stack trace,
 * no dump of the error's fields, no secret; and the README's example is exactly that output.
 */
import { strict as assert } from "assert";
import * as fs from "fs";
import * as path from "path";
import { PROJECT } from "../components/config";
import { stateFor } from "./config-inputs";
import { PLACEHOLDER, REPO_ROOT, stackRawConfig } from "./harness";
import { LanguageHostRun, runThroughLanguageHost } from "./language-host";
import { rawConfigOf } from "./pulumi-cli";

/** The bad input the README's example shows: a wrong tier, a zero node count and a plaintext API key. */
export const README_EXAMPLE_INPUT = {
    [`${PROJECT}:cluster`]: JSON.stringify({ tier: "Gold", systemPool: { minCount: 0 } }),
    [`${PROJECT}:OPENAI_API_KEY`]: "sk-live-do-not-print-me",
};

describe("the config error through the real language host", function () {
    this.timeout(60000);
    let run: LanguageHostRun;
    let prod: LanguageHostRun;

    before(async () => {
        const { raw, secretKeys } = stackRawConfig("dev", { overrides: README_EXAMPLE_INPUT });
        // Pulumi.prod.yaml as shipped, with the API keys set as `pulumi config set --secret` stores them.
        const shipped = rawConfigOf(stateFor({ stack: "prod" }), PLACEHOLDER.fakeSecret);
        [run, prod] = await Promise.all([
            runThroughLanguageHost({ stack: "dev", config: raw, secretKeys: secretKeys.filter((k) => k !== `${PROJECT}:OPENAI_API_KEY`) }),
            runThroughLanguageHost({ stack: "prod", config: shipped.raw, secretKeys: shipped.secretKeys }),
        ]);
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

    it("a real run refuses the documentation range that Pulumi.prod.yaml ships with, until it is replaced", () => {
        assert.equal(prod.exitCode, 32);
        assert.deepEqual(prod.errors, [
            [
                'Invalid config for stack "prod" (1 problem):',
                "  - mcp-aks:cluster.authorizedIpRanges[0] is \"203.0.113.0/24\"; allowed: your own range in prod: 203.0.113.0/24 is a documentation range (RFC 5737) that no client uses, so nobody could connect. Fix: pulumi config set --path 'cluster.authorizedIpRanges[0]' '<your-cidr>' --stack prod",
            ].join("\n"),
        ]);
    });

    it("README's config error example is this output", () => {
        const readme = fs.readFileSync(path.join(REPO_ROOT, "README.md"), "utf8");
        const block = /<!-- config-error-example -->\n```\n([\s\S]*?)\n```/.exec(readme);
        assert.ok(block, "README has no config error example block");
        assert.equal(block[1], run.errors[0]);
    });
});
