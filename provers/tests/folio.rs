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

/// The premise sets of FOLIO train that are inconsistent as annotated (0-based line in
/// the file), each with a minimal unsat core read off the annotation by hand.
const INCONSISTENT: &[(usize, &[usize], &str)] = &[
    // `∀x ∀y (Larger(x, y) ↔ ¬Larger(y, x))` at x = y says Larger(x, x) ↔ ¬Larger(x, x).
    (317, &[2], "Larger is asymmetric by a biconditional"),
    (318, &[2], "Larger is asymmetric by a biconditional"),
    (319, &[2], "Larger is asymmetric by a biconditional"),
    // Premise 0 makes CanTake(y) need a taken prerequisite of y; premise 1 says a class
    // some x is not a prerequisite of can be taken; premise 4 says nothing is a
    // prerequisite of introgeology, so it can be taken (1) and cannot (0).
    (437, &[0, 1, 4], "prerequisites: the biconditional against 'no prerequisites'"),
    (438, &[0, 1, 4], "prerequisites: the biconditional against 'no prerequisites'"),
    (439, &[0, 1, 4], "prerequisites: the biconditional against 'no prerequisites'"),
    (440, &[0, 1, 4], "prerequisites: the biconditional against 'no prerequisites'"),
];

#[test]
fn folio_premise_sets_parse_and_only_the_listed_ones_are_inconsistent() {
    let text = folio_train();
    let rows: Vec<&str> = text.lines().collect();
    assert_eq!(rows.len(), 1004);
    let prover = Prover::new(20_000);
    let slow = prover.without_grounding();
    let problems: Vec<_> = rows.iter().map(|r| problem_from_line(r)).collect();
    // A row that does not parse names a formula of its own that really does not parse.
    for (n, p) in problems.iter().enumerate() {
        match p {
            Ok(_) => {}
            Err(RowError::Parse { formula, .. }) => {
                let row: serde_json::Value = serde_json::from_str(rows[n]).unwrap();
                let own = row["premises-FOL"].as_array().unwrap().iter().chain([&row["conclusion-FOL"]]);
                assert!(
                    own.filter_map(|f| f.as_str()).any(|f| f.trim() == formula.trim()),
                    "line {n}: {formula}"
                );
                assert!(parse(formula).is_err(), "line {n}: {formula} parses alone");
            }
            Err(e) => panic!("line {n}: only parse errors expected, got {e:?}"),
        }
    }
    let parsed: Vec<(usize, _)> =
        problems.into_iter().enumerate().filter_map(|(n, p)| p.ok().map(|p| (n, p))).collect();
    assert!(parsed.len() * 100 >= rows.len() * 95, "only {} of {} rows parse", parsed.len(), rows.len());
    let verdicts: Vec<bool> =
        parsed.par_iter().map(|(_, p)| prover.satisfiable(&p.premises).unwrap()).collect();
    let slow_verdicts: Vec<bool> =
        parsed.par_iter().map(|(_, p)| slow.satisfiable(&p.premises).unwrap()).collect();
    assert_eq!(verdicts, slow_verdicts, "grounding and Z3's quantifier engine disagree");
    let inconsistent: Vec<usize> =
        parsed.iter().zip(&verdicts).filter(|(_, sat)| !**sat).map(|((n, _), _)| *n).collect();
    let listed: Vec<usize> = INCONSISTENT.iter().map(|(n, _, _)| *n).collect();
    assert_eq!(inconsistent, listed, "the inconsistent premise sets are not the listed ones");
    // Each listed core is unsat on its own, and minimal: without any one premise it is sat.
    for (n, core, why) in INCONSISTENT {
        let p = &parsed.iter().find(|(m, _)| m == n).unwrap().1;
        let pick = |ks: &[usize]| ks.iter().map(|&k| p.premises[k].clone()).collect::<Vec<_>>();
        assert!(!prover.satisfiable(&pick(core)).unwrap(), "line {n}: the core is sat ({why})");
        for drop in *core {
            let rest: Vec<usize> = core.iter().copied().filter(|k| k != drop).collect();
            assert!(prover.satisfiable(&pick(&rest)).unwrap(), "line {n}: the core without {drop} is unsat");
        }
    }
}

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
