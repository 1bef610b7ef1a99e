/**
 * `npm run preflight` against fake az and kubelogin programs on PATH (tests/fake-cli): each answers from
 * fixtures and records its calls, so every check is driven through the real process boundary.
 */
import { strict as assert } from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { REQUIRED_PROVIDERS } from "../components/azure/resource-providers";
import { RawConfig } from "../components/config";
import { DEFAULT_DEPS, PreflightDeps, commandRunner, main } from "../scripts/preflight";
import { addPlaceholderSecrets, key } from "./fixtures";

const AKS_SHOW = "az aks show --resource-group rg-mcp-dev --name aks-mcp-dev --query agentPoolProfiles[].{vmSize:vmSize, count:count} --output json";
const FAKE = path.join(__dirname, "fake-cli", "fake-cli.sh");
const SUB = "0f0f0f0f-1111-4222-8333-444444444444";
const TENANT = "0e0e0e0e-1111-4222-8333-444444444444";
const GROUP = "0a0a0a0a-1111-4222-8333-444444444444";
const CI = "0b0b0b0b-1111-4222-8333-444444444444";
const CI_APP = "0c0c0c0c-1111-4222-8333-444444444444";
const ME = "0d0d0d0d-1111-4222-8333-444444444444";

/** An access token as az prints it: only the payload's oid matters here (the signature is never checked). */
function token(oid: string): string {
    const part = (o: object) => Buffer.from(JSON.stringify(o)).toString("base64url");
    return `${part({ typ: "JWT", alg: "RS256" })}.${part({ aud: "https://management.azure.com/", oid, tid: TENANT })}.c2lnbmF0dXJl`;
}

type Answer = { stdout?: unknown; stderr?: string; status?: number };
type Fixtures = Record<string, Answer>;

/** A Pay-As-You-Go subscription where everything is in order, for a dev stack (Standard_B2ms, max 3 nodes). */
function healthy(): Fixtures {
    return {
        "az account show --output json": { stdout: { id: SUB, name: "Engineering", tenantId: TENANT, user: { name: "me@example.com", type: "user" } } },
        "kubelogin --version": { stdout: "kubelogin version\ngit hash: v0.2.9/abc\n" },
        "az provider list --query [].{namespace:namespace, registrationState:registrationState} --output json": {
            stdout: [...REQUIRED_PROVIDERS.map((p) => ({ namespace: p.namespace, registrationState: "Registered" })), { namespace: "Microsoft.Resources", registrationState: "Registered" }],
        },
        [`az rest --method get --url /subscriptions/${SUB}?api-version=2022-12-01 --output json`]: {
            stdout: { id: `/subscriptions/${SUB}`, subscriptionPolicies: { quotaId: "PayAsYouGo_2014-09-01", spendingLimit: "Off", locationPlacementId: "Public_2014-09-01" } },
        },
        "az vm list-skus --location westeurope --size Standard_B2ms --resource-type virtualMachines --output json": {
            stdout: [{ name: "Standard_B2ms", family: "standardBSFamily", capabilities: [{ name: "vCPUs", value: "2" }], locationInfo: [{ location: "westeurope", zones: ["1", "2", "3"] }], restrictions: [] }],
        },
        [AKS_SHOW]: { status: 3, stderr: "(ResourceNotFound) The Resource 'Microsoft.ContainerService/managedClusters/aks-mcp-dev' was not found.\n" },
        "az vm list-usage --location westeurope --output json": {
            stdout: [
                { currentValue: 0, limit: 10, name: { value: "standardBSFamily", localizedValue: "Standard BS Family vCPUs" } },
                { currentValue: 0, limit: 10, name: { value: "cores", localizedValue: "Total Regional vCPUs" } },
            ],
        },
        [`az ad group show --group ${GROUP} --query {id:id, displayName:displayName} --output json`]: { stdout: { id: GROUP, displayName: "mcp-aks-admins" } },
        "az account get-access-token --query accessToken --output tsv": { stdout: `${token(ME)}\n` },
        [`az ad group member check --group ${GROUP} --member-id ${ME} --query value --output tsv`]: { stdout: "true\n" },
    };
}

function devRaw(access: object = { adminGroups: [GROUP] }): { raw: RawConfig; secretKeys: string[] } {
    const raw: Record<string, string> = { [key("environment")]: "dev", [key("access")]: JSON.stringify(access) };
    return { raw, secretKeys: addPlaceholderSecrets(raw, "fixture-not-a-real-key") };
}

interface Result {
    code: number;
    lines: string[];
    calls: string[][];
}

