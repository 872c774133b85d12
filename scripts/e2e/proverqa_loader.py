"""What a ProverQA user's harness does with a file, written from scratch.

ProverQA's evaluation scripts read a JSON array of problems and build each prompt from
`context` (one string, stripped), `question` and the joined `options`; the answer is an
option letter. This loader does the same on a `gen fol --format proverqa` file, and on
`data.jsonl` line by line, and fails on the first row a harness would choke on.

Usage: python3 proverqa_loader.py FILE.proverqa.json DATA.jsonl
(Run it from outside the repository: its `datasets/` folder shadows Hugging Face's.)
"""

import json
import re
import sys

KEYS = {"id", "options", "answer", "question", "reasoning", "context", "nl2fol", "conclusion_fol"}


def prompt(example):
    context = example["context"].strip()
    question = example["question"].strip()
    options = "\n".join(o.strip() for o in example["options"])
    return f"Context:\n{context}\n\nQuestion: {question}\n\nOptions:\n{options}\n\nThe correct option is:"


def check(example, where, exact_keys):
    if exact_keys and set(example) != KEYS:
        raise SystemExit(f"{where}: keys {sorted(example)} are not ProverQA's {sorted(KEYS)}")
    missing = KEYS - set(example)
    if missing:
        raise SystemExit(f"{where}: missing {sorted(missing)}")
    text = prompt(example)
    if example["answer"] not in ("A", "B", "C"):
        raise SystemExit(f"{where}: answer {example['answer']!r} is not an option letter")
    if not all(o.startswith(f"{l})") for o, l in zip(example["options"], "ABC")):
        raise SystemExit(f"{where}: options {example['options']}")
    for sentence, fol in example["nl2fol"].items():
        fol.strip()
        if sentence.strip() not in example["context"]:
            raise SystemExit(f"{where}: nl2fol sentence not in the context: {sentence!r}")
    example["conclusion_fol"].strip()
    # An oracle reading the gold reasoning's last line scores every row.
    last = re.search(r"The correct option is: ([ABC])\.\s*$", example["reasoning"])
    if not last or last.group(1) != example["answer"]:
        raise SystemExit(f"{where}: the reasoning does not end in the answer")
    return len(text)


def main(array_path, jsonl_path):
    with open(array_path) as f:
        problems = json.load(f)
    if not isinstance(problems, list) or not problems:
        raise SystemExit(f"{array_path}: not a non-empty JSON array")
    for i, example in enumerate(problems):
        if example["id"] != i:
            raise SystemExit(f"{array_path}[{i}]: id {example['id']!r}, expected the integer {i}")
        check(example, f"{array_path}[{i}]", exact_keys=True)
    rows = 0
    with open(jsonl_path) as f:
        for n, line in enumerate(f, 1):
            if line.strip():
                check(json.loads(line), f"{jsonl_path}:{n}", exact_keys=False)
                rows += 1
    if rows != len(problems):
        raise SystemExit(f"{rows} rows in {jsonl_path}, {len(problems)} in {array_path}")
    print(f"proverqa loader: {len(problems)} problems read from each form, 0 errors")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
