//! [`FolGenerator`]: the `gen fol` run loop on the shared job runtime ([`crate::job`]).
//!
//! Work item i gets its seed, depth and label from (`--seed`, i). Items already in
//! `data.jsonl` are skipped, so a killed run resumes and shards never overlap. Template
//! problems run in batches on workers that live for the whole run; with the LLM narrator,
//! problems run concurrently on the async runtime, bounded by the model's concurrency, in
//! small batches so a stop or the budget is noticed within a few items.

use super::{FolError, ItemInfo, Lexicon, LlmNarrator, Logic, NarrationStats};
use crate::job::{self, Control, Progress};
use datasets::{DatasetWriter, FailureRecord, FolRecord, WorkPlan};
use provers::Prover;
use provers::skeleton::relational::RelVocabulary;
use provers::skeleton::{DepthRange, LabelMix, Skeleton, SkeletonSpec, Vocabulary};
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Template items per written batch: one write and one fsync each.
pub const BATCH: usize = 256;

/// What a `gen fol` run generates.
#[derive(Debug, Clone)]
pub struct FolSettings {
    pub plan: WorkPlan,
    pub logic: Logic,
    pub depths: DepthRange,
    /// Distractors per problem; `None` scales them with each item's depth.
    pub distractors: Option<u32>,
    pub labels: LabelMix,
    /// Worker threads for template problems.
    pub threads: usize,
    /// Problems narrated at once by the model.
    pub concurrency: usize,
}

impl FolSettings {
    /// Distractors for a problem of `depth`.
    pub fn distractors_at(&self, depth: u32) -> u32 {
        self.distractors.unwrap_or_else(|| SkeletonSpec::default_distractors(depth))
    }

    /// Whether `lx` has words enough for the deepest item; the error says what is short.
    pub fn check_vocabulary(&self, lx: &Lexicon) -> Result<(), String> {
        let deepest = self.depths.max;
        let probe = SkeletonSpec {
            depth: deepest,
            distractors: self.distractors_at(deepest),
            label: provers::Label::True,
        };
        if self.logic == Logic::Relational {
            let rv = lx.rel_vocabulary();
            if RelVocabulary::predicates_needed(&probe) > rv.predicates.len()
                || RelVocabulary::relations_needed(&probe) > rv.relations.len()
                || RelVocabulary::individuals_needed(&probe) > rv.individuals.len()
            {
                return Err(format!(
                    "too many at depth {deepest} for the relational lexicon ({} predicates, {} relations, {} people)",
                    rv.predicates.len(),
                    rv.relations.len(),
                    rv.individuals.len()
                ));
            }
        }
        let vocab = lx.vocabulary();
        if Vocabulary::predicates_needed(&probe) > vocab.predicates.len() {
            let most = (vocab.predicates.len() - 1 - 2 * deepest as usize) / 2;
            return Err(format!(
                "at most {most} at depth {deepest} (the lexicon has {} predicates)",
                vocab.predicates.len()
            ));
        }
        Ok(())
    }
}

/// A finished work item: the proven skeleton and its record, or (id, why) it failed.
pub type Outcome = Result<(Skeleton, FolRecord), (String, String)>;

/// What a run did (this run only; the sink knows what earlier runs wrote).
#[derive(Debug, Clone, Default)]
pub struct FolSummary {
    pub items: u64,
    pub written: u64,
    pub failed: u64,
    /// Written problems whose conclusion is a conjunction, disjunction or exclusive or.
    pub compound: u64,
    pub narration: NarrationStats,
    /// Why the run stopped before its plan was done (`interrupted`, `budget`), if it did.
    pub stopped: Option<String>,
}

impl FolSummary {
    fn progress(&self, next: u64) -> Progress {
        Progress {
            items: self.items,
            kept: self.written,
            attempted: self.written + self.failed,
            failed: self.failed,
            filtered: 0,
            tokens: 0,
            next,
        }
    }
}

/// The files of a `gen fol` output: records, failures and (with `--smtlib`) one SMT-LIB
/// file per record.
#[derive(Debug)]
pub struct FolSink {
    records: DatasetWriter,
    failures: DatasetWriter,
    smtlib: Option<PathBuf>,
}

impl FolSink {
    /// Opens (or resumes) the output in `dir`; `smtlib` is created if missing.
    pub fn open(dir: &Path, smtlib: Option<&Path>) -> Result<FolSink, FolError> {
        if let Some(s) = smtlib {
            std::fs::create_dir_all(s).map_err(|error| FolError::Write { path: s.to_path_buf(), error })?;
        }
        Ok(FolSink {
            records: DatasetWriter::open(dir, datasets::RECORDS_FILE)?,
            failures: DatasetWriter::failures(dir)?,
            smtlib: smtlib.map(Path::to_path_buf),
        })
    }

