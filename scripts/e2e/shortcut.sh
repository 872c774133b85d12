#!/usr/bin/env bash
# Issue 21: no surface shortcut to a `gen fol` label. Over 3,000 problems at depth 5 (and
# 3,000 relational ones, issue 20), each
# conclusion form (atom or compound, negated or not) has each label within 5 points of a
# third, and a bag-of-words classifier on the question alone is within 3 points of chance.
set -euo pipefail
cd "$(dirname "$0")/../.."
E2E_NAME=shortcut
. scripts/e2e/lib.bash
GEN=$(e2e_gen)
repo=$(pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
e2e_say "gen fol --depth 5 -n 3000 --seed 11"
"$GEN" fol --depth 5 -n 3000 --seed 11 --out "$tmp/fol" >/dev/null 2>&1
(cd "$tmp" && python3 "$repo/scripts/e2e/shortcut.py" fol/data.jsonl)
e2e_say "gen fol --logic relational --depth 5 -n 3000 --seed 11"
"$GEN" fol --logic relational --depth 5 -n 3000 --seed 11 --out "$tmp/rel" >/dev/null 2>&1
(cd "$tmp" && python3 "$repo/scripts/e2e/shortcut.py" rel/data.jsonl)
grep -q "^| compound, negated |" "$tmp/fol/card.md" || {
  e2e_say "the card has no table of labels by conclusion form"
  exit 1
}
e2e_say "ok"
