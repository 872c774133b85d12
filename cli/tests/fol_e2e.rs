//! `gen fol` end to end: what it writes re-verifies with `gen verify`, labels are
//! balanced, and a killed run resumes with every id exactly once.

#![allow(clippy::unwrap_used)]

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::process::{Command, Stdio};

fn gen_cmd() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_gen"));
    c.env_remove("GEN_API_BASE");
    c
}

fn records(dir: &Path) -> Vec<serde_json::Value> {
    let text = std::fs::read_to_string(dir.join("data.jsonl")).unwrap();
    assert!(text.is_empty() || text.ends_with('\n'), "torn last line");
    text.lines().map(|l| serde_json::from_str(l).unwrap()).collect()
}

/// Complete lines in a file a killed writer may have torn.
fn records_lenient(path: &Path) -> usize {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    text.lines().filter(|l| serde_json::from_str::<serde_json::Value>(l).is_ok()).count()
}

#[test]
fn generated_problems_reverify_and_labels_balance() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("fol");
    let st = gen_cmd()
        .args(["fol", "--depth", "3", "-n", "30", "--seed", "11", "--out"])
        .arg(&out)
        .status()
        .unwrap();
    assert!(st.success());
    let recs = records(&out);
    assert_eq!(recs.len(), 30);
    let mut labels = BTreeMap::new();
    for r in &recs {
        *labels.entry(r["meta"]["label"].as_str().unwrap().to_string()).or_insert(0) += 1;
        assert_eq!(r["meta"]["depth"], 3);
        assert!(
            r["reasoning"]
                .as_str()
                .unwrap()
                .ends_with(&format!("The correct option is: {}.", r["answer"].as_str().unwrap()))
        );
    }
    assert_eq!(labels.values().copied().collect::<Vec<_>>(), vec![10, 10, 10], "{labels:?}");
    let v = gen_cmd().args(["verify", "--json"]).arg(out.join("data.jsonl")).output().unwrap();
    let stdout = String::from_utf8_lossy(&v.stdout);
    assert!(v.status.success(), "{stdout}");
    let summary: serde_json::Value = serde_json::from_str(stdout.lines().last().unwrap()).unwrap();
    assert_eq!(summary["agree"], 30, "{summary}");
    assert!(out.join("card.md").exists());
}

#[test]
fn killed_run_resumes_with_each_id_once() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("fol");
    let args = ["fol", "--depth", "4", "-n", "400", "--seed", "5", "--out"];
    // Kill the first run part-way (SIGKILL: no chance to clean up).
    let mut child =
        gen_cmd().args(args).arg(&out).stdout(Stdio::null()).stderr(Stdio::null()).spawn().unwrap();
    let data = out.join("data.jsonl");
    let started = std::time::Instant::now();
    while std::fs::metadata(&data).map(|m| m.len()).unwrap_or(0) < 2000
        && started.elapsed() < std::time::Duration::from_secs(60)
    {
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
    child.kill().unwrap();
    let status = child.wait().unwrap();
    // The kill landed while the run was working: it died by SIGKILL, part-way through.
    use std::os::unix::process::ExitStatusExt;
    assert_eq!(status.signal(), Some(9), "the first run ended before the kill: {status:?}");
    let partial = records_lenient(&data);
    assert!(partial > 0 && partial < 400, "{partial} records when killed");
    // Re-run the same command to completion.
    let st = gen_cmd().args(args).arg(&out).stdout(Stdio::null()).status().unwrap();
    assert!(st.success());
    let recs = records(&out);
    let ids: BTreeSet<&str> = recs.iter().map(|r| r["id"].as_str().unwrap()).collect();
    assert_eq!(recs.len(), 400);
    assert_eq!(ids.len(), 400, "duplicate ids after resume");
    assert!((0..400).all(|i| ids.contains(format!("fol-5-{i}").as_str())));
}

