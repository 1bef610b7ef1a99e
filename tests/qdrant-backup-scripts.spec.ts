/**
 * The backup and restore scripts, run for real with `sh` from the ConfigMap the stack ships, against local
 * stand-ins for three Qdrant nodes, Entra ID's token endpoint and Blob storage (tests/standins.ts).
 */
import { strict as assert } from "assert";
import { execFile } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { backupScriptsConfigMapManifest } from "../components/cluster/specs/qdrant-backup";
import * as YAML from "yaml";
import { main as restoreMain } from "../scripts/restore";
import { configFor } from "./fixtures";
import { API_KEY, Azure, CLIENT_ID, CONTAINER, FEDERATED_TOKEN, QdrantNode, TENANT, qdrantNode, sha256, startAzure, startQdrant } from "./standins";

interface Run {
    readonly code: number;
    readonly log: string;
}

/** Runs a script from the rendered ConfigMap (not the repository file), as the pod would. */
function runScript(dir: string, script: string, env: Record<string, string>): Promise<Run> {
    return new Promise((resolve) => {
        execFile("sh", [path.join(dir, "scripts", script)], { env: { PATH: process.env.PATH ?? "/usr/bin:/bin", ...env }, timeout: 60_000 }, (error, _stdout, stderr) => {
            resolve({ code: error ? (typeof error.code === "number" ? error.code : 1) : 0, log: stderr });
        });
    });
}

const RUN = "20261121T191703Z";
const bytes = (label: string, size = 3000) => Buffer.from(label.repeat(Math.ceil(size / label.length)).slice(0, size));

