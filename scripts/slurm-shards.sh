#!/usr/bin/env bash
# Shards of one crash run as a real Slurm job array, merged, equal the unsharded run.
#
# Starts a one-node Slurm cluster on this machine from Debian's packages (munged, slurmctld and
# slurmd by hand, no systemd, configuration in a temporary directory), runs
#   e4dax crash IMG tests/data/fault-into-hole.wl --policy zeroed --inject no-fence ...
# once unsharded and once as `sbatch --array=0-(N-1) --wait` (task i runs --shard i+1/N),
# merges the shards with `e4dax crash merge` and compares the totals. Exit 0 when they are equal,
# 1 on a mismatch or a failed run, 2 on a usage error, 3 when slurm-wlm or munge is missing and
# cannot be installed (not root, or apt-get failed: no network), 5 when Slurm did not start.
#
# Usage: scripts/slurm-shards.sh [--bin E4DAX] [--shards N] [--keep]
#   --bin E4DAX  use this binary instead of building one (cargo build --release)
#   --shards N   number of array tasks (default 4)
#   --keep       keep the temporary directory (configuration, logs, reports)
# Missing packages (slurm-wlm, munge) are installed with apt-get when run as root.
set -euo pipefail

cd "$(dirname "$0")/.."
REPO=$(pwd)
BIN=""
SHARDS=4
KEEP=0
while [ $# -gt 0 ]; do
  case "$1" in
    --bin) [ $# -ge 2 ] || { echo "slurm-shards: --bin takes a path" >&2; exit 2; }; BIN=$(realpath "$2"); shift 2 ;;
    --shards) SHARDS=${2:-}; shift $(($# >= 2 ? 2 : 1)) ;;
    --keep) KEEP=1; shift ;;
    -h|--help) sed -n '2,16p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "slurm-shards: unknown argument $1" >&2; exit 2 ;;
  esac
done
case "$SHARDS" in ''|*[!0-9]*|0) echo "slurm-shards: --shards takes a positive number" >&2; exit 2 ;; esac

export PATH="$PATH:/usr/sbin:/sbin"
START=$SECONDS
say() { printf '[%3ds] %s\n' "$((SECONDS - START))" "$*"; }

# --- packages ---------------------------------------------------------------------------------
missing=()
for c in munged munge slurmctld slurmd sbatch sinfo; do
  command -v "$c" >/dev/null 2>&1 || missing+=("$c")
done
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null 2>&1; then
    echo "slurm-shards: missing ${missing[*]}; install slurm-wlm and munge (as root: apt-get install slurm-wlm munge)" >&2
    exit 3
  fi
  say "installing slurm-wlm munge (missing: ${missing[*]})"
  # No service starts from the packages' scripts: this script starts and stops the daemons itself.
  policy_rc=""
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    policy_rc=/usr/sbin/policy-rc.d
    printf '#!/bin/sh\nexit 101\n' >"$policy_rc"
    chmod 755 "$policy_rc"
  fi
  APT_LOG=$(mktemp /tmp/e4dax-slurm-apt.XXXXXX)
  rc=0
  { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
      -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold slurm-wlm munge; } >"$APT_LOG" 2>&1 || rc=$?
  [ -z "$policy_rc" ] || rm -f "$policy_rc"
  [ "$rc" -eq 0 ] || { tail -n 20 "$APT_LOG" >&2; echo "slurm-shards: apt-get failed ($rc)" >&2; exit 3; }
  rm -f "$APT_LOG"
  say "installed $(dpkg-query -W -f '${Version}' slurmctld) (slurm), $(dpkg-query -W -f '${Version}' munge) (munge)"
fi

# --- e4dax ------------------------------------------------------------------------------------
if [ -z "$BIN" ]; then
  say "cargo build --release"
  cargo build --release --quiet
  BIN=$REPO/target/release/e4dax
fi
[ -x "$BIN" ] || { echo "slurm-shards: $BIN is not executable" >&2; exit 2; }

