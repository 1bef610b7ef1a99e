#!/bin/sh
# Post-deploy smoke test of MCP servers over Streamable HTTP, in POSIX sh with curl only (the Job runs it
# on a small curl image). For each target: GET the health URL, then MCP initialize, the
# notifications/initialized notification and tools/list, carrying the session id the server returns.
# Then, for each route of the edge: an initialize without a token must get 401 with
# `WWW-Authenticate: Bearer resource_metadata="<its metadata URL>"` (what makes MCP clients start sign-in),
# a made-up token must get 401 too (tokens are validated), and the metadata must name the route as its
# resource (RFC 9728: clients refuse metadata for another resource).
#
# SMOKE_TARGETS: one target per line, "<name> <health-url> <mcp-url>".
# SMOKE_EDGE_ROUTES (optional): one route per line, "<name> <route-url> <metadata-url>", public URLs.
# SMOKE_EDGE_CONNECT_TO: curl --connect-to "<public-host>:<port>:<in-cluster-host>:<port>", so the public
#   URLs (Host, TLS name and certificate check included) are served by the edge's in-cluster Service.
# SMOKE_EDGE_WAIT_SECONDS: how long to wait for the edge's first HTTP answer (a certificate being issued).
# Exit status 0 when every target passes. Otherwise 1, after one "smoke test FAILED" line per failed target
# on stderr and in the termination log (the pod status and `kubectl describe pod` show it).
set -u

TIMEOUT="${SMOKE_TIMEOUT_SECONDS:-10}"
# The newest MCP revision this test speaks; the server answers with the version it chose.
PROTOCOL_VERSION="${SMOKE_PROTOCOL_VERSION:-2025-06-18}"
MIN_TOOLS="${SMOKE_MIN_TOOLS:-1}"
HEALTH_RETRIES="${SMOKE_HEALTH_RETRIES:-3}"
TERMINATION_LOG="${SMOKE_TERMINATION_LOG:-/dev/termination-log}"
EDGE_WAIT="${SMOKE_EDGE_WAIT_SECONDS:-60}"
EDGE_RETRY_DELAY="${SMOKE_EDGE_RETRY_DELAY_SECONDS:-5}"
# Looks like a bearer token, but no issuer signed it: the edge must refuse it like no token at all.
FAKE_TOKEN="eyJhbGciOiJSUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiJtY3AtYWtzLXNtb2tlLXRlc3QifQ.bm90LWEtc2lnbmF0dXJl"

WORK="$(mktemp -d "${TMPDIR:-/tmp}/smoke.XXXXXX")" || {
    echo "smoke test FAILED: cannot create a temporary directory in ${TMPDIR:-/tmp}" >&2
    exit 1
}
trap 'rm -rf "$WORK"' EXIT

FAILURES=""

fail() { # <target> <step> <detail>
    line="smoke test FAILED for $1 at $2: $3"
    echo "$line" >&2
    FAILURES="${FAILURES}${line}
"
}

ok() {
    echo "ok   $1 $2"
}

# The first 300 bytes of a file on one line, for error messages.
excerpt() {
    tr '\r\n' '  ' <"$1" | cut -c1-300
}

# curl's own error line (e.g. "curl: (7) Failed to connect ..."), or the exit code.
curl_error() { # <stderr file> <exit code>
    msg="$(tr '\r\n' '  ' <"$1" | cut -c1-300)"
    echo "${msg:-curl exited with status $2}"
}

# POST one JSON-RPC message. Sets CODE (HTTP status, 000 without a response) and RC (curl's exit code);
# writes $WORK/<out>.headers, .body, .err and .json (the JSON-RPC message, unwrapped from SSE if needed).
post() { # <url> <json> <out> <session-id> <protocol-version>
    url="$1" json="$2" out="$WORK/$3" session="$4" version="$5"
    set --
    [ -n "$session" ] && set -- "$@" -H "Mcp-Session-Id: $session"
    [ -n "$version" ] && set -- "$@" -H "MCP-Protocol-Version: $version"
    CODE="$(curl -sS --max-time "$TIMEOUT" -X POST \
        -H 'Content-Type: application/json' \
        -H 'Accept: application/json, text/event-stream' \
        "$@" --data "$json" -D "$out.headers" -o "$out.body" -w '%{http_code}' "$url" 2>"$out.err")"
    RC=$?
    [ -f "$out.body" ] || : >"$out.body"
    # Streamable HTTP may answer with an SSE stream: the message is in its data: lines.
    if grep -q '^data:' "$out.body"; then
        sed -n 's/^data: \{0,1\}//p' "$out.body" | tr -d '\r' >"$out.json"
    else
        tr -d '\r' <"$out.body" >"$out.json"
    fi
}

