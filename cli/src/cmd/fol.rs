//! `gen fol`: ProverQA problems whose every label and reasoning step Z3 proved. Turns
//! the resolved config into an [`agents::fol::FolGenerator`] run on the job runtime
//! ([`agents::job`]): the stop flag, the budget and the progress bar drive it, then
//! `job::finish` writes the exports, `run.json` and the card.

use crate::config::{Backend, FolConfig};
use agents::Prompts;
use agents::fol::{FolGenerator, FolSettings, FolSink, FolSummary, Lexicon, LlmNarrator};
use agents::job::{BudgetGate, Driver};
use anyhow::Context;
use datasets::WorkPlan;
use provers::Prover;
use provers::skeleton::LabelMix;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Instant;

/// Exit status when fewer records than asked for were kept.
const EXIT_SHORT: u8 = 3;

pub fn run(cfg: FolConfig) -> anyhow::Result<ExitCode> {
    let started = Instant::now();
    let labels = LabelMix::parse(&cfg.labels)
        .map_err(|e| crate::config::ConfigError::Invalid { flag: "--labels", message: e.to_string() })?;
    let lexicon = Arc::new(Lexicon::builtin());
    let settings = FolSettings {
        plan: WorkPlan {
            seed: cfg.run.seed,
            n: cfg.run.n,
            shard_index: cfg.run.shard.index,
            shard_count: cfg.run.shard.count,
        },
        logic: cfg.logic,
        depths: cfg.depths,
        distractors: cfg.distractors,
        labels,
        threads: std::thread::available_parallelism().map_or(1, usize::from),
        concurrency: cfg.model.concurrency.max(1),
    };
    settings
        .check_vocabulary(&lexicon)
        .map_err(|message| crate::config::ConfigError::Invalid { flag: "--distractors", message })?;
    let prover = Prover::default();
    if cfg.run.dry_run {
        let sink = FolSink::open(&cfg.run.out, None)?;
        return dry_run(&cfg, settings, &sink, lexicon, prover);
    }
    let mut sink = FolSink::open(&cfg.run.out, cfg.smtlib.as_deref())?;
    let stop = crate::stop::install().context("cannot install the interrupt handler")?;
    let z3_before = provers::skeleton::z3_time();
    let prompts = Prompts::load(cfg.run.prompts.as_deref())?;
    let prompts_hash = prompts.combined_hash();
    let runtime = super::runtime()?;
    let _in_runtime = runtime.enter();
    let (memory, model) = if cfg.narrator_llm {
        let memory = memory::Memory::open(&cfg.run.memory)?;
        let model = super::model::build_model(&cfg.model, Some(&memory))?;
        (Some(memory), Some(model))
    } else {
        (None, None)
    };
    let narrator = model.as_ref().map(|m| LlmNarrator::new(m.clone(), Arc::new(prompts), prover));
    let generator = FolGenerator::new(settings, lexicon, prover, narrator);

    let todo = generator.todo(&sink);
    let planned = generator.settings().plan.len();
    let bar = crate::observe::progress_bar(planned, "fol");
    let before = planned - todo.len() as u64;
    bar.set_position(before);
    // Before the first item finishes, the first item's rendered prompts say what one costs.
    let first_estimate = match (todo.first(), &model) {
        (Some(&i), Some(_)) if cfg.model.budget.is_limited() => Some(generator.estimate(i)?),
        _ => None,
    };
    let gate = BudgetGate::new(cfg.model.budget, model.as_ref().and_then(|m| m.accounting()), first_estimate);
    let mut driver = Driver::new(stop.clone(), gate, |p| bar.set_position(before + p.items));
    let summary = runtime.block_on(generator.run(&mut sink, &mut |p| driver.checkpoint(p)))?;
    drop(driver);
    bar.finish_and_clear();
    if let (Some(memory), Some(model)) = (&memory, &model) {
        if let Some(acc) = model.accounting() {
            let t = acc.totals();
            agents::observed::ObservedUsage {
                items: summary.items,
                kept: summary.written,
                calls: t.calls,
                prompt_tokens: t.prompt_tokens,
                completion_tokens: t.completion_tokens,
            }
            .record(memory, &usage_key(&cfg))?;
        }
        memory.flush()?;
    }
    let elapsed = started.elapsed().as_secs_f64();
    let z3_secs = (provers::skeleton::z3_time() - z3_before).as_secs_f64();

    let run = run_info(&cfg, &generator, &sink, &summary, model.as_ref(), &prompts_hash, elapsed, z3_secs);
    agents::job::finish(&cfg.run.out, sink.records_path(), &cfg.formats, &run)?;

    let per_sec = if elapsed > 0.0 { summary.written as f64 / elapsed } else { 0.0 };
    eprintln!(
        "gen fol: {} kept of {} (this run: {} written, {} failed) in {elapsed:.1}s, {per_sec:.0} problems/s; Z3 {z3_secs:.1}s (summed over threads)",
        sink.written(),
        planned,
        summary.written,
        summary.failed,
    );
    if cfg.narrator_llm {
        let n = summary.narration;
        eprintln!(
            "  narration: {} sentences verified, {} fell back to templates, {} model calls",
            n.accepted, n.fallbacks, n.calls
        );
    }
    eprintln!("  output: {}", cfg.run.out.display());
    if let Some(reason) = stop.reason() {
        eprintln!("gen fol: stopped ({}); re-run the same command to resume", reason.as_str());
        return Ok(ExitCode::from(reason.exit_code()));
    }
    Ok(if sink.written() >= planned { ExitCode::SUCCESS } else { ExitCode::from(EXIT_SHORT) })
}

