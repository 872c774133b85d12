//! The LLM narrator: the model writes each premise's sentence from its FOL; our
//! back-parser reads it, or failing that a second call translates it back to FOL; and the
//! reading must be proven equivalent by Z3.
//! A sentence that fails is retried (bounded), then replaced by the template sentence, so
//! a lying or confused model can cost variety but never correctness.

use super::FolError;
use super::assemble::{PremiseText, verified_by};
use super::lexicon::Lexicon;
use crate::Prompts;
use llm::{ChatModel, ChatRequest, Message};
use provers::skeleton::Skeleton;
use provers::{Formula, Prover};
use serde::Serialize;
use std::collections::BTreeSet;
use std::sync::Arc;

/// Narration attempts per premise before the template sentence takes over.
pub const DEFAULT_ATTEMPTS: u32 = 3;

#[derive(Debug, Clone, Serialize)]
struct PredicateWords {
    name: String,
    phrase: String,
}

#[derive(Debug, Clone, Serialize)]
struct PersonWords {
    name: String,
    pronoun: String,
}

/// Narrates with a model; cheap to clone and share across tasks.
#[derive(Clone)]
pub struct LlmNarrator {
    model: Arc<dyn ChatModel>,
    prompts: Arc<Prompts>,
    prover: Prover,
    attempts: u32,
}

impl std::fmt::Debug for LlmNarrator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LlmNarrator")
            .field("model", &self.model.model_name())
            .field("attempts", &self.attempts)
            .finish()
    }
}

/// What happened to one premise, for accounting.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct NarrationStats {
    pub accepted: u32,
    /// Of the accepted, those our back-parser read (no back-translation call).
    pub parsed: u32,
    pub fallbacks: u32,
    pub calls: u32,
}

impl LlmNarrator {
    pub fn new(model: Arc<dyn ChatModel>, prompts: Arc<Prompts>, prover: Prover) -> LlmNarrator {
        LlmNarrator { model, prompts, prover, attempts: DEFAULT_ATTEMPTS }
    }

    /// Attempts per premise (at least 1).
    pub fn with_attempts(mut self, attempts: u32) -> LlmNarrator {
        self.attempts = attempts.max(1);
        self
    }

    pub fn model_name(&self) -> String {
        self.model.model_name()
    }

    /// Sentences for every premise of `sk`, in premise order. `templates` are the
    /// fallbacks (parallel to the premises). Model errors (unreachable endpoint, …) fail
    /// the problem; wrong sentences do not.
    pub async fn narrate(
        &self,
        sk: &Skeleton,
        lx: &Lexicon,
        templates: &[PremiseText],
        seed: u64,
    ) -> Result<(Vec<PremiseText>, NarrationStats), FolError> {
        let (predicates, people) = words(sk, lx);
        let mut stats = NarrationStats::default();
        let mut out = Vec::with_capacity(sk.premises.len());
        for (i, (premise, template)) in sk.premises.iter().zip(templates).enumerate() {
            let seed = seed.wrapping_add(i as u64 * 1000);
            let text = self
                .narrate_one(&premise.formula, lx, &predicates, &people, template, seed, &mut stats)
                .await?;
            out.push(text);
        }
        Ok((out, stats))
    }

    /// The model calls and tokens narrating `sk` is expected to take, without calling the
    /// model: the prompts are rendered as they would be, and the template sentences and
    /// formulas stand in for the answers (every sentence accepted on its first try).
    pub fn estimate(
        &self,
        sk: &Skeleton,
        lx: &Lexicon,
        templates: &[PremiseText],
    ) -> Result<llm::TokenEstimate, FolError> {
        let (predicates, people) = words(sk, lx);
        let mut est = llm::TokenEstimate::default();
        for (premise, template) in sk.premises.iter().zip(templates) {
            let narrate = self.narrate_prompt(&premise.formula, None, &predicates, &people)?;
            let (said_preds, said_people) = mentioned(&template.sentence, &predicates, &people);
            let back = self.back_prompt(&template.sentence, &said_preds, &said_people)?;
            est.calls += 2.0;
            est.prompt_tokens += (tokens(&narrate) + tokens(&back)) as f64;
            est.completion_tokens +=
                (tokens(&template.sentence) + tokens(&premise.formula.to_string())) as f64;
        }
        Ok(est)
    }