# Checks the last curl call: a response (RC 0) with HTTP <status>. Returns 1 after fail() otherwise.
expect_status() { # <target> <step> <out> <status> [why]
    if [ "$RC" -ne 0 ]; then
        fail "$1" "$2" "no response: $(curl_error "$WORK/$3.err" "$RC")"
        return 1
    fi
    if [ "$CODE" != "$4" ]; then
        fail "$1" "$2" "HTTP $CODE (expected $4${5:+: $5}): $(excerpt "$WORK/$3.body")"
        return 1
    fi
    return 0
}

# Checks a JSON-RPC answer: HTTP 200 and a result. Returns 1 after fail() otherwise.
expect_result() { # <target> <step> <out>
    json="$WORK/$3.json"
    expect_status "$1" "$2" "$3" 200 || return 1
    if grep -q '"error"[[:space:]]*:' "$json" && ! grep -q '"result"[[:space:]]*:' "$json"; then
        message="$(sed -n 's/.*"message"[[:space:]]*:[[:space:]]*"\([^"]*\)".*/\1/p' "$json" | head -n 1)"
        fail "$1" "$2" "JSON-RPC error: ${message:-$(excerpt "$json")}"
        return 1
    fi
    if ! grep -q '"result"[[:space:]]*:' "$json"; then
        fail "$1" "$2" "no JSON-RPC result in the response: $(excerpt "$json")"
        return 1
    fi
    return 0
}

check_target() { # <name> <health-url> <mcp-url>
    name="$1" health="$2" mcp="$3"

    # 1. Liveness. Retries cover a replica that became ready a moment ago behind a fresh Service.
    CODE="$(curl -sS --max-time "$TIMEOUT" --retry "$HEALTH_RETRIES" --retry-connrefused --retry-delay 2 \
        -o "$WORK/health.body" -w '%{http_code}' "$health" 2>"$WORK/health.err")"
    RC=$?
    if [ "$RC" -ne 0 ] && [ "$CODE" = "000" ]; then
        fail "$name" "GET $health" "no response: $(curl_error "$WORK/health.err" "$RC")"
        return
    fi
    case "$CODE" in
        2??) ok "$name" "GET $health (HTTP $CODE)" ;;
        *)
            fail "$name" "GET $health" "HTTP $CODE (expected 2xx): $(excerpt "$WORK/health.body")"
            return
            ;;
    esac

    # 2. initialize.
    post "$mcp" '{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"'"$PROTOCOL_VERSION"'","capabilities":{},"clientInfo":{"name":"mcp-aks-smoke-test","version":"1.0.0"}}}' init "" ""
    expect_result "$name" "initialize (POST $mcp)" init || return
    if ! grep -q '"protocolVersion"' "$WORK/init.json"; then
        fail "$name" "initialize (POST $mcp)" "the result has no protocolVersion: $(excerpt "$WORK/init.json")"
        return
    fi
    negotiated="$(sed -n 's/.*"protocolVersion"[[:space:]]*:[[:space:]]*"\([^"]*\)".*/\1/p' "$WORK/init.json" | head -n 1)"
    # Header names are case-insensitive; a stateless server sends no session id, which is allowed.
    session="$(tr -d '\r' <"$WORK/init.headers" | sed -n 's/^[Mm][Cc][Pp]-[Ss][Ee][Ss][Ss][Ii][Oo][Nn]-[Ii][Dd]:[[:space:]]*//p' | tail -n 1)"
    ok "$name" "initialize (protocol ${negotiated:-?}, session ${session:-none})"

    # 3. notifications/initialized: a notification has no id, and the server accepts it with 202.
    post "$mcp" '{"jsonrpc":"2.0","method":"notifications/initialized"}' initialized "$session" "$negotiated"
    if [ "$RC" -ne 0 ]; then
        fail "$name" "notifications/initialized" "no response: $(curl_error "$WORK/initialized.err" "$RC")"
        return
    fi
    case "$CODE" in
        200 | 202 | 204) ok "$name" "notifications/initialized (HTTP $CODE)" ;;
        *)
            fail "$name" "notifications/initialized" "HTTP $CODE (expected 202): $(excerpt "$WORK/initialized.body")"
            return
            ;;
    esac

    # 4. tools/list.
    post "$mcp" '{"jsonrpc":"2.0","id":2,"method":"tools/list","params":{}}' tools "$session" "$negotiated"
    expect_result "$name" "tools/list" tools || return
    if ! grep -q '"tools"[[:space:]]*:[[:space:]]*\[' "$WORK/tools.json"; then
        fail "$name" "tools/list" "the result has no tools list: $(excerpt "$WORK/tools.json")"
        return
    fi
    # Every tool carries an inputSchema (MCP schema), so counting them counts the tools.
    count="$(grep -o '"inputSchema"' "$WORK/tools.json" | wc -l | tr -d ' ')"
    if [ "$count" -lt "$MIN_TOOLS" ]; then
        fail "$name" "tools/list" "$count tools listed (expected at least $MIN_TOOLS)"
        return
    fi
    ok "$name" "tools/list ($count tools)"

    # Best effort: end the session so it does not linger in the replica's memory.
    if [ -n "$session" ]; then
        curl -sS --max-time "$TIMEOUT" -X DELETE -H "Mcp-Session-Id: $session" -o /dev/null "$mcp" 2>/dev/null || true
    fi
}

