/**
 * The edge's Let's Encrypt mode: Caddy in the edge pod gets the certificate (HTTP-01 on port 80) for the
 * custom domain or Azure's free DNS-label name, keeps its ACME state on a share every replica mounts, and
 * proxies to agentgateway on loopback without buffering. The pod stays Pod Security "restricted".
 */
import { strict as assert } from "assert";
import { workloadManifests } from "../components/cluster/specs";
import { ACME_HTTPS_PORT, ACME_HTTP_PORT, CADDY_IMAGE, caddyfile } from "../components/cluster/specs/edge-acme";
import { EDGE_CLIENT_LABEL, edgePublicBaseUrl } from "../components/cluster/specs/edge";
import { ConfigError } from "../components/config";
import { configFor, key, workloadInputs } from "./fixtures";
import { restrictedViolations, PodTemplateLike } from "./pod-security";

const LABEL = { [key("edge")]: JSON.stringify({ tls: { mode: "letsEncrypt", dnsLabel: "mcp-dev-contoso", acmeEmail: "ops@example.com" } }) };
const DOMAIN = { [key("edge")]: JSON.stringify({ tls: { mode: "letsEncrypt", hostname: "mcp.example.com" }, sourceRanges: ["198.51.100.0/24"] }) };

function objects(raw: Record<string, string>, env: "dev" | "prod" = "dev") {
    const cfg = configFor(env, raw);
    return workloadManifests(cfg, workloadInputs(cfg)) as any[];
}
const find = (list: any[], kind: string, name: string) => list.find((o) => o.kind === kind && o.metadata.name === name);

function configError(env: "dev" | "prod", raw: Record<string, string>): ConfigError {
    try {
        configFor(env, raw);
    } catch (e) {
        if (e instanceof ConfigError) return e;
        throw e;
    }
    return assert.fail("expected a ConfigError");
}

