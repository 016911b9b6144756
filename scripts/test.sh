#!/usr/bin/env bash
# The whole test suite: on SQLite and, when it answers, on PostgreSQL.
#
# The two runs are independent processes (each its own database, server ports and browser),
# so they run side by side: on 2 cores the pair takes about as long as the slower run alone,
# not the sum. SQLite's output streams here; PostgreSQL's goes to
# test-artifacts/pytest-postgresql.log and is printed when both have finished.
#
# Run through `make test`, which creates .venv and installs the test extras first.
# Extra arguments go to pytest (e.g. `bash scripts/test.sh -k import -x`).
#
# Environment:
#   CUNYI_TEST_POSTGRES_URL  PostgreSQL for the second run (default postgresql://127.0.0.1:5432/test)
#   CUNYI_REQUIRE_POSTGRES=1 an unreachable PostgreSQL is a failure, not a skipped run (CI)
#   CUNYI_REQUIRE_BROWSER=1  a missing Chromium fails the browser tests instead of skipping them (CI)
#   CUNYI_TEST_SEQUENTIAL=1  run SQLite, then PostgreSQL, one after the other (one core, or to
#                            read both outputs live)
set -uo pipefail

cd "$(dirname "$0")/.."
VENV="${VENV:-.venv}"
PYTHON="$VENV/bin/python"
export CUNYI_TEST_POSTGRES_URL="${CUNYI_TEST_POSTGRES_URL:-postgresql://127.0.0.1:5432/test}"
ARTIFACTS="test-artifacts"

if [ ! -x "$VENV/bin/pytest" ]; then
    echo "No test tools in $VENV; run 'make test' (it creates $VENV and installs them)." >&2
    exit 2
fi
mkdir -p "$ARTIFACTS"

banner() {
    echo
    echo "================================================================"
    echo "  $*"
    echo "================================================================"
}

postgres_answers() {
    "$PYTHON" - "$CUNYI_TEST_POSTGRES_URL" <<'EOF' 2>/dev/null
import sys
import psycopg
psycopg.connect(sys.argv[1], connect_timeout=3).close()
EOF
}

# Prints how the browser tests of one run ended, from pytest's JUnit report:
# "ran" (passed), "failed", "skipped", or "none collected".
browser_outcome() {
    "$PYTHON" - "$1" <<'EOF'
import sys
import xml.etree.ElementTree as ET
cases = [c for c in ET.parse(sys.argv[1]).iter("testcase")
         if c.get("classname", "").startswith("tests.browser")]
if not cases:
    print("none collected")
elif any(c.find("failure") is not None or c.find("error") is not None for c in cases):
    print("failed")
elif all(c.find("skipped") is not None for c in cases):
    print("skipped")
else:
    print("ran")
EOF
}

failed=0
databases=()
notes=()
browser_results=()

# Starts one database's run; its pytest status goes to $ARTIFACTS/status-$key when it ends.
# With "background", its output goes to $ARTIFACTS/pytest-$key.log instead of the terminal.
start_suite() {
    local key="$1" label="$2" where="$3"
    shift 3
    local report="$ARTIFACTS/junit-$key.xml" log="$ARTIFACTS/pytest-$key.log"
    rm -f "$report" "$ARTIFACTS/status-$key"
    if [ "$where" = background ]; then
        echo "Test run on $label started in the background; its output: $log"
        (
            banner "Test run on $label (CUNYI_TEST_DATABASE=$key)"
            CUNYI_TEST_DATABASE="$key" "$VENV/bin/pytest" --junitxml="$report" "$@"
            echo $? >"$ARTIFACTS/status-$key"
        ) >"$log" 2>&1 &
        background_pid=$!
    else
        banner "Test run on $label (CUNYI_TEST_DATABASE=$key)"
        CUNYI_TEST_DATABASE="$key" "$VENV/bin/pytest" --junitxml="$report" "$@" 2>&1 | tee "$log"
        echo "${PIPESTATUS[0]}" >"$ARTIFACTS/status-$key"
    fi
}

# Records how one finished run ended, for the summary.
finish_suite() {
    local key="$1" label="$2"
    local report="$ARTIFACTS/junit-$key.xml"
    local status
    status="$(cat "$ARTIFACTS/status-$key" 2>/dev/null || echo 1)"
    # 5 means pytest collected no tests at all: a broken suite, never a pass.
    if [ "$status" -eq 5 ]; then
        echo "pytest collected no tests on $label: treating it as a failure." >&2
    fi
    if [ "$status" -ne 0 ]; then
        failed=1
        databases+=("$label (FAILED)")
    else
        databases+=("$label")
    fi
    if [ -f "$report" ]; then
        browser_results+=("$label: $(browser_outcome "$report")")
    fi
}

banner "Browser for the end-to-end tests"
if ! bash scripts/ensure-chromium.sh; then
    notes+=("Chromium missing")
    if [ "${CUNYI_REQUIRE_BROWSER:-0}" = 1 ]; then
        echo "CUNYI_REQUIRE_BROWSER=1: the browser tests will fail." >&2
    fi
fi

banner "Speech engine for the ballot read aloud"
bash scripts/ensure-espeak.sh || notes+=("espeak-ng missing: speech tests skipped")

postgres=skip
if postgres_answers; then
    postgres=run
elif [ "${CUNYI_REQUIRE_POSTGRES:-0}" = 1 ]; then
    postgres=required
fi

background_pid=""
# An interrupted `make test` stops the background run too.
trap '[ -n "$background_pid" ] && pkill -TERM -P "$background_pid"; exit 130' INT TERM
if [ "$postgres" = run ] && [ "${CUNYI_TEST_SEQUENTIAL:-0}" != 1 ]; then
    start_suite postgresql PostgreSQL background "$@"
fi
start_suite sqlite SQLite foreground "$@"
finish_suite sqlite SQLite
if [ "$postgres" = run ]; then
    if [ -n "$background_pid" ]; then
        wait "$background_pid"
        cat "$ARTIFACTS/pytest-postgresql.log"
    else
        start_suite postgresql PostgreSQL foreground "$@"
    fi
    finish_suite postgresql PostgreSQL
elif [ "$postgres" = required ]; then
    banner "PostgreSQL does not answer at $CUNYI_TEST_POSTGRES_URL"
    echo "CUNYI_REQUIRE_POSTGRES=1: this is a failure." >&2
    failed=1
    notes+=("PostgreSQL REQUIRED but unreachable")
else
    banner "PostgreSQL does not answer at $CUNYI_TEST_POSTGRES_URL: skipping that run"
    echo "Start it (e.g. 'pg_ctlcluster <version> main start') or set CUNYI_TEST_POSTGRES_URL."
    notes+=("PostgreSQL skipped: not reachable")
fi

# "Chromium" when the browser tests passed in every run; otherwise what happened in each.
browser="Chromium"
for result in "${browser_results[@]}"; do
    [ "${result##*: }" = ran ] || browser=""
done
if [ -z "$browser" ] || [ "${#browser_results[@]}" -eq 0 ]; then
    browser="$(IFS=';'; echo "${browser_results[*]:-none run}" | sed 's/;/, /g')"
fi

banner "Summary"
summary="Databases exercised: $(IFS=,; echo "${databases[*]}" | sed 's/,/, /g'); browser tests: $browser"
echo "$summary"
if [ "${#notes[@]}" -gt 0 ]; then
    echo "Notes: $(IFS=';'; echo "${notes[*]}" | sed 's/;/; /g')"
fi
if [ "$failed" -ne 0 ]; then
    echo "RESULT: FAILED"
    exit 1
fi
echo "RESULT: passed"
