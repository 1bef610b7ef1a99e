/** The harness itself: an unmocked invoke must fail loudly, and the placeholders must be recognisable. */
import { strict as assert } from "assert";
import * as pulumi from "@pulumi/pulumi";
import { evaluateStack, PLACEHOLDER } from "./harness";

describe("mock harness", () => {
    it("throws on an invoke it does not know, instead of answering with nothing", async () => {
        const ev = await evaluateStack("dev");
        // The engine protocol drops the message, so check that the call reached the mock and was refused.
        await assert.rejects(pulumi.runtime.invoke("azure-native:network:getVirtualNetwork", { resourceGroupName: "x" }));
        assert.equal(ev.invokes[ev.invokes.length - 1], "azure-native:network:getVirtualNetwork");
    });

    it("placeholders cannot be mistaken for real values", () => {
        for (const key of ["subscriptionId", "tenantId", "deployerObjectId", "kubeletObjectId", "identityPrincipalId", "identityClientId"] as const) {
            assert.match(PLACEHOLDER[key], /^00000000-0000-0000-0000-/);
        }
        assert.match(PLACEHOLDER.oidcIssuer, /placeholder/);
        assert.match(PLACEHOLDER.loadBalancerIp, /^198\.51\.100\./, "RFC 5737 documentation range");
    });
});