describe("Qdrant backup and restore scripts against local stand-ins", function () {
    this.timeout(60_000);
    let dir: string;
    let azure: Azure;
    let nodes: QdrantNode[];
    const servers: Array<{ close(): void }> = [];

    async function cluster(collections: Record<string, number>, count = 3): Promise<QdrantNode[]> {
        const list: QdrantNode[] = [];
        for (let i = 0; i < count; i++) {
            const node = qdrantNode(`qdrant-${i}`, Object.fromEntries(Object.entries(collections).map(([c, size]) => [c, bytes(`${c}@qdrant-${i};`, size)])));
            await startQdrant(node);
            servers.push(node.server!);
            list.push(node);
        }
        return list;
    }

    function env(list: QdrantNode[], extra: Record<string, string> = {}): Record<string, string> {
        return {
            QDRANT_NODES: list.map((n) => `${n.name}=${n.url}`).join(" "),
            QDRANT_API_KEY: API_KEY,
            BLOB_ENDPOINT: `${azure.url}/`,
            BLOB_CONTAINER: CONTAINER,
            AZURE_CLIENT_ID: CLIENT_ID,
            AZURE_TENANT_ID: TENANT,
            AZURE_AUTHORITY_HOST: `${azure.url}/`,
            AZURE_FEDERATED_TOKEN_FILE: path.join(dir, "token"),
            WORK_DIR: path.join(dir, "work"),
            RUN_ID: RUN,
            ...extra,
        };
    }

    beforeEach(async () => {
        dir = fs.mkdtempSync(path.join(os.tmpdir(), "qdrant-backup-"));
        fs.mkdirSync(path.join(dir, "scripts"));
        for (const [file, content] of Object.entries(backupScriptsConfigMapManifest(configFor("prod")).data)) fs.writeFileSync(path.join(dir, "scripts", file), content);
        fs.writeFileSync(path.join(dir, "token"), FEDERATED_TOKEN);
        azure = await startAzure();
        servers.push(azure.server!);
        nodes = await cluster({ crypto_docs: 3000, notes: 1200 });
    });

    afterEach(() => {
        for (const s of servers.splice(0)) s.close();
        fs.rmSync(dir, { recursive: true, force: true });
    });

    it("uploads every collection's snapshot from every node, then deletes each snapshot on its node", async () => {
        const run = await runScript(dir, "qdrant-backup.sh", env(nodes));
        assert.equal(run.code, 0, run.log);
        const expected: string[] = [];
        for (const node of nodes) {
            for (const [c, content] of node.collections) {
                const name = `${RUN}/${c}/${node.name}.snapshot`;
                expected.push(name);
                const blob = azure.blobs.get(name);
                assert.ok(blob, `${name} uploaded`);
                assert.ok(blob.content.equals(content), `${name} holds ${node.name}'s snapshot of ${c}`);
                assert.equal(blob.sha256, sha256(content));
            }
            assert.equal(node.deleted.length, node.collections.size, `${node.name}: every snapshot deleted`);
            assert.equal(node.snapshots.size, 0, `${node.name}: nothing left on the node`);
            assert.equal(node.unauthorized, 0);
        }
        assert.deepEqual([...azure.blobs.keys()].sort(), [...expected, `${RUN}/COMPLETE`].sort());
        const complete = azure.blobs.get(`${RUN}/COMPLETE`)!.content.toString();
        for (const name of expected) assert.match(complete, new RegExp(`^${name} [0-9a-f]{64}$`, "m"));
        assert.deepEqual(azure.badTokenRequests, []);
        assert.ok(azure.tokens.length >= expected.length, "a fresh token per upload");
        assert.ok(!run.log.includes(API_KEY) && !run.log.includes(azure.tokens[0]), "no credential in the log");
        assert.deepEqual(fs.readdirSync(path.join(dir, "work")).filter((f) => f.includes("snapshot")), [], "no local copy left");
    });

    it("uploads a snapshot above the single Put Blob limit as blocks and commits them in order", async () => {
        const big = await cluster({ big: 2.5 * 1048576 }, 1);
        azure.maxPutBytes = 1048576;
        const run = await runScript(dir, "qdrant-backup.sh", env(big, { SINGLE_PUT_MAX_BYTES: "1048576", BLOCK_SIZE_MIB: "1" }));
        assert.equal(run.code, 0, run.log);
        const blob = azure.blobs.get(`${RUN}/big/qdrant-0.snapshot`)!;
        assert.ok(blob.content.equals(big[0].collections.get("big")!), "the committed blob is the snapshot, byte for byte");
        assert.equal(blob.sha256, sha256(blob.content));
        assert.equal(azure.requests.filter((r) => r.includes("comp=block&")).length, 3);
        assert.equal(azure.requests.filter((r) => r.includes("comp=blocklist")).length, 1);
    });

    it("the limit check can fail: without blocks, the same snapshot is refused", async () => {
        const big = await cluster({ big: 2.5 * 1048576 }, 1);
        azure.maxPutBytes = 1048576;
        const run = await runScript(dir, "qdrant-backup.sh", env(big, { SINGLE_PUT_MAX_BYTES: String(10 * 1048576) }));
        assert.notEqual(run.code, 0);
        assert.equal(azure.blobs.size, 0);
        assert.equal(big[0].snapshots.size, 0, "the failed snapshot is still deleted on the node");
    });

    it("fails the run, without a COMPLETE marker, when a snapshot fails or is corrupt, and still cleans up", async () => {
        nodes[1].failSnapshots.add("notes");
        nodes[2].corrupt.add("crypto_docs");
        const run = await runScript(dir, "qdrant-backup.sh", env(nodes));
        assert.notEqual(run.code, 0);
        assert.ok(!azure.blobs.has(`${RUN}/COMPLETE`));
        assert.ok(azure.blobs.has(`${RUN}/notes/qdrant-0.snapshot`), "the good snapshots are still uploaded");
        assert.ok(!azure.blobs.has(`${RUN}/crypto_docs/qdrant-2.snapshot`), "a corrupt download is never uploaded");
        for (const n of nodes) assert.equal(n.snapshots.size, 0, `${n.name}: no snapshot left behind`);
        assert.match(run.log, /qdrant-2\/crypto_docs: .* is corrupt/);
    });

    it("refuses to upload without a valid workload-identity token", async () => {
        fs.writeFileSync(path.join(dir, "token"), "some-other-token");
        const run = await runScript(dir, "qdrant-backup.sh", env(nodes.slice(0, 1)));
        assert.notEqual(run.code, 0);
        assert.equal(azure.blobs.size, 0);
        assert.ok(azure.badTokenRequests.length > 0);
        assert.match(run.log, /token request failed/);
    });

    describe("restore", () => {
        /** The blobs of one real backup run of `nodes`, made once and copied into each test's stand-in. */
        let backedUp: Azure["blobs"] | undefined;

        /** A fresh, empty cluster of `count` nodes, with the backup run already in Blob storage. */
        async function backupThenFresh(count: number): Promise<QdrantNode[]> {
            if (!backedUp) {
                const backup = await runScript(dir, "qdrant-backup.sh", env(nodes));
                assert.equal(backup.code, 0, backup.log);
                backedUp = new Map(azure.blobs);
            }
            for (const [k, v] of backedUp) azure.blobs.set(k, v);
            return cluster({}, count);
        }

        it("recovers each node from its own node's snapshot with priority=snapshot, node 0 first", async () => {
            const fresh = await backupThenFresh(3);
            azure.listPageSize = 2; // forces List Blobs to page through NextMarker
            const run = await runScript(dir, "qdrant-restore.sh", env(fresh, { SNAPSHOT_RUN: RUN }));
            assert.equal(run.code, 0, run.log);
            fresh.forEach((node, i) => {
                assert.deepEqual(node.recovered.map((r) => r.collection).sort(), ["crypto_docs", "notes"], node.name);
                for (const r of node.recovered) {
                    assert.equal(r.priority, "snapshot");
                    assert.ok(r.content.equals(nodes[i].collections.get(r.collection)!), `${node.name} got qdrant-${i}'s snapshot of ${r.collection}`);
                }
            });
            assert.match(run.log, /restore of 20261121T191703Z complete in \d+ s/);
            const order = run.log.split("\n").filter((l) => l.includes("crypto_docs: qdrant-")).map((l) => /qdrant-\d/.exec(l)![0]);
            assert.deepEqual(order, ["qdrant-0", "qdrant-1", "qdrant-2"]);
        });

        it("restores a 3-node backup into a single node from qdrant-0's snapshots", async () => {
            const [single] = await backupThenFresh(1);
            const run = await runScript(dir, "qdrant-restore.sh", env([single], { SNAPSHOT_RUN: RUN, COLLECTIONS: "notes" }));
            assert.equal(run.code, 0, run.log);
            assert.deepEqual(single.recovered.map((r) => r.collection), ["notes"]);
            assert.ok(single.recovered[0].content.equals(nodes[0].collections.get("notes")!));
        });

        it("refuses a run without COMPLETE unless told, and a blob that does not match its checksum", async () => {
            const fresh = await backupThenFresh(3);
            azure.blobs.delete(`${RUN}/COMPLETE`);
            let run = await runScript(dir, "qdrant-restore.sh", env(fresh, { SNAPSHOT_RUN: RUN }));
            assert.notEqual(run.code, 0);
            assert.match(run.log, /no COMPLETE marker/);
            assert.equal(fresh.flatMap((n) => n.recovered).length, 0);

            const tampered = azure.blobs.get(`${RUN}/notes/qdrant-1.snapshot`)!;
            azure.blobs.set(`${RUN}/notes/qdrant-1.snapshot`, { ...tampered, content: Buffer.from("not the snapshot") });
            run = await runScript(dir, "qdrant-restore.sh", env(fresh, { SNAPSHOT_RUN: RUN, ALLOW_INCOMPLETE: "1" }));
            assert.notEqual(run.code, 0, "a corrupt snapshot fails the restore");
            assert.match(run.log, /notes\/qdrant-1\.snapshot is corrupt/);
            assert.ok(!fresh[1].recovered.some((r) => r.collection === "notes"), "the corrupt file never reaches Qdrant");
            assert.equal(fresh[0].recovered.length, 2, "the good snapshots are restored");
        });

        it("the Job `npm run restore` prints runs the restore with what it needs", async () => {
            const fresh = await backupThenFresh(3);
            let out = "";
            assert.equal(restoreMain(["--stack", "prod", "--snapshot", RUN, "--image", "acr.azurecr.io/curlimages/curl:8.11.1", "--collection", "notes"], (t) => void (out += t), () => undefined), 0);
            const container = YAML.parse(out).spec.template.spec.containers[0];
            const jobEnv = Object.fromEntries(container.env.filter((e: any) => e.value !== undefined).map((e: any) => [e.name, e.value]));
            const run = await runScript(dir, path.basename(container.command[1]), env(fresh, jobEnv));
            assert.equal(run.code, 0, run.log);
            for (const node of fresh) assert.deepEqual(node.recovered.map((r) => r.collection), ["notes"], node.name);
        });

        it("fails clearly for a run that does not exist", async () => {
            const fresh = await backupThenFresh(3);
            const run = await runScript(dir, "qdrant-restore.sh", env(fresh, { SNAPSHOT_RUN: "20200101T000000Z" }));
            assert.notEqual(run.code, 0);
            assert.match(run.log, /no backup run 20200101T000000Z/);
        });
    });
});
