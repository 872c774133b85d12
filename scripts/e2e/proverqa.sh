#!/usr/bin/env bash
# Issue 21: ProverQA's tools read what `gen fol` writes. A loader doing what a ProverQA
# harness does (json.load, context.strip(), options joined) reads both data.jsonl and the
# `--format proverqa` file with 0 errors, and `gen verify` re-proves both.
set -euo pipefail
cd "$(dirname "$0")/../.."
E2E_NAME=proverqa
. scripts/e2e/lib.bash
GEN=$(e2e_gen)
repo=$(pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

e2e_say "gen fol --depth 3 -n 60 --format proverqa"
"$GEN" fol --depth 3 -n 60 --seed 21 --out "$tmp/fol" --format proverqa >/dev/null
# From outside the repository: its datasets/ folder would shadow Hugging Face's.
(cd "$tmp" && python3 "$repo/scripts/e2e/proverqa_loader.py" fol/data.proverqa.json fol/data.jsonl)
for f in "$tmp/fol/data.jsonl" "$tmp/fol/data.proverqa.json"; do
  "$GEN" verify "$f" >"$tmp/verify.txt" || {
    cat "$tmp/verify.txt" >&2
    e2e_say "gen verify $f failed"
    exit 1
  }
done
e2e_say "ok"