    /// `reading`, on retries, is the template sentence: a literal wording the model may
    /// rephrase (the first try is the model's own wording).
    fn narrate_prompt(
        &self,
        formula: &Formula,
        reading: Option<&str>,
        predicates: &[PredicateWords],
        people: &[PersonWords],
    ) -> Result<String, FolError> {
        let own: BTreeSet<String> = formula.predicates().into_iter().map(|(n, _)| n).collect();
        let own_preds: Vec<&PredicateWords> = predicates.iter().filter(|p| own.contains(&p.name)).collect();
        let own_consts = formula.constants();
        let own_people: Vec<&PersonWords> = people.iter().filter(|p| own_consts.contains(&p.name)).collect();
        Ok(self.prompts.render(
            "fol_narrate",
            &serde_json::json!({
                "fol": formula.to_string(),
                "reading": reading,
                "predicates": own_preds,
                "people": own_people,
            }),
        )?)
    }

    fn back_prompt(
        &self,
        sentence: &str,
        predicates: &[PredicateWords],
        people: &[PersonWords],
    ) -> Result<String, FolError> {
        Ok(self.prompts.render(
            "fol_backtranslate",
            &serde_json::json!({ "sentence": sentence, "predicates": predicates, "people": people }),
        )?)
    }

    #[allow(clippy::too_many_arguments)]
    async fn narrate_one(
        &self,
        formula: &Formula,
        lx: &Lexicon,
        predicates: &[PredicateWords],
        people: &[PersonWords],
        template: &PremiseText,
        seed: u64,
        stats: &mut NarrationStats,
    ) -> Result<PremiseText, FolError> {
        let first_prompt = self.narrate_prompt(formula, None, predicates, people)?;
        let retry_prompt = self.narrate_prompt(formula, Some(&template.sentence), predicates, people)?;
        for attempt in 1..=self.attempts {
            let narrate_prompt = if attempt == 1 { &first_prompt } else { &retry_prompt };
            // Retries must differ from the first try, or a cached answer would repeat.
            let temperature = if attempt == 1 { 0.0 } else { 0.7 };
            let attempt_seed = Some(seed.wrapping_add(u64::from(attempt)));
            stats.calls += 1;
            let sentence = clean_sentence(&self.ask(narrate_prompt, temperature, attempt_seed).await?);
            if sentence.is_empty() {
                continue;
            }
            // Our grammar first: a sentence in the template English needs no second call.
            // One reading decides; two or more mean the sentence is ambiguous (rejected);
            // none, and the model translates it back.
            match lx.parser().readings(&sentence).as_slice() {
                [read] if matches!(self.prover.equivalent(formula, read), Ok(true)) => {
                    stats.accepted += 1;
                    stats.parsed += 1;
                    return Ok(PremiseText {
                        sentence,
                        verified_by: verified_by::PARSER,
                        attempts: Some(attempt),
                    });
                }
                [] => {}
                readings => {
                    tracing::debug!(fol = %formula, %sentence, readings = readings.len(), attempt, "narration rejected by the back-parser");
                    continue;
                }
            }
            // The back-translator sees the words the sentence itself uses, not the whole
            // problem's: a small model given every predicate writes them all down.
            let (said_preds, said_people) = mentioned(&sentence, predicates, people);
            let back_prompt = self.back_prompt(&sentence, &said_preds, &said_people)?;
            stats.calls += 1;
            let back = clean_formula(&self.ask(&back_prompt, 0.0, attempt_seed).await?);
            if self.faithful(formula, &back) {
                stats.accepted += 1;
                return Ok(PremiseText { sentence, verified_by: verified_by::LLM, attempts: Some(attempt) });
            }
            tracing::debug!(fol = %formula, %sentence, back = %back, attempt, "narration rejected");
        }
        stats.fallbacks += 1;
        Ok(PremiseText {
            sentence: template.sentence.clone(),
            verified_by: verified_by::FALLBACK,
            attempts: Some(self.attempts),
        })
    }

    /// The back-translation parses and Z3 proves it equivalent to the original. Names are
    /// the problem's own (the prompt lists them), so a swapped predicate or person makes
    /// the formulas differ and fails here.
    fn faithful(&self, original: &Formula, back: &str) -> bool {
        let Ok(parsed) = provers::parse(back) else { return false };
        matches!(self.prover.equivalent(original, &parsed), Ok(true))
    }

    async fn ask(&self, prompt: &str, temperature: f32, seed: Option<u64>) -> Result<String, FolError> {
        let mut req = ChatRequest::new(vec![Message::user(prompt)]);
        req.temperature = temperature;
        req.max_tokens = 160;
        req.seed = seed;
        Ok(self.model.chat(req).await?.content)
    }
}

