/** Pure: POSIX shell quoting for the commands the stack prints (config fixes) or runs (az). */

/** The word as it is when it is safe unquoted, otherwise single-quoted (a `'` inside becomes `'\''`). */
export function shellQuote(word: string): string {
    return /^[\w./:@=+-]+$/.test(word) ? word : `'${word.replace(/'/g, "'\\''")}'`;
}
