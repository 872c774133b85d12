//! The run loop of `gen code`: work items until `n` samples are kept or `max_attempts`
//! candidates were tried, each item a discussion, verification, summary and gates.
//! Per-item failures are counted and written to `failures.jsonl`, never fatal; a model
//! that fails every call, a broken sandbox or an unwritable dataset end the run.

use crate::Prompts;
use crate::code::agent::{LanguageAgent, Outcome, clip_chars, first_line};
use crate::code::answer::{self, JudgeAnswer, SummaryDecision};
use crate::code::checker::Checker;
use crate::code::derived::{self, DerivedTopic, PromptExample};
use crate::code::discussion::{self, Caller, Candidate, Discussion, Sampling, Topic, turn};
use crate::code::gates::{self, Decontaminator, DedupIndex, Duplicate};
use crate::code::report::{LangStats, RunSummary};
use crate::code::seeds::{SEEDS_USED_TREE, Seed, SeedBank, UsedSeed};
use crate::code::sink::SampleSink;
use crate::code::verify::{self, Verified};
use crate::code::{CodeError, Usage};
use datasets::{Check, CodeRecord, FailureRecord, Provenance, SCHEMA_VERSION, Turn, Verification};
use llm::ChatModel;
use memory::Memory;
use std::collections::{BTreeMap, BTreeSet};

/// After this many work items in a row where the model answered nothing, the endpoint is
/// taken for dead and the run stops with an error instead of burning every attempt.
const MAX_CONSECUTIVE_MODEL_FAILURES: u32 = 5;

/// How one work item makes samples.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Protocol {
    /// Tests derived from execution, ports checked against the source, instructions
    /// checked by a fresh solve ([`crate::code::derived`]).
    #[default]
    Derived,
    /// The first protocol: model-written tests, ports and a summary step
    /// ([`crate::code::discussion`]).
    Discussion,
}

/// Everything that shapes a run, resolved by the caller.
#[derive(Debug, Clone)]
pub struct CodeSettings {
    pub langs: Vec<String>,
    pub protocol: Protocol,
    /// Samples to keep over the whole job (all shards); counts what earlier runs kept.
    pub n: u64,
    /// Candidates to try at most over the whole job.
    pub max_attempts: u64,
    pub seed: u64,
    pub shard_index: u64,
    pub shard_count: u64,
    pub rounds: u32,
    /// `--discussion parallel` (else centralized).
    pub parallel: bool,
    /// `--judge` with `--min-score`.
    pub judge_min_score: Option<f64>,
    /// Repair rounds after a failed check.
    pub repair_rounds: u32,
    /// An agent reflects after this many new history entries.
    pub reflect_every: usize,
    pub temperature: f32,
    pub max_tokens: u32,
    /// Derived samples whose cases reject a smaller share of mutants are dropped.
    pub min_mutation_score: f64,
}

impl CodeSettings {
    pub fn new(langs: Vec<String>, n: u64) -> CodeSettings {
        CodeSettings {
            langs,
            protocol: Protocol::default(),
            n,
            max_attempts: n.saturating_mul(6),
            seed: 0,
            shard_index: 0,
            shard_count: 1,
            rounds: 1,
            parallel: false,
            judge_min_score: None,
            repair_rounds: 1,
            reflect_every: 8,
            temperature: 0.7,
            max_tokens: 1024,
            min_mutation_score: 0.5,
        }
    }

    /// This shard's part of a job-wide count: shards split it as evenly as items.
    fn shard_part(&self, total: u64) -> u64 {
        let count = self.shard_count.max(1);
        total / count + u64::from(self.shard_index < total % count)
    }
}

/// Runs the agents. Borrowed parts are shared with the caller (the CLI owns the model,
/// the prompts and the sandbox).
pub struct CodeGenerator<'a> {
    model: &'a dyn ChatModel,
    prompts: &'a Prompts,
    checker: &'a dyn Checker,
    agents: BTreeMap<String, LanguageAgent>,
    seeds: SeedBank,
    decontam: Decontaminator,
    /// N-grams of the prompts: an instruction that repeats them is the model echoing its
    /// orders, not an exercise.
    echo: Decontaminator,
    /// The solutions shown in prompts (worked examples): a sample copying one is dropped.
    shown_solutions: DedupIndex,
    /// The stock exercises a derived draft must not reuse.
    examples: Vec<PromptExample>,
    dedup: DedupIndex,
    /// The functions kept in this run and earlier ones sharing the memory, in the order
    /// they were kept (the memory's [`KEPT_FUNCTIONS_TREE`]): a new draft must not reuse
    /// a name.
    written: Vec<KeptFunction>,
    kept_functions: memory::Tree,
    /// Per language, the types its drafts may use (worked out once).
    draft_types: BTreeMap<String, derived::DraftTypes>,
    settings: CodeSettings,
    summary: RunSummary,
    model_name: String,
    /// The memory's record of drawn seeds ([`SEEDS_USED_TREE`]).
    seeds_used: memory::Tree,
}

