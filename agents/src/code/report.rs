//! The account of a run: what was tried, kept, filtered and failed, per language and
//! per gate, and the tokens it cost. The CLI turns it into the run summary, `run.json`
//! and the card.

use crate::code::Usage;
use serde::Serialize;
use std::collections::BTreeMap;

/// What each quality gate dropped.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct DropCounts {
    pub length: u64,
    pub language: u64,
    pub prompt_copy: u64,
    pub not_an_instruction: u64,
    pub exact_dup: u64,
    pub near_dup: u64,
    pub decontamination: u64,
    pub judge: u64,
    /// Passing versions the summary step chose not to keep.
    pub summary: u64,
}

impl DropCounts {
    pub fn total(&self) -> u64 {
        self.length
            + self.language
            + self.prompt_copy
            + self.not_an_instruction
            + self.exact_dup
            + self.near_dup
            + self.decontamination
            + self.judge
            + self.summary
    }
}

/// Per-language counts of this run.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct LangStats {
    pub attempted: u64,
    /// Verified: compiled, passed, non-vacuous (before summary and gates).
    pub passed: u64,
    pub kept: u64,
    /// Passed only after a repair.
    pub repaired: u64,
    /// Entries in this language agent's memory (its history of attempts, from every run
    /// that shared the memory) when the run began and when it ended. A run on a memory
    /// merged from shards begins with the sum of the shards' ends.
    pub history_at_start: u64,
    pub history_at_end: u64,
}

impl LangStats {
    pub fn pass_rate(&self) -> f64 {
        if self.attempted == 0 { 0.0 } else { self.passed as f64 / self.attempted as f64 }
    }
}

/// The run's account: `attempted == kept + filtered + failed` for this run.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct RunSummary {
    pub items: u64,
    pub attempted: u64,
    pub kept: u64,
    pub filtered: u64,
    pub failed: u64,
    /// Records and attempts found from earlier runs into the same output.
    pub resumed_kept: u64,
    pub resumed_attempted: u64,
    pub failures_by_stage: BTreeMap<String, u64>,
    pub drops: DropCounts,
    pub per_lang: BTreeMap<String, LangStats>,
    pub usage: Usage,
    pub reflections: u64,
    /// Why the loop ended: `target reached`, `max attempts reached`.
    pub stop_reason: String,
}

impl RunSummary {
    /// What the job runtime's control sees before the next work item.
    pub fn progress(&self) -> crate::job::Progress {
        crate::job::Progress {
            items: self.items,
            kept: self.kept,
            attempted: self.attempted,
            failed: self.failed,
            filtered: self.filtered,
            tokens: self.usage.total_tokens(),
            next: 1,
        }
    }

    pub fn tokens_per_kept(&self) -> Option<f64> {
        (self.kept > 0).then(|| self.usage.total_tokens() as f64 / self.kept as f64)
    }
}
