#!/usr/bin/env bash
# System packages the test suite needs beyond .venv (run by `make test`).
#
#   tests/setup_system.sh
#
# Today: Debian's chromium, for the headless-browser screenshot test of the
# HTML report (tests/test_report.py). Idempotent: a package is installed only
# when its program is missing (apt-get update runs only then, and only once).
# Needs root and apt-get; without them it says so and exits 0, and the tests
# that need the program skip with that message (except under CI=true, where
# they fail: CI must really run them). Slurm has its own script
# (tests/slurm/setup.sh); this one touches nothing of it.
set -euo pipefail

say() { echo "setup-system: $*" >&2; }

# program -> Debian package
declare -A NEED=([/usr/bin/chromium]=chromium)

missing=()
for prog in "${!NEED[@]}"; do
    [ -x "$prog" ] || missing+=("${NEED[$prog]}")
done
if [ ${#missing[@]} -eq 0 ]; then
    exit 0
fi
if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null; then
    say "cannot install ${missing[*]} (needs root and apt-get); the tests that need it will skip"
    exit 0
fi
LOG=/tmp/gene-records-setup-system-apt.log
say "installing ${missing[*]} with apt-get (log: $LOG)"
export DEBIAN_FRONTEND=noninteractive
if ! apt-get install -y --no-install-recommends "${missing[@]}" >"$LOG" 2>&1; then
    apt-get update >>"$LOG" 2>&1 || true
    if ! apt-get install -y --no-install-recommends "${missing[@]}" >>"$LOG" 2>&1; then
        say "apt-get install ${missing[*]} failed: see $LOG"
        exit 1
    fi
fi
say "installed ${missing[*]}"
