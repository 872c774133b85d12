//! The decoding thread: continuous batching of every in-flight request in one llama
//! context.
//!
//! Each admitted request is a sequence with its own `seq_id` in a KV cache shared by all
//! (llama.cpp's unified cache). Every step builds one batch holding the next token of
//! each generating sequence plus prompt chunks of newly admitted ones, decodes it once,
//! then samples each sequence from its own row of logits. A finished sequence's cache
//! cells are freed at once and the next queued request takes its place, so throughput
//! follows the number of requests in flight rather than arriving in waves.
//!
//! Admission reserves `prompt + max_tokens` cells per request, so a decode never runs out
//! of cache midway; a request that does not fit waits (first come, first served).
//!
//! Prefix reuse: a finished sequence's cells stay in the cache (the slot is *resident*),
//! with the tokens they hold. A new request starts from the longest prefix of its prompt
//! that any slot, running or resident, already holds: in its own resident slot by
//! cutting the cells after the prefix, from another slot by llama.cpp's sequence copy
//! (metadata only in the unified cache). Our prompts share long fixed heads (system
//! prompt, rules, form), so most of a prompt is never decoded twice. Resident cells count
//! against the context; the least recently used are evicted when a request needs room.

use crate::types::LlmError;
use llama_cpp_2::context::LlamaContext;
use llama_cpp_2::context::params::LlamaContextParams;
use llama_cpp_2::llama_backend::LlamaBackend;
use llama_cpp_2::llama_batch::LlamaBatch;
use llama_cpp_2::model::LlamaModel;
use llama_cpp_2::sampling::LlamaSampler;
use llama_cpp_2::token::LlamaToken;
use llama_cpp_2::token::data::LlamaTokenData;
use llama_cpp_2::token::data_array::LlamaTokenDataArray;
use std::num::NonZeroU32;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use tokio::sync::mpsc::error::TryRecvError;
use tokio::sync::{mpsc, oneshot};

/// Tokens per decode call. Equal to llama.cpp's micro-batch so one call is one graph run;
/// prompt chunks fill what the generating sequences leave, which bounds how long a long
/// prompt can stall the others.
const BATCH_TOKENS: u32 = 512;

/// A request, ready for decoding.
pub(super) struct Job {
    pub prompt: Vec<LlamaToken>,
    pub max_tokens: u32,
    pub stop: Vec<String>,
    /// Picks each token (greedy, or the temperature chain with its seed).
    pub sampler: LlamaSampler,
    /// Restricts tokens to a grammar when the request carries a JSON schema.
    pub grammar: Option<LlamaSampler>,
    pub reply: oneshot::Sender<Result<Generated, LlmError>>,
}

/// What a finished sequence produced.
pub(super) struct Generated {
    pub text: String,
    pub completion_tokens: u64,
}

#[derive(Debug, Default)]
pub(super) struct StatsCounters {
    pub max_batch_seqs_seen: AtomicUsize,
    pub decode_calls: AtomicU64,
    pub prompt_tokens: AtomicU64,
    pub generated_tokens: AtomicU64,
    pub requests_finished: AtomicU64,
    pub reused_prompt_tokens: AtomicU64,
}

#[derive(Debug, Clone, Copy)]
pub(super) struct WorkerConfig {
    pub threads: usize,
    pub context_size: u32,
    pub max_sequences: usize,
    pub prefix_cache: bool,
}

