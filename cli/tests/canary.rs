//! The API key never leaves memory. With `OPENAI_API_KEY` set to a random canary and the
//! most verbose logging, plain and JSON, `gen code` and `gen fol --narrator llm` against
//! the mock server (and a run the server rejects with a 401 that echoes the key back)
//! write the canary nowhere: not on stdout or stderr, not in any file under `--out`
//! (records, failures, run.json, the card, exports, memory.sled), and a sandboxed
//! program does not see it in its environment.

#![allow(clippy::unwrap_used)]

mod common;

use llm::mock_server::{Fault, Faults, MockServer, MockServerConfig};
use std::path::Path;
use std::process::{Command, Stdio};

fn canary() -> String {
    let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_nanos();
    format!("sk-canary-{:x}{:x}", nanos, std::process::id())
}

/// Files under `dir` (recursively) whose bytes contain `needle`.
fn files_containing(dir: &Path, needle: &[u8]) -> Vec<String> {
    let mut hits = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).into_iter().flatten().flatten() {
            let p = entry.path();
            if p.is_dir() {
                stack.push(p);
            } else if std::fs::read(&p).is_ok_and(|b| b.windows(needle.len()).any(|w| w == needle)) {
                hits.push(p.display().to_string());
            }
        }
    }
    hits
}

/// Runs `gen ARGS` with the canary as the key; returns (exit code, stdout + stderr).
fn run(key: &str, args: &[&str], out: &Path) -> (Option<i32>, String) {
    let o = Command::new(env!("CARGO_BIN_EXE_gen"))
        .args(args)
        .arg("--out")
        .arg(out)
        .env("OPENAI_API_KEY", key)
        .env_remove("RUST_LOG")
        .env_remove("GEN_API_BASE")
        .stdin(Stdio::null())
        .output()
        .unwrap();
    let text = format!("{}{}", String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr));
    (o.status.code(), text)
}

fn assert_no_canary(key: &str, what: &str, output: &str, out: &Path) {
    assert!(!output.contains(key), "{what}: the key is in its output");
    let files = files_containing(out, key.as_bytes());
    assert!(files.is_empty(), "{what}: the key is in {files:?}");
}

#[test]
fn the_api_key_is_written_nowhere() {
    let key = canary();
    let tmp = tempfile::tempdir().unwrap();
    let (_serial, fol) = common::server(0);
    let fol_base = fol.server.base_url();
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let rejecting = runtime
        .block_on(MockServer::start(MockServerConfig {
            faults: Faults::Schedule(vec![Some(Fault::Status(401)); 64]),
            ..MockServerConfig::default()
        }))
        .unwrap();
    let sandbox_usable = common::sandbox_usable();
    let code = common::code_server();
    let code_base = code.server.base_url();
    let rejecting_base = rejecting.base_url();

    let mut runs = 0;
    for json in [false, true] {
        let log: &[&str] = if json { &["-vvv", "--log-json"] } else { &["-vvv"] };
        let tag = if json { "json" } else { "text" };
        let fol_args =
            ["fol", "--narrator", "llm", "--depth", "2", "-n", "2", "--seed", "3", "--model", "mock"];
        let out = tmp.path().join(format!("fol-{tag}"));
        let args: Vec<&str> =
            fol_args.iter().copied().chain(["--api-base", &fol_base]).chain(log.iter().copied()).collect();
        let (status, output) = run(&key, &args, &out);
        assert_eq!(status, Some(0), "{output}");
        assert_no_canary(&key, &format!("gen fol ({tag})"), &output, &out);

        let out = tmp.path().join(format!("rejected-{tag}"));
        let args: Vec<&str> = fol_args
            .iter()
            .copied()
            .chain(["--api-base", &rejecting_base])
            .chain(log.iter().copied())
            .collect();
        let (status, output) = run(&key, &args, &out);
        assert_ne!(status, Some(0), "a 401 fails the run: {output}");
        assert!(output.contains("401"), "the failure says why: {output}");
        assert_no_canary(&key, &format!("gen fol against a 401 ({tag})"), &output, &out);
        runs += 2;

        if sandbox_usable {
            let out = tmp.path().join(format!("code-{tag}"));
            let args: Vec<&str> =
                ["code", "--langs", "python", "-n", "2", "--seed", "1", "--model", "mock-coder"]
                    .into_iter()
                    .chain(["--api-base", &code_base, "--format", "chat,alpaca"])
                    .chain(log.iter().copied())
                    .collect();
            let (status, output) = run(&key, &args, &out);
            assert_eq!(status, Some(0), "{output}");
            assert!(out.join("memory.sled").exists() && out.join("data.chat.jsonl").exists());
            assert_no_canary(&key, &format!("gen code ({tag})"), &output, &out);
            runs += 1;
        }
    }
    assert!(rejecting.received() > 0, "the rejecting server was asked");
    assert!(
        fol.server.requests().iter().any(|r| r.authorization.as_deref() == Some(&format!("Bearer {key}")))
    );

    // What runs in the sandbox does not see the key either.
    if sandbox_usable {
        let program = tmp.path().join("env.py");
        std::fs::write(&program, "import os\nfor k, v in os.environ.items():\n    print(f'{k}={v}')\n")
            .unwrap();
        let o = Command::new(env!("CARGO_BIN_EXE_gen"))
            .args(["exec", "--lang", "python"])
            .arg(&program)
            .env("OPENAI_API_KEY", &key)
            .output()
            .unwrap();
        let stdout = String::from_utf8_lossy(&o.stdout);
        assert!(stdout.contains("PATH="), "the program ran and listed its environment: {stdout}");
        assert!(!stdout.contains(&key) && !stdout.contains("OPENAI_API_KEY"), "{stdout}");
        runs += 1;
    }
    assert!(runs >= 4, "{runs}");
}
