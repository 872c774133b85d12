//! The dataset card: a Hugging Face style `card.md` (YAML header with features and
//! sizes, then what was generated, how, and what came out).

use crate::RunInfo;
use crate::stats::{DatasetKind, Distribution, Summary};
use std::collections::BTreeMap;
use std::fmt::Write;

/// A column as the Hugging Face `dataset_info.features` YAML describes it.
enum Feature {
    Dtype(&'static str, &'static str),
    Sequence(&'static str, &'static str),
    Struct(&'static str, Vec<Feature>),
    List(&'static str, Vec<Feature>),
}

use Feature::{Dtype, List, Sequence, Struct};

fn fol_features() -> Vec<Feature> {
    vec![
        Dtype("id", "string"),
        Sequence("options", "string"),
        Dtype("answer", "string"),
        Dtype("question", "string"),
        Dtype("reasoning", "string"),
        Sequence("context", "string"),
        Dtype("conclusion", "string"),
        Dtype("conclusion_fol", "string"),
        Struct(
            "meta",
            vec![
                Dtype("depth", "int64"),
                Dtype("label", "string"),
                List("steps", vec![Sequence("premises", "string"), Dtype("conclusion", "string")]),
                Sequence("distractors", "string"),
                List(
                    "narration",
                    vec![Dtype("sentence", "string"), Dtype("fol", "string"), Dtype("verified_by", "string")],
                ),
                Dtype("seed", "uint64"),
                Dtype("z3_version", "string"),
                Dtype("model", "string"),
            ],
        ),
        Dtype("schema_version", "int64"),
    ]
}

fn code_features() -> Vec<Feature> {
    vec![
        Dtype("id", "string"),
        Dtype("lang", "string"),
        Dtype("instruction", "string"),
        Dtype("response", "string"),
        Dtype("solution", "string"),
        Dtype("tests", "string"),
        Dtype("entry_point", "string"),
        Struct(
            "verification",
            vec![Dtype("compiled", "bool"), Dtype("passed", "bool"), Dtype("runtime_ms", "int64")],
        ),
        Struct(
            "provenance",
            vec![
                Dtype("seed_snippet", "string"),
                Dtype("seed_source", "string"),
                Dtype("seed_licence", "string"),
                Dtype("seed", "uint64"),
                Sequence("agents", "string"),
                Dtype("rounds", "int64"),
                Dtype("model", "string"),
            ],
        ),
        List("dialogue", vec![Dtype("agent", "string"), Dtype("role", "string"), Dtype("content", "string")]),
        Dtype("schema_version", "int64"),
    ]
}

fn write_features(out: &mut String, features: &[Feature], indent: usize) {
    let pad = " ".repeat(indent);
    for f in features {
        match f {
            Dtype(name, ty) => {
                let _ = writeln!(out, "{pad}- name: {name}\n{pad}  dtype: {ty}");
            }
            Sequence(name, ty) => {
                let _ = writeln!(out, "{pad}- name: {name}\n{pad}  sequence: {ty}");
            }
            Struct(name, fields) => {
                let _ = writeln!(out, "{pad}- name: {name}\n{pad}  struct:");
                write_features(out, fields, indent + 2);
            }
            List(name, fields) => {
                let _ = writeln!(out, "{pad}- name: {name}\n{pad}  list:");
                write_features(out, fields, indent + 2);
            }
        }
    }
}

/// A YAML scalar that is always read back as the same string (JSON strings are YAML).
fn yaml_str(s: &str) -> String {
    serde_json::to_string(s).unwrap_or_else(|_| "\"\"".to_string())
}

fn size_category(n: u64) -> &'static str {
    match n {
        0..1_000 => "n<1K",
        1_000..10_000 => "1K<n<10K",
        10_000..100_000 => "10K<n<100K",
        100_000..1_000_000 => "100K<n<1M",
        1_000_000..10_000_000 => "1M<n<10M",
        _ => "10M<n<100M",
    }
}

fn pct(rate: f64) -> String {
    format!("{:.1}%", rate * 100.0)
}

fn ratio(part: u64, whole: u64) -> String {
    if whole == 0 { "–".to_string() } else { pct(part as f64 / whole as f64) }
}

/// Markdown table cells must not break the table.
fn cell(s: &str) -> String {
    s.replace('|', "\\|").replace('\n', " ")
}

fn dist_row(out: &mut String, name: &str, d: &Distribution) {
    if d.count > 0 {
        let _ = writeln!(out, "| {name} | {} | {} | {} | {} | {:.1} |", d.min, d.p50, d.p90, d.max, d.mean);
    }
}

/// Renders the card of a dataset from its statistics and how its run went.
pub fn render(summary: &Summary, run: &RunInfo) -> String {
    let is_fol =
        summary.kind == DatasetKind::Fol || (summary.kind == DatasetKind::Empty && run.generator == "fol");
    let is_code =
        summary.kind == DatasetKind::Code || (summary.kind == DatasetKind::Empty && run.generator == "code");
    let file_name = summary.path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let (title, task, tags): (&str, &str, &[&str]) = if is_fol {
        (
            "Z3-verified first-order logic problems",
            "question-answering",
            &["synthetic", "logical-reasoning", "first-order-logic", "verified"],
        )
    } else if is_code {
        (
            "Executed multilingual code instructions",
            "text-generation",
            &["synthetic", "code", "instruction-tuning", "verified"],
        )
    } else {
        ("Synthetic dataset", "text-generation", &["synthetic"])
    };

    let mut out = String::new();
    out.push_str("---\n");
    let _ = writeln!(out, "pretty_name: {}", yaml_str(title));
    out.push_str("language:\n- en\n");
    if let Some(license) = run.extra.get("license").and_then(|v| v.as_str()) {
        let _ = writeln!(out, "license: {}", yaml_str(license));
    }
    let _ = writeln!(out, "task_categories:\n- {task}");
    out.push_str("tags:\n");
    for t in tags {
        let _ = writeln!(out, "- {t}");
    }
    let _ = writeln!(out, "size_categories:\n- {}", size_category(summary.records));
    out.push_str("configs:\n- config_name: default\n  data_files:\n  - split: train\n");
    let _ = writeln!(out, "    path: {}", yaml_str(&file_name));
    out.push_str("dataset_info:\n");
    if is_fol || is_code {
        out.push_str("  features:\n");
        write_features(&mut out, &if is_fol { fol_features() } else { code_features() }, 2);
    }
    out.push_str("  splits:\n  - name: train\n");
    let _ = writeln!(out, "    num_bytes: {}\n    num_examples: {}", summary.bytes, summary.records);
    let _ = writeln!(out, "  dataset_size: {}", summary.bytes);
    out.push_str("---\n\n");

    let _ = writeln!(out, "# {title}\n");
    let what = if is_fol {
        "First-order logic problems in the ProverQA format (context, question, options A) True / \
         B) False / C) Uncertain, reasoning chain, FOL of every sentence). Z3 proved each label, the \
         necessity of every step of the reasoning chain, that the distractors change nothing, and \
         (for model-written sentences) that each sentence means its formula."
    } else if is_code {
        "Code instructions with solutions and tests, written by one agent per language. Every \
         sample was kept only after its solution compiled and its tests passed in a sandbox (no \
         network, resource limits)."
    } else {
        "Records written by `gen`."
    };
    let _ = writeln!(out, "{what}\n");
    let _ = writeln!(
        out,
        "{} records in `{}` ({} bytes). Generated by `gen {}`{}.\n",
        summary.records,
        cell(&file_name),
        summary.bytes,
        if run.generator.is_empty() { "?" } else { &run.generator },
        if run.gen_version.is_empty() { String::new() } else { format!(" {}", run.gen_version) },
    );
    if summary.torn_tail || summary.bad_lines > 0 || summary.duplicate_ids > 0 {
        let _ = writeln!(
            out,
            "> Note: the file was read while incomplete or damaged (partial last line: {}, lines that \
             are not JSON: {}, repeated ids: {}).\n",
            summary.torn_tail, summary.bad_lines, summary.duplicate_ids
        );
    }

    write_provenance(&mut out, run);
    write_counts(&mut out, summary, run);
    if let Some(fol) = &summary.fol {
        write_fol(&mut out, fol);
    }
    if let Some(code) = &summary.code {
        write_code(&mut out, code);
    }
    if summary.failures.total > 0 {
        out.push_str("## Work items that yielded no record\n\n| stage | items |\n| --- | ---: |\n");
        for (stage, n) in &summary.failures.by_stage {
            let _ = writeln!(out, "| {} | {n} |", cell(stage));
        }
        out.push('\n');
        if !summary.failures.by_limit.is_empty() {
            out.push_str(
                "Of these, the sandbox's limits ended the deciding run of:\n\n| limit | items |\n| --- | ---: |\n",
            );
            for (limit, n) in &summary.failures.by_limit {
                let _ = writeln!(out, "| {} | {n} |", cell(limit));
            }
            out.push('\n');
        }
    }
    out.push_str("## Schema\n\n");
    let _ = writeln!(
        out,
        "One JSON object per line, schema version {} (see `datasets/SCHEMA.md` in the `gen` \
         sources). `nl2fol` (FOL) and `check.files` (code) are objects keyed by sentence and by \
         file name, which the feature list above cannot express.\n",
        crate::SCHEMA_VERSION
    );
    out.push_str("## Checking it yourself\n\n");
    if is_fol {
        let _ = writeln!(
            out,
            "`gen verify {}` re-proves every label and step with Z3 and exits non-zero on any \
             disagreement.\n",
            cell(&file_name)
        );
    } else if is_code {
        let _ = writeln!(
            out,
            "`gen verify {}` replays each record's `check` (its files and commands) in the sandbox.\n",
            cell(&file_name)
        );
    }
    out.push_str(
        "## Limitations\n\nSynthetic data inherits the habits of the model and templates that wrote it. \
         Verification proves that labels, proofs and tests are consistent; it does not prove that an \
         instruction is interesting or that tests are complete.\n",
    );
    out
}

fn write_provenance(out: &mut String, run: &RunInfo) {
    out.push_str("## How it was made\n\n| | |\n| --- | --- |\n");
    let mut row = |k: &str, v: &str| {
        if !v.is_empty() {
            let _ = writeln!(out, "| {k} | {} |", cell(v));
        }
    };
    let cmd = if run.command_line.is_empty() { String::new() } else { format!("`{}`", run.command_line) };
    row("command", &cmd);
    row("seed", &run.seed.to_string());
    if run.shard_count > 1 {
        row("shard", &format!("{}/{}", run.shard_index, run.shard_count));
    }
    row("model", run.model.as_deref().unwrap_or("none (templates)"));
    row("backend", run.backend.as_deref().unwrap_or(""));
    row("prompts hash", run.prompts_hash.as_deref().unwrap_or(""));
    row("z3", run.z3_version.as_deref().unwrap_or(""));
    row("started", run.started_at.as_deref().unwrap_or(""));
    row("finished", run.finished_at.as_deref().unwrap_or(""));
    if run.elapsed_secs > 0.0 {
        row("elapsed", &format!("{:.1} s", run.elapsed_secs));
    }
    row("stop reason", &run.stop_reason);
    out.push('\n');
}

fn write_counts(out: &mut String, summary: &Summary, run: &RunInfo) {
    out.push_str("## Counts and rates\n\n| | |\n| --- | ---: |\n");
    let _ = writeln!(out, "| records | {} |", summary.records);
    if run.requested > 0 {
        let _ = writeln!(out, "| requested | {} |", run.requested);
    }
    if run.attempted > 0 {
        let _ = writeln!(out, "| work items attempted | {} |", run.attempted);
        if !run.rates.contains_key("yield") {
            let _ = writeln!(out, "| yield (kept / attempted) | {} |", ratio(run.kept, run.attempted));
        }
    }
    if run.failed > 0 || summary.failures.total > 0 {
        let _ = writeln!(out, "| failed items | {} |", run.failed.max(summary.failures.total));
    }
    for (name, rate) in &run.rates {
        let _ = writeln!(out, "| {} | {} |", cell(name), pct(*rate));
    }
    let t = &run.tokens;
    if t.calls > 0 {
        let _ = writeln!(out, "| model calls (cached) | {} ({}) |", t.calls, t.cached_calls);
        let _ =
            writeln!(out, "| prompt / completion tokens | {} / {} |", t.prompt_tokens, t.completion_tokens);
        if summary.records > 0 {
            let _ = writeln!(out, "| tokens per record | {:.0} |", t.total() as f64 / summary.records as f64);
        }
    }
    if let Some(cost) = run.cost_usd {
        let _ = writeln!(out, "| cost (USD) | {cost:.4} |");
    }
    out.push('\n');
}

/// The header of a table with one column per label and a total: `| first | True | … |`.
fn label_header(out: &mut String, first: &str, first_align: &str, labels: &[&String]) {
    let _ = writeln!(
        out,
        "| {first} | {} | total |\n| {first_align} |{} ---: |",
        labels.iter().map(|l| cell(l)).collect::<Vec<_>>().join(" | "),
        " ---: |".repeat(labels.len())
    );
}

fn write_fol(out: &mut String, fol: &crate::stats::FolStats) {
    out.push_str("## Labels by proof depth\n\n");
    let labels: Vec<&String> = fol.labels.keys().collect();
    label_header(out, "depth", "---:", &labels);
    for (depth, row) in &fol.label_by_depth {
        let counts: Vec<String> =
            labels.iter().map(|l| row.get(*l).copied().unwrap_or(0).to_string()).collect();
        let _ = writeln!(out, "| {depth} | {} | {} |", counts.join(" | "), row.values().sum::<u64>());
    }
    let totals: Vec<String> = labels.iter().map(|l| fol.labels[*l].to_string()).collect();
    let _ = writeln!(out, "| all | {} | {} |\n", totals.join(" | "), fol.records);
    if !fol.label_by_conclusion_form.is_empty() {
        out.push_str(
            "Labels by the conclusion's surface form (a form whose shares are far from a third gives the answer away):\n\n",
        );
        label_header(out, "conclusion", "---", &labels);
        for (form, row) in &fol.label_by_conclusion_form {
            let n: u64 = row.values().sum();
            let shares: Vec<String> =
                labels.iter().map(|l| ratio(row.get(*l).copied().unwrap_or(0), n)).collect();
            let _ = writeln!(out, "| {form} | {} | {n} |", shares.join(" | "));
        }
        out.push('\n');
    }
    out.push_str(
        "| per problem | min | median | p90 | max | mean |\n| --- | ---: | ---: | ---: | ---: | ---: |\n",
    );
    dist_row(out, "premises", &fol.premises);
    dist_row(out, "distractors", &fol.distractors);
    dist_row(out, "proof steps", &fol.steps);
    out.push('\n');
    if !fol.narration.is_empty() {
        let total: u64 = fol.narration.values().sum();
        out.push_str("Premise sentences by how they were verified:\n\n| verified by | sentences | share |\n| --- | ---: | ---: |\n");
        for (by, n) in &fol.narration {
            let _ = writeln!(out, "| {} | {n} | {} |", cell(by), ratio(*n, total));
        }
        out.push('\n');
    }
}

fn write_code(out: &mut String, code: &crate::stats::CodeStats) {
    out.push_str(
        "## Languages\n\n| language | kept | dropped | yield | mutation score (min / median / max) | dropped by stage |\n| --- | ---: | ---: | ---: | ---: | --- |\n",
    );
    for (lang, s) in &code.per_lang {
        let by_stage = join_counts(&s.dropped);
        let yield_rate = s.yield_rate.map(pct).unwrap_or_else(|| "–".into());
        let m = &s.mutation_pct;
        let mutation = if m.count == 0 {
            "–".to_string()
        } else {
            format!("{:.2} / {:.2} / {:.2}", m.min as f64 / 100.0, m.p50 as f64 / 100.0, m.max as f64 / 100.0)
        };
        let _ = writeln!(
            out,
            "| {} | {} | {} | {yield_rate} | {mutation} | {} |",
            cell(lang),
            s.kept,
            s.dropped_total,
            by_stage
        );
    }
    out.push_str(
        "\n| length | min | median | p90 | max | mean |\n| --- | ---: | ---: | ---: | ---: | ---: |\n",
    );
    dist_row(out, "instruction (chars)", &code.instruction_len);
    dist_row(out, "solution (chars)", &code.solution_len);
    dist_row(out, "solution (lines)", &code.solution_lines);
    dist_row(out, "tests (chars)", &code.tests_len);
    out.push('\n');
    if !code.seed_sources.is_empty() {
        out.push_str("## Seeds\n\n| seed source | licence | kept samples |\n| --- | --- | ---: |\n");
        for (source, licences) in &code.seed_sources {
            for (licence, n) in licences {
                let _ = writeln!(out, "| {} | {} | {n} |", cell(source), cell(licence));
            }
        }
        out.push('\n');
    }
    if let Some(t) = code.tokens_per_kept {
        let _ = writeln!(out, "Model tokens per kept sample: {t:.0}.");
    }
    if let Some(c) = code.cost_per_kept_usd {
        let _ = writeln!(out, "Cost per kept sample: ${c:.5}.");
    }
    if code.not_passed > 0 {
        let _ = writeln!(
            out,
            "\n**Warning**: {} records are marked as not passing their tests.",
            code.not_passed
        );
    }
    out.push('\n');
}

fn join_counts(m: &BTreeMap<String, u64>) -> String {
    m.iter().map(|(k, v)| format!("{} {v}", cell(k))).collect::<Vec<_>>().join(", ")
}