function run(fixtures: Fixtures, opts: { programs?: string[]; stack?: { raw: RawConfig; secretKeys: string[] }; readStack?: PreflightDeps["readStack"]; argv?: string[] } = {}): Result {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "preflight-"));
    try {
        const bin = path.join(dir, "bin");
        fs.mkdirSync(bin);
        for (const p of opts.programs ?? ["az", "kubelogin"]) {
            fs.copyFileSync(FAKE, path.join(bin, p));
            fs.chmodSync(path.join(bin, p), 0o755);
        }
        const fixtureDir = path.join(dir, "fixtures");
        fs.mkdirSync(fixtureDir);
        Object.entries(fixtures).forEach(([line, answer], i) => {
            fs.writeFileSync(path.join(fixtureDir, `${i}.args`), line);
            if (answer.stdout !== undefined) fs.writeFileSync(path.join(fixtureDir, `${i}.stdout`), typeof answer.stdout === "string" ? answer.stdout : JSON.stringify(answer.stdout));
            if (answer.stderr !== undefined) fs.writeFileSync(path.join(fixtureDir, `${i}.stderr`), answer.stderr);
            if (answer.status !== undefined) fs.writeFileSync(path.join(fixtureDir, `${i}.status`), String(answer.status));
        });
        const log = path.join(dir, "calls.log");
        const lines: string[] = [];
        // The fakes first; the system directories only for what a POSIX sh script itself uses (basename, cat).
        const env = { PATH: `${bin}:/usr/bin:/bin`, FAKE_CLI_FIXTURES: fixtureDir, FAKE_CLI_LOG: log };
        const code = main(opts.argv ?? ["--stack", "dev"], {
            run: commandRunner(env),
            readStack: opts.readStack ?? (() => opts.stack ?? devRaw()),
            out: (l) => lines.push(l),
        });
        const calls = fs.existsSync(log) ? fs.readFileSync(log, "utf8").trim().split("\n").filter(Boolean).map((l) => l.split("\t")) : [];
        return { code, lines, calls };
    } finally {
        fs.rmSync(dir, { recursive: true, force: true });
    }
}

const failures = (r: Result) => r.lines.filter((l) => l.startsWith("FAIL "));

