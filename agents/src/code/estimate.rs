//! What a `gen code` run will cost, before any model call: for `--dry-run` and the first
//! budget check. The real pipeline is played on a few work items against a stand-in
//! model and a stand-in checker, in a scratch copy of the agents' memory, so the calls
//! and the rendered prompts are exactly those of a run (ports, summary, judge,
//! reflections, the agents' remembered faults and advice), only the answers are made up.
//!
//! Stand-in answers fill every text field of the role's JSON schema to a third of its
//! length bound and every list to half its bound; every candidate passes its check. The
//! estimate is therefore the cost of a run whose model does what it is asked on the
//! first try; [`crate::observed`] refines it with what earlier runs really spent.

use crate::Prompts;
use crate::code::checker::{CheckError, Checker, Execution};
use crate::code::sink::SampleSink;
use crate::code::{CodeError, CodeGenerator, CodeSettings, Decontaminator, SeedBank, Usage};
use async_trait::async_trait;
use datasets::{CodeRecord, FailureRecord};
use llm::{ChatModel, ChatRequest, ChatResponse, LlmError};
use memory::Memory;
use serde_json::{Value, json};
use std::collections::{BTreeMap, HashSet};
use std::sync::atomic::{AtomicU64, Ordering};

/// Work items played by default: enough for every language to propose (the proposer
/// rotates) and for reflections to come due at their usual rate.
pub const SIMULATED_ITEMS: u64 = 8;

/// What the played items cost.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Simulation {
    pub items: u64,
    /// Samples the items yielded (every candidate passes, so this is an upper bound).
    pub kept: u64,
    pub usage: Usage,
}

impl Simulation {
    pub fn per_item(&self) -> Option<llm::TokenEstimate> {
        let u = &self.usage;
        llm::TokenEstimate::average(u.calls, u.prompt_tokens, u.completion_tokens, self.items)
    }

    pub fn kept_per_item(&self) -> Option<f64> {
        (self.items > 0).then(|| self.kept as f64 / self.items as f64)
    }
}

/// Plays `items` work items of a run shaped by `settings`. `memory` (the run's real
/// memory, if it exists) is copied into a scratch database first and never written.
pub async fn simulate(
    prompts: &Prompts,
    memory: Option<&Memory>,
    seeds: SeedBank,
    settings: &CodeSettings,
    registry: &sandbox::Registry,
    items: u64,
) -> Result<Simulation, CodeError> {
    let scratch = Memory::temporary()?;
    if let Some(real) = memory {
        scratch.merge_from(real)?;
    }
    let mut settings = settings.clone();
    settings.n = u64::MAX / 4;
    settings.max_attempts = u64::MAX / 4;
    settings.shard_index = 0;
    settings.shard_count = 1;
    let model = StandInModel { langs: settings.langs.clone(), next: AtomicU64::new(0) };
    let checker = StandInChecker { registry };
    let decontam = Decontaminator::load(&[])?;
    let mut generator = CodeGenerator::new(&model, prompts, &checker, &scratch, seeds, decontam, settings)?;
    let mut sink = CountingSink::default();
    let summary =
        generator.run(&mut sink, &mut |s| (s.items >= items).then(|| "simulated enough".to_string())).await?;
    Ok(Simulation { items: summary.items, kept: summary.kept, usage: summary.usage })
}

/// Answers every structured request with made-up content of a plausible size.
struct StandInModel {
    langs: Vec<String>,
    next: AtomicU64,
}

