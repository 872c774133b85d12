//! A report into a reader that has gone away (`gen inspect out/fol | head -3`) ends
//! quietly with the command's own status, as `cat` does, instead of panicking on a broken
//! pipe. Every subcommand prints through the same writer; inspect and verify stand for them.
#![allow(clippy::unwrap_used)]

use std::process::{Command, Stdio};

fn fol_dataset(dir: &std::path::Path) {
    let st = Command::new(env!("CARGO_BIN_EXE_gen"))
        .args(["fol", "--depth", "2", "-n", "6", "--seed", "4", "--out"])
        .arg(dir)
        .stderr(Stdio::null())
        .status()
        .unwrap();
    assert!(st.success());
}

#[test]
fn reports_into_a_closed_pipe_end_quietly() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("fol");
    fol_dataset(&data);
    let (dir, file) = (data.to_str().unwrap(), data.join("data.jsonl"));
    let file = file.to_str().unwrap();
    let runs: [&[&str]; 5] = [
        &["inspect", dir],
        &["inspect", dir, "--json"],
        &["inspect", dir, "--sample", "3"],
        &["verify", file],
        &["verify", "--json", file],
    ];
    for args in runs {
        let mut child = Command::new(env!("CARGO_BIN_EXE_gen"))
            .args(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        // Close the only read end before the report is written: every write is EPIPE.
        drop(child.stdout.take());
        let out = child.wait_with_output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(!stderr.contains("panicked"), "{args:?}: {stderr}");
        assert_eq!(out.status.code(), Some(0), "{args:?}: {stderr}");
    }
}
