/**
 * The one price table the cost estimate (cost.ts) reads: list prices in USD, pay-as-you-go, Linux, without
 * reservations or savings plans, 730 hours a month.
 *
 * Sources and dates, per group below. The VM, load balancer, public IP, ACR and managed disk figures are
 * the ones this project's README cost table has used since its first version (Azure pricing calculator,
 * 2026); Log Analytics from learn.microsoft.com "Azure Monitor Logs cost calculations and options" and
 * monitoringcost.com's 2026 summary (Analytics ~$2.30/GB, Basic ~$0.50/GB, 31 days retention included,
 * ~$0.10/GB/month beyond). They were not re-checked against the live price list for this table (no network
 * access to Azure here): check https://azure.microsoft.com/pricing/calculator/ for your region and update
 * the figures here; `npm run cost-table` then rewrites the README table and the tests check they agree.
 */

/** Hours Azure bills a month of always-on resources. */
export const HOURS_PER_MONTH = 730;

/** Days in an average month (365/12), for per-day meters such as log ingestion and ACR. */
export const DAYS_PER_MONTH = 30.42;

export const PRICES = {
    /** Where the figures come from and when they were recorded. */
    source: "Azure pricing calculator list prices as recorded in this repository (2026); Azure Monitor Logs pricing (learn.microsoft.com, 2026)",
    recorded: "2026-11",
    /** AKS control plane, per cluster-hour (Free has no SLA; Standard adds the uptime SLA). */
    aksTierPerHour: { Free: 0, Standard: 0.1, Premium: 0.6 } as Record<string, number>,
    /** Linux VM list price per hour. Sizes missing here are reported as unpriced, never guessed. */
    vmPerHour: {
        Standard_B2ms: 0.0832,
        Standard_D2ds_v5: 0.1205,
        Standard_D4ds_v5: 0.241,
    } as Record<string, number>,
    /**
     * Premium SSD managed disks per month by provisioned size tier (GiB -> price, LRS). A disk is billed at
     * the smallest tier that holds it. ZRS costs about 1.5 times LRS.
     */
    premiumDiskPerMonth: [
        [4, 0.66],
        [8, 1.32],
        [16, 2.63],
        [32, 5.28],
        [64, 10.21],
        [128, 19.71],
        [256, 38.01],
        [512, 73.22],
        [1024, 135.17],
        [2048, 259.05],
    ] as Array<[number, number]>,
    zrsFactor: 1.5,
    /** Standard load balancer: the first five rules, per hour (data processed is negligible here). */
    loadBalancerPerHour: 0.025,
    /** Standard static public IPv4 address, per hour. */
    publicIpPerHour: 0.005,
    /** Log Analytics ingestion per GB: Analytics plan, Basic plan. */
    logAnalyticsPerGb: 2.3,
    logBasicPerGb: 0.5,
    /** Interactive retention beyond the 31 included days, per GB-month. */
    logRetentionPerGbMonth: 0.1,
    /** Ingestion assumed for an uncapped workspace (prod): Container Insights, audit and platform logs. */
    assumedUncappedGbPerDay: 1,
    /**
     * Share of ingestion assumed to land in the Basic-plan tables (monitoring.ts BASIC_PLAN_TABLES: container
     * stdout and the audit categories, the bulk of an AKS workspace); the rest is billed as Analytics.
     */
    assumedBasicShare: 0.5,
    /** Managed Prometheus at this cluster's size (sample ingestion and queries). */
    managedPrometheusPerMonth: 10,
    /** Container registry per day by SKU. */
    registryPerDay: { Basic: 0.1666, Standard: 0.6666, Premium: 1.6666 } as Record<string, number>,
    /** Key Vault operations at $0.03 per 10,000: three secrets read every two minutes by the CSI driver (~65,000). */
    keyVaultPerMonth: 0.2,
    /**
     * Qdrant snapshot storage for a small collection (a few GB of snapshots kept for the retention period), by
     * account redundancy; README "Backups and restore" shows how it grows with the data.
     */
    snapshotStoragePerMonth: { Standard_LRS: 1, Standard_ZRS: 2 } as Record<string, number>,
    /** Alert rules per month: a metric rule watching one time series; a log rule by evaluation frequency. */
    metricAlertPerMonth: 0.1,
    logAlertPerMonth: { PT5M: 1.5, PT15M: 0.5 } as Record<string, number>,
} as const;
