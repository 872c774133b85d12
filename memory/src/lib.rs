//! `memory` owns the one sled database of a run (or one shared across runs with
//! `--memory`): the trees for agent histories and reflections, the LLM response cache
//! and the run journal. It opens databases left by killed processes and reports corrupt
//! or foreign files as errors.
//!
//! Architecture invariant: a storage layer only. It must not depend on `llm`, `agents`,
//! `provers`, `sandbox` or `datasets`; values are opaque bytes or serde types.
//!
//! Tree names: `llm_cache`, `journal`, `usage` (what earlier runs' work items cost),
//! `agent/<lang>/history`, `agent/<lang>/reflections`.
//! Values written with [`Tree::put_json`] / [`Tree::push_json`] are JSON, so a database
//! stays readable by any tool and across changes of the Rust types.
//!
//! sled keeps an exclusive lock on the database for as long as a [`Memory`] (or any
//! clone of it) lives: one process, one handle. Clone the handle instead of opening the
//! same path twice.

mod error;
mod merge;
mod tree;

pub use error::MemoryError;
pub use merge::MergeStats;
pub use tree::Tree;

use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Name of the tree holding cached model responses.
pub const LLM_CACHE_TREE: &str = "llm_cache";
/// Name of the tree recording which work items a run has finished.
pub const JOURNAL_TREE: &str = "journal";
/// Prefix of every per-language agent tree (`agent/<lang>/...`).
pub const AGENT_PREFIX: &str = "agent/";

/// A handle on one sled database. Cheap to clone; all clones share the same db.
#[derive(Clone)]
pub struct Memory {
    db: sled::Db,
    path: Arc<PathBuf>,
}

impl std::fmt::Debug for Memory {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Memory").field("path", &self.path).finish_non_exhaustive()
    }
}

impl Memory {
    /// Opens (creating if missing) the database at `path`, a directory.
    ///
    /// Fails with a message naming the path when the path is a file, a directory that is
    /// not a sled database, a database that cannot be read, or one held by another live
    /// process (or already opened by this process).
    pub fn open(path: &Path) -> Result<Memory, MemoryError> {
        check_foreign(path)?;
        // sled can panic instead of returning an error on some corrupt files; a bad
        // file on disk is outside input, so turn that into an error too.
        // sled releases its file lock from a background thread shortly after the last
        // handle is dropped, so a database just closed (by this process, or a run that
        // just exited) can look locked for a moment: wait briefly before saying so.
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(2);
        let opened = loop {
            let attempt = std::panic::catch_unwind(|| sled::Config::new().path(path).open());
            match attempt {
                Ok(Err(e)) => match MemoryError::from_open(path, e) {
                    MemoryError::Locked { .. } if std::time::Instant::now() < deadline => {
                        std::thread::sleep(std::time::Duration::from_millis(50));
                    }
                    err => break Ok(Err(err)),
                },
                Ok(Ok(db)) => break Ok(Ok(db)),
                Err(panic) => break Err(panic),
            }
        };
        let db = match opened {
            Ok(Ok(db)) => db,
            Ok(Err(e)) => return Err(e),
            Err(panic) => {
                let reason = panic
                    .downcast_ref::<String>()
                    .cloned()
                    .or_else(|| panic.downcast_ref::<&str>().map(|s| (*s).to_string()))
                    .unwrap_or_else(|| "sled panicked while reading it".to_string());
                return Err(MemoryError::Corrupt { path: path.to_path_buf(), reason });
            }
        };
        Ok(Memory { db, path: Arc::new(path.to_path_buf()) })
    }

    /// A database that lives in memory and vanishes when dropped: scratch space for
    /// simulations (e.g. `--dry-run` playing a run without touching the real memory).
    pub fn temporary() -> Result<Memory, MemoryError> {
        let path = PathBuf::from("(temporary memory)");
        let db = sled::Config::new().temporary(true).open().map_err(|e| MemoryError::from_open(&path, e))?;
        Ok(Memory { db, path: Arc::new(path) })
    }

