//! `gen code` as a user runs it against an OpenAI-compatible endpoint (the in-process mock
//! server): it keeps exactly `-n` samples, each one's check replays green with
//! `gen verify`, and the tests of each fail against an empty solution.

#![allow(clippy::unwrap_used)]

mod common;

use std::process::{Command, Stdio};

#[test]
fn gen_code_on_an_openai_endpoint_keeps_samples_that_replay() {
    if !common::sandbox_usable() {
        return;
    }
    let server = common::code_server();
    let server = &server.server;
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("code");
    let run = Command::new(env!("CARGO_BIN_EXE_gen"))
        .args(["code", "--langs", "python", "-n", "3", "--seed", "1", "--model", "mock-coder", "--api-base"])
        .arg(server.base_url())
        .arg("--out")
        .arg(&out)
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert!(run.status.success(), "{}", String::from_utf8_lossy(&run.stderr));
    let text = std::fs::read_to_string(out.join("data.jsonl")).unwrap();
    let records: Vec<serde_json::Value> = text.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(records.len(), 3);
    for r in &records {
        assert!(r["signature"].as_str().is_some_and(|s| s.ends_with("(x: int) -> int")), "{r}");
        assert!(r["cases"].as_array().is_some_and(|c| c.len() >= 5), "{r}");
        assert!(r["family"].is_string() && r["verification"]["fresh_solve_tries"] == 1, "{r}");
    }
    assert!(server.requests().iter().any(|r| r.json_schema.is_some()), "structured output is asked for");
    let card = std::fs::read_to_string(out.join("card.md")).unwrap();
    assert!(card.contains("python"), "{card}");

    let verify = Command::new(env!("CARGO_BIN_EXE_gen"))
        .args(["verify", "--json"])
        .arg(out.join("data.jsonl"))
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&verify.stdout);
    assert!(verify.status.success(), "{stdout}");
    let summary: serde_json::Value = serde_json::from_str(stdout.lines().last().unwrap()).unwrap();
    assert_eq!(summary["passed"], 3, "{stdout}");

    // Non-vacuous: every kept sample's tests fail when the solution is emptied.
    let sb = sandbox::Sandbox::new(sandbox::SandboxOptions::default()).unwrap();
    for r in &records {
        let mut check: sandbox::Check = serde_json::from_value(r["check"].clone()).unwrap();
        check.files.insert("solution.py".into(), String::new());
        assert!(!sb.replay(&check).unwrap().passed(), "{}: tests pass on an empty solution", r["id"]);
    }
}
