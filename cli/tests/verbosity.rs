//! Logging never changes what a run does: every subcommand, run with `-v`, `-vv`, `-vvv`
//! and `--log-json`, exits as it does without them and writes the same files and records.
//! (At `-vv`, the z3 crate's log of every dropped AST once aborted `gen fol` when a worker
//! thread's Z3 engine went away after tracing's thread-locals.)

#![allow(clippy::unwrap_used)]

mod common;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

const LOUD: [&[&str]; 4] = [&["-v"], &["-vv"], &["-vvv"], &["--log-json"]];

/// What a run left behind, timing aside.
#[derive(Debug, PartialEq, Eq)]
struct Outcome {
    status: Option<i32>,
    /// Files in the output directory, if the run has one.
    files: BTreeSet<String>,
    /// `data.jsonl`'s ids, in order.
    ids: Vec<String>,
}

fn outcome(cmd: &mut Command, out: Option<&Path>) -> Outcome {
    let run = cmd.stdin(Stdio::null()).stdout(Stdio::null()).output().unwrap();
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert!(!stderr.contains("panicked"), "a panic: {stderr}");
    let files = out
        .and_then(|d| std::fs::read_dir(d).ok())
        .map(|entries| entries.map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect())
        .unwrap_or_default();
    let ids = out
        .and_then(|d| std::fs::read_to_string(d.join("data.jsonl")).ok())
        .map(|t| {
            t.lines()
                .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap()["id"].as_str().unwrap().into())
                .collect()
        })
        .unwrap_or_default();
    Outcome { status: run.status.code(), files, ids }
}

/// Runs `args` (with `{out}` replaced by a fresh directory) quietly, requiring exit
/// `status`, and then with each loud flag, requiring the same outcome each time.
fn same_when_loud(name: &str, args: &[&str], writes_dir: bool, status: i32) {
    let tmp = tempfile::tempdir().unwrap();
    let run = |flags: &[&str], k: usize| {
        let out: PathBuf = tmp.path().join(format!("out{k}"));
        let mut c = Command::new(env!("CARGO_BIN_EXE_gen"));
        c.env_remove("RUST_LOG").env_remove("OPENAI_API_KEY").env_remove("GEN_API_BASE");
        for a in args {
            c.arg(a.replace("{out}", out.to_str().unwrap()));
        }
        c.args(flags);
        outcome(&mut c, writes_dir.then_some(out.as_path()))
    };
    let quiet = run(&[], 0);
    assert_eq!(quiet.status, Some(status), "{name}: exit status");
    if writes_dir {
        assert!(quiet.files.contains("data.jsonl"), "{name}: {quiet:?}");
    }
    for (k, flags) in LOUD.iter().enumerate() {
        assert_eq!(run(flags, k + 1), quiet, "{name} with {flags:?}");
    }
}

#[test]
fn fol_verify_inspect_merge_are_the_same_when_loud() {
    same_when_loud("fol", &["fol", "--depth", "2", "-n", "30", "--seed", "4", "--out", "{out}"], true, 0);
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("fol");
    let st = Command::new(env!("CARGO_BIN_EXE_gen"))
        .args(["fol", "--depth", "2", "-n", "6", "--seed", "4", "--out"])
        .arg(&data)
        .status()
        .unwrap();
    assert!(st.success());
    let file = data.join("data.jsonl");
    let (dir, file) = (data.to_str().unwrap(), file.to_str().unwrap());
    same_when_loud("verify", &["verify", "--json", file], false, 0);
    same_when_loud("inspect", &["inspect", dir], false, 0);
    same_when_loud("merge", &["merge", dir, dir, "--out", "{out}"], true, 0);
    // A usage error exits 2 however loud.
    same_when_loud("fol --depth 0", &["fol", "--depth", "0", "--out", "{out}"], false, 2);
}

#[test]
fn llm_backed_runs_are_the_same_when_loud() {
    let (_serial, fol_server) = common::server(0);
    let base = fol_server.server.base_url();
    same_when_loud(
        "fol --narrator llm",
        &[
            "fol",
            "--narrator",
            "llm",
            "--depth",
            "2",
            "-n",
            "2",
            "--seed",
            "3",
            "--model",
            "mock",
            "--api-base",
            &base,
            "--out",
            "{out}",
        ],
        true,
        0,
    );
    same_when_loud("chat", &["chat", "--api-base", &base, "--model", "mock", "Sentence: hello"], false, 0);
    if !common::sandbox_usable() {
        return;
    }
    let code = common::code_server();
    let base = code.server.base_url();
    same_when_loud(
        "code",
        &[
            "code",
            "--langs",
            "python",
            "-n",
            "1",
            "--seed",
            "1",
            "--model",
            "mock-coder",
            "--api-base",
            &base,
            "--out",
            "{out}",
        ],
        true,
        0,
    );
    let tmp = tempfile::tempdir().unwrap();
    let program = tmp.path().join("hello.py");
    std::fs::write(&program, "print('hello')\n").unwrap();
    same_when_loud("exec", &["exec", "--lang", "python", program.to_str().unwrap()], false, 0);
}