impl std::fmt::Debug for CodeGenerator<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CodeGenerator").field("settings", &self.settings).finish_non_exhaustive()
    }
}

impl<'a> CodeGenerator<'a> {
    /// Opens one agent per language in `memory`, and indexes every instruction the agents
    /// kept in earlier runs for the dedup gate.
    pub fn new(
        model: &'a dyn ChatModel,
        prompts: &'a Prompts,
        checker: &'a dyn Checker,
        memory: &Memory,
        mut seeds: SeedBank,
        decontam: Decontaminator,
        settings: CodeSettings,
    ) -> Result<CodeGenerator<'a>, CodeError> {
        // Seeds are drawn without replacement, across the runs that share the memory.
        let seeds_used = memory.tree(SEEDS_USED_TREE)?;
        let kept_functions = memory.tree(KEPT_FUNCTIONS_TREE)?;
        let written: Vec<KeptFunction> = kept_functions
            .iter_json::<KeptFunction>()
            .map(|r| r.map(|(_, k)| k))
            .collect::<Result<_, _>>()?;
        let used: Vec<UsedSeed> =
            seeds_used.iter_json::<UsedSeed>().map(|r| r.map(|(_, u)| u)).collect::<Result<_, _>>()?;
        seeds.arrange(settings.seed, &used);
        let mut agents = BTreeMap::new();
        let mut dedup = DedupIndex::default();
        let mut echo = Decontaminator::default();
        let mut shown_solutions = DedupIndex::default();
        for name in prompts.names() {
            echo.add_text(prompts.source(name).unwrap_or_default());
        }
        let examples = derived::prompt_examples();
        for e in &examples {
            echo.add_text(&format!("{} {}", e.signature, e.task));
        }
        for lang in &settings.langs {
            echo.add_text(&checker.convention(lang));
            let example = checker.example(lang);
            let agent = LanguageAgent::open(memory, lang, checker.convention(lang), settings.reflect_every)?
                .with_example(example.as_ref());
            // A copy of the example is not a new sample.
            if let Some(e) = &example {
                dedup.insert(lang, &e.instruction);
                echo.add_text(&e.instruction);
                shown_solutions.insert(lang, &e.solution);
            }
            for instruction in agent.kept_instructions()? {
                dedup.insert(lang, &instruction);
            }
            agents.insert(lang.clone(), agent);
        }
        let draft_types =
            settings.langs.iter().map(|l| (l.clone(), derived::draft_types(checker, l))).collect();
        let summary = RunSummary {
            per_lang: agents
                .iter()
                .map(|(lang, agent)| {
                    let at_start = agent.history_len() as u64;
                    (lang.clone(), LangStats { history_at_start: at_start, ..LangStats::default() })
                })
                .collect(),
            ..RunSummary::default()
        };
        Ok(CodeGenerator {
            model_name: model.model_name(),
            model,
            prompts,
            checker,
            agents,
            seeds,
            decontam,
            echo,
            shown_solutions,
            examples,
            dedup,
            written,
            kept_functions,
            draft_types,
            settings,
            summary,
            seeds_used,
        })
    }

    pub fn agent(&self, lang: &str) -> Option<&LanguageAgent> {
        self.agents.get(lang)
    }

    /// Runs work items until the target or the attempt bound is reached. `control` is
    /// asked before every item (see [`crate::job`]); `Some(reason)` stops taking new
    /// items (an interrupt, an exhausted budget), with the items done so far all written.
    pub async fn run(
        &mut self,
        sink: &mut dyn SampleSink,
        control: &mut crate::job::Control<'_>,
    ) -> Result<RunSummary, CodeError> {
        let target = self.settings.shard_part(self.settings.n);
        let max_attempts = self.settings.shard_part(self.settings.max_attempts);
        self.summary.resumed_kept = sink.kept();
        self.summary.resumed_attempted = sink.attempted();
        let count = self.settings.shard_count.max(1);
        let mut index = self.settings.shard_index;
        let mut local = 0u64;
        let mut dead_streak = 0u32;
        loop {
            if sink.kept() >= target {
                self.summary.stop_reason = "target reached".into();
                break;
            }
            if sink.attempted() >= max_attempts {
                self.summary.stop_reason = "max attempts reached".into();
                break;
            }
            if let Some(reason) = control(&self.summary.progress()) {
                self.summary.stop_reason = reason;
                break;
            }
            let item_id = datasets::item_id("code", self.settings.seed, index);
            if !sink.item_done(&item_id) {
                let model_error = self.run_item(sink, index, local, target, max_attempts).await?;
                sink.finish_item(&item_id)?;
                self.summary.items += 1;
                match model_error {
                    Some(last) => {
                        dead_streak += 1;
                        if dead_streak >= MAX_CONSECUTIVE_MODEL_FAILURES {
                            return Err(CodeError::ModelDown { consecutive: dead_streak, last });
                        }
                    }
                    None => dead_streak = 0,
                }
            }
            index += count;
            local += 1;
        }
        for (lang, agent) in &self.agents {
            if let Some(stats) = self.summary.per_lang.get_mut(lang) {
                stats.history_at_end = agent.history_len() as u64;
            }
        }
        Ok(self.summary.clone())
    }

    /// The seed of the shard's `local`-th work item, proposed in `lang`: the language's
    /// draws are numbered across shards (draw j of shard k is `j * shards + k`), so shards
    /// draw apart. The draw is remembered in the memory.
    fn draw_seed(&self, lang: &str, local: u64) -> Result<Option<&Seed>, CodeError> {
        let per_lang = local / self.settings.langs.len().max(1) as u64;
        let k = per_lang * self.settings.shard_count.max(1) + self.settings.shard_index;
        let seed = self.seeds.draw(lang, k);
        if let Some(s) = seed {
            let used =
                UsedSeed { lang: lang.to_string(), origin: s.origin.clone(), run_seed: self.settings.seed };
            self.seeds_used.push_json(&used)?;
        }
        Ok(seed)
    }

    fn sample_id(&self, lang: &str, index: u64) -> String {
        datasets::item_id(&format!("code-{lang}"), self.settings.seed, index)
    }

    /// One work item. Returns the model error when the model produced nothing at all.
    async fn run_item(
        &mut self,
        sink: &mut dyn SampleSink,
        index: u64,
        local: u64,
        target: u64,
        max_attempts: u64,
    ) -> Result<Option<String>, CodeError> {
        // A language with neither call nor stdin cases proposes by discussion.
        let langs = &self.settings.langs;
        let proposer_lang = &langs[(local % langs.len() as u64) as usize];
        if self.settings.protocol == Protocol::Derived {
            let program = derived::takes_stdin_cases(self.checker, proposer_lang);
            if program || takes_call_cases(self.checker, proposer_lang) {
                return self.run_derived_item(sink, index, local, target, max_attempts, program).await;
            }
        }
        let langs = &self.settings.langs;
        let item_seed = datasets::item_seed(self.settings.seed, index);
        let proposer_lang = langs[(local % langs.len() as u64) as usize].clone();
        let proposer =
            self.agents.get(&proposer_lang).ok_or_else(|| CodeError::NoAgent(proposer_lang.clone()))?;
        let others: Vec<&LanguageAgent> =
            langs.iter().filter(|l| **l != proposer_lang).filter_map(|l| self.agents.get(l)).collect();
        let seed = self.draw_seed(&proposer_lang, local)?;
        let caller = Caller {
            model: self.model,
            prompts: self.prompts,
            sampling: Sampling {
                temperature: self.settings.temperature,
                max_tokens: self.settings.max_tokens,
            },
            seed: item_seed,
        };
        let answer_first = seed.is_some() && item_seed & 1 == 1;
        let topic = Topic {
            proposer,
            others,
            seed,
            answer_first,
            // Only a seed that may be an answer verbatim is taken as one.
            describe: seed
                .filter(|s| answer_first && s.verbatim)
                .and_then(|s| self.checker.probe_entry(&proposer_lang, &s.code)),
            rounds: self.settings.rounds,
            parallel: self.settings.parallel,
        };
        let mut usage = Usage::default();
        let discussion = discussion::discuss(&caller, topic, &mut usage).await?;
        self.summary.usage.merge(&usage);
        let model_error =
            if discussion.candidates.is_empty() { discussion.model_error.clone() } else { None };
        let mut ctx = ItemContext {
            index,
            item_seed,
            discussion: &discussion,
            templates: discussion.templates.clone(),
            summary_turn: None,
        };

        for still in &discussion.stillborn {
            let id = self.sample_id(&still.lang, index);
            if sink.contains(&id) || sink.attempted() >= max_attempts {
                continue;
            }
            self.fail(
                sink,
                &id,
                &still.lang,
                Failed {
                    stage: still.stage,
                    reason: &still.reason,
                    attempts: 0,
                    instruction: "",
                    concepts: &[],
                    faults: vec![first_line(&still.reason, 200)],
                    role: still.role,
                    limit: None,
                    solution: "",
                },
            )?;
        }

        let mut passing: Vec<(Candidate, Verified)> = Vec::new();
        for (k, candidate) in discussion.candidates.iter().enumerate() {
            let id = self.sample_id(&candidate.lang, index);
            if sink.contains(&id) {
                continue;
            }
            // Stop verifying once enough samples are in sight: the rest are never tried.
            if sink.kept() + passing.len() as u64 >= target
                || sink.attempted() + passing.len() as u64 >= max_attempts
            {
                break;
            }
            // A given answer gets its tests from what it returns for the proposer's calls.
            let probed;
            let candidate = if candidate.probe_calls.is_empty() {
                candidate
            } else {
                let ex = &candidate.exercise;
                match self.checker.probe_tests(
                    &candidate.lang,
                    &ex.solution,
                    &ex.entry_point,
                    &candidate.probe_calls,
                )? {
                    Ok(tests) => {
                        let mut c = candidate.clone();
                        c.exercise.tests = tests;
                        probed = c;
                        &probed
                    }
                    Err(reason) => {
                        let instruction = ex.instruction.clone();
                        self.fail(
                            sink,
                            &id,
                            &candidate.lang,
                            Failed {
                                stage: "tests",
                                reason: &format!("probing the given answer: {reason}"),
                                attempts: 1,
                                instruction: &instruction,
                                concepts: &candidate.exercise.concepts,
                                faults: vec![format!(
                                    "the calls gave too little to test: {}",
                                    first_line(&reason, 160)
                                )],
                                role: candidate.role,
                                limit: None,
                                solution: &ex.solution,
                            },
                        )?;
                        continue;
                    }
                }
            };
            let convention =
                self.agents.get(&candidate.lang).map(|a| a.convention.clone()).unwrap_or_default();
            let mut usage = Usage::default();
            let call_base = 1000 * (k as u64 + 1);
            let result = verify::verify(
                &caller,
                self.checker,
                candidate,
                &convention,
                self.settings.repair_rounds,
                call_base,
                &mut usage,
            )
            .await?;
            self.summary.usage.merge(&usage);
            if candidate_repair_used(&result) {
                ctx.templates.insert("code_repair");
            }
            match result {
                Ok(v) => {
                    let stats = self.summary.per_lang.entry(candidate.lang.clone()).or_default();
                    stats.attempted += 1;
                    stats.passed += 1;
                    stats.repaired += u64::from(v.attempts > 1);
                    passing.push((candidate.clone(), v));
                }
                Err(r) => {
                    let instruction = candidate.exercise.instruction.clone();
                    self.fail(
                        sink,
                        &id,
                        &candidate.lang,
                        Failed {
                            stage: r.stage,
                            reason: &r.reason,
                            attempts: r.attempts,
                            instruction: &instruction,
                            concepts: &candidate.exercise.concepts,
                            faults: r.faults,
                            role: candidate.role,
                            limit: r.limit,
                            solution: &candidate.exercise.solution,
                        },
                    )?;
                }
            }
        }

        let keep = self.summarize(&caller, &mut ctx, &passing).await?;
        for (candidate, verified) in passing {
            let gate = if !keep.contains(&candidate.lang) {
                Some(("summary", "the summary step did not keep this version".to_string(), None))
            } else {
                self.gate(&caller, &candidate.lang, &verified).await?
            };
            self.settle(sink, &ctx, &candidate, &verified, gate, None)?;
        }

        let involved: BTreeSet<String> = std::iter::once(discussion.proposer.clone())
            .chain(discussion.candidates.iter().map(|c| c.lang.clone()))
            .chain(discussion.stillborn.iter().map(|s| s.lang.clone()))
            .collect();
        self.reflect_due(involved).await?;
        Ok(model_error)
    }

    /// One work item of the derived protocol: draft, derive cases, instruction, fresh
    /// solve, ports; then the gates, and records sharing one family id.
    async fn run_derived_item(
        &mut self,
        sink: &mut dyn SampleSink,
        index: u64,
        local: u64,
        target: u64,
        max_attempts: u64,
        program: bool,
    ) -> Result<Option<String>, CodeError> {
        let langs = &self.settings.langs;
        let item_seed = datasets::item_seed(self.settings.seed, index);
        let proposer_lang = langs[(local % langs.len() as u64) as usize].clone();
        let proposer =
            self.agents.get(&proposer_lang).ok_or_else(|| CodeError::NoAgent(proposer_lang.clone()))?;
        let others: Vec<&LanguageAgent> =
            langs.iter().filter(|l| **l != proposer_lang).filter_map(|l| self.agents.get(l)).collect();
        let caller = Caller {
            model: self.model,
            prompts: self.prompts,
            sampling: Sampling {
                temperature: self.settings.temperature,
                max_tokens: self.settings.max_tokens,
            },
            seed: item_seed,
        };
        // This item's own samples, already in this dataset, do not count: a resumed item
        // drafts its function again.
        let own: BTreeSet<String> =
            langs.iter().map(|l| self.sample_id(l, index)).filter(|id| sink.contains(id)).collect();
        let mut seen = BTreeSet::new();
        let kept: Vec<KeptFunction> = self
            .written
            .iter()
            .filter(|k| !own.contains(&k.id) && seen.insert(k.name.as_str()))
            .cloned()
            .collect();
        let written: Vec<String> = kept.iter().map(|k| k.name.clone()).collect();
        let topic = DerivedTopic {
            proposer,
            others,
            seed: self.draw_seed(&proposer_lang, local)?,
            examples: &self.examples,
            min_mutation_score: self.settings.min_mutation_score,
            program,
            written: &written,
            kept: &kept,
            types: self
                .draft_types
                .get(&proposer_lang)
                .ok_or_else(|| CodeError::NoAgent(proposer_lang.clone()))?,
        };
        let mut usage = Usage::default();
        let d = derived::derive(&caller, self.checker, topic, &mut usage).await?;
        self.summary.usage.merge(&usage);
        let model_error = if d.samples.is_empty() { d.model_error.clone() } else { None };
        for f in &d.failures {
            let id = self.sample_id(&f.lang, index);
            if sink.contains(&id) || sink.attempted() >= max_attempts {
                continue;
            }
            self.fail(
                sink,
                &id,
                &f.lang,
                Failed {
                    stage: f.stage,
                    reason: &f.reason,
                    attempts: f.attempts,
                    instruction: &f.instruction,
                    concepts: &f.concepts,
                    faults: vec![first_line(&f.reason, 200)],
                    role: f.role,
                    limit: f.limit,
                    solution: &f.solution,
                },
            )?;
        }
        let discussion = Discussion {
            proposer: d.proposer.clone(),
            seed_origin: d.seed_origin.clone(),
            answer_first: true,
            critiques: d.critiques.clone(),
            dialogue: d.dialogue.clone(),
            templates: d.templates.clone(),
            ..Discussion::default()
        };
        let ctx = ItemContext {
            index,
            item_seed,
            discussion: &discussion,
            templates: d.templates.clone(),
            summary_turn: None,
        };
        let family = datasets::item_id("code-family", self.settings.seed, index);
        let signature = d.signature.as_ref().map(|s| s.to_string()).unwrap_or_default();
        let cases = d.cases.clone();
        for sample in &d.samples {
            let id = self.sample_id(&sample.lang, index);
            if sink.contains(&id) {
                continue;
            }
            if sink.kept() >= target || sink.attempted() >= max_attempts {
                break;
            }
            let stats = self.summary.per_lang.entry(sample.lang.clone()).or_default();
            stats.attempted += 1;
            stats.passed += 1;
            let verified = &sample.verified;
            stats.repaired += u64::from(verified.attempts > 1);
            let candidate = Candidate {
                lang: sample.lang.clone(),
                role: sample.role,
                exercise: verified.exercise.clone(),
                probe_calls: Vec::new(),
            };
            let gate = self.gate(&caller, &sample.lang, verified).await?;
            let fields = DerivedFields {
                signature: signature.clone(),
                cases: cases.clone(),
                family: family.clone(),
                function: d.function.clone(),
                fresh_tries: sample.fresh_tries,
                mutation: sample.mutation,
            };
            self.settle(sink, &ctx, &candidate, verified, gate, Some(&fields))?;
        }
        let involved: BTreeSet<String> = std::iter::once(d.proposer.clone())
            .chain(d.samples.iter().map(|s| s.lang.clone()))
            .chain(d.failures.iter().map(|f| f.lang.clone()))
            .collect();
        self.reflect_due(involved).await?;
        Ok(model_error)
    }

    /// A verified version through its gate verdict: kept as a record, or written as a
    /// filtered failure; either way its agent remembers it.
    fn settle(
        &mut self,
        sink: &mut dyn SampleSink,
        ctx: &ItemContext<'_>,
        candidate: &Candidate,
        verified: &Verified,
        gate: Option<(&'static str, String, Option<f64>)>,
        derived: Option<&DerivedFields>,
    ) -> Result<(), CodeError> {
        let id = self.sample_id(&candidate.lang, ctx.index);
        let lang = candidate.lang.clone();
        let ex = &verified.exercise;
        match gate {
            Some((stage, reason, score)) => {
                self.count_drop(stage);
                let mut failure = FailureRecord::new(id.clone(), stage, reason.clone());
                failure.lang = Some(lang.clone());
                failure.attempts = verified.attempts;
                if let Some(s) = score {
                    failure.extra.insert("judge_score".into(), serde_json::json!(s));
                }
                failure
                    .extra
                    .insert("instruction".into(), serde_json::json!(first_line(&ex.instruction, 300)));
                sink.reject(&failure)?;
                self.summary.attempted += 1;
                self.summary.filtered += 1;
                self.remember(
                    &lang,
                    &id,
                    &ex.instruction,
                    &ex.concepts,
                    Outcome::Filtered,
                    vec![first_line(&reason, 200)],
                    candidate.role,
                )?;
            }
            None => {
                let record = self.record(ctx, &id, candidate, verified, derived);
                sink.keep(&record)?;
                self.dedup.insert(&lang, &ex.instruction);
                self.summary.attempted += 1;
                self.summary.kept += 1;
                self.summary.per_lang.entry(lang.clone()).or_default().kept += 1;
                if let Some(f) = derived.filter(|f| !f.function.is_empty()) {
                    let kept = KeptFunction {
                        name: f.function.clone(),
                        id: id.clone(),
                        signature: f.signature.clone(),
                        cases: f.cases.clone(),
                        lang: lang.clone(),
                        solution: ex.solution.clone(),
                    };
                    self.kept_functions.push_json(&kept)?;
                    self.written.push(kept);
                }
                self.remember(
                    &lang,
                    &id,
                    &ex.instruction,
                    &ex.concepts,
                    Outcome::Kept,
                    verified.faults.clone(),
                    candidate.role,
                )?;
            }
        }
        Ok(())
    }

    /// Every involved agent whose reflection is due reflects now.
    async fn reflect_due(&mut self, involved: BTreeSet<String>) -> Result<(), CodeError> {
        for lang in involved {
            let Some(agent) = self.agents.get(&lang) else { continue };
            if agent.reflection_due()? {
                let mut usage = Usage::default();
                if agent.reflect(self.model, self.prompts, &mut usage).await?.is_some() {
                    self.summary.reflections += 1;
                }
                self.summary.usage.merge(&usage);
            }
        }
        Ok(())
    }

    /// The summary step: which passing versions are kept. Without a discussion (one
    /// language) there is nothing to decide. A summary that keeps none of the passing
    /// versions, or does not parse, is overruled: verified work is not thrown away on a
    /// small model's whim.
    async fn summarize(
        &mut self,
        caller: &Caller<'_>,
        ctx: &mut ItemContext<'_>,
        passing: &[(Candidate, Verified)],
    ) -> Result<BTreeSet<String>, CodeError> {
        let all: BTreeSet<String> = passing.iter().map(|(c, _)| c.lang.clone()).collect();
        if self.settings.langs.len() < 2 || passing.is_empty() {
            return Ok(all);
        }
        let mut candidates: Vec<serde_json::Value> = passing
            .iter()
            .map(|(c, v)| serde_json::json!({"lang": c.lang, "status": "passed its tests", "instruction": first_line(&v.exercise.instruction, 300)}))
            .collect();
        for c in &ctx.discussion.candidates {
            if !all.contains(&c.lang) {
                candidates.push(serde_json::json!({"lang": c.lang, "status": "failed or not checked", "instruction": first_line(&c.exercise.instruction, 300)}));
            }
        }
        ctx.templates.insert("code_summary");
        let data = serde_json::json!({"candidates": candidates, "critiques": ctx.discussion.critiques});
        let mut usage = Usage::default();
        let answer = caller
            .ask::<SummaryDecision, _>("code_summary", &data, answer::summary_schema(), 900, &mut usage)
            .await?;
        self.summary.usage.merge(&usage);
        let Ok((decision, raw)) = answer else { return Ok(all) };
        ctx.summary_turn = Some(turn("summary", "summary", &raw));
        let keep: BTreeSet<String> = decision
            .keep
            .iter()
            .map(|l| l.trim().trim_matches(['[', ']']).to_ascii_lowercase())
            .filter(|l| all.contains(l))
            .collect();
        Ok(if keep.is_empty() { all } else { keep })
    }

    /// The quality gates in order: length, language, prompt echo, dedup, decontamination,
    /// judge.
    /// `None` = keep.
    async fn gate(
        &mut self,
        caller: &Caller<'_>,
        lang: &str,
        verified: &Verified,
    ) -> Result<Option<(&'static str, String, Option<f64>)>, CodeError> {
        let ex = &verified.exercise;
        if let Some(reason) = gates::length_problem(&ex.instruction, &ex.solution) {
            return Ok(Some(("length", reason, None)));
        }
        if let Some(reason) = gates::language_problem(&ex.instruction) {
            return Ok(Some(("language", reason, None)));
        }
        if self.echo.is_contaminated(&ex.instruction) {
            return Ok(Some(("prompt_copy", "the instruction repeats the prompt's own words".into(), None)));
        }
        if self.shown_solutions.check(lang, &ex.solution).is_some() {
            return Ok(Some((
                "prompt_copy",
                "the solution copies a worked example shown in the prompt".into(),
                None,
            )));
        }
        if let Some(reason) = gates::meta_problem(&ex.instruction) {
            return Ok(Some(("not_an_instruction", reason, None)));
        }
        match self.dedup.check(lang, &ex.instruction) {
            Some(Duplicate::Exact) => {
                return Ok(Some(("exact_dup", "the same instruction was already written".into(), None)));
            }
            Some(Duplicate::Near) => {
                return Ok(Some(("near_dup", "a near-duplicate of an earlier instruction".into(), None)));
            }
            None => {}
        }
        let text = format!("{}\n{}\n{}", ex.instruction, ex.solution, ex.tests);
        if self.decontam.is_contaminated(&text) {
            return Ok(Some(("decontamination", "shares an n-gram with a benchmark file".into(), None)));
        }
        let Some(min) = self.settings.judge_min_score else { return Ok(None) };
        let data = serde_json::json!({
            "lang": lang,
            "instruction": ex.instruction,
            "solution": ex.solution,
            "tests": ex.tests,
            "explanation": ex.explanation,
        });
        let mut usage = Usage::default();
        let answer = caller
            .ask::<JudgeAnswer, _>("code_judge", &data, answer::judge_schema(), 950, &mut usage)
            .await?;
        self.summary.usage.merge(&usage);
        match answer {
            Ok((j, _)) if j.score.is_finite() && j.score >= min => Ok(None),
            Ok((j, _)) => Ok(Some((
                "judge",
                format!("judge score {} below {min}: {}", j.score, first_line(&j.reason, 200)),
                Some(j.score),
            ))),
            Err(e) => Ok(Some(("judge", format!("the judge gave no score: {}", e.reason()), None))),
        }
    }

    fn count_drop(&mut self, stage: &str) {
        let d = &mut self.summary.drops;
        match stage {
            "length" => d.length += 1,
            "language" => d.language += 1,
            "prompt_copy" => d.prompt_copy += 1,
            "not_an_instruction" | "instruction" => d.not_an_instruction += 1,
            "exact_dup" => d.exact_dup += 1,
            "near_dup" => d.near_dup += 1,
            "decontamination" => d.decontamination += 1,
            "judge" => d.judge += 1,
            _ => d.summary += 1,
        }
    }

    fn fail(
        &mut self,
        sink: &mut dyn SampleSink,
        id: &str,
        lang: &str,
        f: Failed<'_>,
    ) -> Result<(), CodeError> {
        let mut failure = FailureRecord::new(id, f.stage, first_line(f.reason, 500));
        failure.lang = Some(lang.to_string());
        failure.attempts = f.attempts;
        if !f.instruction.is_empty() {
            failure.extra.insert("instruction".into(), serde_json::json!(first_line(f.instruction, 300)));
        }
        if let Some(limit) = f.limit {
            failure.extra.insert("limit".into(), serde_json::json!(limit));
        }
        if !f.solution.trim().is_empty() {
            failure
                .extra
                .insert("solution".into(), serde_json::json!(clip_chars(f.solution, SOLUTION_IN_FAILURE)));
        }
        sink.reject(&failure)?;
        self.summary.attempted += 1;
        self.summary.failed += 1;
        *self.summary.failures_by_stage.entry(f.stage.to_string()).or_default() += 1;
        self.summary.per_lang.entry(lang.to_string()).or_default().attempted += 1;
        self.remember(lang, id, f.instruction, f.concepts, Outcome::Failed, f.faults, f.role)
    }

    #[allow(clippy::too_many_arguments)]
    fn remember(
        &self,
        lang: &str,
        id: &str,
        instruction: &str,
        concepts: &[String],
        outcome: Outcome,
        faults: Vec<String>,
        role: &str,
    ) -> Result<(), CodeError> {
        let Some(agent) = self.agents.get(lang) else { return Ok(()) };
        agent.remember(&agent.history_entry(id, instruction, concepts, outcome, faults, role))
    }

    fn record(
        &self,
        ctx: &ItemContext<'_>,
        id: &str,
        candidate: &Candidate,
        v: &Verified,
        derived: Option<&DerivedFields>,
    ) -> CodeRecord {
        let ex = &v.exercise;
        let lang = &candidate.lang;
        let response = if ex.explanation.is_empty() {
            format!("```{lang}\n{}```", ex.solution)
        } else {
            format!("{}\n\n```{lang}\n{}```", ex.explanation, ex.solution)
        };
        let mut dialogue: Vec<Turn> = ctx.discussion.dialogue.clone();
        dialogue.extend(v.dialogue.iter().cloned());
        if let Some(t) = &ctx.summary_turn {
            dialogue.push(t.clone());
        }
        // What the checker returned for the solution and for the empty stub.
        let mut verification = Verification {
            compiled: v.execution.compiled,
            passed: v.execution.passed,
            runtime_ms: v.execution.runtime_ms,
            non_vacuous: Some(!v.stub.passed),
            ..Verification::default()
        };
        verification.extra.insert("stub_outcome".into(), serde_json::json!(v.stub.outcome));
        verification.extra.insert("attempts".into(), serde_json::json!(v.attempts));
        if let Some(f) = derived {
            verification.tests_run = Some(f.cases.len() as u32);
            verification.fresh_solve_tries = Some(f.fresh_tries);
            verification.mutation_score = f.mutation.score();
            verification.mutants = Some(f.mutation.valid);
        }
        verification.extra.insert("sandbox_check".into(), v.execution.raw_check.clone());
        let seed =
            ctx.discussion.seed_origin.as_deref().and_then(|o| self.seeds.find(&ctx.discussion.proposer, o));
        let mut provenance = Provenance {
            seed_snippet: ctx.discussion.seed_origin.clone(),
            seed_source: seed.map(|s| s.collection.clone()),
            seed_licence: seed.and_then(|s| s.licence.clone()),
            seed: ctx.item_seed,
            index: ctx.index,
            agents: std::iter::once(ctx.discussion.proposer.clone())
                .chain(self.settings.langs.iter().filter(|l| **l != ctx.discussion.proposer).cloned())
                .collect(),
            rounds: self.settings.rounds.max(1),
            model: self.model_name.clone(),
            prompt_hashes: ctx
                .templates
                .iter()
                .filter_map(|t| self.prompts.hash(t).map(|h| (t.to_string(), h.to_string())))
                .collect(),
            ..Provenance::default()
        };
        provenance.extra.insert("role".into(), serde_json::json!(candidate.role));
        provenance.extra.insert("proposer".into(), serde_json::json!(ctx.discussion.proposer));
        let mode = match (derived.is_some(), ctx.discussion.answer_first) {
            (true, _) => "derived",
            (false, true) => "answer_to_instruction",
            (false, false) => "snippet_to_instruction",
        };
        provenance.extra.insert("mode".into(), serde_json::json!(mode));
        provenance.extra.insert(
            "discussion".into(),
            serde_json::json!(if self.settings.parallel { "parallel" } else { "centralized" }),
        );
        let mut extra = serde_json::Map::new();
        if !ex.concepts.is_empty() {
            extra.insert("concepts".into(), serde_json::json!(ex.concepts));
        }
        CodeRecord {
            id: id.to_string(),
            lang: lang.clone(),
            instruction: ex.instruction.clone(),
            response,
            solution: ex.solution.clone(),
            tests: ex.tests.clone(),
            entry_point: (!ex.entry_point.is_empty()).then(|| ex.entry_point.clone()),
            signature: derived.map(|f| f.signature.clone()).filter(|s| !s.is_empty()),
            cases: derived.map(|f| f.cases.clone()).unwrap_or_default(),
            family: derived.map(|f| f.family.clone()),
            // The sandbox's own check (with language, compile steps, env) replays exactly;
            // files + commands alone are the fallback for checkers that do not record one.
            check: serde_json::from_value(v.execution.raw_check.clone()).unwrap_or_else(|_| Check {
                files: v.execution.files.clone(),
                commands: v.execution.commands.clone(),
                ..Check::default()
            }),
            verification,
            provenance,
            dialogue,
            extra,
            schema_version: SCHEMA_VERSION,
        }
    }
}

