#!/usr/bin/env bash
# A one-node Slurm cluster on this machine, for the Slurm tests (and for trying `lrtrain sweep
# --slurm` by hand): munged, slurmctld and slurmd with a generated slurm.conf whose only node is
# 127.0.0.1, state, spool and logs under one directory. Needs root (the daemons run as root).
#
#   scripts/slurm-local.sh start [DIR]   install the packages when missing, start, wait until the
#                                        node is idle, print `export SLURM_CONF=DIR/slurm.conf`
#   scripts/slurm-local.sh stop  [DIR]   stop the daemons by their pid files
#
# DIR defaults to /tmp/lrtrain-slurm. Client commands (sbatch, squeue, scontrol, scancel) find the
# cluster through SLURM_CONF.
#
# Several clusters can run side by side (one per DIR, e.g. tests running at the same time): each
# takes the first free pair of ports from 6817 up, chosen under a lock so two starts never pick the
# same pair. A second `start` on a DIR whose cluster answers only prints the export line; a pid file
# whose process is gone or is some other program is ignored.
set -euo pipefail

cmd="${1:-}"
dir="${2:-/tmp/lrtrain-slurm}"
conf="$dir/slurm.conf"

die() { echo "slurm-local: $*" >&2; exit 1; }

install_packages() {
  local missing=()
  for bin in slurmctld slurmd sbatch munged; do
    command -v "$bin" >/dev/null 2>&1 || PATH="$PATH:/usr/sbin" command -v "$bin" >/dev/null 2>&1 || missing+=("$bin")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  [ "$(id -u)" -eq 0 ] || die "missing ${missing[*]} and not root: apt-get install slurmctld slurmd slurm-client munge"
  echo "slurm-local: installing slurmctld slurmd slurm-client munge" >&2
  apt-get update -qq >&2 || true
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq slurmctld slurmd slurm-client munge >&2 \
    || die "apt-get install slurmctld slurmd slurm-client munge failed"
}

# The pid in DIR/NAME.pid when that process is alive and is NAME (a pid file left by a crash may
# name a pid that was since reused by another program, which must not be killed).
live_pid() {
  local name="$1" pid comm
  pid=$(cat "$dir/$name.pid" 2>/dev/null || true)
  case "$pid" in '' | *[!0-9]*) return 1 ;; esac
  comm=$(cat "/proc/$pid/comm" 2>/dev/null || true)
  [ "$comm" = "$name" ] || return 1
  echo "$pid"
}

