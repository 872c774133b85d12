//! What is in a dataset: counts and distributions for `gen inspect` and the card.
//! Works on outputs that are still being written or were left by a killed run.

use crate::jsonl::{self, Line};
use crate::merge::jsonl_files;
use crate::{DatasetError, FAILURES_FILE, RECORDS_FILE, RUN_FILE, RunInfo, VERIFIED_NARRATION};
use serde::Serialize;
use serde_json::Value;
use std::collections::{BTreeMap, HashSet};
use std::path::{Path, PathBuf};

/// Which generator's records a file holds, judged by their fields.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum DatasetKind {
    /// `gen fol`, ProverQA or FOLIO problems.
    Fol,
    /// `gen code` samples.
    Code,
    /// Both kinds, or records of neither.
    Mixed,
    Empty,
}

/// Summary statistics of a list of numbers.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Distribution {
    pub count: u64,
    pub min: u64,
    pub p50: u64,
    pub p90: u64,
    pub p99: u64,
    pub max: u64,
    pub mean: f64,
}

impl Distribution {
    /// Nearest-rank percentiles of `values`.
    pub fn of(mut values: Vec<u64>) -> Distribution {
        if values.is_empty() {
            return Distribution::default();
        }
        values.sort_unstable();
        let n = values.len();
        let rank = |p: f64| values[((p * n as f64).ceil() as usize).clamp(1, n) - 1];
        Distribution {
            count: n as u64,
            min: values[0],
            p50: rank(0.5),
            p90: rank(0.9),
            p99: rank(0.99),
            max: values[n - 1],
            mean: values.iter().sum::<u64>() as f64 / n as f64,
        }
    }
}

/// The surface form of a conclusion: an atom or a compound (∧ ∨ ⊕), with or without a
/// negation.
pub fn conclusion_form(fol: &str) -> &'static str {
    let compound = fol.contains(['∧', '∨', '⊕']);
    match (compound, fol.contains('¬')) {
        (false, false) => "atom, positive",
        (false, true) => "atom, negated",
        (true, false) => "compound, positive",
        (true, true) => "compound, negated",
    }
}

/// FOL problems.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct FolStats {
    pub records: u64,
    /// Label -> count (`True`, `False`, `Uncertain`, or `?` when a record has none).
    pub labels: BTreeMap<String, u64>,
    /// Depth -> label -> count.
    pub label_by_depth: BTreeMap<u32, BTreeMap<String, u64>>,
    /// Conclusion form (`atom, positive`, `compound, negated`, …; see
    /// [`conclusion_form`]) -> label -> count: a skew here is a surface shortcut.
    pub label_by_conclusion_form: BTreeMap<String, BTreeMap<String, u64>>,
    /// Premises (context sentences) per problem.
    pub premises: Distribution,
    /// Distractor premises per problem.
    pub distractors: Distribution,
    /// Proof steps per problem.
    pub steps: Distribution,
    /// `verified_by` -> number of premises narrated that way.
    pub narration: BTreeMap<String, u64>,
    /// Share of narrated premises whose sentence was verified (template, parser or llm).
    pub narration_verified_rate: Option<f64>,
    /// Share of LLM-narrated premises that needed the template fallback.
    pub narration_fallback_rate: Option<f64>,
}

/// One language of a code dataset.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct LangStats {
    pub kept: u64,
    /// Stage (compile, tests, vacuous_tests, dedup, …) -> items dropped there.
    pub dropped: BTreeMap<String, u64>,
    pub dropped_total: u64,
    /// kept / (kept + dropped).
    pub yield_rate: Option<f64>,
    pub runtime_ms: Distribution,
    /// `verification.mutation_score` of the kept records that have one, in percent.
    pub mutation_pct: Distribution,
}

/// Code samples.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct CodeStats {
    pub records: u64,
    pub per_lang: BTreeMap<String, LangStats>,
    /// Characters.
    pub instruction_len: Distribution,
    pub solution_len: Distribution,
    pub tests_len: Distribution,
    /// Lines of solution code.
    pub solution_lines: Distribution,
    /// Kept records whose verification says they did not pass (should be 0).
    pub not_passed: u64,
    /// Kept records by their seed's source and licence (`none` for no seed, `unknown`
    /// for a seed whose licence is not known).
    pub seed_sources: BTreeMap<String, BTreeMap<String, u64>>,
    pub tokens_per_kept: Option<f64>,
    pub cost_per_kept_usd: Option<f64>,
}

