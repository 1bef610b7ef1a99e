/** The cost estimate: pure, from config and the price table; the README table is generated from it. */
import { strict as assert } from "assert";
import * as fs from "fs";
import * as path from "path";
import { estimateCost, premiumDiskMonthly } from "../components/cost";
import { HOURS_PER_MONTH, PRICES } from "../components/prices";
import { BEGIN, END, readmeCostTable, withCostTable } from "../scripts/cost-table";
import { configFor, key } from "./fixtures";
import { REPO_ROOT } from "./harness";

const TARGETS = { dev: 110, prod: 700 } as const;

describe("cost estimate", () => {
    it("the README cost table is exactly what the estimate computes for the stack files", () => {
        const readme = fs.readFileSync(path.join(REPO_ROOT, "README.md"), "utf8");
        assert.ok(readme.includes(BEGIN) && readme.includes(END), "README has the cost-table markers");
        assert.equal(withCostTable(readme, readmeCostTable()), readme, "README's cost table is out of date: run `npm run cost-table`");
    });

    for (const env of ["dev", "prod"] as const) {
        it(`${env} stays within its $${TARGETS[env]} target at minimum scale, with every price known`, () => {
            const e = estimateCost(configFor(env));
            assert.deepEqual(e.unpriced, []);
            assert.ok(e.monthlyAtMinScale <= TARGETS[env], `${env}: $${e.monthlyAtMinScale}`);
            assert.equal(e.monthlyAtMinScale, Math.round(e.lines.reduce((s, l) => s + l.min, 0) * 100) / 100);
        });
    }

    it("prod, replicated Qdrant and a public edge included, leaves room for $150 more", () => {
        const edge = { tls: { mode: "keyVault", hostname: "mcp.example.com", certificateName: "mcp-tls" }, sourceRanges: ["198.51.100.0/24"] };
        const cfg = configFor("prod", { [key("edge")]: JSON.stringify(edge) });
        assert.ok(cfg.qdrant.replicas >= 3, "prod's estimate already counts the Qdrant cluster's disks");
        const withEdge = estimateCost(cfg);
        const privateEdge = estimateCost(configFor("prod"));
        assert.equal(Math.round((withEdge.monthlyAtMinScale - privateEdge.monthlyAtMinScale) * 100) / 100, Math.round(PRICES.publicIpPerHour * HOURS_PER_MONTH * 100) / 100, "the edge's IP is counted");
        assert.ok(withEdge.monthlyAtMinScale + 150 <= TARGETS.prod, `prod with a public edge: $${withEdge.monthlyAtMinScale}`);
    });

    it("nodes count at minimum and maximum scale from the configured pools", () => {
        const cfg = configFor("dev", { [key("cluster")]: JSON.stringify({ systemPool: { minCount: 2, maxCount: 5 } }) });
        const line = estimateCost(cfg).lines.find((l) => l.item === "Nodes: system pool")!;
        const monthly = PRICES.vmPerHour.Standard_B2ms * HOURS_PER_MONTH;
        assert.equal(line.min, Math.round(2 * monthly * 100) / 100);
        assert.equal(line.max, Math.round(5 * monthly * 100) / 100);
    });

    it("a VM size without a price is reported as unpriced, never guessed", () => {
        assert.equal(PRICES.vmPerHour.Standard_E4s_v5, undefined, "pick a size prices.ts does not list");
        const e = estimateCost(configFor("dev", { [key("cluster")]: JSON.stringify({ systemPool: { vmSize: "Standard_E4s_v5" } }) }));
        assert.deepEqual(e.unpriced, ["system pool VM Standard_E4s_v5"]);
        assert.ok(!e.lines.some((l) => l.item === "Nodes: system pool"));
    });

    it("a public edge adds a public IP (a private or internal one adds nothing; MCP servers are ClusterIP); the tier and the log cap change their lines", () => {
        const ips = (c: ReturnType<typeof configFor>) => estimateCost(c).lines.find((l) => l.item === "Public IPs")!.min;
        const one = Math.round(PRICES.publicIpPerHour * HOURS_PER_MONTH * 100) / 100;
        assert.equal(ips(configFor("dev")), one);
        assert.equal(ips(configFor("prod")), one);
        const keyVault = { tls: { mode: "keyVault", hostname: "mcp.example.com", certificateName: "mcp-tls" }, sourceRanges: ["198.51.100.0/24"] };
        assert.equal(ips(configFor("prod", { [key("edge")]: JSON.stringify(keyVault) })), Math.round(2 * PRICES.publicIpPerHour * HOURS_PER_MONTH * 100) / 100);
        assert.equal(ips(configFor("prod", { [key("edge")]: JSON.stringify({ ...keyVault, loadBalancer: "internal" }) })), one);
        const letsEncrypt = { tls: { mode: "letsEncrypt", dnsLabel: "mcp-aks-prod" }, sourceRanges: ["198.51.100.0/24"] };
        assert.equal(ips(configFor("prod", { [key("edge")]: JSON.stringify(letsEncrypt) })), Math.round(2 * PRICES.publicIpPerHour * HOURS_PER_MONTH * 100) / 100);
        const tier = estimateCost(configFor("dev", { [key("cluster")]: JSON.stringify({ tier: "Standard" }) })).lines.find((l) => l.item === "AKS control plane")!;
        assert.equal(tier.min, 73);
        const cap = (gb: number) => estimateCost(configFor("dev", { [key("cluster")]: JSON.stringify({ logDailyQuotaGb: gb }) })).lines.find((l) => l.item === "Log Analytics ingestion")!.min;
        assert.ok(Math.abs(cap(0.2) - 2 * cap(0.1)) < 0.02, "ingestion scales with the cap");
    });

    it("disks are billed at the smallest tier that holds them; ZRS costs more", () => {
        assert.equal(premiumDiskMonthly(10, false), 2.63);
        assert.equal(premiumDiskMonthly(32, false), 5.28);
        assert.equal(premiumDiskMonthly(50, true), 10.21 * PRICES.zrsFactor);
        assert.throws(() => premiumDiskMonthly(5000, false), /no premium disk tier/);
    });
});
