#!/bin/sh
# Restores one backup run (SNAPSHOT_RUN, e.g. 20261121T190000Z) from Azure Blob storage into Qdrant:
# for each collection, the snapshot taken on node qdrant-N is uploaded to node qdrant-N of this cluster
# with priority=snapshot, so the snapshot (not the empty or stale local state) is the source of truth. A
# node's snapshot holds that node's shards; with replicationFactor = replicas (prod: 3 of 3) every
# snapshot holds the whole collection, so a smaller target (dev's single node) restores from qdrant-0's.
#
# Environment: as qdrant-backup.sh, plus SNAPSHOT_RUN; optional COLLECTIONS (space-separated subset) and
# ALLOW_INCOMPLETE=1 (restore a run that has no COMPLETE marker, e.g. one node was down during it).
set -u
. "$(dirname "$0")/lib.sh"

: "${QDRANT_NODES:?}" "${QDRANT_API_KEY:?}" "${BLOB_ENDPOINT:?}" "${BLOB_CONTAINER:?}" "${SNAPSHOT_RUN:?}"
: "${AZURE_CLIENT_ID:?}" "${AZURE_TENANT_ID:?}" "${AZURE_AUTHORITY_HOST:?}" "${AZURE_FEDERATED_TOKEN_FILE:?}"

STARTED=$(date +%s)
mkdir -p "$WORK_DIR"
storage_token || exit 1

# Every blob name under <run>/ (List Blobs pages through NextMarker).
: >"$WORK_DIR/names"
marker=""
while :; do
    code=$(http "$WORK_DIR/list.xml" -H "Authorization: Bearer $TOKEN" -H "x-ms-version: $API_VERSION" \
        "${BLOB_ENDPOINT%/}/$BLOB_CONTAINER?restype=container&comp=list&prefix=$SNAPSHOT_RUN/${marker:+&marker=$marker}")
    is_2xx "$code" || { log "listing $SNAPSHOT_RUN/ failed (HTTP $code): $(head -c 500 "$WORK_DIR/list.xml")"; exit 1; }
    tr '<' '\n' <"$WORK_DIR/list.xml" | sed -n 's/^Name>//p' >>"$WORK_DIR/names"
    # The marker is opaque and may hold base64's + / =, which a query string must carry encoded.
    marker=$(tr '<' '\n' <"$WORK_DIR/list.xml" | sed -n 's/^NextMarker>//p' | head -n 1 | sed 's/+/%2B/g; s|/|%2F|g; s/=/%3D/g')
    [ -n "$marker" ] || break
done
grep -q . "$WORK_DIR/names" || { log "no backup run $SNAPSHOT_RUN in $BLOB_CONTAINER"; exit 1; }
if ! grep -qx "$SNAPSHOT_RUN/COMPLETE" "$WORK_DIR/names" && [ "${ALLOW_INCOMPLETE:-0}" != 1 ]; then
    log "run $SNAPSHOT_RUN has no COMPLETE marker: some snapshot of it failed. Pick an earlier run, or set ALLOW_INCOMPLETE=1"
    exit 1
fi

available=$(sed -n "s|^$SNAPSHOT_RUN/\([^/]*\)/[^/]*\.snapshot$|\1|p" "$WORK_DIR/names" | sort -u)
wanted="${COLLECTIONS:-$available}"
failures=0
for c in $wanted; do
    safe_name "$c" || { log "unsupported collection name: $c"; failures=$((failures + 1)); continue; }
    restored=0
    # Node order matters: qdrant-0 first creates the collection (with the snapshot's shard and replica
    # settings) for the whole cluster; the other nodes then recover their own shards into it.
    for entry in $QDRANT_NODES; do
        node=$(node_name "$entry")
        blob="$SNAPSHOT_RUN/$c/$node.snapshot"
        if ! grep -qx "$blob" "$WORK_DIR/names"; then
            log "$c: no snapshot from $node in this run; its replicas come from the other nodes"
            continue
        fi
        file="$WORK_DIR/restore.snapshot"
        storage_token || exit 1
        code=$(http "$file" -D "$WORK_DIR/headers" -H "Authorization: Bearer $TOKEN" -H "x-ms-version: $API_VERSION" "$(blob_url "$blob")")
        if ! is_2xx "$code"; then
            log "$blob: download failed (HTTP $code)"
            failures=$((failures + 1))
            continue
        fi
        expected=$(tr -d '\r' <"$WORK_DIR/headers" | sed -n 's/^[Xx]-[Mm][Ss]-[Mm][Ee][Tt][Aa]-[Ss][Hh][Aa]256:[[:space:]]*//p' | head -n 1)
        actual=$(sha256_of "$file")
        if [ -n "$expected" ] && [ "$expected" != "$actual" ]; then
            log "$blob is corrupt (sha256 $actual, uploaded as $expected)"
            failures=$((failures + 1))
            rm -f "$file"
            continue
        fi
        code=$(http "$WORK_DIR/recover.json" -X POST -H "api-key: $QDRANT_API_KEY" \
            -F "snapshot=@$file" "$(node_url "$entry")/collections/$c/snapshots/upload?priority=snapshot&wait=true")
        rm -f "$file"
        if is_2xx "$code"; then
            log "$c: $node recovered from $blob"
            restored=$((restored + 1))
        else
            log "$c: $node failed to recover from $blob (HTTP $code): $(head -c 500 "$WORK_DIR/recover.json")"
            failures=$((failures + 1))
        fi
    done
    if [ "$restored" = 0 ]; then
        log "$c: nothing restored"
        failures=$((failures + 1))
        continue
    fi
    first=$(printf '%s' "$QDRANT_NODES" | cut -d ' ' -f 1)
    code=$(http "$WORK_DIR/info.json" -H "api-key: $QDRANT_API_KEY" "$(node_url "$first")/collections/$c")
    log "$c: restored on $restored node(s); points_count $(json_number points_count <"$WORK_DIR/info.json") (HTTP $code)"
done

elapsed=$(($(date +%s) - STARTED))
if [ "$failures" -gt 0 ]; then
    log "restore of $SNAPSHOT_RUN finished with $failures failure(s) after $elapsed s"
    exit 1
fi
log "restore of $SNAPSHOT_RUN complete in $elapsed s"
