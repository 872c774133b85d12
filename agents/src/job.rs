//! The job runtime both generators run on. A generator owns what one work item is (a
//! proven, narrated FOL problem; a discussed, executed code sample); this module owns how
//! a run goes around them:
//! - **control**: before each unit of work the generator reports its [`Progress`] to the
//!   run's control ([`Control`]), which answers whether to go on. [`Driver`] is the one
//!   the binary uses: the stop flag (interrupt), the [`BudgetGate`] and the progress
//!   display, in that order;
//! - **concurrency**: [`with_workers`] keeps one set of threads for the whole run (each
//!   keeps its thread-local Z3 engine and encoding cache), handing them items in batches
//!   and returning the results in item order; async narration is bounded by the model's
//!   concurrency inside the generator;
//! - **finishing**: [`finish`] writes the exports, `run.json` and `card.md` of the output.
//!
//! The work plan and shards are [`datasets::WorkPlan`]; the writer and failures file are
//! [`datasets::DatasetWriter`]s owned by each generator's sink.
//!
//! Invariant: a unit of work is written (its records and failures whole and flushed)
//! before the control is asked about the next one, so a stop at any checkpoint (interrupt,
//! budget, kill) loses nothing, and re-running the same command resumes after what was
//! written, with no record twice.

use datasets::{DatasetError, RunInfo};
use llm::{Accounting, Budget, TokenEstimate};
use std::path::Path;
use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::{Arc, Mutex, mpsc};

/// Where a generator stands, reported before each unit of work.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Progress {
    /// Work items finished by this run.
    pub items: u64,
    /// Records kept by this run.
    pub kept: u64,
    /// Candidates decided by this run (kept, filtered or failed).
    pub attempted: u64,
    pub failed: u64,
    pub filtered: u64,
    /// Model tokens spent by this run.
    pub tokens: u64,
    /// Work items the next unit will take (a batch, or one item).
    pub next: u64,
}

/// A run's control: called with the [`Progress`] before each unit of work; `Some(reason)`
/// stops the run there, with everything before it written.
pub type Control<'a> = dyn FnMut(&Progress) -> Option<String> + 'a;

/// Why a run stopped before finishing its plan.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StopReason {
    Interrupted,
    Budget,
}

impl StopReason {
    /// The process exit status for a run that stopped for this reason (documented in README).
    pub fn exit_code(self) -> u8 {
        match self {
            StopReason::Interrupted => 130,
            StopReason::Budget => 3,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            StopReason::Interrupted => "interrupted",
            StopReason::Budget => "budget",
        }
    }
}

/// A cheap, clonable stop flag; the first reason set wins. The binary wires it to
/// SIGINT/SIGTERM.
#[derive(Debug, Clone, Default)]
pub struct Stop {
    state: Arc<AtomicU8>,
}

const RUNNING: u8 = 0;

impl Stop {
    pub fn request(&self, reason: StopReason) {
        let _ = self.state.compare_exchange(RUNNING, 1 + reason as u8, Ordering::SeqCst, Ordering::SeqCst);
    }

    /// Sets `reason` and says whether the flag was already set (by any reason).
    pub fn request_again(&self, reason: StopReason) -> bool {
        self.state.swap(1 + reason as u8, Ordering::SeqCst) != RUNNING
    }

    pub fn requested(&self) -> bool {
        self.state.load(Ordering::SeqCst) != RUNNING
    }

    pub fn reason(&self) -> Option<StopReason> {
        match self.state.load(Ordering::SeqCst) {
            RUNNING => None,
            s if s == 1 + StopReason::Budget as u8 => Some(StopReason::Budget),
            _ => Some(StopReason::Interrupted),
        }
    }
}

/// The spend check before each unit of work: the unit's expected tokens (the average of
/// this run's items so far, else `fallback`) must not carry the totals past the budget.
#[derive(Debug, Clone, Default)]
pub struct BudgetGate {
    budget: Budget,
    accounting: Option<Accounting>,
    fallback: Option<TokenEstimate>,
}