/// Starts the decoding thread; returns once its llama context exists (or failed to).
/// The thread ends when every `Sender` of `queue` is gone and its last request is done.
pub(super) fn spawn(
    backend: &'static LlamaBackend,
    model: Arc<LlamaModel>,
    config: WorkerConfig,
    queue: mpsc::Receiver<Job>,
    stats: Arc<StatsCounters>,
) -> Result<(), LlmError> {
    let max_sequences = u32::try_from(config.max_sequences)
        .ok()
        .filter(|&n| (1..BATCH_TOKENS / 2).contains(&n))
        .ok_or_else(|| {
            LlmError::Model(format!(
                "max_sequences must be 1..{}, got {}",
                BATCH_TOKENS / 2,
                config.max_sequences
            ))
        })?;
    let threads = i32::try_from(config.threads).unwrap_or(i32::MAX);
    let (ready, started) = std::sync::mpsc::channel();
    std::thread::Builder::new()
        .name("llama-decode".to_owned())
        .spawn(move || {
            let params = LlamaContextParams::default()
                .with_n_ctx(NonZeroU32::new(config.context_size))
                .with_n_batch(BATCH_TOKENS)
                .with_n_ubatch(BATCH_TOKENS)
                .with_n_seq_max(max_sequences)
                // One pool of cells for all sequences, so one long prompt can use what
                // short ones leave free.
                .with_kv_unified(true)
                .with_n_threads(threads)
                .with_n_threads_batch(threads);
            let ctx = match model.new_context(backend, params) {
                Ok(ctx) => ctx,
                Err(e) => {
                    let _ =
                        ready.send(Err(LlmError::Model(format!("cannot create a llama.cpp context: {e}"))));
                    return;
                }
            };
            let _ = ready.send(Ok(()));
            let worker = Worker {
                ctx,
                model: &model,
                batch: LlamaBatch::new(BATCH_TOKENS as usize, 1),
                slots: (0..config.max_sequences).map(|_| None).collect(),
                kv: vec![Vec::new(); config.max_sequences],
                last_used: vec![0; config.max_sequences],
                clock: 0,
                prefix_cache: config.prefix_cache,
                reserved: 0,
                context_size: u64::from(config.context_size),
                stats,
            };
            worker.run(queue);
        })
        .map_err(|e| LlmError::Model(format!("cannot start the decoding thread: {e}")))?;
    started.recv().map_err(|_| LlmError::Model("the decoding thread died while starting".to_owned()))?
}

struct Sequence {
    job: Job,
    /// Prompt tokens already in the KV cache.
    fed: usize,
    /// Position of the next token in this sequence.
    pos: i32,
    /// Sampled but not yet decoded.
    pending: Option<LlamaToken>,
    /// Row of this sequence's logits in the batch just decoded.
    logits_row: Option<i32>,
    text: Vec<u8>,
    generated: u32,
    /// KV cells reserved at admission.
    reserved: u64,
}

struct Worker<'m> {
    ctx: LlamaContext<'m>,
    model: &'m LlamaModel,
    batch: LlamaBatch<'static>,
    /// Index = llama `seq_id`.
    slots: Vec<Option<Sequence>>,
    /// The tokens whose cells at positions `0..len` belong to each `seq_id`: the running
    /// sequence's prompt and answer so far, or what a free slot kept (resident).
    kv: Vec<Vec<LlamaToken>>,
    /// When each slot was last released, for evicting the least recently used resident.
    last_used: Vec<u64>,
    clock: u64,
    prefix_cache: bool,
    /// Cells reserved by running sequences (resident cells are `kv` of free slots).
    reserved: u64,
    context_size: u64,
    stats: Arc<StatsCounters>,
}

