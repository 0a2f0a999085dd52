#!/usr/bin/env bash
# A one-node Slurm cluster on localhost, for tests/test_slurm.py (and by hand).
#
#   tests/slurm/setup.sh      install (if missing), configure and start it
#   tests/slurm/stop.sh       stop what this script started, nothing else
#
# Idempotent: packages are installed only when missing, /etc/slurm/slurm.conf is
# rewritten only when its content changes, a daemon is started only when it is
# not already answering. Daemons run directly (no systemd). Every daemon this
# script starts is recorded in $STATE/started/<name>.pid, which is all that
# stop.sh ever stops.
#
# Exit status: 0 the cluster is up (the last line of stdout is
# "started: <daemons started by this call>"); 77 Slurm cannot be started on
# this machine (not root, no apt-get); anything else: set-up failed (the
# message says where; logs are in $STATE).
set -euo pipefail

STATE=${GENE_RECORDS_SLURM_STATE:-/var/lib/gene-records-slurm}
CONF=/etc/slurm/slurm.conf
MARKER="# Written by gene-records tests/slurm/setup.sh"
STARTED=()

say() { echo "slurm-setup: $*" >&2; }
die() {
    say "$*"
    # Leave nothing of this call running.
    [ ${#STARTED[@]} -eq 0 ] || "$(dirname "$0")/stop.sh" "${STARTED[@]}" >&2
    exit 1
}
cannot() {
    say "cannot run Slurm here: $*"
    exit 77
}

[ "$(id -u)" -eq 0 ] || cannot "root is needed to install and start slurmctld, slurmd and munged (running as $(id -un))"
[ "$(uname -s)" = Linux ] || cannot "not Linux"

# ---- packages ---------------------------------------------------------------
need=()
for cmd in /usr/sbin/munged /usr/sbin/slurmctld /usr/sbin/slurmd /usr/bin/sbatch /usr/bin/squeue; do
    [ -x "$cmd" ] || need=(slurm-wlm munge)
done
if [ ${#need[@]} -gt 0 ]; then
    command -v apt-get >/dev/null || cannot "slurm-wlm and munge are missing and there is no apt-get"
    say "installing ${need[*]} with apt-get"
    export DEBIAN_FRONTEND=noninteractive
    if ! apt-get install -y --no-install-recommends "${need[@]}" >"/tmp/gene-records-slurm-apt.log" 2>&1; then
        apt-get update >>"/tmp/gene-records-slurm-apt.log" 2>&1 || true
        apt-get install -y --no-install-recommends "${need[@]}" >>"/tmp/gene-records-slurm-apt.log" 2>&1 ||
            die "apt-get install ${need[*]} failed: see /tmp/gene-records-slurm-apt.log"
    fi
fi

mkdir -p "$STATE/started" "$STATE/slurmctld" "$STATE/slurmd"

alive() { # alive PIDFILE NAME: the pid in PIDFILE is a running NAME
    local pid
    [ -s "$1" ] || return 1
    pid=$(cat "$1")
    [ -n "$pid" ] && [ -r "/proc/$pid/comm" ] && [ "$(cat "/proc/$pid/comm")" = "$2" ]
}

record() { # record NAME PIDFILE: remember that this script started NAME
    local i
    for i in $(seq 50); do
        alive "$2" "$1" && break
        sleep 0.1
    done
    alive "$2" "$1" || die "$1 did not start: see $3"
    cp "$2" "$STATE/started/$1.pid"
    STARTED+=("$1")
}

# ---- munge ------------------------------------------------------------------
if ! munge -n 2>/dev/null | unmunge >/dev/null 2>&1; then
    [ -s /etc/munge/munge.key ] || {
        say "creating /etc/munge/munge.key"
        (umask 077 && dd if=/dev/urandom of=/etc/munge/munge.key bs=1 count=1024 2>/dev/null)
        chown munge:munge /etc/munge/munge.key
    }
    install -d -o munge -g munge -m 0755 /run/munge
    install -d -o munge -g munge -m 0700 /var/log/munge
    install -d -o munge -g munge -m 0711 /var/lib/munge
    runuser -u munge -- /usr/sbin/munged --pid-file=/run/munge/munged.pid ||
        die "munged did not start: see /var/log/munge/munged.log"
    record munged /run/munge/munged.pid /var/log/munge/munged.log
    for i in $(seq 50); do
        munge -n 2>/dev/null | unmunge >/dev/null 2>&1 && break
        sleep 0.1
    done
    munge -n | unmunge >/dev/null || die "munged does not answer: see /var/log/munge/munged.log"
fi

# ---- slurm.conf -------------------------------------------------------------
host=$(hostname -s)
hw=$(slurmd -C | head -n 1)
field() { sed -n "s/.*\b$1=\([0-9]*\).*/\1/p" <<<"$hw"; }
cpus=$(field CPUs)
boards=$(field Boards)
sockets=$(field SocketsPerBoard)
cores=$(field CoresPerSocket)
threads=$(field ThreadsPerCore)
mem=$(field RealMemory)
[ -n "$cpus" ] && [ -n "$mem" ] || die "cannot read CPUs and RealMemory from 'slurmd -C': $hw"
# A little below what slurmd measures (it checks the node has at least this).
realmem=$((mem * 95 / 100))
defmem=$((realmem / cpus))

conf=$(
    cat <<EOF
$MARKER for a one-node test cluster.
# It is regenerated on every run; stop.sh leaves it in place.
ClusterName=generecords
SlurmctldHost=$host(127.0.0.1)
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CryptoType=crypto/munge
MpiDefault=none
ProctrackType=proctrack/linuxproc
TaskPlugin=task/affinity
SelectType=select/cons_tres
SelectTypeParameters=CR_Core_Memory
SchedulerType=sched/backfill
AccountingStorageType=accounting_storage/none
JobAcctGatherType=jobacct_gather/none
JobCompType=jobcomp/none
# Finished jobs stay visible to squeue for 10 minutes: the executor plugin,
# without an accounting database, learns that a job ended only from squeue.
MinJobAge=600
ReturnToService=2
MailProg=/bin/true
StateSaveLocation=$STATE/slurmctld
SlurmdSpoolDir=$STATE/slurmd
SlurmctldPidFile=$STATE/slurmctld.pid
SlurmdPidFile=$STATE/slurmd.pid
SlurmctldLogFile=$STATE/slurmctld.log
SlurmdLogFile=$STATE/slurmd.log
SlurmctldDebug=info
SlurmdDebug=info
DefMemPerCPU=$defmem
NodeName=$host NodeAddr=127.0.0.1 CPUs=$cpus Boards=${boards:-1} SocketsPerBoard=${sockets:-1} CoresPerSocket=${cores:-$cpus} ThreadsPerCore=${threads:-1} RealMemory=$realmem State=UNKNOWN
PartitionName=debug Nodes=ALL Default=YES MaxTime=INFINITE State=UP
EOF
)
if [ -e "$CONF" ] && ! grep -qF "$MARKER" "$CONF"; then
    die "$CONF exists and was not written by this script: not touching it (move it away to use the test cluster)"
fi
changed=no
if [ "$(cat "$CONF" 2>/dev/null)" != "$conf" ]; then
    mkdir -p /etc/slurm
    printf '%s\n' "$conf" >"$CONF.tmp" && mv "$CONF.tmp" "$CONF"
    changed=yes
fi

# ---- slurmctld and slurmd ---------------------------------------------------
if [ $changed = yes ]; then
    # Daemons of ours running with an older configuration: restart them.
    "$(dirname "$0")/stop.sh" slurmd slurmctld >&2
fi
if ! alive "$STATE/slurmctld.pid" slurmctld; then
    /usr/sbin/slurmctld -c || die "slurmctld did not start: see $STATE/slurmctld.log"
    record slurmctld "$STATE/slurmctld.pid" "$STATE/slurmctld.log"
fi
for i in $(seq 100); do
    scontrol ping >/dev/null 2>&1 && break
    sleep 0.1
done
scontrol ping | grep -q UP || die "slurmctld does not answer: see $STATE/slurmctld.log"
if ! alive "$STATE/slurmd.pid" slurmd; then
    /usr/sbin/slurmd || die "slurmd did not start: see $STATE/slurmd.log"
    record slurmd "$STATE/slurmd.pid" "$STATE/slurmd.log"
fi

# ---- the node is up and idle ------------------------------------------------
state=""
for i in $(seq 150); do
    state=$(sinfo -h -n "$host" -o %T 2>/dev/null || true)
    case "$state" in
    idle* | mixed* | allocated*) break ;;
    down* | drain* | fail*) scontrol update NodeName="$host" State=RESUME >/dev/null 2>&1 || true ;;
    esac
    sleep 0.2
done
case "$state" in
idle* | mixed* | allocated*) ;;
*) die "node $host is '$state', not idle: see $STATE/slurmctld.log and $STATE/slurmd.log" ;;
esac
say "up: node $host, $cpus CPUs, RealMemory=$realmem MB, DefMemPerCPU=$defmem MB; logs in $STATE"
echo "started: ${STARTED[*]}"
