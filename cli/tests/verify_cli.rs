//! `gen verify` as a user runs it: exit statuses and the `--json` summary line.

#![allow(clippy::unwrap_used)]

use std::path::PathBuf;
use std::process::Command;

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../provers/tests/fixtures").join(name)
}

fn verify(args: &[&str]) -> (i32, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_gen")).arg("verify").args(args).output().unwrap();
    (out.status.code().unwrap_or(-1), String::from_utf8_lossy(&out.stdout).into_owned())
}

fn summary(stdout: &str) -> serde_json::Value {
    serde_json::from_str(stdout.lines().last().unwrap()).unwrap()
}

#[test]
fn agreeing_file_exits_0_with_a_json_summary_last() {
    let (code, stdout) = verify(&["--json", fixture("connectives.jsonl").to_str().unwrap()]);
    assert_eq!(code, 0, "{stdout}");
    let s = summary(&stdout);
    let keys: Vec<&str> = s.as_object().unwrap().keys().map(String::as_str).collect();
    for k in ["total", "parsed", "agree", "disagree", "inconsistent", "errors"] {
        assert!(keys.contains(&k), "{k} missing from {s}");
    }
    assert!(s["total"].as_u64().unwrap() > 0);
    assert_eq!(s["agree"], s["total"]);
}

#[test]
fn disagreement_and_parse_errors_exit_1() {
    let (code, stdout) = verify(&["--json", fixture("disagree.jsonl").to_str().unwrap()]);
    assert_eq!(code, 1, "{stdout}");
    assert!(summary(&stdout)["disagree"].as_u64().unwrap() >= 1);
    let (code, stdout) = verify(&["--json", fixture("malformed.jsonl").to_str().unwrap()]);
    assert_eq!(code, 1, "{stdout}");
    assert!(summary(&stdout)["errors"].as_u64().unwrap() >= 1);
}

#[test]
fn missing_file_is_a_usage_error() {
    let (code, _) = verify(&["/nonexistent/problems.jsonl"]);
    assert_eq!(code, 2);
}

#[test]
fn code_dataset_checks_are_replayed_in_the_sandbox() {
    let registry = sandbox::Registry::builtin();
    let python = registry.get("python").unwrap();
    let good = python
        .check_for("def add(a, b):\n    return a + b\n", "from solution import add\nassert add(2, 3) == 5\n");
    let bad = python
        .check_for("def add(a, b):\n    return a - b\n", "from solution import add\nassert add(2, 3) == 5\n");
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("data.jsonl");
    let rows: Vec<String> = [("code-0-0", &good), ("code-0-1", &bad)]
        .iter()
        .map(|(id, check)| serde_json::json!({"id": id, "lang": "python", "check": check}).to_string())
        .collect();
    std::fs::write(&file, rows.join("\n") + "\n").unwrap();
    let (code, stdout) = verify(&["--json", file.to_str().unwrap()]);
    assert_eq!(code, 1, "{stdout}");
    let s = summary(&stdout);
    assert_eq!(
        (s["total"].as_u64(), s["passed"].as_u64(), s["failed"].as_u64()),
        (Some(2), Some(1), Some(1)),
        "{stdout}"
    );
    assert!(stdout.contains("code-0-1"), "{stdout}");
}

/// A fresh `gen fol` file, as rows.
fn fol_rows(dir: &std::path::Path) -> Vec<serde_json::Value> {
    let out = dir.join("fol");
    let st = Command::new(env!("CARGO_BIN_EXE_gen"))
        .args(["fol", "--depth", "3", "-n", "9", "--seed", "2", "--format", "proverqa", "--out"])
        .arg(&out)
        .status()
        .unwrap();
    assert!(st.success());
    let text = std::fs::read_to_string(out.join("data.jsonl")).unwrap();
    text.lines().map(|l| serde_json::from_str(l).unwrap()).collect()
}