impl Worker<'_> {
    fn run(mut self, mut queue: mpsc::Receiver<Job>) {
        let mut waiting = None;
        let mut open = true;
        loop {
            self.admit(&mut queue, &mut waiting, &mut open);
            if self.slots.iter().all(Option::is_none) {
                if !open && waiting.is_none() {
                    return;
                }
                continue;
            }
            if let Err(e) = self.step() {
                self.fail_all(&e);
            }
        }
    }

    /// Moves queued requests into free slots; blocks only when nothing is running.
    fn admit(&mut self, queue: &mut mpsc::Receiver<Job>, waiting: &mut Option<Job>, open: &mut bool) {
        while self.slots.iter().any(Option::is_none) {
            let idle = self.slots.iter().all(Option::is_none);
            let job = match waiting.take() {
                Some(job) => job,
                None if !*open => return,
                None if idle => match queue.blocking_recv() {
                    Some(job) => job,
                    None => {
                        *open = false;
                        return;
                    }
                },
                None => match queue.try_recv() {
                    Ok(job) => job,
                    Err(TryRecvError::Empty) => return,
                    Err(TryRecvError::Disconnected) => {
                        *open = false;
                        return;
                    }
                },
            };
            if job.reply.is_closed() {
                // Given up before it started (its timeout passed in the queue): done with.
                self.stats.requests_finished.fetch_add(1, Ordering::Relaxed);
                continue;
            }
            if job.max_tokens == 0 {
                let _ = job.reply.send(Ok(Generated { text: String::new(), completion_tokens: 0 }));
                continue;
            }
            let need = job.prompt.len() as u64 + u64::from(job.max_tokens);
            let (source, prefix) = self.longest_prefix(&job.prompt);
            let target = self.target_slot(source.filter(|_| prefix > 0));
            let Some(source) = self.make_room(need, target, source.filter(|_| prefix > 0), idle) else {
                *waiting = Some(job);
                return;
            };
            let prefix = if source.is_some() { prefix } else { 0 };
            self.start_from_prefix(target, source, &job.prompt[..prefix]);
            self.reserved += need;
            self.stats.reused_prompt_tokens.fetch_add(prefix as u64, Ordering::Relaxed);
            self.slots[target] = Some(Sequence {
                job,
                fed: prefix,
                pos: prefix as i32,
                pending: None,
                logits_row: None,
                text: Vec::new(),
                generated: 0,
                reserved: need,
            });
        }
    }

    /// The slot holding the longest prefix of `prompt`, and its length (at most all but the
    /// prompt's last token, which must be decoded for its logits).
    fn longest_prefix(&self, prompt: &[LlamaToken]) -> (Option<usize>, usize) {
        if !self.prefix_cache {
            return (None, 0);
        }
        let usable = prompt.len().saturating_sub(1);
        let mut best = (None, 0);
        for (id, held) in self.kv.iter().enumerate() {
            let common = held.iter().zip(prompt).take_while(|(a, b)| a == b).count().min(usable);
            if common > best.1 {
                best = (Some(id), common);
            }
        }
        best
    }

    /// The free slot a request goes to: the source of its prefix when that slot is free,
    /// else an empty slot, else the least recently used resident.
    fn target_slot(&self, source: Option<usize>) -> usize {
        if let Some(id) = source.filter(|&id| self.slots[id].is_none()) {
            return id;
        }
        (0..self.slots.len())
            .filter(|&id| self.slots[id].is_none())
            .min_by_key(|&id| (!self.kv[id].is_empty(), self.last_used[id]))
            .expect("admit runs only while a slot is free")
    }

    /// Evicts least recently used residents until `need` more cells fit. Returns the
    /// prefix source still usable (`Some(None)`: fits, but without a prefix), or `None`
    /// when the request must wait for running sequences to finish.
    fn make_room(
        &mut self,
        need: u64,
        target: usize,
        source: Option<usize>,
        idle: bool,
    ) -> Option<Option<usize>> {
        // Every resident's cells count, the source's too; the target's own are cut or
        // evicted, and its kept prefix is inside `need`.
        let fits = |w: &Self| {
            let resident: u64 = (0..w.slots.len())
                .filter(|&id| w.slots[id].is_none() && id != target)
                .map(|id| w.kv[id].len() as u64)
                .sum();
            w.reserved + need + resident <= w.context_size
        };
        let keep: Vec<usize> = source.filter(|&id| id != target).into_iter().collect();
        if !fits(self) {
            let mut victims: Vec<usize> = (0..self.slots.len())
                .filter(|&id| {
                    self.slots[id].is_none() && id != target && !keep.contains(&id) && !self.kv[id].is_empty()
                })
                .collect();
            victims.sort_by_key(|&id| self.last_used[id]);
            for id in victims {
                if fits(self) {
                    break;
                }
                self.evict(id);
            }
        }
        if fits(self) {
            return Some(source);
        }
        // Last resort: give up the prefix held by another resident slot.
        if let Some(&id) = keep.first()
            && self.slots[id].is_none()
        {
            self.evict(id);
            if fits(self) {
                return Some(None);
            }
        }
        idle.then_some(None)
    }

    /// Drops a resident slot's cells.
    fn evict(&mut self, id: usize) {
        if let Err(e) = self.ctx.clear_kv_cache_seq(Some(id as u32), None, None) {
            tracing::warn!("cannot clear the KV cache of sequence {id}: {e}");
        }
        self.kv[id].clear();
    }

    /// Leaves exactly `prefix` in slot `target`'s cells: cut from its own resident cells,
    /// or shared from `source`'s.
    fn start_from_prefix(&mut self, target: usize, source: Option<usize>, prefix: &[LlamaToken]) {
        let n = prefix.len() as u32;
        if source == Some(target) {
            if let Err(e) = self.ctx.clear_kv_cache_seq(Some(target as u32), Some(n), None) {
                tracing::warn!("cannot cut the KV cache of sequence {target}: {e}");
            }
            self.kv[target].truncate(prefix.len());
            return;
        }
        self.evict(target);
        if let Some(source) = source.filter(|_| n > 0) {
            match self.ctx.copy_kv_cache_seq(seq_id(source), seq_id(target), Some(0), Some(n)) {
                Ok(()) => self.kv[target].extend_from_slice(prefix),
                Err(e) => tracing::warn!("cannot share the KV cache of sequence {source}: {e}"),
            }
        }
    }

    /// One decode call over every running sequence, then one sampled token for each
    /// sequence whose logits it produced.
    fn step(&mut self) -> Result<(), String> {
        for id in 0..self.slots.len() {
            if self.slots[id].as_ref().is_some_and(|s| s.job.reply.is_closed()) {
                self.release(id);
            }
        }
        self.batch.clear();
        let mut sequences_in_batch = 0;
        let mut prompt_tokens = 0u64;
        for (id, slot) in self.slots.iter_mut().enumerate() {
            let Some(seq) = slot else { continue };
            if let Some(token) = seq.pending.take() {
                seq.logits_row = Some(self.batch.n_tokens());
                self.batch.add(token, seq.pos, &[seq_id(id)], true).map_err(|e| e.to_string())?;
                self.kv[id].push(token);
                seq.pos += 1;
                sequences_in_batch += 1;
            }
        }
        for (id, slot) in self.slots.iter_mut().enumerate() {
            let Some(seq) = slot else { continue };
            let room = (BATCH_TOKENS as usize).saturating_sub(self.batch.n_tokens() as usize);
            if seq.fed == seq.job.prompt.len() || room == 0 {
                continue;
            }
            let end = seq.job.prompt.len().min(seq.fed + room);
            for (i, &token) in seq.job.prompt[seq.fed..end].iter().enumerate() {
                let last = seq.fed + i + 1 == seq.job.prompt.len();
                if last {
                    seq.logits_row = Some(self.batch.n_tokens());
                }
                self.batch.add(token, seq.pos, &[seq_id(id)], last).map_err(|e| e.to_string())?;
                seq.pos += 1;
            }
            self.kv[id].extend_from_slice(&seq.job.prompt[seq.fed..end]);
            prompt_tokens += (end - seq.fed) as u64;
            seq.fed = end;
            sequences_in_batch += 1;
        }
        if self.batch.n_tokens() == 0 {
            return Ok(());
        }
        self.ctx.decode(&mut self.batch).map_err(|e| format!("llama.cpp failed to decode a batch: {e}"))?;
        let stats = &self.stats;
        stats.max_batch_seqs_seen.fetch_max(sequences_in_batch, Ordering::Relaxed);
        stats.decode_calls.fetch_add(1, Ordering::Relaxed);
        stats.prompt_tokens.fetch_add(prompt_tokens, Ordering::Relaxed);

        for id in 0..self.slots.len() {
            let Some(seq) = self.slots[id].as_mut() else { continue };
            let Some(row) = seq.logits_row.take() else { continue };
            let token = sample(&self.ctx, seq, row);
            self.advance(id, token);
        }
        Ok(())
    }

    /// Appends a sampled token to its sequence and decides whether the sequence is done.
    fn advance(&mut self, id: usize, token: Option<LlamaToken>) {
        let vocab = self.model.vocab();
        let Some(seq) = self.slots[id].as_mut() else { return };
        let Some(token) = token.filter(|&t| !vocab.is_eog(t)) else {
            self.finish(id);
            return;
        };
        seq.generated += 1;
        self.stats.generated_tokens.fetch_add(1, Ordering::Relaxed);
        let before = seq.text.len();
        vocab.token_to_piece_into(token, &mut seq.text, false, None);
        let looping = || seq.job.grammar.is_none() && seq.text[before..].contains(&b'\n');
        if let Some(cut) = find_stop(&seq.text, before, &seq.job.stop) {
            seq.text.truncate(cut);
            self.finish(id);
        } else if looping()
            && let Some(cut) = repeating(&seq.text)
        {
            seq.text.truncate(cut);
            self.finish(id);
        } else if seq.generated >= seq.job.max_tokens {
            self.finish(id);
        } else {
            seq.pending = Some(token);
        }
    }

    fn finish(&mut self, id: usize) {
        if let Some(seq) = self.release(id) {
            let text = String::from_utf8_lossy(&seq.text).into_owned();
            let answer = Generated { text, completion_tokens: u64::from(seq.generated) };
            let _ = seq.job.reply.send(Ok(answer));
        }
    }

    fn fail_all(&mut self, reason: &str) {
        tracing::error!("{reason}");
        for id in 0..self.slots.len() {
            if let Some(seq) = self.release(id) {
                let _ = seq.job.reply.send(Err(LlmError::Model(reason.to_owned())));
            }
        }
        // Whatever a failed decode left behind must not leak into later sequences.
        self.ctx.clear_kv_cache();
        self.kv.iter_mut().for_each(Vec::clear);
    }

    /// Frees a slot; its cache cells stay as a resident prefix when prefix reuse is on.
    fn release(&mut self, id: usize) -> Option<Sequence> {
        let seq = self.slots[id].take()?;
        if !self.prefix_cache {
            self.evict(id);
        }
        self.clock += 1;
        self.last_used[id] = self.clock;
        self.reserved -= seq.reserved;
        self.stats.requests_finished.fetch_add(1, Ordering::Relaxed);
        Some(seq)
    }
}

