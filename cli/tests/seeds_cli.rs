//! `gen seeds harvest` on the harvester's fixtures: a corpus file with one seed per
//! self-contained function, a per-language account, and exit 2 for an unknown language.
//! `gen code` draws from the harvested corpus by default, and `--seeds builtin` opts out.

#![allow(clippy::unwrap_used)]

mod common;

use std::path::Path;
use std::process::{Command, Stdio};

const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../harvest/tests/fixtures");

#[test]
fn harvest_writes_the_corpus_and_reports_each_language() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("seeds");
    let run = Command::new(env!("CARGO_BIN_EXE_gen"))
        .args(["seeds", "harvest", FIXTURES, "-o"])
        .arg(&out)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&run.stdout);
    assert!(run.status.success(), "{stdout}{}", String::from_utf8_lossy(&run.stderr));
    let seeds: Vec<serde_json::Value> = std::fs::read_to_string(out.join("seeds.jsonl"))
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    // Every seed is a keep* function of the fixtures, every language has some.
    assert!(seeds.iter().all(|s| s["entry_point"].as_str().unwrap().starts_with("keep")), "{seeds:?}");
    let report: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("harvest.json")).unwrap()).unwrap();
    for lang in ["bash", "c", "cpp", "go", "java", "javascript", "python", "rust", "typescript"] {
        let kept = report["langs"][lang]["kept"].as_u64().unwrap();
        let here = seeds.iter().filter(|s| s["lang"] == lang).count() as u64;
        assert!(kept >= 2 && kept == here, "{lang}: report {kept}, corpus {here}");
        assert!(stdout.lines().any(|l| l.starts_with(lang)), "{lang} missing from the table:\n{stdout}");
    }
    assert!(stdout.contains(&format!("{} seeds in", seeds.len())), "{stdout}");
}

#[test]
fn an_unknown_language_is_a_usage_error() {
    let tmp = tempfile::tempdir().unwrap();
    let run = Command::new(env!("CARGO_BIN_EXE_gen"))
        .args(["seeds", "harvest", FIXTURES, "--langs", "python,cobol", "-o"])
        .arg(tmp.path().join("o"))
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert_eq!(run.status.code(), Some(2), "{stderr}");
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(stderr.contains("cobol") && stderr.contains("python"), "{stderr}");
}

#[test]
fn a_missing_root_is_a_usage_error() {
    let tmp = tempfile::tempdir().unwrap();
    let missing = tmp.path().join("no-such-tree");
    let run = Command::new(env!("CARGO_BIN_EXE_gen"))
        .args(["seeds", "harvest"])
        .arg(&missing)
        .arg("-o")
        .arg(tmp.path().join("o"))
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert_eq!(run.status.code(), Some(2), "{stderr}");
    assert!(stderr.lines().count() == 1 && stderr.contains("no-such-tree"), "{stderr}");
    assert!(!tmp.path().join("o").exists(), "nothing is written for bad input");
}

/// One `gen code` sample on the mock server, with `GEN_SEED_DIR` set to `seed_dir`: the
/// seed collection its provenance names, and stderr.
fn code_with_seed_dir(seed_dir: &Path, extra: &[&str], out: &Path) -> (Option<String>, String) {
    let server = common::code_server();
    let run = Command::new(env!("CARGO_BIN_EXE_gen"))
        .args(["code", "--langs", "python", "-n", "1", "--seed", "1", "--model", "mock-coder", "--api-base"])
        .arg(server.server.base_url())
        .arg("--out")
        .arg(out)
        .args(extra)
        .env("GEN_SEED_DIR", seed_dir)
        .stdin(Stdio::null())
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&run.stderr).into_owned();
    assert!(run.status.success(), "{stderr}");
    let text = std::fs::read_to_string(out.join("data.jsonl")).unwrap();
    let record: serde_json::Value = serde_json::from_str(text.lines().next().unwrap()).unwrap();
    (record["provenance"]["seed_source"].as_str().map(String::from), stderr)
}

#[test]
fn gen_code_draws_from_the_harvested_corpus_by_default() {
    if !common::sandbox_usable() {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let corpus = tmp.path().join("corpus");
    let harvest = Command::new(env!("CARGO_BIN_EXE_gen"))
        .args(["seeds", "harvest", FIXTURES, "--langs", "python", "-o"])
        .arg(&corpus)
        .output()
        .unwrap();
    assert!(harvest.status.success(), "{}", String::from_utf8_lossy(&harvest.stderr));

    let (source, stderr) = code_with_seed_dir(&corpus, &[], &tmp.path().join("a"));
    assert_eq!(source.as_deref(), Some("harvest"), "{stderr}");
    assert!(!stderr.contains("no harvested seed corpus"), "{stderr}");

    let (source, stderr) = code_with_seed_dir(&corpus, &["--seeds", "builtin"], &tmp.path().join("b"));
    assert_eq!(source.as_deref(), Some("builtin"), "--seeds builtin opts out: {stderr}");

    let empty = tmp.path().join("empty");
    std::fs::create_dir(&empty).unwrap();
    let (source, stderr) = code_with_seed_dir(&empty, &[], &tmp.path().join("c"));
    assert_eq!(source.as_deref(), Some("builtin"), "{stderr}");
    assert!(stderr.contains("no harvested seed corpus"), "a missing corpus is said: {stderr}");
}

#[test]
fn bad_seed_options_are_usage_errors() {
    let tmp = tempfile::tempdir().unwrap();
    for args in [["--seeds", "/no/such/seed/tree"], ["--seed-licences", "MIT,+BSD-3-Clause"]] {
        let run = Command::new(env!("CARGO_BIN_EXE_gen"))
            .args(["code", "--langs", "python", "-n", "1", "--out"])
            .arg(tmp.path().join("o"))
            .args(args)
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&run.stderr);
        assert_eq!(run.status.code(), Some(2), "{args:?}: {stderr}");
        assert_eq!(stderr.lines().count(), 1, "{stderr}");
        assert!(stderr.contains(args[0]), "{stderr}");
        assert!(!tmp.path().join("o").exists(), "nothing is written for bad input");
    }
}