# The value of the WWW-Authenticate header(s) of a response, on one line (names are case-insensitive).
www_authenticate() { # <headers file>
    tr -d '\r' <"$1" | sed -n 's/^[Ww][Ww][Ww]-[Aa][Uu][Tt][Hh][Ee][Nn][Tt][Ii][Cc][Aa][Tt][Ee]:[[:space:]]*//p' | tr '\n' ' ' | sed 's/ *$//'
}

# initialize through the edge, as a client that has not signed in yet. Sets CODE and RC like post().
edge_post() { # <url> <out> [curl args...]
    url="$1" out="$WORK/$2"
    shift 2
    CODE="$(curl -sS --max-time "$TIMEOUT" --connect-to "$EDGE_CONNECT_TO" -X POST \
        -H 'Content-Type: application/json' \
        -H 'Accept: application/json, text/event-stream' \
        "$@" --data '{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"'"$PROTOCOL_VERSION"'","capabilities":{},"clientInfo":{"name":"mcp-aks-smoke-test","version":"1.0.0"}}}' \
        -D "$out.headers" -o "$out.body" -w '%{http_code}' "$url" 2>"$out.err")"
    RC=$?
    [ -f "$out.body" ] || : >"$out.body"
    [ -f "$out.headers" ] || : >"$out.headers"
}

