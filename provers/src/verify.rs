//! Re-proving labelled FOL datasets: FOLIO and ProverQA files, JSONL or one JSON array
//! (as ProverQA ships them).
//!
//! The format is detected per row from its keys: FOLIO rows carry `premises-FOL` (a list,
//! or one string with a formula per line), `conclusion-FOL` and `label`
//! (True/False/Uncertain/Unknown); ProverQA rows carry `nl2fol` (sentence -> FOL),
//! `conclusion_fol` and `answer` (A/B/C). Rows are proven in parallel (rayon); every row
//! gets a finding and per-row failures never stop the run.
//!
//! A row that also carries `gen fol`'s `meta` has its other claims re-proven once its
//! label agrees (see [`Claim`]): each proof step is entailed by its premises, which are
//! context premises or earlier conclusions; a True/False answer needs every chain rule
//! (so the depth is exact); and no distractor changes the label. Its premises are read
//! from `meta.narration` (a list, so a repeated sentence keeps both), else from `nl2fol`.

use crate::ast::Formula;
use crate::parse::{ParseError, parse};
use crate::prover::{Label, Prover, ProverError};
use rayon::prelude::*;
use serde::Serialize;
use std::path::{Path, PathBuf};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct VerifyOptions {
    /// Per-query Z3 timeout in milliseconds.
    pub timeout_ms: u64,
    /// Use the grounding fast path where it is exact (see [`Prover::without_grounding`]).
    pub ground: bool,
}

impl Default for VerifyOptions {
    fn default() -> Self {
        VerifyOptions { timeout_ms: 10_000, ground: true }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Format {
    Folio,
    ProverQa,
}

/// What re-proving one row found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Finding {
    Agree {
        label: Label,
    },
    Disagree {
        expected: Label,
        proven: Label,
    },
    /// A FOL field did not parse; `formula` is the text as written.
    ParseError {
        field: String,
        formula: String,
        error: String,
    },
    /// The premises have no model, so no label can be right.
    Inconsistent,
    /// Z3 could not decide (timeout or unknown).
    ProverError {
        error: String,
    },
    /// The row is not a usable problem: bad JSON, unknown format, missing field or label.
    BadRow {
        reason: String,
    },
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RowReport {
    /// 1-based line number in the file (for a JSON array, the element's position).
    pub line: usize,
    /// The row's `id`, `example_id` or `story_id`, when it has one.
    pub id: Option<String>,
    pub finding: Finding,
    /// The claims of `meta` that did not re-prove.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub claims: Vec<ClaimFailure>,
}

/// A claim a `gen fol` record makes beyond its label.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Claim {
    /// `meta.steps[i]`: its premises entail its conclusion, and each premise is a context
    /// premise or an earlier step's conclusion.
    Steps,
    /// True/False: `meta.steps` has `meta.depth` steps, and without any one step's rule
    /// the answer no longer follows.
    Depth,
    /// `meta.distractors`: each is a context premise, and removing it (or all of them)
    /// leaves the label as it is.
    Distractors,
}

/// One claim that did not re-prove.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ClaimFailure {
    pub claim: Claim,
    /// The 1-based step (or distractor) it concerns, when it concerns one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub item: Option<usize>,
    pub detail: String,
}

/// How many of one kind of claim were re-proven and how many failed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct ClaimCount {
    /// Steps, records (depth) or distractors checked.
    pub checked: usize,
    pub failed: usize,
}

impl ClaimCount {
    fn add(&mut self, other: &ClaimCount) {
        self.checked += other.checked;
        self.failed += other.failed;
    }
}

/// Counts per claim over the rows that carry `meta`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct ClaimCounts {
    pub steps: ClaimCount,
    pub depth: ClaimCount,
    pub distractors: ClaimCount,
}

impl ClaimCounts {
    pub fn add(&mut self, other: &ClaimCounts) {
        self.steps.add(&other.steps);
        self.depth.add(&other.depth);
        self.distractors.add(&other.distractors);
    }

    pub fn failed(&self) -> usize {
        self.steps.failed + self.depth.failed + self.distractors.failed
    }

    fn of(&mut self, claim: Claim) -> &mut ClaimCount {
        match claim {
            Claim::Steps => &mut self.steps,
            Claim::Depth => &mut self.depth,
            Claim::Distractors => &mut self.distractors,
        }
    }
}

