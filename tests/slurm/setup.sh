#!/usr/bin/env bash
# A one-node Slurm cluster on localhost, for tests/test_slurm.py (and by hand).
#
#   tests/slurm/setup.sh      install (if missing), configure and start it
#   tests/slurm/stop.sh       stop what this script started, nothing else
#
# The cluster is private: its configuration is $STATE/slurm.conf (clients
# reach it with SLURM_CONF=$STATE/slurm.conf), its state, spool, pid and log
# files are under $STATE and its daemons listen on their own ports
# ($GENE_RECORDS_SLURM_PORTS, default "16817 16818"), so a machine's own
# Slurm (/etc/slurm, ports 6817/6818) is never touched.
#
# Idempotent: packages are installed only when missing, $STATE/slurm.conf is
# rewritten only when its content changes, a daemon is started only when it is
# not already answering. Daemons run directly (no systemd). Every daemon this
# script starts is recorded in $STATE/started/<name>.pid, which is all that
# stop.sh ever stops.
#
# Exit status: 0 the cluster is up (the last line of stdout is
# "started: <daemons started by this call>"); 77 Slurm cannot be started on
# this machine (not root, no apt-get, the ports are taken); anything else:
# set-up failed (the message says where; logs are in $STATE).
set -euo pipefail

STATE=${GENE_RECORDS_SLURM_STATE:-/var/lib/gene-records-slurm}
CONF=$STATE/slurm.conf
export SLURM_CONF=$CONF
read -r CTLD_PORT SLURMD_PORT <<<"${GENE_RECORDS_SLURM_PORTS:-16817 16818}"
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
# It is regenerated on every run; stop.sh leaves it in place. Private:
# clients use it through SLURM_CONF=$CONF.
ClusterName=generecords
SlurmctldPort=$CTLD_PORT
SlurmdPort=$SLURMD_PORT
PlugStackConfig=$STATE/plugstack.conf
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
# Memory is sampled every second and a job step over its --mem is killed
# (OUT_OF_MEMORY), as on a production cluster: the retry tests need it.
JobAcctGatherType=jobacct_gather/linux
JobAcctGatherFrequency=task=1
JobAcctGatherParams=OverMemoryKill
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
changed=no
if [ "$(cat "$CONF" 2>/dev/null)" != "$conf" ]; then
    printf '%s\n' "$conf" >"$CONF.tmp" && mv "$CONF.tmp" "$CONF"
    changed=yes
fi
: >"$STATE/plugstack.conf" # no SPANK plugins (a site's /etc/slurm/plugstack.conf is not read)
# snakemake-executor-plugin-slurm-jobstep drops every SLURM_* variable
# (SLURM_CONF too) before it runs srun inside a job: $STATE/bin/srun sets it
# again. Put $STATE/bin first on PATH when running the workflow on this cluster.
mkdir -p "$STATE/bin"
command -v srun >/dev/null || die "srun is not on PATH"
printf '#!/bin/sh\n# gene-records test cluster: srun with its private configuration\nSLURM_CONF=%s exec %s "$@"\n' "$CONF" "$(command -v srun)" >"$STATE/bin/srun.tmp"
chmod 755 "$STATE/bin/srun.tmp" && mv "$STATE/bin/srun.tmp" "$STATE/bin/srun"

# Our ports must be free unless our own daemons hold them.
port_taken() { ss -Hltn "sport = :$1" 2>/dev/null | grep -q .; }
if ! alive "$STATE/slurmctld.pid" slurmctld && port_taken "$CTLD_PORT"; then
    cannot "port $CTLD_PORT (slurmctld) is in use by another program: set GENE_RECORDS_SLURM_PORTS=\"<ctld port> <slurmd port>\""
fi
if ! alive "$STATE/slurmd.pid" slurmd && port_taken "$SLURMD_PORT"; then
    cannot "port $SLURMD_PORT (slurmd) is in use by another program: set GENE_RECORDS_SLURM_PORTS=\"<ctld port> <slurmd port>\""
fi

# ---- slurmctld and slurmd ---------------------------------------------------
if [ $changed = yes ]; then
    # Daemons of ours running with an older configuration: restart them.
    "$(dirname "$0")/stop.sh" slurmd slurmctld >&2
fi
if ! alive "$STATE/slurmctld.pid" slurmctld; then
    /usr/sbin/slurmctld -c -f "$CONF" || die "slurmctld did not start: see $STATE/slurmctld.log"
    record slurmctld "$STATE/slurmctld.pid" "$STATE/slurmctld.log"
fi
for i in $(seq 100); do
    scontrol ping >/dev/null 2>&1 && break
    sleep 0.1
done
scontrol ping | grep -q UP || die "slurmctld does not answer: see $STATE/slurmctld.log"
if ! alive "$STATE/slurmd.pid" slurmd; then
    /usr/sbin/slurmd -f "$CONF" || die "slurmd did not start: see $STATE/slurmd.log"
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
say "up (SLURM_CONF=$CONF): node $host, $cpus CPUs, RealMemory=$realmem MB, DefMemPerCPU=$defmem MB; logs in $STATE"
echo "started: ${STARTED[*]}"
