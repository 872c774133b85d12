"""Checks that two runs hold the same records, record for record, in any order.

    python3 scripts/e2e/same_records.py A/data.jsonl B/data.jsonl

Records are matched by id; timing fields (names ending in _secs, _ms, _at, or named
elapsed) are ignored at any depth. Prints the first difference and exits 1 if any.
"""
import json
import sys

TIMING_SUFFIXES = ("_secs", "_ms", "_at")


def untimed(value):
    if isinstance(value, dict):
        return {
            k: untimed(v)
            for k, v in value.items()
            if k != "elapsed" and not k.endswith(TIMING_SUFFIXES)
        }
    if isinstance(value, list):
        return [untimed(v) for v in value]
    return value


def load(path):
    by_id = {}
    with open(path, encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            rec = json.loads(line)
            if rec["id"] in by_id:
                sys.exit(f"{path}:{n}: id {rec['id']} twice")
            by_id[rec["id"]] = untimed(rec)
    return by_id


def main(a, b):
    ra, rb = load(a), load(b)
    if ra.keys() != rb.keys():
        only_a = sorted(ra.keys() - rb.keys())[:5]
        only_b = sorted(rb.keys() - ra.keys())[:5]
        sys.exit(f"ids differ: only in {a}: {only_a}; only in {b}: {only_b}")
    for key in sorted(ra):
        if ra[key] != rb[key]:
            fields = sorted(k for k in ra[key].keys() | rb[key].keys() if ra[key].get(k) != rb[key].get(k))
            sys.exit(f"record {key} differs in {fields}")
    print(f"{len(ra)} records, the same in both")


if __name__ == "__main__":
    main(*sys.argv[1:3])
