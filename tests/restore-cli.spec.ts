/** `npm run restore`: the Job it prints is valid, restricted, covered by the backup's policy, and refuses bad input. */
import { strict as assert } from "assert";
import * as YAML from "yaml";
import { NAMES } from "../components/cluster/specs";
import { networkPolicyManifests } from "../components/cluster/specs/network-policies";
import { main } from "../scripts/restore";
import { configFor } from "./fixtures";
import { manifestProblems } from "./k8s-schema";
import { PodTemplateLike, restrictedViolations } from "./pod-security";

const IMAGE = "acrmcpprodabc123.azurecr.io/curlimages/curl:8.11.1";

function run(argv: string[]): { code: number; out: string; err: string } {
    let out = "";
    let err = "";
    const code = main(argv, (t) => void (out += t), (t) => void (err += t));
    return { code, out, err };
}

describe("npm run restore", () => {
    it("prints a schema-valid, restricted restore Job for one run, in the stack's namespace", () => {
        const r = run(["--stack", "prod", "--snapshot", "20261121T191703Z", "--image", IMAGE, "--collection", "crypto_docs"]);
        assert.equal(r.code, 0, r.err);
        const job = YAML.parse(r.out);
        assert.deepEqual(manifestProblems(job), []);
        assert.equal(job.kind, "Job");
        assert.equal(job.metadata.namespace, configFor("prod").namespace);
        assert.deepEqual(restrictedViolations(job.spec.template as PodTemplateLike), []);
        const container = job.spec.template.spec.containers[0];
        assert.equal(container.image, IMAGE);
        assert.deepEqual(container.env.filter((e: any) => e.value !== undefined), [{ name: "SNAPSHOT_RUN", value: "20261121T191703Z" }, { name: "COLLECTIONS", value: "crypto_docs" }]);
        const backupPolicy = networkPolicyManifests(configFor("prod")).find((p) => p.metadata.name === NAMES.qdrantBackup)!;
        const labels = job.spec.template.metadata.labels;
        assert.ok(Object.entries((backupPolicy.spec.podSelector as { matchLabels: Record<string, string> }).matchLabels).every(([k, v]) => labels[k] === v), "the backup NetworkPolicy selects the restore pod");
    });

    it("refuses a malformed run id, a missing image, and an unknown stack, and shows help", () => {
        let r = run(["--stack", "prod", "--snapshot", "latest", "--image", IMAGE]);
        assert.equal(r.code, 2);
        assert.match(r.err, /--snapshot must be a backup run such as 20261121T191703Z/);
        r = run(["--stack", "prod", "--snapshot", "20261121T191703Z"]);
        assert.equal(r.code, 2);
        assert.match(r.err, /--image is required.*\n[\s\S]*kubectl -n <namespace> get cronjob qdrant-backup/);
        assert.notEqual(run(["--stack", "nope", "--snapshot", "20261121T191703Z", "--image", IMAGE]).code, 0);
        assert.equal(run(["--snapshot", "20261121T191703Z"]).code, 2);
        r = run(["--help"]);
        assert.equal(r.code, 0);
        assert.match(r.out, /^Usage: npm run restore/);
    });
});