/// Counts over the rows of one or more files. `total = agree + disagree + inconsistent + errors`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct VerifySummary {
    pub total: usize,
    /// Rows whose every FOL field parsed.
    pub parsed: usize,
    pub agree: usize,
    pub disagree: usize,
    pub inconsistent: usize,
    /// Parse errors, bad rows and Z3 failures.
    pub errors: usize,
    /// The claims of `meta` re-proven, per kind.
    pub claims: ClaimCounts,
}

impl VerifySummary {
    pub fn add(&mut self, other: &VerifySummary) {
        self.total += other.total;
        self.parsed += other.parsed;
        self.agree += other.agree;
        self.disagree += other.disagree;
        self.inconsistent += other.inconsistent;
        self.errors += other.errors;
        self.claims.add(&other.claims);
    }

    /// Every row parsed, every parsed row agrees with its gold label, and every claim of
    /// `meta` re-proved.
    pub fn all_agree(&self) -> bool {
        self.total == self.parsed && self.parsed == self.agree && self.claims.failed() == 0
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct VerifyReport {
    pub path: PathBuf,
    /// The format of the first recognised row.
    pub format: Option<Format>,
    pub rows: Vec<RowReport>,
    pub summary: VerifySummary,
}

#[derive(Debug, thiserror::Error)]
pub enum VerifyError {
    #[error("cannot read {path}: {source}")]
    Read { path: PathBuf, source: std::io::Error },
}

/// One problem taken from a row, before proving.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub format: Format,
    pub id: Option<String>,
    pub premises: Vec<Formula>,
    pub conclusion: Option<Formula>,
    pub expected: Option<Label>,
    /// What `gen fol`'s `meta` claims, when the row has one.
    pub claims: Option<Claims>,
}

/// The claims of a `gen fol` record's `meta`, parsed.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Claims {
    /// Each step's premises (facts first, the rule last) and conclusion.
    pub steps: Vec<(Vec<Formula>, Formula)>,
    pub depth: u32,
    pub distractors: Vec<Formula>,
}

/// Why a row could not become a [`Problem`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RowError {
    Parse { field: String, formula: String, error: ParseError },
    Bad(String),
}

/// Reads and re-proves every row of a JSONL file.
pub fn verify_file(path: &Path, opts: &VerifyOptions) -> Result<VerifyReport, VerifyError> {
    let text = std::fs::read_to_string(path)
        .map_err(|source| VerifyError::Read { path: path.to_path_buf(), source })?;
    Ok(verify_text(path, &text, opts))
}

/// Re-proves every row of `text`: the non-blank lines of JSONL, or the elements of one
/// JSON array (ProverQA's own files). `path` only labels the report.
pub fn verify_text(path: &Path, text: &str, opts: &VerifyOptions) -> VerifyReport {
    let mut prover = Prover::new(opts.timeout_ms);
    if !opts.ground {
        prover = prover.without_grounding();
    }
    let rows: Vec<(usize, Result<serde_json::Value, String>)> = if text.trim_start().starts_with('[') {
        match serde_json::from_str::<Vec<serde_json::Value>>(text) {
            Ok(items) => items.into_iter().enumerate().map(|(i, v)| (i + 1, Ok(v))).collect(),
            Err(e) => vec![(1, Err(format!("not a JSON array of objects: {e}")))],
        }
    } else {
        text.lines()
            .enumerate()
            .filter(|(_, l)| !l.trim().is_empty())
            .map(|(i, l)| (i + 1, serde_json::from_str(l).map_err(|e| format!("not a JSON object: {e}"))))
            .collect()
    };
    let results: Vec<(RowReport, bool, Option<Format>, ClaimCounts)> = rows
        .par_iter()
        .map(|(line, row)| {
            let line = *line;
            let problem = row.as_ref().map_err(|e| RowError::Bad(e.clone())).and_then(problem_from_value);
            match problem {
                Err(e) => {
                    let report =
                        RowReport { line, id: None, finding: finding_of_row_error(e), claims: vec![] };
                    (report, false, None, ClaimCounts::default())
                }
                Ok(p) => {
                    let finding = prove(&prover, &p);
                    let (counts, claims) = match (&finding, &p.claims) {
                        (Finding::Agree { label }, Some(c)) => check_claims(&prover, &p, c, *label),
                        _ => (ClaimCounts::default(), Vec::new()),
                    };
                    (RowReport { line, id: p.id, finding, claims }, true, Some(p.format), counts)
                }
            }
        })
        .collect();
    let mut summary = VerifySummary::default();
    let mut format = None;
    let mut reports = Vec::with_capacity(results.len());
    for (row, parsed, fmt, counts) in results {
        summary.total += 1;
        summary.parsed += usize::from(parsed);
        match &row.finding {
            Finding::Agree { .. } => summary.agree += 1,
            Finding::Disagree { .. } => summary.disagree += 1,
            Finding::Inconsistent => summary.inconsistent += 1,
            _ => summary.errors += 1,
        }
        summary.claims.add(&counts);
        format = format.or(fmt);
        reports.push(row);
    }
    VerifyReport { path: path.to_path_buf(), format, rows: reports, summary }
}

