#!/usr/bin/env bash
# SCIM 2.0 conformance (RFC 7643/7644) of a built Roster, checked by scim2-tester.
# Usage: .ci/conformance/run.sh [path/to/roster]   (default: target/debug/roster)
# Reuses the venv at $ROSTER_CONFORMANCE_VENV if set (created there if missing); writes the
# failing checks with their HTTP exchanges to $ROSTER_CONFORMANCE_LOG (default: in a temp dir).
# Exits non-zero if any check ends in ERROR or CRITICAL.
set -euo pipefail

SCIM2_TESTER_VERSION=0.5.2
here=$(cd "$(dirname "$0")" && pwd)
roster=$(realpath "${1:-$here/../../target/debug/roster}")
[ -x "$roster" ] || { echo "no roster binary at $roster" >&2; exit 2; }

work=$(mktemp -d /tmp/roster-conformance.XXXXXX)
pids=()  # what this script started: stopped on any exit, including Ctrl-C and SIGTERM
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do
    for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$pid" 2>/dev/null || true
  done
  rm -rf "$work/venv" "$work/roster.db"*  # keep the logs
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
# Runs a command in the background and waits for it, so that a signal is handled at once.
run() { "$@" & pids+=($!); wait $!; }

venv=${ROSTER_CONFORMANCE_VENV:-$work/venv}
[ -x "$venv/bin/python" ] || python3 -m venv "$venv"
run timeout 300 "$venv/bin/pip" install -q --disable-pip-version-check \
  "scim2-tester[httpx2]==$SCIM2_TESTER_VERSION"

port=$("$venv/bin/python" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
export ROSTER_DATABASE_URL="sqlite://$work/roster.db" ROSTER_LISTEN="127.0.0.1:$port"
export ROSTER_PUBLIC_URL="http://127.0.0.1:$port"
# The checker fires requests back to back, faster than any identity provider; it tests
# conformance, not the per-directory rate limit.
export ROSTER_SCIM_RATE_LIMIT=0

"$roster" serve >"$work/server.log" 2>&1 &
server_pid=$!
pids+=("$server_pid")
for _ in $(seq 1 100); do
  curl -fsS "http://127.0.0.1:$port/ready" >/dev/null 2>&1 && break
  kill -0 "$server_pid" 2>/dev/null || { cat "$work/server.log" >&2; exit 2; }
  sleep 0.2
done
curl -fsS "http://127.0.0.1:$port/ready" >/dev/null

json() { "$venv/bin/python" -c "import json,sys; print(json.load(sys.stdin)['$1'])"; }
org=$(timeout 30 "$roster" org create --name Acme --domain acme.com | json id)
dir=$(timeout 30 "$roster" directory create --organization "$org" --type generic --name Conformance)
base_url=$(json scim_base_url <<<"$dir")
token=$(json bearer_token <<<"$dir")

echo "scim2-tester $SCIM2_TESTER_VERSION against $base_url"
log=${ROSTER_CONFORMANCE_LOG:-$work/traffic.json}
status=0
run timeout 600 "$venv/bin/python" "$here/check.py" "$base_url" "$token" "$log" || status=$?
echo "failing checks with their HTTP exchanges: $log"
exit "$status"
