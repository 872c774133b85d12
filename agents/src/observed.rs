//! What work items really cost in earlier runs, remembered in the memory database (tree
//! `usage`) so that `--dry-run` estimates and budget checks learn from experience instead
//! of guessing from rendered prompts alone.
//!
//! Observations are summed per *kind of work*: the generator, the model and whatever
//! changes the number or size of calls (languages and rounds for `gen code`, depth for
//! `gen fol`). A run adds its totals at its end; an estimate divides.

use memory::{Memory, MemoryError};
use serde::{Deserialize, Serialize};

/// The memory tree holding observations.
pub const USAGE_TREE: &str = "usage";

/// Totals over the work items of earlier runs of one kind.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ObservedUsage {
    /// Work items finished.
    pub items: u64,
    /// Records they yielded.
    pub kept: u64,
    /// Model calls (cache hits included: a fresh run would pay for them).
    pub calls: u64,
    pub prompt_tokens: u64,
    pub completion_tokens: u64,
}

impl ObservedUsage {
    /// The observations for `key`, if any run recorded some.
    pub fn load(memory: &Memory, key: &str) -> Result<Option<ObservedUsage>, MemoryError> {
        Ok(memory.tree(USAGE_TREE)?.get_json::<ObservedUsage>(key.as_bytes())?.filter(|o| o.items > 0))
    }

    /// Adds `self` to what is recorded under `key`.
    pub fn record(&self, memory: &Memory, key: &str) -> Result<(), MemoryError> {
        if self.items == 0 {
            return Ok(());
        }
        let tree = memory.tree(USAGE_TREE)?;
        let mut sum = tree.get_json::<ObservedUsage>(key.as_bytes())?.unwrap_or_default();
        sum.items += self.items;
        sum.kept += self.kept;
        sum.calls += self.calls;
        sum.prompt_tokens += self.prompt_tokens;
        sum.completion_tokens += self.completion_tokens;
        tree.put_json(key.as_bytes(), &sum)
    }

    /// The average work item.
    pub fn per_item(&self) -> Option<llm::TokenEstimate> {
        llm::TokenEstimate::average(self.calls, self.prompt_tokens, self.completion_tokens, self.items)
    }

    /// Records per work item.
    pub fn kept_per_item(&self) -> Option<f64> {
        (self.items > 0).then(|| self.kept as f64 / self.items as f64)
    }
}

/// The kind of a `gen code` run: model, languages (in order: the proposer rotates through
/// them), rounds, discussion style and whether a judge scores.
pub fn code_key(model: &str, langs: &[String], rounds: u32, parallel: bool, judge: bool) -> String {
    format!(
        "code|{model}|{}|r{rounds}|{}|{}",
        langs.join(","),
        if parallel { "parallel" } else { "centralized" },
        if judge { "judge" } else { "nojudge" }
    )
}

/// The kind of a `gen fol` run with a model narrator.
pub fn fol_key(model: &str, depth: &str) -> String {
    format!("fol|{model}|d{depth}")
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn observations_add_up_across_runs_and_average_per_item() {
        let memory = Memory::temporary().unwrap();
        let key = code_key("m", &["python".into(), "go".into()], 1, false, false);
        assert_eq!(ObservedUsage::load(&memory, &key).unwrap(), None);
        let run = ObservedUsage { items: 2, kept: 3, calls: 8, prompt_tokens: 1000, completion_tokens: 200 };
        run.record(&memory, &key).unwrap();
        run.record(&memory, &key).unwrap();
        let seen = ObservedUsage::load(&memory, &key).unwrap().unwrap();
        assert_eq!(seen.items, 4);
        let per = seen.per_item().unwrap();
        assert_eq!((per.calls, per.prompt_tokens, per.completion_tokens), (4.0, 500.0, 100.0));
        assert_eq!(seen.kept_per_item(), Some(1.5));
        // Another kind of work has its own account.
        assert_eq!(ObservedUsage::load(&memory, &fol_key("m", "3")).unwrap(), None);
    }
}
