#!/usr/bin/env python3
"""The side-by-side benchmarks behind README "Performance". Run through `scripts/bench`,
which builds the release binaries first; this file only measures.

Each figure prints one line (with the ratio where there is a baseline) and is appended to
bench/results.jsonl together with a description of the machine. A part whose piece is
missing prints `skipped: <why>` and the run goes on. Everything is bounded (a timeout per
process) and talks to loopback only.
"""
import argparse
import datetime
import json
import os
import platform
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results.jsonl"
RUN_ID = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def machine():
    def read(path):
        try:
            return Path(path).read_text()
        except OSError:
            return ""

    cpu = re.search(r"^model name\s*:\s*(.+)$", read("/proc/cpuinfo"), re.M)
    mem = re.search(r"^MemTotal:\s*(\d+) kB", read("/proc/meminfo"), re.M)

    def out(*cmd):
        try:
            return subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=10).stdout.strip()
        except (OSError, subprocess.TimeoutExpired):
            return ""

    rev = out("git", "rev-parse", "--short", "HEAD")
    if rev and out("git", "status", "--porcelain", "--untracked-files=no"):
        rev += "-dirty"
    return {
        "nproc": os.cpu_count(),
        "cpu": cpu.group(1).strip() if cpu else platform.processor(),
        "mem_gib": round(int(mem.group(1)) / 2**20, 1) if mem else None,
        "kernel": platform.release(),
        "git_rev": rev,
        "rustc": out("rustc", "--version"),
        "python": platform.python_version(),
        # Other work on the machine skews every figure; this says how busy it was.
        "loadavg_1m": os.getloadavg()[0],
    }


MACHINE = machine()


def record(figure, line, **fields):
    print(f"{figure:<34} {line}", flush=True)
    with RESULTS.open("a", encoding="utf-8") as f:
        f.write(json.dumps({"run": RUN_ID, "figure": figure, "line": line, **fields, "machine": MACHINE}) + "\n")


def skipped(figure, why):
    record(figure, f"skipped: {why}", skipped=why)


def run(cmd, timeout, **kw):
    """(CompletedProcess or None on timeout, wall seconds)."""
    t = time.perf_counter()
    try:
        p = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, **kw)
    except subprocess.TimeoutExpired:
        return None, time.perf_counter() - t
    return p, time.perf_counter() - t


def tail(p, n=200):
    text = ((p.stderr or "") + (p.stdout or "")).strip() if p else "timed out"
    return text[-n:].replace("\n", " | ")


def last_json(text):
    for line in reversed(text.strip().splitlines()):
        line = line.strip()
        if line.startswith("{"):
            try:
                return json.loads(line)
            except json.JSONDecodeError:
                pass
    return None


def not_implemented(p):
    return p is not None and p.returncode != 0 and "not implemented yet" in (p.stderr + p.stdout)


# --- FOL verification -----------------------------------------------------------------
def bench_verify(bins, tmp):
    fig = "fol verify (gen vs python z3)"
    gen = bins.get("gen")
    if not gen:
        return skipped(fig, "gen was not built")
    data = ROOT / "datasets" / "data" / "folio-v0.0-train.jsonl"
    if not data.exists():
        data = tmp / "verify" / "data.jsonl"
        p, _ = run([gen, "fol", "--depth", "3", "-n", "200", "--seed", "5", "--out", str(data.parent)], 300)
        if p is None or p.returncode != 0:
            return skipped(fig, f"no FOLIO file and gen fol failed: {tail(p)}")
    if not (ROOT / "bench" / "verify_z3.py").exists():
        return skipped(fig, "bench/verify_z3.py is missing")
    ours, ours_s = run([gen, "verify", str(data), "--json"], 300)
    if not_implemented(ours):
        return skipped(fig, "gen verify is not implemented yet")
    summary = last_json(ours.stdout) if ours else None
    if summary is None:
        return skipped(fig, f"gen verify gave no JSON summary: {tail(ours)}")
    theirs, theirs_s = run([sys.executable, str(ROOT / "bench" / "verify_z3.py"), str(data), "--json"], 600)
    base = last_json(theirs.stdout) if theirs else None
    if base is None:
        return skipped(fig, f"verify_z3.py gave no JSON summary: {tail(theirs)}")
    rows = summary.get("total", base.get("total"))
    record(
        fig,
        f"gen {ours_s:.2f} s vs python {theirs_s:.2f} s on {data.name} ({rows} rows): {theirs_s / ours_s:.1f}x",
        ours_secs=ours_s, baseline_secs=theirs_s, ratio=theirs_s / ours_s, file=data.name,
        ours=summary, baseline=base,
    )


