#!/usr/bin/env python3
"""Installs the fetched sources of the built-in seed corpus (harvest/sources.toml, the
`fetch` key) under $GEN_SOURCES_DIR, else ~/.cache/gen/sources:

  npm:PKG@VERSION        npm install into SOURCES/npm (from the npm registry)
  zip:ARCHIVE:PREFIX     the members of ARCHIVE under PREFIX, unpacked into SOURCES/NAME

Idempotent: a source already in place is left alone. A source whose archive or tool is
missing is reported and skipped (setup's summary says which seeds are then missing).
"""

import os
import shutil
import subprocess
import sys
import tomllib
import zipfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TABLE = os.path.join(ROOT, "harvest", "sources.toml")


def say(msg):
    print(f"\033[1m[setup]\033[0m {msg}", file=sys.stderr)


def sources_dir():
    d = os.environ.get("GEN_SOURCES_DIR") or os.path.join(os.path.expanduser("~"), ".cache", "gen", "sources")
    os.makedirs(d, exist_ok=True)
    return d


def fetch_npm(spec, base):
    name = spec.rsplit("@", 1)[0]
    prefix = os.path.join(base, "npm")
    if os.path.isfile(os.path.join(prefix, "node_modules", name, "package.json")):
        return True
    if not shutil.which("npm"):
        say(f"npm not found: {spec} not fetched")
        return False
    os.makedirs(prefix, exist_ok=True)
    say(f"npm install {spec} into {prefix}")
    r = subprocess.run(
        ["npm", "install", "--prefix", prefix, "--no-audit", "--no-fund", "--silent", spec],
        stdout=subprocess.DEVNULL,
    )
    return r.returncode == 0


def fetch_zip(name, spec, base):
    archive, prefix = spec.rsplit(":", 1)
    dest = os.path.join(base, name)
    if os.path.isdir(dest) and os.listdir(dest):
        return True
    if not os.path.isfile(archive):
        say(f"{archive} not found: {name} not unpacked")
        return False
    say(f"unpacking {prefix} of {archive} into {dest}")
    tmp = dest + ".part"
    shutil.rmtree(tmp, ignore_errors=True)
    with zipfile.ZipFile(archive) as z:
        members = [m for m in z.namelist() if m.startswith(prefix)]
        z.extractall(tmp, members)
    os.replace(tmp, dest)
    return True


def main():
    with open(TABLE, "rb") as f:
        table = tomllib.load(f)
    base = sources_dir()
    ok = True
    for source in table["source"]:
        spec = source.get("fetch")
        if not spec:
            continue
        kind, _, rest = spec.partition(":")
        if kind == "npm":
            ok &= fetch_npm(rest, base)
        elif kind == "zip":
            ok &= fetch_zip(source["name"], rest, base)
        else:
            say(f"{source['name']}: unknown fetch kind {kind!r}")
            ok = False
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
