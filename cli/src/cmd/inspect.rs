//! `gen inspect`: counts, distributions, pass rates, cost and sample records of a
//! dataset, on a terminal or as JSON. Works on outputs that are still being written.

use crate::args::InspectArgs;
use anyhow::Context;
use datasets::query::Filter;
use datasets::stats::{DatasetKind, Distribution, Summary};
use datasets::{CARD_FILE, RunInfo};
use serde_json::Value;
use std::collections::BTreeMap;
use std::fmt::Write;
use std::process::ExitCode;

pub fn run(args: InspectArgs) -> anyhow::Result<ExitCode> {
    let filters = args
        .filter
        .iter()
        .map(|f| Filter::parse(f))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|msg| crate::config::ConfigError::Invalid { flag: "--filter", message: msg })?;
    let summary = datasets::stats::summarize(&args.path)?;

    if args.card {
        write_card(&args, &summary)?;
    }

    if let Some(id) = &args.id {
        let record = find_by_id(&summary, id)?;
        return Ok(match record {
            Some(r) => {
                if args.json {
                    outln!("{}", serde_json::to_string_pretty(&r)?);
                } else {
                    out!("{}", render_record(&r));
                }
                ExitCode::SUCCESS
            }
            None => {
                eprintln!("error: no record with id {id:?} in {}", summary.path.display());
                ExitCode::from(1)
            }
        });
    }

    let (samples, matching) = sample(&summary, &filters, args.sample)?;
    if args.json {
        let out = serde_json::json!({
            "summary": summary,
            "filters": args.filter,
            "matching": matching,
            "samples": samples,
        });
        outln!("{}", serde_json::to_string(&out)?);
        return Ok(ExitCode::SUCCESS);
    }
    out!("{}", render_summary(&summary));
    if args.sample > 0 && !samples.is_empty() {
        let of =
            if filters.is_empty() { String::new() } else { format!(", {matching} matching the filters") };
        outln!("\nSample records ({} of {}{of}):", samples.len(), summary.records);
        for r in &samples {
            out!("\n{}", render_record(r));
        }
    } else if !filters.is_empty() {
        outln!("\nNo record matches the filters.");
    }
    Ok(ExitCode::SUCCESS)
}

fn write_card(args: &InspectArgs, summary: &Summary) -> anyhow::Result<()> {
    let dir = if args.path.is_dir() {
        args.path.clone()
    } else {
        summary.path.parent().map(std::path::Path::to_path_buf).unwrap_or_default()
    };
    let run = summary.run.clone().unwrap_or_else(|| RunInfo {
        generator: match summary.kind {
            DatasetKind::Fol => "fol".into(),
            DatasetKind::Code => "code".into(),
            _ => String::new(),
        },
        kept: summary.records,
        stop_reason: "unknown (no run.json; card written by gen inspect --card)".into(),
        ..RunInfo::default()
    });
    let path = dir.join(CARD_FILE);
    std::fs::write(&path, datasets::card::render(summary, &run))
        .with_context(|| format!("writing {}", path.display()))?;
    eprintln!("wrote {}", path.display());
    Ok(())
}

fn find_by_id(summary: &Summary, id: &str) -> anyhow::Result<Option<Value>> {
    let mut found = None;
    datasets::scan_values(&summary.path, |v| {
        let matches = match v.get("id") {
            Some(Value::String(s)) => s == id,
            Some(Value::Number(n)) => n.to_string() == id,
            _ => false,
        };
        if matches {
            found = Some(v);
        }
        !matches
    })?;
    Ok(found)
}

/// The first `k` records matching every filter, and how many match in all.
fn sample(summary: &Summary, filters: &[Filter], k: usize) -> anyhow::Result<(Vec<Value>, u64)> {
    let mut samples = Vec::new();
    let mut matching = 0u64;
    datasets::scan_values(&summary.path, |v| {
        if filters.iter().all(|f| f.matches(&v)) {
            matching += 1;
            if samples.len() < k {
                samples.push(v);
            }
        }
        // Counting matches needs the whole file only when filtering.
        !filters.is_empty() || samples.len() < k
    })?;
    if filters.is_empty() {
        matching = summary.records;
    }
    Ok((samples, matching))
}