check_edge_route() { # <name> <route-url> <metadata-url>
    name="edge /mcp/$1" url="$2" metadata="$3"

    # 1. No token. Waits while there is no HTTP answer or a 5xx: in letsEncrypt mode the certificate may
    #    still be on its way on a first `up`.
    waited=0
    while :; do
        edge_post "$url" anon
        if [ "$RC" -eq 0 ]; then
            case "$CODE" in 5??) ;; *) break ;; esac
        fi
        [ "$waited" -ge "$EDGE_WAIT" ] && break
        sleep "$EDGE_RETRY_DELAY"
        waited=$((waited + EDGE_RETRY_DELAY))
    done
    if [ "$RC" -ne 0 ]; then
        fail "$name" "POST $url without a token" "no response after ${waited}s: $(curl_error "$WORK/anon.err" "$RC")"
        return
    fi
    case "$CODE" in
        401) ;;
        2??)
            fail "$name" "POST $url without a token" "HTTP $CODE: the route serves MCP to anyone (expected 401 asking for sign-in)"
            return
            ;;
        *)
            fail "$name" "POST $url without a token" "HTTP $CODE (expected 401): $(excerpt "$WORK/anon.body")"
            return
            ;;
    esac
    challenge="$(www_authenticate "$WORK/anon.headers")"
    if [ -z "$challenge" ]; then
        fail "$name" "POST $url without a token" "401 without a WWW-Authenticate header: MCP clients cannot find where to sign in"
        return
    fi
    case "$challenge" in
        [Bb][Ee][Aa][Rr][Ee][Rr]\ *) ;;
        *)
            fail "$name" "POST $url without a token" "WWW-Authenticate is not a Bearer challenge: $challenge"
            return
            ;;
    esac
    case "$challenge" in
        *"resource_metadata=\"$metadata\""*) ok "$name" "401 without a token, challenge names $metadata" ;;
        *)
            fail "$name" "POST $url without a token" "the challenge does not name resource_metadata=\"$metadata\": $challenge"
            return
            ;;
    esac

    # 2. A token no issuer signed: refused the same way.
    edge_post "$url" forged -H "Authorization: Bearer $FAKE_TOKEN"
    expect_status "$name" "POST $url with a made-up token" forged 401 "the edge must validate tokens" || return
    ok "$name" "401 with a made-up token"

    # 3. The metadata the challenge names: served without a token, for this route.
    CODE="$(curl -sS --max-time "$TIMEOUT" --connect-to "$EDGE_CONNECT_TO" -o "$WORK/prm.body" -w '%{http_code}' "$metadata" 2>"$WORK/prm.err")"
    RC=$?
    expect_status "$name" "GET $metadata" prm 200 || return
    # JSON may escape '/' as '\/'; undo that before comparing.
    sed 's#\\/#/#g' "$WORK/prm.body" | tr -d '\r\n' >"$WORK/prm.json"
    if ! grep -qF "\"resource\":\"$url\"" "$WORK/prm.json" && ! grep -qF "\"resource\": \"$url\"" "$WORK/prm.json"; then
        fail "$name" "GET $metadata" "the metadata's resource is not $url: $(excerpt "$WORK/prm.json")"
        return
    fi
    if ! grep -q '"authorization_servers"[[:space:]]*:[[:space:]]*\[[[:space:]]*"' "$WORK/prm.json"; then
        fail "$name" "GET $metadata" "the metadata names no authorization server: $(excerpt "$WORK/prm.json")"
        return
    fi
    ok "$name" "metadata names $url and an authorization server"
}

# Runs "<check> <a> <b> <c>" for each line "<a> <b> <c>" of <lines>; a line with other than three fields
# fails as "<prefix><a> at <variable>". Sets COUNT to the number of non-empty lines.
for_each_line() { # <lines> <variable> <shape> <check> <prefix>
    COUNT=0
    while read -r first second third rest; do
        [ -z "$first" ] && continue
        COUNT=$((COUNT + 1))
        if [ -z "$third" ] || [ -n "$rest" ]; then
            fail "$5$first" "$2" "expected \"$3\""
            continue
        fi
        "$4" "$first" "$second" "$third"
    done <<EOF
$1
EOF
}

if [ -z "${SMOKE_TARGETS:-}" ]; then
    echo "smoke test FAILED: SMOKE_TARGETS is empty (one \"<name> <health-url> <mcp-url>\" per line)" >&2
    exit 1
fi

for_each_line "$SMOKE_TARGETS" SMOKE_TARGETS "<name> <health-url> <mcp-url>" check_target ""
targets=$COUNT

routes=0
if [ -n "${SMOKE_EDGE_ROUTES:-}" ]; then
    EDGE_CONNECT_TO="${SMOKE_EDGE_CONNECT_TO:-}"
    if [ -z "$EDGE_CONNECT_TO" ]; then
        fail "edge" "SMOKE_EDGE_CONNECT_TO" "empty (expected \"<public-host>:<port>:<in-cluster-host>:<port>\")"
    else
        for_each_line "$SMOKE_EDGE_ROUTES" SMOKE_EDGE_ROUTES "<name> <route-url> <metadata-url>" check_edge_route "edge /mcp/"
        routes=$COUNT
    fi
fi

if [ -n "$FAILURES" ]; then
    printf '%s' "$FAILURES" >"$TERMINATION_LOG" 2>/dev/null || true
    exit 1
fi
echo "smoke test passed: $targets target(s), $routes edge route(s)"