# --- FOL generation -------------------------------------------------------------------
def z3_share(run_json):
    """Seconds in Z3 over the run's wall time, if the run recorded them."""
    try:
        info = json.loads(run_json.read_text())
    except (OSError, json.JSONDecodeError):
        return None
    elapsed = info.get("elapsed_secs") or 0
    for where in (info.get("extra") or {}, info):
        for k, v in where.items():
            if "z3" in k and k.endswith(("secs", "_s")) and isinstance(v, (int, float)) and elapsed:
                return v / elapsed
    return None


def bench_generate(bins, tmp, quick):
    gen = bins.get("gen")
    # Sized for a few seconds each on 2 cores (rayon uses every core).
    # The relational generator (issue #20) at depth 5, in the same run as the monadic rows.
    for logic, depth, n in (("monadic", 1, 3000), ("monadic", 5, 1000), ("monadic", 10, 200),
                            ("relational", 5, 300)):
        fig = f"fol generate depth {depth}" + (" relational" if logic == "relational" else "")
        if not gen:
            skipped(fig, "gen was not built")
            continue
        if quick:
            n = max(2, n // 4)
        out = tmp / f"gen-{logic}-d{depth}"
        p, secs = run([gen, "fol", "--logic", logic, "--depth", str(depth), "-n", str(n), "--seed", "1",
                       "--out", str(out)], 240)
        if not_implemented(p):
            skipped(fig, "gen fol is not implemented yet")
            continue
        data = out / "data.jsonl"
        rows = sum(1 for line in data.open() if line.strip()) if data.exists() else 0
        if rows == 0:
            skipped(fig, f"gen fol wrote nothing: {tail(p)}")
            continue
        share = z3_share(out / "run.json")
        cores = os.cpu_count() or 1
        z3 = (f"Z3 {share / cores:.0%} of CPU time ({share:.0%} of wall summed over {cores} threads)"
              if share is not None else "Z3 time not recorded in run.json")
        status = "" if p is not None and p.returncode == 0 else " (stopped at the time limit)"
        record(fig, f"{rows / secs:.2f} problems/s ({rows} in {secs:.1f} s{status}); {z3}",
               problems_per_s=rows / secs, problems=rows, secs=secs, z3_share=share, depth=depth,
               logic=logic)


# --- model-call overhead ----------------------------------------------------------------
def start_mock(server, latency_ms):
    proc = subprocess.Popen([server, "--port", "0", "--latency-ms", str(latency_ms)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    line = proc.stdout.readline()
    m = re.search(r"listening on (\S+)", line)
    if not m:
        proc.kill()
        proc.wait()
        return None, None
    return proc, m.group(1)


def bench_openai(bins, quick):
    server, ours = bins.get("mock_server"), bins.get("openai_bench")
    py = ROOT / "bench" / "openai_client_bench.py"
    try:
        import openai  # noqa: F401
        have_py = True
    except ImportError:
        have_py = False
    for latency in (0, 50):
        for conc in (1, 32, 256):
            fig = f"openai overhead {latency}ms c={conc}"
            if not server or not ours:
                skipped(fig, "the llm mock_server/openai_bench examples were not built")
                continue
            if not have_py:
                skipped(fig, "python openai package missing (pip install -r requirements.txt)")
                continue
            # Enough requests for a stable p99 in about a second or two of server time.
            n = {0: {1: 400, 32: 3000, 256: 4000}, 50: {1: 40, 32: 640, 256: 2560}}[latency][conc]
            if quick:
                n = max(conc, n // 4)
            proc, url = start_mock(server, latency)
            if proc is None:
                skipped(fig, "mock_server did not start")
                continue
            try:
                args = ["--base-url", url, "--concurrency", str(conc), "--requests", str(n),
                        "--server-latency-ms", str(latency)]
                a, _ = run([ours, *args], 300)
                b, _ = run([sys.executable, str(py), *args], 300)
            finally:
                proc.terminate()
                try:
                    proc.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait()
            ra, rb = (last_json(a.stdout) if a else None), (last_json(b.stdout) if b else None)
            if ra is None or rb is None:
                skipped(fig, f"a client failed: ours: {tail(a, 120)}; python: {tail(b, 120)}")
                continue
            record(
                fig,
                f"gen {ra['rps']:.0f} req/s, added p50 {ra['added_p50_ms']:.2f} ms p99 {ra['added_p99_ms']:.2f} ms"
                f" | python {rb['rps']:.0f} req/s, added p50 {rb['added_p50_ms']:.2f} ms p99 {rb['added_p99_ms']:.2f} ms"
                f" | {ra['rps'] / rb['rps']:.2f}x req/s",
                ours=ra, baseline=rb, ratio=ra["rps"] / rb["rps"], latency_ms=latency, concurrency=conc,
                errors=ra["errors"] + rb["errors"],
            )


# --- local model ------------------------------------------------------------------------
def installed_models():
    """The models of llm/models.toml whose files are installed, smallest first."""
    import tomllib
    table = tomllib.loads((ROOT / "llm" / "models.toml").read_text())
    d = Path(os.environ.get("GEN_MODEL_DIR") or Path.home() / ".cache" / "gen" / "models")
    models = [m for m in table["model"] if (d / m["file"]).is_file() and (d / m["file"]).stat().st_size == m["bytes"]]
    return [m["name"] for m in sorted(models, key=lambda m: m["bytes"])]


def bench_local(bins, quick):
    """Per installed model of the table: our backend against a bare llama-cpp-2 loop on the
    same prompt, interleaved over a few rounds (decode speed on a shared machine drifts by
    10-20% between seconds), medians; prompt tokens/s; 8 streams against one; and prefix
    reuse (TTFT of a ~1,000-token prompt whose first ~800 tokens were decoded before)."""
    exe, bare = bins.get("local_bench"), bins.get("local_bare_loop")
    if not exe:
        return skipped("local model", "llm local_bench was not built (needs the `local` feature)")
    names = installed_models()
    if not names:
        return skipped("local model", "no model of llm/models.toml is installed (scripts/setup)")
    if quick:
        names = names[:1]
    for name in names:
        bench_local_model(exe, bare, name, 1 if quick else 3)


def bench_local_model(exe, bare, name, rounds):
    fig = f"local model {name}"
    keys = {"ttft": "time_to_first_token_ms", "one": "tokens_per_s_1_stream", "many": "tokens_per_s_8_streams",
            "prompt": "prompt_tokens_per_s"}
    got = {k: [] for k in [*keys, "bare", "cold", "warm"]}
    for _ in range(rounds):
        if bare:
            p, _ = run([bare, name], 600)
            m = p is not None and p.returncode == 0 and re.search(r"^bare_tokens_per_s_1_stream\s+([\d.]+)", p.stdout, re.M)
            if m:
                got["bare"].append(float(m.group(1)))
        p, _ = run([exe, name], 1200)
        if p is None or p.returncode != 0:
            return skipped(fig, f"local_bench failed: {tail(p)}")
        text = p.stdout
        for k, key in keys.items():
            m = re.search(rf"^{key}\s+([\d.]+)", text, re.M)
            if m is None:
                return skipped(fig, f"no {key} in local_bench output: {text[-200:]}")
            got[k].append(float(m.group(1)))
        m = re.search(r"^prefix_ttft_ms cold ([\d.]+) warm ([\d.]+)", text, re.M)
        if m:
            got["cold"].append(float(m.group(1)))
            got["warm"].append(float(m.group(2)))
    med = lambda xs: sorted(xs)[len(xs) // 2]  # noqa: E731
    o, n = med(got["one"]), med(got["many"])
    if got["bare"]:
        b = med(got["bare"])
        record(f"{fig} tokens/s 1 stream", f"{o:.1f} tok/s vs bare llama loop {b:.1f}: {o / b:.2f}x"
               f" (median of {rounds})", tokens_per_s=o, bare_tokens_per_s=b, ratio=o / b, model=name)
    else:
        record(f"{fig} tokens/s 1 stream", f"{o:.1f} tok/s (median of {rounds})", tokens_per_s=o, model=name)
    record(f"{fig} tokens/s 8 streams", f"{n:.1f} tok/s aggregate: {n / o:.2f}x one stream",
           tokens_per_s=n, ratio=n / o, model=name)
    record(f"{fig} prompt tokens/s", f"{med(got['prompt']):.0f} tok/s", tokens_per_s=med(got["prompt"]), model=name)
    record(f"{fig} time to first token", f"{med(got['ttft']):.1f} ms", ttft_ms=med(got["ttft"]), model=name)
    if got["cold"]:
        c, w = med(got["cold"]), med(got["warm"])
        record(f"{fig} prefix reuse TTFT", f"cold {c:.0f} ms, warm {w:.0f} ms: {c / w:.1f}x faster warm",
               cold_ms=c, warm_ms=w, ratio=c / w, model=name)


def bench_prefix(bins, tmp, quick):
    """`gen code` end to end on a local model, prefix reuse on against off (--no-prefix-cache),
    interleaved on the same work items. Both decode the same requests (greedy or seeded), so
    the difference is the prompt tokens reuse spares; answers may differ in rare tokens
    (llama.cpp's logits depend slightly on batch composition), so tokens are reported too."""
    gen = bins.get("gen")
    fig = "gen code end to end, prefix reuse"
    if not gen:
        return skipped(fig, "gen was not built")
    names = installed_models()
    if not names:
        return skipped(fig, "no model of llm/models.toml is installed (scripts/setup)")
    model = os.environ.get("BENCH_PREFIX_MODEL") or ("smollm2-135m" if quick or "qwen2.5-coder-0.5b" not in names else "qwen2.5-coder-0.5b")
    times = {"on": [], "off": []}
    tokens = {}
    for r in range(1 if quick else 2):
        for mode, extra in (("on", []), ("off", ["--no-prefix-cache"])):
            out = tmp / f"prefix-{mode}-{r}"
            cmd = [gen, "code", "--langs", "python,go", "-n", "2", "--max-attempts", "4", "--seed", "3",
                   "--no-cache", "--local-model", model, "--out", str(out), *extra]
            p, secs = run(cmd, 1800, cwd=ROOT)
            if p is None or p.returncode not in (0, 3):
                return skipped(fig, f"gen code failed: {tail(p)}")
            times[mode].append(secs)
            tokens[mode] = json.loads((out / "run.json").read_text()).get("tokens", {})
    on, off = min(times["on"]), min(times["off"])
    record(fig, f"{on:.0f} s with reuse, {off:.0f} s without: {off / on:.2f}x ({model}, `gen code --langs python,go"
           f" -n 2 --max-attempts 4`, best of {len(times['on'])}; prompt tokens sent, same work"
           f" {tokens['on'].get('prompt_tokens')} / {tokens['off'].get('prompt_tokens')})",
           on_secs=on, off_secs=off, ratio=off / on, model=model)


# --- sandbox --------------------------------------------------------------------------
def bench_sandbox(bins, quick):
    exe = bins.get("sandbox_bench")
    if not exe:
        return skipped("sandbox runs/s", "sandbox bench example was not built")
    p, _ = run([exe, "--runs", "4" if quick else "8"], 600)
    if p is None or p.returncode != 0:
        return skipped("sandbox runs/s", f"sandbox bench failed: {tail(p)}")
    n = 0
    for line in p.stdout.splitlines():
        parts = line.split()
        if not parts or line.startswith("#") or parts[0] == "language":
            continue
        fig = f"sandbox {parts[0]}"
        if "skipped" in line:
            skipped(fig, line.split("skipped:", 1)[-1].strip())
            continue
        try:
            cold = None if parts[1] == "-" else float(parts[1])
            warm_ms, warm_rps, outcome = float(parts[2]), float(parts[3]), parts[4]
        except (IndexError, ValueError):
            continue
        n += 1
        if cold is None:
            record(fig, f"{warm_rps:.1f} runs/s ({warm_ms:.0f} ms/run), {outcome}",
                   warm_runs_per_s=warm_rps, outcome=outcome)
        else:
            record(fig, f"warm {warm_rps:.1f} runs/s ({warm_ms:.0f} ms/run) | cold {cold:.0f} ms"
                   f" | warm is {cold / warm_ms:.1f}x faster per run, {outcome}",
                   warm_runs_per_s=warm_rps, cold_ms=cold, ratio=cold / warm_ms, outcome=outcome)
    if n == 0:
        skipped("sandbox runs/s", f"unexpected sandbox bench output: {p.stdout[-200:]}")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--target-dir", default=os.environ.get("CARGO_TARGET_DIR", str(ROOT / "target")))
    ap.add_argument("--quick", action="store_true", help="fewer requests and problems (a smoke run)")
    ap.add_argument("--only", default="verify,generate,openai,local,prefix,sandbox")
    a = ap.parse_args()
    rel = Path(a.target_dir) / "release"
    cands = {
        "gen": rel / "gen",
        "mock_server": rel / "examples" / "mock_server",
        "openai_bench": rel / "examples" / "openai_bench",
        "local_bench": rel / "examples" / "local_bench",
        "local_bare_loop": rel / "examples" / "local_bare_loop",
        "sandbox_bench": rel / "examples" / "bench",
    }
    built = set(os.environ.get("BENCH_BUILT", ",".join(cands)).split(","))
    bins = {k: str(v) for k, v in cands.items() if k in built and v.exists()}
    print(f"# {MACHINE['nproc']} cores, {MACHINE['cpu']}, {MACHINE['mem_gib']} GiB, git {MACHINE['git_rev']},"
          f" load {MACHINE['loadavg_1m']:.1f}; results appended to {RESULTS.relative_to(ROOT)}", flush=True)
    only = set(a.only.split(","))
    tmp = Path(tempfile.mkdtemp(prefix="gen-bench-"))
    try:
        if "verify" in only:
            bench_verify(bins, tmp)
        if "generate" in only:
            bench_generate(bins, tmp, a.quick)
        if "openai" in only:
            bench_openai(bins, a.quick)
        if "local" in only:
            bench_local(bins, a.quick)
        if "prefix" in only:
            bench_prefix(bins, tmp, a.quick)
        if "sandbox" in only:
            bench_sandbox(bins, a.quick)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