fn seq_id(slot: usize) -> i32 {
    // Slots are fewer than 256 (checked in `spawn`).
    slot as i32
}

/// Samples the next token of `seq` from logits row `row`. With a grammar, the sampler's
/// choice is tried against the grammar first and the grammar is applied to the whole
/// vocabulary only when it refuses: most tokens of a well-formed answer pass, and masking
/// ~50k candidates per token would cost more than the small model's forward pass.
fn sample(ctx: &LlamaContext<'_>, seq: &mut Sequence, row: i32) -> Option<LlamaToken> {
    let Some(grammar) = seq.job.grammar.as_mut() else {
        return Some(seq.job.sampler.sample(ctx, row));
    };
    let mut candidates = ctx.token_data_array_ith(row);
    candidates.apply_sampler(&mut seq.job.sampler);
    let choice = candidates.selected_token().filter(|&token| {
        let mut single = LlamaTokenDataArray::new(vec![LlamaTokenData::new(token, 0.0, 1.0)], false);
        single.apply_sampler(grammar);
        single.data.first().is_some_and(|d| d.logit().is_finite())
    });
    let token = match choice {
        Some(token) => token,
        None => {
            let mut candidates = ctx.token_data_array_ith(row);
            candidates.apply_sampler(grammar);
            candidates.apply_sampler(&mut seq.job.sampler);
            candidates.selected_token()?
        }
    };
    grammar.accept(token);
    seq.job.sampler.accept(token);
    Some(token)
}

