#!/usr/bin/env bash
# Issue 8: the inspection notebook executes headless on fresh samples of both generators,
# and a Parquet export reads back in pandas with the same rows as its JSONL.
set -euo pipefail
cd "$(dirname "$0")/../.."
E2E_NAME=notebook
. scripts/e2e/lib.bash
NB=datasets/notebooks/inspect.ipynb
python3 -c 'import pandas, pyarrow, matplotlib, nbclient, nbformat, ipykernel' || {
  e2e_say "python deps missing: pip install -r requirements.txt (scripts/setup does)"
  exit 1
}
GEN=$(e2e_gen)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# --- FOL: a fresh offline sample (template narration, no model) ---------------------
e2e_say "gen fol --depth 3 -n 30"
"$GEN" fol --depth 3 -n 30 --seed 11 --out "$tmp/fol" --format parquet,chat,alpaca
GEN_DATA="$tmp/fol" python3 datasets/notebooks/run.py "$NB"
python3 scripts/e2e/same_rows.py "$tmp/fol/data.jsonl" "$tmp/fol/data.parquet"
GEN_DATA="$tmp/fol/data.parquet" python3 datasets/notebooks/run.py "$NB"

# --- code: a fresh sample from gen code against the canned mock OpenAI server --------
code_dir="$tmp/code"
api=$(e2e_mock_server "$tmp/mock.log" --canned code)
trap 'kill "$(cat "$tmp/mock.log.pid")" 2>/dev/null; rm -rf "$tmp"' EXIT
e2e_say "gen code --langs python,javascript,rust,go -n 8 against the canned mock server"
"$GEN" code --api-base "$api" --model mock-coder -n 8 --langs python,javascript,rust,go --seed 11 \
  --out "$code_dir" --format parquet,chat,alpaca
# Every kept sample (also those whose tests were probed from a given answer) replays green.
"$GEN" verify "$code_dir/data.jsonl"
GEN_DATA="$code_dir" python3 datasets/notebooks/run.py "$NB"
python3 scripts/e2e/same_rows.py "$code_dir/data.jsonl" "$code_dir/data.parquet"
GEN_DATA="$code_dir/data.parquet" python3 datasets/notebooks/run.py "$NB"
e2e_say "ok"
