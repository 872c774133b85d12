//! `gen merge`: join the outputs of shards (or of any runs) into one dataset.

use crate::jsonl::{self, Line};
use crate::record::line_id;
use crate::{DatasetError, FAILURES_FILE, RECORDS_FILE, RunInfo};
use serde::Serialize;
use std::collections::{BTreeMap, HashSet};
use std::io::Write;
use std::path::{Path, PathBuf};

/// What happened to one output file.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct FileMerge {
    /// File name in the output directory, e.g. `data.jsonl`.
    pub name: String,
    /// Input files joined into it.
    pub inputs: usize,
    /// Complete, valid lines read.
    pub read: u64,
    pub written: u64,
    /// Lines dropped because their id was already written.
    pub duplicates: u64,
    /// Failure lines dropped because the item has a record in `data.jsonl`.
    pub superseded: u64,
    /// Lines without an id, kept as they are.
    pub without_id: u64,
    /// Lines that are not JSON, dropped.
    pub bad_lines: u64,
    /// Inputs that ended in a partial line (their writer was killed or is running).
    pub torn_tails: u64,
}

/// What one input (a shard's directory, or a loose file) gave to the merged `data.jsonl`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct InputMerge {
    pub path: PathBuf,
    /// `(index, count)` from the input's `run.json`, when it has one.
    pub shard: Option<(u64, u64)>,
    /// Records the input's run was asked for (its part of `-n`), from `run.json`.
    pub requested: Option<u64>,
    /// Why the input's run ended (`done`, `max_attempts`, …), from `run.json`.
    pub stop_reason: Option<String>,
    /// Complete record lines in the input.
    pub records: u64,
    /// Of those, written to the merged file (the others were duplicates of earlier inputs).
    pub contributed: u64,
    /// The input ended in a partial line (its writer was killed or is still running).
    pub torn: bool,
}

impl InputMerge {
    /// The input's run wrote fewer records than it was asked for. An input without a
    /// `run.json` (a loose file) is never short: nothing says what it should hold.
    pub fn stopped_short(&self) -> bool {
        self.requested.is_some_and(|want| self.records < want)
    }
}

/// What [`merge`] did.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct MergeReport {
    pub files: Vec<FileMerge>,
    /// Each input in order, with what it gave to `data.jsonl`.
    pub inputs: Vec<InputMerge>,
    /// Shards `(index, count)` that no input holds although another input is a shard of
    /// the same count: a task of the array that never wrote its output.
    pub missing_shards: Vec<(u64, u64)>,
    /// The inputs' `run.json` summaries taken together, when any input had one. `kept`
    /// is the merged record count.
    pub run: Option<RunInfo>,
    /// Input directories (for `--memory`: where their memory databases are).
    pub input_dirs: Vec<PathBuf>,
}

impl MergeReport {
    /// The report of one output file, e.g. `data.jsonl`.
    pub fn file(&self, name: &str) -> Option<&FileMerge> {
        self.files.iter().find(|f| f.name == name)
    }

    /// Whether every shard is there and wrote what it was asked for.
    pub fn complete(&self) -> bool {
        self.missing_shards.is_empty() && !self.inputs.iter().any(InputMerge::stopped_short)
    }
}

/// Joins the JSONL files of `inputs` into `out`, keeping the first line of each id in
/// input order. A directory's `*.jsonl` files are joined by name (`data.jsonl` with
/// `data.jsonl`, `failures.jsonl` with `failures.jsonl`, …); loose files go into
/// `data.jsonl` (or `failures.jsonl` if so named). Failures of items that have a record
/// are dropped. Output files of the same names are replaced.
pub fn merge(inputs: &[PathBuf], out: &Path) -> Result<MergeReport, DatasetError> {
    let mut groups: BTreeMap<String, Vec<PathBuf>> = BTreeMap::new();
    let mut report = MergeReport::default();
    let mut runs = Vec::new();
    // The input each records file came from, in order, to credit it with what it gave
    // (an input named twice is two inputs).
    let mut owner: Vec<usize> = Vec::new();
    for input in inputs {
        let meta = std::fs::metadata(input).map_err(|e| DatasetError::io(input, e))?;
        let mut entry = InputMerge { path: input.clone(), ..InputMerge::default() };
        if meta.is_dir() {
            let files = jsonl_files(input)?;
            if files.is_empty() {
                return Err(DatasetError::NoData { path: input.clone() });
            }
            for f in files {
                let name = file_name(&f);
                if name == RECORDS_FILE {
                    owner.push(report.inputs.len());
                }
                groups.entry(name).or_default().push(f);
            }
            if let Some(run) = RunInfo::read(input)? {
                entry.shard = Some((run.shard_index, run.shard_count.max(1)));
                entry.requested = Some(run.requested);
                entry.stop_reason = Some(run.stop_reason.clone());
                runs.push(run);
            }
            report.input_dirs.push(input.clone());
        } else {
            // Loose files are joined into one records file, whatever their names.
            let name = if file_name(input) == FAILURES_FILE { FAILURES_FILE } else { RECORDS_FILE };
            if name == RECORDS_FILE {
                owner.push(report.inputs.len());
            }
            groups.entry(name.to_string()).or_default().push(input.clone());
        }
        report.inputs.push(entry);
    }
    report.missing_shards = missing_shards(&report.inputs);
    std::fs::create_dir_all(out).map_err(|e| DatasetError::io(out, e))?;
    let out_canon = out.canonicalize().map_err(|e| DatasetError::io(out, e))?;
    for input in inputs {
        let canon = input.canonicalize().map_err(|e| DatasetError::io(input, e))?;
        let clash = canon == out_canon || groups.keys().any(|name| out_canon.join(name) == canon);
        if clash {
            return Err(DatasetError::Invalid {
                path: input.clone(),
                reason: "the merge output would overwrite this input; choose another -o".into(),
            });
        }
    }

    // Records first, so failures of items that have a record elsewhere can be dropped.
    let mut order: Vec<String> = groups.keys().cloned().collect();
    order.sort_by_key(|n| (n != RECORDS_FILE, n == FAILURES_FILE, n.clone()));
    let mut record_ids: HashSet<String> = HashSet::new();
    for name in order {
        let files = &groups[&name];
        let superseding = if name == FAILURES_FILE { Some(&record_ids) } else { None };
        let (stats, ids, per_file) = merge_files(files, &out.join(&name), &name, superseding)?;
        if name == RECORDS_FILE {
            record_ids = ids;
            // The group lists the records files in input order, as `owner` does.
            for (&k, counts) in owner.iter().zip(per_file) {
                let input = &mut report.inputs[k];
                input.records += counts.records;
                input.contributed += counts.contributed;
                input.torn |= counts.torn;
            }
        }
        report.files.push(stats);
    }
    if !runs.is_empty() {
        let mut run = RunInfo::combine(&runs);
        if let Some(records) = report.file(RECORDS_FILE) {
            run.kept = records.written;
        }
        report.run = Some(run);
    }
    Ok(report)
}