/// Re-proves what `claims` say about the agreeing problem `p` (label `label`).
fn check_claims(
    prover: &Prover,
    p: &Problem,
    claims: &Claims,
    label: Label,
) -> (ClaimCounts, Vec<ClaimFailure>) {
    let mut counts = ClaimCounts::default();
    let mut failures = Vec::new();
    let mut fail = |counts: &mut ClaimCounts, claim: Claim, item: Option<usize>, detail: String| {
        counts.of(claim).failed += 1;
        failures.push(ClaimFailure { claim, item, detail });
    };
    let z3 = |r: Result<bool, ProverError>| r.map_err(|e| format!("Z3: {e}"));

    // Steps: premises from the context or earlier steps, entailment by Z3.
    let mut concluded: Vec<&Formula> = Vec::new();
    for (i, (premises, conclusion)) in claims.steps.iter().enumerate() {
        counts.steps.checked += 1;
        let stray = premises.iter().find(|f| !p.premises.contains(f) && !concluded.contains(f));
        let verdict = match stray {
            Some(f) => Err(format!("premise {f} is neither a context premise nor an earlier conclusion")),
            None => match z3(prover.entails(premises, conclusion)) {
                Ok(true) => Ok(()),
                Ok(false) => Err(format!("its premises do not entail {conclusion}")),
                Err(e) => Err(e),
            },
        };
        if let Err(detail) = verdict {
            fail(&mut counts, Claim::Steps, Some(i + 1), detail);
        }
        concluded.push(conclusion);
    }

    // Depth: exactly `depth` steps, each step's rule needed for the answer.
    if let (Some(conclusion), true) = (&p.conclusion, label != Label::Uncertain && claims.depth > 0) {
        counts.depth.checked += 1;
        let target = if label == Label::True {
            conclusion.clone()
        } else {
            Formula::Not(Box::new(conclusion.clone()))
        };
        let mut why = None;
        if claims.steps.len() != claims.depth as usize {
            why = Some((None, format!("{} steps for depth {}", claims.steps.len(), claims.depth)));
        }
        for (i, (premises, _)) in claims.steps.iter().enumerate() {
            if why.is_some() {
                break;
            }
            let Some(rule) = premises.last().filter(|r| p.premises.contains(r)) else { continue };
            let without: Vec<Formula> = p.premises.iter().filter(|f| *f != rule).cloned().collect();
            match z3(prover.entails(&without, &target)) {
                Ok(false) => {}
                Ok(true) => why = Some((Some(i + 1), format!("the answer follows without the rule {rule}"))),
                Err(e) => why = Some((Some(i + 1), e)),
            }
        }
        if let Some((item, detail)) = why {
            fail(&mut counts, Claim::Depth, item, detail);
        }
    }

    // Distractors: in the context, and the label stands without each and without all.
    if let Some(conclusion) = &p.conclusion {
        let label_without = |gone: &[&Formula]| {
            let rest: Vec<Formula> = p.premises.iter().filter(|f| !gone.contains(f)).cloned().collect();
            prover.label(&rest, conclusion).map_err(|e| format!("Z3: {e}"))
        };
        for (i, d) in claims.distractors.iter().enumerate() {
            counts.distractors.checked += 1;
            let verdict = if !p.premises.contains(d) {
                Err(format!("{d} is not a context premise"))
            } else {
                match label_without(&[d]) {
                    Ok(l) if l == label => Ok(()),
                    Ok(l) => Err(format!("without {d} the label is {l}, not {label}")),
                    Err(e) => Err(e),
                }
            };
            if let Err(detail) = verdict {
                fail(&mut counts, Claim::Distractors, Some(i + 1), detail);
            }
        }
        if claims.distractors.len() > 1 && counts.distractors.failed == 0 {
            let all: Vec<&Formula> = claims.distractors.iter().collect();
            match label_without(&all) {
                Ok(l) if l == label => {}
                Ok(l) => fail(
                    &mut counts,
                    Claim::Distractors,
                    None,
                    format!("without all distractors the label is {l}"),
                ),
                Err(e) => fail(&mut counts, Claim::Distractors, None, e),
            }
        }
    }
    (counts, failures)
}

