//! `gen code`: executed multilingual code instructions. Wires the resolved config into
//! `agents::code` (agents, discussion, verification, gates) with the sandbox as checker
//! and `data.jsonl`/`failures.jsonl` as the resumable output, then writes exports,
//! `run.json` and `card.md`.
//!
//! Exit status: 0 when `-n` samples are kept; 3 when the run stopped at `--max-attempts`
//! or at the budget with fewer; 130 when interrupted (what was kept is written, and a
//! re-run resumes).

use crate::config::{Backend, CodeConfig, SeedChoice};
use agents::Prompts;
use agents::code::{
    CodeGenerator, CodeSettings, DatasetSink, Decontaminator, RunSummary, SampleSink, SandboxChecker,
    SeedBank,
};
use agents::job::{BudgetGate, Driver};
use anyhow::Context;
use std::process::ExitCode;
use std::time::Instant;

/// Exit status when the attempt bound stopped the run short of `-n`.
const EXIT_SHORT: u8 = 3;

pub fn run(cfg: CodeConfig) -> anyhow::Result<ExitCode> {
    if cfg.run.dry_run {
        return dry_run(&cfg);
    }
    let started = Instant::now();
    let started_at = now_rfc3339();

    let sandbox = sandbox::Sandbox::new(sandbox::SandboxOptions {
        unsafe_no_sandbox: cfg.unsafe_no_sandbox,
        ..sandbox::SandboxOptions::default()
    })
    .context("cannot start the sandbox every sample is checked in")?;
    for lang in &cfg.langs {
        let language = sandbox
            .registry()
            .get(lang)
            .with_context(|| format!("--langs: {lang} is not in the sandbox's language registry"))?;
        if sandbox.toolchain(language).is_none() {
            anyhow::bail!(
                "--langs: the {lang} toolchain is not installed (`{}` failed); run scripts/setup or drop {lang}",
                language.detect.join(" ")
            );
        }
    }
    let checker = SandboxChecker::new(sandbox);

    let memory = memory::Memory::open(&cfg.run.memory)?;
    if memory.was_recovered() {
        tracing::info!(path = %cfg.run.memory.display(), "memory recovered after an unclean shutdown");
    }
    let prompts = Prompts::load(cfg.run.prompts.as_deref())?;
    let seeds = load_seeds(&cfg)?;
    let decontam = Decontaminator::load(&cfg.decontam)?;

    let settings = settings(&cfg);
    let runtime = super::runtime()?;
    let _in_runtime = runtime.enter();
    let model = super::model::build_model(&cfg.model, Some(&memory))?;
    let mut sink = DatasetSink::open(&cfg.run.out)?;
    let mut generator =
        CodeGenerator::new(model.as_ref(), &prompts, &checker, &memory, seeds, decontam, settings.clone())?;

    let bar = crate::observe::progress_bar(cfg.run.n, "code");
    bar.set_position(sink.kept());
    let resumed = sink.kept();
    let stop = crate::stop::install().context("cannot install the interrupt handler")?;
    // Before the first item finishes, earlier runs of the same kind say what one costs.
    let observed = agents::observed::ObservedUsage::load(&memory, &usage_key(&cfg))?;
    let gate = BudgetGate::new(cfg.model.budget, model.accounting(), observed.and_then(|o| o.per_item()));
    let mut driver = Driver::new(stop.clone(), gate, |p| {
        bar.set_position(resumed + p.kept);
        bar.set_message(format!(
            "{} tried, {} failed, {} filtered, {} tok",
            p.attempted, p.failed, p.filtered, p.tokens
        ));
        if p.items > 0 {
            tracing::info!(items = p.items, kept = p.kept, attempted = p.attempted, "work item done");
        }
    });
    let outcome = runtime.block_on(generator.run(&mut sink, &mut |p| driver.checkpoint(p)));
    drop(driver);
    bar.finish_and_clear();
    let summary = outcome?;
    agents::observed::ObservedUsage {
        items: summary.items,
        kept: summary.kept,
        calls: summary.usage.calls,
        prompt_tokens: summary.usage.prompt_tokens,
        completion_tokens: summary.usage.completion_tokens,
    }
    .record(&memory, &usage_key(&cfg))?;
    memory.flush()?;

    let run = run_info(&cfg, &summary, &sink, model.as_ref(), &prompts, started, started_at);
    agents::job::finish(&cfg.run.out, sink.records_path(), &cfg.formats, &run)?;

    print_summary(&summary, &sink, &cfg);
    if let Some(reason) = stop.reason() {
        eprintln!("gen code: stopped ({}); re-run the same command to resume", reason.as_str());
        return Ok(ExitCode::from(reason.exit_code()));
    }
    let target = shard_part(cfg.run.n, cfg.run.shard.index, cfg.run.shard.count);
    Ok(if sink.kept() >= target { ExitCode::SUCCESS } else { ExitCode::from(EXIT_SHORT) })
}

