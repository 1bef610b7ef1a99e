/**
 * The delivery pipeline as data: each workflow parsed and checked for what makes it safe (least privilege,
 * OIDC without stored secrets, the policy pack on every operation, the prod approval gate, no cancelled
 * updates). Input names are those of pulumi/actions v6 (action.yml / src/config.ts).
 */
import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import * as YAML from "yaml";

const WORKFLOWS = path.resolve(__dirname, "..", ".github", "workflows");
const README = fs.readFileSync(path.resolve(__dirname, "..", "README.md"), "utf8");

/** The kubelogin release the workflows pin (https://github.com/Azure/kubelogin/releases/tag/v0.2.9). */
const KUBELOGIN_VERSION = "v0.2.9";
/** The repository variable naming the runner whose egress is in prod's cluster.authorizedIpRanges. */
const PROD_RUNNER = "${{ vars.PROD_RUNNER_LABEL }}";

type Step = { name?: string; uses?: string; run?: string; with?: Record<string, unknown>; if?: string };
type Job = {
    "runs-on": string;
    "timeout-minutes"?: number;
    if?: string;
    environment?: string | { name: string };
    permissions?: Record<string, string>;
    concurrency?: { group: string; "cancel-in-progress"?: boolean };
    strategy?: { matrix?: Record<string, unknown>; "fail-fast"?: boolean };
    env?: Record<string, string>;
    steps: Step[];
};
type Workflow = { name: string; on: Record<string, any>; permissions?: Record<string, string>; jobs: Record<string, Job> };

function load(file: string): Workflow {
    const text = fs.readFileSync(path.join(WORKFLOWS, file), "utf8");
    // YAML 1.2 (the yaml package's default) reads `on:` as the string key GitHub means, not YAML 1.1's boolean.
    return YAML.parse(text) as Workflow;
}

function stepUsing(job: Job, action: string): Step {
    const found = job.steps.filter((s) => s.uses?.split("@")[0] === action);
    assert.strictEqual(found.length, 1, `expected exactly one ${action} step`);
    return found[0];
}

function indexOf(job: Job, predicate: (s: Step) => boolean, what: string): number {
    const index = job.steps.findIndex(predicate);
    assert.ok(index >= 0, `missing step: ${what}`);
    return index;
}