/// `--dry-run`: the planned work and, with `--narrator llm`, the expected model calls,
/// tokens and cost (prompts rendered for a sample of the items, answers assumed accepted
/// on their first try).
fn dry_run(
    cfg: &FolConfig,
    settings: FolSettings,
    sink: &FolSink,
    lexicon: Arc<Lexicon>,
    prover: Prover,
) -> anyhow::Result<ExitCode> {
    let placeholder: Arc<dyn llm::ChatModel> = Arc::new(llm::ScriptedModel::new(Vec::<String>::new()));
    let prompts = Arc::new(Prompts::load(cfg.run.prompts.as_deref())?);
    let narrator = cfg.narrator_llm.then(|| LlmNarrator::new(placeholder, prompts, prover));
    let generator = FolGenerator::new(settings, lexicon, prover, narrator);
    let todo = generator.todo(sink);
    outln!(
        "gen fol (dry run): {} work items to do at depth {} ({} already written in {})",
        todo.len(),
        cfg.depths,
        cfg.run.n.saturating_sub(todo.len() as u64),
        cfg.run.out.display()
    );
    if !cfg.narrator_llm {
        outln!("  narrator: template (offline): no model calls, no tokens, no cost");
        return Ok(ExitCode::SUCCESS);
    }
    // Skeletons vary little in size at one depth: a sample of items predicts the rest.
    let sample: Vec<u64> = todo.iter().copied().take(32).collect();
    let mut total = llm::TokenEstimate::default();
    for &i in &sample {
        let e = generator.estimate(i)?;
        total.calls += e.calls;
        total.prompt_tokens += e.prompt_tokens;
        total.completion_tokens += e.completion_tokens;
    }
    let rendered =
        if sample.is_empty() { total } else { total.scaled(todo.len() as f64 / sample.len() as f64) };
    // Earlier runs of the same kind (model, depth) in this memory say what an item really
    // costs, retries and rejected narrations included.
    let observed = match super::memory_for_estimate(&cfg.run.memory, "fol") {
        Some(m) => agents::observed::ObservedUsage::load(&m, &usage_key(cfg))?,
        None => None,
    };
    let (est, source) = match observed.and_then(|o| o.per_item().map(|p| (o.items, p))) {
        Some((items, per)) => {
            outln!(
                "  rendered prompts say ~{:.0} calls, ~{:.0} tokens; {items} items of earlier runs averaged ~{:.1} calls, ~{:.0} tokens per item",
                rendered.calls,
                rendered.total(),
                per.calls,
                per.total()
            );
            (per.scaled(todo.len() as f64), "observed")
        }
        None => (rendered, "rendered"),
    };
    let b = cfg.model.budget;
    let cost = b.cost(est.prompt_tokens, est.completion_tokens);
    outln!(
        "  model calls: ~{:.0} (narration + back-translation per premise, from the {source} figures)",
        est.calls
    );
    outln!("  tokens: ~{:.0} prompt + ~{:.0} completion", est.prompt_tokens, est.completion_tokens);
    outln!("  cost: ~${cost:.4} at ${}/M prompt and ${}/M completion tokens", b.price_in, b.price_out);
    outln!(
        "{}",
        serde_json::json!({"items": todo.len(), "calls": est.calls.round(), "prompt_tokens": est.prompt_tokens.round(),
            "completion_tokens": est.completion_tokens.round(), "cost_usd": cost, "source": source})
    );
    Ok(ExitCode::SUCCESS)
}