/// `failures.jsonl`.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct FailureStats {
    pub total: u64,
    pub by_stage: BTreeMap<String, u64>,
    /// Lang (or `-`) -> stage -> count.
    pub by_lang: BTreeMap<String, BTreeMap<String, u64>>,
    /// Limit (`extra.limit`: `time_limit`, `memory_limit`, …) -> failures its check ended by.
    pub by_limit: BTreeMap<String, u64>,
}

/// Everything `gen inspect` and the card say about a dataset.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Summary {
    /// The records file summarized.
    pub path: PathBuf,
    pub kind: DatasetKind,
    pub records: u64,
    pub bytes: u64,
    /// Records whose id appeared earlier in the file.
    pub duplicate_ids: u64,
    /// Records without an id.
    pub without_id: u64,
    /// Complete lines that are not JSON objects.
    pub bad_lines: u64,
    /// The file ends in a partial line: a writer is running or was killed.
    pub torn_tail: bool,
    pub fol: Option<FolStats>,
    pub code: Option<CodeStats>,
    pub failures: FailureStats,
    /// `run.json` beside the records, when there is one.
    pub run: Option<RunInfo>,
}

/// The records file of a run directory (or the file itself): `data.jsonl`; else the
/// first other `*.jsonl` that is neither a failure log, a work-item journal nor an
/// export (`*.chat.jsonl`, `*.alpaca.jsonl`). A run directory that has not kept a record
/// yet (it has `failures.jsonl` or `run.json`) gives its future `data.jsonl`.
pub fn records_file(path: &Path) -> Result<PathBuf, DatasetError> {
    if !path.is_dir() {
        if !path.exists() {
            return Err(DatasetError::NotFound { path: path.to_path_buf() });
        }
        return Ok(path.to_path_buf());
    }
    let preferred = path.join(RECORDS_FILE);
    if preferred.is_file() {
        return Ok(preferred);
    }
    let is_records = |p: &PathBuf| {
        let name = p.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        !(name == FAILURES_FILE
            || name == "items.jsonl"
            || name.ends_with(".chat.jsonl")
            || name.ends_with(".alpaca.jsonl"))
    };
    if let Some(found) = jsonl_files(path)?.into_iter().find(is_records) {
        return Ok(found);
    }
    if path.join(FAILURES_FILE).is_file() || path.join(RUN_FILE).is_file() {
        return Ok(preferred);
    }
    Err(DatasetError::NoData { path: path.to_path_buf() })
}

/// Summarizes the dataset at `path` (a run directory or a JSONL file). For a run
/// directory (or its `data.jsonl`), `failures.jsonl` and `run.json` beside it count too.
pub fn summarize(path: &Path) -> Result<Summary, DatasetError> {
    let file = records_file(path)?;
    let dir = if path.is_dir() {
        Some(path.to_path_buf())
    } else if file.file_name().is_some_and(|n| n == RECORDS_FILE) {
        file.parent().map(Path::to_path_buf)
    } else {
        None
    };
    let run = match &dir {
        Some(d) => RunInfo::read(d)?,
        None => None,
    };
    let mut acc = Accumulator::default();
    let bytes = if file.exists() {
        jsonl::scan(&file, |line| match line {
            Line::Complete { bytes, .. } => match serde_json::from_slice::<Value>(bytes) {
                Ok(v) if v.is_object() => acc.add(&v),
                _ => acc.bad_lines += 1,
            },
            Line::Torn => acc.torn_tail = true,
        })?
    } else {
        0
    };
    let mut failures = FailureStats::default();
    if let Some(d) = &dir {
        let failures_path = d.join(FAILURES_FILE);
        if failures_path.is_file() {
            failures = failure_stats(&failures_path)?;
        }
    }
    Ok(acc.finish(file, bytes, failures, run))
}

fn failure_stats(path: &Path) -> Result<FailureStats, DatasetError> {
    let mut out = FailureStats::default();
    let mut seen = HashSet::new();
    jsonl::scan(path, |line| {
        let Line::Complete { bytes, .. } = line else { return };
        let Ok(v) = serde_json::from_slice::<Value>(bytes) else { return };
        // A failure logged twice (a retried item) counts once.
        if v.get("id").and_then(Value::as_str).is_some_and(|id| !seen.insert(id.to_string())) {
            return;
        }
        let stage = v.get("stage").and_then(Value::as_str).unwrap_or("unknown").to_string();
        let lang = v.get("lang").and_then(Value::as_str).unwrap_or("-").to_string();
        out.total += 1;
        *out.by_stage.entry(stage.clone()).or_default() += 1;
        *out.by_lang.entry(lang).or_default().entry(stage).or_default() += 1;
        if let Some(limit) = v.pointer("/extra/limit").and_then(Value::as_str) {
            *out.by_limit.entry(limit.to_string()).or_default() += 1;
        }
    })?;
    Ok(out)
}