/// The pipeline's settings for this configuration.
fn settings(cfg: &CodeConfig) -> CodeSettings {
    let mut settings = CodeSettings::new(cfg.langs.clone(), cfg.run.n);
    settings.max_attempts = cfg.max_attempts;
    settings.seed = cfg.run.seed;
    settings.shard_index = cfg.run.shard.index;
    settings.shard_count = cfg.run.shard.count;
    settings.rounds = cfg.rounds.max(1);
    settings.parallel = cfg.parallel_discussion;
    settings.protocol = cfg.protocol;
    settings.min_mutation_score = cfg.min_mutation_score;
    settings.judge_min_score = cfg.judge.then_some(cfg.min_score);
    settings
}

/// Where this kind of run files what its work items cost (memory tree `usage`).
fn usage_key(cfg: &CodeConfig) -> String {
    agents::observed::code_key(
        &cfg.model.usage_name(),
        &cfg.langs,
        cfg.rounds.max(1),
        cfg.parallel_discussion,
        cfg.judge,
    )
}

fn shard_part(total: u64, index: u64, count: u64) -> u64 {
    let count = count.max(1);
    total / count + u64::from(index < total % count)
}

fn run_info(
    cfg: &CodeConfig,
    s: &RunSummary,
    sink: &DatasetSink,
    model: &dyn llm::ChatModel,
    prompts: &Prompts,
    started: Instant,
    started_at: String,
) -> datasets::RunInfo {
    let mut tokens = datasets::TokenTotals {
        calls: s.usage.calls,
        cached_calls: s.usage.cached_calls,
        prompt_tokens: s.usage.prompt_tokens,
        completion_tokens: s.usage.completion_tokens,
        ..datasets::TokenTotals::default()
    };
    // The metered model counts retries and tokens actually paid (cache hits are free).
    if let Some(acc) = model.accounting() {
        let t = acc.totals();
        tokens.prompt_tokens = t.prompt_tokens;
        tokens.completion_tokens = t.completion_tokens;
        tokens.retries = t.retries;
    }
    // Tokens of earlier runs into the same output add up, so tokens per kept sample
    // stays honest after a resume.
    if let Ok(Some(previous)) = datasets::RunInfo::read(&cfg.run.out) {
        let p = previous.tokens;
        tokens.calls += p.calls;
        tokens.cached_calls += p.cached_calls;
        tokens.prompt_tokens += p.prompt_tokens;
        tokens.completion_tokens += p.completion_tokens;
        tokens.retries += p.retries;
    }
    let mut rates = std::collections::BTreeMap::new();
    for (lang, st) in &s.per_lang {
        if st.attempted > 0 {
            rates.insert(format!("pass_rate_{lang}"), st.pass_rate());
            rates.insert(format!("yield_{lang}"), st.kept as f64 / st.attempted as f64);
        }
    }
    if s.attempted > 0 {
        rates.insert("yield".into(), s.kept as f64 / s.attempted as f64);
    }
    let mut extra = serde_json::Map::new();
    extra.insert("drops".into(), serde_json::json!(s.drops));
    extra.insert("failures_by_stage".into(), serde_json::json!(s.failures_by_stage));
    extra.insert("per_lang".into(), serde_json::json!(s.per_lang));
    extra.insert("reflections".into(), serde_json::json!(s.reflections));
    extra.insert("langs".into(), serde_json::json!(cfg.langs));
    extra.insert("rounds".into(), serde_json::json!(cfg.rounds.max(1)));
    extra.insert(
        "discussion".into(),
        serde_json::json!(if cfg.parallel_discussion { "parallel" } else { "centralized" }),
    );
    extra.insert("sandboxed".into(), serde_json::json!(!cfg.unsafe_no_sandbox));
    let attempted = sink.attempted();
    datasets::RunInfo {
        generator: "code".into(),
        command_line: cfg.run.command.clone(),
        gen_version: env!("CARGO_PKG_VERSION").into(),
        seed: cfg.run.seed,
        shard_index: cfg.run.shard.index,
        shard_count: cfg.run.shard.count,
        model: Some(model.model_name()),
        backend: Some(
            match cfg.model.backend {
                Backend::Local(_) => "local",
                Backend::OpenAi { .. } => "openai",
            }
            .into(),
        ),
        prompts_hash: Some(prompts.combined_hash()),
        // This shard's part of -n, so the shards of a merge add up to -n.
        requested: shard_part(cfg.run.n, cfg.run.shard.index, cfg.run.shard.count),
        kept: sink.kept(),
        attempted,
        failed: attempted.saturating_sub(sink.kept()),
        rates,
        tokens,
        elapsed_secs: started.elapsed().as_secs_f64(),
        stop_reason: s.stop_reason.clone(),
        started_at: Some(started_at),
        finished_at: Some(now_rfc3339()),
        extra,
        ..datasets::RunInfo::default()
    }
}