    /// Records written by this and earlier runs.
    pub fn written(&self) -> u64 {
        self.records.len() as u64
    }

    pub fn records_path(&self) -> &Path {
        self.records.path()
    }

    /// Writes one batch: records (and their SMT-LIB files) and failures, each flushed.
    pub fn write(&mut self, outcomes: Vec<Outcome>, summary: &mut FolSummary) -> Result<(), FolError> {
        let mut records = Vec::with_capacity(outcomes.len());
        let mut failed = Vec::new();
        for outcome in outcomes {
            match outcome {
                Ok((sk, record)) => {
                    if let Some(dir) = &self.smtlib {
                        let path = dir.join(format!("{}.smt2", record.id));
                        let text = provers::to_smtlib(&sk.premise_formulas(), &sk.conclusion);
                        std::fs::write(&path, text).map_err(|error| FolError::Write { path, error })?;
                    }
                    if matches!(
                        sk.conclusion,
                        provers::Formula::And(_) | provers::Formula::Or(_) | provers::Formula::Xor(_)
                    ) {
                        summary.compound += 1;
                    }
                    records.push(record);
                }
                Err((id, why)) => {
                    tracing::warn!(%id, %why, "problem failed");
                    failed.push(FailureRecord::new(id, "generate", why));
                }
            }
        }
        summary.written += self.records.append_batch(&records)? as u64;
        summary.failed += failed.len() as u64;
        self.failures.append_batch(&failed)?;
        Ok(())
    }
}

/// The `gen fol` generator: settings, lexicon and prover, and the LLM narrator when the
/// problems are narrated by a model.
pub struct FolGenerator {
    settings: FolSettings,
    lexicon: Arc<Lexicon>,
    prover: Prover,
    narrator: Option<LlmNarrator>,
    z3_version: String,
}

impl FolGenerator {
    pub fn new(
        settings: FolSettings,
        lexicon: Arc<Lexicon>,
        prover: Prover,
        narrator: Option<LlmNarrator>,
    ) -> FolGenerator {
        FolGenerator { settings, lexicon, prover, narrator, z3_version: provers::z3_version() }
    }

    pub fn settings(&self) -> &FolSettings {
        &self.settings
    }

    pub fn z3_version(&self) -> &str {
        &self.z3_version
    }

    /// The skeleton spec of item `index`: its depth, distractors and label.
    pub fn spec(&self, index: u64) -> SkeletonSpec {
        let s = &self.settings;
        let depth = s.depths.depth_for(index, s.labels.block_len());
        SkeletonSpec {
            depth,
            distractors: s.distractors_at(depth),
            label: s.labels.label_for(s.plan.seed, index),
        }
    }

    /// The identity of item `index`.
    pub fn item(&self, index: u64) -> ItemInfo {
        let plan = &self.settings.plan;
        ItemInfo {
            id: plan.item_id("fol", index),
            index,
            seed: plan.item_seed(index),
            z3_version: self.z3_version.clone(),
            model: self.narrator.as_ref().map(LlmNarrator::model_name),
        }
    }

    /// This shard's items not yet written to `sink`.
    pub fn todo(&self, sink: &FolSink) -> Vec<u64> {
        let plan = &self.settings.plan;
        plan.items().filter(|&i| !sink.records.contains(&plan.item_id("fol", i))).collect()
    }

    /// Expected model calls and tokens of item `index` with the LLM narrator (rendered
    /// prompts, answers accepted on their first try); zero without one.
    pub fn estimate(&self, index: u64) -> Result<llm::TokenEstimate, FolError> {
        match &self.narrator {
            Some(n) => super::llm_problem_estimate(
                &self.spec(index),
                &self.lexicon,
                &self.prover,
                n,
                &self.item(index),
            ),
            None => Ok(llm::TokenEstimate::default()),
        }
    }

    /// Generates every item of the plan not yet in `sink`, asking `control` before each
    /// batch. Template problems block this task on the run's workers; call it from
    /// `block_on`, as the binary does.
    pub async fn run(&self, sink: &mut FolSink, control: &mut Control<'_>) -> Result<FolSummary, FolError> {
        let todo = self.todo(sink);
        let mut summary = FolSummary::default();
        match &self.narrator {
            None => self.run_templates(&todo, sink, control, &mut summary)?,
            Some(narrator) => self.run_narrated(narrator, &todo, sink, control, &mut summary).await?,
        }
        Ok(summary)
    }