describe("edge: Let's Encrypt mode", () => {
    it("names Azure's free DNS label, or the custom domain, as the URL clients and metadata use", () => {
        assert.equal(edgePublicBaseUrl(configFor("dev", LABEL)), "https://mcp-dev-contoso.westeurope.cloudapp.azure.com");
        assert.equal(edgePublicBaseUrl(configFor("dev", DOMAIN)), "https://mcp.example.com");
        const gateway = find(objects(LABEL), "ConfigMap", "mcp-edge-config").data["config.yaml"];
        assert.match(gateway, /resource: https:\/\/mcp-dev-contoso\.westeurope\.cloudapp\.azure\.com\/mcp\/docs/);
        assert.match(gateway, /protocol: HTTP\n/, "agentgateway speaks plain HTTP on loopback behind Caddy");
    });

    it("the Caddyfile: ACME for the one name, no admin API, redirects to 443, a flushing proxy to agentgateway", () => {
        const text = caddyfile(configFor("dev", LABEL));
        assert.match(text, /\tadmin off/);
        assert.match(text, new RegExp(`\\thttp_port ${ACME_HTTP_PORT}\\n\\thttps_port ${ACME_HTTPS_PORT}`));
        assert.match(text, /\temail ops@example\.com/);
        assert.match(text, /^http:\/\/mcp-dev-contoso\.westeurope\.cloudapp\.azure\.com \{\n\tredir https:\/\/\{host\}\{uri\} permanent\n\}/m);
        assert.match(text, /^mcp-dev-contoso\.westeurope\.cloudapp\.azure\.com \{\n\treverse_proxy 127\.0\.0\.1:8080 \{\n\t\tflush_interval -1/m);
        assert.doesNotMatch(caddyfile(configFor("dev", DOMAIN)), /email/, "no email unless configured");
    });

    it("a public load balancer on 80 and 443 with the DNS label; 443 limited to the source ranges by the NetworkPolicy", () => {
        const list = objects(LABEL);
        const svc = find(list, "Service", "mcp-edge");
        assert.equal(svc.spec.type, "LoadBalancer");
        assert.deepEqual(svc.spec.ports.map((p: any) => [p.port, p.targetPort]), [[80, "acme-http"], [443, "acme-https"]]);
        assert.equal(svc.metadata.annotations["service.beta.kubernetes.io/azure-dns-label-name"], "mcp-dev-contoso");
        const ranged = objects(DOMAIN);
        assert.equal(find(ranged, "Service", "mcp-edge").spec.loadBalancerSourceRanges, undefined, "Let's Encrypt's validators must reach port 80");
        const ingress = find(ranged, "NetworkPolicy", "mcp-edge").spec.ingress;
        assert.ok(ingress.some((r: any) => !r.from && r.ports[0].port === ACME_HTTP_PORT), "port 80 (challenge, redirect) from anywhere");
        assert.ok(ingress.some((r: any) => r.ports[0].port === ACME_HTTPS_PORT && r.from?.[0].ipBlock?.cidr === "198.51.100.0/24"), "443 from the ranges only");
        assert.ok(
            ingress.every((r: any) => r.ports[0].port !== ACME_HTTPS_PORT || r.from?.every((f: any) => f.ipBlock || f.podSelector?.matchLabels?.[EDGE_CLIENT_LABEL] === "true")),
            "443 otherwise only from the opted-in in-cluster clients (the smoke test)",
        );
        assert.ok(!ingress.some((r: any) => r.ports[0].port === 8080 && !r.from), "agentgateway itself is not exposed");
    });

    it("Caddy runs beside agentgateway, pinned by digest, with its ACME state on one shared ReadWriteMany claim", () => {
        const list = objects(LABEL);
        const pod = find(list, "Deployment", "mcp-edge").spec.template.spec;
        const caddy = pod.containers.find((c: any) => c.name === "acme-proxy");
        assert.equal(caddy.image, CADDY_IMAGE);
        assert.match(CADDY_IMAGE, /@sha256:[0-9a-f]{64}$/);
        const claimName = pod.volumes.find((v: any) => v.name === "acme-data").persistentVolumeClaim.claimName;
        const claim = find(list, "PersistentVolumeClaim", claimName);
        assert.deepEqual(claim.spec.accessModes, ["ReadWriteMany"], "every replica reuses the one certificate");
        assert.equal(claim.spec.storageClassName, "azurefile-csi");
        assert.ok(caddy.env.some((e: any) => e.name === "XDG_DATA_HOME" && caddy.volumeMounts.some((m: any) => m.name === "acme-data" && m.mountPath === e.value)));
        assert.deepEqual(restrictedViolations({ spec: pod } as PodTemplateLike), [], "the two-container pod stays restricted");
    });

    it("a new Caddyfile rolls the pods", () => {
        const checksum = (raw: Record<string, string>) => find(objects(raw), "Deployment", "mcp-edge").spec.template.metadata.annotations["mcp-aks/config-checksum"];
        const other = { [key("edge")]: JSON.stringify({ tls: { mode: "letsEncrypt", dnsLabel: "mcp-dev-contoso" } }) };
        assert.notEqual(checksum(LABEL), checksum(other));
    });

    it("needs exactly one name, a public load balancer, and source ranges in prod", () => {
        const none = configError("dev", { [key("edge")]: JSON.stringify({ tls: { mode: "letsEncrypt" } }) });
        assert.match(none.problems.find((p) => p.key === "edge.tls.dnsLabel")!.fix, /pulumi config set --path edge\.tls\.dnsLabel mcp-dev --stack dev/);
        const both = configError("dev", { [key("edge")]: JSON.stringify({ tls: { mode: "letsEncrypt", dnsLabel: "a-b-c", hostname: "mcp.example.com" } }) });
        assert.ok(both.problems.some((p) => p.key === "edge.tls.hostname" && /exactly one of/.test(p.allowed)));
        const internal = configError("dev", { [key("edge")]: JSON.stringify({ tls: { mode: "letsEncrypt", dnsLabel: "a-b-c" }, loadBalancer: "internal" }) });
        assert.match(internal.problems.find((p) => p.key === "edge.loadBalancer")!.allowed, /port 80 from the internet/);
        const prod = configError("prod", { [key("edge")]: JSON.stringify({ tls: { mode: "letsEncrypt", dnsLabel: "a-b-c" } }) });
        assert.ok(prod.problems.some((p) => p.key === "edge.sourceRanges"));
        assert.ok(configFor("prod", { [key("edge")]: JSON.stringify({ tls: { mode: "letsEncrypt", dnsLabel: "a-b-c" }, sourceRanges: ["198.51.100.0/24"] }) }));
    });
});
