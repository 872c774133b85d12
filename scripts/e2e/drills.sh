#!/usr/bin/env bash
# Issue 9 failure drills, against the real binary:
#   1. kill -9 at random points of `gen fol` and `gen code` (the mock server's canned model),
#      5 times each; re-running the same command finishes with every id exactly once, no
#      torn line;
#   2. a provider failing 30% of calls during a `gen code` run: completes, retries counted;
#   3. a full disk (a 2 MiB tmpfs): a clear error, and the records written before stay valid;
#   4. a corrupted memory db, a truncated JSONL, a config file with wrong types: clear
#      errors naming the file (and line), never a panic.
# A drill whose piece is missing says so and is skipped, or fails under GEN_REQUIRE_ALL=1.
# Bounded: each command runs under `timeout`.
set -euo pipefail
cd "$(dirname "$0")/../.."
E2E_NAME=drills
. scripts/e2e/lib.bash
GEN=$(e2e_gen)
tmp=$(mktemp -d)
mnt=""
cleanup() {
  if [ -n "$mnt" ] && mountpoint -q "$mnt"; then umount "$mnt" || true; fi
  rm -rf "$tmp"
}
trap cleanup EXIT
T=60 # seconds any one command may take
# no_panic FILE: the error is ours, not a Rust panic or backtrace.
no_panic() { ! grep -q -e "panicked at" -e "RUST_BACKTRACE" "$1"; }

# --- 1. kill -9 and resume ------------------------------------------------------------
# kill_drill NAME N CMD...: 5 runs killed at random points, then one run to the end.
kill_drill() {
  local name=$1 n=$2
  shift 2
  local out="$tmp/$name"
  # Random points spread over the length of a whole run, timed once in a scratch dir.
  local t0 span_ms delay
  t0=$(date +%s%N)
  timeout "$T" "$@" --out "$tmp/$name-timing" >/dev/null 2>&1 || true
  span_ms=$((($(date +%s%N) - t0) / 1000000))
  [ "$span_ms" -gt 50 ] || span_ms=50
  RANDOM=$$ # the seed is in the log, to replay the same kill points
  e2e_say "$name: killing \`$*\` 5 times within ${span_ms} ms (RANDOM seed $$)"
  for i in 1 2 3 4 5; do
    delay=$(awk -v ms=$((RANDOM % span_ms + 20)) 'BEGIN { printf "%.3f", ms / 1000 }')
    "$@" --out "$out" >/dev/null 2>>"$tmp/$name.log" &
    local pid=$!
    sleep "$delay"
    kill -9 "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  done
  if ! timeout "$T" "$@" --out "$out" >/dev/null 2>>"$tmp/$name.log"; then
    bad "$name: the run after 5 kills did not complete: $(tail -n 3 "$tmp/$name.log")"
    return
  fi
  if msg=$(check_run "$out" "$n" 2>&1); then
    ok "$name: after 5 kill -9, $n records, every id once, no torn line"
  else
    bad "$name: $msg"
  fi
}

if e2e_unimplemented "$GEN" fol --depth 1 -n 1 --out "$tmp/probe"; then
  skip "kill -9 of gen fol: gen fol is not implemented yet"
  fol_ready=0
else
  fol_ready=1
  kill_drill fol 40 "$GEN" fol --depth 4 -n 40 --seed 7
fi

# gen code against the mock OpenAI server's canned answers (offline, no real model).
api=$(e2e_mock_server "$tmp/mock.log" --canned code)
kill_drill code 6 "$GEN" code --api-base "$api" --model mock-coder -n 6 --langs python,javascript --seed 7

# --- 2. a flaky provider --------------------------------------------------------------
# 30% of calls fail (429 with Retry-After, 500, dropped connections, garbage bodies): the
# run completes, its retries are counted, and nothing is duplicated.
flaky=$(e2e_mock_server "$tmp/flaky.log" --canned code --seed 3 --p429 0.1 --p500 0.1 --pdrop 0.05 \
  --pgarbage 0.05 --retry-after-ms 20)
set +e
timeout "$T" "$GEN" code --api-base "$flaky" --model mock-coder -n 6 --langs python --seed 7 \
  --max-retries 8 --no-cache --out "$tmp/flaky" >/dev/null 2>"$tmp/flaky.err"
rc=$?
set -e
retries=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["tokens"]["retries"])' \
  "$tmp/flaky/run.json" 2>/dev/null || echo "?")
if [ "$rc" != 0 ]; then
  bad "flaky provider: exit $rc: $(tail -n 3 "$tmp/flaky.err")"
