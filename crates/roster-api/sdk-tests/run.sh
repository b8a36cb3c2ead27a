#!/usr/bin/env bash
# Runs the official WorkOS SDKs (Python workos==10.8.0, Node @workos-inc/node 11.0.0), unchanged
# but for base URL and API key, against a freshly started Roster with a temp SQLite database,
# and their webhook verifiers against what Roster delivered to a local receiver; then
# schemathesis against the OpenAPI document the server publishes.
#
#   crates/roster-api/sdk-tests/run.sh [path/to/roster]   (default: target/debug/roster)
#
# Needs python3 (venv), node + npm, curl, and the PyPI and npm registries. Everything it makes
# lives in one temp dir (kept if SDK_TESTS_KEEP=1); the server it starts is always stopped.
# Last line: `sdk: N passed, N failed`; exits non-zero on any failure.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../../.." && pwd)"
ROSTER="${1:-$ROOT/target/debug/roster}"
[[ "$ROSTER" = /* ]] || ROSTER="$PWD/$ROSTER"
[[ -x "$ROSTER" ]] || { echo "roster binary not found: $ROSTER (cargo build first)" >&2; exit 2; }

WORK="$(mktemp -d "${TMPDIR:-/tmp}/roster-sdk-tests.XXXXXX")"
SERVER_PID=""
CHILD=""
DONE=0
cleanup() {
  local status=$?
  trap '' INT TERM
  if [[ -n "$CHILD" ]]; then kill "$CHILD" 2>/dev/null || true; wait "$CHILD" 2>/dev/null || true; fi
  if [[ -n "${RECEIVER_PID:-}" ]]; then kill "$RECEIVER_PID" 2>/dev/null || true; wait "$RECEIVER_PID" 2>/dev/null || true; fi
  if [[ -n "$SERVER_PID" ]] && kill -0 "$SERVER_PID" 2>/dev/null; then
    kill "$SERVER_PID" 2>/dev/null || true
    for _ in $(seq 50); do kill -0 "$SERVER_PID" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$SERVER_PID" 2>/dev/null || true
    wait "$SERVER_PID" 2>/dev/null || true
  fi
  if [[ $DONE = 0 ]]; then
    echo "harness failed (exit $status); last lines of the roster log:" >&2
    tail -n 30 "$WORK/roster.log" 2>/dev/null >&2 || true
    echo "sdk: 0 passed, 1 failed"
    status=1
  fi
  if [[ "${SDK_TESTS_KEEP:-0}" = 1 ]]; then echo "kept $WORK" >&2; else rm -rf "$WORK"; fi
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

step() { echo "== $*" >&2; }
# bounded OUTPUT SECONDS CMD…: under `timeout`, output to OUTPUT (a file, or - for ours), in the
# background so that a signal reaches our trap at once.
bounded() {
  local output=$1 seconds=$2 rc=0
  shift 2
  if [[ $output = - ]]; then timeout "$seconds" "$@" & else timeout "$seconds" "$@" >"$output" 2>&1 & fi
  CHILD=$!
  wait "$CHILD" || rc=$?
  CHILD=""
  return "$rc"
}

step "installing workos==10.8.0 and schemathesis==4.32.5 (Python), @workos-inc/node 11.0.0 (npm ci) into $WORK"
python3 -m venv "$WORK/venv"
bounded - 300 "$WORK/venv/bin/pip" install --quiet --disable-pip-version-check workos==10.8.0 schemathesis==4.32.5
mkdir "$WORK/node"
cp "$HERE/package.json" "$HERE/package-lock.json" "$HERE/node_sdk.mjs" "$WORK/node/"
bounded - 300 npm ci --prefix "$WORK/node" --no-audit --no-fund --loglevel=error

free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
PORT="$(free_port)"
BASE_URL="http://127.0.0.1:$PORT"
export ROSTER_DATABASE_URL="sqlite://$WORK/roster.db" ROSTER_LISTEN="127.0.0.1:$PORT" ROSTER_PUBLIC_URL="$BASE_URL"
export ROSTER_LOG_FORMAT=text
# The receiver below is on loopback, which Roster refuses to deliver to unless told.
export ROSTER_WEBHOOK_ALLOW_PRIVATE=true

HOOK_PORT="$(free_port)"
export HOOKS="$WORK/hooks"
mkdir "$HOOKS"
step "starting a webhook receiver on 127.0.0.1:$HOOK_PORT"
python3 "$HERE/receiver.py" "$HOOK_PORT" "$HOOKS" &
RECEIVER_PID=$!

step "starting roster serve on $BASE_URL"
"$ROSTER" serve >"$WORK/roster.log" 2>&1 &
SERVER_PID=$!
for _ in $(seq 150); do
  curl -s -o /dev/null --max-time 1 "$BASE_URL/directories" && break
  kill -0 "$SERVER_PID" 2>/dev/null || { echo "roster serve exited" >&2; exit 1; }
  sleep 0.2
done
curl -s -o /dev/null --max-time 2 "$BASE_URL/directories" || { echo "roster did not start listening in 30 s" >&2; exit 1; }

json() { python3 -c 'import json, sys; print(json.load(sys.stdin)[sys.argv[1]])' "$1"; }
cli() { timeout 60 "$ROSTER" "$@"; }

step "creating organizations, directories and an API key with the CLI"
ORG_JSON="$(cli org create --name Acme --domain acme.com)"
ORG="$(json id <<<"$ORG_JSON")"
OTHER_ORG="$(cli org create --name Globex --domain globex.com | json id)"
DIR_JSON="$(cli directory create --organization "$ORG" --type okta --name Okta)"
OTHER_DIR_JSON="$(cli directory create --organization "$OTHER_ORG" --type generic --name Other)"
KEY="$(cli api-key create --name sdk | json secret)"
# Every event goes to the receiver; the SDKs' verifiers then check what it got.
export WEBHOOK_SECRET="$(cli webhook create --url "http://127.0.0.1:$HOOK_PORT/hooks" | json secret)"

step "seeding users and groups over SCIM"
export FIXTURE="$WORK/fixture.json"
KEY="$KEY" BASE_URL="$BASE_URL" PORT="$PORT" ORG="$ORG" OTHER_ORG="$OTHER_ORG" \
DIRECTORY="$(json id <<<"$DIR_JSON")" OTHER_DIRECTORY="$(json id <<<"$OTHER_DIR_JSON")" \
SCIM_URL="$(json scim_base_url <<<"$DIR_JSON")" SCIM_TOKEN="$(json bearer_token <<<"$DIR_JSON")" \
OTHER_SCIM_URL="$(json scim_base_url <<<"$OTHER_DIR_JSON")" OTHER_SCIM_TOKEN="$(json bearer_token <<<"$OTHER_DIR_JSON")" \
  bounded - 120 python3 "$HERE/seed.py"

# Each script prints `ok …` / `FAIL …` lines; a script that dies without a FAIL line counts as one failure.
PASSED=0
FAILED=0
run_suite() {
  local name=$1; shift
  step "$name"
  local out="$WORK/$name.out" rc=0
  bounded "$out" 300 "$@" || rc=$?
  cat "$out"
  local ok fail
  ok=$(grep -c '^ok ' "$out" || true)
  fail=$(grep -c '^FAIL ' "$out" || true)
  if [[ $rc != 0 && $fail = 0 ]]; then
    echo "FAIL $name: exited $rc without reporting a failed check"
    fail=1
  fi
  PASSED=$((PASSED + ok))
  FAILED=$((FAILED + fail))
}
run_suite python "$WORK/venv/bin/python" "$HERE/python_sdk.py"
run_suite node node "$WORK/node/node_sdk.mjs"
# Last, because it writes and deletes freely: schemathesis against /openapi.json.
BASE_URL="$BASE_URL" KEY="$KEY" WORK="$WORK" run_suite openapi "$WORK/venv/bin/python" "$HERE/openapi_check.py"

DONE=1
echo "sdk: $PASSED passed, $FAILED failed"
[[ $FAILED = 0 ]]
