# Shared by qdrant-backup.sh and qdrant-restore.sh (POSIX sh: the curl image has busybox, no bash, no jq).
# Never run with `set -x`: the Qdrant API key and the Entra token travel in headers.

API_VERSION="${BLOB_API_VERSION:-2021-08-06}"
WORK_DIR="${WORK_DIR:-/work}"

log() { printf '%s %s\n' "$(date -u +%H:%M:%S)" "$*" >&2; }

# The first "field": "string" value in the JSON on stdin. Qdrant and Entra answer with one-line JSON, and
# the fields read here hold no escaped quotes.
json_string() { sed -n "s/.*\"$1\"[[:space:]]*:[[:space:]]*\"\([^\"]*\)\".*/\1/p" | head -n 1; }

# The first "field": number value in the JSON on stdin.
json_number() { sed -n "s/.*\"$1\"[[:space:]]*:[[:space:]]*\([0-9][0-9]*\).*/\1/p" | head -n 1; }

# http <body-file> <curl args...>: prints the HTTP status (000 when no answer); the body goes to the file.
http() {
    body="$1"
    shift
    curl -sS -o "$body" -w '%{http_code}' --connect-timeout 10 "$@" || true
}

is_2xx() { case "$1" in 2??) return 0 ;; *) return 1 ;; esac; }

# Collection names go into URLs and blob names unencoded, so only Qdrant's usual characters pass.
safe_name() { case "$1" in "" | *[!A-Za-z0-9._-]*) return 1 ;; *) return 0 ;; esac; }

# An Entra access token for Blob storage, from the workload-identity federated token (client credentials
# with a client assertion): no secret, no SDK. Sets TOKEN; returns 1 on failure.
storage_token() {
    authority="${AZURE_AUTHORITY_HOST%/}"
    code=$(http "$WORK_DIR/token.json" -X POST "$authority/$AZURE_TENANT_ID/oauth2/v2.0/token" \
        --data-urlencode "client_id=$AZURE_CLIENT_ID" \
        --data-urlencode "scope=https://storage.azure.com/.default" \
        --data-urlencode "grant_type=client_credentials" \
        --data-urlencode "client_assertion_type=urn:ietf:params:oauth:client-assertion-type:jwt-bearer" \
        --data-urlencode "client_assertion=$(cat "$AZURE_FEDERATED_TOKEN_FILE")")
    TOKEN=$(json_string access_token <"$WORK_DIR/token.json")
    rm -f "$WORK_DIR/token.json"
    if ! is_2xx "$code" || [ -z "$TOKEN" ]; then
        log "token request failed (HTTP $code): check the federated credential subject and the identity's client id"
        return 1
    fi
}

blob_url() { printf '%s/%s/%s' "${BLOB_ENDPOINT%/}" "$BLOB_CONTAINER" "$1"; }

# Each node's name and base URL from QDRANT_NODES ("qdrant-0=http://...:6333 qdrant-1=http://...").
node_name() { printf '%s' "${1%%=*}"; }
node_url() { printf '%s' "${1#*=}"; }

sha256_of() { sha256sum "$1" | cut -d ' ' -f 1; }
