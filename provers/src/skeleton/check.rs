//! Z3's checks on a finished draft: consistency and label, each proof step, and the
//! necessity of every chain rule (which makes the depth the shortest proof's length).

use super::chain::Draft;
use super::{Checks, ProofStep, SkeletonError, StepVerdict, query};
use crate::ast::Formula;
use crate::prover::{Label, Prover, ProverError};

/// `Ok(Ok((checks, steps)))` when every check passed, with the proof steps carrying Z3's
/// verdicts; `Ok(Err(why))` when Z3 refuted the construction (the caller tries another);
/// `Err` when Z3 itself failed.
pub(crate) fn prove(
    d: &Draft,
    conclusion: &Formula,
    want: Label,
    prover: &Prover,
    queries: &mut u32,
) -> Result<Result<(Checks, Vec<ProofStep>), String>, SkeletonError> {
    let premises: Vec<Formula> = d.premises().into_iter().map(|p| p.formula).collect();
    let label = match query(queries, || prover.label(&premises, conclusion)) {
        Ok(l) => l,
        Err(ProverError::Inconsistent) => return Ok(Err("the premises are inconsistent".into())),
        Err(e) => return Err(e.into()),
    };
    if label != want {
        return Ok(Err(format!("wanted {want}, Z3 proved {label}")));
    }
    let mut checks = Checks { consistent: true, label: Some(label), ..Checks::default() };
    checks.distractors = d.distractors.len() as u32;

    match want {
        Label::True | Label::False => {
            let target =
                if want == Label::True { conclusion.clone() } else { Formula::not(conclusion.clone()) };
            for rule in &d.rules {
                let without: Vec<Formula> =
                    premises.iter().filter(|f| **f != rule.formula).cloned().collect();
                if query(queries, || prover.entails(&without, &target))? {
                    return Ok(Err(format!("the answer follows without chain rule {}", rule.formula)));
                }
                checks.rules_necessary += 1;
            }
        }
        Label::Uncertain => {
            // The withheld fact is what the chain lacks: restored, the goal follows.
            if let Some(w) = d.withheld {
                let mut restored = premises.clone();
                restored.push(d.fact(w));
                if !query(queries, || prover.entails(&restored, &d.fact(0)))? {
                    return Ok(Err("restoring the withheld fact does not prove the goal".into()));
                }
                // …and the context leaves it open, which the reasoning text says.
                if query(queries, || prover.label(&premises, &d.fact(w)))? != Label::Uncertain {
                    return Ok(Err("the context settles the withheld fact".into()));
                }
                checks.withheld_open = true;
            }
        }
    }

    let mut steps = d.steps();
    if matches!(want, Label::True | Label::False) && steps.len() != d.depth as usize {
        return Ok(Err(format!("{} proof steps for depth {}", steps.len(), d.depth)));
    }
    for step in &mut steps {
        let verdict = StepVerdict::of(query(queries, || prover.entails(&step.premises(), &step.conclusion))?);
        step.verdict = Some(verdict);
        if verdict != StepVerdict::Proved {
            return Ok(Err(format!("step to {} is not entailed by its premises", step.conclusion)));
        }
        checks.steps_entailed += 1;
    }
    Ok(Ok((checks, steps)))
}
