/**
 * Renders the Kubernetes Job that restores one Qdrant backup run from Blob storage, offline:
 *
 *   npm run restore -- --stack prod --snapshot 20261121T191703Z --image <acr>/curlimages/curl:<tag> | kubectl apply -f -
 *
 * The Job runs the restore script from the stack's `qdrant-backup-scripts` ConfigMap as the `qdrant-backup`
 * ServiceAccount, with the storage target from the `qdrant-backup-settings` ConfigMap, so it holds no
 * Azure value itself: the stack (or a fresh stack after a disaster) must be up. README "Backups and restore".
 */
import * as YAML from "yaml";
import { restoreJobManifest } from "../components/cluster/specs/qdrant-backup";
import { ConfigError, parseStackConfig } from "../components/config";
import { stackRawConfig } from "../tests/harness";

export const USAGE = `Usage: npm run restore -- --stack <stack> --snapshot <run> --image <ref> [--collection <name>]... [--allow-incomplete]

  Prints the restore Job for backup run <run> (a folder of the snapshot container, such as 20261121T191703Z)
  as YAML on stdout; pipe it to \`kubectl apply -f -\`. --image is the curl image in the stack's ACR (the
  backup CronJob's image): the stack output images.curl, or read it from the cluster with
    kubectl -n <namespace> get cronjob qdrant-backup -o jsonpath='{.spec.jobTemplate.spec.template.spec.containers[0].image}'
  --collection restores only that collection (repeatable); --allow-incomplete restores a run without COMPLETE.`;

class UsageError extends Error {}

interface Args {
    stack?: string;
    snapshot?: string;
    image?: string;
    collections: string[];
    allowIncomplete: boolean;
    help: boolean;
}

function parseArgs(argv: readonly string[]): Args {
    const args: Args = { collections: [], allowIncomplete: false, help: false };
    for (let i = 0; i < argv.length; i++) {
        const arg = argv[i];
        const value = () => {
            const v = argv[++i];
            if (v === undefined || v.startsWith("--")) throw new UsageError(`${arg} needs a value`);
            return v;
        };
        if (arg === "--help" || arg === "-h") args.help = true;
        else if (arg === "--stack") args.stack = value();
        else if (arg === "--snapshot") args.snapshot = value();
        else if (arg === "--image") args.image = value();
        else if (arg === "--collection") args.collections.push(value());
        else if (arg === "--allow-incomplete") args.allowIncomplete = true;
        else throw new UsageError(`unknown argument "${arg}"`);
    }
    return args;
}

/** The Job YAML for the arguments; throws UsageError or ConfigError. */
export function renderRestoreJob(argv: readonly string[]): string {
    const args = parseArgs(argv);
    if (args.help) return `${USAGE}\n`;
    if (!args.stack) throw new UsageError("--stack is required");
    // The run ids the backup writes: date -u +%Y%m%dT%H%M%SZ.
    if (!args.snapshot || !/^\d{8}T\d{6}Z$/.test(args.snapshot)) throw new UsageError(`--snapshot must be a backup run such as 20261121T191703Z (got ${args.snapshot ?? "nothing"})`);
    for (const c of args.collections) if (!/^[A-Za-z0-9._-]+$/.test(c)) throw new UsageError(`--collection ${c}: only letters, digits, '.', '_' and '-'`);
    const { raw, secretKeys } = stackRawConfig(args.stack);
    const cfg = parseStackConfig(raw, { stack: args.stack, secretKeys });
    if (!cfg.qdrant.backup.enabled) throw new UsageError(`stack ${args.stack} has qdrant.backup.enabled false: there is no backup to restore from`);
    // The image is the in-ACR copy of images.curl, whose registry name only the deployed stack knows.
    const image = args.image;
    if (!image) throw new UsageError(`--image is required: the backup CronJob's image (see --help)`);
    const job = restoreJobManifest(cfg, image, args.snapshot, { collections: args.collections, allowIncomplete: args.allowIncomplete });
    return `# Restore of Qdrant backup run ${args.snapshot} for stack ${args.stack}: kubectl apply -f -, then\n# kubectl -n ${cfg.namespace} logs -f job/${job.metadata.name}\n${YAML.stringify(job, { lineWidth: 0 })}`;
}

/** Prints the Job; returns the exit code: 0 done, 1 invalid config, 2 usage. */
export function main(argv: readonly string[], out = (t: string) => void process.stdout.write(t), err = (t: string) => void process.stderr.write(t)): number {
    try {
        out(renderRestoreJob(argv));
        return 0;
    } catch (e) {
        if (e instanceof UsageError) {
            err(`restore: ${e.message}\n${USAGE}\n`);
            return 2;
        }
        if (e instanceof ConfigError) {
            err(`${e.message}\n`);
            return 1;
        }
        err(`restore: ${e instanceof Error ? e.message : String(e)}\n`);
        return 1;
    }
}

if (require.main === module) process.exitCode = main(process.argv.slice(2));
