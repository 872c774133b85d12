#![allow(clippy::unwrap_used)]

use datasets::stats::{DatasetKind, summarize};
use datasets::{FolRecord, Label, RunInfo, card};
use std::path::PathBuf;

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures").join(name)
}

#[test]
fn fol_summary_of_a_partial_file() {
    let s = summarize(&fixture("fol")).unwrap();
    assert_eq!(s.kind, DatasetKind::Fol);
    assert_eq!(s.records, 6);
    assert!(s.torn_tail, "the fixture ends in a partial line");
    assert_eq!(s.bad_lines, 0);
    let fol = s.fol.unwrap();
    assert_eq!(fol.labels["True"], 3);
    assert_eq!(fol.labels["False"], 2);
    assert_eq!(fol.labels["Uncertain"], 1);
    assert_eq!(fol.label_by_depth[&2]["Uncertain"], 1);
    assert_eq!(fol.label_by_depth[&3].values().sum::<u64>(), 2);
    // context = depth rules + 1 fact + distractors.
    assert_eq!((fol.premises.min, fol.premises.max), (2, 7));
    assert_eq!(fol.distractors.max, 3);
    assert_eq!(fol.steps.mean, 2.0);
    assert_eq!(fol.narration["llm"], 1);
    assert_eq!(fol.narration["fallback"], 1);
    let total: u64 = fol.narration.values().sum();
    let rate = fol.narration_verified_rate.unwrap();
    assert!((rate - (total - 1) as f64 / total as f64).abs() < 1e-9);
    assert_eq!(fol.narration_fallback_rate, Some(0.5));
}

#[test]
fn code_summary_joins_failures_and_run_costs() {
    let s = summarize(&fixture("code")).unwrap();
    assert_eq!(s.kind, DatasetKind::Code);
    assert_eq!(s.records, 5);
    assert!(!s.torn_tail);
    // code-9-7 failed twice; it counts once.
    assert_eq!(s.failures.total, 4);
    assert_eq!(s.failures.by_limit.len(), 1);
    assert_eq!(s.failures.by_limit["memory_limit"], 1);
    let code = s.code.unwrap();
    let py = &code.per_lang["python"];
    assert_eq!((py.kept, py.dropped_total), (3, 2));
    assert_eq!(py.yield_rate, Some(0.6));
    let rust = &code.per_lang["rust"];
    assert_eq!((rust.kept, rust.dropped["tests"], rust.dropped["vacuous_tests"]), (1, 1, 1));
    assert_eq!(code.per_lang["go"].yield_rate, Some(1.0));
    assert_eq!(code.tokens_per_kept, Some(2000.0));
    assert!((code.cost_per_kept_usd.unwrap() - 0.01).abs() < 1e-12);
    assert_eq!(code.solution_lines.max, 2);
    assert_eq!(py.runtime_ms.max, 50);
    assert_eq!(code.not_passed, 0);
}

#[test]
fn reading_a_single_file_ignores_siblings_unless_it_is_data_jsonl() {
    let s = summarize(&fixture("code").join("data.jsonl")).unwrap();
    assert_eq!(s.failures.total, 4);
    assert!(s.run.is_some());
    let dir = tempfile::tempdir().unwrap();
    let other = dir.path().join("mine.jsonl");
    std::fs::copy(fixture("code").join("data.jsonl"), &other).unwrap();
    std::fs::copy(fixture("code").join("run.json"), dir.path().join("run.json")).unwrap();
    let s = summarize(&other).unwrap();
    assert!(s.run.is_none());
    assert_eq!(s.records, 5);
}

#[test]
fn missing_dataset_is_an_error_naming_it() {
    let dir = tempfile::tempdir().unwrap();
    let err = summarize(dir.path()).unwrap_err().to_string();
    assert!(err.contains(&dir.path().display().to_string()), "{err}");
    assert!(summarize(&dir.path().join("nope.jsonl")).is_err());
}

fn yaml_header(card: &str) -> serde_yaml::Value {
    let body = card.strip_prefix("---\n").unwrap();
    let end = body.find("\n---\n").unwrap();
    serde_yaml::from_str(&body[..end]).unwrap()
}

