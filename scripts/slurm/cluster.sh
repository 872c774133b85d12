#!/usr/bin/env bash
# A throwaway one-node Slurm cluster for the drill (scripts/e2e/slurm.sh) and for trying
# scripts/slurm/gen-array.sbatch by hand. Everything lives under DIR: config, munge key
# and socket, state, spool, logs, PID files. Nothing under /etc is touched and no systemd
# is needed. Debian's slurmctld, slurmd, munge and slurm-client come from scripts/setup.
#
#   scripts/slurm/cluster.sh start DIR   writes DIR/slurm.conf, starts munged, slurmctld
#                                        and slurmd, waits until the node is idle, and
#                                        prints `export SLURM_CONF=DIR/slurm.conf`
#   scripts/slurm/cluster.sh stop DIR    stops the three daemons by their PID files
#
# Daemons run as the calling user (root on CI); `stop` is safe to call twice, and after
# a failed `start`.
set -euo pipefail
say() { printf '\033[1m[slurm]\033[0m %s\n' "$*" >&2; }

usage() { echo "usage: $0 start|stop DIR" >&2; exit 2; }
[ $# -eq 2 ] || usage
cmd=$1
dir=$(mkdir -p "$2" && cd "$2" && pwd)

stop() {
  local name pid
  for name in slurmd slurmctld munged; do
    [ -f "$dir/$name.pid" ] || continue
    pid=$(cat "$dir/$name.pid" 2>/dev/null || true)
    if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
      kill "$pid" 2>/dev/null || true
      for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
      kill -9 "$pid" 2>/dev/null || true
    fi
    rm -f "$dir/$name.pid"
  done
}

# A free TCP port on loopback (the kernel picks; a race with another binder is unlikely
# on a test machine and shows up as a clear daemon log line).
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("", 0)); print(s.getsockname()[1])'; }

start() {
  local missing=()
  for exe in munged slurmctld slurmd sbatch scontrol sinfo; do
    command -v "$exe" >/dev/null || missing+=("$exe")
  done
  if [ ${#missing[@]} -gt 0 ]; then
    say "missing ${missing[*]}: run scripts/setup (Debian packages slurmctld slurmd munge slurm-client)"
    return 1
  fi
  stop
  mkdir -p "$dir/state" "$dir/spool" "$dir/munge"
  chmod 700 "$dir/munge"
  local host cpus mem ctld_port d_port user
  host=$(hostname -s)
  cpus=$(nproc)
  mem=$(( $(awk '/MemTotal/ {print $2}' /proc/meminfo) / 1024 / 2 ))
  ctld_port=$(free_port)
  d_port=$(free_port)
  user=$(id -un)

  # munge: a fresh key and a private socket, so a system munged (if any) is not involved.
  dd if=/dev/urandom of="$dir/munge/munge.key" bs=1024 count=1 status=none
  chmod 400 "$dir/munge/munge.key"
  munged --force --key-file="$dir/munge/munge.key" --socket="$dir/munge/munge.socket" \
    --pid-file="$dir/munged.pid" --log-file="$dir/munged.log" --seed-file="$dir/munge/seed"

  cat >"$dir/slurm.conf" <<CONF
ClusterName=gen-drill
SlurmctldHost=$host
SlurmUser=$user
SlurmdUser=$user
SlurmctldPort=$ctld_port
SlurmdPort=$d_port
AuthType=auth/munge
AuthInfo=socket=$dir/munge/munge.socket
CredType=cred/munge
StateSaveLocation=$dir/state
SlurmdSpoolDir=$dir/spool
SlurmctldPidFile=$dir/slurmctld.pid
SlurmdPidFile=$dir/slurmd.pid
SlurmctldLogFile=$dir/slurmctld.log
SlurmdLogFile=$dir/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
MpiDefault=none
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
ReturnToService=2
JobRequeue=1
SchedulerParameters=defer_batch
SlurmctldTimeout=30
SlurmdTimeout=30
MinJobAge=600
NodeName=$host CPUs=$cpus RealMemory=$mem State=UNKNOWN
PartitionName=drill Nodes=$host Default=YES MaxTime=INFINITE State=UP OverSubscribe=NO
CONF
  export SLURM_CONF="$dir/slurm.conf"
  slurmctld -f "$SLURM_CONF" || { say "slurmctld did not start: $(tail -n 3 "$dir/slurmctld.log" 2>/dev/null)"; return 1; }
  slurmd -f "$SLURM_CONF" || { say "slurmd did not start: $(tail -n 3 "$dir/slurmd.log" 2>/dev/null)"; return 1; }
  local state=""
  for _ in $(seq 150); do
    state=$(sinfo -h -N -o '%t' 2>/dev/null | head -n 1 || true)
    case "$state" in idle | mix | alloc) break ;; esac
    sleep 0.2
  done
  case "$state" in
    idle | mix | alloc) ;;
    *)
      say "the node did not come up (state '${state:-none}'): $(tail -n 3 "$dir/slurmd.log" 2>/dev/null)"
      return 1
      ;;
  esac
  echo "export SLURM_CONF=$SLURM_CONF"
}

case "$cmd" in
  start) start ;;
  stop) stop ;;
  *) usage ;;
esac
