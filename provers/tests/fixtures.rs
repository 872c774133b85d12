//! Hand-made FOL problems with expected verdicts (tests/fixtures/*.jsonl), re-proven
//! through the same path as `gen verify`, and exported to SMT-LIB for the z3 CLI.
#![allow(clippy::unwrap_used)]

use provers::verify::{Finding, VerifyOptions, problem_from_line, verify_file};
use provers::{Label, Prover, ProverError, to_smtlib};
use std::path::{Path, PathBuf};

fn fixtures() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures")
}

fn report(name: &str) -> provers::verify::VerifyReport {
    verify_file(&fixtures().join(name), &VerifyOptions::default()).unwrap()
}

#[test]
fn every_labelled_fixture_agrees() {
    for name in
        ["connectives.jsonl", "quantifiers.jsonl", "xor_parity.jsonl", "equality.jsonl", "proverqa.jsonl"]
    {
        let r = report(name);
        let bad: Vec<_> = r.rows.iter().filter(|row| !matches!(row.finding, Finding::Agree { .. })).collect();
        assert!(bad.is_empty(), "{name}: {bad:#?}");
        assert!(r.summary.all_agree() && r.summary.total >= 4, "{name}: {:?}", r.summary);
    }
}

#[test]
fn inconsistent_premises_are_reported_never_labelled() {
    let r = report("inconsistent.jsonl");
    assert_eq!(r.summary.inconsistent, r.summary.total, "{:#?}", r.rows);
    assert_eq!(r.summary.parsed, r.summary.total);
    assert!(!r.summary.all_agree());
}

#[test]
fn malformed_formulas_are_parse_errors_naming_the_formula() {
    let r = report("malformed.jsonl");
    assert_eq!((r.summary.parsed, r.summary.errors), (0, 4), "{:#?}", r.rows);
    match &r.rows[0].finding {
        Finding::ParseError { field, formula, error } => {
            assert_eq!(field, "premises-FOL");
            assert_eq!(formula, "Superhero(captain america)");
            assert!(error.starts_with("line 1, column 19:"), "{error}");
        }
        other => panic!("{other:?}"),
    }
    match &r.rows[3].finding {
        Finding::ParseError { field, .. } => assert_eq!(field, "conclusion-FOL"),
        other => panic!("{other:?}"),
    }
}

#[test]
fn disagreements_are_counted() {
    let r = report("disagree.jsonl");
    assert_eq!((r.summary.agree, r.summary.disagree), (1, 1));
    assert_eq!(r.rows[0].finding, Finding::Disagree { expected: Label::False, proven: Label::True });
    assert_eq!(r.rows[0].id.as_deref(), Some("d0"));
}

fn z3_cli(script: &str) -> Option<Vec<String>> {
    use std::io::Write;
    let mut child = std::process::Command::new("z3")
        .arg("-in")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .ok()?;
    child.stdin.take().unwrap().write_all(script.as_bytes()).unwrap();
    let out = child.wait_with_output().unwrap();
    Some(String::from_utf8(out.stdout).unwrap().lines().map(str::to_string).collect())
}

fn label_from_cli(answers: &[String]) -> Result<Label, ProverError> {
    match answers {
        [c, ..] if c == "unsat" => Err(ProverError::Inconsistent),
        [_, neg, pos] => Ok(match (neg.as_str(), pos.as_str()) {
            ("unsat", _) => Label::True,
            (_, "unsat") => Label::False,
            _ => Label::Uncertain,
        }),
        other => panic!("unexpected z3 output {other:?}"),
    }
}

#[test]
fn smtlib_export_gets_the_same_answers_from_the_z3_cli() {
    if z3_cli("(check-sat)").is_none() {
        assert!(
            std::env::var("GEN_REQUIRE_ALL").as_deref() != Ok("1"),
            "GEN_REQUIRE_ALL: no `z3` CLI on PATH (scripts/setup installs Debian's z3)"
        );
        eprintln!("SKIPPED: no `z3` on PATH");
        return;
    }
    let prover = Prover::default();
    let mut checked = 0;
    let mut dir: Vec<_> = std::fs::read_dir(fixtures()).unwrap().map(|e| e.unwrap().path()).collect();
    dir.sort();
    // One z3 process per file keeps the test fast: each problem is wrapped in (reset).
    for path in dir.iter().filter(|p| p.extension().is_some_and(|e| e == "jsonl")) {
        let text = std::fs::read_to_string(Path::new(path)).unwrap();
        let problems: Vec<_> = text.lines().filter_map(|l| problem_from_line(l).ok()).collect();
        let script: String = problems
            .iter()
            .map(|p| format!("(reset)\n{}", to_smtlib(&p.premises, p.conclusion.as_ref().unwrap())))
            .collect();
        let answers = z3_cli(&script).unwrap();
        let mut answers = answers.into_iter();
        for p in &problems {
            let first: Vec<String> = answers.by_ref().take(3).collect();
            let api = prover.label(&p.premises, p.conclusion.as_ref().unwrap());
            assert_eq!(label_from_cli(&first), api, "{}: {:?}", path.display(), p.id);
            checked += 1;
        }
    }
    assert!(checked >= 55, "{checked}");
}