/// Shards `(index, count)` absent from `inputs`, for each shard count some input has.
fn missing_shards(inputs: &[InputMerge]) -> Vec<(u64, u64)> {
    let present: HashSet<(u64, u64)> = inputs.iter().filter_map(|i| i.shard).collect();
    let mut counts: Vec<u64> = present.iter().map(|&(_, c)| c).filter(|&c| c > 1).collect();
    counts.sort_unstable();
    counts.dedup();
    counts.into_iter().flat_map(|c| (0..c).map(move |k| (k, c))).filter(|s| !present.contains(s)).collect()
}

/// What one input file of a merge held and gave.
#[derive(Debug, Clone, Copy, Default)]
struct FileCounts {
    records: u64,
    contributed: u64,
    torn: bool,
}

type Merged = (FileMerge, HashSet<String>, Vec<FileCounts>);

fn merge_files(
    files: &[PathBuf],
    out: &Path,
    name: &str,
    superseding: Option<&HashSet<String>>,
) -> Result<Merged, DatasetError> {
    let mut stats = FileMerge { name: name.to_string(), inputs: files.len(), ..FileMerge::default() };
    let tmp = out.with_extension("jsonl.merging");
    let file = std::fs::File::create(&tmp).map_err(|e| DatasetError::io(&tmp, e))?;
    let mut writer = std::io::BufWriter::new(file);
    let mut seen: HashSet<String> = HashSet::new();
    let mut write_error: Option<std::io::Error> = None;
    let mut per_file = Vec::with_capacity(files.len());
    for path in files {
        let mut counts = FileCounts::default();
        jsonl::scan(path, |line| match line {
            Line::Complete { bytes, .. } => {
                let keep = match line_id(bytes) {
                    Err(_) => {
                        stats.bad_lines += 1;
                        return;
                    }
                    Ok(None) => {
                        stats.without_id += 1;
                        true
                    }
                    Ok(Some(id)) => {
                        if superseding.is_some_and(|s| s.contains(&id)) {
                            stats.superseded += 1;
                            false
                        } else if seen.insert(id) {
                            true
                        } else {
                            stats.duplicates += 1;
                            false
                        }
                    }
                };
                stats.read += 1;
                counts.records += 1;
                if keep && write_error.is_none() {
                    match writer.write_all(bytes).and_then(|()| writer.write_all(b"\n")) {
                        Ok(()) => {
                            stats.written += 1;
                            counts.contributed += 1;
                        }
                        Err(e) => write_error = Some(e),
                    }
                }
            }
            Line::Torn => {
                stats.torn_tails += 1;
                counts.torn = true;
            }
        })?;
        per_file.push(counts);
    }
    if let Some(e) = write_error {
        return Err(DatasetError::io(&tmp, e));
    }
    let file = writer.into_inner().map_err(|e| DatasetError::io(&tmp, e.into_error()))?;
    file.sync_all().map_err(|e| DatasetError::io(&tmp, e))?;
    std::fs::rename(&tmp, out).map_err(|e| DatasetError::io(out, e))?;
    Ok((stats, seen, per_file))
}

/// The `*.jsonl` files directly in `dir`, by name.
pub(crate) fn jsonl_files(dir: &Path) -> Result<Vec<PathBuf>, DatasetError> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).map_err(|e| DatasetError::io(dir, e))? {
        let path = entry.map_err(|e| DatasetError::io(dir, e))?.path();
        if path.is_file() && path.extension().is_some_and(|e| e == "jsonl") {
            out.push(path);
        }
    }
    out.sort();
    Ok(out)
}

fn file_name(path: &Path) -> String {
    path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_else(|| RECORDS_FILE.to_string())
}