#[derive(Default)]
struct Accumulator {
    records: u64,
    ids: HashSet<String>,
    duplicate_ids: u64,
    without_id: u64,
    bad_lines: u64,
    torn_tail: bool,
    fol: Option<FolAcc>,
    code: Option<CodeAcc>,
    other: u64,
}

#[derive(Default)]
struct FolAcc {
    stats: FolStats,
    premises: Vec<u64>,
    distractors: Vec<u64>,
    steps: Vec<u64>,
}

#[derive(Default)]
struct CodeAcc {
    stats: CodeStats,
    instruction: Vec<u64>,
    solution: Vec<u64>,
    tests: Vec<u64>,
    lines: Vec<u64>,
    runtime: BTreeMap<String, Vec<u64>>,
    mutation: BTreeMap<String, Vec<u64>>,
}

fn str_at<'a>(v: &'a Value, path: &[&str]) -> Option<&'a str> {
    path.iter().try_fold(v, |v, k| v.get(k))?.as_str()
}

fn len_at(v: &Value, path: &[&str]) -> Option<u64> {
    path.iter().try_fold(v, |v, k| v.get(k))?.as_array().map(|a| a.len() as u64)
}

fn fol_label(v: &Value) -> String {
    if let Some(l) = str_at(v, &["meta", "label"]).or_else(|| str_at(v, &["label"])) {
        return if l == "Unknown" { "Uncertain".to_string() } else { l.to_string() };
    }
    match str_at(v, &["answer"]).map(str::trim) {
        Some("A") => "True",
        Some("B") => "False",
        Some("C") => "Uncertain",
        _ => "?",
    }
    .to_string()
}

impl Accumulator {
    fn add(&mut self, v: &Value) {
        self.records += 1;
        match v.get("id") {
            Some(Value::String(s)) => self.note_id(s.clone()),
            Some(Value::Number(n)) => self.note_id(n.to_string()),
            _ => self.without_id += 1,
        }
        let is_code = v.get("lang").is_some() && v.get("solution").is_some();
        let is_fol =
            ["conclusion_fol", "nl2fol", "premises-FOL", "context"].iter().any(|k| v.get(k).is_some());
        if is_code {
            self.add_code(v);
        } else if is_fol {
            self.add_fol(v);
        } else {
            self.other += 1;
        }
    }

    fn note_id(&mut self, id: String) {
        if !self.ids.insert(id) {
            self.duplicate_ids += 1;
        }
    }

    fn add_fol(&mut self, v: &Value) {
        let acc = self.fol.get_or_insert_with(FolAcc::default);
        acc.stats.records += 1;
        let label = fol_label(v);
        *acc.stats.labels.entry(label.clone()).or_default() += 1;
        let depth = v.pointer("/meta/depth").and_then(Value::as_u64).unwrap_or(0);
        let depth = u32::try_from(depth).unwrap_or(u32::MAX);
        *acc.stats.label_by_depth.entry(depth).or_default().entry(label.clone()).or_default() += 1;
        if let Some(fol) = v.get("conclusion_fol").and_then(Value::as_str) {
            let form = conclusion_form(fol).to_string();
            *acc.stats.label_by_conclusion_form.entry(form).or_default().entry(label).or_default() += 1;
        }
        // Our records list their premises in meta.narration; ProverQA's one-string context
        // is counted through nl2fol; FOLIO lists `premises`.
        let premises = len_at(v, &["meta", "narration"])
            .filter(|&n| n > 0)
            .or_else(|| v.get("nl2fol").and_then(Value::as_object).map(|m| m.len() as u64).filter(|&n| n > 0))
            .or_else(|| len_at(v, &["context"]))
            .or_else(|| len_at(v, &["premises"]));
        if let Some(p) = premises {
            acc.premises.push(p);
        }
        if let Some(d) = len_at(v, &["meta", "distractors"]) {
            acc.distractors.push(d);
        }
        if let Some(s) = len_at(v, &["meta", "steps"]) {
            acc.steps.push(s);
        }
        if let Some(narration) = v.pointer("/meta/narration").and_then(Value::as_array) {
            for n in narration {
                let by = n.get("verified_by").and_then(Value::as_str).unwrap_or("unverified");
                *acc.stats.narration.entry(by.to_string()).or_default() += 1;
            }
        }
    }

