//! Sandboxed runs per second, per language: a trivial program (`tests/fixtures/<lang>/hello`,
//! compiled and run) and a solution with its tests (`tests/fixtures/<lang>/pass`).
//!
//!   cargo run --release -p sandbox --example bench -- [--runs N] [--langs python,go]
//!
//! cold: the first check in a fresh `Sandbox` with an empty compile cache (includes the
//! cache warm-up where a language has one); warm: N more programs, then N more checks,
//! spread over all slots, each a distinct source.
//! One line per language; `overhead` is a bare `true` through the whole isolation chain.
//! `--no-cache` runs without the per-language compile caches (to measure what they save).

use sandbox::{Limits, Registry, Sandbox, SandboxError, SandboxOptions};
use std::path::Path;
use std::time::Instant;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut runs = 8usize;
    let mut only: Option<Vec<String>> = None;
    let mut no_cache = false;
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--no-cache" => no_cache = true,
            "--runs" => runs = args.next().ok_or("--runs N")?.parse()?,
            "--langs" => {
                only = Some(args.next().ok_or("--langs a,b")?.split(',').map(String::from).collect())
            }
            other => return Err(format!("unknown argument {other}").into()),
        }
    }
    let cache = tempfile::tempdir()?;
    let opts = || SandboxOptions {
        limits: Limits::RUN,
        cache_dir: Some(cache.path().to_path_buf()),
        ..SandboxOptions::default()
    };
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
    let registry = Registry::builtin();
    let parallelism = opts().parallelism;
    println!("# {runs} warm runs per language on {parallelism} slots; times are wall clock");
    println!(
        "{:<12} {:>9} {:>11} {:>12} {:>9} {:>13}",
        "language", "cold_ms", "warm_ms/run", "warm_runs/s", "outcome", "program_run/s"
    );

    let sb = Sandbox::new(opts())?;
    let bash = registry.get("bash").ok_or("bash not registered")?;
    let overhead = bash.program_for("true");
    let t = Instant::now();
    let recs = sb.run_many(&vec![overhead; runs * 4]);
    let per_s = (runs * 4) as f64 / t.elapsed().as_secs_f64();
    let ok = recs.iter().all(|r| r.as_ref().is_ok_and(|r| r.passed()));
    println!(
        "{:<12} {:>9} {:>11.1} {:>12.1} {:>9} {:>13}",
        "overhead",
        "-",
        1000.0 / per_s,
        per_s,
        if ok { "passed" } else { "FAILED" },
        "-"
    );

    for lang in registry.languages() {
        if only.as_ref().is_some_and(|o| !o.contains(&lang.name)) {
            continue;
        }
        if lang.detect_toolchain().is_none() {
            println!("{:<12} skipped: toolchain not installed", lang.name);
            continue;
        }
        let dir = fixtures.join(&lang.name).join("pass");
        let solution = std::fs::read_to_string(dir.join(&lang.source_file))?;
        let tests = std::fs::read_to_string(dir.join(&lang.test_file))?;
        // Cold: a new sandbox and an empty cache for this language.
        let _ = std::fs::remove_dir_all(cache.path().join(&lang.name));
        let cold_sb = Sandbox::new(opts())?;
        let t = Instant::now();
        let cold = cold_sb.check(lang, &solution, &tests)?;
        let cold_ms = t.elapsed().as_millis();
        // Warm: distinct sources (a trailing comment) so no layer can serve a repeat.
        let checks: Vec<_> = (0..runs)
            .map(|i| {
                let mut check = lang.check_for(&format!("{solution}\n{} {i}\n", lang.comment), &tests);
                if no_cache {
                    // Replay resolves the cache by language name; no name, no cache.
                    check.lang.clear();
                }
                check
            })
            .collect();
        let hello = std::fs::read_to_string(fixtures.join(&lang.name).join("hello").join(&lang.source_file))?;
        let programs: Vec<_> =
            (0..runs).map(|i| lang.program_for(&format!("{hello}\n{} {i}\n", lang.comment))).collect();
        let t = Instant::now();
        let program_recs: Vec<Result<_, SandboxError>> = cold_sb.run_many(&programs);
        let program_secs = t.elapsed().as_secs_f64();
        let t = Instant::now();
        let recs: Vec<Result<_, SandboxError>> = cold_sb.run_many(&checks);
        let secs = t.elapsed().as_secs_f64();
        let passed =
            cold.passed() && recs.iter().chain(&program_recs).all(|r| r.as_ref().is_ok_and(|r| r.passed()));
        println!(
            "{:<12} {:>9} {:>11.0} {:>12.2} {:>9} {:>13.2}",
            lang.name,
            cold_ms,
            secs * 1000.0 / runs as f64,
            runs as f64 / secs,
            if passed { "passed" } else { "FAILED" },
            runs as f64 / program_secs
        );
    }
    Ok(())
}
