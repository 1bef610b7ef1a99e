/** The bounded wait for new cluster admin grants (pure). */
import { strict as assert } from "assert";
import { RBAC_PROPAGATION_MS, propagationWaitMs } from "../components/azure/rbac-propagation";

describe("cluster admin grant propagation wait", () => {
    const now = Date.parse("2026-11-21T12:00:00Z");
    const ago = (ms: number) => new Date(now - ms).toISOString();

    it("first up, cluster ready quickly: waits out the rest of the window from the oldest grant", () => {
        assert.equal(propagationWaitMs([ago(60_000), ago(50_000)], now), RBAC_PROPAGATION_MS - 60_000);
    });

    it("first up, AKS took longer than the window (the usual case): no wait", () => {
        assert.equal(propagationWaitMs([ago(7 * 60_000)], now), 0);
    });

    it("an admin added to an existing stack: an older grant exists, so the deployer still has access and nothing waits", () => {
        assert.equal(propagationWaitMs([ago(30 * 24 * 3600_000), ago(1_000)], now), 0);
    });

    it("never waits longer than the window, and not at all without known timestamps (preview, mocks)", () => {
        assert.equal(propagationWaitMs([new Date(now + 3600_000).toISOString()], now), RBAC_PROPAGATION_MS, "a clock skewed into the future is capped");
        assert.equal(propagationWaitMs([], now), 0);
        assert.equal(propagationWaitMs([undefined, "not a date"], now), 0);
    });
});
