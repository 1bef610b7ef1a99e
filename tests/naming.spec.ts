import { strict as assert } from "assert";
import { azureNames, keyVaultSecretName, nameViolations, roleAssignmentName, SUFFIX_PLACEHOLDER } from "../components/naming";
import { hasRegistryHost, resolveImage } from "../components/image";

describe("naming", () => {
    it("default names fit every Azure limit for both stacks", () => {
        for (const stack of ["dev", "prod"]) assert.deepEqual(nameViolations(azureNames({ prefix: "mcp", stack })), []);
    });

    it("flags a Key Vault name over 24 characters and an ACR name with a hyphen", () => {
        const names = azureNames({ prefix: "averylongprefix", stack: "prod" });
        assert.deepEqual(nameViolations(names).map((v) => v.rule.what), ["Key Vault"]);
        assert.deepEqual(nameViolations({ ...names, keyVault: "kv-ok", registry: "acr-bad-name" }).map((v) => v.rule.what), ["container registry (ACR)"]);
    });

    it("globally unique names carry the suffix", () => {
        const names = azureNames({ prefix: "mcp", stack: "dev" }, "abc123");
        assert.equal(names.keyVault, "kv-mcp-dev-abc123");
        assert.equal(names.registry, "acrmcpdevabc123");
        assert.equal(azureNames({ prefix: "mcp", stack: "dev" }).keyVault, `kv-mcp-dev-${SUFFIX_PLACEHOLDER}`);
    });

    it("role assignment names are GUIDs, stable for the same triple and different otherwise", () => {
        const a = roleAssignmentName("/subscriptions/s/rg/x", "p1", "r");
        assert.match(a, /^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
        assert.equal(roleAssignmentName("/SUBSCRIPTIONS/s/rg/x", "P1", "r"), a, "Azure ids are case-insensitive");
        assert.notEqual(roleAssignmentName("/subscriptions/s/rg/x", "p2", "r"), a);
        assert.notEqual(roleAssignmentName("/subscriptions/s/rg/y", "p1", "r"), a);
    });

    it("Key Vault secret names replace underscores, which Key Vault forbids", () => {
        assert.equal(keyVaultSecretName("OPENAI_API_KEY"), "openai-api-key");
        assert.match(keyVaultSecretName("A_B_C1"), /^[0-9a-zA-Z-]+$/);
    });
});

describe("image references", () => {
    it("a repository without a registry host resolves into the stack's ACR", () => {
        assert.equal(resolveImage("mcp-server:1.0.0", "acrmcpdev.azurecr.io"), "acrmcpdev.azurecr.io/mcp-server:1.0.0");
        assert.equal(resolveImage("team/mcp-server:1.0.0", "acr.azurecr.io"), "acr.azurecr.io/team/mcp-server:1.0.0");
    });

    it("a reference with a registry host is used as it is", () => {
        for (const ref of ["ghcr.io/org/mcp:1.2.3", "localhost:5000/mcp:1", "registry:5000/mcp:1"]) {
            assert.ok(hasRegistryHost(ref), ref);
            assert.equal(resolveImage(ref, "acr.azurecr.io"), ref);
        }
    });
});
