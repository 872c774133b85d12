//! `gen fol`: ProverQA problems whose every label and reasoning step Z3 proved.
//!
//! Work item i gets its seed and label from (`--seed`, i); finished ids in `data.jsonl`
//! are skipped, so a killed run resumes and shards never overlap. The template narrator
//! runs on all cores (rayon); `--narrator llm` runs problems concurrently on a tokio
//! runtime, bounded by the model's concurrency.

use crate::config::{Backend, FolConfig};
use agents::Prompts;
use agents::fol::{ItemInfo, Lexicon, LlmNarrator, NarrationStats};
use anyhow::Context;
use datasets::{DatasetWriter, FailureRecord, FolRecord, WorkPlan};
use provers::Prover;
use provers::skeleton::{LabelMix, Skeleton, SkeletonSpec, Vocabulary};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Instant;

/// Exit status when fewer records than asked for were kept.
const EXIT_SHORT: u8 = 3;
/// Items per written batch: one write and one fsync each.
const BATCH: usize = 256;

/// One finished work item.
type Outcome = Result<(Skeleton, FolRecord), (String, String)>;

pub fn run(cfg: FolConfig) -> anyhow::Result<ExitCode> {
    let started = Instant::now();
    let formats = cfg.formats.clone();
    let mix = LabelMix::parse(&cfg.labels)
        .map_err(|e| crate::config::ConfigError::Invalid { flag: "--labels", message: e.to_string() })?;
    let lexicon = Arc::new(Lexicon::builtin());
    // Distractors scale with each item's depth unless given.
    let distractors_at =
        |depth: u32| cfg.distractors.unwrap_or_else(|| SkeletonSpec::default_distractors(depth));
    let deepest = cfg.depths.max;
    let probe =
        SkeletonSpec { depth: deepest, distractors: distractors_at(deepest), label: provers::Label::True };
    let vocab = lexicon.vocabulary();
    if cfg.logic == agents::fol::Logic::Relational {
        use provers::skeleton::relational::RelVocabulary;
        let rv = lexicon.rel_vocabulary();
        let short = RelVocabulary::predicates_needed(&probe) > rv.predicates.len()
            || RelVocabulary::relations_needed(&probe) > rv.relations.len()
            || RelVocabulary::individuals_needed(&probe) > rv.individuals.len();
        if short {
            return Err(crate::config::ConfigError::Invalid {
                flag: "--distractors",
                message: format!(
                    "too many at depth {deepest} for the relational lexicon ({} predicates, {} relations, {} people)",
                    rv.predicates.len(),
                    rv.relations.len(),
                    rv.individuals.len()
                ),
            }
            .into());
        }
    }
    if Vocabulary::predicates_needed(&probe) > vocab.predicates.len() {
        let most = (vocab.predicates.len() - 1 - 2 * deepest as usize) / 2;
        return Err(crate::config::ConfigError::Invalid {
            flag: "--distractors",
            message: format!(
                "at most {most} at depth {} (the lexicon has {} predicates)",
                deepest,
                vocab.predicates.len()
            ),
        }
        .into());
    }
    if let Some(dir) = &cfg.smtlib {
        std::fs::create_dir_all(dir).with_context(|| format!("--smtlib: cannot create {}", dir.display()))?;
    }

    let plan = WorkPlan {
        seed: cfg.run.seed,
        n: cfg.run.n,
        shard_index: cfg.run.shard.index,
        shard_count: cfg.run.shard.count,
    };
    let mut writer = DatasetWriter::open(&cfg.run.out, datasets::RECORDS_FILE)?;
    let mut failures = DatasetWriter::failures(&cfg.run.out)?;
    let todo: Vec<u64> = plan.items().filter(|&i| !writer.contains(&plan.item_id("fol", i))).collect();
    let bar = crate::observe::progress_bar(plan.len(), "fol");
    bar.set_position(plan.len() - todo.len() as u64);

    let z3_version = provers::z3_version();
    let prover = Prover::default();
    let item = |index: u64, model: Option<String>| ItemInfo {
        id: plan.item_id("fol", index),
        index,
        seed: plan.item_seed(index),
        z3_version: z3_version.clone(),
        model,
    };
    let spec = |index: u64| {
        let depth = cfg.depths.depth_for(index, mix.block_len());
        SkeletonSpec { depth, distractors: distractors_at(depth), label: mix.label_for(plan.seed, index) }
    };

    if cfg.run.dry_run {
        return dry_run(&cfg, &todo, &spec, &item, &lexicon, &prover);
    }
    let stop = crate::stop::Stop::install().context("cannot install the interrupt handler")?;
    let z3_before = provers::skeleton::z3_time();
    let mut tally = Tally::default();
    let mut model_info = None;
    let prompts = Prompts::load(cfg.run.prompts.as_deref())?;
    let prompts_hash = prompts.combined_hash();
    if cfg.narrator_llm {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .build()
            .context("cannot start the async runtime")?;
        let _in_runtime = runtime.enter();
        let memory = memory::Memory::open(&cfg.run.memory)?;
        let model = super::model::build_model(&cfg.model, Some(&memory))?;
        let narrator = LlmNarrator::new(model.clone(), Arc::new(prompts), prover);
        let name = narrator.model_name();
        model_info = Some((name.clone(), model.clone()));
        let concurrency = cfg.model.concurrency.max(1);
        let budget = cfg.model.budget;
        let first_estimate = match todo.first() {
            Some(&i) if budget.is_limited() => {
                agents::fol::llm_problem_estimate(&spec(i), &lexicon, &prover, &narrator, &item(i, None))?
            }
            _ => llm::TokenEstimate::default(),
        };
        let mut done_items = 0u64;
        // Small chunks with a model: an interrupt or the budget is noticed within a few items.
        for chunk in todo.chunks((concurrency * 2).clamp(4, BATCH)) {
            if stop.requested() {
                break;
            }
            if budget.is_limited()
                && let Some(acc) = model.accounting()
            {
                let totals = acc.totals();
                let per_item = llm::TokenEstimate::per_item(&totals, done_items).unwrap_or(first_estimate);
                if budget.would_exceed(&totals, &per_item.scaled(chunk.len() as f64)) {
                    stop.request(crate::stop::StopReason::Budget);
                    break;
                }
            }
            done_items += chunk.len() as u64;
            let outcomes: Vec<(Outcome, NarrationStats)> = runtime.block_on(async {
                let gate = Arc::new(tokio::sync::Semaphore::new(concurrency));
                let mut tasks = tokio::task::JoinSet::new();
                for (slot, &index) in chunk.iter().enumerate() {
                    let (gate, narrator, lexicon) = (gate.clone(), narrator.clone(), lexicon.clone());
                    let (spec, item) = (spec(index), item(index, Some(name.clone())));
                    tasks.spawn(async move {
                        let _permit = gate.acquire_owned().await;
                        let out = agents::fol::llm_problem(&spec, &lexicon, &prover, &narrator, &item).await;
                        let (outcome, stats) = match out {
                            Ok((sk, record, stats)) => (Ok((sk, record)), stats),
                            Err(e) => (Err((item.id.clone(), e.to_string())), NarrationStats::default()),
                        };
                        (slot, outcome, stats)
                    });
                }
                let mut done: Vec<(usize, Outcome, NarrationStats)> = tasks.join_all().await;
                done.sort_by_key(|(slot, ..)| *slot);
                done.into_iter().map(|(_, o, s)| (o, s)).collect()
            });
            let mut batch = Vec::with_capacity(outcomes.len());
            for (o, s) in outcomes {
                tally.narration.accepted += s.accepted;
                tally.narration.fallbacks += s.fallbacks;
                tally.narration.calls += s.calls;
                batch.push(o);
            }
            write_batch(batch, &mut writer, &mut failures, cfg.smtlib.as_deref(), &mut tally)?;
            bar.inc(chunk.len() as u64);
        }
        if let Some(acc) = model.accounting() {
            let t = acc.totals();
            agents::observed::ObservedUsage {
                items: done_items,
                kept: tally.written,
                calls: t.calls,
                prompt_tokens: t.prompt_tokens,
                completion_tokens: t.completion_tokens,
            }
            .record(&memory, &usage_key(&cfg))?;
        }
        memory.flush()?;
    } else {
        for chunk in todo.chunks(BATCH) {
            if stop.requested() {
                break;
            }
            let outcomes = on_all_cores(chunk, |index| {
                let item = item(index, None);
                agents::fol::template_problem_in(cfg.logic, &spec(index), &lexicon, &prover, &item)
                    .map_err(|e| (item.id.clone(), e.to_string()))
            });
            write_batch(outcomes, &mut writer, &mut failures, cfg.smtlib.as_deref(), &mut tally)?;
            bar.inc(chunk.len() as u64);
        }
    }
    bar.finish_and_clear();
    let elapsed = started.elapsed().as_secs_f64();
    let z3_secs = (provers::skeleton::z3_time() - z3_before).as_secs_f64();

    for report in datasets::export::export_file(writer.path(), &formats)? {
        tracing::info!(?report, "export written");
    }
    tally.stopped = stop.reason().map(crate::stop::StopReason::as_str);
    let run = run_info(
        &cfg,
        &plan,
        &writer,
        &tally,
        model_info.as_ref(),
        &prompts_hash,
        &z3_version,
        elapsed,
        z3_secs,
    );
    run.write(&cfg.run.out)?;
    let stats = datasets::stats::summarize(&cfg.run.out)?;
    let card_path = cfg.run.out.join(datasets::CARD_FILE);
    std::fs::write(&card_path, datasets::card::render(&stats, &run))
        .with_context(|| format!("cannot write {}", card_path.display()))?;

    let per_sec = if elapsed > 0.0 { tally.written as f64 / elapsed } else { 0.0 };
    eprintln!(
        "gen fol: {} kept of {} (this run: {} written, {} failed) in {elapsed:.1}s, {per_sec:.0} problems/s; Z3 {z3_secs:.1}s (summed over threads)",
        writer.len(),
        plan.len(),
        tally.written,
        tally.failed,
    );
    if cfg.narrator_llm {
        let n = tally.narration;
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
    Ok(if writer.len() as u64 >= plan.len() { ExitCode::SUCCESS } else { ExitCode::from(EXIT_SHORT) })
}

/// `--dry-run`: the planned work and, with `--narrator llm`, the expected model calls,
/// tokens and cost (prompts rendered for a sample of the items, answers assumed accepted
/// on their first try).
fn dry_run(
    cfg: &FolConfig,
    todo: &[u64],
    spec: &dyn Fn(u64) -> SkeletonSpec,
    item: &dyn Fn(u64, Option<String>) -> ItemInfo,
    lexicon: &Lexicon,
    prover: &Prover,
) -> anyhow::Result<ExitCode> {
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
    let placeholder: Arc<dyn llm::ChatModel> = Arc::new(llm::ScriptedModel::new(Vec::<String>::new()));
    let prompts = Arc::new(Prompts::load(cfg.run.prompts.as_deref())?);
    let narrator = LlmNarrator::new(placeholder, prompts, *prover);
    // Skeletons vary little in size at one depth: a sample of items predicts the rest.
    let sample: Vec<u64> = todo.iter().copied().take(32).collect();
    let mut total = llm::TokenEstimate::default();
    for &i in &sample {
        let e = agents::fol::llm_problem_estimate(&spec(i), lexicon, prover, &narrator, &item(i, None))?;
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

#[derive(Debug, Default)]
struct Tally {
    /// Why the run stopped short of its plan (interrupt, budget), if it did.
    stopped: Option<&'static str>,
    written: u64,
    failed: u64,
    compound: u64,
    narration: NarrationStats,
}

fn write_batch(
    outcomes: Vec<Outcome>,
    writer: &mut DatasetWriter,
    failures: &mut DatasetWriter,
    smtlib: Option<&Path>,
    tally: &mut Tally,
) -> anyhow::Result<()> {
    let mut records = Vec::with_capacity(outcomes.len());
    let mut failed = Vec::new();
    for o in outcomes {
        match o {
            Ok((sk, record)) => {
                if let Some(dir) = smtlib {
                    let path: PathBuf = dir.join(format!("{}.smt2", record.id));
                    let text = provers::to_smtlib(&sk.premise_formulas(), &sk.conclusion);
                    std::fs::write(&path, text)
                        .with_context(|| format!("--smtlib: cannot write {}", path.display()))?;
                }
                if matches!(
                    sk.conclusion,
                    provers::Formula::And(_) | provers::Formula::Or(_) | provers::Formula::Xor(_)
                ) {
                    tally.compound += 1;
                }
                records.push(record);
            }
            Err((id, why)) => {
                tracing::warn!(%id, %why, "problem failed");
                failed.push(FailureRecord::new(id, "generate", why));
            }
        }
    }
    tally.written += writer.append_batch(&records)? as u64;
    tally.failed += failed.len() as u64;
    failures.append_batch(&failed)?;
    Ok(())
}

/// `f` over `items` on every core, results in item order. Problems cost about the same,
/// so even contiguous slices balance well enough without a work-stealing pool.
fn on_all_cores<T: Send>(items: &[u64], f: impl Fn(u64) -> T + Sync) -> Vec<T> {
    let cores = std::thread::available_parallelism().map_or(1, usize::from);
    let per = items.len().div_ceil(cores).max(1);
    std::thread::scope(|s| {
        let handles: Vec<_> = items
            .chunks(per)
            .map(|part| s.spawn(|| part.iter().map(|&i| f(i)).collect::<Vec<T>>()))
            .collect();
        handles.into_iter().flat_map(|h| h.join().unwrap_or_else(|p| std::panic::resume_unwind(p))).collect()
    })
}

#[allow(clippy::too_many_arguments)]
fn run_info(
    cfg: &FolConfig,
    plan: &WorkPlan,
    writer: &DatasetWriter,
    tally: &Tally,
    model: Option<&(String, Arc<dyn llm::ChatModel>)>,
    prompts_hash: &str,
    z3_version: &str,
    elapsed: f64,
    z3_secs: f64,
) -> datasets::RunInfo {
    let previous = datasets::RunInfo::read(&cfg.run.out).ok().flatten();
    let mut tokens = previous.as_ref().map(|p| p.tokens.clone()).unwrap_or_default();
    tokens.calls += u64::from(tally.narration.calls);
    if let Some(acc) = model.and_then(|(_, m)| m.accounting()) {
        let t = acc.totals();
        tokens.prompt_tokens += t.prompt_tokens;
        tokens.completion_tokens += t.completion_tokens;
        tokens.retries += t.retries;
    }
    let mut rates = std::collections::BTreeMap::new();
    let narrated = tally.narration.accepted + tally.narration.fallbacks;
    if narrated > 0 {
        rates.insert(
            "llm_sentence_accepted".into(),
            f64::from(tally.narration.accepted) / f64::from(narrated),
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
    extra.insert("compound_conclusions".into(), tally.compound.into());
    extra.insert("z3_secs".into(), z3_secs.into());
    if elapsed > 0.0 {
        extra.insert("problems_per_sec".into(), (tally.written as f64 / elapsed).into());
    }
    let attempted = previous.as_ref().map_or(0, |p| p.attempted) + tally.written + tally.failed;
    datasets::RunInfo {
        generator: "fol".into(),
        command_line: std::env::args().collect::<Vec<_>>().join(" "),
        gen_version: env!("CARGO_PKG_VERSION").into(),
        seed: cfg.run.seed,
        shard_index: plan.shard_index,
        shard_count: plan.shard_count,
        model: model.map(|(name, _)| name.clone()),
        backend: Some(
            match (cfg.narrator_llm, &cfg.model.backend) {
                (false, _) => "none",
                (true, Backend::Local(_)) => "local",
                (true, Backend::OpenAi { .. }) => "openai",
            }
            .into(),
        ),
        prompts_hash: Some(prompts_hash.to_string()),
        z3_version: Some(z3_version.to_string()),
        requested: plan.len(),
        kept: writer.len() as u64,
        attempted,
        failed: previous.as_ref().map_or(0, |p| p.failed) + tally.failed,
        rates,
        tokens,
        elapsed_secs: elapsed,
        stop_reason: tally.stopped.unwrap_or("done").into(),
        extra,
        ..datasets::RunInfo::default()
    }
}
