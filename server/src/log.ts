/**
 * One JSON object per line on stdout, the shape Container Insights parses. Every line is passed through
 * the redactor, so a secret value that reaches a message by accident (an upstream error echoing a header,
 * say) is replaced before it is written.
 */
export type Level = "info" | "warn" | "error";

export interface Logger {
    log(level: Level, msg: string, fields?: Record<string, unknown>): void;
}

export class JsonLogger implements Logger {
    constructor(
        private readonly secretValues: () => readonly string[],
        private readonly write: (line: string) => void = (line) => process.stdout.write(line + "\n"),
    ) {}

    log(level: Level, msg: string, fields: Record<string, unknown> = {}): void {
        let line = JSON.stringify({ time: new Date().toISOString(), level, msg, ...fields });
        line = redact(line, this.secretValues());
        this.write(line);
    }
}

/** Replaces every occurrence of each value (and its JSON-escaped form) with "[redacted]". */
export function redact(text: string, values: readonly string[]): string {
    let out = text;
    for (const v of values) {
        // Short values would blank out ordinary words; the platform's keys are long random strings.
        if (v.length < 8) continue;
        for (const form of new Set([v, JSON.stringify(v).slice(1, -1)])) out = out.split(form).join("[redacted]");
    }
    return out;
}