#[async_trait]
impl ChatModel for StandInModel {
    async fn chat(&self, request: ChatRequest) -> Result<ChatResponse, LlmError> {
        let k = self.next.fetch_add(1, Ordering::Relaxed);
        let content = match &request.json_schema {
            Some(schema) => match schema["title"].as_str() {
                Some("summary") => json!({"keep": self.langs, "reason": words(k, 100)}),
                Some("judge") => json!({"score": 10, "reason": words(k, 100)}),
                // Bare argument lists: the pipeline puts the function's name in front.
                Some("description") => json!({
                    "instruction": format!("Write {}", words(k, 127)),
                    "calls": (0..3).map(|i| format!("({i}, {})", words(k * 8 + i, 12))).collect::<Vec<_>>(),
                    "explanation": words(k, 100),
                    "concepts": [words(k, 13), words(k + 1, 13)],
                }),
                // The derived protocol: a signature every language can express, one
                // distinct function per draft, inputs of the bound's size.
                Some("draft") => json!({
                    "name": format!("count_{k}"),
                    "params": [{"name": "x", "type": "int"}],
                    "returns": "int",
                    "idea": words(k, 100),
                    "inputs": (0..5).map(|i| json!([i])).collect::<Vec<_>>(),
                    "concepts": [words(k, 13), words(k + 1, 13)],
                }),
                // A program (bash) of stdin texts.
                Some("program_draft") => json!({
                    "name": format!("count_{k}"),
                    "idea": words(k, 100),
                    "inputs": (0..5).map(|i| format!("{i}\n")).collect::<Vec<_>>(),
                    "concepts": [words(k, 13), words(k + 1, 13)],
                }),
                Some("instruction") => json!({
                    "instruction": format!("Write a function {} that reads its input and {}", entry_names(&request), words(k, 160)),
                    "explanation": words(k, 100),
                }),
                _ => fill(schema, k),
            }
            .to_string(),
            None => words(k, 400),
        };
        let prompt_tokens = request.messages.iter().map(|m| tokens(&m.content)).sum();
        Ok(ChatResponse {
            usage: llm::Usage { prompt_tokens, completion_tokens: tokens(&content) },
            content,
            latency: std::time::Duration::ZERO,
            retries: 0,
            cached: false,
        })
    }

    fn model_name(&self) -> String {
        "stand-in".into()
    }
}

/// The entry point an instruction prompt asks for (between the first pair of backticks
/// after "named"), so the stand-in instruction names it as a real one would.
fn entry_names(request: &ChatRequest) -> String {
    let prompt = request.messages.last().map(|m| m.content.as_str()).unwrap_or("");
    prompt
        .split_once("named `")
        .and_then(|(_, rest)| rest.split_once('`'))
        .map(|(name, _)| name.to_string())
        .unwrap_or_else(|| "f".into())
}

/// Tokens as the model layer counts them without a tokenizer (≈ 4 bytes each).
fn tokens(text: &str) -> u64 {
    (text.len() as u64).div_ceil(4).max(1)
}

/// About `len` bytes of words, distinct per `k` (so no gate takes two stand-in answers
/// for duplicates) and every other one English (so the language gate passes them).
fn words(k: u64, len: usize) -> String {
    let mut out = String::with_capacity(len + 8);
    let mut i = 0u64;
    while out.len() < len {
        let mut h = datasets::splitmix64(k.wrapping_mul(1_000_003).wrapping_add(i));
        for _ in 0..6 {
            out.push(char::from(b'a' + (h % 26) as u8));
            h /= 26;
        }
        out.push_str(if i.is_multiple_of(2) { " the " } else { " " });
        i += 1;
    }
    out.trim_end().to_string()
}

/// A value of `schema`'s shape: texts at a third of their bound, lists at half.
fn fill(schema: &Value, k: u64) -> Value {
    match schema["type"].as_str() {
        Some("object") => {
            let props = schema["properties"].as_object().cloned().unwrap_or_default();
            Value::Object(
                props
                    .iter()
                    .enumerate()
                    .map(|(i, (name, s))| {
                        let mut v = fill(s, k * 64 + i as u64);
                        // An instruction asks for something, or the gates drop it.
                        if let (true, Value::String(text)) = (name == "instruction", &mut v) {
                            text.replace_range(..text.len().min(6), "Write ");
                        }
                        (name.clone(), v)
                    })
                    .collect(),
            )
        }
        Some("array") => {
            let n = schema["maxItems"].as_u64().unwrap_or(4).div_ceil(2);
            Value::Array((0..n).map(|i| fill(&schema["items"], k * 16 + i)).collect())
        }
        Some("number" | "integer") => json!(5),
        Some("boolean") => json!(true),
        _ => {
            let bound = schema["maxLength"].as_u64().unwrap_or(300) as usize;
            Value::String(words(k, bound / 3))
        }
    }
}

/// A number in 0..1,000,000 that depends on every byte of `text` (FNV-1a).
fn salt(text: &str) -> u64 {
    text.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |h, b| (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3))
        % 1_000_000
}

/// Passes every candidate except the empty solution (so the tests count as real).
struct StandInChecker<'r> {
    registry: &'r sandbox::Registry,
}

