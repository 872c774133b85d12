//! `gen code`: language agents that write executed, multilingual code instructions
//! (Qwen2.5-xCoder's collaboration, with every kept sample compiled and tested).
//!
//! One work item runs the discussion ([`discussion`]): the proposing agent writes an
//! exercise from a seed snippet, the other agents critique and port it, candidates are
//! checked (one repair round), a summary step decides, the gates ([`gates`]) filter, and
//! the survivors become records. Every candidate leaves a line in its agent's memory
//! ([`agent`]), and agents periodically reflect on that history.

pub mod agent;
pub mod answer;
pub mod checker;
pub mod derived;
pub mod discussion;
pub mod estimate;
pub mod gates;
pub mod mutate;
pub mod pipeline;
pub mod report;
pub mod runnable;
pub mod seeds;
pub mod sink;
pub mod verify;

pub use agent::{AgentContext, HistoryEntry, LanguageAgent, Outcome, Reflection};
pub use checker::{CheckError, Checker, Execution, SandboxChecker};
pub use gates::{Decontaminator, DedupIndex};
pub use pipeline::{CodeGenerator, CodeSettings, Protocol};
pub use report::{DropCounts, LangStats, RunSummary};
pub use seeds::{Seed, SeedBank};
pub use sink::{DatasetSink, SampleSink};

use serde::Serialize;

#[derive(Debug, thiserror::Error)]
pub enum CodeError {
    #[error(transparent)]
    Prompt(#[from] crate::PromptError),
    #[error(transparent)]
    Memory(#[from] memory::MemoryError),
    #[error(transparent)]
    Seeds(#[from] seeds::SeedError),
    #[error(transparent)]
    Decontam(#[from] gates::DecontamError),
    #[error("writing the dataset: {0}")]
    Sink(String),
    #[error("the model failed on {consecutive} work items in a row; last error: {last}")]
    ModelDown { consecutive: u32, last: String },
    #[error("checking in the sandbox: {0}")]
    Check(#[from] CheckError),
    #[error("no agent for language {0:?}; pick languages from the sandbox registry")]
    NoAgent(String),
}

/// Tokens and calls spent.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Usage {
    pub calls: u64,
    pub prompt_tokens: u64,
    pub completion_tokens: u64,
    /// Calls answered from the response cache (free).
    pub cached_calls: u64,
}

impl Usage {
    pub fn add(&mut self, resp: &llm::ChatResponse) {
        self.calls += 1;
        self.prompt_tokens += resp.usage.prompt_tokens;
        self.completion_tokens += resp.usage.completion_tokens;
        self.cached_calls += u64::from(resp.cached);
    }

    pub fn merge(&mut self, other: &Usage) {
        self.calls += other.calls;
        self.prompt_tokens += other.prompt_tokens;
        self.completion_tokens += other.completion_tokens;
        self.cached_calls += other.cached_calls;
    }

    pub fn total_tokens(&self) -> u64 {
        self.prompt_tokens + self.completion_tokens
    }
}

#[cfg(test)]
mod tests;
