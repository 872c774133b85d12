//! The record of `gen fol`: a ProverQA-shaped problem plus a `meta` object with its proof.

use crate::record::{HasId, Nl2Fol, SCHEMA_VERSION, de_context, de_id};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// The answer to "is the conclusion true, false or uncertain given the context?".
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Label {
    True,
    False,
    /// FOLIO writes this `Unknown`; both spellings read.
    #[serde(alias = "Unknown")]
    Uncertain,
}

impl Label {
    pub const ALL: [Label; 3] = [Label::True, Label::False, Label::Uncertain];

    /// The option letter ProverQA uses: A) True, B) False, C) Uncertain.
    pub fn option_letter(self) -> &'static str {
        match self {
            Label::True => "A",
            Label::False => "B",
            Label::Uncertain => "C",
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Label::True => "True",
            Label::False => "False",
            Label::Uncertain => "Uncertain",
        }
    }

    /// The `options` list of every ProverQA problem.
    pub fn options() -> Vec<String> {
        Label::ALL.iter().map(|l| format!("{}) {}", l.option_letter(), l.as_str())).collect()
    }
}

impl std::fmt::Display for Label {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One FOL problem. The top-level fields are ProverQA's (so ProverQA tooling reads the
/// file); everything we add lives in `meta` and `schema_version`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FolRecord {
    /// Deterministic: `fol-<seed>-<index>` (see [`crate::item_id`]). ProverQA's integer
    /// ids read as their decimal string.
    #[serde(deserialize_with = "de_id")]
    pub id: String,
    #[serde(default = "Label::options")]
    pub options: Vec<String>,
    /// The option letter: "A", "B" or "C".
    pub answer: String,
    pub question: String,
    /// ProverQA's "fact1: … rule: … conclusion: …" blocks ending "The correct option is: X.".
    #[serde(default)]
    pub reasoning: String,
    /// The premises' sentences, chain and distractors shuffled together, in one string
    /// joined by a space as ProverQA writes it (`meta.narration` keeps them as a list).
    /// A list, as schema version 2 wrote it, reads joined.
    #[serde(default, deserialize_with = "de_context")]
    pub context: String,
    /// Each context sentence mapped to its FOL, in context order (the conclusion is not
    /// here: `gen verify` reads every entry as a premise).
    #[serde(default)]
    pub nl2fol: Nl2Fol,
    /// The conclusion in words (ProverQA keeps it only inside `question`).
    #[serde(default)]
    pub conclusion: String,
    #[serde(default)]
    pub conclusion_fol: String,
    #[serde(default)]
    pub meta: FolMeta,
    /// Which version of this schema wrote the record; 0 for files we did not write.
    #[serde(default)]
    pub schema_version: u32,
}

impl Default for FolRecord {
    fn default() -> Self {
        FolRecord {
            id: String::new(),
            options: Label::options(),
            answer: String::new(),
            question: String::new(),
            reasoning: String::new(),
            context: String::new(),
            nl2fol: Nl2Fol::default(),
            conclusion: String::new(),
            conclusion_fol: String::new(),
            meta: FolMeta::default(),
            schema_version: SCHEMA_VERSION,
        }
    }
}

impl HasId for FolRecord {
    fn id(&self) -> &str {
        &self.id
    }
}

/// How a problem was built and checked.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct FolMeta {
    /// Rule applications in the shortest proof (proven minimal).
    #[serde(default)]
    pub depth: u32,
    /// `None` only in records read from files that carry no label.
    #[serde(default)]
    pub label: Option<Label>,
    /// The proof, in the order the reasoning text walks it.
    #[serde(default)]
    pub steps: Vec<ProofStep>,
    /// The FOL of the premises that are distractors (not needed by the proof).
    #[serde(default)]
    pub distractors: Vec<String>,
    /// One entry per premise, in context order: its sentence, its FOL and how the two were
    /// tied. Unlike `nl2fol` (keyed by sentence), a repeated sentence keeps its entry.
    #[serde(default)]
    pub narration: Vec<Narration>,
    /// The work item's own seed (derived from the run seed and the item index).
    #[serde(default)]
    pub seed: u64,
    /// Index of the work item in the run.
    #[serde(default)]
    pub index: u64,
    #[serde(default)]
    pub z3_version: String,
    /// The model that narrated, or `None` for the template narrator.
    #[serde(default)]
    pub model: Option<String>,
    /// Z3's verdicts on the whole problem: consistency, label, necessity of each chain
    /// rule, distractor harmlessness. Free-form so the prover can report what it checked.
    #[serde(default, skip_serializing_if = "Value::is_null")]
    pub verification: Value,
    /// Anything else a generator wants to keep.
    #[serde(default, skip_serializing_if = "Map::is_empty")]
    pub extra: Map<String, Value>,
}

/// One rule application of the proof: premises (FOL) entail the conclusion (FOL).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ProofStep {
    pub premises: Vec<String>,
    pub conclusion: String,
    /// The rule shape, e.g. `A→B` or `(A∧B)→C`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rule: Option<String>,
    /// What Z3 answered at generation on whether the premises entail the conclusion:
    /// `proved` or `not_entailed` (see `provers::skeleton::StepVerdict`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub verdict: Option<String>,
}

/// How one context sentence was verified against its formula.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Narration {
    pub sentence: String,
    pub fol: String,
    /// `template` (realized from the formula, faithful by construction), `parser` (our
    /// grammar parsed it back and Z3 proved it equivalent), `llm` (an LLM back-translated
    /// it and Z3 proved it equivalent), `fallback` (the LLM's sentence failed and the
    /// template replaced it), `unverified`.
    pub verified_by: String,
    /// Narration attempts spent on this sentence.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attempts: Option<u32>,
    /// Whether this premise is a distractor.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub distractor: bool,
}

/// Values of [`Narration::verified_by`] that count as verified.
pub const VERIFIED_NARRATION: [&str; 3] = ["template", "parser", "llm"];