fn human_bytes(n: u64) -> String {
    match n {
        0..1_024 => format!("{n} B"),
        1_024..1_048_576 => format!("{:.1} KiB", n as f64 / 1024.0),
        _ => format!("{:.1} MiB", n as f64 / 1_048_576.0),
    }
}

fn pct(r: f64) -> String {
    format!("{:.1}%", r * 100.0)
}

/// Left-aligned first column, right-aligned numbers.
fn table(out: &mut String, header: &[String], rows: &[Vec<String>]) {
    let cols = header.len();
    let mut width = vec![0; cols];
    for row in std::iter::once(header).chain(rows.iter().map(Vec::as_slice)) {
        for (i, c) in row.iter().enumerate().take(cols) {
            width[i] = width[i].max(c.chars().count());
        }
    }
    for row in std::iter::once(header).chain(rows.iter().map(Vec::as_slice)) {
        let mut line = String::from("  ");
        for (i, c) in row.iter().enumerate().take(cols) {
            if i == 0 {
                let _ = write!(line, "{c:<w$}", w = width[i]);
            } else {
                let _ = write!(line, "  {c:>w$}", w = width[i]);
            }
        }
        let _ = writeln!(out, "{}", line.trim_end());
    }
}

fn dist_rows(rows: &mut Vec<Vec<String>>, name: &str, d: &Distribution) {
    if d.count > 0 {
        rows.push(vec![
            name.to_string(),
            d.min.to_string(),
            d.p50.to_string(),
            d.p90.to_string(),
            d.p99.to_string(),
            d.max.to_string(),
            format!("{:.1}", d.mean),
        ]);
    }
}

fn dist_header(first: &str) -> Vec<String> {
    [first, "min", "p50", "p90", "p99", "max", "mean"].iter().map(|s| s.to_string()).collect()
}