impl Checker for StandInChecker<'_> {
    fn check(&self, _lang: &str, solution: &str, _tests: &str) -> Result<Execution, CheckError> {
        let passed = !solution.trim().is_empty();
        Ok(Execution {
            passed,
            compiled: true,
            outcome: if passed { "passed" } else { "failed" }.into(),
            detail: String::new(),
            runtime_ms: 0,
            output_tail: String::new(),
            files: BTreeMap::new(),
            commands: Vec::new(),
            raw_check: Value::Null,
        })
    }

    fn stub(&self, _lang: &str) -> String {
        String::new()
    }

    fn convention(&self, lang: &str) -> String {
        self.registry.get(lang).map(|l| l.test_convention.clone()).unwrap_or_default()
    }

    fn example(&self, lang: &str) -> Option<crate::code::answer::Exercise> {
        self.registry.get(lang)?.example.as_ref().map(crate::code::checker::example_exercise)
    }

    fn probe_entry(&self, lang: &str, code: &str) -> Option<String> {
        self.registry.get(lang)?.defined_functions(code).into_iter().next()
    }

    fn declaration(&self, lang: &str, sig: &sandbox::cases::Signature) -> Result<String, String> {
        let language = self.registry.get(lang).ok_or("unknown language")?;
        language.render_signature(sig).map_err(|e| e.to_string())
    }

    fn entry_name(&self, lang: &str, sig: &sandbox::cases::Signature) -> String {
        self.registry.get(lang).map(|l| l.entry_name(sig)).unwrap_or_else(|| sig.name.clone())
    }

    fn param_name(&self, lang: &str, snake: &str) -> String {
        self.registry.get(lang).map(|l| l.param_name(snake)).unwrap_or_else(|| snake.to_string())
    }

    fn solution_rules(&self, lang: &str) -> String {
        self.registry.get(lang).and_then(|l| l.cases.as_ref()).map(|c| c.rules.clone()).unwrap_or_default()
    }

    /// Every input "returns" its own index, offset by a number drawn from the solution, so
    /// distinct stand-in solutions behave differently (`same_behaviour` keeps them).
    fn run_calls(
        &self,
        _lang: &str,
        _sig: &sandbox::cases::Signature,
        solution: &str,
        inputs: &[Vec<Value>],
    ) -> Result<Result<crate::code::checker::CaseRun, String>, CheckError> {
        let execution = self.check("", solution, "")?;
        Ok(Ok(crate::code::checker::CaseRun {
            results: (0..inputs.len()).map(|i| Ok(json!(salt(solution) + i as u64))).collect(),
            execution,
        }))
    }

    fn case_tests(
        &self,
        lang: &str,
        sig: &sandbox::cases::Signature,
        cases: &[sandbox::cases::CallCase],
    ) -> Result<String, String> {
        let language = self.registry.get(lang).ok_or("unknown language")?;
        language.render_tests(sig, cases).map_err(|e| e.to_string())
    }

    /// Every stdin "prints" its own index, offset as [`Self::run_calls`] does.
    fn run_stdins(
        &self,
        _lang: &str,
        solution: &str,
        stdins: &[String],
    ) -> Result<Result<crate::code::checker::CaseRun, String>, CheckError> {
        let execution = self.check("", solution, "")?;
        Ok(Ok(crate::code::checker::CaseRun {
            results: (0..stdins.len())
                .map(|i| Ok(json!(format!("{}\n", salt(solution) + i as u64))))
                .collect(),
            execution,
        }))
    }

    fn io_tests(&self, lang: &str, cases: &[sandbox::cases::IoCase]) -> Result<String, String> {
        let language = self.registry.get(lang).ok_or("unknown language")?;
        language.render_io_tests(cases).map_err(|e| e.to_string())
    }

    /// Every call "returns" its own index: tests of the real shape and size.
    fn probe_tests(
        &self,
        lang: &str,
        _solution: &str,
        entry_point: &str,
        calls: &[String],
    ) -> Result<Result<String, String>, CheckError> {
        let Some(language) = self.registry.get(lang) else { return Ok(Err("unknown language".into())) };
        let values: Vec<String> = (0..calls.len()).map(|i| i.to_string()).collect();
        let pairs: Vec<(&str, &str)> =
            calls.iter().map(String::as_str).zip(values.iter().map(String::as_str)).collect();
        Ok(crate::code::checker::probed_values(&pairs)
            .map(|v| language.probe_tests(entry_point, &v).unwrap_or_default()))
    }
}

