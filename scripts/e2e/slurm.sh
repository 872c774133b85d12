#!/usr/bin/env bash
# Issue 19: gen scaled out on a real (one-node) Slurm cluster, through the job file users
# copy (scripts/slurm/gen-array.sbatch), on a cluster this script starts and stops
# (scripts/slurm/cluster.sh):
#   1. `gen fol` as a 3-task array, merged by the dependent job, equals a single-machine
#      run of the same command, record for record;
#   2. `gen code` against the mock server's canned answers as a 3-task array, merged with
#      --memory: every id once, and the next run on the merged memory starts with every
#      shard's agent history;
#   3. preemption: one task of a `gen code` array is SIGKILLed mid-run (scancel --batch
#      --signal=KILL), then requeued; the merge has every id exactly once, no torn line,
#      and the task ran exactly twice.
# A cluster that does not start is skipped, or fails under GEN_REQUIRE_ALL=1.
set -euo pipefail
cd "$(dirname "$0")/../.."
E2E_NAME=slurm
. scripts/e2e/lib.bash
GEN=$(readlink -f "$(e2e_gen)")
SBATCH=scripts/slurm/gen-array.sbatch
tmp=$(mktemp -d)
cluster="$tmp/cluster"
T=90 # seconds any one wait may take
start_s=$SECONDS
cleanup() {
  bash scripts/slurm/cluster.sh stop "$cluster" || true
  local pidfile
  for pidfile in "$tmp"/*.log.pid; do
    [ -e "$pidfile" ] && kill "$(cat "$pidfile")" 2>/dev/null || true
  done
  if [ -n "${E2E_KEEP:-}" ]; then e2e_say "kept $tmp"; else rm -rf "$tmp"; fi
}
trap cleanup EXIT

if ! env_line=$(bash scripts/slurm/cluster.sh start "$cluster" 2>"$tmp/cluster.err"); then
  skip "the Slurm cluster did not start: $(tail -n 3 "$tmp/cluster.err")"
  e2e_tally
  exit
fi
eval "$env_line"
e2e_say "one-node cluster up in $((SECONDS - start_s)) s ($SLURM_CONF)"

# job_field JOB FIELD: a field of `scontrol show job` (first task of an array).
job_field() { scontrol -o show job "$1" 2>/dev/null | head -n 1 | tr ' ' '\n' | sed -n "s/^$2=//p"; }
# wait_gone JOB...: until no job or task of JOBs is pending or running; 1 after T s.
wait_gone() {
  local ids deadline=$((SECONDS + T))
  ids=$(IFS=,; echo "$*")
  while [ -n "$(squeue -h -j "$ids" -o %i 2>/dev/null)" ]; do
    [ "$SECONDS" -lt "$deadline" ] || return 1
    sleep 0.5
  done
}
# submit NAME ENV... -- GEN-ARGS...: the job file as a user runs it; sets $array, $merge.
submit() {
  local name=$1
  shift
  local -a envs=()
  while [ "$1" != -- ]; do envs+=("$1"); shift; done
  shift
  env GEN="$GEN" GEN_OUT="$tmp/$name" GEN_TASKS=3 "${envs[@]}" bash "$SBATCH" "$@" 2>>"$tmp/submit.log"
  array=$(sed -n 's/^array=//p' "$tmp/$name/slurm-jobs")
  merge=$(sed -n 's/^merge=//p' "$tmp/$name/slurm-jobs")
}
# merged_ok NAME N: the merge job completed and wrote N records, every id once.
merged_ok() {
  local name=$1 n=$2 state msg
  state=$(job_field "$merge" JobState)
  if [ "$state" != COMPLETED ]; then
    bad "$name: the merge job is $state: $(tail -n 5 "$tmp/$name/logs/merge.log" 2>/dev/null)"
    return 1
  fi
  if ! msg=$(check_run "$tmp/$name/merged" "$n" 2>&1); then
    bad "$name: $msg"
    return 1
  fi
}

# --- 1. gen fol: a 3-task array equals one machine --------------------------------------
fol_args=(fol --depth 3 -n 60 --seed 7)
submit fol -- "${fol_args[@]}"
if ! wait_gone "$array" "$merge"; then
  bad "fol: the array and its merge did not finish in $T s: $(squeue -h)"
elif merged_ok fol 60; then
  timeout 60 "$GEN" "${fol_args[@]}" -o "$tmp/fol-single" >/dev/null 2>"$tmp/fol-single.log"
  if ! grep -q "^shard 2/3 " "$tmp/fol/logs/merge.log"; then
    bad "fol: the merge log does not report each shard: $(head -n 5 "$tmp/fol/logs/merge.log")"
  elif msg=$(python3 scripts/e2e/same_records.py "$tmp/fol/merged/data.jsonl" "$tmp/fol-single/data.jsonl" 2>&1); then
    ok "fol: 3-task array + dependent merge = single-machine run: $msg"
  else
    bad "fol: the merged array differs from a single-machine run: $msg"
  fi
fi

# --- 2. gen code on the mock server: merged with --memory --------------------------------
api=$(e2e_mock_server "$tmp/mock.log" --canned code)
code_args=(code --model mock-coder -n 6 --langs python,javascript --seed 7)
submit code GEN_API_BASE="$api" -- "${code_args[@]}"
if ! wait_gone "$array" "$merge"; then
  bad "code: the array and its merge did not finish in $T s: $(squeue -h)"
elif merged_ok code 6; then
  # The next run on the merged memory starts with every shard's history, per language.
  timeout 60 "$GEN" code --api-base "$api" --model mock-coder -n 1 --langs python,javascript --seed 8 \
    --memory "$tmp/code/merged/memory.sled" -o "$tmp/code-next" >/dev/null 2>"$tmp/code-next.log" ||
    bad "code: the run on the merged memory failed: $(tail -n 3 "$tmp/code-next.log")"
  if msg=$(python3 - "$tmp/code" "$tmp/code-next" <<'EOF' 2>&1
import json, sys
root, nxt = sys.argv[1], sys.argv[2]
shards = [json.load(open(f"{root}/shard-{k}/run.json"))["extra"]["per_lang"] for k in range(3)]
start = json.load(open(f"{nxt}/run.json"))["extra"]["per_lang"]
for lang in ("python", "javascript"):
    ends = [s[lang]["history_at_end"] for s in shards]
    if start[lang]["history_at_start"] != sum(ends) or sum(ends) == 0:
        sys.exit(f"{lang}: the next run starts with {start[lang]['history_at_start']} entries, the shards ended with {ends}")
    print(f"{lang} {sum(ends)} = {'+'.join(map(str, ends))}", end="; ")
EOF
  ); then
    ok "code: 3-task array merged with --memory, 6 records once each; the next run starts with every shard's agent history ($msg)"
  else
    bad "code: merged memory: $msg"
  fi
fi

# --- 3. preemption: SIGKILL one task mid-run, requeue it -------------------------------
slow=$(e2e_mock_server "$tmp/slow.log" --canned code --latency-ms 250)
submit pre GEN_API_BASE="$slow" -- code --model mock-coder -n 9 --langs python --seed 11
task="${array}_1"
deadline=$((SECONDS + T))
# Mid-run: the task is running and has written at least one record, not all of its 3.
until [ "$(job_field "$task" JobState)" = RUNNING ] && [ -s "$tmp/pre/shard-1/data.jsonl" ]; do
  if [ "$SECONDS" -ge "$deadline" ] || [ "$(job_field "$task" JobState)" = COMPLETED ]; then break; fi
  sleep 0.1
done
written=$(wc -l <"$tmp/pre/shard-1/data.jsonl" 2>/dev/null || echo 0)
if [ "$(job_field "$task" JobState)" != RUNNING ]; then
  bad "preemption: task $task never ran mid-way (state $(job_field "$task" JobState), $written records)"
else
  scancel --batch --signal=KILL "$task"
  while [[ "$(job_field "$task" JobState)" =~ ^(RUNNING|COMPLETING)$ ]] && [ "$SECONDS" -lt "$deadline" ]; do sleep 0.2; done
  killed="$(job_field "$task" JobState) $(job_field "$task" ExitCode)"
  dep=$(job_field "$merge" Reason)
  if ! bash "$SBATCH" --requeue "$tmp/pre" 1 2>>"$tmp/submit.log"; then
    bad "preemption: the job file's --requeue failed: $(tail -n 3 "$tmp/submit.log")"
  elif ! wait_gone "$array" "$merge"; then
    bad "preemption: the requeued array did not finish in $T s: $(squeue -h)"
  elif merged_ok pre 9; then
    restarts=$(job_field "$task" Restarts)
    starts=$(grep -c "^\[gen-array\] task 1 of 3" "$tmp/pre/logs/shard-1.log" || true)
    if [ "$killed" != "FAILED 0:9" ] || [ "$restarts" != 1 ] || [ "$starts" != 2 ]; then
      bad "preemption: wanted one SIGKILL and one restart; state after kill '$killed', restarts $restarts, starts logged $starts"
    else
      ok "preemption: task 1 SIGKILLed after $written of its 3 records ($killed; merge held: $dep), requeued once; merged 9 records, every id once, no torn line"
    fi
  fi
fi

e2e_say "drill took $((SECONDS - start_s)) s"
e2e_tally