pub(crate) fn render_summary(s: &Summary) -> String {
    let mut out = String::new();
    let kind = match s.kind {
        DatasetKind::Fol => "FOL problems",
        DatasetKind::Code => "code samples",
        DatasetKind::Mixed => "records of mixed kinds",
        DatasetKind::Empty => "records",
    };
    let _ = writeln!(out, "{}: {} {kind} ({})", s.path.display(), s.records, human_bytes(s.bytes));
    if s.torn_tail {
        let _ = writeln!(
            out,
            "  note: the last line is partial (a run is writing, or was killed); it is not counted"
        );
    }
    if s.bad_lines > 0 {
        let _ = writeln!(out, "  warning: {} lines are not JSON objects", s.bad_lines);
    }
    if s.duplicate_ids > 0 {
        let _ = writeln!(out, "  warning: {} records repeat an earlier id", s.duplicate_ids);
    }
    if let Some(run) = &s.run {
        render_run(&mut out, run, s.records);
    }
    if let Some(fol) = &s.fol {
        let labels: Vec<&String> = fol.labels.keys().collect();
        let mut header = vec!["depth".to_string()];
        header.extend(labels.iter().map(|l| l.to_string()));
        header.push("total".into());
        let mut rows = Vec::new();
        for (depth, row) in &fol.label_by_depth {
            let mut r = vec![depth.to_string()];
            r.extend(labels.iter().map(|l| row.get(*l).copied().unwrap_or(0).to_string()));
            r.push(row.values().sum::<u64>().to_string());
            rows.push(r);
        }
        let mut all = vec!["all".to_string()];
        all.extend(labels.iter().map(|l| fol.labels[*l].to_string()));
        all.push(fol.records.to_string());
        rows.push(all);
        out.push_str("\nLabels by depth\n");
        table(&mut out, &header, &rows);
        let mut rows = Vec::new();
        dist_rows(&mut rows, "premises", &fol.premises);
        dist_rows(&mut rows, "distractors", &fol.distractors);
        dist_rows(&mut rows, "proof steps", &fol.steps);
        if !rows.is_empty() {
            out.push_str("\nPer problem\n");
            table(&mut out, &dist_header(""), &rows);
        }
        if !fol.narration.is_empty() {
            let total: u64 = fol.narration.values().sum();
            out.push_str("\nNarration (premise sentences by how they were verified)\n");
            let rows: Vec<Vec<String>> = fol
                .narration
                .iter()
                .map(|(k, n)| vec![k.clone(), n.to_string(), pct(*n as f64 / total as f64)])
                .collect();
            table(&mut out, &["verified by".into(), "sentences".into(), "share".into()], &rows);
            if let Some(r) = fol.narration_verified_rate {
                let _ = writeln!(out, "  verified: {}", pct(r));
            }
            if let Some(r) = fol.narration_fallback_rate {
                let _ = writeln!(out, "  LLM sentences replaced by templates: {}", pct(r));
            }
        }
    }
    if let Some(code) = &s.code {
        out.push_str("\nLanguages\n");
        let rows: Vec<Vec<String>> = code
            .per_lang
            .iter()
            .map(|(lang, l)| {
                vec![
                    lang.clone(),
                    l.kept.to_string(),
                    l.dropped_total.to_string(),
                    l.yield_rate.map(pct).unwrap_or_else(|| "-".into()),
                    join_counts(&l.dropped),
                ]
            })
            .collect();
        let header: Vec<String> = ["language", "kept", "dropped", "yield", "dropped by stage"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        table(&mut out, &header, &rows);
        let mut rows = Vec::new();
        dist_rows(&mut rows, "instruction chars", &code.instruction_len);
        dist_rows(&mut rows, "solution chars", &code.solution_len);
        dist_rows(&mut rows, "solution lines", &code.solution_lines);
        dist_rows(&mut rows, "tests chars", &code.tests_len);
        out.push_str("\nLengths\n");
        table(&mut out, &dist_header(""), &rows);
        if let Some(t) = code.tokens_per_kept {
            let _ = writeln!(out, "\n  tokens per kept sample: {t:.0}");
        }
        if let Some(c) = code.cost_per_kept_usd {
            let _ = writeln!(out, "  cost per kept sample: ${c:.5}");
        }
        if code.not_passed > 0 {
            let _ = writeln!(out, "  warning: {} kept records are marked as not passing", code.not_passed);
        }
        if !s.failures.by_limit.is_empty() {
            let _ = writeln!(
                out,
                "  drops whose deciding run a limit ended: {}",
                join_counts(&s.failures.by_limit)
            );
        }
    }
    if s.failures.total > 0 && s.code.is_none() {
        out.push_str("\nWork items without a record, by stage\n");
        let rows: Vec<Vec<String>> =
            s.failures.by_stage.iter().map(|(k, n)| vec![k.clone(), n.to_string()]).collect();
        table(&mut out, &["stage".into(), "items".into()], &rows);
    }
    out
}

fn render_run(out: &mut String, run: &RunInfo, records: u64) {
    if !run.command_line.is_empty() {
        let _ = writeln!(out, "  command: {}", run.command_line.replace('\n', "\n           "));
    }
    let mut facts = vec![format!("seed {}", run.seed)];
    if run.shard_count > 1 {
        facts.push(format!("shard {}/{}", run.shard_index, run.shard_count));
    }
    facts.push(format!("model {}", run.model.as_deref().unwrap_or("none")));
    if !run.stop_reason.is_empty() {
        facts.push(format!("stopped: {}", run.stop_reason));
    }
    if run.elapsed_secs > 0.0 {
        facts.push(format!("{:.1} s", run.elapsed_secs));
    }
    let _ = writeln!(out, "  {}", facts.join(", "));
    let mut counts = Vec::new();
    if run.requested > 0 {
        counts.push(format!("requested {}", run.requested));
    }
    if run.attempted > 0 {
        counts.push(format!("attempted {}", run.attempted));
        if !run.rates.contains_key("yield") {
            counts.push(format!("yield {}", pct(run.kept as f64 / run.attempted as f64)));
        }
    }
    for (k, v) in &run.rates {
        counts.push(format!("{k} {}", pct(*v)));
    }
    if !counts.is_empty() {
        let _ = writeln!(out, "  {}", counts.join(", "));
    }
    let t = &run.tokens;
    if t.calls > 0 {
        let per = if records > 0 {
            format!(", {:.0} per record", t.total() as f64 / records as f64)
        } else {
            String::new()
        };
        let _ = writeln!(
            out,
            "  model calls {} ({} cached, {} retries), tokens {} prompt + {} completion{per}",
            t.calls, t.cached_calls, t.retries, t.prompt_tokens, t.completion_tokens
        );
    }
    if let Some(c) = run.cost_usd {
        let _ = writeln!(out, "  cost ${c:.4}");
    }
}

fn join_counts(m: &BTreeMap<String, u64>) -> String {
    m.iter().map(|(k, v)| format!("{k} {v}")).collect::<Vec<_>>().join(", ")
}

fn text<'a>(v: &'a Value, key: &str) -> &'a str {
    v.get(key).and_then(Value::as_str).unwrap_or("")
}

