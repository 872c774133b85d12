#!/usr/bin/env bash
# Times `gen verify` against the plain Python z3 script on the same FOLIO-format file and
# prints the ratio. Usage: bench/compare_verify.sh [FILE.jsonl] (default: a labelled file
# derived from the FOLIO v0.0 training split, built once into $TMPDIR).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
gen="${GEN:-$root/target/release/gen}"
file="${1:-}"
if [[ -z "$file" ]]; then
  file="${TMPDIR:-/tmp}/folio_bench.jsonl"
  [[ -s "$file" ]] || (cd "$root/bench" && python3 derive_folio_conclusions.py "$root/datasets/data/folio-v0.0-train.jsonl" "$file")
fi
[[ -x "$gen" ]] || { echo "build it first: cargo build --release -p gen-cli (or set GEN=path)" >&2; exit 2; }

now() { python3 -c 'import time; print(time.perf_counter())'; }
t0=$(now); "$gen" verify --json "$file" | tail -1 || true; t1=$(now)
python3 "$root/bench/verify_z3.py" --json "$file" | tail -1 || true; t2=$(now)
python3 - "$t0" "$t1" "$t2" <<'PY'
import sys
t0, t1, t2 = map(float, sys.argv[1:])
rust, py = t1 - t0, t2 - t1
print(f"gen verify {rust:.2f} s, python z3 {py:.2f} s: {py / rust:.1f}x")
PY
