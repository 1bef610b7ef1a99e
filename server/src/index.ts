/**
 * Entry point. Runs under tini (PID 1), which forwards SIGTERM here; the kubelet sends it after the
 * pod's 15 s preStop pause and kills at 120 s, so the drain (MCP_SHUTDOWN_TIMEOUT_MS, 30 s) ends well before.
 */
import { loadConfig } from "./config";
import { startServer } from "./app";

async function main(): Promise<void> {
    const config = loadConfig();
    const server = await startServer(config);
    let signals = 0;
    for (const signal of ["SIGTERM", "SIGINT"] as const) {
        process.on(signal, () => {
            // A second signal (Ctrl-C twice) means "now".
            if (++signals > 1) process.exit(1);
            server.shutdown(signal).then(
                () => process.exit(0),
                () => process.exit(1),
            );
        });
    }
}

main().catch((err: Error) => {
    // Startup errors name a setting, never a secret value (secrets are read only when used).
    process.stderr.write(JSON.stringify({ time: new Date().toISOString(), level: "error", msg: "startup failed", error: err.message }) + "\n");
    process.exit(1);
});