impl BudgetGate {
    /// `fallback` is what one item is expected to cost before any has finished (earlier
    /// runs' observations, or the rendered prompts of the first item).
    pub fn new(
        budget: Budget,
        accounting: Option<Accounting>,
        fallback: Option<TokenEstimate>,
    ) -> BudgetGate {
        BudgetGate { budget, accounting, fallback }
    }

    /// Whether the unit `progress.next` describes would exceed the budget.
    pub fn exceeded(&self, progress: &Progress) -> bool {
        let Some(acc) = self.accounting.as_ref().filter(|_| self.budget.is_limited()) else {
            return false;
        };
        let totals = acc.totals();
        let Some(per_item) = TokenEstimate::per_item(&totals, progress.items).or(self.fallback) else {
            return false;
        };
        self.budget.would_exceed(&totals, &per_item.scaled(progress.next.max(1) as f64))
    }
}

/// The binary's control: stop flag, then budget, then `report` (progress display).
pub struct Driver<'a> {
    stop: Stop,
    gate: BudgetGate,
    report: Box<dyn FnMut(&Progress) + 'a>,
}

impl<'a> Driver<'a> {
    pub fn new(stop: Stop, gate: BudgetGate, report: impl FnMut(&Progress) + 'a) -> Driver<'a> {
        Driver { stop, gate, report: Box::new(report) }
    }

    /// The [`Control`] answer for `progress`.
    pub fn checkpoint(&mut self, progress: &Progress) -> Option<String> {
        (self.report)(progress);
        if let Some(reason) = self.stop.reason() {
            return Some(reason.as_str().to_string());
        }
        if self.gate.exceeded(progress) {
            self.stop.request(StopReason::Budget);
            return Some(StopReason::Budget.as_str().to_string());
        }
        None
    }

    pub fn stop(&self) -> &Stop {
        &self.stop
    }
}

/// Threads that live for the whole run: see [`with_workers`].
pub struct Workers<T> {
    jobs: mpsc::Sender<(usize, u64)>,
    results: mpsc::Receiver<(usize, std::thread::Result<T>)>,
}

impl<T> Workers<T> {
    /// `work` over `items` on the workers; results in item order. Workers take the next
    /// item as they finish one, so uneven items balance. A panic in `work` is re-raised
    /// here.
    pub fn map(&self, items: &[u64]) -> Vec<T> {
        for (slot, &item) in items.iter().enumerate() {
            // The workers outlive every call (they stop when `self` is dropped).
            let _ = self.jobs.send((slot, item));
        }
        let mut out: Vec<Option<T>> = std::iter::repeat_with(|| None).take(items.len()).collect();
        for _ in 0..items.len() {
            match self.results.recv() {
                Ok((slot, Ok(value))) => out[slot] = Some(value),
                Ok((_, Err(panic))) => std::panic::resume_unwind(panic),
                Err(_) => unreachable!("workers hold a result sender until `Workers` is dropped"),
            }
        }
        out.into_iter().flatten().collect()
    }
}

/// Runs `body` with `threads` workers (at least one) applying `work` to the items it
/// maps. The workers start once and end when `body` returns, so per-thread state (Z3
/// contexts, encoding caches) is built once per run, not once per batch.
pub fn with_workers<T: Send, R>(
    threads: usize,
    work: impl Fn(u64) -> T + Sync,
    body: impl FnOnce(&Workers<T>) -> R,
) -> R {
    let (job_tx, job_rx) = mpsc::channel::<(usize, u64)>();
    let job_rx = Mutex::new(job_rx);
    let (result_tx, result_rx) = mpsc::channel();
    std::thread::scope(|scope| {
        for _ in 0..threads.max(1) {
            let (jobs, results, work) = (&job_rx, result_tx.clone(), &work);
            scope.spawn(move || {
                loop {
                    // The lock is held only while waiting for the next job.
                    let next = jobs.lock().map_err(|_| ()).and_then(|rx| rx.recv().map_err(|_| ()));
                    let Ok((slot, item)) = next else { break };
                    let value = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| work(item)));
                    if results.send((slot, value)).is_err() {
                        break;
                    }
                }
            });
        }
        drop(result_tx);
        let workers = Workers { jobs: job_tx, results: result_rx };
        let out = body(&workers);
        // Closing the job channel ends the workers; the scope joins them.
        drop(workers);
        out
    })
}