/// Whether `lang` can implement a signature (a language of stdin cases cannot).
fn takes_call_cases(checker: &dyn Checker, lang: &str) -> bool {
    "f(x: int) -> int"
        .parse::<sandbox::cases::Signature>()
        .is_ok_and(|sig| checker.declaration(lang, &sig).is_ok())
}

fn candidate_repair_used(result: &Result<Verified, verify::Rejected>) -> bool {
    match result {
        Ok(v) => v.attempts > 1,
        Err(r) => r.dialogue.iter().any(|t| t.role == "check"),
    }
}

/// What the record of a kept version needs from its item.
struct ItemContext<'d> {
    index: u64,
    item_seed: u64,
    discussion: &'d Discussion,
    templates: BTreeSet<&'static str>,
    summary_turn: Option<Turn>,
}

/// What a failed attempt leaves in `failures.jsonl` and in its agent's memory.
struct Failed<'s> {
    stage: &'s str,
    reason: &'s str,
    attempts: u32,
    instruction: &'s str,
    concepts: &'s [String],
    faults: Vec<String>,
    role: &'s str,
    limit: Option<&'s str>,
    /// The code that last ran (clipped), so that a failure can be diagnosed from the file.
    solution: &'s str,
}

/// The longest solution a failure record keeps.
const SOLUTION_IN_FAILURE: usize = 4000;

/// The memory tree of kept functions, shared by every language and run.
pub const KEPT_FUNCTIONS_TREE: &str = "kept_functions";

/// One kept derived sample's function, as [`KEPT_FUNCTIONS_TREE`] remembers it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct KeptFunction {
    /// The neutral name (a program's name for bash).
    pub name: String,
    /// The sample id that kept it.
    pub id: String,
    /// Its neutral signature (empty for a program, and in memories older than this field).
    #[serde(default)]
    pub signature: String,
    /// Its cases as the record stores them: a later draft that gives the same results on
    /// all of them is the same exercise under another name (`same_behaviour`).
    #[serde(default)]
    pub cases: Vec<serde_json::Value>,
    /// The language and solution that were kept, so the behaviour gate can run it on a
    /// new draft's inputs (empty in older memories).
    #[serde(default)]
    pub lang: String,
    #[serde(default)]
    pub solution: String,
}

/// What the record of a derived-protocol sample adds: its signature, cases and family.
pub(crate) struct DerivedFields {
    signature: String,
    cases: Vec<serde_json::Value>,
    family: String,
    /// The neutral name, remembered so later drafts do not reuse it.
    function: String,
    fresh_tries: u32,
    mutation: crate::code::mutate::MutationResult,
}
