//! Seeds from real code. `harvest` walks source trees, parses every file of a known
//! language with its tree-sitter grammar, and keeps the self-contained functions (3–60
//! lines, standard library only, no I/O or global state; `languages.toml` says how each
//! language's are told apart) with their doc comment, signature, source path, package
//! and licence. Exact and near duplicates (the MinHash of `datasets::dedup`) are dropped.
//!
//! Owns parsing and extraction only. It must not depend on `agents`, `llm` or `sandbox`:
//! whether a seed runs is checked by its caller, and how seeds become exercises is the
//! agents' business.

mod extract;
mod grammar;
pub mod licence;
pub mod sources;
mod table;

pub use extract::{MAX_LINES, MIN_LINES};
pub use licence::{Licence, LicenceFinder, PERMISSIVE};

use datasets::dedup::{DedupIndex, Duplicate};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashSet};
use std::io::Write;
use std::path::{Path, PathBuf};
use table::LangRules;

/// The harvested seeds, one JSON object per line, in `--out`.
pub const SEEDS_FILE: &str = "seeds.jsonl";
/// What the harvest read, kept and refused, per language.
pub const REPORT_FILE: &str = "harvest.json";

/// Bounds the walk: deeper trees are vendored copies of what is above them.
const MAX_DEPTH: usize = 24;
/// Files larger than this are generated (parser tables, Unicode data), not seed material.
const MAX_FILE_BYTES: u64 = 512 * 1024;

#[derive(Debug, thiserror::Error)]
pub enum HarvestError {
    #[error("cannot read {path}: {reason}")]
    Read { path: PathBuf, reason: String },
    #[error("cannot write {path}: {reason}")]
    Write { path: PathBuf, reason: String },
    #[error("unknown language {0:?} (known: {1})")]
    UnknownLanguage(String, String),
    #[error("the language table is malformed: {0}")]
    Table(String),
    #[error("no grammar for {0}")]
    Grammar(String),
}

/// One harvested function.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SeedRecord {
    /// `seed-<lang>-<digest>`: the same code gives the same id in every harvest.
    pub id: String,
    pub lang: String,
    pub entry_point: String,
    pub signature: String,
    /// The function with the standard imports it uses and its doc comments.
    pub code: String,
    /// The standard imports it uses, one statement each (the head of `code`).
    #[serde(default)]
    pub imports: Vec<String>,
    /// Its doc comments and the function (the rest of `code`).
    #[serde(default)]
    pub function: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub doc: Option<String>,
    /// The file it came from.
    pub source: String,
    /// The directory (package) it came from, relative to the harvested root.
    pub package: String,
    /// SPDX identifier, or `unknown`.
    pub licence: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub licence_file: Option<String>,
    /// The built-in source it came from (`go-std`, see `sources.toml`); none for a
    /// harvest of roots given by hand.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub collection: Option<String>,
    pub lines: usize,
    /// The seed is a whole program (reads stdin, writes stdout), not a function to call.
    #[serde(default)]
    pub program: bool,
    /// Whether it loads (compiles, or imports) in the sandbox on its own, when checked.
    /// Only seeds that do may become an answer verbatim.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub runnable: Option<bool>,
}

/// Per-language counts of a harvest.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct LangReport {
    pub files: u64,
    /// Files that did not parse at all, or were too large, or not UTF-8.
    pub files_skipped: u64,
    /// Functions in a place a self-contained one can be (top level, or static in Java).
    pub candidates: u64,
    pub kept: u64,
    pub exact_duplicates: u64,
    pub near_duplicates: u64,
    /// Why the other candidates were refused.
    pub refused: BTreeMap<String, u64>,
    /// Kept seeds by licence.
    pub licences: BTreeMap<String, u64>,
    /// Kept seeds checked in the sandbox, and those of them that load.
    #[serde(default)]
    pub checked: u64,
    #[serde(default)]
    pub runnable: u64,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct HarvestReport {
    pub roots: Vec<String>,
    pub langs: BTreeMap<String, LangReport>,
    /// Built-in sources (`--builtin`) that are not installed: `NAME (INSTALLED_BY)`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub missing_sources: Vec<String>,
    /// Per built-in source and language, what it gave.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub sources: Vec<SourceCount>,
}