elif ! msg=$(check_run "$tmp/flaky" 6 2>&1); then
  bad "flaky provider: $msg"
elif ! [ "$retries" -gt 0 ] 2>/dev/null; then
  bad "flaky provider: no retries counted (summary says $retries)"
else
  ok "flaky provider (30% of calls fail): 6 records, every id once, $retries retries counted"
fi
kill "$(cat "$tmp/mock.log.pid")" "$(cat "$tmp/flaky.log.pid")" 2>/dev/null || true

# --- 3. full disk ---------------------------------------------------------------------
if [ "$fol_ready" = 0 ]; then
  skip "full disk: needs gen fol"
elif [ "$(id -u)" != 0 ]; then
  skip "full disk: mounting a small tmpfs needs root"
else
  mnt="$tmp/small"
  mkdir -p "$mnt"
  if ! mount -t tmpfs -o size=2m tmpfs "$mnt" 2>/dev/null; then
    mnt=""
    skip "full disk: mount -t tmpfs is not allowed here"
  else
    # The memory db lives on the big disk, so the dataset writer is the one that hits the wall.
    set +e
    timeout "$T" "$GEN" fol --depth 2 -n 5000 --seed 3 --out "$mnt/out" --memory "$tmp/full-mem" \
      >/dev/null 2>"$tmp/full.err"
    rc=$?
    set -e
    if [ "$rc" = 0 ]; then
      bad "full disk: gen fol reported success on a 2 MiB disk"
    elif [ "$rc" = 124 ]; then
      bad "full disk: gen fol hung (killed after ${T}s)"
    elif ! no_panic "$tmp/full.err"; then
      bad "full disk: panicked: $(tail -n 3 "$tmp/full.err")"
    elif ! grep -qi -e "no space" -e "disk full" -e "ENOSPC" "$tmp/full.err" || ! grep -q "$mnt" "$tmp/full.err"; then
      bad "full disk: the error does not say the disk is full and where: $(tail -n 3 "$tmp/full.err")"
    else
      # What was written before is valid: every complete line a record, ids unique, and the
      # journaled count matches after the writer's own recovery (gen inspect reads it).
      if msg=$(python3 - "$mnt/out/data.jsonl" <<'EOF' 2>&1
import json, sys
raw = open(sys.argv[1], "rb").read() if __import__("os").path.exists(sys.argv[1]) else b""
lines = raw.split(b"\n")
whole = lines[:-1]  # the part after the last newline may be torn; recovery cuts it
ids = [json.loads(l)["id"] for l in whole if l.strip()]
assert len(ids) == len(set(ids)), "duplicate ids"
assert ids, "no record was written before the disk filled"
print(len(ids))
EOF
      ); then
        ok "full disk: clear error ($(grep -i -m1 -e 'no space' -e 'disk full' "$tmp/full.err" | cut -c1-160)); $msg records before it are valid"
      else
        bad "full disk: records written before the error are not valid: $msg"
      fi
    fi
    umount "$mnt" && mnt=""
  fi
fi

# --- 4. bad inputs --------------------------------------------------------------------
# A config file with wrong types: the error names the file and the line.
printf '[run]\nseed = 1\n\n[fol]\ndepth = "deep"\n' >"$tmp/bad.toml"
set +e
"$GEN" --config "$tmp/bad.toml" fol -n 1 --out "$tmp/cfg" >/dev/null 2>"$tmp/cfg.err"
rc=$?
set -e
if [ "$rc" != 0 ] && grep -q "bad.toml:5" "$tmp/cfg.err" && no_panic "$tmp/cfg.err"; then
  ok "config with wrong types: $(head -n 1 "$tmp/cfg.err" | cut -c1-160)"
else
  bad "config with wrong types: exit $rc, stderr: $(head -n 3 "$tmp/cfg.err")"
fi

if [ "$fol_ready" = 0 ]; then
  skip "corrupted memory db and truncated JSONL: need gen fol to make a run"
else
  base="$tmp/base"
  timeout "$T" "$GEN" fol --depth 2 -n 12 --seed 5 --out "$base" >/dev/null 2>&1

  # A JSONL cut in the middle of a line, with whole lines after it: not a torn tail but a
  # damaged file. The resumed run must say which file and line, redo that item, and end
  # with every id exactly once among the whole records (or refuse, naming file:line).
  cp -r "$base" "$tmp/trunc"
  python3 - "$tmp/trunc/data.jsonl" <<'EOF'
