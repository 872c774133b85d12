//! `gen inspect` into a reader that has gone away (`gen inspect out/fol | head -3`) ends
//! quietly with status 0, as `cat` does, instead of panicking on a broken pipe.
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
fn inspect_into_a_closed_pipe_ends_quietly() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("fol");
    fol_dataset(&data);
    for extra in [&[][..], &["--json"], &["--sample", "3"]] {
        let mut child = Command::new(env!("CARGO_BIN_EXE_gen"))
            .arg("inspect")
            .arg(&data)
            .args(extra)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        // Close the only read end before the report is written: every write is EPIPE.
        drop(child.stdout.take());
        let out = child.wait_with_output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(!stderr.contains("panicked"), "{extra:?}: {stderr}");
        assert_eq!(out.status.code(), Some(0), "{extra:?}: {stderr}");
    }
}
