/**
 * Pure conversion of an AKS user kubeconfig (Entra ID cluster) into one that authenticates without a
 * person at the keyboard. AKS hands out kubeconfigs whose user either runs `kubelogin --login devicecode`
 * (format "exec") or names the removed `azure` auth-provider (legacy format); both stall or fail in
 * `pulumi up`. This rewrites every user to `kubelogin get-token` with the configured login mode, the way
 * `kubelogin convert-kubeconfig -l <mode>` does, so the Kubernetes provider can run headless.
 */
import * as YAML from "yaml";
import { KubeloginMode } from "../config";

/** The well-known application id of the AKS AAD server, the audience of every AKS Entra token. */
export const AKS_AAD_SERVER_ID = "6dae42f8-4368-4678-94ff-3960e28e3630";

export interface KubeloginOptions {
    /** How kubelogin obtains a token: Azure CLI session, workload identity, service principal or managed identity. */
    readonly mode: KubeloginMode;
    /** Client id for `msi` (user-assigned identity) or `spn`; otherwise read from the environment by kubelogin. */
    readonly clientId?: string;
}

interface ExecUser {
    apiVersion: string;
    command: string;
    args: string[];
    env: null;
    provideClusterInfo: boolean;
    installHint: string;
    interactiveMode: "Never";
}

/** Reads `--flag value` from an argument list. */
function flagValue(args: readonly string[], flag: string): string | undefined {
    const i = args.indexOf(flag);
    return i >= 0 && i + 1 < args.length ? args[i + 1] : undefined;
}

/** kubelogin arguments for one login mode; the secrets each mode needs come from the environment. */
export function kubeloginArgs(mode: KubeloginMode, serverId: string, environment: string, tenantId?: string, clientId?: string): string[] {
    const args = ["get-token", "--login", mode, "--server-id", serverId];
    switch (mode) {
        case "azurecli":
            // Uses the `az login` session; tenant and client come from that session.
            return args;
        case "workloadidentity":
            // Reads AZURE_CLIENT_ID, AZURE_TENANT_ID, AZURE_FEDERATED_TOKEN_FILE and AZURE_AUTHORITY_HOST.
            return args;
        case "spn":
            // The secret comes from AAD_SERVICE_PRINCIPAL_CLIENT_SECRET, never from the kubeconfig.
            return [...args, "--environment", environment, ...(tenantId ? ["--tenant-id", tenantId] : []), ...(clientId ? ["--client-id", clientId] : [])];
        case "msi":
            return clientId ? [...args, "--client-id", clientId] : args;
    }
}

/**
 * Rewrites every Entra ID user of a kubeconfig to non-interactive kubelogin. Users with other credentials
 * (client certificates, tokens) are left alone. Throws on a document that is not a kubeconfig.
 */
export function toNonInteractiveKubeconfig(kubeconfig: string, options: KubeloginOptions): string {
    const doc = YAML.parse(kubeconfig) as { kind?: string; users?: Array<{ name: string; user: Record<string, any> }> } | null;
    if (!doc || doc.kind !== "Config" || !Array.isArray(doc.users)) {
        throw new Error("The cluster credentials are not a kubeconfig (expected kind: Config with a users list).");
    }
    for (const entry of doc.users) {
        const user = entry.user ?? {};
        const exec = user.exec as { command?: string; args?: string[] } | undefined;
        const provider = user["auth-provider"] as { name?: string; config?: Record<string, string> } | undefined;
        let serverId: string | undefined;
        let tenantId: string | undefined;
        let environment = "AzurePublicCloud";
        if (exec && /kubelogin/.test(exec.command ?? "")) {
            const args = exec.args ?? [];
            serverId = flagValue(args, "--server-id");
            tenantId = flagValue(args, "--tenant-id");
            environment = flagValue(args, "--environment") ?? environment;
        } else if (provider?.name === "azure") {
            serverId = provider.config?.["apiserver-id"];
            tenantId = provider.config?.["tenant-id"];
            environment = provider.config?.environment ?? environment;
        } else {
            continue;
        }
        const newExec: ExecUser = {
            apiVersion: "client.authentication.k8s.io/v1beta1",
            command: "kubelogin",
            args: kubeloginArgs(options.mode, serverId ?? AKS_AAD_SERVER_ID, environment, tenantId, options.clientId),
            env: null,
            provideClusterInfo: false,
            installHint: "kubelogin is required: https://azure.github.io/kubelogin/install.html (or `az aks install-cli`).",
            // A prompt would hang `pulumi up`; fail fast instead.
            interactiveMode: "Never",
        };
        entry.user = { exec: newExec };
    }
    return YAML.stringify(doc);
}
