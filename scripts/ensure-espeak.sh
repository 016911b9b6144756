#!/usr/bin/env bash
# Make sure Debian's espeak-ng (its Mandarin voice `cmn-latn-pinyin`) and opusenc are
# installed: the ballot read aloud (ballots.setup.speech) is spoken by espeak-ng and
# encoded to Ogg Opus, small enough for a weak village network.
#
# Called by scripts/test.sh (so by `make test` and CI) and by `make speech`. As root on
# a machine with apt-get (CI, a fresh container) installs what is missing; otherwise says
# how to install it. Without them the app still works and offers no audio
# (CUNYI_SPEECH_ENGINE), and the tests that need the engine are skipped.
# Exit status: 0 when both are available afterwards, 1 when either is not.
set -euo pipefail

packages=()
command -v espeak-ng >/dev/null 2>&1 || packages+=(espeak-ng)
# opusenc encodes the speech; opusinfo (same package) lets the tests read the duration back.
command -v opusenc >/dev/null 2>&1 || packages+=(opus-tools)

if [ "${#packages[@]}" -gt 0 ] && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "Installing ${packages[*]} with apt-get (this happens once) ..."
    log="$(mktemp)"
    # Quiet on success; the whole apt output when something goes wrong.
    if ! { apt-get update -qq && DEBIAN_FRONTEND=noninteractive \
        apt-get install -y -qq --no-install-recommends "${packages[@]}"; } >"$log" 2>&1; then
        cat "$log" >&2
    fi
    rm -f "$log"
fi

if command -v espeak-ng >/dev/null 2>&1 && command -v opusenc >/dev/null 2>&1; then
    echo "Speech for the ballot read aloud: $(command -v espeak-ng), $(command -v opusenc)"
    exit 0
fi
cat >&2 <<MSG
espeak-ng or opusenc is missing, so no ballot is read aloud and the speech tests are skipped.
Install Debian's packages:   sudo apt-get install espeak-ng opus-tools
MSG
exit 1
