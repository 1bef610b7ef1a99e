/**
 * A bounded wait for the cluster admin grants of a stack's first `pulumi up`. Azure documents that a new
 * role assignment can take up to about five minutes to reach AKS's authorization webhook, and the Kubernetes
 * provider retries only NotFound, never 403. The grants are made on the resource group while AKS is being
 * created (platform.ts), which normally takes longer than that, so this wait is normally zero; it only
 * matters when the cluster became ready unusually fast.
 */

/** Azure's documented upper bound for a new role assignment to reach AKS ("up to 5 minutes"). */
export const RBAC_PROPAGATION_MS = 5 * 60 * 1000;

/**
 * How long to wait before the first Kubernetes call, given the grants' `createdOn` timestamps. It keys on the
 * oldest grant: when any admin grant is older than the window (every update after the first, including one
 * that adds an admin), the principals that deployed before still have access and nothing waits. Pure.
 */
export function propagationWaitMs(createdOn: readonly (string | undefined)[], now: number, windowMs: number = RBAC_PROPAGATION_MS): number {
    const times = createdOn.map((c) => (c ? Date.parse(c) : NaN)).filter((t) => Number.isFinite(t));
    if (times.length === 0) return 0;
    const oldest = Math.min(...times);
    return Math.min(windowMs, Math.max(0, oldest + windowMs - now));
}
