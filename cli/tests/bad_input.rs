//! Bad input gets one clear line on stderr naming the flag and what is allowed, and exit 2.

#![allow(clippy::unwrap_used)]

use std::process::Command;

fn gen_cmd(args: &[&str]) -> (i32, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_gen"))
        .args(args)
        .env_remove("GEN_API_BASE")
        .current_dir(std::env::temp_dir())
        .output()
        .expect("gen runs");
    (out.status.code().unwrap_or(-1), String::from_utf8_lossy(&out.stderr).into_owned())
}

fn assert_usage_error(args: &[&str], must_mention: &[&str]) {
    let (code, stderr) = gen_cmd(args);
    assert_eq!(code, 2, "gen {args:?} should exit 2, got {code}; stderr: {stderr}");
    for word in must_mention {
        assert!(stderr.contains(word), "gen {args:?}: stderr should mention {word:?}: {stderr}");
    }
    let lines: Vec<&str> = stderr.lines().filter(|l| !l.trim().is_empty()).collect();
    assert_eq!(lines.len(), 1, "gen {args:?}: expected one line, got: {stderr}");
}

#[test]
fn bad_flags_exit_2_with_one_line() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let out = tmp.path().join("o");
    let out = out.to_str().expect("utf-8 path");
    assert_usage_error(&["fol", "--depth", "0", "--out", out], &["--depth", "between 1 and 12", "0"]);
    assert_usage_error(&["fol", "--depth", "1000", "--out", out], &["--depth", "1000"]);
    assert_usage_error(&["fol", "--depth", "5-3", "--out", out], &["--depth", "5-3"]);
    assert_usage_error(&["fol", "--tier", "extreme", "--out", out], &["--tier", "easy", "extreme"]);
    assert_usage_error(&["code", "--langs", "klingon", "--out", out], &["--langs", "klingon", "python"]);
    assert_usage_error(&["code", "--langs", "python", "-n", "-3", "--out", out], &["-n", "-3"]);
    assert_usage_error(&["code", "--protocol", "vibes", "--out", out], &["--protocol", "derived", "vibes"]);
    assert_usage_error(
        &["code", "--min-mutation-score", "2", "--out", out],
        &["--min-mutation-score", "0 and 1"],
    );
    assert_usage_error(&["fol", "--out", "/etc/passwd/sub"], &["--out", "/etc/passwd/sub"]);
    assert_usage_error(&["chat", "--api-base", "notaurl", "hello"], &["--api-base", "notaurl"]);
    assert_usage_error(&["fol", "--shard", "3/2", "--out", out], &["--shard"]);
    assert_usage_error(&["fol", "--narrator", "poet", "--out", out], &["--narrator", "template"]);
}

#[test]
fn local_model_problems_exit_2_with_one_line_naming_the_fix() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let out = tmp.path().join("o");
    let out = out.to_str().expect("utf-8 path");
    assert_usage_error(
        &["chat", "--local-model", "gpt-9", "hi"],
        &["--local-model", "gpt-9", "smollm2-135m"],
    );
    for flag in [["--rpm", "60"], ["--tpm", "9000"], ["--max-retries", "1"]] {
        assert_usage_error(
            &["code", "--langs", "python", flag[0], flag[1], "--out", out],
            &[flag[0], "--api-base"],
        );
    }
    assert_usage_error(
        &["chat", "--api-base", "http://127.0.0.1:9/v1", "--no-prefix-cache", "hi"],
        &["--no-prefix-cache"],
    );
    // Files that are not the model: missing, not GGUF, a GGUF header cut short. None
    // reaches a llama.cpp crash; each is one line with what to do.
    let garbage = tmp.path().join("garbage.gguf");
    std::fs::write(&garbage, b"<html>404</html>").expect("write");
    let cut = tmp.path().join("cut.gguf");
    std::fs::write(&cut, b"GGUF\x03\0\0\0\x10\0\0\0").expect("write");
    for (path, says) in [
        ("/nonexistent/m.gguf", "cannot open"),
        (garbage.to_str().unwrap(), "not a GGUF"),
        (cut.to_str().unwrap(), "truncated"),
    ] {
        assert_usage_error(&["chat", "--model-path", path, "hi"], &[path, says, "--model-path"]);
    }
    // A table model that is not installed names the setup command that installs it.
    let (code, stderr) = Command::new(env!("CARGO_BIN_EXE_gen"))
        .args(["chat", "--local-model", "smollm2-135m", "hi"])
        .env("GEN_MODEL_DIR", tmp.path())
        .output()
        .map(|o| (o.status.code(), String::from_utf8_lossy(&o.stderr).into_owned()))
        .expect("gen runs");
    assert_eq!(code, Some(2), "{stderr}");
    assert!(stderr.contains("scripts/setup --model smollm2-135m") && stderr.lines().count() == 1, "{stderr}");
}

#[test]
fn config_file_with_wrong_types_names_file_and_line() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let cfg = tmp.path().join("gen.toml");
    std::fs::write(&cfg, "[fol]\ndepth = 3\nnarrator = 5\n").expect("write config");
    let (code, stderr) = gen_cmd(&["--config", cfg.to_str().expect("utf-8"), "fol"]);
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("gen.toml:3"), "{stderr}");
}

#[test]
fn help_explains_every_subcommand() {
    let out = Command::new(env!("CARGO_BIN_EXE_gen")).arg("--help").output().expect("gen runs");
    assert!(out.status.success());
    let help = String::from_utf8_lossy(&out.stdout);
    for sub in ["fol", "code", "verify", "inspect", "merge", "chat", "exec"] {
        assert!(help.lines().any(|l| l.trim_start().starts_with(sub)), "--help lacks {sub}: {help}");
    }
}
