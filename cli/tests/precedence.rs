//! README: "Precedence: flag > environment > `gen.toml` > built-in default", shown on one
//! setting (the endpoint) with all four sources: three mock servers stand for the flag,
//! `GEN_API_BASE` and `gen.toml`, and the one asked is the one that should win.

#![allow(clippy::unwrap_used)]

use llm::mock_server::{MockServer, MockServerConfig};
use std::process::Command;

#[test]
fn flag_beats_environment_beats_config_file_beats_default() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let start = || runtime.block_on(MockServer::start(MockServerConfig::default())).unwrap();
    let (flag, env, file) = (start(), start(), start());
    let tmp = tempfile::tempdir().unwrap();
    let config = tmp.path().join("settings.toml");
    std::fs::write(&config, format!("[model]\napi_base = \"{}\"\nmodel = \"mock\"\n", file.base_url()))
        .unwrap();
    let chat = |flag_base: Option<&str>, env_base: Option<&str>, config_file: bool| {
        let mut c = Command::new(env!("CARGO_BIN_EXE_gen"));
        if config_file {
            c.arg("--config").arg(&config);
        }
        c.args(["chat", "--max-tokens", "4", "hello"]).env_remove("GEN_API_BASE").current_dir(tmp.path());
        if let Some(b) = flag_base {
            c.args(["--api-base", b, "--model", "mock"]);
        }
        if let Some(b) = env_base {
            c.env("GEN_API_BASE", b);
        }
        let out = c.output().unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    };
    let counts = || (flag.received(), env.received(), file.received());
    let (fb, eb) = (flag.base_url(), env.base_url());
    chat(Some(&fb), Some(&eb), true);
    assert_eq!(counts(), (1, 0, 0), "the flag wins over the environment and the file");
    chat(None, Some(&eb), true);
    assert_eq!(counts(), (1, 1, 0), "the environment wins over the file");
    chat(None, None, true);
    assert_eq!(counts(), (1, 1, 1), "the file wins over the default");
    // No source at all: the built-in default, the embedded model, asks no server.
    let model = llm::models::table().test_model().path();
    if !model.is_file() {
        assert!(
            std::env::var("GEN_REQUIRE_ALL").as_deref() != Ok("1"),
            "GEN_REQUIRE_ALL: no model at {model:?}"
        );
        eprintln!("SKIPPED: the default's leg needs the local test model (scripts/setup)");
        return;
    }
    let out = Command::new(env!("CARGO_BIN_EXE_gen"))
        .args(["chat", "--local-model", &llm::models::table().test, "--max-tokens", "4", "hello"])
        .env_remove("GEN_API_BASE")
        .current_dir(tmp.path())
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(counts(), (1, 1, 1), "the default asked no server");
}
