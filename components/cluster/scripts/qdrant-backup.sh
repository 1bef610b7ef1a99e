#!/bin/sh
# Snapshots every collection on every Qdrant node and uploads each snapshot to Azure Blob storage with the
# pod's workload identity, then deletes the snapshot from the node. Blob layout:
#   <run>/<collection>/<node>.snapshot   (metadata sha256 = Qdrant's checksum of the file)
#   <run>/COMPLETE                       (written last, only when every snapshot of the run was uploaded)
# A cluster node's snapshot holds only that node's shards, so every node is asked, not just one.
#
# Environment: QDRANT_NODES, QDRANT_API_KEY, BLOB_ENDPOINT, BLOB_CONTAINER; AZURE_CLIENT_ID,
# AZURE_TENANT_ID, AZURE_AUTHORITY_HOST and AZURE_FEDERATED_TOKEN_FILE come from the workload-identity
# webhook. Optional: RUN_ID, WORK_DIR, BLOCK_SIZE_MIB, SINGLE_PUT_MAX_BYTES, BLOB_API_VERSION.
set -u
. "$(dirname "$0")/lib.sh"

: "${QDRANT_NODES:?}" "${QDRANT_API_KEY:?}" "${BLOB_ENDPOINT:?}" "${BLOB_CONTAINER:?}"
: "${AZURE_CLIENT_ID:?}" "${AZURE_TENANT_ID:?}" "${AZURE_AUTHORITY_HOST:?}" "${AZURE_FEDERATED_TOKEN_FILE:?}"

RUN_ID="${RUN_ID:-$(date -u +%Y%m%dT%H%M%SZ)}"
# One Put Blob takes at most 5000 MiB (x-ms-version 2019-12-12 and later); larger snapshots go up as
# blocks of BLOCK_SIZE_MIB (at most 4000 MiB each, 50,000 blocks per blob).
SINGLE_PUT_MAX_BYTES="${SINGLE_PUT_MAX_BYTES:-5242880000}"
BLOCK_SIZE_MIB="${BLOCK_SIZE_MIB:-256}"
STARTED=$(date +%s)

mkdir -p "$WORK_DIR"

# upload <file> <blob> <sha256>: Put Blob, or Put Block + Put Block List above the single-put limit.
upload() {
    file="$1"
    url=$(blob_url "$2")
    size=$(wc -c <"$file" | tr -d ' ')
    storage_token || return 1
    if [ "$size" -le "$SINGLE_PUT_MAX_BYTES" ]; then
        code=$(http "$WORK_DIR/put.out" -X PUT -H "Authorization: Bearer $TOKEN" -H "x-ms-version: $API_VERSION" \
            -H "x-ms-blob-type: BlockBlob" -H "x-ms-meta-sha256: $3" -H "Content-Type: application/octet-stream" \
            --upload-file "$file" "$url")
        is_2xx "$code" || { log "Put Blob $2 failed (HTTP $code): $(head -c 500 "$WORK_DIR/put.out")"; return 1; }
        return 0
    fi
    blocks=$(((size + BLOCK_SIZE_MIB * 1048576 - 1) / (BLOCK_SIZE_MIB * 1048576)))
    log "$2: $size bytes, above the single Put Blob limit: $blocks blocks of $BLOCK_SIZE_MIB MiB"
    i=0
    list=""
    while [ "$i" -lt "$blocks" ]; do
        # Block ids must be valid base64 of equal length: 8 characters of the base64 alphabet are.
        id=$(printf 'blk%05d' "$i")
        dd if="$file" of="$WORK_DIR/block" bs=1048576 skip=$((i * BLOCK_SIZE_MIB)) count="$BLOCK_SIZE_MIB" 2>/dev/null
        code=$(http "$WORK_DIR/put.out" -X PUT -H "Authorization: Bearer $TOKEN" -H "x-ms-version: $API_VERSION" \
            --upload-file "$WORK_DIR/block" "$url?comp=block&blockid=$id")
        rm -f "$WORK_DIR/block"
        is_2xx "$code" || { log "Put Block $i of $2 failed (HTTP $code): $(head -c 500 "$WORK_DIR/put.out")"; return 1; }
        list="$list<Latest>$id</Latest>"
        i=$((i + 1))
    done
    printf '<?xml version="1.0" encoding="utf-8"?><BlockList>%s</BlockList>' "$list" >"$WORK_DIR/blocklist.xml"
    code=$(http "$WORK_DIR/put.out" -X PUT -H "Authorization: Bearer $TOKEN" -H "x-ms-version: $API_VERSION" \
        -H "x-ms-meta-sha256: $3" -H "Content-Type: application/xml" --upload-file "$WORK_DIR/blocklist.xml" "$url?comp=blocklist")
    is_2xx "$code" || { log "Put Block List $2 failed (HTTP $code): $(head -c 500 "$WORK_DIR/put.out")"; return 1; }
}