/// What one built-in source gave in one language.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SourceCount {
    pub source: String,
    pub lang: String,
    pub seeds: u64,
    /// Of `seeds`, those that load, when checked.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub runnable: Option<u64>,
    /// Seeds by licence.
    pub licences: BTreeMap<String, u64>,
}

impl SourceCount {
    /// The counts of `seeds`, by collection (those with one) and language.
    pub fn of(seeds: &[SeedRecord]) -> Vec<SourceCount> {
        let mut by: BTreeMap<(String, String), SourceCount> = BTreeMap::new();
        for s in seeds {
            let Some(c) = &s.collection else { continue };
            let e = by.entry((c.clone(), s.lang.clone())).or_insert_with(|| SourceCount {
                source: c.clone(),
                lang: s.lang.clone(),
                ..SourceCount::default()
            });
            e.seeds += 1;
            if let Some(r) = s.runnable {
                *e.runnable.get_or_insert(0) += u64::from(r);
            }
            *e.licences.entry(s.licence.clone()).or_default() += 1;
        }
        by.into_values().collect()
    }
}

impl HarvestReport {
    pub fn kept(&self) -> u64 {
        self.langs.values().map(|l| l.kept).sum()
    }
}

/// What to harvest.
#[derive(Debug, Clone, Default)]
pub struct HarvestOptions {
    /// Languages to harvest (empty: every language of the table).
    pub langs: Vec<String>,
}

/// The languages the harvester has a grammar and rules for.
pub fn languages() -> Vec<String> {
    table::rules().map(|r| r.into_keys().collect()).unwrap_or_default()
}

/// A tree to harvest, with what the seeds found in it are tagged with.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Root {
    pub path: PathBuf,
    /// Recorded as each seed's `collection`.
    pub collection: Option<String>,
    /// The licence of files neither the tree nor Debian names one for.
    pub licence: Option<String>,
    /// Languages harvested from this root (empty: those of the options).
    pub langs: Vec<String>,
}

impl Root {
    pub fn new(path: impl Into<PathBuf>) -> Root {
        Root { path: path.into(), ..Root::default() }
    }
}

/// The seeds of `roots` (directories or files), in a stable order, with the report.
pub fn harvest(
    roots: &[PathBuf],
    opts: &HarvestOptions,
) -> Result<(Vec<SeedRecord>, HarvestReport), HarvestError> {
    let roots: Vec<Root> = roots.iter().map(Root::new).collect();
    harvest_roots(&roots, opts)
}

