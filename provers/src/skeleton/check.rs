//! Z3's checks on a finished draft, the same for both generators: consistency and label,
//! the label without the distractors (where asked), each proof step, and the necessity of
//! every chain rule (which makes the depth the shortest proof's length) or, for an
//! Uncertain answer, the withheld fact's role.

use super::{Checks, ProofStep, StepVerdict, query};
use crate::ast::Formula;
use crate::prover::{Label, Prover, ProverError};

/// What a finished draft claims: each generator fills one from its own draft.
pub(crate) struct Claims {
    /// The context, chain and distractors together.
    pub premises: Vec<Formula>,
    /// The chain rules: a True or False answer must need every one of them.
    pub rules: Vec<Formula>,
    pub distractors: Vec<Formula>,
    /// Whether to prove the label without the distractors too (the monadic generator
    /// checks each distractor as it adds it instead).
    pub check_core: bool,
    /// The chain's goal fact, and the fact withheld from an Uncertain problem's context.
    pub goal: Formula,
    pub withheld: Option<Formula>,
    pub steps: Vec<ProofStep>,
    pub depth: u32,
}

/// `Ok((checks, steps))` when every check passed, with the proof steps carrying Z3's
/// verdicts; `Err(why)` when Z3 refuted the construction (the caller tries another).
pub(crate) type Proven = Result<(Checks, Vec<ProofStep>), String>;

/// Checks `claims` for `conclusion` with the label `want`; `Err` when Z3 itself failed
/// (an `unknown` among them, which the relational generator counts).
pub(crate) fn prove(
    claims: Claims,
    conclusion: &Formula,
    want: Label,
    prover: &Prover,
    queries: &mut u32,
) -> Result<Proven, ProverError> {
    let premises = &claims.premises;
    let label = match query(queries, || prover.label(premises, conclusion)) {
        Ok(l) => l,
        Err(ProverError::Inconsistent) => return Ok(Err("the premises are inconsistent".into())),
        Err(e) => return Err(e),
    };
    if label != want {
        return Ok(Err(format!("wanted {want}, Z3 proved {label}")));
    }
    if claims.check_core {
        // Entailment is monotone, so the same label without all distractors means the
        // same label without any subset of them.
        let core: Vec<Formula> =
            premises.iter().filter(|f| !claims.distractors.contains(f)).cloned().collect();
        match query(queries, || prover.label(&core, conclusion)) {
            Ok(l) if l == want => {}
            Ok(l) => return Ok(Err(format!("the distractors change the label ({l} without them)"))),
            Err(ProverError::Inconsistent) => return Ok(Err("the chain is inconsistent".into())),
            Err(e) => return Err(e),
        }
    }
    let mut checks = Checks { consistent: true, label: Some(label), ..Checks::default() };
    checks.distractors = claims.distractors.len() as u32;
    match want {
        Label::True | Label::False => {
            let target = if want == Label::True { conclusion.clone() } else { negate(conclusion) };
            for rule in &claims.rules {
                let without: Vec<Formula> = premises.iter().filter(|f| *f != rule).cloned().collect();
                if query(queries, || prover.entails(&without, &target))? {
                    return Ok(Err(format!("the answer follows without chain rule {rule}")));
                }
                checks.rules_necessary += 1;
            }
        }
        Label::Uncertain => {
            // The withheld fact is what the chain lacks: restored, the goal follows…
            if let Some(w) = &claims.withheld {
                let mut restored = premises.clone();
                restored.push(w.clone());
                if !query(queries, || prover.entails(&restored, &claims.goal))? {
                    return Ok(Err("restoring the withheld fact does not prove the goal".into()));
                }
                // …and the context leaves it open, which the reasoning text says.
                match query(queries, || prover.label(premises, w)) {
                    Ok(Label::Uncertain) => checks.withheld_open = true,
                    Ok(_) => return Ok(Err("the context settles the withheld fact".into())),
                    Err(ProverError::Inconsistent) => return Ok(Err("the premises are inconsistent".into())),
                    Err(e) => return Err(e),
                }
            }
        }
    }
    let mut steps = claims.steps;
    if matches!(want, Label::True | Label::False) && steps.len() != claims.depth as usize {
        return Ok(Err(format!("{} proof steps for depth {}", steps.len(), claims.depth)));
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

/// `¬f`, without a double negation.
pub(crate) fn negate(f: &Formula) -> Formula {
    match f {
        Formula::Not(a) => (**a).clone(),
        other => Formula::not(other.clone()),
    }
}