describe("npm run preflight (fake az and kubelogin on PATH)", function () {
    this.timeout(30000);

    it("passes a ready subscription, and every call it made was answered by a fixture", () => {
        const r = run(healthy());
        assert.deepEqual(failures(r), []);
        assert.equal(r.code, 0);
        assert.match(r.lines.at(-1)!, /preflight passed for stack "dev"/);
        assert.ok(r.lines.includes("ok   vCPU quota Standard BS Family vCPUs in westeurope: 8 needed, 10 free"), r.lines.join("\n"));
        assert.ok(r.lines.includes(`ok   you (${ME}) are a cluster admin through an admin group`));
        assert.ok(r.calls.some((c) => c[0] === "kubelogin"));
        assert.deepEqual(r.calls.find((c) => c[1] === "account"), ["az", "account", "show", "--output", "json"]);
    });

    it("not logged in: one line with az login, and no further az calls", () => {
        const r = run({ ...healthy(), "az account show --output json": { status: 1, stderr: "ERROR: Please run 'az login' to setup account.\n" } });
        assert.equal(r.code, 1);
        assert.deepEqual(failures(r), ["FAIL not logged in to Azure (ERROR: Please run 'az login' to setup account.); fix: az login"]);
        assert.deepEqual(r.calls.filter((c) => c[0] === "az").map((c) => c[1]), ["account"]);
    });

    it("az or kubelogin missing from PATH", () => {
        const noKubelogin = run(healthy(), { programs: ["az"] });
        assert.deepEqual(failures(noKubelogin), ["FAIL kubelogin is not on PATH (AKS has local accounts off; the Kubernetes provider gets Entra tokens through it); fix: az aks install-cli"]);
        const noAz = run(healthy(), { programs: ["kubelogin"] });
        assert.deepEqual(failures(noAz), ["FAIL the Azure CLI (az) is not on PATH; fix: install it: https://learn.microsoft.com/cli/azure/install-azure-cli"]);
    });

    it("prints the exact az provider register command for each provider that is not registered", () => {
        const f = healthy();
        const list = "az provider list --query [].{namespace:namespace, registrationState:registrationState} --output json";
        f[list] = {
            stdout: (f[list].stdout as Array<{ namespace: string; registrationState: string }>)
                .filter((p) => p.namespace !== "Microsoft.ContainerService")
                .map((p) => (p.namespace === "Microsoft.KeyVault" ? { ...p, registrationState: "NotRegistered" } : p.namespace === "Microsoft.Monitor" ? { ...p, registrationState: "Registering" } : p)),
        };
        const r = run(f);
        assert.equal(r.code, 1);
        assert.deepEqual(failures(r), [
            "FAIL resource provider Microsoft.ContainerService is NotRegistered (needed for the AKS cluster); fix: az provider register --namespace Microsoft.ContainerService --wait",
            "FAIL resource provider Microsoft.KeyVault is NotRegistered (needed for the vault holding the API keys); fix: az provider register --namespace Microsoft.KeyVault --wait",
            "FAIL resource provider Microsoft.Monitor is Registering (needed for the Azure Monitor workspace for managed Prometheus); fix: az provider register --namespace Microsoft.Monitor --wait",
        ]);
    });

    it("refuses ACR Tasks on a free-credit subscription (Free Trial, or any spending limit)", () => {
        const url = `az rest --method get --url /subscriptions/${SUB}?api-version=2022-12-01 --output json`;
        for (const policies of [{ quotaId: "FreeTrial_2014-09-01", spendingLimit: "On" }, { quotaId: "MSDN_2014-09-01", spendingLimit: "On" }, { quotaId: "AzureForStudents_2018-01-01", spendingLimit: "Off" }]) {
            const r = run({ ...healthy(), [url]: { stdout: { subscriptionPolicies: policies } } });
            assert.equal(r.code, 1, policies.quotaId);
            const [line] = failures(r);
            assert.match(line, new RegExp(`^FAIL ACR Tasks are not allowed on this subscription \\(offer ${policies.quotaId}.*; fix: upgrade it to pay-as-you-go`));
        }
    });

    it("vCPU quota: counts every pool at maxCount plus one surge node, per family and regionally", () => {
        const f = healthy();
        f["az vm list-usage --location westeurope --output json"] = {
            stdout: [
                { currentValue: 4, limit: 10, name: { value: "standardBSFamily", localizedValue: "Standard BS Family vCPUs" } },
                { currentValue: 0, limit: 6, name: { value: "cores", localizedValue: "Total Regional vCPUs" } },
            ],
        };
        const r = run(f);
        assert.equal(r.code, 1);
        assert.deepEqual(failures(r), [
            "FAIL Standard BS Family vCPUs in westeurope: 8 needed at max scale plus upgrade surge (cluster.systemPool), 6 free of 10; fix: request more in the Azure portal (Subscriptions > Usage + quotas, region westeurope), or lower the pools' maxCount (pulumi config set --path cluster.systemPool.maxCount <n> --stack dev)",
            "FAIL Total Regional vCPUs in westeurope: 8 needed at max scale plus upgrade surge, 6 free of 6; fix: request more in the Azure portal (Subscriptions > Usage + quotas, region westeurope), or lower the pools' maxCount (pulumi config set --path cluster.systemPool.maxCount <n> --stack dev)",
        ]);
    });

    it("vCPU quota on a deployed stack: its own nodes are given back, so later runs (every CI deploy) pass", () => {
        const f = healthy();
        f["az vm list-usage --location westeurope --output json"] = {
            stdout: [
                { currentValue: 6, limit: 10, name: { value: "standardBSFamily", localizedValue: "Standard BS Family vCPUs" } },
                { currentValue: 6, limit: 10, name: { value: "cores", localizedValue: "Total Regional vCPUs" } },
            ],
        };
        assert.equal(failures(run(f)).length, 2, "6 used of 10 leaves 4 for a new stack that needs 8");
        f[AKS_SHOW] = { stdout: [{ vmSize: "Standard_B2ms", count: 3 }] };
        const r = run(f);
        assert.deepEqual(failures(r), []);
        assert.ok(r.lines.includes("ok   vCPU quota Standard BS Family vCPUs in westeurope: 8 needed, 10 free"), r.lines.join("\n"));
    });

    it("a VM size restricted for the subscription in the region", () => {
        const f = healthy();
        const skus = "az vm list-skus --location westeurope --size Standard_B2ms --resource-type virtualMachines --output json";
        f[skus] = { stdout: [{ ...(f[skus].stdout as object[])[0], restrictions: [{ type: "Location", reasonCode: "NotAvailableForSubscription" }] }] };
        const [line] = failures(run(f));
        assert.match(line, /^FAIL VM size Standard_B2ms \(cluster\.systemPool\.vmSize\) is restricted for this subscription in westeurope \(NotAvailableForSubscription\); fix: pick another size/);
    });

    it("admin principals: a missing group, an app id given for the CI principal, and a user who is no admin", () => {
        const f = healthy();
        f[`az ad group show --group ${GROUP} --query {id:id, displayName:displayName} --output json`] = { status: 3, stderr: "Resource 'x' does not exist" };
        f[`az ad sp show --id ${CI_APP} --query {id:id, displayName:displayName} --output json`] = { stdout: { id: CI, displayName: "github-mcp-aks" } };
        f[`az ad group member check --group ${GROUP} --member-id ${ME} --query value --output tsv`] = { stdout: "false\n" };
        const r = run(f, { stack: devRaw({ adminGroups: [GROUP], ciServicePrincipal: CI_APP }) });
        assert.deepEqual(failures(r), [
            `FAIL access.adminGroups[0] ${GROUP}: no such group in tenant ${TENANT}; fix: find the object id (az ad group show --group '<group name>' --query id -o tsv) and pulumi config set --path 'access.adminGroups[0]' <object-id> --stack dev`,
            `FAIL access.ciServicePrincipal ${CI_APP} is the application id of github-mcp-aks, not its object id; fix: pulumi config set --path 'access.ciServicePrincipal' ${CI} --stack dev`,
            `FAIL you (${ME}) are not a cluster admin of this stack, so pulumi up would get 403 from the cluster; fix: join an admin group (az ad group member add --group ${GROUP} --member-id ${ME}) or pulumi config set --path 'access.adminUsers[0]' ${ME} --stack dev`,
        ]);
    });

    it("a single-person dev setup: the signed-in user listed in access.adminUsers", () => {
        const f = healthy();
        f[`az ad user show --id ${ME} --query {id:id, displayName:displayName} --output json`] = { stdout: { id: ME, displayName: "Me" } };
        const r = run(f, { stack: devRaw({ adminUsers: [ME] }) });
        assert.deepEqual(failures(r), []);
        assert.ok(r.lines.includes(`ok   you (${ME}) are a cluster admin`));
        assert.ok(!r.calls.some((c) => c.includes("member")), "no group lookup needed");
    });

    it("CI: a service principal login is matched by its object id", () => {
        const f = healthy();
        f["az account show --output json"] = { stdout: { id: SUB, tenantId: TENANT, user: { name: CI_APP, type: "servicePrincipal" } } };
        f[`az ad sp show --id ${CI} --query {id:id, displayName:displayName} --output json`] = { stdout: { id: CI, displayName: "github-mcp-aks" } };
        f["az account get-access-token --query accessToken --output tsv"] = { stdout: `${token(CI)}\n` };
        const r = run(f, { stack: devRaw({ adminGroups: [GROUP], ciServicePrincipal: CI }) });
        assert.deepEqual(failures(r), []);
        assert.ok(r.lines.includes(`ok   you (${CI}) are a cluster admin`));
    });

    it("--skip-entra-lookups (CI, no Graph permissions): no directory calls, the token's object id still checked", () => {
        const f = healthy();
        f["az account show --output json"] = { stdout: { id: SUB, tenantId: TENANT, user: { name: CI_APP, type: "servicePrincipal" } } };
        f["az account get-access-token --query accessToken --output tsv"] = { stdout: `${token(CI)}\n` };
        const ok = run(f, { stack: devRaw({ adminGroups: [GROUP], ciServicePrincipal: CI }), argv: ["--stack", "dev", "--skip-entra-lookups"] });
        assert.deepEqual(failures(ok), []);
        assert.ok(!ok.calls.some((c) => c[1] === "ad"), "no Microsoft Graph lookups");
        const notAdmin = run(f, { stack: devRaw({ adminUsers: [ME] }), argv: ["--stack", "dev", "--skip-entra-lookups"] });
        assert.deepEqual(failures(notAdmin), [`FAIL you (${CI}) are not a cluster admin of this stack, so pulumi up would get 403 from the cluster; fix: pulumi config set --path 'access.ciServicePrincipal' ${CI} --stack dev`]);
    });

    it("reads the real stack file through the program's validation: the committed dev file names no admin yet", () => {
        const r = run(healthy(), { readStack: DEFAULT_DEPS.readStack });
        assert.equal(r.code, 1);
        const access = failures(r).find((l) => l.includes("mcp-aks:access "));
        assert.ok(access, r.lines.join("\n"));
        assert.match(access, /fix: pulumi config set --path 'access\.adminUsers\[0\]' "\$\(az ad signed-in-user show --query id -o tsv\)" --stack dev$/);
        assert.ok(!r.calls.some((c) => c[1] === "vm"), "quota and admin checks need a valid config");
        assert.ok(r.calls.some((c) => c[1] === "provider"), "the checks that need no config still run");
    });

    it("usage errors and a stack without a file", () => {
        assert.equal(run(healthy(), { argv: [] }).code, 2);
        assert.equal(run(healthy(), { argv: ["--stack"] }).code, 2);
        const none = run(healthy(), { argv: ["--stack", "nope"], readStack: DEFAULT_DEPS.readStack });
        assert.deepEqual(failures(none), ["FAIL no stack file Pulumi.nope.yaml in this directory; fix: run it from the repository root, or create the stack: pulumi stack init nope"]);
    });
});