/// [`harvest`] of tagged roots: exact and near duplicates are dropped across all of them,
/// the first root's copy kept.
pub fn harvest_roots(
    roots: &[Root],
    opts: &HarvestOptions,
) -> Result<(Vec<SeedRecord>, HarvestReport), HarvestError> {
    let all = table::rules().map_err(|e| HarvestError::Table(e.to_string()))?;
    let known = all.keys().cloned().collect::<Vec<_>>().join(", ");
    let langs: Vec<String> =
        if opts.langs.is_empty() { all.keys().cloned().collect() } else { opts.langs.clone() };
    let mut chosen: Vec<(String, LangRules, tree_sitter::Parser)> = Vec::new();
    for lang in &langs {
        let rules =
            all.get(lang).ok_or_else(|| HarvestError::UnknownLanguage(lang.clone(), known.clone()))?;
        let grammar = grammar::grammar(lang).ok_or_else(|| HarvestError::Grammar(lang.clone()))?;
        let mut parser = tree_sitter::Parser::new();
        parser.set_language(&grammar).map_err(|e| HarvestError::Grammar(format!("{lang}: {e}")))?;
        chosen.push((lang.clone(), rules.clone(), parser));
    }

    let mut report = HarvestReport {
        roots: roots.iter().map(|r| r.path.display().to_string()).collect(),
        langs: langs.iter().map(|l| (l.clone(), LangReport::default())).collect(),
        ..HarvestReport::default()
    };
    let mut seeds = Vec::new();
    let mut dedup = DedupIndex::default();
    let mut licences = LicenceFinder::default();
    for tagged in roots {
        // A root given through a symlink (Debian's /usr/lib/go-1.19/src) is followed;
        // links inside it are not.
        let root = &tagged
            .path
            .canonicalize()
            .map_err(|e| HarvestError::Read { path: tagged.path.clone(), reason: e.to_string() })?;
        let mut files = Vec::new();
        walk(root, &mut files, 0)?;
        files.sort();
        // Files grouped by directory: a package's top-level names span its files.
        let mut by_dir: BTreeMap<PathBuf, Vec<PathBuf>> = BTreeMap::new();
        for f in files {
            by_dir.entry(f.parent().unwrap_or(Path::new("")).to_path_buf()).or_default().push(f);
        }
        for (dir, files) in by_dir {
            for (lang, rules, parser) in chosen.iter_mut() {
                if !tagged.langs.is_empty() && !tagged.langs.contains(lang) {
                    continue;
                }
                let mine: Vec<&PathBuf> = files
                    .iter()
                    .filter(|f| match f.extension().and_then(|e| e.to_str()) {
                        Some(e) => rules.extensions.iter().any(|x| x == e),
                        None => !rules.first_line.is_empty() && first_line_marks(f, &rules.first_line),
                    })
                    .collect();
                if mine.is_empty() {
                    continue;
                }
                let stats = report.langs.entry(lang.clone()).or_default();
                let mut parsed = Vec::new();
                let mut package = HashSet::new();
                for path in mine {
                    stats.files += 1;
                    let text = match read_source(path) {
                        Some(t) => t,
                        None => {
                            stats.files_skipped += 1;
                            continue;
                        }
                    };
                    let Some(tree) = extract::parse(parser, &text) else {
                        stats.files_skipped += 1;
                        continue;
                    };
                    extract::toplevel_names(&tree, &text, rules, &mut package);
                    parsed.push((path, text, tree));
                }
                for (path, text, tree) in &parsed {
                    let got = extract::functions(tree, text, rules, &package);
                    stats.candidates += (got.found.len() + got.refused.len()) as u64;
                    for reason in got.refused {
                        *stats.refused.entry(reason.to_string()).or_default() += 1;
                    }
                    for f in got.found {
                        match dedup.check(lang, &f.code) {
                            Some(Duplicate::Exact) => {
                                stats.exact_duplicates += 1;
                                continue;
                            }
                            Some(Duplicate::Near) => {
                                stats.near_duplicates += 1;
                                continue;
                            }
                            None => dedup.insert(lang, &f.code),
                        }
                        let mut licence = licences.for_file(path);
                        if let (true, Some(given)) = (licence.spdx == "unknown", &tagged.licence) {
                            licence = Licence { spdx: given.clone(), source: None };
                        }
                        *stats.licences.entry(licence.spdx.clone()).or_default() += 1;
                        stats.kept += 1;
                        let package = dir.strip_prefix(root).unwrap_or(&dir).display().to_string();
                        seeds.push(SeedRecord {
                            id: format!("seed-{lang}-{}", datasets::dedup::instruction_digest(lang, &f.code)),
                            lang: lang.clone(),
                            entry_point: f.entry_point,
                            signature: f.signature,
                            code: f.code,
                            imports: f.imports,
                            function: f.function,
                            doc: f.doc,
                            source: path.display().to_string(),
                            package: if package.is_empty() { ".".into() } else { package },
                            licence: licence.spdx,
                            licence_file: licence.source.map(|p| p.display().to_string()),
                            collection: tagged.collection.clone(),
                            lines: f.lines,
                            program: rules.programs,
                            runnable: None,
                        });
                    }
                }
            }
        }
    }
    Ok((seeds, report))
}

