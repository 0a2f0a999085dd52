#!/usr/bin/env bash
# The whole test suite, as `make test` runs it, in two pytest processes side by
# side: the Slurm tests (which spend most of their time waiting for the
# scheduler's status checks) with the downstream-reader tests, and everything
# else. Each process has its own --basetemp; the side process's output follows
# the main one's. Exit status: the first failure's; 1 if either collected no
# tests.
set -u
PY="${1:?usage: tests/run_suite.sh PYTHON}"
SIDE=(tests/test_slurm.py tests/test_typed_outputs.py)
base="${TMPDIR:-/tmp}/gene-records-tests"
mkdir -p "$base"
side_log="$base/side.log"

# (a background command of a script ignores SIGINT: `trap -` gives it back, for
# the tests that interrupt a run with it)
(trap - INT QUIT; exec "$PY" -m pytest -p no:cacheprovider --durations=15 --basetemp "$base/side" "${SIDE[@]}") \
    >"$side_log" 2>&1 &
side_pid=$!
trap 'kill "$side_pid" 2>/dev/null' INT TERM EXIT

ignore=()
for f in "${SIDE[@]}"; do ignore+=(--ignore "$f"); done
"$PY" -m pytest --durations=25 --basetemp "$base/main" "${ignore[@]}"
rc=$?
wait "$side_pid"
side_rc=$?
trap - INT TERM EXIT

echo
echo "========================= ${SIDE[*]} (run beside the rest) ========================="
cat "$side_log"

for status in "$rc" "$side_rc"; do
    if [ "$status" -eq 5 ]; then
        echo "pytest collected no tests: failing" >&2
        exit 1
    fi
done
if [ "$rc" -ne 0 ]; then
    exit "$rc"
fi
exit "$side_rc"