    fn run_templates(
        &self,
        todo: &[u64],
        sink: &mut FolSink,
        control: &mut Control<'_>,
        summary: &mut FolSummary,
    ) -> Result<(), FolError> {
        let work = |index: u64| -> Outcome {
            let item = self.item(index);
            super::template_problem_in(
                self.settings.logic,
                &self.spec(index),
                &self.lexicon,
                &self.prover,
                &item,
            )
            .map_err(|e| (item.id.clone(), e.to_string()))
        };
        job::with_workers(self.settings.threads, work, |workers| {
            for batch in todo.chunks(BATCH) {
                if let Some(reason) = control(&summary.progress(batch.len() as u64)) {
                    summary.stopped = Some(reason);
                    break;
                }
                sink.write(workers.map(batch), summary)?;
                summary.items += batch.len() as u64;
            }
            Ok(())
        })
    }

    async fn run_narrated(
        &self,
        narrator: &LlmNarrator,
        todo: &[u64],
        sink: &mut FolSink,
        control: &mut Control<'_>,
        summary: &mut FolSummary,
    ) -> Result<(), FolError> {
        let concurrency = self.settings.concurrency.max(1);
        for batch in todo.chunks((concurrency * 2).clamp(4, BATCH)) {
            if let Some(reason) = control(&summary.progress(batch.len() as u64)) {
                summary.stopped = Some(reason);
                break;
            }
            let gate = Arc::new(tokio::sync::Semaphore::new(concurrency));
            let mut tasks = tokio::task::JoinSet::new();
            for (slot, &index) in batch.iter().enumerate() {
                let (gate, narrator, lexicon, prover) =
                    (gate.clone(), narrator.clone(), self.lexicon.clone(), self.prover);
                let (spec, item) = (self.spec(index), self.item(index));
                tasks.spawn(async move {
                    let _permit = gate.acquire_owned().await;
                    let out = super::llm_problem(&spec, &lexicon, &prover, &narrator, &item).await;
                    match out {
                        Ok((sk, record, stats)) => (slot, Ok((sk, record)), stats),
                        Err(e) => (slot, Err((item.id.clone(), e.to_string())), NarrationStats::default()),
                    }
                });
            }
            let mut done = tasks.join_all().await;
            done.sort_by_key(|(slot, ..)| *slot);
            let mut outcomes = Vec::with_capacity(done.len());
            for (_, outcome, stats) in done {
                summary.narration.accepted += stats.accepted;
                summary.narration.parsed += stats.parsed;
                summary.narration.fallbacks += stats.fallbacks;
                summary.narration.calls += stats.calls;
                outcomes.push(outcome);
            }
            sink.write(outcomes, summary)?;
            summary.items += batch.len() as u64;
        }
        Ok(())
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn generator(n: u64, threads: usize) -> FolGenerator {
        let settings = FolSettings {
            plan: WorkPlan::single(5, n),
            logic: Logic::Monadic,
            depths: DepthRange { min: 1, max: 3 },
            distractors: None,
            labels: LabelMix::parse("balanced").unwrap(),
            threads,
            concurrency: 1,
        };
        FolGenerator::new(settings, Arc::new(Lexicon::builtin()), Prover::default(), None)
    }

    fn lines(dir: &Path) -> Vec<String> {
        let text = std::fs::read_to_string(dir.join(datasets::RECORDS_FILE)).unwrap();
        text.lines().map(str::to_string).collect()
    }

    fn run(g: &FolGenerator, dir: &Path, control: &mut Control<'_>) -> FolSummary {
        let mut sink = FolSink::open(dir, None).unwrap();
        let rt = tokio::runtime::Builder::new_current_thread().build().unwrap();
        rt.block_on(g.run(&mut sink, control)).unwrap()
    }

    /// The runtime's invariant: a run stopped at a checkpoint and resumed writes exactly
    /// what one uninterrupted run writes, whatever the number of workers.
    #[test]
    fn a_stopped_run_resumes_to_the_same_records_on_any_number_of_workers() {
        let n = (BATCH + 40) as u64;
        let whole = tempfile::tempdir().unwrap();
        let s = run(&generator(n, 1), whole.path(), &mut |_| None);
        assert_eq!((s.items, s.written, s.failed, s.stopped), (n, n, 0, None));

        let parts = tempfile::tempdir().unwrap();
        let g = generator(n, 3);
        let first = run(&g, parts.path(), &mut |p| (p.items >= 1).then(|| "stop".to_string()));
        assert_eq!(
            (first.items, first.written, first.stopped.as_deref()),
            (BATCH as u64, BATCH as u64, Some("stop"))
        );
        let mut asked = Vec::new();
        let rest = run(&g, parts.path(), &mut |p| {
            asked.push(p.next);
            None
        });
        assert_eq!(asked, vec![40], "the resumed run does only the 40 items left");
        assert_eq!(rest.written, 40);
        assert_eq!(lines(parts.path()), lines(whole.path()));
    }
}
