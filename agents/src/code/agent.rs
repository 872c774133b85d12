//! A language agent: one per language, with its own memory trees in the run's sled
//! database. The history says what the agent wrote and what became of it; reflections
//! are the model's own summaries of merits and faults over recent history, fed back into
//! later prompts. Both outlive the run when `--memory` is shared.

use crate::Prompts;
use crate::code::answer::{self, ReflectionAnswer};
use crate::code::gates::instruction_digest;
use crate::code::{CodeError, Usage};
use llm::{ChatModel, ChatRequest, Message};
use memory::{Memory, Tree};
use serde::{Deserialize, Serialize};

/// How many recent instructions a prompt lists as "already written".
const AVOID_IN_PROMPT: usize = 6;
/// How many reflections a prompt carries.
const REFLECTIONS_IN_PROMPT: usize = 2;
/// How many recent faults a prompt lists.
const FAULTS_IN_PROMPT: usize = 4;
/// How much history one reflection reads.
const HISTORY_PER_REFLECTION: usize = 12;

/// What became of a candidate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    Kept,
    /// Verified, then dropped by a quality gate or the summary.
    Filtered,
    /// Did not parse, compile, pass, or its tests were vacuous.
    Failed,
}

impl Outcome {
    pub fn label(self) -> &'static str {
        match self {
            Outcome::Kept => "kept",
            Outcome::Filtered => "filtered",
            Outcome::Failed => "failed",
        }
    }
}

/// One entry of `agent/<lang>/history`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HistoryEntry {
    /// The sample id this candidate would have (or has) in the dataset.
    pub id: String,
    pub digest: String,
    pub instruction: String,
    #[serde(default)]
    pub concepts: Vec<String>,
    pub outcome: Outcome,
    /// What went wrong, in words a prompt can carry.
    #[serde(default)]
    pub faults: Vec<String>,
    /// `propose` or `port`.
    pub role: String,
}

/// One entry of `agent/<lang>/reflections`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Reflection {
    pub merits: Vec<String>,
    pub faults: Vec<String>,
    pub advice: String,
    /// Length of the history when this was written: the next reflection is due
    /// `reflect_every` entries later.
    pub history_len: usize,
    pub model: String,
}

impl Reflection {
    /// The reflection as prompt bullet lines.
    pub fn lines(&self) -> Vec<String> {
        let mut out = Vec::new();
        out.extend(self.merits.iter().map(|m| format!("Good: {m}")));
        out.extend(self.faults.iter().map(|f| format!("Fault: {f}")));
        if !self.advice.is_empty() {
            out.push(format!("Advice: {}", self.advice));
        }
        out
    }
}

/// What an agent brings into a prompt from its memory.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct AgentContext {
    pub reflections: Vec<String>,
    pub faults: Vec<String>,
    pub avoid: Vec<String>,
}

/// The agent of one language.
#[derive(Debug, Clone)]
pub struct LanguageAgent {
    pub lang: String,
    pub convention: String,
    /// A worked answer in this language's conventions (JSON, as the model should answer),
    /// or empty.
    pub example: String,
    history: Tree,
    reflections: Tree,
    reflect_every: usize,
}

impl LanguageAgent {
    pub fn open(
        memory: &Memory,
        lang: &str,
        convention: String,
        reflect_every: usize,
    ) -> Result<LanguageAgent, CodeError> {
        Ok(LanguageAgent {
            lang: lang.to_string(),
            convention,
            example: String::new(),
            history: memory.agent_history(lang)?,
            reflections: memory.agent_reflections(lang)?,
            reflect_every: reflect_every.max(1),
        })
    }

    /// Shows `example` to the model as the form of a good answer.
    pub fn with_example(mut self, example: Option<&crate::code::answer::Exercise>) -> LanguageAgent {
        self.example = example
            .map(|e| {
                serde_json::json!({
                    "instruction": e.instruction,
                    "solution": e.solution,
                    "tests": e.tests,
                    "entry_point": e.entry_point,
                })
                .to_string()
            })
            .unwrap_or_default();
        self
    }

    /// Reflections, recent faults and recent instructions, for the next prompt.
    pub fn context(&self) -> Result<AgentContext, CodeError> {
        let reflections: Vec<Reflection> = self.reflections.last_n_json(REFLECTIONS_IN_PROMPT)?;
        let recent: Vec<HistoryEntry> = self.history.last_n_json(HISTORY_PER_REFLECTION)?;
        let mut faults: Vec<String> = Vec::new();
        for entry in recent.iter().rev() {
            for f in &entry.faults {
                if faults.len() < FAULTS_IN_PROMPT && !faults.contains(f) {
                    faults.push(f.clone());
                }
            }
        }
        let avoid = recent
            .iter()
            .rev()
            .filter(|e| e.outcome == Outcome::Kept)
            .take(AVOID_IN_PROMPT)
            .map(|e| first_line(&e.instruction, 160))
            .collect();
        Ok(AgentContext {
            reflections: reflections.iter().flat_map(Reflection::lines).collect(),
            faults,
            avoid,
        })
    }

