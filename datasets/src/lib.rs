//! `datasets` owns what a run writes: the versioned record types (documented in
//! `datasets/SCHEMA.md`), the append-only JSONL writer with journal and resume, work-item
//! sharding, merging, statistics and dataset cards.
//!
//! Architecture invariant: must not depend on `agents`, `llm` or `sandbox`; records are
//! plain data.
//!
//! A run directory holds:
//! - `data.jsonl` ([`RECORDS_FILE`]): one record per line, [`FolRecord`] or [`CodeRecord`];
//! - `failures.jsonl` ([`FAILURES_FILE`]): one [`FailureRecord`] per item that yielded none;
//! - `run.json` ([`RUN_FILE`]): the [`RunInfo`] of the last run (command, seed, model, costs);
//! - `card.md` ([`CARD_FILE`]): the dataset card rendered by [`card::render`];
//! - `memory.sled`: the run's memory (crate `memory`).

pub mod card;
mod code;
pub mod dedup;
mod error;
pub mod export;
mod fol;
mod jsonl;
mod merge;
mod plan;
pub mod query;
mod record;
mod run;
pub mod stats;
mod writer;

pub use code::{Check, CodeRecord, Provenance, Turn, Verification};
pub use error::DatasetError;
pub use fol::{FolMeta, FolRecord, Label, Narration, ProofStep, VERIFIED_NARRATION};
pub use jsonl::{ReadOutcome, ScanOutcome, read_values, scan_values};
pub use merge::{FileMerge, InputMerge, MergeReport, merge};
pub use plan::{WorkPlan, item_id, item_seed, parse_item_id, splitmix64};
pub use record::{CONTEXT_SEPARATOR, FailureRecord, HasId, Nl2Fol, SCHEMA_VERSION};
pub use run::{RunInfo, TokenTotals};
pub use writer::{DatasetWriter, Recovery};

/// The records of a run.
pub const RECORDS_FILE: &str = "data.jsonl";
/// Work items that yielded no record, with why.
pub const FAILURES_FILE: &str = "failures.jsonl";
/// The [`RunInfo`] of the run, as JSON.
pub const RUN_FILE: &str = "run.json";
/// The dataset card.
pub const CARD_FILE: &str = "card.md";
/// The run's memory database, unless `--memory` put it elsewhere.
pub const MEMORY_DIR: &str = "memory.sled";
