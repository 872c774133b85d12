"""No surface shortcut to a `gen fol` label.

Reads a data.jsonl and checks two things a model could otherwise exploit:
1. Per conclusion form (atom or compound, with or without a negation), each label is
   within TOLERANCE points of a third. (The table per connective is printed too.)
2. A bag-of-words logistic regression trained on the question text alone (80% of the
   rows, fixed split) is no better than chance plus MARGIN points on the other 20%.

Usage: python3 shortcut.py DATA.jsonl   (numpy only; run from outside the repository)
"""

import collections
import json
import re
import sys

import numpy as np

LABELS = ["True", "False", "Uncertain"]
TOLERANCE = 5.0
MARGIN = 3.0


def form(fol):
    kind = "compound" if any(op in fol for op in "∧∨⊕") else "atom"
    return f"{kind}, {'negated' if '¬' in fol else 'positive'}"


def connective(fol):
    return next((name for op, name in (("∧", "and"), ("∨", "or"), ("⊕", "xor")) if op in fol), "atom")


def words(text):
    return re.findall(r"[a-z']+", text.lower())


def classifier_accuracy(questions, labels, seed=0):
    vocab = {w: i for i, w in enumerate(sorted({w for q in questions for w in words(q)}))}
    x = np.zeros((len(questions), len(vocab) + 1))
    for r, q in enumerate(questions):
        for w in words(q):
            x[r, vocab[w]] += 1.0
    x[:, -1] = 1.0
    y = np.array([LABELS.index(l) for l in labels])
    order = np.random.default_rng(seed).permutation(len(y))
    cut = int(0.8 * len(y))
    train, test = order[:cut], order[cut:]
    w = np.zeros((x.shape[1], 3))
    onehot = np.eye(3)[y[train]]
    for _ in range(400):
        z = x[train] @ w
        p = np.exp(z - z.max(axis=1, keepdims=True))
        p /= p.sum(axis=1, keepdims=True)
        grad = x[train].T @ (p - onehot) / len(train) + 1e-3 * w
        w -= 0.5 * grad
    predicted = (x[test] @ w).argmax(axis=1)
    return 100.0 * float((predicted == y[test]).mean())


def main(path):
    rows = [json.loads(l) for l in open(path) if l.strip()]
    table = collections.defaultdict(collections.Counter)
    for r in rows:
        table[form(r["conclusion_fol"])][r["meta"]["label"]] += 1
    bad = []
    print(f"{'conclusion form':22} {'n':>5} " + " ".join(f"{l:>9}" for l in LABELS))
    for f in sorted(table):
        n = sum(table[f].values())
        shares = [100.0 * table[f][l] / n for l in LABELS]
        print(f"{f:22} {n:5d} " + " ".join(f"{s:8.1f}%" for s in shares))
        if n >= 100 and any(abs(s - 100 / 3) > TOLERANCE for s in shares):
            bad.append(f)
    by_connective = collections.defaultdict(collections.Counter)
    for r in rows:
        by_connective[connective(r["conclusion_fol"])][r["meta"]["label"]] += 1
    for c in sorted(by_connective):
        n = sum(by_connective[c].values())
        print(f"{c:22} {n:5d} " + " ".join(f"{100.0 * by_connective[c][l] / n:8.1f}%" for l in LABELS))
    acc = classifier_accuracy([r["question"] for r in rows], [r["meta"]["label"] for r in rows])
    print(f"bag-of-words logistic regression on the question: {acc:.1f}% held out (chance 33.3%)")
    if bad:
        raise SystemExit(f"labels off a third by more than {TOLERANCE} points in: {bad}")
    if acc > 100 / 3 + MARGIN:
        raise SystemExit(f"the question text predicts the label: {acc:.1f}% > chance + {MARGIN}")


if __name__ == "__main__":
    main(sys.argv[1])
