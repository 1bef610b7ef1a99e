/**
 * The AKS Kubernetes release calendar, as a dated table: config.ts rejects a `cluster.kubernetesVersion`
 * whose community support has ended, because AKS refuses to create a cluster on it (cluster creation is
 * "Not Supported" under platform support) and a stack pinned to it cannot be rebuilt.
 *
 * Source: "Supported Kubernetes versions in Azure Kubernetes Service (AKS)", section "AKS Kubernetes release
 * calendar" and "LTS Versions", https://learn.microsoft.com/azure/aks/supported-kubernetes-versions
 * (MicrosoftDocs/azure-aks-docs, articles/aks/supported-kubernetes-versions.md, ms.date 10/30/2024).
 *
 * To refresh: copy the calendar rows into AKS_VERSIONS and set AKS_VERSIONS_AS_OF, or check a region with
 * `az aks get-versions --location <region> --output table`. A minor newer than the newest row is accepted
 * (this table cannot know it yet; AKS itself rejects a version it does not offer when the cluster is created).
 */

/** When the table was taken from the source above. */
export const AKS_VERSIONS_AS_OF = "2024-10-30";

export interface AksMinorVersion {
    /** Minor version, `1.30`. */
    readonly minor: string;
    /** Generally available on AKS (first day of the month the calendar names). */
    readonly ga: string;
    /** End of community support: the first day of the month the calendar names. */
    readonly endOfLife: string;
    /** End of Long Term Support, for the minors AKS offers as LTS (Premium tier with the LTS support plan). */
    readonly ltsEndOfLife?: string;
}

export const AKS_VERSIONS: readonly AksMinorVersion[] = [
    { minor: "1.27", ga: "2023-07-01", endOfLife: "2024-07-01", ltsEndOfLife: "2025-07-01" },
    { minor: "1.28", ga: "2023-11-01", endOfLife: "2025-01-01" },
    { minor: "1.29", ga: "2024-03-01", endOfLife: "2025-03-01" },
    { minor: "1.30", ga: "2024-07-01", endOfLife: "2025-07-01", ltsEndOfLife: "2026-07-01" },
    { minor: "1.31", ga: "2024-11-01", endOfLife: "2025-11-01" },
    { minor: "1.32", ga: "2025-03-01", endOfLife: "2026-03-01" },
];

function minorNumber(minor: string): number {
    const [, m] = minor.split(".");
    return Number(m);
}

export type VersionVerdict =
    | { readonly ok: true; readonly note?: string }
    | { readonly ok: false; readonly reason: string; readonly supported: readonly string[] };

/** The minors still in community support on `today`, per the table. */
export function supportedMinors(today: Date): string[] {
    const day = today.toISOString().slice(0, 10);
    return AKS_VERSIONS.filter((v) => v.endOfLife > day).map((v) => v.minor);
}

/**
 * Whether AKS still supports `version` (`1.33` or `1.33.2`) on `today`. This stack does not turn on the LTS
 * support plan, so LTS dates do not extend support here.
 */
export function aksVersionVerdict(version: string, today: Date): VersionVerdict {
    const [major, minorPart] = version.split(".");
    const minor = `${major}.${minorPart}`;
    const supported = supportedMinors(today);
    const newest = AKS_VERSIONS[AKS_VERSIONS.length - 1];
    if (major !== "1") return { ok: false, reason: `Kubernetes ${major}.x does not exist on AKS`, supported };
    if (minorNumber(minor) > minorNumber(newest.minor)) {
        return { ok: true, note: `newer than this stack's table (${AKS_VERSIONS_AS_OF}); AKS checks it at create time` };
    }
    const row = AKS_VERSIONS.find((v) => v.minor === minor);
    const day = today.toISOString().slice(0, 10);
    if (!row) return { ok: false, reason: `${minor} is older than every version AKS still lists`, supported };
    if (row.endOfLife <= day) return { ok: false, reason: `AKS community support for ${minor} ended ${row.endOfLife.slice(0, 7)}`, supported };
    return { ok: true };
}