    fn add_code(&mut self, v: &Value) {
        let acc = self.code.get_or_insert_with(CodeAcc::default);
        acc.stats.records += 1;
        let lang = str_at(v, &["lang"]).unwrap_or("?").to_string();
        acc.stats.per_lang.entry(lang.clone()).or_default().kept += 1;
        let chars = |k: &str| str_at(v, &[k]).map(|s| s.chars().count() as u64);
        acc.instruction.extend(chars("instruction"));
        acc.solution.extend(chars("solution"));
        acc.tests.extend(chars("tests"));
        if let Some(sol) = str_at(v, &["solution"]) {
            acc.lines.push(sol.lines().count() as u64);
        }
        if v.pointer("/verification/passed").and_then(Value::as_bool) == Some(false) {
            acc.stats.not_passed += 1;
        }
        let (source, licence) = match str_at(v, &["provenance", "seed_snippet"]) {
            None => ("none", "none"),
            Some(_) => (
                str_at(v, &["provenance", "seed_source"]).unwrap_or("unknown"),
                str_at(v, &["provenance", "seed_licence"]).unwrap_or("unknown"),
            ),
        };
        *acc.stats.seed_sources.entry(source.into()).or_default().entry(licence.into()).or_default() += 1;
        if let Some(score) = v.pointer("/verification/mutation_score").and_then(Value::as_f64) {
            acc.mutation.entry(lang.clone()).or_default().push((score * 100.0).round() as u64);
        }
        if let Some(ms) = v.pointer("/verification/runtime_ms").and_then(Value::as_u64) {
            acc.runtime.entry(lang).or_default().push(ms);
        }
    }

    fn finish(self, path: PathBuf, bytes: u64, failures: FailureStats, run: Option<RunInfo>) -> Summary {
        let kind = match (&self.fol, &self.code, self.other) {
            (None, None, 0) => DatasetKind::Empty,
            (Some(_), None, 0) => DatasetKind::Fol,
            (None, Some(_), 0) => DatasetKind::Code,
            _ => DatasetKind::Mixed,
        };
        let fol = self.fol.map(|mut acc| {
            acc.stats.premises = Distribution::of(acc.premises);
            acc.stats.distractors = Distribution::of(acc.distractors);
            acc.stats.steps = Distribution::of(acc.steps);
            let total: u64 = acc.stats.narration.values().sum();
            if total > 0 {
                let verified: u64 =
                    VERIFIED_NARRATION.iter().filter_map(|k| acc.stats.narration.get(*k)).sum();
                acc.stats.narration_verified_rate = Some(verified as f64 / total as f64);
                let llm = acc.stats.narration.get("llm").copied().unwrap_or(0);
                let fallback = acc.stats.narration.get("fallback").copied().unwrap_or(0);
                if llm + fallback > 0 {
                    acc.stats.narration_fallback_rate = Some(fallback as f64 / (llm + fallback) as f64);
                }
            }
            acc.stats
        });
        let code = self.code.map(|mut acc| {
            acc.stats.instruction_len = Distribution::of(acc.instruction);
            acc.stats.solution_len = Distribution::of(acc.solution);
            acc.stats.tests_len = Distribution::of(acc.tests);
            acc.stats.solution_lines = Distribution::of(acc.lines);
            for (lang, stages) in &failures.by_lang {
                let entry = acc.stats.per_lang.entry(lang.clone()).or_default();
                for (stage, n) in stages {
                    *entry.dropped.entry(stage.clone()).or_default() += n;
                    entry.dropped_total += n;
                }
            }
            for (lang, entry) in acc.stats.per_lang.iter_mut() {
                let tried = entry.kept + entry.dropped_total;
                entry.yield_rate = (tried > 0).then(|| entry.kept as f64 / tried as f64);
                if let Some(ms) = acc.runtime.remove(lang) {
                    entry.runtime_ms = Distribution::of(ms);
                }
                if let Some(pct) = acc.mutation.remove(lang) {
                    entry.mutation_pct = Distribution::of(pct);
                }
            }
            let kept = acc.stats.records;
            if let Some(run) = run.as_ref().filter(|_| kept > 0) {
                if run.tokens.total() > 0 {
                    acc.stats.tokens_per_kept = Some(run.tokens.total() as f64 / kept as f64);
                }
                acc.stats.cost_per_kept_usd = run.cost_usd.map(|c| c / kept as f64);
            }
            acc.stats
        });
        Summary {
            path,
            kind,
            records: self.records,
            bytes,
            duplicate_ids: self.duplicate_ids,
            without_id: self.without_id,
            bad_lines: self.bad_lines,
            torn_tail: self.torn_tail,
            fol,
            code,
            failures,
            run,
        }
    }
}