/// Where the earliest stop string starts, looking only at matches that end in the bytes
/// appended since `before`.
fn find_stop(text: &[u8], before: usize, stops: &[String]) -> Option<usize> {
    stops
        .iter()
        .filter_map(|stop| {
            let stop = stop.as_bytes();
            let from = before.saturating_sub(stop.len().saturating_sub(1));
            text.get(from..)?.windows(stop.len()).position(|w| w == stop).map(|at| from + at)
        })
        .min()
}

/// Consecutive copies of one line after which free text is taken to be looping.
const REPEATS: usize = 6;

/// Where free text that is looping should end: when its last [`REPEATS`] complete lines
/// are one and the same non-blank line, just after the first of them. Small models fall
/// into such loops (`console.log(anagram("apple", "pale"));` until the token limit), and
/// every copy costs decoding time.
fn repeating(text: &[u8]) -> Option<usize> {
    let last_newline = text.iter().rposition(|&b| b == b'\n')?;
    let mut lines = Vec::with_capacity(REPEATS);
    let mut end = last_newline;
    while lines.len() < REPEATS {
        let start = text[..end].iter().rposition(|&b| b == b'\n').map_or(0, |i| i + 1);
        lines.push(&text[start..end]);
        if start == 0 {
            break;
        }
        end = start - 1;
    }
    let first = lines.first()?;
    let same = lines.len() == REPEATS && lines.iter().all(|l| l == first);
    if !same || first.iter().all(u8::is_ascii_whitespace) {
        return None;
    }
    // The earliest copy starts `REPEATS - 1` copies (each `first` plus its newline) before
    // the last one; keep it and its newline.
    Some(last_newline + 1 - (REPEATS - 1) * (first.len() + 1))
}

