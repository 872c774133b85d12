//! `gen fol` narration: the lexicon, the template realizer, the LLM narrator with
//! back-translation checked by Z3, and the assembly of proven skeletons into
//! ProverQA-shaped records.

mod assemble;
mod backparse;
mod generator;
mod lexicon;
mod narrator;
mod realize;
mod relational;

pub use assemble::{ItemInfo, PremiseText, assemble, template_texts, verified_by};
pub use backparse::BackParser;
pub use generator::{BATCH, FolGenerator, FolSettings, FolSink, FolSummary, Outcome};
pub use lexicon::{Lexicon, Person, Phrase};
pub use narrator::{DEFAULT_ATTEMPTS, LlmNarrator, NarrationStats};
pub use realize::{RealizeError, realize, realize_plain};
pub use relational::{RelGrammar, RelPhrase};

use datasets::FolRecord;
use provers::Prover;
use provers::skeleton::{Skeleton, SkeletonError, SkeletonSpec};
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

#[derive(Debug, thiserror::Error)]
pub enum FolError {
    #[error(transparent)]
    Skeleton(#[from] SkeletonError),
    #[error(transparent)]
    Realize(#[from] RealizeError),
    #[error(transparent)]
    Prompt(#[from] crate::PromptError),
    #[error("model: {0}")]
    Llm(#[from] llm::LlmError),
    #[error("{premises} premises but {sentences} sentences")]
    Mismatch { premises: usize, sentences: usize },
    #[error("two premises read the same: {0:?}")]
    DuplicateSentence(String),
    #[error(transparent)]
    Dataset(#[from] datasets::DatasetError),
    #[error("cannot write {}: {error}", path.display())]
    Write { path: std::path::PathBuf, error: std::io::Error },
}

/// The narration RNG of an item: its own stream, so changing how sentences are chosen
/// never changes the skeleton of the same seed.
pub fn narration_rng(seed: u64) -> ChaCha8Rng {
    ChaCha8Rng::seed_from_u64(seed ^ 0x6E61_7272_6174_6521)
}

/// The fragment `gen fol` writes: one-place predicates (ProverQA's) or relations too.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Logic {
    #[default]
    Monadic,
    Relational,
}

impl Logic {
    pub const NAMES: [&'static str; 2] = ["monadic", "relational"];

    pub fn parse(s: &str) -> Option<Logic> {
        match s {
            "monadic" => Some(Logic::Monadic),
            "relational" => Some(Logic::Relational),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        Logic::NAMES[self as usize]
    }
}

/// Generates, proves and narrates (templates) one problem.
pub fn template_problem(
    spec: &SkeletonSpec,
    lx: &Lexicon,
    prover: &Prover,
    item: &ItemInfo,
) -> Result<(Skeleton, FolRecord), FolError> {
    template_problem_in(Logic::Monadic, spec, lx, prover, item)
}

/// [`template_problem`] in either fragment.
pub fn template_problem_in(
    logic: Logic,
    spec: &SkeletonSpec,
    lx: &Lexicon,
    prover: &Prover,
    item: &ItemInfo,
) -> Result<(Skeleton, FolRecord), FolError> {
    let sk = match logic {
        Logic::Monadic => provers::skeleton::generate(spec, &lx.vocabulary(), item.seed, prover)?,
        Logic::Relational => {
            provers::skeleton::relational::generate(spec, &lx.rel_vocabulary(), item.seed, prover)?
        }
    };
    let mut rng = narration_rng(item.seed);
    let texts = template_texts(&sk, lx, prover, &mut rng)?;
    let record = assemble(&sk, &texts, lx, item, &mut rng)?;
    Ok((sk, record))
}

/// Generates and proves one problem, and narrates it with the model (falling back to
/// templates sentence by sentence).
pub async fn llm_problem(
    spec: &SkeletonSpec,
    lx: &Lexicon,
    prover: &Prover,
    narrator: &LlmNarrator,
    item: &ItemInfo,
) -> Result<(Skeleton, FolRecord, NarrationStats), FolError> {
    let sk = provers::skeleton::generate(spec, &lx.vocabulary(), item.seed, prover)?;
    let mut rng = narration_rng(item.seed);
    let templates = template_texts(&sk, lx, prover, &mut rng)?;
    let (texts, stats) = narrator.narrate(&sk, lx, &templates, item.seed).await?;
    let record = assemble(&sk, &texts, lx, item, &mut rng)?;
    Ok((sk, record, stats))
}

/// Expected model calls and tokens of [`llm_problem`] for this item, without calling the
/// model (for `--dry-run` and budgets).
pub fn llm_problem_estimate(
    spec: &SkeletonSpec,
    lx: &Lexicon,
    prover: &Prover,
    narrator: &LlmNarrator,
    item: &ItemInfo,
) -> Result<llm::TokenEstimate, FolError> {
    let sk = provers::skeleton::generate(spec, &lx.vocabulary(), item.seed, prover)?;
    let templates = template_texts(&sk, lx, prover, &mut narration_rng(item.seed))?;
    narrator.estimate(&sk, lx, &templates)
}

#[cfg(test)]
mod tests;