/** Checks shared by every job that talks to Azure and Pulumi; `identity` is the repository variable of its client id. */
function assertPulumiJob(job: Job, command: "preview" | "up", stack: string, identity: "AZURE_CLIENT_ID" | "AZURE_PREVIEW_CLIENT_ID"): void {
    // Every action is pinned to at least a major version.
    for (const step of job.steps.filter((s) => s.uses)) assert.match(step.uses ?? "", /@v\d+(\.\d+){0,2}$|@[0-9a-f]{40}$/, `${step.uses} is not pinned`);

    assert.strictEqual(job.permissions?.["id-token"], "write", "OIDC federation needs id-token: write");
    assert.strictEqual(job.permissions?.contents, "read");

    // npm ci, then the tests, then Azure, then Pulumi.
    const ci = indexOf(job, (s) => s.run?.trim() === "npm ci", "npm ci");
    const test = indexOf(job, (s) => s.run?.trim() === "npm test", "npm test");
    const login = indexOf(job, (s) => s.uses?.startsWith("azure/login@") === true, "azure/login");
    const kubelogin = indexOf(job, (s) => s.uses?.startsWith("azure/use-kubelogin@") === true, "azure/use-kubelogin");
    const pulumi = indexOf(job, (s) => s.uses?.startsWith("pulumi/actions@") === true, "pulumi/actions");
    assert.ok(ci < test && test < login && login < pulumi && kubelogin < pulumi, "order: npm ci, npm test, azure login, kubelogin, pulumi");

    const azureLogin = stepUsing(job, "azure/login");
    assert.match(azureLogin.uses ?? "", /@v2/);
    assert.deepStrictEqual(azureLogin.with, {
        "client-id": `\${{ vars.${identity} }}`,
        "tenant-id": "${{ vars.AZURE_TENANT_ID }}",
        "subscription-id": "${{ vars.AZURE_SUBSCRIPTION_ID }}",
    });
    assert.ok(!("creds" in (azureLogin.with ?? {})), "no client secret: OIDC only");

    assert.deepStrictEqual(
        { ...job.env },
        {
            ARM_USE_OIDC: "true",
            ARM_CLIENT_ID: `\${{ vars.${identity} }}`,
            ARM_TENANT_ID: "${{ vars.AZURE_TENANT_ID }}",
            ARM_SUBSCRIPTION_ID: "${{ vars.AZURE_SUBSCRIPTION_ID }}",
            PULUMI_BACKEND_URL: "${{ vars.PULUMI_BACKEND_URL }}",
        },
        "the env is exactly the OIDC settings and the backend: no ARM_CLIENT_SECRET, no AZURE_CLIENT_ID",
    );

    const action = stepUsing(job, "pulumi/actions");
    assert.match(action.uses ?? "", /@v6$/);
    assert.strictEqual(action.with?.command, command);
    assert.strictEqual(action.with?.["stack-name"], stack);
    assert.strictEqual(action.with?.policyPacks, "policy", "the policy pack runs on every operation");
    assert.strictEqual(action.with?.["cloud-url"], "${{ vars.PULUMI_BACKEND_URL }}");
    // Only kubelogin's mode: who administers the cluster comes from the stack's access config, never from CI.
    const configMap = YAML.parse(String(action.with?.["config-map"]));
    assert.deepStrictEqual(configMap, { "mcp-aks:kubeloginMode": { value: "azurecli", secret: false } });

    // kubelogin pinned to a release: unpinned, the action asks the GitHub API for the latest and throws
    // without a token before Pulumi starts.
    assert.deepStrictEqual(stepUsing(job, "azure/use-kubelogin").with, { "kubelogin-version": KUBELOGIN_VERSION });
    assert.match(KUBELOGIN_VERSION, /^v\d+\.\d+\.\d+$/);

    // No secret reaches a Pulumi job: everything is a repository variable or an OIDC token.
    assert.doesNotMatch(JSON.stringify(job), /secrets\./);
}

describe("workflows: preview.yml", () => {
    const wf = load("preview.yml");
    const job = wf.jobs.preview;

    it("runs on pull requests with read-only default permissions", () => {
        assert.deepStrictEqual(Object.keys(wf.on), ["pull_request"]);
        assert.deepStrictEqual(wf.permissions, { contents: "read" });
        assert.deepStrictEqual(Object.keys(wf.jobs), ["preview"]);
    });

    it("previews dev and prod as a matrix, without one failure hiding the other; prod on the prod runner", () => {
        assert.deepStrictEqual(job.strategy?.matrix, {
            include: [
                { stack: "dev", runner: "ubuntu-latest" },
                { stack: "prod", runner: PROD_RUNNER },
            ],
        });
        assert.strictEqual(job["runs-on"], "${{ matrix.runner }}");
        assert.strictEqual(job.strategy?.["fail-fast"], false);
    });

    it("runs as the read-only preview identity, never the deploy identity", () => {
        assert.doesNotMatch(JSON.stringify(wf), /vars\.AZURE_CLIENT_ID\b/);
        assert.ok(!job.steps.some((s) => s.run?.includes("preflight")), "preflight needs subscription reads the deploy job has");
    });

    it("may write PR comments and get an OIDC token, nothing more", () => {
        assert.deepStrictEqual(job.permissions, { contents: "read", "id-token": "write", "pull-requests": "write" });
    });

    it("runs npm ci, npm test and pulumi preview with the policy pack, commenting the diff", () => {
        assertPulumiJob(job, "preview", "${{ matrix.stack }}", "AZURE_PREVIEW_CLIENT_ID");
        const action = stepUsing(job, "pulumi/actions");
        assert.strictEqual(action.with?.["comment-on-pr"], true);
    });

    it("keeps previews of one stack from racing: one per stack and pull request, superseded by newer pushes", () => {
        assert.match(job.concurrency?.group ?? "", /\$\{\{ matrix\.stack \}\}/);
        assert.match(job.concurrency?.group ?? "", /github\.event\.pull_request\.number/);
        assert.strictEqual(job.concurrency?.["cancel-in-progress"], true);
    });

    it("has no environment, so its OIDC subject is the pull_request one and cannot be a deploy", () => {
        assert.strictEqual(job.environment, undefined);
    });
});

