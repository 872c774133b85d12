//! `gen chat` on the local backend with the table's test model: the flags a user knows from
//! OpenAI's API mean the same here. Skips when the model is not installed, and fails
//! instead under `GEN_REQUIRE_ALL=1` (set by `scripts/test`).
#![cfg(feature = "local")]
#![allow(clippy::unwrap_used)]

use std::process::Command;

fn installed() -> bool {
    let path = llm::models::table().test_model().path();
    if path.is_file() {
        return true;
    }
    let why = format!("no model at {}; run scripts/setup", path.display());
    assert!(std::env::var_os("GEN_REQUIRE_ALL").is_none_or(|v| v != "1"), "GEN_REQUIRE_ALL: {why}");
    eprintln!("SKIP: {why}");
    false
}

fn chat(args: &[&str]) -> (Option<i32>, String, String) {
    let test_model = &llm::models::table().test;
    let out = Command::new(env!("CARGO_BIN_EXE_gen"))
        .args(["chat", "--local-model", test_model])
        .args(args)
        .env_remove("GEN_API_BASE")
        .output()
        .unwrap();
    let text = |b: &[u8]| String::from_utf8_lossy(b).into_owned();
    (out.status.code(), text(&out.stdout), text(&out.stderr))
}

#[test]
fn max_tokens_caps_the_answer_length() {
    if !installed() {
        return;
    }
    for n in ["5", "17"] {
        let (code, answer, summary) = chat(&["--max-tokens", n, "Write a long story about a dragon."]);
        assert_eq!(code, Some(0), "{summary}");
        assert!(!answer.trim().is_empty());
        assert!(summary.contains(&format!(" {n} completion tokens")), "--max-tokens {n}: {summary}");
    }
}

#[test]
fn timeout_applies_to_the_local_model() {
    if !installed() {
        return;
    }
    let (code, _, stderr) = chat(&["--timeout", "0.001", "--max-tokens", "200", "Write a long story."]);
    assert_eq!(code, Some(1), "{stderr}");
    assert!(stderr.contains("did not answer within"), "{stderr}");
    let (code, _, stderr) = chat(&["--timeout", "60", "--max-tokens", "4", "Say hi."]);
    assert_eq!(code, Some(0), "{stderr}");
}

/// Every schema `gen code` sends becomes a grammar llama.cpp takes (a program draft's
/// once did not, and every bash item of a real run failed on it).
#[test]
fn every_code_schema_is_a_grammar_the_local_model_takes() {
    if !installed() {
        return;
    }
    let spec = llm::models::table().test_model();
    let options = llm::local::LocalOptions { threads: Some(1), ..Default::default() };
    let model = llm::local::LocalModel::load_named(spec, options).unwrap();
    for schema in agents::code::answer::all_schemas() {
        assert!(model.constrains(&schema).unwrap(), "decoded without a grammar: {}", schema["title"]);
    }
}