# --- the cluster ------------------------------------------------------------------------------
T=$(mktemp -d /tmp/e4dax-slurm.XXXXXX)
chmod 755 "$T"
PIDS=()
MUNGED_PID=""
SBATCH_PID=""
cleanup() {
  local rc=$?
  set +e
  trap - INT TERM
  if [ -n "$SBATCH_PID" ]; then
    # Cancel the array and let the steps end while the daemons can still hear about it.
    scancel --quiet --partition=e4dax 2>/dev/null
    for _ in $(seq 30); do [ -z "$(squeue -h 2>/dev/null)" ] && break; sleep 0.5; done
    kill "$SBATCH_PID" 2>/dev/null
  fi
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done
  for p in "${PIDS[@]}"; do
    for _ in $(seq 50); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$p" 2>/dev/null
  done
  # Job steps left behind (slurmstepd and what it ran) carry this cluster's SLURM_CONF.
  for e in /proc/[0-9]*/environ; do
    grep -qzx "SLURM_CONF=$T/slurm.conf" "$e" 2>/dev/null || continue
    p=${e#/proc/}; p=${p%/environ}
    [ "$p" = $$ ] || [ "$p" = "$BASHPID" ] || kill -9 "$p" 2>/dev/null
  done
  if [ -n "$MUNGED_PID" ]; then kill "$MUNGED_PID" 2>/dev/null; fi
  if [ "$rc" -ne 0 ]; then
    for f in "$T"/slurmctld.log "$T"/slurmd.log "$T"/munged.log "$T"/out/*.err; do
      [ -s "$f" ] || continue
      echo "--- last lines of $f" >&2
      tail -n 15 "$f" >&2
    done
  fi
  if [ "$KEEP" -eq 1 ] || [ "$rc" -ne 0 ]; then echo "slurm-shards: kept $T" >&2; else rm -rf "$T"; fi
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# munged: reuse a running one, else start our own on its own socket and key.
MUNGE_SOCKET=""
if munge -n </dev/null 2>/dev/null | unmunge >/dev/null 2>&1; then
  say "munged: already running"
else
  MUNGE_SOCKET=$T/munge/munge.socket
  mkdir -p "$T/munge"
  chmod 755 "$T/munge"
  dd if=/dev/urandom of="$T/munge/munge.key" bs=1024 count=1 status=none
  chmod 400 "$T/munge/munge.key"
  munged --force --key-file="$T/munge/munge.key" --socket="$MUNGE_SOCKET" \
    --pid-file="$T/munge/munged.pid" --seed-file="$T/munge/seed" --log-file="$T/munged.log" ||
    { echo "slurm-shards: munged did not start" >&2; exit 5; }
  MUNGED_PID=$(cat "$T/munge/munged.pid")
  munge -S "$MUNGE_SOCKET" -n </dev/null | unmunge -S "$MUNGE_SOCKET" >/dev/null ||
    { echo "slurm-shards: munged does not answer" >&2; exit 5; }
  say "munged: started (pid $MUNGED_PID)"
fi

# Two free ports, so that this cluster does not meet another one on the same machine.
read -r CTLD_PORT SLURMD_PORT < <(python3 -c '
import socket
ss = [socket.socket() for _ in range(2)]
for s in ss: s.bind(("127.0.0.1", 0))
print(*[s.getsockname()[1] for s in ss])')
HOST=$(hostname -s)
NCPU=$(nproc)
mkdir -p "$T/state" "$T/spool" "$T/out"
{
  echo "ClusterName=e4dax"
  echo "SlurmctldHost=$HOST(127.0.0.1)"
  echo "SlurmctldPort=$CTLD_PORT"
  echo "SlurmdPort=$SLURMD_PORT"
  echo "SlurmUser=$(id -un)"
  echo "AuthType=auth/munge"
  echo "CredType=cred/munge"
  [ -z "$MUNGE_SOCKET" ] || echo "AuthInfo=socket=$MUNGE_SOCKET"
  echo "StateSaveLocation=$T/state"
  echo "SlurmdSpoolDir=$T/spool"
  echo "SlurmctldPidFile=$T/slurmctld.pid"
  echo "SlurmdPidFile=$T/slurmd.pid"
  echo "SlurmctldLogFile=$T/slurmctld.log"
  echo "SlurmdLogFile=$T/slurmd.log"
  echo "ProctrackType=proctrack/linuxproc"
  echo "TaskPlugin=task/none"
  echo "JobAcctGatherType=jobacct_gather/none"
  echo "AccountingStorageType=accounting_storage/none"
  echo "SelectType=select/cons_tres"
  echo "SelectTypeParameters=CR_Core"
  echo "SchedulerType=sched/backfill"
  echo "SchedulerParameters=sched_interval=2,bf_interval=2"
  echo "MpiDefault=none"
  echo "MailProg=/bin/true"
  echo "ReturnToService=2"
  echo "MinJobAge=60"
  echo "KillWait=5"
  echo "NodeName=$HOST NodeAddr=127.0.0.1 CPUs=$NCPU RealMemory=256 State=UNKNOWN"
  echo "PartitionName=e4dax Nodes=$HOST Default=YES MaxTime=INFINITE State=UP"
} >"$T/slurm.conf"
export SLURM_CONF=$T/slurm.conf

slurmctld -D -f "$SLURM_CONF" >"$T/slurmctld.out" 2>&1 &
PIDS+=($!)
slurmd -D -f "$SLURM_CONF" -N "$HOST" >"$T/slurmd.out" 2>&1 &
PIDS+=($!)
state=""
for _ in $(seq 120); do
  for p in "${PIDS[@]}"; do
    kill -0 "$p" 2>/dev/null || { cat "$T"/slurm*.out >&2; echo "slurm-shards: a Slurm daemon exited" >&2; exit 5; }
  done
  state=$(sinfo -h -n "$HOST" -o %t 2>/dev/null || true)
  [ "$state" = idle ] && break
  sleep 0.5
done
[ "$state" = idle ] || { echo "slurm-shards: node $HOST not idle after 60 s (state: ${state:-none})" >&2; exit 5; }
say "slurm: $HOST idle ($NCPU CPUs; slurmctld :$CTLD_PORT, slurmd :$SLURMD_PORT)"

# --- the runs ---------------------------------------------------------------------------------
IMG=$T/base.img
WL=$REPO/tests/data/fault-into-hole.wl
"$BIN" mkfs "$IMG" --size 16M --poison --uuid 6e4da0c5-1a2b-4c3d-8e4f-505152535455 --time 1700000000 >/dev/null
ARGS=(crash "$IMG" "$WL" --policy zeroed --inject no-fence --max-states 64 --time 1700000000 --json)

# crash exits 4 when it finds violations: this run expects some, and compares, so 0 and 4 are fine.
UNSHARDED_RC=0
"$BIN" "${ARGS[@]}" >"$T/unsharded.json" 2>"$T/unsharded.err" || UNSHARDED_RC=$?
case "$UNSHARDED_RC" in 0|4) ;; *) cat "$T/unsharded.err" >&2; echo "slurm-shards: unsharded run failed ($UNSHARDED_RC)" >&2; exit 1 ;; esac
say "unsharded run: exit $UNSHARDED_RC"

{
  echo "#!/bin/bash"
  echo "#SBATCH --job-name=e4dax-crash"
  echo "#SBATCH --cpus-per-task=1"
  echo "#SBATCH --output=$T/out/shard-%a.err"
  echo "set -u"
  echo "K=\$((SLURM_ARRAY_TASK_ID + 1))"
  printf '%q ' "$BIN" "${ARGS[@]}"
  echo "--shard \$K/$SHARDS --jobs 1 >$T/out/shard-\$SLURM_ARRAY_TASK_ID.json"
  echo "rc=\$?"
  echo "[ \$rc -eq 0 ] || [ \$rc -eq 4 ]"
} >"$T/shard.sbatch"
SBATCH_PID=""
sbatch --parsable --array=0-$((SHARDS - 1)) --wait "$T/shard.sbatch" >"$T/sbatch.out" 2>"$T/sbatch.err" &
SBATCH_PID=$!
rc=0
wait "$SBATCH_PID" || rc=$?
SBATCH_PID=""
JOB=$(cut -d';' -f1 "$T/sbatch.out")
[ "$rc" -eq 0 ] || { cat "$T/sbatch.out" "$T/sbatch.err" >&2; echo "slurm-shards: job array ${JOB:-?} failed ($rc)" >&2; exit 1; }
say "job array $JOB: $SHARDS tasks done"
scontrol -o show job "$JOB" 2>/dev/null | tr ' ' '\n' |
  awk -F= '$1=="ArrayTaskId"{t=$2} $1=="JobState"{s=$2} $1=="ExitCode"{e=$2} $1=="NodeList"{printf "  task %s: %s on %s, exit %s\n", t, s, $2, e}' |
  sort -n -k2 || true

shards=()
for i in $(seq 0 $((SHARDS - 1))); do shards+=("$T/out/shard-$i.json"); done
MERGED_RC=0
"$BIN" crash merge "${shards[@]}" --json >"$T/merged.json" 2>"$T/merge.err" || MERGED_RC=$?
case "$MERGED_RC" in 0|4) ;; *) cat "$T/merge.err" >&2; echo "slurm-shards: merge failed ($MERGED_RC)" >&2; exit 1 ;; esac
say "merged: exit $MERGED_RC"

python3 - "$UNSHARDED_RC" "$MERGED_RC" "$T/unsharded.json" "$T/merged.json" "${shards[@]}" <<'PY'
import json, sys
u_rc, m_rc = sys.argv[1:3]
u, m = (json.load(open(p)) for p in sys.argv[3:5])
parts = [json.load(open(p)) for p in sys.argv[5:]]
print("shards (K/N: points, states checked, violations):",
      ", ".join(f"{r['shard'][0]}/{r['shard'][1]}: {r['points_checked']} {r['states_checked']} {r['violations']}"
                for r in parts))
# The totals, then what else a merge must reproduce: per-point outcomes, the reproducers kept
# per (class, step), covered states by class. (checks_run, the replay counts and the timings
# legitimately differ: memoisation is per process.)
keys = ["points_checked", "states_total", "states_covered", "states_checked", "states_distinct",
        "violations", "by_class", "by_step", "states_covered_by_class", "points_sampled", "points",
        "found", "invariant_breaks"]
rows = [("exit code", u_rc, m_rc)] + [(k, u.get(k), m.get(k)) for k in keys]
bad = 0
for k, a, b in rows:
    ok = a == b
    bad += not ok
    if isinstance(a, list):
        shown = f"{len(a)} entries" if ok else f"{len(a)} entries vs {len(b or [])}"
    elif isinstance(a, dict):
        shown = json.dumps(a, sort_keys=True) if len(json.dumps(a)) < 60 else f"{len(a)} keys"
        if not ok:
            shown = json.dumps(a, sort_keys=True) + " vs " + json.dumps(b, sort_keys=True)
    else:
        shown = str(a) if ok else f"{a} vs {b}"
    print(f"  {k:24} {'equal  ' if ok else 'DIFFERS'} {shown}")
if m.get("shard") is not None:
    print("  the merged report is still a partial shard:", m.get("shard"), m.get("merged_shards"))
    bad += 1
print("merged shards equal the unsharded run" if not bad else f"MISMATCH: {bad} differences (unsharded vs merged)")
sys.exit(1 if bad else 0)
PY
say "done"