/// `--dry-run`: the work, and the model calls, tokens and cost it is expected to take,
/// without a model call or a sandbox run. The pipeline is played on a few items against a
/// stand-in model ([`agents::code::estimate`]); when earlier runs of the same kind are in
/// the memory, what they really spent per item (and how many samples an item yielded)
/// replaces the stand-in's figures.
fn dry_run(cfg: &CodeConfig) -> anyhow::Result<ExitCode> {
    use agents::code::estimate;
    let langs = cfg.langs.len() as u64;
    let target = shard_part(cfg.run.n, cfg.run.shard.index, cfg.run.shard.count);
    let records = cfg.run.out.join(datasets::RECORDS_FILE);
    let kept = if records.exists() { datasets::read_values(&records)?.values.len() as u64 } else { 0 };
    let remaining = target.saturating_sub(kept);
    let items_max = shard_part(cfg.max_attempts, cfg.run.shard.index, cfg.run.shard.count).div_ceil(langs);
    outln!(
        "gen code (dry run): keep {remaining} more samples in {} ({kept} already in {})",
        cfg.langs.join(", "),
        cfg.run.out.display()
    );
    outln!(
        "  discussion: {}, {} round(s){}",
        if cfg.parallel_discussion { "parallel" } else { "centralized" },
        cfg.rounds.max(1),
        if cfg.judge { ", judged" } else { "" }
    );

    // The real memory, when a run made one: its reflections shape the prompts, and its
    // observations refine the estimate. A memory in use by a live run is left alone.
    let memory = super::memory_for_estimate(&cfg.run.memory, "code");
    let prompts = Prompts::load(cfg.run.prompts.as_deref())?;
    let seeds = load_seeds(cfg)?;
    let registry = sandbox::Registry::builtin();
    let runtime =
        tokio::runtime::Builder::new_current_thread().build().context("cannot start the runtime")?;
    let sim = runtime.block_on(estimate::simulate(
        &prompts,
        memory.as_ref(),
        seeds,
        &settings(cfg),
        &registry,
        estimate::SIMULATED_ITEMS,
    ))?;
    let observed = match &memory {
        Some(m) => agents::observed::ObservedUsage::load(m, &usage_key(cfg))?,
        None => None,
    };
    let (Some(played), Some(played_yield)) = (sim.per_item(), sim.kept_per_item()) else {
        anyhow::bail!("the dry run could not play a work item");
    };
    outln!(
        "  per work item, played with stand-in answers: ~{:.1} calls, ~{:.0} prompt + ~{:.0} completion tokens, {played_yield:.1} samples if every candidate passes",
        played.calls,
        played.prompt_tokens,
        played.completion_tokens
    );
    let (per_item, per_item_yield, source) = match observed.and_then(|o| o.per_item().zip(o.kept_per_item()))
    {
        Some((per, y)) => {
            let items = observed.map_or(0, |o| o.items);
            outln!(
                "  per work item, observed over {items} items of earlier runs: ~{:.1} calls, ~{:.0} prompt + ~{:.0} completion tokens, {y:.2} samples",
                per.calls,
                per.prompt_tokens,
                per.completion_tokens
            );
            (per, y, "observed")
        }
        None => (played, played_yield, "played"),
    };
    let items = if per_item_yield > 0.0 {
        ((remaining as f64 / per_item_yield).ceil() as u64).min(items_max)
    } else {
        items_max
    };
    let est = per_item.scaled(items as f64);
    let b = cfg.model.budget;
    let cost = b.cost(est.prompt_tokens, est.completion_tokens);
    outln!("  work items: ~{items} (at most {items_max} by --max-attempts {})", cfg.max_attempts);
    outln!("  model calls: ~{:.0} (from the {source} figures; retries and repairs add more)", est.calls);
    outln!("  tokens: ~{:.0} prompt + ~{:.0} completion", est.prompt_tokens, est.completion_tokens);
    outln!("  cost: ~${cost:.4} at ${}/M prompt and ${}/M completion tokens", b.price_in, b.price_out);
    outln!(
        "{}",
        serde_json::json!({"items": items, "calls": est.calls.round(), "prompt_tokens": est.prompt_tokens.round(),
            "completion_tokens": est.completion_tokens.round(), "cost_usd": cost, "source": source})
    );
    Ok(ExitCode::SUCCESS)
}

