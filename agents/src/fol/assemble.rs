//! A proven skeleton plus one sentence per premise becomes a ProverQA-shaped record:
//! shuffled context, `nl2fol`, the question, the reasoning blocks and `meta`.

use super::FolError;
use super::lexicon::Lexicon;
use super::realize::{realize, realize_plain};
use datasets::{FolMeta, FolRecord, Label as RecordLabel, Narration, Nl2Fol, ProofStep as RecordStep};
use provers::skeleton::Skeleton;
use provers::{Formula, Label, Prover};
use rand::seq::SliceRandom;
use rand_chacha::ChaCha8Rng;
use std::collections::HashMap;

/// How a premise's sentence was tied to its formula; the values of
/// [`datasets::Narration::verified_by`].
pub mod verified_by {
    /// Realized from the formula by the template realizer, not checked further (the
    /// back-parser found no single reading, or Z3 could not decide the equivalence).
    pub const TEMPLATE: &str = "template";
    /// A template sentence that the back-parser read one way only, that reading being the
    /// formula up to the order of ∧ ∨ ⊕ operands or proven equivalent to it by Z3.
    pub const PARSER: &str = "parser";
    /// Written by the LLM, back-translated to FOL and proven equivalent by Z3.
    pub const LLM: &str = "llm";
    /// The LLM's sentences failed the check; the template sentence replaced them.
    pub const FALLBACK: &str = "fallback";
}

/// The sentence chosen for one premise and how it was checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PremiseText {
    pub sentence: String,
    pub verified_by: &'static str,
    /// LLM narration attempts spent (None for the template realizer).
    pub attempts: Option<u32>,
}

/// Identity of the work item a record comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ItemInfo {
    pub id: String,
    pub index: u64,
    pub seed: u64,
    pub z3_version: String,
    /// The narrating model, `None` for the template realizer.
    pub model: Option<String>,
}

/// Template sentences for every premise of `sk`, in premise order, each parsed back
/// ([`Lexicon::parser`]) and its one reading proven equivalent by Z3 (`parser`).
pub fn template_texts(
    sk: &Skeleton,
    lx: &Lexicon,
    prover: &Prover,
    rng: &mut ChaCha8Rng,
) -> Result<Vec<PremiseText>, FolError> {
    sk.premises
        .iter()
        .map(|p| {
            let sentence = realize(&p.formula, lx, rng)?;
            let read_back = lx.parser().parse(&sentence);
            // Equal up to the order of ∧ ∨ ⊕ operands needs no solver; anything else, Z3.
            let proven = read_back.is_some_and(|f| {
                unordered(&f) == unordered(&p.formula) || prover.equivalent(&f, &p.formula).unwrap_or(false)
            });
            let verified_by = if proven { verified_by::PARSER } else { verified_by::TEMPLATE };
            Ok(PremiseText { sentence, verified_by, attempts: None })
        })
        .collect()
}

/// `f` with the operands of every ∧, ∨ and ⊕ sorted (all three are commutative).
fn unordered(f: &Formula) -> Formula {
    let sorted = |ops: &[Formula]| {
        let mut ops: Vec<Formula> = ops.iter().map(unordered).collect();
        ops.sort();
        ops
    };
    match f {
        Formula::And(ops) => Formula::And(sorted(ops)),
        Formula::Or(ops) => Formula::Or(sorted(ops)),
        Formula::Xor(ops) => Formula::Xor(sorted(ops)),
        Formula::Not(a) => Formula::not(unordered(a)),
        Formula::Implies(a, b) => Formula::implies(unordered(a), unordered(b)),
        Formula::Iff(a, b) => Formula::iff(unordered(a), unordered(b)),
        Formula::Forall(v, a) => Formula::forall(v, unordered(a)),
        Formula::Exists(v, a) => Formula::exists(v, unordered(a)),
        other => other.clone(),
    }
}

fn record_label(l: Label) -> RecordLabel {
    match l {
        Label::True => RecordLabel::True,
        Label::False => RecordLabel::False,
        Label::Uncertain => RecordLabel::Uncertain,
    }
}

fn without_period(s: &str) -> &str {
    s.trim_end().trim_end_matches('.')
}

