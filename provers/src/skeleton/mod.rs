//! The symbolic generator of `gen fol`: a goal fact expanded top-down into a chain of
//! rules (ProverGen's nine shapes and their negated variants), leaves turned into facts,
//! distractors added, a conclusion chosen for the requested label, and every claim proven
//! by Z3: consistency, the label, each proof step, and the necessity of every chain rule
//! (so the depth is the length of the shortest proof, not a hope).
//!
//! Deterministic: the same (spec, vocabulary, seed) always yields the same skeleton.
//! No language here: predicates and individuals are names drawn from a [`Vocabulary`];
//! turning formulas into English is the narrator's job (crate `agents`).

mod chain;
mod check;
mod depths;
mod distract;
mod labels;
pub mod relational;
mod shape;

use crate::ast::Formula;
use crate::prover::{Label, Prover, ProverError};
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

pub use depths::{DepthError, DepthRange};
pub use labels::{LabelMix, LabelMixError};
pub use shape::Shape;

/// Deepest chain the generator builds.
pub const MAX_DEPTH: u32 = 12;

/// Fresh tries per problem before giving up; a try fails only when Z3 refutes a
/// construction (rare: e.g. a distractor about another individual clashes with a rule).
const MAX_ATTEMPTS: u32 = 16;

/// What to build.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SkeletonSpec {
    /// Rule applications in the shortest proof, 1..=[`MAX_DEPTH`].
    pub depth: u32,
    /// Distractor premises to add.
    pub distractors: u32,
    /// The answer the problem must have.
    pub label: Label,
}

impl SkeletonSpec {
    /// Distractors scale with depth unless asked otherwise.
    pub fn default_distractors(depth: u32) -> u32 {
        depth + 2
    }
}

/// The names a skeleton may use. Predicates are unary; the first individual drawn is the
/// problem's subject, others appear only in distractors.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Vocabulary {
    pub predicates: Vec<String>,
    pub individuals: Vec<String>,
}

impl Vocabulary {
    /// Predicates a spec can consume at most: the goal, two fresh ones per chain step, two
    /// per distractor.
    pub fn predicates_needed(spec: &SkeletonSpec) -> usize {
        1 + 2 * spec.depth as usize + 2 * spec.distractors as usize
    }

    /// Abstract names (`p0`, `p1`, … and `c0`, `c1`, …), for tests and benchmarks.
    pub fn synthetic(predicates: usize, individuals: usize) -> Vocabulary {
        Vocabulary {
            predicates: (0..predicates).map(|i| format!("p{i}")).collect(),
            individuals: (0..individuals).map(|i| format!("c{i}")).collect(),
        }
    }
}

/// What a premise is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// A leaf of the proof, stated as a fact.
    Fact,
    /// A rule the proof applies.
    Rule,
    /// A fact the proof does not use.
    DistractorFact,
    /// A rule the proof does not use.
    DistractorRule,
}

impl Role {
    pub fn is_distractor(self) -> bool {
        matches!(self, Role::DistractorFact | Role::DistractorRule)
    }
}

/// One context premise.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Premise {
    pub formula: Formula,
    pub role: Role,
    /// The rule shape, for rules.
    pub shape: Option<Shape>,
}

/// One rule application: the facts (context facts or earlier conclusions) and the rule
/// (a context premise) entail the conclusion, as Z3 checked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProofStep {
    pub facts: Vec<Formula>,
    pub rule: Formula,
    pub shape: Shape,
    pub conclusion: Formula,
    /// What Z3 answered when asked whether the premises entail the conclusion; `None`
    /// until the step is checked.
    pub verdict: Option<StepVerdict>,
}

/// Z3's answer on one proof step.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StepVerdict {
    /// The premises entail the conclusion (premises ∧ ¬conclusion is unsat).
    Proved,
    /// They do not (a counter-model exists).
    NotEntailed,
}

impl StepVerdict {
    pub fn of(entailed: bool) -> StepVerdict {
        if entailed { StepVerdict::Proved } else { StepVerdict::NotEntailed }
    }

    /// The word stored in a record's `meta.steps[].verdict`.
    pub fn as_str(self) -> &'static str {
        match self {
            StepVerdict::Proved => "proved",
            StepVerdict::NotEntailed => "not_entailed",
        }
    }
}

impl ProofStep {
    /// Facts first, then the rule, as ProverQA's reasoning blocks list them.
    pub fn premises(&self) -> Vec<Formula> {
        let mut p = self.facts.clone();
        p.push(self.rule.clone());
        p
    }
}