# Whether TCP port $1 on 127.0.0.1 has a listener (bash's /dev/tcp: no extra tools needed).
port_in_use() {
  (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

# Whether a TCP port is already set in another live local cluster's slurm.conf (it may be between
# writing its conf and listening).
port_claimed() {
  local port="$1" other
  for other in /tmp/*/slurm.conf "$dir/../"*/slurm.conf; do
    [ -f "$other" ] && [ "$other" != "$conf" ] || continue
    grep -q "^Slurm\(ctld\|d\)Port=$port\$" "$other" 2>/dev/null || continue
    local odir pid
    odir=$(dirname "$other")
    pid=$(cat "$odir/slurmctld.pid" 2>/dev/null || true)
    [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null && return 0
  done
  return 1
}

stop() {
  for name in slurmd slurmctld munged; do
    local pidfile="$dir/$name.pid"
    [ -f "$pidfile" ] || continue
    local pid
    if pid=$(live_pid "$name"); then
      kill "$pid" 2>/dev/null || true
      for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
      kill -9 "$pid" 2>/dev/null || true
    fi
    rm -f "$pidfile"
  done
}

start() {
  [ "$(id -u)" -eq 0 ] || die "must run as root (the daemons run as root here)"
  install_packages
  export PATH="$PATH:/usr/sbin"
  if live_pid slurmctld >/dev/null && live_pid slurmd >/dev/null \
    && SLURM_CONF="$conf" sinfo -h >/dev/null 2>&1; then
    echo "slurm-local: already running in $dir" >&2
    echo "export SLURM_CONF=$conf"
    return 0
  fi
  stop
  mkdir -p "$dir/state" "$dir/spool" "$dir/munge"
  chmod 700 "$dir/munge"
  local node cpus mem
  node=$(hostname -s)
  cpus=$(nproc)
  mem=$(( $(awk '/MemTotal/ {print $2}' /proc/meminfo) / 1024 - 512 ))

  # munge: its own key, socket and pid file, so a system munged (if any) is left alone.
  if [ ! -s "$dir/munge/munge.key" ]; then
    dd if=/dev/urandom of="$dir/munge/munge.key" bs=1024 count=1 status=none
  fi
  chmod 400 "$dir/munge/munge.key"
  munged --force --key-file="$dir/munge/munge.key" --socket="$dir/munge/munge.socket" \
    --pid-file="$dir/munged.pid" --log-file="$dir/munged.log" --seed-file="$dir/munge/munge.seed" 9>&- \
    || die "munged did not start (see $dir/munged.log)"

  # Two free ports, chosen and written into slurm.conf under a lock shared by every DIR.
  exec 9>/tmp/lrtrain-slurm-ports.lock
  flock -w 60 9 || die "could not lock /tmp/lrtrain-slurm-ports.lock within 60 s"
  local port=6817 ctld_port="" d_port=""
  while [ "$port" -lt 7817 ]; do
    if ! port_in_use "$port" && ! port_in_use $((port + 1)) \
      && ! port_claimed "$port" && ! port_claimed $((port + 1)); then
      ctld_port=$port d_port=$((port + 1))
      break
    fi
    port=$((port + 2))
  done
  [ -n "$ctld_port" ] || die "no two free ports between 6817 and 7817 on 127.0.0.1"

  cat > "$conf" <<CONF
# Generated by scripts/slurm-local.sh: a one-node cluster on 127.0.0.1.
ClusterName=lrtrain-local
SlurmctldHost=$node(127.0.0.1)
SlurmUser=root
SlurmdUser=root
SlurmctldPort=$ctld_port
SlurmdPort=$d_port
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$dir/munge/munge.socket
StateSaveLocation=$dir/state
SlurmdSpoolDir=$dir/spool
SlurmctldPidFile=$dir/slurmctld.pid
SlurmdPidFile=$dir/slurmd.pid
SlurmctldLogFile=$dir/slurmctld.log
SlurmdLogFile=$dir/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
SchedulerType=sched/backfill
MpiDefault=none
ReturnToService=2
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
SlurmctldTimeout=30
SlurmdTimeout=30
MinJobAge=600
NodeName=$node NodeAddr=127.0.0.1 CPUs=$cpus RealMemory=$mem State=UNKNOWN
PartitionName=local Nodes=$node Default=YES MaxTime=INFINITE State=UP OverSubscribe=NO
CONF
  export SLURM_CONF="$conf"
  slurmctld -c -f "$conf" 9>&- || die "slurmctld did not start (see $dir/slurmctld.log)"
  slurmd -f "$conf" -N "$node" 9>&- || die "slurmd did not start (see $dir/slurmd.log)"

  # Wait until the node is idle (at most 60 s).
  for _ in $(seq 1 120); do
    state=$(sinfo -h -N -o '%T' 2>/dev/null | head -1 || true)
    case "$state" in
      # Listening now: the next start may look for ports (the daemons never held fd 9).
      idle*) exec 9>&-; echo "export SLURM_CONF=$conf"; return 0 ;;
    esac
    sleep 0.5
  done
  die "the node did not become idle within 60 s (sinfo says '${state:-nothing}'; logs in $dir)"
}

case "$cmd" in
  start) start ;;
  stop) stop ;;
  *) echo "usage: $0 start|stop [DIR]" >&2; exit 2 ;;
esac
