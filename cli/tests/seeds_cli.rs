//! `gen seeds harvest` on the harvester's fixtures: a corpus file with one seed per
//! self-contained function, a per-language account, and exit 2 for an unknown language.

#![allow(clippy::unwrap_used)]

use std::process::Command;

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