import sys
p = sys.argv[1]
lines = open(p, encoding="utf-8").read().splitlines(keepends=True)
lines[4] = lines[4][: len(lines[4]) // 2] + "\n"
open(p, "w", encoding="utf-8").writelines(lines)
EOF
  set +e
  timeout "$T" "$GEN" fol --depth 2 -n 12 --seed 5 --out "$tmp/trunc" >/dev/null 2>"$tmp/trunc.err"
  rc=$?
  set -e
  if ! no_panic "$tmp/trunc.err"; then
    bad "JSONL damaged mid-file: panicked: $(tail -n 3 "$tmp/trunc.err")"
  elif [ "$rc" = 0 ] && grep -q "data.jsonl" "$tmp/trunc.err" && grep -q -e "\[5\]" -e ":5" -e "line 5" "$tmp/trunc.err"; then
    if msg=$(python3 - "$tmp/trunc/data.jsonl" 2>&1 <<'EOF'
import json, sys
ids = []
for line in open(sys.argv[1], encoding="utf-8"):
    try:
        ids.append(json.loads(line)["id"])
    except ValueError:
        pass
assert len(ids) == 12 and len(set(ids)) == 12, f"{len(ids)} records, {len(set(ids))} distinct"
EOF
    ); then
      ok "JSONL damaged mid-file: named ($(grep -m1 data.jsonl "$tmp/trunc.err" | cut -c1-140)), item redone, 12 ids once"
    else
      bad "JSONL damaged mid-file: $msg"
    fi
  elif [ "$rc" != 0 ] && grep -q "data.jsonl:5" "$tmp/trunc.err"; then
    ok "JSONL damaged mid-file: refused with $(head -n 1 "$tmp/trunc.err" | cut -c1-160)"
  else
    bad "JSONL damaged mid-file: exit $rc without naming file and line: $(head -n 3 "$tmp/trunc.err")"
  fi

  # A torn last line (what kill -9 leaves): the resumed run cuts it and completes.
  cp -r "$base" "$tmp/torn"
  python3 - "$tmp/torn/data.jsonl" <<'EOF'
import sys
p = sys.argv[1]
raw = open(p, "rb").read()
open(p, "wb").write(raw[: len(raw) - 40])
EOF
  if timeout "$T" "$GEN" fol --depth 2 -n 12 --seed 5 --out "$tmp/torn" >/dev/null 2>"$tmp/torn.err" &&
    msg=$(check_run "$tmp/torn" 12 2>&1); then
    ok "torn last line: the resumed run cut it and finished with 12 records"
  else
    bad "torn last line: $(tail -n 2 "$tmp/torn.err") ${msg:-}"
  fi

  # A corrupted memory db: a clear error naming the database, never a panic, and never a
  # run that carries on as if nothing were wrong. `gen code` opens the memory first; its model is a closed loopback port, so no
  # call gets anywhere (the run just records failures).
  code=("$GEN" code -n 1 --langs python --api-base http://127.0.0.1:9/v1 --max-retries 0)
  timeout "$T" "${code[@]}" --max-attempts 1 --out "$tmp/mem" >/dev/null 2>&1 || true
  if [ -d "$tmp/mem/memory.sled" ]; then
    python3 - "$tmp/mem/memory.sled" <<'EOF'
import os, sys
for dirpath, _, files in os.walk(sys.argv[1]):
    for f in files:
        p = os.path.join(dirpath, f)
        size = os.path.getsize(p)
        with open(p, "r+b") as fh:  # scribble over the middle of every file
            fh.seek(size // 3)
            fh.write(os.urandom(max(16, size // 3)))
EOF
    set +e
    timeout "$T" "${code[@]}" --max-attempts 2 --out "$tmp/mem" >/dev/null 2>"$tmp/mem.err"
    rc=$?
    set -e
    if ! no_panic "$tmp/mem.err" || [ "$rc" = 124 ]; then
      bad "corrupted memory db: panic or hang: $(tail -n 3 "$tmp/mem.err")"
    elif [ "$rc" = 0 ]; then
      bad "corrupted memory db: exit 0, the damage went unnoticed"
    elif grep "^error" "$tmp/mem.err" | grep -q "memory.sled"; then
      ok "corrupted memory db: $(grep "^error" "$tmp/mem.err" | head -n 1 | cut -c1-160)"
    else
      bad "corrupted memory db: exit $rc without naming the database: $(tail -n 3 "$tmp/mem.err")"
    fi
  else
    skip "corrupted memory db: gen code wrote no memory.sled"
  fi
fi

e2e_tally