/// Builds the record. `texts` is parallel to `sk.premises`; `rng` shuffles the context.
pub fn assemble(
    sk: &Skeleton,
    texts: &[PremiseText],
    lx: &Lexicon,
    item: &ItemInfo,
    rng: &mut ChaCha8Rng,
) -> Result<FolRecord, FolError> {
    if texts.len() != sk.premises.len() {
        return Err(FolError::Mismatch { premises: sk.premises.len(), sentences: texts.len() });
    }
    // Two premises must not share a sentence (nl2fol is keyed by sentence); an LLM
    // sentence that collides gives way to its template sentence.
    let mut texts = texts.to_vec();
    let mut seen = std::collections::HashSet::new();
    for (i, t) in texts.iter_mut().enumerate() {
        if !seen.insert(t.sentence.clone()) {
            let plain = realize_plain(&sk.premises[i].formula, lx)?;
            if !seen.insert(plain.clone()) {
                return Err(FolError::DuplicateSentence(plain));
            }
            *t = PremiseText { sentence: plain, verified_by: verified_by::FALLBACK, attempts: t.attempts };
        }
    }
    let sentence_of: HashMap<&Formula, &str> =
        sk.premises.iter().zip(&texts).map(|(p, t)| (&p.formula, t.sentence.as_str())).collect();

    let mut order: Vec<usize> = (0..sk.premises.len()).collect();
    order.shuffle(rng);
    let mut context = Vec::with_capacity(order.len());
    let mut nl2fol = Nl2Fol::new();
    let mut narration = Vec::with_capacity(order.len());
    for &i in &order {
        let (p, t) = (&sk.premises[i], &texts[i]);
        let fol = p.formula.to_string();
        context.push(t.sentence.clone());
        nl2fol.insert(t.sentence.clone(), fol.clone());
        narration.push(Narration {
            sentence: t.sentence.clone(),
            fol,
            verified_by: t.verified_by.to_string(),
            attempts: t.attempts,
            distractor: p.role.is_distractor(),
        });
    }

    let conclusion = realize_plain(&sk.conclusion, lx)?;
    let mut blocks = Vec::new();
    let mut steps = Vec::new();
    for step in &sk.steps {
        let mut block = String::new();
        for (k, fact) in step.facts.iter().enumerate() {
            let s = match sentence_of.get(fact) {
                Some(s) => s.to_string(),
                None => realize_plain(fact, lx)?,
            };
            block.push_str(&format!("fact{}: {s}\n", k + 1));
        }
        let rule =
            sentence_of.get(&step.rule).map(|s| s.to_string()).unwrap_or(realize_plain(&step.rule, lx)?);
        block.push_str(&format!("rule: {rule}\nconclusion: {}", realize_plain(&step.conclusion, lx)?));
        blocks.push(block);
        steps.push(RecordStep {
            premises: step.premises().iter().map(ToString::to_string).collect(),
            conclusion: step.conclusion.to_string(),
            rule: Some(step.shape.pattern().to_string()),
            verdict: step.verdict.map(|v| v.as_str().to_string()),
        });
    }
    if let (Some(w), true) = (&sk.withheld, sk.checks.withheld_open) {
        // Said of the atom, so it reads "whether Elyse plays chess" whatever the sign.
        let atom = match w {
            Formula::Not(a) => a.as_ref(),
            other => other,
        };
        let open = realize_plain(atom, lx)?;
        blocks.push(format!(
            "The context does not establish whether {}, which the remaining rules would need.",
            without_period(&open)
        ));
    }
    let label = record_label(sk.label);
    let verdict = match sk.label {
        Label::True => format!("it is true that {}", without_period(&conclusion)),
        Label::False => format!("it is false that {}", without_period(&conclusion)),
        Label::Uncertain => format!("it is uncertain whether {}", without_period(&conclusion)),
    };
    blocks.push(format!("Therefore, {verdict}. The correct option is: {}.", label.option_letter()));

    let mut extra = serde_json::Map::new();
    extra.insert("goal".into(), sk.goal.to_string().into());
    if let Some(w) = &sk.withheld {
        extra.insert("withheld".into(), w.to_string().into());
    }
    let meta = FolMeta {
        depth: sk.depth,
        label: Some(label),
        steps,
        distractors: sk.distractors().map(|d| d.formula.to_string()).collect(),
        narration,
        seed: item.seed,
        index: item.index,
        z3_version: item.z3_version.clone(),
        model: item.model.clone(),
        verification: serde_json::to_value(sk.checks).unwrap_or_default(),
        extra,
    };
    Ok(FolRecord {
        id: item.id.clone(),
        options: RecordLabel::options(),
        answer: label.option_letter().to_string(),
        question: format!(
            "Based on the above information, is the following statement true, false, or uncertain? {conclusion}"
        ),
        reasoning: blocks.join("\n\n"),
        context: context.join(datasets::CONTEXT_SEPARATOR),
        nl2fol,
        conclusion,
        conclusion_fol: sk.conclusion.to_string(),
        meta,
        ..FolRecord::default()
    })
}