#[test]
fn code_card_has_a_valid_header_and_the_numbers() {
    let s = summarize(&fixture("code")).unwrap();
    let run = RunInfo::read(&fixture("code")).unwrap().unwrap();
    let card = card::render(&s, &run);
    let y = yaml_header(&card);
    assert_eq!(y["size_categories"][0], "n<1K");
    assert_eq!(y["dataset_info"]["splits"][0]["num_examples"], 5);
    assert_eq!(y["configs"][0]["data_files"][0]["path"], "data.jsonl");
    let features = y["dataset_info"]["features"].as_sequence().unwrap();
    let names: Vec<&str> = features.iter().map(|f| f["name"].as_str().unwrap()).collect();
    assert!(names.contains(&"solution") && names.contains(&"verification"), "{names:?}");
    for needle in [
        "gen code -n 5 --seed 9",
        "| seed | 9 |",
        "| model | mock |",
        "deadbeef",
        "| python | 3 | 2 | 60.0% | – | compile 1, tests 1 |",
        "| vacuous_tests | 1 |",
        "the sandbox's limits ended the deciding run of",
        "| memory_limit | 1 |",
        "Model tokens per kept sample: 2000.",
        "| stop reason | done |",
    ] {
        assert!(card.contains(needle), "card lacks {needle:?}:\n{card}");
    }
}

#[test]
fn fol_card_has_label_by_depth_and_notes_a_partial_file() {
    let s = summarize(&fixture("fol")).unwrap();
    let run = RunInfo {
        generator: "fol".into(),
        seed: 5,
        command_line: "gen fol -n 6".into(),
        ..RunInfo::default()
    };
    let card = card::render(&s, &run);
    let y = yaml_header(&card);
    assert_eq!(y["task_categories"][0], "question-answering");
    for needle in [
        "| depth | False | True | Uncertain | total |",
        "| 2 | 0 | 1 | 1 | 2 |",
        "| all | 2 | 3 | 1 | 6 |",
        "partial last line: true",
        "| model | none (templates) |",
        "gen verify data.jsonl",
    ] {
        assert!(card.contains(needle), "card lacks {needle:?}:\n{card}");
    }
}

#[test]
fn fixture_records_read_as_typed_records() {
    // The fixture pins the on-disk format of schema version 1.
    let text = std::fs::read_to_string(fixture("fol").join("data.jsonl")).unwrap();
    let first: FolRecord = serde_json::from_str(text.lines().next().unwrap()).unwrap();
    assert_eq!(first.meta.label, Some(Label::True));
    assert_eq!(first.answer, Label::True.option_letter());
    assert_eq!(first.nl2fol.len(), first.meta.narration.len());
    assert!(first.context.starts_with(first.nl2fol.iter().next().unwrap().0), "nl2fol keeps context order");
    let text = std::fs::read_to_string(fixture("code").join("data.jsonl")).unwrap();
    for line in text.lines() {
        let rec: datasets::CodeRecord = serde_json::from_str(line).unwrap();
        assert!(rec.verification.passed);
        // Records of schema version 1 (before signature, cases and family) still read.
        assert_eq!(rec.schema_version, 1);
        assert!(rec.signature.is_none() && rec.cases.is_empty());
    }
}

#[test]
fn a_run_without_records_yet_summarizes_as_empty() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(fixture("code").join("failures.jsonl"), dir.path().join("failures.jsonl")).unwrap();
    std::fs::write(dir.path().join("data.chat.jsonl"), "{\"messages\":[]}\n").unwrap();
    let s = summarize(dir.path()).unwrap();
    assert_eq!(s.kind, DatasetKind::Empty);
    assert_eq!((s.records, s.failures.total), (0, 4));
    let card = card::render(&s, &RunInfo { generator: "code".into(), ..RunInfo::default() });
    assert!(card.contains("| tests | 2 |"), "{card}");
}

#[test]
fn the_card_shows_mutation_scores_per_language() {
    let dir = tempfile::tempdir().unwrap();
    let rec = |lang: &str, score: f64| {
        serde_json::json!({"id": format!("code-1-{score}"), "lang": lang, "instruction": "Write f.", "response": "",
            "solution": "x", "tests": "y", "verification": {"compiled": true, "passed": true, "runtime_ms": 5,
            "mutation_score": score}, "schema_version": 2})
        .to_string()
    };
    let lines = [rec("go", 0.5), rec("go", 1.0), rec("go", 0.75), rec("rust", 0.9)].join("\n");
    std::fs::write(dir.path().join("data.jsonl"), lines + "\n").unwrap();
    let s = summarize(dir.path()).unwrap();
    let card = card::render(&s, &RunInfo { generator: "code".into(), ..RunInfo::default() });
    assert!(card.contains("| go | 3 | 0 | 100.0% | 0.50 / 0.75 / 1.00 |"), "{card}");
    assert!(card.contains("| rust | 1 | 0 | 100.0% | 0.90 / 0.90 / 0.90 |"), "{card}");
}
