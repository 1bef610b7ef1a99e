#!/bin/sh
# A stand-in for command-line programs in tests (the preflight's az and kubelogin): copied onto PATH under
# the program's name, it answers a command line from the fixtures in $FAKE_CLI_FIXTURES (per answer:
# <n>.args holds "<program> <args...>" on one line, <n>.stdout, <n>.stderr and <n>.status are optional) and
# appends every call to $FAKE_CLI_LOG, arguments separated by tabs. Pure sh, so a call costs milliseconds.
# An unknown command line exits 99 and says so: a test never passes on a call it did not expect.
prog="$(basename "$0")"
line="$prog $*"
if [ -n "${FAKE_CLI_LOG:-}" ]; then
    printf '%s' "$prog" >>"$FAKE_CLI_LOG"
    for a in "$@"; do printf '\t%s' "$a" >>"$FAKE_CLI_LOG"; done
    printf '\n' >>"$FAKE_CLI_LOG"
fi
for f in "$FAKE_CLI_FIXTURES"/*.args; do
    [ -e "$f" ] || break
    IFS= read -r expected <"$f" || true
    if [ "$expected" = "$line" ]; then
        base="${f%.args}"
        [ -f "$base.stdout" ] && cat "$base.stdout"
        [ -f "$base.stderr" ] && cat "$base.stderr" >&2
        status=0
        [ -f "$base.status" ] && IFS= read -r status <"$base.status"
        exit "$status"
    fi
done
echo "fake $prog: no fixture for: $line" >&2
exit 99