/// Counts of what Z3 proved about a skeleton.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Checks {
    /// The premises have a model.
    pub consistent: bool,
    /// The label Z3 proved (equals the spec's).
    pub label: Option<Label>,
    /// Proof steps proven entailed by their own premises.
    pub steps_entailed: u32,
    /// Chain rules proven necessary (removing any one loses the answer).
    pub rules_necessary: u32,
    /// Uncertain: the context neither proves nor refutes the withheld fact.
    pub withheld_open: bool,
    /// Distractors added after the checks of consistency.
    pub distractors: u32,
    /// Z3 queries spent, over all attempts.
    pub queries: u32,
    /// Attempts needed (1 when the first construction passed every check).
    pub attempts: u32,
    /// Relational only: attempts rejected because Z3 answered `unknown`.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub unknowns: u32,
}

fn is_zero(n: &u32) -> bool {
    *n == 0
}

/// A proven problem: premises, a conclusion with its label, and the proof.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Skeleton {
    /// The individual the chain is about.
    pub subject: String,
    /// Chain facts, chain rules and distractors, in construction order (narrators shuffle).
    pub premises: Vec<Premise>,
    /// The literal the chain derives.
    pub goal: Formula,
    pub conclusion: Formula,
    pub label: Label,
    /// Rule applications in the shortest proof of the answer; for Uncertain, of the goal
    /// had the withheld fact been stated.
    pub depth: u32,
    /// The proof in topological order. True/False: exactly `depth` steps ending in the
    /// goal. Uncertain: the steps that still go through without the withheld fact.
    pub steps: Vec<ProofStep>,
    /// Uncertain only: the leaf fact left out of the context, which breaks the chain.
    pub withheld: Option<Formula>,
    pub checks: Checks,
}

impl Skeleton {
    pub fn premise_formulas(&self) -> Vec<Formula> {
        self.premises.iter().map(|p| p.formula.clone()).collect()
    }

    pub fn distractors(&self) -> impl Iterator<Item = &Premise> {
        self.premises.iter().filter(|p| p.role.is_distractor())
    }
}

#[derive(Debug, thiserror::Error)]
pub enum SkeletonError {
    #[error("depth must be between 1 and {MAX_DEPTH}, got {0}")]
    Depth(u32),
    #[error(
        "the vocabulary has {have} predicates and {individuals} individuals; this spec needs at least {need} predicates and 2 individuals"
    )]
    Vocabulary { need: usize, have: usize, individuals: usize },
    #[error(
        "the vocabulary has {}/{} predicates, {}/{} relations and {}/{} individuals (have/need)",
        predicates.1, predicates.0, relations.1, relations.0, individuals.1, individuals.0
    )]
    RelVocabulary { predicates: (usize, usize), relations: (usize, usize), individuals: (usize, usize) },
    #[error("Z3: {0}")]
    Prover(#[from] ProverError),
    #[error("no construction passed Z3's checks in {attempts} attempts (last: {last})")]
    GaveUp { attempts: u32, last: String },
}

/// Builds and proves one problem. Same inputs, same problem.
pub fn generate(
    spec: &SkeletonSpec,
    vocab: &Vocabulary,
    seed: u64,
    prover: &Prover,
) -> Result<Skeleton, SkeletonError> {
    if !(1..=MAX_DEPTH).contains(&spec.depth) {
        return Err(SkeletonError::Depth(spec.depth));
    }
    let need = Vocabulary::predicates_needed(spec);
    if vocab.predicates.len() < need || vocab.individuals.len() < 2 {
        return Err(SkeletonError::Vocabulary {
            need,
            have: vocab.predicates.len(),
            individuals: vocab.individuals.len(),
        });
    }
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut queries = 0;
    let mut last = String::new();
    for attempt in 1..=MAX_ATTEMPTS {
        let mut draft = chain::Draft::build(spec, vocab, &mut rng);
        distract::add(&mut draft, spec.distractors, prover, &mut rng, &mut queries)?;
        let conclusion = chain::choose_conclusion(&mut draft, spec.label, &mut rng);
        match check::prove(draft.claims(), &conclusion, spec.label, prover, &mut queries)? {
            Ok((mut checks, steps)) => {
                checks.queries = queries;
                checks.attempts = attempt;
                return Ok(draft.into_skeleton(conclusion, spec.label, checks, steps));
            }
            Err(why) => last = why,
        }
    }
    Err(SkeletonError::GaveUp { attempts: MAX_ATTEMPTS, last })
}

static Z3_NANOS: AtomicU64 = AtomicU64::new(0);

/// Wall time this process has spent in Z3 queries made by the generator, over all
/// threads (so it can exceed elapsed time), for throughput reports.
pub fn z3_time() -> Duration {
    Duration::from_nanos(Z3_NANOS.load(Ordering::Relaxed))
}

/// Runs one Z3 query, counting it and its time.
fn query<T>(queries: &mut u32, f: impl FnOnce() -> T) -> T {
    let start = Instant::now();
    let out = f();
    *queries += 1;
    Z3_NANOS.fetch_add(u64::try_from(start.elapsed().as_nanos()).unwrap_or(u64::MAX), Ordering::Relaxed);
    out
}

#[cfg(test)]
mod tests;
