/**
 * The pack as the Pulumi CLI runs it: its project files, and its entry point started the way the CLI's
 * pulumi-analyzer-policy script starts it (resolve @pulumi/pulumi/cmd/run-policy-pack from policy/, run it
 * there), then asked over gRPC. This proves that `npm ci` at the root is all the pack needs, that index.ts
 * wires every policy in, and that values unknown during preview do not turn a policy into a skipped one.
 */
import * as assert from "assert";
import { ChildProcess, spawn } from "child_process";
import * as fs from "fs";
import * as path from "path";
import * as YAML from "yaml";
import * as grpc from "@grpc/grpc-js";
import { allPolicies, PACK_NAME } from "../policy/policies";
import { UNKNOWN_VALUE } from "./policy-helpers";

const POLICY_DIR = path.resolve(__dirname, "..", "policy");

const analyzerPb = require("@pulumi/pulumi/proto/analyzer_pb");
const analyzerGrpc = require("@pulumi/pulumi/proto/analyzer_grpc_pb");
const { Struct } = require("google-protobuf/google/protobuf/struct_pb");

describe("policy pack: project files", () => {
    it("PulumiPolicy.yaml declares the nodejs runtime and a description", () => {
        const doc = YAML.parse(fs.readFileSync(path.join(POLICY_DIR, "PulumiPolicy.yaml"), "utf8"));
        assert.strictEqual(doc.runtime, "nodejs");
        assert.ok(typeof doc.description === "string" && doc.description.length > 20);
    });

    it("package.json gives the version @pulumi/policy requires and installs nothing of its own", () => {
        const pkg = JSON.parse(fs.readFileSync(path.join(POLICY_DIR, "package.json"), "utf8"));
        assert.match(pkg.version, /^\d+\.\d+\.\d+$/);
        assert.strictEqual(pkg.dependencies, undefined, "dependencies come from the root package.json (npm ci at the root)");
        assert.strictEqual(pkg.devDependencies, undefined);
    });

    it("every policy is unique, explains itself and says how to fix a violation", () => {
        const names = allPolicies.map((p) => p.name);
        assert.deepStrictEqual([...new Set(names)], names);
        for (const policy of allPolicies) {
            assert.ok(policy.description.length > 60, `${policy.name}: description says why`);
            assert.ok((policy.remediationSteps ?? "").length > 20, `${policy.name}: remediationSteps say how`);
            assert.strictEqual(policy.enforcementLevel, "mandatory", `${policy.name}: security policies block the deployment`);
        }
    });
});

describe("policy pack: served the way the Pulumi CLI runs it", function () {
    // ts-node type-checks the pack on start, as it does under the CLI.
    this.timeout(60000);
    let child: ChildProcess;
    let client: any;

    before(async () => {
        const runner = require.resolve("@pulumi/pulumi/cmd/run-policy-pack", { paths: [POLICY_DIR] });
        child = spawn(process.execPath, [runner, "127.0.0.1:0", "."], { cwd: POLICY_DIR, stdio: ["ignore", "pipe", "pipe"] });
        let stderr = "";
        child.stderr?.on("data", (d) => (stderr += d));
        const port = await new Promise<number>((resolve, reject) => {
            let stdout = "";
            child.stdout?.on("data", (d) => {
                stdout += d;
                const match = /^(\d+)\s*$/m.exec(stdout);
                if (match) resolve(Number(match[1]));
            });
            child.on("exit", (code) => reject(new Error(`policy pack exited with ${code}: ${stderr}${stdout}`)));
        });
        client = new analyzerGrpc.AnalyzerClient(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
    });

    after(() => {
        client?.close();
        child?.kill();
    });

    function call<T>(method: string, request: unknown): Promise<T> {
        return new Promise((resolve, reject) => client[method](request, (err: Error | null, res: T) => (err ? reject(err) : resolve(res))));
    }

    function options(): unknown {
        const opts = new analyzerPb.AnalyzerResourceOptions();
        opts.setProtect(false);
        return opts;
    }

    async function analyze(type: string, name: string, props: object): Promise<{ policy: string; level: string; message: string }[]> {
        const req = new analyzerPb.AnalyzeRequest();
        req.setType(type);
        req.setName(name);
        req.setUrn(`urn:pulumi:dev::mcp-aks::${type}::${name}`);
        req.setProperties(Struct.fromJavaScript(props));
        req.setOptions(options());
        const res: any = await call("analyze", req);
        return res.getDiagnosticsList().map((d: any) => ({ policy: d.getPolicyname(), level: String(d.getEnforcementlevel()), message: d.getMessage() }));
    }

    it("reports under the pack's name with every policy registered", async () => {
        const info: any = await call("getAnalyzerInfo", new (require("google-protobuf/google/protobuf/empty_pb").Empty)());
        assert.strictEqual(info.getName(), PACK_NAME);
        assert.deepStrictEqual(info.getPoliciesList().map((p: any) => p.getName()).sort(), allPolicies.map((p) => p.name).sort());
    });

    it("blocks a LoadBalancer that is not allow-listed", async () => {
        const found = await analyze("kubernetes:core/v1:Service", "qdrant", { metadata: { name: "qdrant" }, spec: { type: "LoadBalancer" } });
        assert.strictEqual(found.length, 1, JSON.stringify(found));
        assert.strictEqual(found[0].policy, "k8s-loadbalancer-allowlist");
        assert.match(found[0].message, /not on the allow-list/);
    });

    it("still judges a role assignment whose scope is unknown during preview, instead of skipping the policies", async () => {
        const found = await analyze("azure-native:authorization:RoleAssignment", "acrpull", { scope: UNKNOWN_VALUE, principalId: UNKNOWN_VALUE, roleDefinitionId: "x" });
        assert.deepStrictEqual(found.map((f) => f.policy), ["role-assignment-principal-type"], JSON.stringify(found));
        assert.doesNotMatch(found[0].message, /can't run/);
    });
});
