#!/usr/bin/env python3
"""Installs the fetched sources of the built-in seed corpus (harvest/sources.toml, the
`fetch` key) under $GEN_SOURCES_DIR, else ~/.cache/gen/sources:

  npm:PKG@VERSION        npm install into SOURCES/npm (from the npm registry)
  zip:ARCHIVE:PREFIX     the members of ARCHIVE under PREFIX, unpacked into SOURCES/NAME
  pip:PKG==VERSION       the wheel from PyPI (no dependencies), unpacked into SOURCES/NAME
  url:URL#sha256=HEX[&only=DIR]
                         a tarball from a registry (Debian's pool), checked against its
                         sha256 and unpacked into SOURCES/NAME (with `only`, just the
                         members under DIR of the tarball's top folder, and its licence)

Idempotent: a source already in place is left alone. A source whose archive or tool is
missing is reported and skipped (setup's summary says which seeds are then missing).
"""

import hashlib
import io
import os
import shutil
import subprocess
import sys
import tarfile
import tomllib
import urllib.request
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


def fetch_pip(name, spec, base):
    dest = os.path.join(base, name)
    if os.path.isdir(dest) and os.listdir(dest):
        return True
    tmp = dest + ".part"
    shutil.rmtree(tmp, ignore_errors=True)
    os.makedirs(tmp)
    say(f"pip download {spec} into {dest}")
    r = subprocess.run(
        [sys.executable, "-m", "pip", "download", "-q", "--no-deps", "--only-binary=:all:", "-d", tmp, spec],
        stdout=subprocess.DEVNULL,
    )
    wheels = [f for f in os.listdir(tmp) if f.endswith(".whl")] if r.returncode == 0 else []
    if len(wheels) != 1:
        say(f"pip download {spec} failed")
        shutil.rmtree(tmp, ignore_errors=True)
        return False
    wheel = os.path.join(tmp, wheels[0])
    with zipfile.ZipFile(wheel) as z:
        z.extractall(tmp)
    os.remove(wheel)
    os.replace(tmp, dest)
    return True


def fetch_url(name, spec, base):
    dest = os.path.join(base, name)
    if os.path.isdir(dest) and os.listdir(dest):
        return True
    url, _, digest = spec.partition("#sha256=")
    digest, _, only = digest.partition("&only=")
    if not digest:
        say(f"{name}: url sources need #sha256=HEX")
        return False
    say(f"downloading {url} into {dest}")
    try:
        with urllib.request.urlopen(url, timeout=120) as resp:
            data = resp.read()
    except OSError as e:
        say(f"{url}: {e}")
        return False
    got = hashlib.sha256(data).hexdigest()
    if got != digest:
        say(f"{url}: sha256 {got}, expected {digest}; not unpacked")
        return False
    tmp = dest + ".part"
    shutil.rmtree(tmp, ignore_errors=True)
    os.makedirs(tmp)
    with tarfile.open(fileobj=io.BytesIO(data)) as t:
        members = None
        if only:
            def wanted(m):
                rest = m.name.split("/", 1)[1] if "/" in m.name else ""
                return rest.startswith(only.rstrip("/") + "/") or rest.upper().startswith(("LICENSE", "COPYING"))
            members = [m for m in t.getmembers() if wanted(m)]
        t.extractall(tmp, members=members, filter="data")
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
        elif kind == "pip":
            ok &= fetch_pip(source["name"], rest, base)
        elif kind == "url":
            ok &= fetch_url(source["name"], rest, base)
        else:
            say(f"{source['name']}: unknown fetch kind {kind!r}")
            ok = False
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
