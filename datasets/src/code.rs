//! The record of `gen code`: an instruction, its executed solution and tests.

use crate::record::{HasId, SCHEMA_VERSION, de_id};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use std::collections::BTreeMap;

/// One kept code sample: the solution compiled and its tests passed in the sandbox.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CodeRecord {
    #[serde(deserialize_with = "de_id")]
    pub id: String,
    /// Language name as in `sandbox/languages.toml` (e.g. `python`, `rust`).
    pub lang: String,
    /// The task, as a user would ask it.
    pub instruction: String,
    /// The answer a model should learn to give: prose plus the solution.
    pub response: String,
    /// The solution source alone.
    pub solution: String,
    /// The test source that exercised the solution.
    pub tests: String,
    /// The function or type the tests call, when there is one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub entry_point: Option<String>,
    /// The language-neutral signature the tests call (`name(a: int) -> str`), when the
    /// tests were rendered from cases.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub signature: Option<String>,
    /// The cases the tests check, `{"args": [...], "expected": ...}`: expected values are
    /// what the reference solution returned in the sandbox.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub cases: Vec<Value>,
    /// Records of one exercise in several languages share a family id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub family: Option<String>,
    /// Enough to re-run the check: the files and the commands.
    #[serde(default)]
    pub check: Check,
    #[serde(default)]
    pub verification: Verification,
    #[serde(default)]
    pub provenance: Provenance,
    /// The agents' discussion that produced the sample.
    #[serde(default)]
    pub dialogue: Vec<Turn>,
    /// Quality-gate scores and anything else a generator wants to keep.
    #[serde(default, skip_serializing_if = "Map::is_empty")]
    pub extra: Map<String, Value>,
    #[serde(default)]
    pub schema_version: u32,
}

impl Default for CodeRecord {
    fn default() -> Self {
        CodeRecord {
            id: String::new(),
            lang: String::new(),
            instruction: String::new(),
            response: String::new(),
            solution: String::new(),
            tests: String::new(),
            signature: None,
            cases: Vec::new(),
            family: None,
            entry_point: None,
            check: Check::default(),
            verification: Verification::default(),
            provenance: Provenance::default(),
            dialogue: Vec::new(),
            extra: Map::new(),
            schema_version: SCHEMA_VERSION,
        }
    }
}

impl HasId for CodeRecord {
    fn id(&self) -> &str {
        &self.id
    }
}

/// The files written into the sandbox and the commands run there, in order; each
/// command is an argv. `gen verify` replays them.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Check {
    /// Registry name of the language (selects its compile cache on replay).
    #[serde(default)]
    pub lang: String,
    pub files: BTreeMap<String, String>,
    pub commands: Vec<Vec<String>>,
    /// How many leading commands compile (their failure is a compile error).
    #[serde(default)]
    pub compile_steps: usize,
    /// Environment beyond the sandbox's minimal PATH/HOME/LANG/TMPDIR.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub env: BTreeMap<String, String>,
}

/// What the sandbox observed.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Verification {
    pub compiled: bool,
    pub passed: bool,
    pub runtime_ms: u64,
    /// Test cases (or asserts) that ran, when the harness can tell.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tests_run: Option<u32>,
    /// Whether the tests fail against a trivial stub (they really exercise the code).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub non_vacuous: Option<bool>,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub stderr_tail: String,
    /// Fresh solves (instruction and declaration only) it took for one to pass the
    /// cases; absent when the instruction was not checked that way.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fresh_solve_tries: Option<u32>,
    /// Share of the compiling mechanical mutants of the solution that the tests reject
    /// (absent when no mutant compiled).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mutation_score: Option<f64>,
    /// How many mutants compiled and were run.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mutants: Option<u32>,
    /// The toolchain that ran it, e.g. `rustc 1.85.0`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub toolchain: Option<String>,
    #[serde(default, skip_serializing_if = "Map::is_empty")]
    pub extra: Map<String, Value>,
}

/// Where a sample came from.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Provenance {
    /// The seed snippet's origin (file path or built-in name), if a snippet seeded it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seed_snippet: Option<String>,
    /// The seed's collection: `builtin`, `--seeds`, or the harvested source (`go-std`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seed_source: Option<String>,
    /// The seed's SPDX licence, when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seed_licence: Option<String>,
    /// The work item's own seed.
    #[serde(default)]
    pub seed: u64,
    #[serde(default)]
    pub index: u64,
    /// Agents that took part, e.g. `["python", "rust"]`.
    #[serde(default)]
    pub agents: Vec<String>,
    #[serde(default)]
    pub rounds: u32,
    #[serde(default)]
    pub model: String,
    /// Template name -> hash of the rendered-template source used.
    #[serde(default)]
    pub prompt_hashes: BTreeMap<String, String>,
    #[serde(default, skip_serializing_if = "Map::is_empty")]
    pub extra: Map<String, Value>,
}

/// One message of the agents' discussion.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Turn {
    /// Which agent spoke (its language), or `summary`.
    pub agent: String,
    /// `propose`, `critique`, `port`, `summary`, `repair`, … or a chat role.
    pub role: String,
    pub content: String,
}