#[cfg(test)]
mod tests {
    use super::{REPEATS, find_stop, repeating};

    #[test]
    fn a_line_repeated_to_the_end_is_cut_after_its_first_copy() {
        let head = "function f() {\n  return 1;\n}\n";
        let copy = "console.log(f());\n";
        let text = format!("{head}{}", copy.repeat(REPEATS));
        assert_eq!(repeating(text.as_bytes()), Some(head.len() + copy.len()));
        assert_eq!(repeating(format!("{head}{}", copy.repeat(REPEATS - 1)).as_bytes()), None);
        // Blank lines, and lines that differ, are not a loop.
        assert_eq!(repeating(format!("{head}{}", "\n".repeat(REPEATS + 2)).as_bytes()), None);
        let varied: String = (0..REPEATS * 2).map(|i| format!("x{i}\n")).collect();
        assert_eq!(repeating(varied.as_bytes()), None);
        // The whole text may be the loop.
        assert_eq!(repeating(copy.repeat(REPEATS).as_bytes()), Some(copy.len()));
    }

    #[test]
    fn stop_strings_are_found_across_token_boundaries() {
        let stops = ["```".to_owned(), "\nEND".to_owned()];
        assert_eq!(find_stop(b"code ``", 5, &stops), None);
        assert_eq!(find_stop(b"code ```", 7, &stops), Some(5));
        assert_eq!(find_stop(b"a\nEND more", 3, &stops), Some(1));
        assert_eq!(find_stop(b"```x ```", 7, &stops), Some(5), "an old match is not re-reported");
    }
}