fn print_summary(s: &RunSummary, sink: &DatasetSink, cfg: &CodeConfig) {
    eprintln!(
        "gen code: {} kept of {} requested ({} this run: {} tried, {} failed, {} filtered); {}",
        sink.kept(),
        cfg.run.n,
        s.kept,
        s.attempted,
        s.failed,
        s.filtered,
        s.stop_reason
    );
    let d = &s.drops;
    eprintln!(
        "  gates dropped: length {}, language {}, not an instruction {}, prompt copy {}, exact dup {}, near dup {}, decontamination {}, judge {}, summary {}",
        d.length,
        d.language,
        d.not_an_instruction,
        d.prompt_copy,
        d.exact_dup,
        d.near_dup,
        d.decontamination,
        d.judge,
        d.summary
    );
    for (stage, n) in &s.failures_by_stage {
        eprintln!("  failed at {stage}: {n}");
    }
    for (lang, st) in &s.per_lang {
        eprintln!(
            "  {lang}: {} tried, {} passed ({:.0}%), {} repaired, {} kept; memory {} -> {} entries",
            st.attempted,
            st.passed,
            st.pass_rate() * 100.0,
            st.repaired,
            st.kept,
            st.history_at_start,
            st.history_at_end
        );
    }
    match s.tokens_per_kept() {
        Some(t) => eprintln!("  tokens: {} ({t:.0} per kept sample)", s.usage.total_tokens()),
        None => eprintln!("  tokens: {}", s.usage.total_tokens()),
    }
    eprintln!("  output: {}", cfg.run.out.display());
}

fn now_rfc3339() -> String {
    let secs = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs());
    let (days, rem) = ((secs / 86_400) as i64, secs % 86_400);
    // Civil-from-days (Howard Hinnant's algorithm): no date crate for one timestamp.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!("{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z", rem / 3600, (rem / 60) % 60, rem % 60)
}

/// The seed bank `--seeds` names: the harvested corpus by default, when it is there.
fn load_seeds(cfg: &CodeConfig) -> anyhow::Result<SeedBank> {
    Ok(match &cfg.seeds {
        SeedChoice::Embedded => SeedBank::built_in(&cfg.langs),
        SeedChoice::Dir(dir) => SeedBank::from_dir_with(dir, &cfg.langs, &cfg.seed_licences)?,
        SeedChoice::Corpus(dir) if dir.join(harvest::SEEDS_FILE).is_file() => {
            let bank = SeedBank::from_corpus(dir, &cfg.langs, &cfg.seed_licences)?;
            let seeds: usize = cfg.langs.iter().map(|l| bank.count(l)).sum();
            tracing::info!(corpus = %dir.display(), seeds, "seeds from the harvested corpus");
            bank
        }
        SeedChoice::Corpus(dir) => {
            tracing::warn!(
                "no harvested seed corpus at {} (run `gen seeds harvest --builtin`, as scripts/setup does); using the embedded seeds",
                dir.display()
            );
            SeedBank::built_in(&cfg.langs)
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shards_split_the_target_like_the_items() {
        let parts: Vec<u64> = (0..3).map(|k| shard_part(8, k, 3)).collect();
        assert_eq!(parts, vec![3, 3, 2]);
        assert_eq!(parts.iter().sum::<u64>(), 8);
        assert_eq!(shard_part(5, 0, 0), 5, "a shard count of 0 is read as 1");
    }

    #[test]
    fn timestamps_are_rfc3339_utc() {
        let t = now_rfc3339();
        assert_eq!(t.len(), 20, "{t}");
        assert!(t.ends_with('Z') && t.as_bytes()[10] == b'T', "{t}");
        assert!(t.as_str() >= "2024-01-01T00:00:00Z", "{t}");
    }
}
