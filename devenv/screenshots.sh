#!/usr/bin/env bash
# `make screenshots`: the documentation's screenshots (docs/01-preferences.png ...
# docs/09-api-key-events.png), taken by the browser test as it walks through
# the key lifecycle in headless Chromium. A failing step fails the command.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
export AUTH_APIKEYS_SCREENSHOTS=${AUTH_APIKEYS_SCREENSHOTS:-$ROOT/docs}
mkdir -p "$AUTH_APIKEYS_SCREENSHOTS"
echo "[screenshots] saving them in $AUTH_APIKEYS_SCREENSHOTS"
export AUTH_APIKEYS_APPS=${AUTH_APIKEYS_APPS:-0}  # the screenshots are of Odoo without the apps
exec bash "$ROOT/devenv/test.sh" -k test_browser_flow "$@"
