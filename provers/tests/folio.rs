//! The FOLIO v0.0 training split (1,004 expert-written problems, shipped in
//! `datasets/data/` under CC BY-SA 4.0): the parser and the encoding must cope with real
//! annotations.
#![allow(clippy::unwrap_used)]

use provers::verify::{RowError, problem_from_line};
use provers::{Prover, parse};
use rayon::prelude::*;
use std::path::PathBuf;

fn folio_train() -> String {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../datasets/data/folio-v0.0-train.jsonl");
    std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("{} is part of the repository: {e}", path.display()))
}

#[test]
fn folio_premise_sets_parse_and_are_consistent() {
    let text = folio_train();
    let rows: Vec<&str> = text.lines().filter(|l| !l.trim().is_empty()).collect();
    assert_eq!(rows.len(), 1004);
    let problems: Vec<_> = rows.iter().map(|r| problem_from_line(r)).collect();
    for p in &problems {
        if let Err(e) = p {
            assert!(matches!(e, RowError::Parse { .. }), "only parse errors expected, got {e:?}");
        }
    }
    let parsed: Vec<_> = problems.into_iter().filter_map(Result::ok).collect();
    let prover = Prover::new(20_000);
    let slow = prover.without_grounding();
    let verdicts: Vec<bool> = parsed.par_iter().map(|p| prover.satisfiable(&p.premises).unwrap()).collect();
    let slow_verdicts: Vec<bool> =
        parsed.par_iter().map(|p| slow.satisfiable(&p.premises).unwrap()).collect();
    assert_eq!(verdicts, slow_verdicts, "grounding and Z3's quantifier engine disagree");
    let consistent = verdicts.iter().filter(|v| **v).count();
    eprintln!("FOLIO train: {} of {} premise sets parse, {consistent} consistent", parsed.len(), rows.len());
    assert_eq!((parsed.len(), consistent), (PARSED, CONSISTENT));
}

const PARSED: usize = 976;
const CONSISTENT: usize = 969;

#[test]
fn every_parsed_folio_formula_round_trips_through_the_printer() {
    let text = folio_train();
    let mut checked = 0;
    for line in text.lines() {
        let v: serde_json::Value = serde_json::from_str(line).unwrap();
        for f in v["premises-FOL"].as_array().unwrap() {
            if let Ok(formula) = parse(f.as_str().unwrap()) {
                let printed = formula.to_string();
                assert_eq!(parse(&printed).as_ref(), Ok(&formula), "{printed}");
                checked += 1;
            }
        }
    }
    assert!(checked > 3000, "{checked}");
}
