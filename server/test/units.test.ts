import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { DEFAULT_API_KEY_NAMES, loadConfig } from "../src/config";
import { redact } from "../src/log";
import { Secrets } from "../src/secrets";
import { SECRETS, secretsMount } from "./helpers";

describe("config", () => {
    it("reads the platform's env vars, with defaults for a local run", () => {
        const cfg = loadConfig({ MCP_PORT: "3001", QDRANT_URL: "http://qdrant.ns.svc.cluster.local:6333/", MCP_API_KEYS: "OPENAI_API_KEY, TAVILY_API_KEY" });
        assert.equal(cfg.port, 3001);
        assert.equal(cfg.host, "0.0.0.0");
        assert.equal(cfg.qdrantUrl, "http://qdrant.ns.svc.cluster.local:6333");
        assert.deepEqual(cfg.apiKeyNames, ["OPENAI_API_KEY", "TAVILY_API_KEY"]);
        assert.equal(cfg.secretsDir, "/mnt/secrets-store");
        assert.deepEqual(loadConfig({}).apiKeyNames, DEFAULT_API_KEY_NAMES);
    });

    it("names the setting and the bad value", () => {
        assert.throws(() => loadConfig({ MCP_PORT: "http" }), /MCP_PORT="http" is not an integer from 0 to 65535/);
        assert.throws(() => loadConfig({ MCP_API_KEYS: "OPENAI_API_KEY,../etc/passwd" }), /not env var names: \.\.\/etc\/passwd/);
        assert.throws(() => loadConfig({ QDRANT_URL: "qdrant:6333 " }), /QDRANT_URL="qdrant:6333 " is not an http\(s\) URL/);
    });
});

describe("secrets", () => {
    it("prefers the CSI file (rotated in place) over the env var, without its trailing newline", () => {
        const mount = secretsMount();
        try {
            const secrets = new Secrets(mount.dir, { OPENAI_API_KEY: "stale-env-copy-123456", ANTHROPIC_API_KEY: SECRETS.ANTHROPIC_API_KEY });
            assert.equal(secrets.value("OPENAI_API_KEY"), SECRETS.OPENAI_API_KEY);
            assert.equal(secrets.value("ANTHROPIC_API_KEY"), SECRETS.ANTHROPIC_API_KEY);
            assert.equal(secrets.value("TAVILY_API_KEY"), undefined);
            assert.equal(secrets.value("../" + mount.dir.split("/").pop() + "/OPENAI_API_KEY"), undefined, "no path traversal");
        } finally {
            mount.cleanup();
        }
    });

    it("redacts raw and JSON-escaped forms, leaving short values alone", () => {
        const value = 'k"ey\\with-quotes-42';
        const line = JSON.stringify({ msg: `failed with ${value}` });
        assert.equal(redact(line, [value]), '{"msg":"failed with [redacted]"}');
        assert.equal(redact("port 3000", ["3000"]), "port 3000");
    });
});
