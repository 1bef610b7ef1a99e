/**
 * `npm run bench`: the timing goals of DESIGN.md ("Targets"), measured instead of asserted in a test,
 * where a wall-clock bound fails whenever the machine is busy. It evaluates each stack file under the
 * shared mock harness a few times and compares the median with the target.
 *
 *   npm run bench               # every stack file
 *   npm run bench -- dev        # one stack
 *
 * After the timings it prints the modelled duration of each stack's first `pulumi up` and its critical path
 * (tests/first-up-model.ts): nominal durations, not a measurement. Only the evaluation target decides the
 * exit code; a resource type the model does not know is an error (exit 1), like a failed evaluation.
 */
import * as fs from "fs";
import { Evaluation, evaluateStack, REPO_ROOT } from "../tests/harness";
import { describeSchedule, firstUpSchedule } from "../tests/first-up-model";

/** Evaluating one stack under mocks (what `npm run plan` and most tests do) takes at most this long. */
export const EVALUATION_TARGET_MS = 3000;
const RUNS = 5;

function median(values: number[]): number {
    const sorted = [...values].sort((a, b) => a - b);
    return sorted[Math.floor(sorted.length / 2)];
}

async function main(argv: string[]): Promise<number> {
    const stacks = argv.length > 0 ? argv : fs.readdirSync(REPO_ROOT).flatMap((f) => /^Pulumi\.(.+)\.yaml$/.exec(f)?.[1] ?? []);
    let failed = false;
    const evaluations = new Map<string, Evaluation>();
    for (const stack of stacks) {
        const times: number[] = [];
        // The first run also pays for loading the SDKs; it is reported but not part of the median.
        for (let i = 0; i <= RUNS; i++) {
            const started = process.hrtime.bigint();
            evaluations.set(stack, await evaluateStack(stack));
            times.push(Number(process.hrtime.bigint() - started) / 1e6);
        }
        const [cold, ...warm] = times;
        const m = median(warm);
        const ok = m <= EVALUATION_TARGET_MS;
        failed ||= !ok;
        console.log(`${ok ? "ok  " : "SLOW"} ${stack}: median ${m.toFixed(0)} ms over ${RUNS} evaluations (first, with module loading: ${cold.toFixed(0)} ms); target ${EVALUATION_TARGET_MS} ms`);
    }
    for (const [stack, ev] of evaluations) {
        const schedule = firstUpSchedule(ev);
        console.log(`\n${stack}: modelled first up ${Math.round(schedule.total)} s (${(schedule.total / 60).toFixed(1)} min); critical path, each created at:`);
        for (const line of describeSchedule(schedule)) console.log(`  ${line}`);
        // When something else outlasts the rollout (a node pool), the rollout's own chain is still worth seeing.
        const k8s = ev.resources.filter((r) => r.type.startsWith("kubernetes:"));
        const lastK8s = k8s.reduce((a, b) => ((schedule.finish.get(b.urn) ?? 0) > (schedule.finish.get(a.urn) ?? 0) ? b : a), k8s[0]);
        if (lastK8s && !schedule.criticalPath.includes(lastK8s)) {
            console.log(`  the chain to the last Kubernetes object (off the critical path):`);
            for (const line of describeSchedule(schedule, lastK8s.urn)) console.log(`  ${line}`);
        }
    }
    return failed ? 1 : 0;
}

if (require.main === module) {
    main(process.argv.slice(2)).then((code) => process.exit(code), (err) => {
        console.error(err instanceof Error ? err.message : String(err));
        process.exit(1);
    });
}
