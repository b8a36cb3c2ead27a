#!/usr/bin/env bash
# The dashboard's end-to-end test: a built `roster` on a temporary SQLite database, driven by
# headless Chromium (Debian's package) through playwright-core. Screenshots land in
# web/e2e/screenshots/.
#   usage: web/e2e/run.sh target/debug/roster
set -euo pipefail
roster="$(realpath "${1:?usage: run.sh PATH_TO_ROSTER_BINARY}")"
cd "$(dirname "$0")"
if [ ! -x /usr/bin/chromium ]; then
  echo "/usr/bin/chromium is missing: apt-get install -y chromium" >&2
  exit 1
fi
npm ci --no-audit --no-fund --silent
ROSTER_BIN="$roster" node dashboard.test.mjs