    pub fn remember(&self, entry: &HistoryEntry) -> Result<(), CodeError> {
        self.history.push_json(entry)?;
        Ok(())
    }

    /// Every instruction this agent kept, in this and earlier runs (for dedup).
    pub fn kept_instructions(&self) -> Result<Vec<String>, CodeError> {
        let mut out = Vec::new();
        for item in self.history.iter_json::<HistoryEntry>() {
            let (_, entry) = item?;
            if entry.outcome == Outcome::Kept {
                out.push(entry.instruction);
            }
        }
        Ok(out)
    }

    pub fn history_len(&self) -> usize {
        self.history.len()
    }

    pub fn reflection_count(&self) -> usize {
        self.reflections.len()
    }

    /// Whether enough new history has accumulated since the last reflection.
    pub fn reflection_due(&self) -> Result<bool, CodeError> {
        let last: Vec<Reflection> = self.reflections.last_n_json(1)?;
        let since = last.first().map_or(0, |r| r.history_len);
        Ok(self.history.len().saturating_sub(since) >= self.reflect_every)
    }

    /// Asks the model to reflect on recent history and stores the answer. A malformed
    /// answer is skipped (returns `None`): a missing reflection costs little.
    pub async fn reflect(
        &self,
        model: &dyn ChatModel,
        prompts: &Prompts,
        usage: &mut Usage,
    ) -> Result<Option<Reflection>, CodeError> {
        let entries: Vec<HistoryEntry> = self.history.last_n_json(HISTORY_PER_REFLECTION)?;
        let shown: Vec<serde_json::Value> = entries
            .iter()
            .map(|e| {
                serde_json::json!({
                    "outcome": e.outcome.label(),
                    "instruction": first_line(&e.instruction, 160),
                    "faults": e.faults.join("; "),
                })
            })
            .collect();
        let text =
            prompts.render("code_reflect", &serde_json::json!({"lang": self.lang, "entries": shown}))?;
        let mut req = ChatRequest::new(vec![Message::user(text)]);
        req.json_schema = Some(answer::reflection_schema());
        req.max_tokens = 512;
        let resp = match model.chat(req).await {
            Ok(r) => r,
            Err(e) => {
                tracing::warn!(lang = %self.lang, error = %e, "reflection call failed; continuing without");
                return Ok(None);
            }
        };
        usage.add(&resp);
        let Ok(parsed) = answer::parse::<ReflectionAnswer>(&resp.content) else {
            tracing::debug!(lang = %self.lang, "reflection answer did not parse");
            return Ok(None);
        };
        if parsed.merits.is_empty() && parsed.faults.is_empty() && parsed.advice.trim().is_empty() {
            return Ok(None);
        }
        let reflection = Reflection {
            merits: parsed.merits.into_iter().take(3).map(|s| first_line(&s, 200)).collect(),
            faults: parsed.faults.into_iter().take(3).map(|s| first_line(&s, 200)).collect(),
            advice: first_line(&parsed.advice, 300),
            history_len: self.history.len(),
            model: model.model_name(),
        };
        self.reflections.push_json(&reflection)?;
        Ok(Some(reflection))
    }

    pub fn history_entry(
        &self,
        id: &str,
        instruction: &str,
        concepts: &[String],
        outcome: Outcome,
        faults: Vec<String>,
        role: &str,
    ) -> HistoryEntry {
        HistoryEntry {
            id: id.to_string(),
            digest: instruction_digest(&self.lang, instruction),
            instruction: instruction.to_string(),
            concepts: concepts.to_vec(),
            outcome,
            faults,
            role: role.to_string(),
        }
    }
}

/// The first line of `text`, at most `max` chars: prompts carry headlines, not essays.
pub fn first_line(text: &str, max: usize) -> String {
    clip_chars(text.trim().lines().next().unwrap_or("").trim(), max)
}

/// `text` cut to at most `max` characters, marked `…` when cut.
pub fn clip_chars(text: &str, max: usize) -> String {
    match text.char_indices().nth(max) {
        Some((at, _)) => format!("{}…", &text[..at]),
        None => text.to_string(),
    }
}
