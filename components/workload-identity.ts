/**
 * The one source of the workload-identity binding between Azure and the cluster. The federated credential
 * (Azure layer) and the ServiceAccount the MCP pods run as (cluster layer) both derive from these values,
 * so their subjects cannot drift apart (AADSTS70021, DESIGN.md pitfall 1). Pure: no SDK imports.
 */

/** The audience Entra ID expects on a Kubernetes service account token exchanged for an Azure token. */
export const TOKEN_EXCHANGE_AUDIENCE = "api://AzureADTokenExchange";

/** The ServiceAccount that the MCP server pods run as, and that the federated credential trusts. */
export const MCP_SERVER_SERVICE_ACCOUNT = "mcp-server";

/** The ServiceAccount the Qdrant backup CronJob and the restore Job run as; its own identity trusts it. */
export const QDRANT_BACKUP_SERVICE_ACCOUNT = "qdrant-backup";

/** Pod label that makes the workload-identity webhook inject the token volume and AZURE_* variables. */
export const WORKLOAD_IDENTITY_USE_LABEL = "azure.workload.identity/use";

/** ServiceAccount annotation naming the managed identity whose client id the webhook injects. */
export const WORKLOAD_IDENTITY_CLIENT_ID_ANNOTATION = "azure.workload.identity/client-id";

/** ServiceAccount annotation naming the tenant of that identity. */
export const WORKLOAD_IDENTITY_TENANT_ID_ANNOTATION = "azure.workload.identity/tenant-id";

/** The subject claim of a projected service account token: exactly this, or the exchange fails. */
export function serviceAccountSubject(namespace: string, serviceAccount: string): string {
    return `system:serviceaccount:${namespace}:${serviceAccount}`;
}
