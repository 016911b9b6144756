#!/usr/bin/env bash
# Make sure Debian's Chromium (with a Chinese font, and zbar to read QR codes back) is
# installed for the browser tests.
#
# The browser tests drive the system Chromium through Playwright; we never let Playwright
# download its own browser. When Chromium is missing and we are root on a machine with
# apt-get (CI, a fresh container), install it; otherwise say how to install it.
# Then installs axe-core from npm (scripts/ensure-axe.sh), the accessibility checker the
# browser tests run on every page.
# Exit status: 0 when Chromium and axe-core are available afterwards, 1 when either is not.
set -euo pipefail

CHROMIUM="${CUNYI_CHROMIUM:-/usr/bin/chromium}"
# Small and enough to render Chinese; without any CJK font Chromium draws empty boxes.
CJK_FONT_PACKAGE="fonts-wqy-microhei"

have_cjk_font() {
    command -v fc-list >/dev/null 2>&1 && [ -n "$(fc-list :lang=zh family 2>/dev/null)" ]
}

can_apt() {
    [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1
}

apt_install() {
    echo "Installing $* with apt-get (this happens once) ..."
    local log
    log="$(mktemp)"
    # Quiet on success; the whole apt output when something goes wrong.
    if ! { apt-get update -qq && DEBIAN_FRONTEND=noninteractive \
        apt-get install -y -qq --no-install-recommends "$@"; } >"$log" 2>&1; then
        cat "$log" >&2
        rm -f "$log"
        return 1
    fi
    rm -f "$log"
}

packages=()
[ -x "$CHROMIUM" ] || packages+=(chromium)
have_cjk_font || packages+=("$CJK_FONT_PACKAGE")
# zbarimg reads the QR codes off printed slip sheets in the browser tests.
command -v zbarimg >/dev/null 2>&1 || packages+=(zbar-tools)
# pdftotext and pdftoppm read printed notices back (text, and a raster for zbar).
command -v pdftotext >/dev/null 2>&1 || packages+=(poppler-utils)

if [ "${#packages[@]}" -gt 0 ] && can_apt; then
    # A failed font install must not hide a working Chromium: check the result below.
    apt_install "${packages[@]}" || echo "apt-get could not install: ${packages[*]}" >&2
fi

if ! have_cjk_font; then
    echo "Note: no Chinese font found; screenshots will show boxes instead of characters." >&2
    echo "      Install one with: sudo apt-get install $CJK_FONT_PACKAGE" >&2
fi

axe=0
bash "$(dirname "$0")/ensure-axe.sh" || axe=1

if [ -x "$CHROMIUM" ]; then
    echo "Chromium for the browser tests: $CHROMIUM"
    exit "$axe"
fi

cat >&2 <<EOF
Chromium was not found at $CHROMIUM, so the browser tests will be skipped.
Install Debian's package:   sudo apt-get install chromium
(or point CUNYI_CHROMIUM at another Chromium binary). Do not run 'playwright install':
the tests use the system browser on purpose.
EOF
exit 1