# The collections, from the first node that answers (every node knows the cluster-wide list).
collections=""
listed=0
for entry in $QDRANT_NODES; do
    code=$(http "$WORK_DIR/collections.json" -H "api-key: $QDRANT_API_KEY" "$(node_url "$entry")/collections")
    if is_2xx "$code"; then
        collections=$(grep -o '"name"[[:space:]]*:[[:space:]]*"[^"]*"' "$WORK_DIR/collections.json" | sed 's/.*"\([^"]*\)"$/\1/')
        listed=1
        break
    fi
    log "$(node_name "$entry"): listing collections failed (HTTP $code)"
done
[ "$listed" = 1 ] || { log "no Qdrant node answered; nothing backed up"; exit 1; }

failures=0
uploaded=""
for entry in $QDRANT_NODES; do
    node=$(node_name "$entry")
    base=$(node_url "$entry")
    for c in $collections; do
        safe_name "$c" || { log "skipping collection with unsupported characters: $c"; failures=$((failures + 1)); continue; }
        code=$(http "$WORK_DIR/create.json" -X POST -H "api-key: $QDRANT_API_KEY" "$base/collections/$c/snapshots?wait=true")
        name=$(json_string name <"$WORK_DIR/create.json")
        if ! is_2xx "$code" || [ -z "$name" ]; then
            log "$node/$c: snapshot failed (HTTP $code): $(head -c 500 "$WORK_DIR/create.json")"
            failures=$((failures + 1))
            continue
        fi
        checksum=$(json_string checksum <"$WORK_DIR/create.json")
        file="$WORK_DIR/snapshot"
        ok=1
        code=$(http "$file" -H "api-key: $QDRANT_API_KEY" "$base/collections/$c/snapshots/$name")
        if ! is_2xx "$code"; then
            log "$node/$c: download of $name failed (HTTP $code)"
            ok=0
        else
            actual=$(sha256_of "$file")
            if [ -n "$checksum" ] && [ "$checksum" != "$actual" ]; then
                log "$node/$c: $name is corrupt (sha256 $actual, Qdrant says $checksum)"
                ok=0
            fi
        fi
        blob="$RUN_ID/$c/$node.snapshot"
        if [ "$ok" = 1 ] && upload "$file" "$blob" "$actual"; then
            log "$node/$c: uploaded $blob ($(wc -c <"$file" | tr -d ' ') bytes)"
            uploaded="$uploaded$blob $actual
"
        else
            failures=$((failures + 1))
        fi
        rm -f "$file"
        # Deleted whether or not the upload worked: the next run takes a fresh snapshot, and leftovers
        # would fill the node's snapshot volume.
        code=$(http "$WORK_DIR/delete.json" -X DELETE -H "api-key: $QDRANT_API_KEY" "$base/collections/$c/snapshots/$name?wait=true")
        is_2xx "$code" || log "$node/$c: could not delete $name on the node (HTTP $code)"
    done
done

if [ "$failures" -gt 0 ]; then
    log "run $RUN_ID: $failures snapshot(s) failed; no COMPLETE marker (restore with ALLOW_INCOMPLETE=1 if you must)"
    exit 1
fi
printf '%s' "$uploaded" >"$WORK_DIR/COMPLETE"
upload "$WORK_DIR/COMPLETE" "$RUN_ID/COMPLETE" "$(sha256_of "$WORK_DIR/COMPLETE")" || exit 1
rm -f "$WORK_DIR/COMPLETE"
log "run $RUN_ID complete: $(printf '%s' "$uploaded" | grep -c .) snapshot(s) in $(($(date +%s) - STARTED)) s"