fn finding_of_row_error(e: RowError) -> Finding {
    match e {
        RowError::Parse { field, formula, error } => {
            Finding::ParseError { field, formula, error: error.to_string() }
        }
        RowError::Bad(reason) => Finding::BadRow { reason },
    }
}

fn prove(prover: &Prover, p: &Problem) -> Finding {
    let Some(conclusion) = &p.conclusion else {
        let field = if p.format == Format::Folio { "conclusion-FOL" } else { "conclusion_fol" };
        // Still worth knowing whether the premises alone are broken.
        return match prover.satisfiable(&p.premises) {
            Ok(false) => Finding::Inconsistent,
            _ => Finding::BadRow { reason: format!("no `{field}` to prove") },
        };
    };
    let Some(expected) = p.expected else {
        return Finding::BadRow { reason: "no gold label (`label` or `answer`)".into() };
    };
    match prover.label(&p.premises, conclusion) {
        Ok(label) if label == expected => Finding::Agree { label },
        Ok(proven) => Finding::Disagree { expected, proven },
        Err(ProverError::Inconsistent) => Finding::Inconsistent,
        Err(e) => Finding::ProverError { error: e.to_string() },
    }
}

fn parse_field(field: &str, formula: &str) -> Result<Formula, RowError> {
    parse(formula).map_err(|error| RowError::Parse {
        field: field.to_string(),
        formula: formula.to_string(),
        error,
    })
}

/// Turns one JSONL line into a [`Problem`], parsing all its FOL.
pub fn problem_from_line(raw: &str) -> Result<Problem, RowError> {
    let v: serde_json::Value =
        serde_json::from_str(raw).map_err(|e| RowError::Bad(format!("not a JSON object: {e}")))?;
    problem_from_value(&v)
}

