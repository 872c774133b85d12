//! `gen exec` and `gen exec --list` as README shows them: every registered language is
//! listed with whether its toolchain is installed; a program and its tests run in the
//! sandbox, a failing test exits 1, and `--json` prints the execution record.

#![allow(clippy::unwrap_used)]

mod common;

use std::process::Command;

fn gen_exec(args: &[&str]) -> (Option<i32>, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_gen")).arg("exec").args(args).output().unwrap();
    (out.status.code(), String::from_utf8_lossy(&out.stdout).into_owned())
}

#[test]
fn exec_lists_languages_and_runs_programs_with_their_tests() {
    let (code, list) = gen_exec(&["--list"]);
    assert_eq!(code, Some(0), "{list}");
    let registry = sandbox::Registry::builtin();
    let require = std::env::var("GEN_REQUIRE_ALL").as_deref() == Ok("1");
    for lang in registry.languages() {
        let row = list.lines().find(|l| l.split_whitespace().next() == Some(lang.name.as_str()));
        let row = row.unwrap_or_else(|| panic!("{} is not listed: {list}", lang.name));
        let installed = lang.detect_toolchain().is_some();
        assert!(row.contains(if installed { " yes " } else { " no" }), "{row}");
        assert!(installed || !require, "GEN_REQUIRE_ALL: no toolchain for {}", lang.name);
    }
    if !common::sandbox_usable() {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let solution = tmp.path().join("solution.py");
    std::fs::write(&solution, "def add(a, b):\n    return a + b\n").unwrap();
    let good = tmp.path().join("test_good.py");
    std::fs::write(&good, "from solution import add\nassert add(2, 3) == 5\nprint('sum ok')\n").unwrap();
    let bad = tmp.path().join("test_bad.py");
    std::fs::write(&bad, "from solution import add\nassert add(2, 3) == 6\n").unwrap();
    let path = |p: &std::path::Path| p.to_str().unwrap().to_string();
    let (code, out) = gen_exec(&["--lang", "python", &path(&solution), "--tests", &path(&good), "--json"]);
    assert_eq!(code, Some(0), "{out}");
    let rec: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(rec["outcome"]["kind"].as_str().or(rec["outcome"].as_str()), Some("passed"), "{rec}");
    let (code, out) = gen_exec(&["--lang", "python", &path(&solution), "--tests", &path(&bad)]);
    assert_eq!(code, Some(1), "a failing test exits 1: {out}");
}