    /// The cache of model responses, keyed by a hash of (model, messages, params).
    pub fn llm_cache(&self) -> Result<Tree, MemoryError> {
        self.tree(LLM_CACHE_TREE)
    }

    /// The run journal: which work items are done.
    pub fn journal(&self) -> Result<Tree, MemoryError> {
        self.tree(JOURNAL_TREE)
    }

    /// What the agent of `lang` wrote, with outcomes (tree `agent/<lang>/history`).
    pub fn agent_history(&self, lang: &str) -> Result<Tree, MemoryError> {
        self.tree(&agent_tree_name(lang, "history")?)
    }

    /// The agent of `lang`'s merits/faults summaries (tree `agent/<lang>/reflections`).
    pub fn agent_reflections(&self, lang: &str) -> Result<Tree, MemoryError> {
        self.tree(&agent_tree_name(lang, "reflections")?)
    }

    /// Any named tree. Prefer the named accessors; this exists for tools and tests.
    pub fn tree(&self, name: &str) -> Result<Tree, MemoryError> {
        let inner = self.db.open_tree(name).map_err(|e| self.storage(e))?;
        Ok(Tree::new(inner, self.db.clone(), name.to_string(), self.path.clone()))
    }

    /// Names of the trees that hold data (sled's internal default tree is left out).
    pub fn tree_names(&self) -> Vec<String> {
        self.db
            .tree_names()
            .into_iter()
            .filter_map(|n| String::from_utf8(n.to_vec()).ok())
            .filter(|n| n != "__sled__default")
            .collect()
    }

    /// Writes everything to disk and waits for it (sled otherwise flushes every 500 ms).
    pub fn flush(&self) -> Result<(), MemoryError> {
        self.db.flush().map(|_| ()).map_err(|e| self.storage(e))
    }

    /// The directory of the database.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Whether this open recovered a database that was not closed cleanly.
    pub fn was_recovered(&self) -> bool {
        self.db.was_recovered()
    }

    pub(crate) fn storage(&self, error: sled::Error) -> MemoryError {
        MemoryError::Storage { path: self.path.to_path_buf(), error }
    }
}

fn agent_tree_name(lang: &str, kind: &str) -> Result<String, MemoryError> {
    let ok = !lang.is_empty()
        && lang.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '+' | '#' | '.'));
    if !ok {
        return Err(MemoryError::BadName {
            name: lang.to_string(),
            reason: "a language name is letters, digits and _ - + # . only".to_string(),
        });
    }
    Ok(format!("{AGENT_PREFIX}{lang}/{kind}"))
}

/// Refuses paths that are clearly not a sled database before sled gets to them: sled
/// would happily create its files inside any directory, mixing them with foreign data.
fn check_foreign(path: &Path) -> Result<(), MemoryError> {
    let meta = match std::fs::metadata(path) {
        Ok(m) => m,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(MemoryError::Io { path: path.to_path_buf(), error: e }),
    };
    if !meta.is_dir() {
        return Err(MemoryError::NotADatabase {
            path: path.to_path_buf(),
            reason: "it is a file, and a sled database is a directory".to_string(),
        });
    }
    let entries =
        std::fs::read_dir(path).map_err(|e| MemoryError::Io { path: path.to_path_buf(), error: e })?;
    let mut names = Vec::new();
    for entry in entries {
        let entry = entry.map_err(|e| MemoryError::Io { path: path.to_path_buf(), error: e })?;
        names.push(entry.file_name().to_string_lossy().into_owned());
    }
    let sled_like = names.iter().any(|n| n == "db" || n == "conf");
    if !names.is_empty() && !sled_like {
        names.sort();
        names.truncate(3);
        return Err(MemoryError::NotADatabase {
            path: path.to_path_buf(),
            reason: format!(
                "the directory is not empty and holds no sled files (found {})",
                names.join(", ")
            ),
        });
    }
    if path.join("db").is_dir() {
        return Err(MemoryError::NotADatabase {
            path: path.to_path_buf(),
            reason: "its `db` entry is a directory, not sled's data file".to_string(),
        });
    }
    Ok(())
}
