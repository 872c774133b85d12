//! Replayable execution records.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Everything needed to re-run an execution: the files written into the (initially
/// empty) working directory and the commands run there, in order. The first
/// `compile_steps` commands are compilation; the last one's exit status is the verdict.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Check {
    /// Registry name of the language (selects its compile cache on replay).
    #[serde(default)]
    pub lang: String,
    /// File name -> content, relative to the working directory.
    pub files: BTreeMap<String, String>,
    /// argv of each command, run with the working directory as cwd.
    pub commands: Vec<Vec<String>>,
    /// How many leading commands are compilation (their failure is a compile error).
    #[serde(default)]
    pub compile_steps: usize,
    /// Environment beyond the sandbox's minimal PATH/HOME/LANG/TMPDIR.
    #[serde(default)]
    pub env: BTreeMap<String, String>,
}

/// How an execution ended. Each limit has its own outcome, so a record says which limit
/// ended a run: `time_limit`, `memory_limit`, `output_limit`, `process_limit`, or `killed`
/// (any other fatal signal a limit sends, SIGKILL above all).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(tag = "kind", rename_all = "snake_case")]
#[non_exhaustive]
pub enum Outcome {
    /// Every command exited 0.
    Passed,
    /// The final command exited non-zero (or died of a signal such as SIGABRT/SIGSEGV).
    Failed { exit_code: Option<i32>, signal: Option<i32> },
    /// A compile step failed.
    CompileError { exit_code: Option<i32> },
    /// The wall-time limit (the whole sandbox was killed) or the CPU-time limit (SIGXCPU).
    /// Records written before schema 4 call it `timeout`.
    #[serde(alias = "timeout")]
    TimeLimit {
        #[serde(default)]
        cpu: bool,
    },
    /// The memory limit: an allocation failed and the program died of it. An rlimit
    /// reports itself only inside the program, so this is read off the dying step's
    /// stderr by the language's `limits.memory` markers (`sandbox/languages.toml`).
    MemoryLimit { exit_code: Option<i32>, signal: Option<i32> },
    /// A step wrote more than the output limit to stdout or stderr and was killed, or
    /// (`file`) wrote a file past the file-size limit (SIGXFSZ).
    OutputLimit {
        #[serde(default)]
        file: bool,
    },
    /// The process limit: a fork or thread creation failed and the program died of it
    /// (read off stderr by the language's `limits.process` markers).
    ProcessLimit { exit_code: Option<i32>, signal: Option<i32> },
    /// Killed by a signal a limit sends (SIGKILL: the CPU limit's hard kill).
    Killed { signal: i32 },
}

impl Outcome {
    pub fn passed(&self) -> bool {
        matches!(self, Outcome::Passed)
    }

    /// Short lowercase label, e.g. `compile_error` (the serde tag).
    pub fn label(&self) -> &'static str {
        match self {
            Outcome::Passed => "passed",
            Outcome::Failed { .. } => "failed",
            Outcome::CompileError { .. } => "compile_error",
            Outcome::TimeLimit { .. } => "time_limit",
            Outcome::MemoryLimit { .. } => "memory_limit",
            Outcome::OutputLimit { .. } => "output_limit",
            Outcome::ProcessLimit { .. } => "process_limit",
            Outcome::Killed { .. } => "killed",
        }
    }

    /// Whether a limit (not the code's own verdict) ended the run.
    pub fn is_limit(&self) -> bool {
        Self::LIMITS.contains(&self.label())
    }

    /// The labels of the outcomes that mean a limit ended the run.
    pub const LIMITS: [&'static str; 5] =
        ["time_limit", "memory_limit", "output_limit", "process_limit", "killed"];
}

impl std::fmt::Display for Outcome {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Outcome::Failed { exit_code: Some(c), .. } => write!(f, "failed (exit {c})"),
            Outcome::Failed { signal: Some(s), .. } => write!(f, "failed (signal {s})"),
            Outcome::CompileError { exit_code: Some(c) } => write!(f, "compile error (exit {c})"),
            Outcome::TimeLimit { cpu: true } => f.write_str("time limit (CPU seconds)"),
            Outcome::TimeLimit { cpu: false } => f.write_str("time limit (wall clock)"),
            Outcome::MemoryLimit { .. } => f.write_str("memory limit (an allocation failed)"),
            Outcome::ProcessLimit { .. } => f.write_str("process limit (a fork or thread failed)"),
            Outcome::OutputLimit { file: true } => f.write_str("output limit (file size)"),
            Outcome::Killed { signal } => write!(f, "killed by a limit (signal {signal})"),
            other => f.write_str(&other.label().replace('_', " ")),
        }
    }
}

/// The result of running a [`Check`] in the sandbox.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct ExecRecord {
    pub check: Check,
    pub outcome: Outcome,
    /// Wall time of all steps together.
    pub duration_ms: u64,
    /// Index into `check.commands` of the step that decided the outcome.
    pub step: usize,
    /// Last bytes of that step's stdout/stderr (lossy UTF-8).
    pub stdout_tail: String,
    pub stderr_tail: String,
    /// Total bytes that step wrote to stdout/stderr (counted up to the kill).
    pub stdout_bytes: u64,
    pub stderr_bytes: u64,
}

impl ExecRecord {
    pub fn passed(&self) -> bool {
        self.outcome.passed()
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn old_records_read_and_labels_are_the_serde_tags() {
        let old: Outcome = serde_json::from_str(r#"{"kind":"timeout"}"#).unwrap();
        assert_eq!(old, Outcome::TimeLimit { cpu: false });
        let old: Outcome = serde_json::from_str(r#"{"kind":"output_limit"}"#).unwrap();
        assert_eq!(old, Outcome::OutputLimit { file: false });
        for o in [
            Outcome::Passed,
            Outcome::Failed { exit_code: Some(1), signal: None },
            Outcome::CompileError { exit_code: Some(1) },
            Outcome::TimeLimit { cpu: true },
            Outcome::MemoryLimit { exit_code: Some(1), signal: None },
            Outcome::OutputLimit { file: true },
            Outcome::ProcessLimit { exit_code: None, signal: Some(6) },
            Outcome::Killed { signal: 9 },
        ] {
            let v = serde_json::to_value(&o).unwrap();
            assert_eq!(v["kind"], o.label(), "{o:?}");
            assert_eq!(serde_json::from_value::<Outcome>(v).unwrap(), o);
            assert_eq!(o.is_limit(), Outcome::LIMITS.contains(&o.label()));
        }
        assert_eq!(Outcome::LIMITS.len(), 5);
    }
}