fn indented(out: &mut String, body: &str) {
    for line in body.lines() {
        let _ = writeln!(out, "    {line}");
    }
}

/// A record as a person reads it: FOL problems and code samples by their parts, other
/// records as pretty JSON.
pub(crate) fn render_record(r: &Value) -> String {
    let mut out = String::new();
    let id = match r.get("id") {
        Some(Value::String(s)) => s.clone(),
        Some(other) => other.to_string(),
        None => "(no id)".into(),
    };
    if r.get("lang").is_some() && r.get("solution").is_some() {
        let passed = r.pointer("/verification/passed").and_then(Value::as_bool);
        let ms = r.pointer("/verification/runtime_ms").and_then(Value::as_u64);
        let status = match (passed, ms) {
            (Some(true), Some(ms)) => format!("tests passed in {ms} ms"),
            (Some(true), None) => "tests passed".into(),
            (Some(false), _) => "tests FAILED".into(),
            (None, _) => "not verified".into(),
        };
        let _ = writeln!(out, "── {id} · {} · {status}", text(r, "lang"));
        for (title, key) in [("instruction", "instruction"), ("solution", "solution"), ("tests", "tests")] {
            let _ = writeln!(out, "  {title}:");
            indented(&mut out, text(r, key));
        }
    } else if r.get("conclusion_fol").is_some() || r.get("nl2fol").is_some() {
        let label = r.pointer("/meta/label").and_then(Value::as_str).unwrap_or("?");
        let depth = r.pointer("/meta/depth").and_then(Value::as_u64).map(|d| format!(" · depth {d}"));
        let _ = writeln!(out, "── {id} · {label}{}", depth.unwrap_or_default());
        let narration = r.pointer("/meta/narration").and_then(Value::as_array);
        out.push_str("  context:\n");
        // The premises one per line: from meta.narration (ours, in context order), else
        // nl2fol's keys (ProverQA), else the context as written.
        let from_narration: Option<Vec<&str>> =
            narration.map(|n| n.iter().filter_map(|e| e.get("sentence").and_then(Value::as_str)).collect());
        let context: Vec<&str> =
            match (from_narration, r.get("nl2fol").and_then(Value::as_object), r.get("context")) {
                (Some(n), _, _) if !n.is_empty() => n,
                (_, Some(m), _) if !m.is_empty() => m.keys().map(String::as_str).collect(),
                (_, _, Some(Value::Array(a))) => a.iter().filter_map(Value::as_str).collect(),
                (_, _, Some(Value::String(s))) => vec![s.as_str()],
                _ => Vec::new(),
            };
        for (i, sentence) in context.iter().enumerate() {
            let fol = r.get("nl2fol").and_then(|m| m.get(*sentence)).and_then(Value::as_str);
            let how = narration
                .and_then(|n| n.iter().find(|e| e.get("sentence").and_then(Value::as_str) == Some(sentence)))
                .and_then(|e| e.get("verified_by"))
                .and_then(Value::as_str);
            let _ = writeln!(out, "    {:>2}. {sentence}", i + 1);
            if let Some(fol) = fol {
                let _ =
                    writeln!(out, "        {fol}{}", how.map(|h| format!("   [{h}]")).unwrap_or_default());
            }
        }
        let _ = writeln!(out, "  question: {}", text(r, "question"));
        let _ = writeln!(out, "  conclusion FOL: {}", text(r, "conclusion_fol"));
        let _ = writeln!(out, "  answer: {}", text(r, "answer"));
        out.push_str("  reasoning:\n");
        indented(&mut out, text(r, "reasoning"));
    } else {
        let _ = writeln!(out, "── {id}");
        indented(&mut out, &serde_json::to_string_pretty(r).unwrap_or_default());
    }
    out
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use std::path::PathBuf;

    fn fixture(name: &str) -> PathBuf {
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../datasets/tests/fixtures").join(name)
    }

    fn args(path: PathBuf) -> InspectArgs {
        InspectArgs { path, sample: 2, filter: Vec::new(), id: None, json: false, card: false }
    }

    #[test]
    fn summary_text_has_the_tables() {
        let fol = render_summary(&datasets::stats::summarize(&fixture("fol")).unwrap());
        assert!(fol.contains("depth  False  True  Uncertain  total"), "{fol}");
        assert!(fol.contains("the last line is partial"), "{fol}");
        let code = render_summary(&datasets::stats::summarize(&fixture("code")).unwrap());
        assert!(code.contains("rust         1        2   33.3%  tests 1, vacuous_tests 1"), "{code}");
        assert!(code.contains("tokens per kept sample: 2000"), "{code}");
    }

    #[test]
    fn records_print_by_their_parts() {
        let text = std::fs::read_to_string(fixture("code").join("data.jsonl")).unwrap();
        let code: Value = serde_json::from_str(text.lines().next().unwrap()).unwrap();
        let shown = render_record(&code);
        assert!(shown.starts_with("── code-9-0 · python · tests passed in 10 ms"), "{shown}");
        assert!(shown.contains("    def add(a, b):\n        return a + b"), "{shown}");
        let text = std::fs::read_to_string(fixture("fol").join("data.jsonl")).unwrap();
        let fol: Value = serde_json::from_str(text.lines().nth(1).unwrap()).unwrap();
        let shown = render_record(&fol);
        assert!(shown.starts_with("── fol-5-1 · False · depth 1"), "{shown}");
        assert!(shown.contains("P0(anna)   [template]"), "{shown}");
        assert!(render_record(&serde_json::json!({"x": 1})).starts_with("── (no id)"));
    }

    #[test]
    fn filters_and_ids_select_records() {
        let s = datasets::stats::summarize(&fixture("code")).unwrap();
        let filters = vec![
            Filter::parse("lang=python").unwrap(),
            Filter::parse("verification.runtime_ms!=10").unwrap(),
        ];
        let (samples, matching) = sample(&s, &filters, 1).unwrap();
        assert_eq!(matching, 2);
        assert_eq!(samples[0]["id"], "code-9-1");
        assert_eq!(find_by_id(&s, "code-9-3").unwrap().unwrap()["lang"], "go");
        assert!(find_by_id(&s, "code-9-99").unwrap().is_none());
        let mut a = args(fixture("code"));
        a.id = Some("code-9-99".into());
        assert_eq!(run(a).unwrap(), ExitCode::from(1));
    }

    #[test]
    fn bad_filter_is_a_usage_error() {
        let mut a = args(fixture("code"));
        a.filter = vec!["lang".into()];
        let err = run(a).unwrap_err();
        assert!(err.downcast_ref::<crate::config::ConfigError>().is_some(), "{err}");
    }

    #[test]
    fn card_flag_writes_card_md_beside_the_data() {
        let tmp = tempfile::tempdir().unwrap();
        std::fs::copy(fixture("fol").join("data.jsonl"), tmp.path().join("data.jsonl")).unwrap();
        let mut a = args(tmp.path().join("data.jsonl"));
        a.card = true;
        a.sample = 0;
        run(a).unwrap();
        let card = std::fs::read_to_string(tmp.path().join(CARD_FILE)).unwrap();
        assert!(card.contains("Z3-verified first-order logic problems"), "{card}");
        assert!(card.contains("no run.json"), "{card}");
    }
}