/// Writes `rows` with row `i` changed by `tamper`, verifies it, and returns (exit code,
/// stdout, the tampered row's id).
fn tampered(
    dir: &std::path::Path,
    rows: &[serde_json::Value],
    name: &str,
    tamper: impl Fn(&mut serde_json::Value),
) -> (i32, String, String) {
    let i = rows.iter().position(|r| r["meta"]["label"] == "True").unwrap();
    let mut rows = rows.to_vec();
    tamper(&mut rows[i]);
    let file = dir.join(format!("{name}.jsonl"));
    let text: Vec<String> = rows.iter().map(|r| r.to_string()).collect();
    std::fs::write(&file, text.join("\n") + "\n").unwrap();
    let (code, stdout) = verify(&["--json", file.to_str().unwrap()]);
    (code, stdout, rows[i]["id"].as_str().unwrap().to_string())
}

#[test]
fn every_claim_of_a_fol_record_is_re_proven_and_tampering_is_caught() {
    let tmp = tempfile::tempdir().unwrap();
    let rows = fol_rows(tmp.path());
    // Untouched, in both of its forms, every claim re-proves.
    let (code, stdout) = verify(&["--json", tmp.path().join("fol/data.jsonl").to_str().unwrap()]);
    assert_eq!(code, 0, "{stdout}");
    let s = summary(&stdout);
    for claim in ["steps", "depth", "distractors"] {
        assert!(s["claims"][claim]["checked"].as_u64().unwrap() > 0, "{claim}: {s}");
        assert_eq!(s["claims"][claim]["failed"], 0, "{claim}: {s}");
    }
    assert_eq!(s["claims"]["depth"]["checked"], 6, "the six True/False rows: {s}");
    let (code, stdout) = verify(&["--json", tmp.path().join("fol/data.proverqa.json").to_str().unwrap()]);
    assert_eq!((code, summary(&stdout)["agree"].as_u64()), (0, Some(9)), "{stdout}");

    // A wrong step: its conclusion negated.
    let (code, stdout, id) = tampered(tmp.path(), &rows, "step", |r| {
        let c = r["meta"]["steps"][1]["conclusion"].as_str().unwrap().to_string();
        r["meta"]["steps"][1]["conclusion"] = format!("¬({c})").into();
    });
    assert_eq!(code, 1, "{stdout}");
    assert!(stdout.contains(&format!("[{id}]: CLAIM FAILS (steps #2)")), "{stdout}");
    // (a later step that used the original conclusion fails too: its premise is unproven)
    assert!(summary(&stdout)["claims"]["steps"]["failed"].as_u64().unwrap() >= 1, "{stdout}");
    assert!(!stdout.contains("(steps #1)"), "{stdout}");

    // A step left out of the proof: the depth no longer matches.
    let (code, stdout, id) = tampered(tmp.path(), &rows, "depth", |r| {
        r["meta"]["steps"].as_array_mut().unwrap().remove(0);
    });
    assert_eq!(code, 1, "{stdout}");
    assert!(stdout.contains(&format!("[{id}]: CLAIM FAILS (depth)")), "{stdout}");

    // A chain rule removed from the context: the label no longer follows.
    let (code, stdout, id) = tampered(tmp.path(), &rows, "rule", |r| {
        let rule = r["meta"]["steps"][0]["premises"].as_array().unwrap().last().unwrap().clone();
        r["meta"]["narration"].as_array_mut().unwrap().retain(|n| n["fol"] != rule);
        r["nl2fol"].as_object_mut().unwrap().retain(|_, f| *f != rule);
    });
    assert_eq!(code, 1, "{stdout}");
    assert!(stdout.contains(&format!("[{id}]: DISAGREE: labelled True, proven Uncertain")), "{stdout}");

    // A chain rule passed off as a distractor: removing it changes the label.
    let (code, stdout, id) = tampered(tmp.path(), &rows, "distractor", |r| {
        let rule = r["meta"]["steps"][0]["premises"].as_array().unwrap().last().unwrap().clone();
        r["meta"]["distractors"].as_array_mut().unwrap().push(rule);
    });
    assert_eq!(code, 1, "{stdout}");
    assert!(stdout.contains(&format!("[{id}]: CLAIM FAILS (distractors #")), "{stdout}");
    assert!(stdout.contains("the label is Uncertain, not True"), "{stdout}");
}
