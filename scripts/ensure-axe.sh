#!/usr/bin/env bash
# Make sure axe-core, the accessibility checker the browser tests run on every page, is
# installed from npm at the version tests/browser/package-lock.json pins.
#
# Called by scripts/ensure-chromium.sh (so by `make test` and `make chromium`). Uses the
# machine's node and npm; as root on a machine with apt-get and no npm (CI, a fresh
# container), installs Debian's npm first. Quiet when the pinned version is already there.
# Exit status: 0 when axe-core is installed afterwards, 1 when it is not.
set -euo pipefail

cd "$(dirname "$0")/../tests/browser"
AXE="node_modules/axe-core"

pinned_version() {
    # The version the lock file pins (no node needed to read it).
    sed -n '/"node_modules\/axe-core"/,/}/s/.*"version": *"\([^"]*\)".*/\1/p' package-lock.json
}

installed_version() {
    [ -f "$AXE/package.json" ] && [ -f "$AXE/axe.min.js" ] || return 0
    sed -n 's/^ *"version": *"\([^"]*\)".*/\1/p' "$AXE/package.json" | head -n 1
}

want="$(pinned_version)"
if [ -n "$want" ] && [ "$(installed_version)" = "$want" ]; then
    echo "axe-core for the browser tests: $want"
    exit 0
fi

if ! command -v npm >/dev/null 2>&1 && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "Installing npm with apt-get (this happens once) ..."
    log="$(mktemp)"
    if ! { apt-get update -qq && DEBIAN_FRONTEND=noninteractive \
        apt-get install -y -qq --no-install-recommends npm; } >"$log" 2>&1; then
        cat "$log" >&2
    fi
    rm -f "$log"
fi

if ! command -v npm >/dev/null 2>&1; then
    echo "npm was not found, so axe-core ($want) is not installed and the browser tests" >&2
    echo "cannot check accessibility. Install Node.js and npm, then run 'make chromium'." >&2
    exit 1
fi

echo "Installing axe-core $want from npm (npm ci in tests/browser) ..."
log="$(mktemp)"
if ! npm ci --no-audit --no-fund --loglevel=error >"$log" 2>&1; then
    cat "$log" >&2
    rm -f "$log"
    echo "npm ci failed: axe-core is not installed." >&2
    exit 1
fi
rm -f "$log"
echo "axe-core for the browser tests: $(installed_version)"