/// Counts what the pipeline decides and writes nothing.
#[derive(Default)]
struct CountingSink {
    kept: u64,
    attempted: u64,
    ids: HashSet<String>,
}

impl SampleSink for CountingSink {
    fn kept(&self) -> u64 {
        self.kept
    }
    fn attempted(&self) -> u64 {
        self.attempted
    }
    fn contains(&self, id: &str) -> bool {
        self.ids.contains(id)
    }
    fn item_done(&self, _item_id: &str) -> bool {
        false
    }
    fn keep(&mut self, record: &CodeRecord) -> Result<(), CodeError> {
        self.kept += 1;
        self.attempted += 1;
        self.ids.insert(record.id.clone());
        Ok(())
    }
    fn reject(&mut self, failure: &FailureRecord) -> Result<(), CodeError> {
        self.attempted += 1;
        self.ids.insert(failure.id.clone());
        Ok(())
    }
    fn finish_item(&mut self, _item_id: &str) -> Result<(), CodeError> {
        Ok(())
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::code::Protocol;

    fn settings(langs: &[&str], protocol: Protocol) -> CodeSettings {
        let mut s = CodeSettings::new(langs.iter().map(|l| l.to_string()).collect(), 10);
        s.protocol = protocol;
        s
    }

    fn play(langs: &[&str], items: u64, protocol: Protocol) -> Simulation {
        let prompts = Prompts::load(None).unwrap();
        let s = settings(langs, protocol);
        let seeds = SeedBank::built_in(&s.langs);
        let registry = sandbox::Registry::builtin();
        let rt = tokio::runtime::Builder::new_current_thread().build().unwrap();
        rt.block_on(simulate(&prompts, None, seeds, &s, &registry, items)).unwrap()
    }

    #[test]
    fn one_language_costs_one_proposal_per_item_and_keeps_it() {
        let sim = play(&["python"], 3, Protocol::Discussion);
        assert_eq!(sim.items, 3);
        assert_eq!(sim.kept, 3);
        assert_eq!(sim.usage.calls, 3, "one proposal per item, no port, no summary");
        let per = sim.per_item().unwrap();
        assert!(per.prompt_tokens > 100.0 && per.completion_tokens > 100.0, "{per:?}");
    }

    #[test]
    fn more_languages_add_ports_and_a_summary() {
        let one = play(&["python"], 4, Protocol::Discussion).per_item().unwrap();
        let two = play(&["python", "go"], 4, Protocol::Discussion);
        assert_eq!(two.kept, 8, "both versions of every item are kept");
        let per = two.per_item().unwrap();
        assert_eq!(per.calls, 3.0, "propose, port, summary");
        assert!(per.prompt_tokens > 2.0 * one.prompt_tokens, "{per:?} vs {one:?}");
    }

    #[test]
    fn a_derived_item_drafts_instructs_solves_afresh_and_ports() {
        let one = play(&["python"], 3, Protocol::Derived);
        assert_eq!(one.kept, 3, "{one:?}");
        assert_eq!(one.per_item().unwrap().calls, 4.0, "draft, implementation, instruction, fresh solve");
        let two = play(&["python", "go"], 4, Protocol::Derived);
        assert_eq!(two.kept, 8, "the source and its port: {two:?}");
        assert_eq!(two.per_item().unwrap().calls, 6.0, "and a translation with its own fresh solve");
        // A bash item is a program: drafted, implemented, instructed, solved afresh, not ported.
        let bash = play(&["bash"], 3, Protocol::Derived);
        assert_eq!((bash.kept, bash.per_item().unwrap().calls), (3, 4.0), "{bash:?}");
    }

    #[test]
    fn stand_in_answers_follow_the_schema_and_are_distinct() {
        let schema = crate::code::answer::exercise_schema();
        let a = fill(&schema, 1);
        let b = fill(&schema, 2);
        let ex: crate::code::answer::Exercise = serde_json::from_value(a.clone()).unwrap();
        assert!((100..=140).contains(&ex.instruction.len()), "a third of 400: {}", ex.instruction.len());
        assert_ne!(a["instruction"], b["instruction"]);
    }
}