/// Turns one row into a [`Problem`], parsing all its FOL.
pub fn problem_from_value(v: &serde_json::Value) -> Result<Problem, RowError> {
    let id = ["id", "example_id", "story_id"].iter().find_map(|k| match v.get(*k) {
        Some(serde_json::Value::String(s)) => Some(s.clone()),
        Some(serde_json::Value::Number(n)) => Some(n.to_string()),
        _ => None,
    });
    if let Some(premises) = v.get("premises-FOL") {
        let texts: Vec<String> = match premises {
            serde_json::Value::Array(items) => items
                .iter()
                .map(|i| i.as_str().map(str::to_string))
                .collect::<Option<Vec<_>>>()
                .ok_or_else(|| RowError::Bad("`premises-FOL` holds a non-string item".into()))?,
            // FOLIO v2 writes all premises in one string, one per line.
            serde_json::Value::String(s) => s.lines().map(str::to_string).collect(),
            _ => return Err(RowError::Bad("`premises-FOL` is neither a list nor a string".into())),
        };
        let premises = texts
            .iter()
            .filter(|t| !t.trim().is_empty())
            .map(|t| parse_field("premises-FOL", t))
            .collect::<Result<Vec<_>, _>>()?;
        let conclusion = match v.get("conclusion-FOL").and_then(|c| c.as_str()) {
            Some(c) => Some(parse_field("conclusion-FOL", c)?),
            None => None,
        };
        let expected = match v.get("label").and_then(|l| l.as_str()) {
            None => None,
            Some(l) => Some(label_of_word(l).ok_or_else(|| RowError::Bad(format!("unknown label `{l}`")))?),
        };
        return Ok(Problem { format: Format::Folio, id, premises, conclusion, expected, claims: None });
    }
    if let Some(nl2fol) = v.get("nl2fol") {
        let map = nl2fol.as_object().ok_or_else(|| RowError::Bad("`nl2fol` is not an object".into()))?;
        // Our records list every premise in meta.narration, where a repeated sentence (one
        // key of nl2fol) keeps both entries.
        let listed: Option<Vec<&str>> = v
            .pointer("/meta/narration")
            .and_then(|n| n.as_array())
            .filter(|n| !n.is_empty())
            .and_then(|n| n.iter().map(|e| e.get("fol").and_then(|f| f.as_str())).collect());
        let premises = match listed {
            Some(fols) => {
                fols.iter().map(|f| parse_field("meta.narration", f)).collect::<Result<Vec<_>, _>>()?
            }
            None => {
                let mut premises = Vec::with_capacity(map.len());
                for (sentence, fol) in map {
                    let fol = fol.as_str().ok_or_else(|| {
                        RowError::Bad(format!("`nl2fol` value for {sentence:?} is not a string"))
                    })?;
                    premises.push(parse_field("nl2fol", fol)?);
                }
                premises
            }
        };
        let conclusion = match v.get("conclusion_fol").and_then(|c| c.as_str()) {
            Some(c) => Some(parse_field("conclusion_fol", c)?),
            None => None,
        };
        let expected = match v.get("answer").and_then(|a| a.as_str()) {
            None => None,
            Some(a) => {
                Some(label_of_option(a).ok_or_else(|| RowError::Bad(format!("unknown answer `{a}`")))?)
            }
        };
        let claims = v.get("meta").filter(|m| m.is_object()).map(claims_from_meta).transpose()?;
        return Ok(Problem { format: Format::ProverQa, id, premises, conclusion, expected, claims });
    }
    Err(RowError::Bad("neither FOLIO (`premises-FOL`) nor ProverQA (`nl2fol`) keys".into()))
}

/// The steps, depth and distractors of a `gen fol` `meta` object.
fn claims_from_meta(meta: &serde_json::Value) -> Result<Claims, RowError> {
    let strings = |v: Option<&serde_json::Value>, field: &str| -> Result<Vec<Formula>, RowError> {
        let Some(items) = v.and_then(|v| v.as_array()) else { return Ok(Vec::new()) };
        items
            .iter()
            .map(|i| {
                let text =
                    i.as_str().ok_or_else(|| RowError::Bad(format!("`{field}` holds a non-string")))?;
                parse_field(field, text)
            })
            .collect()
    };
    let mut steps = Vec::new();
    for (i, step) in meta.get("steps").and_then(|s| s.as_array()).into_iter().flatten().enumerate() {
        let field = format!("meta.steps[{i}]");
        let premises = strings(step.get("premises"), &field)?;
        let conclusion = step
            .get("conclusion")
            .and_then(|c| c.as_str())
            .ok_or_else(|| RowError::Bad(format!("`{field}` has no conclusion")))?;
        steps.push((premises, parse_field(&field, conclusion)?));
    }
    let depth = meta.get("depth").and_then(|d| d.as_u64()).unwrap_or(0);
    Ok(Claims {
        steps,
        depth: u32::try_from(depth).unwrap_or(u32::MAX),
        distractors: strings(meta.get("distractors"), "meta.distractors")?,
    })
}

fn label_of_word(w: &str) -> Option<Label> {
    match w.trim().to_ascii_lowercase().as_str() {
        "true" => Some(Label::True),
        "false" => Some(Label::False),
        "uncertain" | "unknown" => Some(Label::Uncertain),
        _ => None,
    }
}

/// ProverQA answers are option letters: A) True, B) False, C) Uncertain.
fn label_of_option(a: &str) -> Option<Label> {
    match a.trim().chars().next()? {
        'A' | 'a' => Some(Label::True),
        'B' | 'b' => Some(Label::False),
        'C' | 'c' => Some(Label::Uncertain),
        _ => label_of_word(a),
    }
}