#[test]
fn a_depth_range_spreads_problems_with_labels_balanced_within_each_depth() {
    let tmp = tempfile::tempdir().unwrap();
    for (flags, depths) in [(["--depth", "1-2"], vec![1, 2]), (["--tier", "hard"], vec![6, 7, 8, 9])] {
        let out = tmp.path().join(flags[1]);
        let n = 6 * depths.len();
        let st = gen_cmd()
            .args(["fol", "-n", &n.to_string(), "--seed", "8"])
            .args(flags)
            .arg("--out")
            .arg(&out)
            .stdout(Stdio::null())
            .status()
            .unwrap();
        assert!(st.success());
        let mut by_depth: BTreeMap<u64, BTreeMap<String, u32>> = BTreeMap::new();
        for r in records(&out) {
            let label = r["meta"]["label"].as_str().unwrap().to_string();
            *by_depth.entry(r["meta"]["depth"].as_u64().unwrap()).or_default().entry(label).or_default() += 1;
        }
        assert_eq!(by_depth.keys().copied().collect::<Vec<_>>(), depths, "{flags:?}: {by_depth:?}");
        assert!(
            by_depth.values().all(|l| l.len() == 3 && l.values().all(|&c| c == 2)),
            "{flags:?}: {by_depth:?}"
        );
        let v = gen_cmd().args(["verify"]).arg(out.join("data.jsonl")).output().unwrap();
        assert!(v.status.success(), "{}", String::from_utf8_lossy(&v.stdout));
    }
}

/// `--logic relational` (issue #20): 300 problems at depth 5 re-proven by `gen verify`
/// with 0 disagreements and every claim re-proven, labels balanced, every sentence read
/// back by the parser, and the `--smtlib` files give the same answers in the `z3` CLI.
#[test]
fn relational_problems_reverify_and_their_smtlib_agrees_with_the_z3_cli() {
    use std::io::Write;
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("rel");
    let smt = tmp.path().join("smt");
    let st = gen_cmd()
        .args(["fol", "--logic", "relational", "--depth", "5", "-n", "300", "--seed", "5", "--smtlib"])
        .arg(&smt)
        .arg("--out")
        .arg(&out)
        .status()
        .unwrap();
    assert!(st.success());
    let recs = records(&out);
    assert_eq!(recs.len(), 300);
    let mut labels = BTreeMap::new();
    let mut relational = 0;
    for r in &recs {
        *labels.entry(r["meta"]["label"].as_str().unwrap().to_string()).or_insert(0) += 1;
        assert_eq!(r["meta"]["depth"], 5);
        for n in r["meta"]["narration"].as_array().unwrap() {
            assert_eq!(n["verified_by"], "parser", "{n}");
        }
        // A binary predicate prints its arguments as `(x, y)`.
        relational += usize::from(r["nl2fol"].to_string().contains(", "));
    }
    assert!(relational >= 250, "{relational} of 300 problems mention a relation");
    assert_eq!(labels.values().copied().collect::<Vec<_>>(), vec![100, 100, 100], "{labels:?}");
    let v = gen_cmd().args(["verify", "--json"]).arg(out.join("data.jsonl")).output().unwrap();
    let stdout = String::from_utf8_lossy(&v.stdout);
    assert!(v.status.success(), "{stdout}");
    let summary: serde_json::Value = serde_json::from_str(stdout.lines().last().unwrap()).unwrap();
    assert_eq!((summary["agree"].as_u64(), summary["disagree"].as_u64()), (Some(300), Some(0)), "{summary}");
    for claim in ["steps", "depth", "distractors"] {
        assert_eq!(summary["claims"][claim]["failed"], 0, "{summary}");
        assert!(summary["claims"][claim]["checked"].as_u64().unwrap() > 0, "{summary}");
    }
    // One z3 process over all files, each problem after a (reset).
    let mut script = String::new();
    for r in &recs {
        let text = std::fs::read_to_string(smt.join(format!("{}.smt2", r["id"].as_str().unwrap()))).unwrap();
        script.push_str("(reset)\n");
        script.push_str(&text);
    }
    let mut child = Command::new("z3")
        .arg("-in")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("the z3 CLI (scripts/setup installs Debian's z3)");
    child.stdin.take().unwrap().write_all(script.as_bytes()).unwrap();
    let answers = String::from_utf8(child.wait_with_output().unwrap().stdout).unwrap();
    let answers: Vec<&str> = answers.lines().collect();
    assert_eq!(answers.len(), 3 * recs.len(), "{answers:?}");
    for (r, a) in recs.iter().zip(answers.chunks(3)) {
        let label = match a {
            ["sat", "unsat", _] => "True",
            ["sat", _, "unsat"] => "False",
            ["sat", "sat", "sat"] => "Uncertain",
            other => panic!("{}: z3 said {other:?}", r["id"]),
        };
        assert_eq!(r["meta"]["label"], label, "{}", r["id"]);
    }
}
