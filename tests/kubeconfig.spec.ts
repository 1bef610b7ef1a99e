import { strict as assert } from "assert";
import * as YAML from "yaml";
import { AKS_AAD_SERVER_ID, toNonInteractiveKubeconfig } from "../components/azure/kubeconfig";
import { PLACEHOLDER, simulatedUserKubeconfig } from "./harness";

const execKubeconfig = Buffer.from(simulatedUserKubeconfig("aks-mcp-dev"), "base64").toString("utf8");

/** The legacy format AKS returns without format=exec: the removed `azure` auth-provider. */
const legacyKubeconfig = YAML.stringify({
    apiVersion: "v1",
    kind: "Config",
    clusters: [{ name: "c", cluster: { server: "https://c" } }],
    contexts: [{ name: "c", context: { cluster: "c", user: "u" } }],
    "current-context": "c",
    users: [
        {
            name: "u",
            user: {
                "auth-provider": {
                    name: "azure",
                    config: { "apiserver-id": AKS_AAD_SERVER_ID, "client-id": "80faf920-1908-4b52-b5ef-a8e7bedfc67a", "config-mode": "1", environment: "AzureUSGovernmentCloud", "tenant-id": "t-1" },
                },
            },
        },
        { name: "cert-user", user: { "client-certificate-data": "Y2VydA==", "client-key-data": "a2V5" } },
    ],
});

function execOf(kubeconfig: string, user = 0) {
    return YAML.parse(kubeconfig).users[user].user.exec as { command: string; args: string[]; interactiveMode: string };
}

describe("kubeconfig: conversion to non-interactive kubelogin", () => {
    it("azurecli: drops devicecode login, keeps the AKS server id", () => {
        const exec = execOf(toNonInteractiveKubeconfig(execKubeconfig, { mode: "azurecli" }));
        assert.equal(exec.command, "kubelogin");
        assert.deepEqual(exec.args, ["get-token", "--login", "azurecli", "--server-id", AKS_AAD_SERVER_ID]);
        assert.ok(!exec.args.includes("devicecode"));
        assert.equal(exec.interactiveMode, "Never");
    });

    it("workloadidentity: takes everything from the federated environment", () => {
        const exec = execOf(toNonInteractiveKubeconfig(execKubeconfig, { mode: "workloadidentity" }));
        assert.deepEqual(exec.args, ["get-token", "--login", "workloadidentity", "--server-id", AKS_AAD_SERVER_ID]);
    });

    it("spn: keeps tenant and environment, secret stays in the environment", () => {
        const exec = execOf(toNonInteractiveKubeconfig(execKubeconfig, { mode: "spn", clientId: "app-id" }));
        assert.deepEqual(exec.args, ["get-token", "--login", "spn", "--server-id", AKS_AAD_SERVER_ID, "--environment", "AzurePublicCloud", "--tenant-id", PLACEHOLDER.tenantId, "--client-id", "app-id"]);
        assert.ok(!/secret/i.test(exec.args.join(" ")));
    });

    it("msi: passes the client id of a user-assigned identity when given", () => {
        assert.deepEqual(execOf(toNonInteractiveKubeconfig(execKubeconfig, { mode: "msi" })).args, ["get-token", "--login", "msi", "--server-id", AKS_AAD_SERVER_ID]);
        assert.deepEqual(execOf(toNonInteractiveKubeconfig(execKubeconfig, { mode: "msi", clientId: "c" })).args.slice(-2), ["--client-id", "c"]);
    });

    it("converts the legacy azure auth-provider and keeps its cloud", () => {
        const out = YAML.parse(toNonInteractiveKubeconfig(legacyKubeconfig, { mode: "spn" }));
        assert.equal(out.users[0].user["auth-provider"], undefined);
        const args: string[] = out.users[0].user.exec.args;
        assert.equal(args[args.indexOf("--environment") + 1], "AzureUSGovernmentCloud");
        assert.equal(args[args.indexOf("--tenant-id") + 1], "t-1");
    });

    it("leaves non-Entra users, clusters and contexts untouched", () => {
        const before = YAML.parse(legacyKubeconfig);
        const after = YAML.parse(toNonInteractiveKubeconfig(legacyKubeconfig, { mode: "azurecli" }));
        assert.deepEqual(after.users[1], before.users[1]);
        assert.deepEqual(after.clusters, before.clusters);
        assert.deepEqual(after.contexts, before.contexts);
    });

    it("rejects a document that is not a kubeconfig", () => {
        assert.throws(() => toNonInteractiveKubeconfig("kind: Pod\n", { mode: "azurecli" }), /not a kubeconfig/);
    });
});