describe("workflows: deploy.yml", () => {
    const wf = load("deploy.yml");

    it("triggers on main, on v* tags and manually, with read-only default permissions", () => {
        assert.deepStrictEqual(wf.on.push, { branches: ["main"], tags: ["v*"] });
        assert.deepStrictEqual(wf.on.workflow_dispatch.inputs.stack.options.sort(), ["dev", "prod"]);
        assert.deepStrictEqual(wf.permissions, { contents: "read" });
        assert.deepStrictEqual(Object.keys(wf.jobs).sort(), ["dev", "prod"]);
    });

    it("deploys dev on pushes to main through the dev environment", () => {
        const job = wf.jobs.dev;
        assertPulumiJob(job, "up", "dev", "AZURE_CLIENT_ID");
        assert.strictEqual(job["runs-on"], "ubuntu-latest", "dev's API server is open to hosted runners (Entra ID still guards it)");
        assert.strictEqual(job.environment, "dev");
        assert.match(job.if ?? "", /github\.ref == 'refs\/heads\/main'/);
        assert.doesNotMatch(job.if ?? "", /refs\/tags/);
    });

    it("deploys prod only from a v* tag or a manual run, behind the prod environment's reviewers", () => {
        const job = wf.jobs.prod;
        assertPulumiJob(job, "up", "prod", "AZURE_CLIENT_ID");
        assert.strictEqual(job["runs-on"], PROD_RUNNER, "hosted runners are not in prod's authorized IP ranges");
        assert.strictEqual(job.environment, "prod");
        assert.match(job.if ?? "", /startsWith\(github\.ref, 'refs\/tags\/v'\)/);
        assert.match(job.if ?? "", /inputs\.stack == 'prod'/);
        assert.doesNotMatch(job.if ?? "", /refs\/heads\/main/, "a push to main never reaches prod");
    });

    it("runs preflight right before pulumi up, for the same stack, without Graph lookups", () => {
        for (const stack of ["dev", "prod"] as const) {
            const job = wf.jobs[stack];
            const preflight = indexOf(job, (s) => s.run?.trim() === `npm run preflight -- --stack ${stack} --skip-entra-lookups`, `preflight ${stack}`);
            const kubelogin = indexOf(job, (s) => s.uses?.startsWith("azure/use-kubelogin@") === true, "kubelogin");
            const login = indexOf(job, (s) => s.uses?.startsWith("azure/login@") === true, "azure/login");
            const up = indexOf(job, (s) => s.uses?.startsWith("pulumi/actions@") === true, "pulumi up");
            assert.ok(login < preflight && kubelogin < preflight && preflight === up - 1, `${stack}: login and kubelogin, then preflight, then pulumi up`);
        }
    });

    it("never cancels a running update, one queue per stack", () => {
        assert.deepStrictEqual(wf.jobs.dev.concurrency, { group: "deploy-dev", "cancel-in-progress": false });
        assert.deepStrictEqual(wf.jobs.prod.concurrency, { group: "deploy-prod", "cancel-in-progress": false });
    });

    it("grants only contents: read and id-token: write (no PR comments from a deploy)", () => {
        for (const job of Object.values(wf.jobs)) assert.deepStrictEqual(job.permissions, { contents: "read", "id-token": "write" });
    });
});

describe("workflows: every file", () => {
    it("contains only the workflows this spec checks", () => {
        assert.deepStrictEqual(fs.readdirSync(WORKFLOWS).sort(), ["deploy.yml", "preview.yml"]);
    });
});

