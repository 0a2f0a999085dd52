#!/usr/bin/env bash
# Stop the daemons that tests/slurm/setup.sh started, and only those.
#
#   tests/slurm/stop.sh                    slurmd, slurmctld and munged, if setup.sh started them
#   tests/slurm/stop.sh slurmd slurmctld   only these
#
# A daemon is stopped only when $STATE/started/<name>.pid names a process
# that is still running under that name (a recycled pid is left alone).
# Daemons that were running before setup.sh (e.g. a site's own munged) have no
# such file and are never touched. Packages and /etc/slurm/slurm.conf stay.
set -uo pipefail

STATE=${GENE_RECORDS_SLURM_STATE:-/var/lib/gene-records-slurm}
names=("$@")
[ ${#names[@]} -gt 0 ] || names=(slurmd slurmctld munged)

for name in "${names[@]}"; do
    case "$name" in
    slurmd | slurmctld | munged) ;;
    *)
        echo "slurm-stop: unknown daemon '$name'" >&2
        exit 2
        ;;
    esac
    file="$STATE/started/$name.pid"
    [ -s "$file" ] || continue
    pid=$(cat "$file")
    if [ -r "/proc/$pid/comm" ] && [ "$(cat "/proc/$pid/comm")" = "$name" ]; then
        kill -TERM "$pid" 2>/dev/null
        for _ in $(seq 100); do
            [ -d "/proc/$pid" ] || break
            sleep 0.1
        done
        if [ -d "/proc/$pid" ]; then
            echo "slurm-stop: $name ($pid) ignored SIGTERM for 10 s: SIGKILL" >&2
            kill -KILL "$pid" 2>/dev/null
        fi
        echo "slurm-stop: stopped $name ($pid)" >&2
    fi
    rm -f "$file"
done
exit 0
