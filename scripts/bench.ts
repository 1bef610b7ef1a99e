/**
 * `npm run bench`: the timing goals of DESIGN.md ("Targets"), measured instead of asserted in a test,
 * where a wall-clock bound fails whenever the machine is busy. It evaluates each stack file under the
 * shared mock harness a few times and compares the median with the target.
 *
 *   npm run bench               # every stack file
 *   npm run bench -- dev        # one stack
 */
import * as fs from "fs";
import { evaluateStack, REPO_ROOT } from "../tests/harness";

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
    for (const stack of stacks) {
        const times: number[] = [];
        // The first run also pays for loading the SDKs; it is reported but not part of the median.
        for (let i = 0; i <= RUNS; i++) {
            const started = process.hrtime.bigint();
            await evaluateStack(stack);
            times.push(Number(process.hrtime.bigint() - started) / 1e6);
        }
        const [cold, ...warm] = times;
        const m = median(warm);
        const ok = m <= EVALUATION_TARGET_MS;
        failed ||= !ok;
        console.log(`${ok ? "ok  " : "SLOW"} ${stack}: median ${m.toFixed(0)} ms over ${RUNS} evaluations (first, with module loading: ${cold.toFixed(0)} ms); target ${EVALUATION_TARGET_MS} ms`);
    }
    return failed ? 1 : 0;
}

if (require.main === module) {
    main(process.argv.slice(2)).then((code) => process.exit(code), (err) => {
        console.error(err instanceof Error ? err.message : String(err));
        process.exit(1);
    });
}