/** The fenced bash blocks of README's "Delivery" section, joined. */
function deliverySetup(): string {
    const start = README.indexOf("## Delivery");
    const end = README.indexOf("\n## ", start + 1);
    assert.ok(start >= 0, "README has a Delivery section");
    const section = README.slice(start, end < 0 ? undefined : end);
    return [...section.matchAll(/```bash\n([\s\S]*?)```/g)].map((m) => m[1]).join("\n");
}

describe("workflows: the README's one-time setup matches them", () => {
    const setup = deliverySetup();

    /** Federated credential subjects created for the app whose id variable is `appVar`. */
    function subjectsFor(appVar: string): string[] {
        return [...setup.matchAll(/add_federated\s+"\$(\w+)"\s+\S+\s+"([^"]+)"/g)].filter((m) => m[1] === appVar).map((m) => m[2]);
    }

    it("federates the deploy identity only to the dev and prod environments", () => {
        assert.deepStrictEqual(subjectsFor("APP_ID").sort(), ["repo:$REPO:environment:dev", "repo:$REPO:environment:prod"]);
    });

    it("federates the preview identity only to pull requests, and sets both client ids as variables", () => {
        assert.deepStrictEqual(subjectsFor("PREVIEW_APP_ID"), ["repo:$REPO:pull_request"]);
        assert.match(setup, /gh variable set AZURE_CLIENT_ID\s+--repo "\$REPO" --body "\$APP_ID"/);
        assert.match(setup, /gh variable set AZURE_PREVIEW_CLIENT_ID\s+--repo "\$REPO" --body "\$PREVIEW_APP_ID"/);
        assert.match(setup, /gh variable set PROD_RUNNER_LABEL\s+--repo "\$REPO"/);
    });

    it("gives the preview identity read-only roles, never Contributor or an RBAC administrator", () => {
        const grants = [...setup.matchAll(/az role assignment create --assignee-object-id "\$PREVIEW_SP_OBJECT_ID"[^\n]*\\\n\s*--role "([^"]+)"/g)].map((m) => m[1]);
        assert.deepStrictEqual(grants.sort(), ["Azure Kubernetes Service Cluster User Role", "Azure Kubernetes Service RBAC Reader", "Key Vault Crypto User", "Reader", "Storage Blob Data Reader"].sort());
    });

    it("scopes the RBAC administrator condition to the stack's resource group, limited to the roles the program grants", () => {
        const grants = [...setup.matchAll(/--role "Role Based Access Control Administrator" --scope "([^"]+)" \\\n\s*--condition-version "2\.0" \\\n\s*--condition "([^"]+)"/g)];
        assert.deepStrictEqual(
            grants.map((g) => g[1]),
            ["/subscriptions/$SUBSCRIPTION_ID/resourceGroups/$STACK_RG", "/subscriptions/$SUBSCRIPTION_ID/resourceGroups/$DATA_RG"],
            "the stack's resource group and its data group, never the subscription",
        );
        const list = (name: string) => setup.match(new RegExp(`\\b${name}="([^"]+)"`))?.[1].split(/,\s*/).sort() ?? [];
        // Each grant's condition names its own list (both the write and the delete halves).
        assert.equal((grants[0][2].match(/\{\$ROLES\}/g) ?? []).length, 2);
        assert.equal((grants[1][2].match(/\{\$DATA_ROLES\}/g) ?? []).length, 2);
        // eslint-disable-next-line @typescript-eslint/no-require-imports
        const { BUILT_IN_ROLES } = require("../components/azure/role-assignment") as typeof import("../components/azure/role-assignment");
        assert.deepStrictEqual(list("DATA_ROLES"), [BUILT_IN_ROLES.contributor], "the data group: only Contributor, for the cluster's disks");
        assert.deepStrictEqual([...list("ROLES"), ...list("DATA_ROLES")].sort(), Object.values(BUILT_IN_ROLES).sort(), "exactly the roles the program assigns");
        assert.ok(!list("ROLES").includes(BUILT_IN_ROLES.contributor), "Contributor is never grantable on the stack's own group");
        assert.doesNotMatch(setup, /--role "User Access Administrator"/);
    });
});