/// The words the prompts may use: every predicate's phrase and every person's pronoun.
fn words(sk: &Skeleton, lx: &Lexicon) -> (Vec<PredicateWords>, Vec<PersonWords>) {
    let mut names: BTreeSet<String> = BTreeSet::new();
    let mut people: BTreeSet<String> = BTreeSet::new();
    for f in sk.premises.iter().map(|p| &p.formula).chain([&sk.conclusion]) {
        names.extend(f.predicates().into_iter().map(|(n, _)| n));
        people.extend(f.constants());
    }
    let predicates = names
        .iter()
        .filter_map(|n| lx.phrase(n).map(|p| PredicateWords { name: n.clone(), phrase: p.singular.clone() }))
        .collect();
    let people = people
        .iter()
        .filter_map(|n| lx.person(n).map(|p| PersonWords { name: n.clone(), pronoun: p.pronoun.clone() }))
        .collect();
    (predicates, people)
}

/// The predicates and people `sentence` mentions (all predicates if it seems to mention
/// none). Read from the sentence alone, so the back-translation stays blind to the
/// formula it is checked against. A predicate is mentioned when every content word of its
/// phrase starts a word of the sentence, up to its first four letters ("studies law" in
/// "does not study law").
fn mentioned(
    sentence: &str,
    predicates: &[PredicateWords],
    people: &[PersonWords],
) -> (Vec<PredicateWords>, Vec<PersonWords>) {
    const FUNCTION_WORDS: [&str; 14] =
        ["is", "a", "an", "the", "has", "have", "does", "in", "on", "of", "to", "at", "for", "with"];
    let words: Vec<String> = sentence
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase)
        .collect();
    let said = |w: &str| {
        let stem: String = w.chars().take(4).collect();
        words.iter().any(|s| s.starts_with(&stem))
    };
    let preds: Vec<PredicateWords> = predicates
        .iter()
        .filter(|p| {
            p.phrase
                .split(|c: char| !c.is_alphanumeric())
                .map(str::to_lowercase)
                .filter(|w| !w.is_empty() && !FUNCTION_WORDS.contains(&w.as_str()))
                .all(|w| said(&w))
        })
        .cloned()
        .collect();
    let preds = if preds.is_empty() { predicates.to_vec() } else { preds };
    let people = people.iter().filter(|p| words.contains(&p.name.to_lowercase())).cloned().collect();
    (preds, people)
}

/// Tokens of a text as the model layer counts them without a tokenizer (≈ 4 bytes each).
fn tokens(text: &str) -> usize {
    text.len().div_ceil(4)
}

/// The first non-empty line, without quotes or a "Sentence:" label.
fn clean_sentence(raw: &str) -> String {
    let line = raw.lines().map(str::trim).find(|l| !l.is_empty()).unwrap_or("");
    let line = line.strip_prefix("Sentence:").unwrap_or(line).trim();
    let line = line.trim_matches(|c| c == '"' || c == '“' || c == '”' || c == '`').trim();
    // One sentence per premise: a sentence that runs on into a second one is not ours.
    if line.len() < 3 || line.contains('\n') {
        return String::new();
    }
    line.to_string()
}

/// The formula out of an answer that may wrap it in a code fence or label it.
fn clean_formula(raw: &str) -> String {
    let line = raw.lines().map(str::trim).find(|l| !l.is_empty() && !l.starts_with("```")).unwrap_or("");
    let line = line.strip_prefix("FOL:").unwrap_or(line).trim();
    line.trim_matches('`').trim().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pred(name: &str, phrase: &str) -> PredicateWords {
        PredicateWords { name: name.into(), phrase: phrase.into() }
    }

    #[test]
    fn the_back_translator_sees_only_what_the_sentence_mentions() {
        let preds = [
            pred("studies_law", "studies law"),
            pred("is_photographer", "is a photographer"),
            pred("walks_dog", "walks a dog"),
            pred("has_lab_coat", "has a lab coat"),
        ];
        let people = [
            PersonWords { name: "Ignatius".into(), pronoun: "he".into() },
            PersonWords { name: "Elyse".into(), pronoun: "she".into() },
        ];
        let (p, who) =
            mentioned("If Ignatius does not study law, then he is a photographer.", &preds, &people);
        let names: Vec<&str> = p.iter().map(|p| p.name.as_str()).collect();
        assert_eq!(names, ["studies_law", "is_photographer"]);
        assert_eq!(who.iter().map(|p| p.name.as_str()).collect::<Vec<_>>(), ["Ignatius"]);
        // A sentence in other words altogether still gets the whole vocabulary.
        let (p, who) = mentioned("Everyone sings.", &preds, &people);
        assert_eq!(p.len(), preds.len());
        assert!(who.is_empty());
    }
}