/// What finishing a run's output can fail on.
#[derive(Debug, thiserror::Error)]
pub enum FinishError {
    #[error(transparent)]
    Dataset(#[from] DatasetError),
    #[error(transparent)]
    Export(#[from] datasets::export::ExportError),
    #[error("cannot write {}: {error}", path.display())]
    Card { path: std::path::PathBuf, error: std::io::Error },
}

/// The end of every run, whatever the generator: the exports of `records`, `run.json`
/// and the dataset card, from the output as it now stands (all runs into it).
pub fn finish(
    out: &Path,
    records: &Path,
    formats: &[datasets::export::ExportFormat],
    run: &RunInfo,
) -> Result<datasets::stats::Summary, FinishError> {
    for report in datasets::export::export_file(records, formats)? {
        tracing::info!(?report, "export written");
    }
    run.write(out)?;
    let stats = datasets::stats::summarize(out)?;
    let path = out.join(datasets::CARD_FILE);
    std::fs::write(&path, datasets::card::render(&stats, run))
        .map_err(|error| FinishError::Card { path, error })?;
    Ok(stats)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn first_reason_wins() {
        let stop = Stop::default();
        assert!(!stop.requested());
        stop.request(StopReason::Budget);
        stop.request(StopReason::Interrupted);
        assert_eq!(stop.reason(), Some(StopReason::Budget));
        assert_eq!(stop.clone().reason().map(StopReason::exit_code), Some(3));
    }

    #[test]
    fn workers_return_results_in_item_order() {
        let items: Vec<u64> = (0..100).rev().collect();
        let got = with_workers(3, |i| i * 2, |w| w.map(&items));
        assert_eq!(got, items.iter().map(|i| i * 2).collect::<Vec<_>>());
    }

    #[test]
    fn workers_persist_across_batches() {
        let threads = Mutex::new(HashSet::new());
        let work = |i: u64| {
            threads.lock().unwrap().insert(std::thread::current().id());
            i
        };
        with_workers(2, work, |w| {
            for batch in (0..40).collect::<Vec<u64>>().chunks(8) {
                assert_eq!(w.map(batch), batch);
            }
        });
        // Fresh threads per batch would have made up to 10.
        assert!(threads.lock().unwrap().len() <= 2, "{} threads", threads.lock().unwrap().len());
    }

    #[test]
    fn a_panicking_item_reaches_the_caller() {
        let caught = std::panic::catch_unwind(|| {
            with_workers(2, |i| if i == 3 { panic!("item 3") } else { i }, |w| w.map(&[1, 2, 3, 4]))
        });
        assert!(caught.is_err());
    }

    #[test]
    fn the_driver_stops_on_the_flag_and_on_the_budget() {
        let stop = Stop::default();
        let mut reports = 0;
        let mut driver = Driver::new(stop.clone(), BudgetGate::default(), |_| reports += 1);
        assert_eq!(driver.checkpoint(&Progress::default()), None);
        stop.request(StopReason::Interrupted);
        assert_eq!(driver.checkpoint(&Progress::default()).as_deref(), Some("interrupted"));
        drop(driver);
        assert_eq!(reports, 2);

        let acc = Accounting::new();
        let budget = Budget { max_tokens: Some(100), ..Budget::default() };
        let per_item = TokenEstimate { calls: 1.0, prompt_tokens: 30.0, completion_tokens: 0.0 };
        let gate = BudgetGate::new(budget, Some(acc), Some(per_item));
        let stop = Stop::default();
        let mut driver = Driver::new(stop.clone(), gate, |_| {});
        assert_eq!(driver.checkpoint(&Progress { next: 3, ..Progress::default() }), None, "90 of 100");
        assert_eq!(
            driver.checkpoint(&Progress { next: 4, ..Progress::default() }).as_deref(),
            Some("budget")
        );
        assert_eq!(stop.reason(), Some(StopReason::Budget));
    }
}
