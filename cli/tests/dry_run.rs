//! README: "`--dry-run` makes no model calls and runs nothing in the sandbox." A `bwrap`
//! that logs its calls stands first on PATH (the sandbox finds bwrap there): a dry run of
//! `gen code` never starts it, while `gen exec` with the same PATH does (so the probe
//! can see a run), and a dry run writes no records.

#![allow(clippy::unwrap_used)]

use std::os::unix::fs::PermissionsExt;
use std::process::Command;

#[test]
fn a_dry_run_runs_nothing_in_the_sandbox() {
    let tmp = tempfile::tempdir().unwrap();
    let bin = tmp.path().join("bin");
    std::fs::create_dir(&bin).unwrap();
    // As root the sandbox runs bwrap under a slot uid: the log must be writable by it.
    std::fs::set_permissions(tmp.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    std::fs::set_permissions(&bin, std::fs::Permissions::from_mode(0o755)).unwrap();
    let log = tmp.path().join("bwrap.log");
    std::fs::write(&log, "").unwrap();
    std::fs::set_permissions(&log, std::fs::Permissions::from_mode(0o666)).unwrap();
    let fake = bin.join("bwrap");
    std::fs::write(&fake, format!("#!/bin/sh\necho \"bwrap $*\" >> '{}'\nexit 1\n", log.display())).unwrap();
    std::fs::set_permissions(&fake, std::fs::Permissions::from_mode(0o755)).unwrap();
    let path = format!("{}:{}", bin.display(), std::env::var("PATH").unwrap_or_default());
    let gen_with = |args: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_gen"))
            .args(args)
            .env("PATH", &path)
            .env_remove("GEN_API_BASE")
            .output()
            .unwrap()
    };

    let out = tmp.path().join("code");
    let dry =
        gen_with(&["code", "--dry-run", "--langs", "python,go", "-n", "3", "--out", out.to_str().unwrap()]);
    assert!(dry.status.success(), "{}", String::from_utf8_lossy(&dry.stderr));
    assert!(String::from_utf8_lossy(&dry.stdout).contains("model calls"), "it printed an estimate");
    let calls = std::fs::read_to_string(&log).unwrap();
    assert!(calls.is_empty(), "the dry run started bwrap: {calls}");
    let written = std::fs::read_to_string(out.join("data.jsonl")).unwrap_or_default();
    assert!(written.is_empty(), "a dry run wrote records");

    // The probe sees a real run.
    let program = tmp.path().join("hello.py");
    std::fs::write(&program, "print('hi')\n").unwrap();
    let exec = gen_with(&["exec", "--lang", "python", program.to_str().unwrap()]);
    assert!(
        std::fs::read_to_string(&log).is_ok_and(|l| l.starts_with("bwrap ")),
        "the fake bwrap was not reached: {:?} {} {}",
        exec.status,
        String::from_utf8_lossy(&exec.stdout),
        String::from_utf8_lossy(&exec.stderr)
    );
}