/// Writes `seeds.jsonl` and `harvest.json` into `out` (through temporary files, so a
/// reader never sees half a corpus).
pub fn write(out: &Path, seeds: &[SeedRecord], report: &HarvestReport) -> Result<(), HarvestError> {
    let werr = |path: &Path, e: &dyn std::fmt::Display| HarvestError::Write {
        path: path.to_path_buf(),
        reason: e.to_string(),
    };
    std::fs::create_dir_all(out).map_err(|e| werr(out, &e))?;
    let path = out.join(SEEDS_FILE);
    let tmp = out.join(format!("{SEEDS_FILE}.tmp"));
    let file = std::fs::File::create(&tmp).map_err(|e| werr(&tmp, &e))?;
    let mut w = std::io::BufWriter::new(file);
    for s in seeds {
        let line = serde_json::to_string(s).map_err(|e| werr(&tmp, &e))?;
        w.write_all(line.as_bytes()).and_then(|()| w.write_all(b"\n")).map_err(|e| werr(&tmp, &e))?;
    }
    w.flush().map_err(|e| werr(&tmp, &e))?;
    std::fs::rename(&tmp, &path).map_err(|e| werr(&path, &e))?;
    let rpath = out.join(REPORT_FILE);
    let json = serde_json::to_vec_pretty(report).map_err(|e| werr(&rpath, &e))?;
    std::fs::write(&rpath, json).map_err(|e| werr(&rpath, &e))
}

/// Reads a corpus written by [`write`].
pub fn read(dir: &Path) -> Result<Vec<SeedRecord>, HarvestError> {
    let path = dir.join(SEEDS_FILE);
    let text = std::fs::read_to_string(&path)
        .map_err(|e| HarvestError::Read { path: path.clone(), reason: e.to_string() })?;
    text.lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
        .map(|(n, l)| {
            serde_json::from_str(l).map_err(|e| HarvestError::Read {
                path: path.clone(),
                reason: format!("line {}: {e}", n + 1),
            })
        })
        .collect()
}

/// Whether the first line of `path` holds one of `markers` (read only as far as that line).
fn first_line_marks(path: &Path, markers: &[String]) -> bool {
    use std::io::{BufRead, Read};
    let Ok(file) = std::fs::File::open(path) else { return false };
    let mut line = String::new();
    let read = std::io::BufReader::new(file.take(512)).read_line(&mut line);
    read.is_ok() && markers.iter().any(|m| line.contains(m.as_str()))
}

fn read_source(path: &Path) -> Option<String> {
    let meta = std::fs::metadata(path).ok()?;
    if meta.len() > MAX_FILE_BYTES {
        return None;
    }
    std::fs::read_to_string(path).ok()
}

fn walk(path: &Path, out: &mut Vec<PathBuf>, depth: usize) -> Result<(), HarvestError> {
    let meta = std::fs::symlink_metadata(path)
        .map_err(|e| HarvestError::Read { path: path.to_path_buf(), reason: e.to_string() })?;
    if meta.is_file() {
        out.push(path.to_path_buf());
        return Ok(());
    }
    if !meta.is_dir() || depth > MAX_DEPTH {
        return Ok(());
    }
    let entries = std::fs::read_dir(path)
        .map_err(|e| HarvestError::Read { path: path.to_path_buf(), reason: e.to_string() })?;
    for entry in entries.flatten() {
        let name = entry.file_name();
        let name = name.to_string_lossy();
        // Hidden directories, build output, test suites and test data are not seed
        // material; installed third-party packages keep their licences beside them
        // (`*.dist-info`), not above, so they are harvested as roots of their own or not.
        if name.starts_with('.')
            || ["target", "testdata", "test", "tests", "node_modules", "site-packages", "dist-packages"]
                .contains(&name.as_ref())
        {
            continue;
        }
        let Ok(kind) = entry.file_type() else { continue };
        if kind.is_symlink() {
            continue;
        }
        if kind.is_dir() {
            walk(&entry.path(), out, depth + 1)?;
        } else if kind.is_file() {
            out.push(entry.path());
        }
    }
    Ok(())
}