/// Where LLM-narrated runs of this kind file what their items cost (memory tree `usage`).
fn usage_key(cfg: &FolConfig) -> String {
    agents::observed::fol_key(&cfg.model.usage_name(), &cfg.depths.to_string())
}

#[allow(clippy::too_many_arguments)]
fn run_info(
    cfg: &FolConfig,
    generator: &FolGenerator,
    sink: &FolSink,
    summary: &FolSummary,
    model: Option<&Arc<dyn llm::ChatModel>>,
    prompts_hash: &str,
    elapsed: f64,
    z3_secs: f64,
) -> datasets::RunInfo {
    let plan = &generator.settings().plan;
    let previous = datasets::RunInfo::read(&cfg.run.out).ok().flatten();
    let mut tokens = previous.as_ref().map(|p| p.tokens.clone()).unwrap_or_default();
    tokens.calls += u64::from(summary.narration.calls);
    if let Some(acc) = model.and_then(|m| m.accounting()) {
        let t = acc.totals();
        tokens.prompt_tokens += t.prompt_tokens;
        tokens.completion_tokens += t.completion_tokens;
        tokens.retries += t.retries;
    }
    let mut rates = std::collections::BTreeMap::new();
    let narrated = summary.narration.accepted + summary.narration.fallbacks;
    if narrated > 0 {
        rates.insert(
            "llm_sentence_accepted".into(),
            f64::from(summary.narration.accepted) / f64::from(narrated),
        );
    }
    let mut extra = serde_json::Map::new();
    extra.insert("depth".into(), cfg.depths.to_string().into());
    if let Some(d) = cfg.distractors {
        extra.insert("distractors".into(), d.into());
    }
    extra.insert("labels".into(), cfg.labels.clone().into());
    extra.insert("narrator".into(), (if cfg.narrator_llm { "llm" } else { "template" }).into());
    extra.insert("logic".into(), cfg.logic.as_str().into());
    extra.insert("compound_conclusions".into(), summary.compound.into());
    extra.insert("z3_secs".into(), z3_secs.into());
    if elapsed > 0.0 {
        extra.insert("problems_per_sec".into(), (summary.written as f64 / elapsed).into());
    }
    let attempted = previous.as_ref().map_or(0, |p| p.attempted) + summary.written + summary.failed;
    datasets::RunInfo {
        generator: "fol".into(),
        command_line: std::env::args().collect::<Vec<_>>().join(" "),
        gen_version: env!("CARGO_PKG_VERSION").into(),
        seed: cfg.run.seed,
        shard_index: plan.shard_index,
        shard_count: plan.shard_count,
        model: model.map(|m| m.model_name()),
        backend: Some(
            match (cfg.narrator_llm, &cfg.model.backend) {
                (false, _) => "none",
                (true, Backend::Local(_)) => "local",
                (true, Backend::OpenAi { .. }) => "openai",
            }
            .into(),
        ),
        prompts_hash: Some(prompts_hash.to_string()),
        z3_version: Some(generator.z3_version().to_string()),
        requested: plan.len(),
        kept: sink.written(),
        attempted,
        failed: previous.as_ref().map_or(0, |p| p.failed) + summary.failed,
        rates,
        tokens,
        elapsed_secs: elapsed,
        stop_reason: summary.stopped.clone().unwrap_or_else(|| "done".into()),
        extra,
        ..datasets::RunInfo::default()
    }
}
