//! One work item of the `derived` protocol (the default): tests come from execution,
//! ports are checked against the source, and instructions are checked by a fresh solve.
//!
//! 1. The proposing agent drafts a function from a seed snippet: a neutral signature,
//!    its solution and *inputs* only (`code_draft`).
//! 2. The sandbox runs the solution on the inputs; what it returns becomes the expected
//!    values ([`sandbox::cases::derive_cases`]), rendered as the language's tests.
//! 3. The instruction is written from the code (`code_instruct`, answer → instruction).
//! 4. A fresh call sees only the instruction and the declaration (`code_solve`); its
//!    solution must pass the cases (two tries), or the sample fails at `round_trip`.
//! 5. Every other agent whose language can express the signature translates the solution
//!    (`code_translate`); the source's cases, rendered for that language, must all pass
//!    (one fix allowed), or the port fails at `port_mismatch`. Each port's instruction is
//!    round-tripped too.
//!
//! A language whose exercises are programs (bash: its cases are `{stdin, stdout}`) drafts
//! a program and texts to feed it (`code_draft_program`); what the reference prints
//! becomes the expected output ([`sandbox::cases::derive_io_cases`]), and steps 3 and 4
//! are the same. Programs are not ported.
//!
//! The model never writes a test or an expected value, and never decides keep or drop.

use crate::code::agent::{LanguageAgent, first_line};
use crate::code::answer::{self, Draft, Exercise, Instruction, MAX_INPUTS, ProgramDraft};
use crate::code::checker::{CaseRun, Checker, Execution, tail};
use crate::code::discussion::{AskError, Caller, turn};
use crate::code::gates;
use crate::code::mutate::{self, MutationResult};
use crate::code::pipeline::KeptFunction;
use crate::code::seeds::Seed;
use crate::code::verify::Verified;
use crate::code::{CodeError, Usage};
use datasets::Turn;
use sandbox::cases::{self, CallCase, IoCase, Signature};
use serde::Deserialize;
use serde_json::Value;
use std::collections::BTreeSet;

/// How much check output a fix prompt shows.
const OUTPUT_IN_PROMPT: usize = 1200;
/// Fresh solves allowed per instruction.
pub const FRESH_TRIES: u32 = 2;
/// Cases shown as examples to the instruction writer.
const EXAMPLES_IN_PROMPT: usize = 3;
/// The call number of a draft asked for again (after copying the prompt's example).
const DRAFT_AGAIN: u64 = 900;
/// The call number of inputs asked for again, typed by the signature.
const INPUTS_AGAIN: u64 = 950;

/// A stock exercise (`prompts/code_examples.toml`).
#[derive(Debug, Clone, Deserialize)]
pub struct PromptExample {
    pub signature: String,
    pub inputs: String,
    pub task: String,
}

#[derive(Deserialize)]
struct ExampleFile {
    example: Vec<PromptExample>,
}

/// The embedded stock exercises (`prompts/code_examples.toml`): drafts under their names are copies.
pub fn prompt_examples() -> Vec<PromptExample> {
    toml::from_str::<ExampleFile>(include_str!("../../../prompts/code_examples.toml"))
        .map(|f| f.example)
        .unwrap_or_default()
}

/// The inputs of one item.
pub(crate) struct DerivedTopic<'a> {
    pub proposer: &'a LanguageAgent,
    pub others: Vec<&'a LanguageAgent>,
    pub seed: Option<&'a Seed>,
    /// The stock exercises a draft must not reuse.
    pub examples: &'a [PromptExample],
    /// Versions whose cases reject a smaller share of mutants fail at `mutation`.
    pub min_mutation_score: f64,
    /// The proposer's exercises are programs fed on stdin ([`takes_stdin_cases`]).
    pub program: bool,
    /// The neutral names of the functions (or programs) the team already kept, in this
    /// run and in earlier ones sharing the memory: a draft under one of them is asked for
    /// once more, then dropped at `repeated_function`.
    pub written: &'a [String],
    /// The same functions with their signatures and cases: a draft whose solution gives
    /// one's results on all its cases is that exercise again under a new name, and is
    /// dropped at `same_behaviour`.
    pub kept: &'a [KeptFunction],
    /// The parameter and return types the proposer's language offers ([`draft_types`]).
    pub types: &'a DraftTypes,
}

/// The [`answer::DRAFT_TYPES`] a language can declare: as parameters, as return types.
pub(crate) type DraftTypes = (Vec<String>, Vec<String>);

/// A version that passed everything the protocol checks.
#[derive(Debug, Clone)]
pub(crate) struct DerivedSample {
    pub lang: String,
    /// `propose` or `port`.
    pub role: &'static str,
    /// The exercise with what the checker returned for it and for the stub.
    pub verified: Verified,
    /// Fresh solves it took to carry the instruction to green.
    pub fresh_tries: u32,
    pub mutation: MutationResult,
}

/// A version that did not.
#[derive(Debug, Clone)]
pub(crate) struct DerivedFailure {
    pub lang: String,
    pub role: &'static str,
    pub stage: &'static str,
    pub reason: String,
    pub attempts: u32,
    pub instruction: String,
    pub concepts: Vec<String>,
    /// The limit that ended the deciding check (`memory_limit`, …), if one did.
    pub limit: Option<&'static str>,
    /// The code that last ran, when one did.
    pub solution: String,
}

/// What one item produced.
#[derive(Debug, Default)]
pub(crate) struct Derived {
    pub proposer: String,
    pub seed_origin: Option<String>,
    pub signature: Option<Signature>,
    /// The drafted function's (or program's) neutral name.
    pub function: String,
    /// `{args, expected}` or, for a program, `{stdin, stdout}`.
    pub cases: Vec<Value>,
    pub samples: Vec<DerivedSample>,
    pub failures: Vec<DerivedFailure>,
    pub critiques: Vec<String>,
    pub dialogue: Vec<Turn>,
    pub templates: BTreeSet<&'static str>,
    pub model_error: Option<String>,
}

impl Derived {
    fn fail(&mut self, lang: &str, role: &'static str, stage: &'static str, reason: impl Into<String>) {
        self.failures.push(DerivedFailure {
            lang: lang.to_string(),
            role,
            stage,
            reason: reason.into(),
            attempts: 0,
            instruction: String::new(),
            concepts: Vec::new(),
            limit: None,
            solution: String::new(),
        });
    }

    /// A proposer's answer with its turn recorded, or `None` with the failure recorded.
    fn answered<T>(&mut self, lang: &str, kind: &str, answer: Result<(T, String), AskError>) -> Option<T> {
        match answer {
            Ok((a, raw)) => {
                self.dialogue.push(turn(lang, kind, &raw));
                Some(a)
            }
            Err(e) => {
                self.note_error(&e);
                self.fail(lang, "propose", e.stage(), e.reason());
                None
            }
        }
    }

    fn note_error(&mut self, e: &AskError) {
        if let AskError::Llm(err) = e {
            self.model_error = Some(err.to_string());
        }
    }
}

/// The argument lists of `raw` that fit `sig`, each once (a bare value is the argument
/// list of a one-parameter function, and an object naming every parameter is one by
/// name), at most [`MAX_INPUTS`].
pub fn usable_inputs(sig: &Signature, raw: &[Value]) -> Vec<Vec<Value>> {
    let mut out: Vec<Vec<Value>> = Vec::new();
    for v in raw {
        // As given, then (one parameter) as the argument itself: `[1, 2]` for `f(xs)`.
        let mut tries: Vec<Vec<Value>> = Vec::new();
        if let Value::Array(a) = v {
            tries.push(a.clone());
        }
        if let Value::Object(m) = v
            && let Some(args) = sig.params.iter().map(|p| m.get(&p.name).cloned()).collect::<Option<Vec<_>>>()
        {
            tries.push(args);
        }
        if sig.params.len() == 1 {
            tries.push(vec![v.clone()]);
        }
        if let Some(args) = tries.iter().find_map(|a| sig.conform_args(a).ok()) {
            if !out.contains(&args) {
                out.push(args);
            }
        } else if let (Value::Array(items), 1) = (v, sig.params.len()) {
            // Several arguments of a one-parameter function in one list: `[1, 2, 3]` for
            // `f(n: int)` is three inputs.
            for args in items.iter().filter_map(|i| sig.conform_args(std::slice::from_ref(i)).ok()) {
                if !out.contains(&args) {
                    out.push(args);
                }
            }
        }
    }
    out.truncate(MAX_INPUTS);
    out
}

/// `entry(args) returns value` lines, in neutral JSON notation, for the instruction writer.
fn example_lines(entry: &str, cases: &[CallCase]) -> Vec<String> {
    cases
        .iter()
        .take(EXAMPLES_IN_PROMPT)
        .map(|c| {
            let args: Vec<String> = c.args.iter().map(Value::to_string).collect();
            format!("`{entry}({})` returns `{}`", args.join(", "), c.expected)
        })
        .collect()
}

/// `text` (written for `from`) with the signature's names as `from` spells them replaced
/// by `to`'s spelling.
fn renamed(checker: &dyn Checker, from: &str, to: &str, sig: &Signature, text: &str) -> String {
    let mut out = replace_word(text, &checker.entry_name(from, sig), &checker.entry_name(to, sig));
    // "Create a Rust function" read by a Go programmer.
    for (a, b) in [(checker.display_name(from), checker.display_name(to)), (from.to_string(), to.to_string())]
    {
        out = replace_word(&out, &a, &b);
    }
    for p in &sig.params {
        out = replace_word(&out, &checker.param_name(from, &p.name), &checker.param_name(to, &p.name));
    }
    out
}

fn replace_word(text: &str, word: &str, by: &str) -> String {
    if word == by || word.is_empty() {
        return text.to_string();
    }
    let is_ident = |c: char| c.is_alphanumeric() || c == '_';
    let mut out = String::with_capacity(text.len());
    let mut last = 0;
    for (i, _) in text.match_indices(word) {
        if i < last {
            continue;
        }
        let before_ok = text[..i].chars().next_back().is_none_or(|c| !is_ident(c));
        let after_ok = text[i + word.len()..].chars().next().is_none_or(|c| !is_ident(c));
        if before_ok && after_ok {
            out.push_str(&text[last..i]);
            out.push_str(by);
            last = i + word.len();
        }
    }
    out.push_str(&text[last..]);
    out
}

/// Everything the checks of one language need.
struct Target<'a> {
    lang: &'a str,
    /// The function's signature; `None` for a program (stdin cases).
    sig: Option<&'a Signature>,
    declaration: String,
    rules: String,
    tests: String,
}

/// One line on why a check failed.
fn problem_of(exec: &Execution) -> String {
    // Our tests' own `case <i>: got …, want …` line says most, then a compiler's first
    // error, else the last line (an assertion, a panic; not Node's version banner).
    let lines: Vec<&str> = exec
        .output_tail
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with("Node.js v"))
        .collect();
    let case = lines.iter().find(|l| l.starts_with("case ") || l.contains(": case "));
    let error =
        lines.iter().find(|l| l.starts_with("error") || l.contains(": error:") || l.contains("error TS"));
    let last = case.or(error).or(lines.last()).copied().unwrap_or("");
    let last: String = last.chars().take(200).collect();
    if !exec.compiled {
        format!("compile error: {last}")
    } else if exec.outcome == "time_limit" {
        "hit the time limit (an endless loop or a very slow solution)".into()
    } else {
        format!("{}: {last}", exec.detail)
    }
}

/// What an exercise's tests drive, with the inputs drafted for it.
enum Face {
    /// A function of a neutral signature, called on argument lists.
    Call { sig: Signature, inputs: Vec<Vec<Value>> },
    /// A whole program (bash), fed each text on stdin.
    Program { stdins: Vec<String> },
}

/// The cases a reference run gave.
enum CaseSet {
    Calls(Vec<CallCase>),
    Io(Vec<IoCase>),
}

impl Face {
    fn sig(&self) -> Option<&Signature> {
        match self {
            Face::Call { sig, .. } => Some(sig),
            Face::Program { .. } => None,
        }
    }

    /// Runs the reference `solution` on every input.
    fn run(
        &self,
        checker: &dyn Checker,
        lang: &str,
        solution: &str,
    ) -> Result<Result<CaseRun, String>, CodeError> {
        Ok(match self {
            Face::Call { sig, inputs } => checker.run_calls(lang, sig, solution, inputs)?,
            Face::Program { stdins } => checker.run_stdins(lang, solution, stdins)?,
        })
    }

    /// This face (its signature) on the inputs of `parts`, one after another; parts of the
    /// other kind add none.
    fn joined<'f>(&self, parts: impl Iterator<Item = &'f Face>) -> Face {
        let parts: Vec<&Face> = parts.collect();
        match self {
            Face::Call { sig, .. } => Face::Call {
                sig: sig.clone(),
                inputs: parts
                    .iter()
                    .flat_map(|p| if let Face::Call { inputs, .. } = p { inputs.clone() } else { Vec::new() })
                    .collect(),
            },
            Face::Program { .. } => Face::Program {
                stdins: parts
                    .iter()
                    .flat_map(|p| if let Face::Program { stdins } = p { stdins.clone() } else { Vec::new() })
                    .collect(),
            },
        }
    }

    /// The cases from what the reference returned or printed.
    fn cases(&self, results: &[Result<Value, String>]) -> Result<CaseSet, String> {
        match self {
            Face::Call { sig, inputs } => cases::derive_cases(sig, inputs, results).map(CaseSet::Calls),
            Face::Program { stdins } => cases::derive_io_cases(stdins, results).map(CaseSet::Io),
        }
    }
}

impl CaseSet {
    fn tests(&self, checker: &dyn Checker, lang: &str, sig: Option<&Signature>) -> Result<String, String> {
        match (self, sig) {
            (CaseSet::Calls(c), Some(sig)) => checker.case_tests(lang, sig, c),
            (CaseSet::Io(c), _) => checker.io_tests(lang, c),
            (CaseSet::Calls(_), None) => Err("call cases need a signature".into()),
        }
    }

    fn to_json(&self) -> Vec<Value> {
        match self {
            CaseSet::Calls(c) => c.iter().map(|c| serde_json::to_value(c).unwrap_or_default()).collect(),
            CaseSet::Io(c) => c.iter().map(|c| serde_json::to_value(c).unwrap_or_default()).collect(),
        }
    }

    /// A few cases in words, for the instruction writer.
    fn examples(&self, entry: &str) -> Vec<String> {
        match self {
            CaseSet::Calls(c) => example_lines(entry, c),
            CaseSet::Io(c) => c
                .iter()
                .take(EXAMPLES_IN_PROMPT)
                .map(|c| {
                    format!(
                        "given the input {} it prints {}",
                        Value::from(c.stdin.as_str()),
                        Value::from(c.stdout.as_str())
                    )
                })
                .collect(),
        }
    }
}

/// Whether `lang`'s exercises are programs fed on stdin (bash) rather than functions.
pub(crate) fn takes_stdin_cases(checker: &dyn Checker, lang: &str) -> bool {
    checker.io_tests(lang, &[IoCase { stdin: String::new(), stdout: String::new() }]).is_ok()
}

/// The texts of a program draft's inputs, each once, as whole lines: a list is read as
/// its lines and a number as its digits, and every non-empty input ends with a newline
/// (`while read` skips a last line without one).
pub fn program_inputs(raw: &[Value]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for v in raw {
        let text = match v {
            Value::String(s) => s.clone(),
            Value::Array(items) => items
                .iter()
                .map(|i| match i {
                    Value::String(s) => s.clone(),
                    other => other.to_string(),
                })
                .collect::<Vec<_>>()
                .join("\n"),
            Value::Null => continue,
            other => other.to_string(),
        };
        let text = if text.is_empty() || text.ends_with('\n') { text } else { format!("{text}\n") };
        if !out.contains(&text) {
            out.push(text);
        }
    }
    out.truncate(MAX_INPUTS);
    out
}

/// What the drafting step settled: the face with its inputs, the implementer's brief,
/// the declaration (or, for a program, its contract) and the concepts.
struct Drafted {
    face: Face,
    idea: String,
    declaration: String,
    concepts: Vec<String>,
}

/// Drafts a function (signature, idea, inputs); `None` when the draft failed (recorded in `d`).
async fn draft_call(
    caller: &Caller<'_>,
    checker: &dyn Checker,
    topic: &DerivedTopic<'_>,
    data: Value,
    usage: &mut Usage,
    d: &mut Derived,
) -> Result<Option<Drafted>, CodeError> {
    let lang = topic.proposer.lang.as_str();
    let (param_types, return_types) = topic.types;
    let schema = answer::draft_schema_for(param_types, return_types);
    let mut data = data;
    data["param_types"] = serde_json::json!(param_types);
    data["return_types"] = serde_json::json!(return_types);
    for key in ["copied", "repeated", "bad_signature", "signature_error"] {
        data[key] = Value::from("");
    }
    d.templates.insert("code_draft");
    // A pool example's function under its own name is a copy of our prompt, not an idea:
    // the agent is told so and drafts once more.
    let mut call_no = 0;
    let (draft, sig) = loop {
        let answer = caller.ask::<Draft, _>("code_draft", &data, schema.clone(), call_no, usage).await?;
        let Some(draft) = d.answered(lang, "draft", answer) else { return Ok(None) };
        // A signature outside the notation, or the pool example's function: the agent
        // is told which and drafts once more.
        let text = draft.signature_text();
        let (stage, reason) = match Signature::parse_lenient(&text) {
            Err(e) => {
                data["bad_signature"] = Value::from(text.as_str());
                data["signature_error"] = Value::from(e.to_string());
                ("signature", e.to_string())
            }
            Ok(sig)
                if topic
                    .examples
                    .iter()
                    .any(|e| e.signature.split('(').next() == Some(sig.name.as_str())) =>
            {
                data["copied"] = Value::from(sig.name.as_str());
                ("prompt_copy", format!("`{}` is one of our prompts' stock examples", sig.name))
            }
            Ok(sig) if topic.written.contains(&sig.name) => {
                data["repeated"] = Value::from(sig.name.as_str());
                ("repeated_function", format!("`{}` is a function the team already wrote", sig.name))
            }
            Ok(sig) => break (draft, sig),
        };
        if call_no > 0 {
            d.fail(lang, "propose", stage, format!("{reason} (in both drafts)"));
            return Ok(None);
        }
        d.dialogue.push(turn("pipeline", "check", &reason));
        call_no = DRAFT_AGAIN;
    };
    d.function = sig.name.clone();
    let declaration = match checker.declaration(lang, &sig) {
        Ok(decl) => decl,
        Err(e) => {
            d.fail(lang, "propose", "signature", e);
            return Ok(None);
        }
    };
    let mut inputs = usable_inputs(&sig, &draft.inputs);
    let mut asked = draft.inputs.len();
    if inputs.len() < cases::MIN_CASES {
        // Too few fit (the 0.5B wrote `[1, 2, 3]` for most signatures): asked for once
        // more, each input an object typed by the signature, which a grammar enforces.
        d.dialogue.push(turn(
            "pipeline",
            "check",
            &format!("{} of the {} inputs fit `{sig}`", inputs.len(), draft.inputs.len()),
        ));
        let params: Vec<Value> = sig
            .params
            .iter()
            .map(|p| serde_json::json!({"name": p.name, "type": p.ty.to_string()}))
            .collect();
        let ask = serde_json::json!({
            "lang": lang, "signature": sig.to_string(), "idea": draft.idea, "params": params,
        });
        d.templates.insert("code_inputs");
        let answer = caller
            .ask::<answer::Inputs, _>("code_inputs", &ask, answer::inputs_schema(&sig), INPUTS_AGAIN, usage)
            .await?;
        let Some(again) = d.answered(lang, "inputs", answer) else { return Ok(None) };
        inputs = usable_inputs(&sig, &again.inputs);
        asked = again.inputs.len();
    }
    if inputs.len() < cases::MIN_CASES {
        d.fail(
            lang,
            "propose",
            "cases",
            format!(
                "{} of the {} inputs fit `{sig}`; {} are needed (first draft's first: {})",
                inputs.len(),
                asked,
                cases::MIN_CASES,
                draft
                    .inputs
                    .first()
                    .map(|v| v.to_string().chars().take(80).collect::<String>())
                    .unwrap_or_default()
            ),
        );
        return Ok(None);
    }
    Ok(Some(Drafted {
        face: Face::Call { sig, inputs },
        idea: draft.idea,
        declaration,
        concepts: draft.concepts,
    }))
}

/// The [`answer::DRAFT_TYPES`] `lang` can declare as a parameter and as a return type.
pub(crate) fn draft_types(checker: &dyn Checker, lang: &str) -> DraftTypes {
    let fits =
        |text: String| text.parse::<Signature>().is_ok_and(|sig| checker.declaration(lang, &sig).is_ok());
    let mut params = Vec::new();
    let mut returns = Vec::new();
    for ty in answer::DRAFT_TYPES {
        if fits(format!("f(x: {ty}) -> int")) {
            params.push(ty.to_string());
        }
        if fits(format!("f(x: int) -> {ty}")) {
            returns.push(ty.to_string());
        }
    }
    // A checker without declarations (a test double) takes every type.
    if params.is_empty() || returns.is_empty() {
        let all: Vec<String> = answer::DRAFT_TYPES.iter().map(|t| t.to_string()).collect();
        return (all.clone(), all);
    }
    (params, returns)
}

/// Drafts a program (name, idea, stdin texts); `None` when the draft failed.
async fn draft_program(
    caller: &Caller<'_>,
    lang: &str,
    rules: &str,
    written: &[String],
    data: Value,
    usage: &mut Usage,
    d: &mut Derived,
) -> Result<Option<Drafted>, CodeError> {
    d.templates.insert("code_draft_program");
    let mut data = data;
    data["repeated"] = Value::from("");
    let mut call_no = 0;
    let draft = loop {
        let answer = caller
            .ask::<ProgramDraft, _>(
                "code_draft_program",
                &data,
                answer::program_draft_schema(),
                call_no,
                usage,
            )
            .await?;
        let Some(draft) = d.answered(lang, "draft", answer) else { return Ok(None) };
        if !written.contains(&draft.name) {
            break draft;
        }
        let reason = format!("`{}` is a program the team already wrote", draft.name);
        if call_no > 0 {
            d.fail(lang, "propose", "repeated_function", format!("{reason} (in both drafts)"));
            return Ok(None);
        }
        data["repeated"] = Value::from(draft.name.as_str());
        d.dialogue.push(turn("pipeline", "check", &reason));
        call_no = DRAFT_AGAIN;
    };
    d.function = draft.name.clone();
    let stdins = program_inputs(&draft.inputs);
    if stdins.len() < cases::MIN_CASES {
        d.fail(
            lang,
            "propose",
            "cases",
            format!("{} distinct inputs; {} are needed", stdins.len(), cases::MIN_CASES),
        );
        return Ok(None);
    }
    Ok(Some(Drafted {
        face: Face::Program { stdins },
        idea: draft.idea,
        declaration: rules.to_string(),
        concepts: draft.concepts,
    }))
}

pub(crate) async fn derive(
    caller: &Caller<'_>,
    checker: &dyn Checker,
    topic: DerivedTopic<'_>,
    usage: &mut Usage,
) -> Result<Derived, CodeError> {
    let proposer = topic.proposer;
    let lang = proposer.lang.as_str();
    let mut d = Derived {
        proposer: lang.to_string(),
        seed_origin: topic.seed.map(|s| s.origin.clone()),
        ..Derived::default()
    };
    let ctx = proposer.context()?;
    let rules = checker.solution_rules(lang);
    let program = topic.program;
    d.templates.insert("system");
    let data = serde_json::json!({
        "lang": lang,
        "snippet": topic.seed.map_or("", |s| s.code.as_str()),
        "rules": rules,
        "types": checker.type_guide(lang),
        "reflections": ctx.reflections,
        "faults": ctx.faults,
        "avoid": ctx.avoid,
    });
    let drafted = if program {
        draft_program(caller, lang, &rules, topic.written, data, usage, &mut d).await?
    } else {
        draft_call(caller, checker, &topic, data, usage, &mut d).await?
    };
    let Some(Drafted { face, idea, declaration, concepts }) = drafted else { return Ok(d) };
    // The solution is written against the exact declaration, in a call of its own.
    d.templates.insert("code_implement");
    let mut call_no = 1u64;
    let data = serde_json::json!({
        "lang": lang, "idea": idea, "declaration": declaration, "rules": rules, "program": program,
        "types": checker.type_guide(lang),
    });
    let answer = caller.ask_code("code_implement", &data, call_no, usage).await?;
    let Some(first) = d.answered(lang, "implement", answer) else { return Ok(d) };
    let mut solution = checker.repair(lang, face.sig(), &first.solution);
    let mut attempts = 0u32;
    let mut faults = Vec::new();
    // Run the reference on the inputs; one fix when it does not compile or run at all.
    let run = loop {
        attempts += 1;
        let run = match face.run(checker, lang, &solution)? {
            Ok(run) => run,
            Err(e) => {
                d.fail(lang, "propose", "cases", e);
                return Ok(d);
            }
        };
        let ok = run.results.iter().filter(|r| r.is_ok()).count();
        if run.execution.compiled && ok > 0 {
            break run;
        }
        let problem = if run.execution.compiled {
            format!(
                "every input failed; first: {}",
                run.results.first().and_then(|r| r.clone().err()).unwrap_or_default()
            )
        } else {
            problem_of(&run.execution)
        };
        faults.push(problem.clone());
        let stage = if run.execution.compiled { "cases" } else { "compile" };
        if attempts > 1 {
            let mut f = DerivedFailure {
                solution: solution.clone(),
                attempts,
                concepts: concepts.clone(),
                limit: run.execution.limit(),
                ..failure(lang, "propose", stage, &problem)
            };
            f.reason = problem;
            d.failures.push(f);
            return Ok(d);
        }
        d.templates.insert("code_fix");
        d.dialogue.push(turn("sandbox", "check", &problem));
        call_no += 1;
        let data = serde_json::json!({
            "lang": lang, "declaration": declaration, "solution": solution, "problem": problem,
            "output": tail(&run.execution.output_tail, OUTPUT_IN_PROMPT), "rules": rules, "program": program,
        });
        match caller.ask_code("code_fix", &data, call_no, usage).await? {
            Ok((a, raw)) => {
                d.dialogue.push(turn(lang, "fix", &raw));
                solution = checker.repair(lang, face.sig(), &a.solution);
            }
            Err(e) => {
                d.note_error(&e);
                d.fail(lang, "propose", stage, format!("{problem}; fix: {}", e.reason()));
                return Ok(d);
            }
        }
    };
    let case_set = match face.cases(&run.results) {
        Ok(c) => c,
        Err(e) => {
            d.failures.push(DerivedFailure {
                solution: solution.clone(),
                attempts,
                concepts: concepts.clone(),
                ..failure(lang, "propose", "cases", &e)
            });
            return Ok(d);
        }
    };
    let tests = match case_set.tests(checker, lang, face.sig()) {
        Ok(t) => t,
        Err(e) => {
            d.fail(lang, "propose", "cases", e);
            return Ok(d);
        }
    };
    let source =
        Target { lang, sig: face.sig(), declaration: declaration.clone(), rules: rules.clone(), tests };
    let exec = checker.check(lang, &solution, &source.tests)?;
    if !exec.passed {
        // The harness saw these values, so only nondeterminism gets here.
        d.failures.push(DerivedFailure {
            solution: solution.clone(),
            attempts,
            concepts: concepts.clone(),
            limit: exec.limit(),
            ..failure(
                lang,
                "propose",
                "tests",
                &format!("the derived tests fail the solution that produced them: {}", problem_of(&exec)),
            )
        });
        return Ok(d);
    }
    if let Some(reason) = same_behaviour(checker, lang, &face, &solution, &run.results, topic.kept)? {
        d.failures.push(DerivedFailure {
            solution: solution.clone(),
            attempts,
            concepts: concepts.clone(),
            ..failure(lang, "propose", "same_behaviour", &reason)
        });
        return Ok(d);
    }
    let stub = checker.check_stub(lang, &source.tests)?;
    if stub.passed {
        d.failures.push(DerivedFailure {
            solution: solution.clone(),
            attempts,
            concepts: concepts.clone(),
            ..failure(lang, "propose", "vacuous_tests", "the derived tests pass against the stub")
        });
        return Ok(d);
    }
    let mutation =
        match mutation_gate(checker, lang, face.sig(), &solution, &source.tests, topic.min_mutation_score)? {
            Ok(m) => m,
            Err(reason) => {
                d.failures.push(DerivedFailure {
                    solution: solution.clone(),
                    attempts,
                    concepts: concepts.clone(),
                    ..failure(lang, "propose", "mutation", &reason)
                });
                return Ok(d);
            }
        };
    d.signature = face.sig().cloned();
    d.cases = case_set.to_json();

    // Answer → instruction.
    let entry = face.sig().map(|sig| checker.entry_name(lang, sig)).unwrap_or_default();
    d.templates.insert("code_instruct");
    call_no += 1;
    let data = serde_json::json!({
        "lang": lang, "solution": solution, "declaration": declaration, "entry": entry,
        "examples": case_set.examples(&entry), "critiques": Vec::<String>::new(), "program": program,
    });
    let answer = caller
        .ask::<Instruction, _>("code_instruct", &data, answer::instruction_schema(), call_no, usage)
        .await?;
    let Some(written) = d.answered(lang, "instruct", answer) else { return Ok(d) };
    let instruction = written.instruction.trim().to_string();
    let problem = if program {
        gates::program_instruction_problem(&instruction)
    } else {
        gates::instruction_problem(&instruction, &entry)
    };
    if let Some((stage, reason)) = problem {
        d.failures.push(DerivedFailure {
            solution: solution.clone(),
            instruction: instruction.clone(),
            concepts: concepts.clone(),
            attempts,
            ..failure(lang, "propose", stage, &reason)
        });
        return Ok(d);
    }
    let exercise = Exercise {
        instruction: instruction.clone(),
        solution: solution.clone(),
        tests: source.tests.clone(),
        entry_point: entry.clone(),
        explanation: written.explanation.trim().to_string(),
        concepts: concepts.clone(),
    };
    let mut dialogue = Vec::new();
    match fresh_solve(caller, checker, &source, &instruction, &mut call_no, &mut dialogue, usage, &mut d)
        .await?
    {
        Ok(tries) => d.samples.push(DerivedSample {
            lang: lang.to_string(),
            role: "propose",
            verified: Verified {
                exercise: exercise.clone(),
                execution: exec,
                stub,
                attempts,
                faults: faults.clone(),
                dialogue,
            },
            fresh_tries: tries,
            mutation,
        }),
        Err(reason) => {
            d.failures.push(DerivedFailure {
                solution: solution.clone(),
                instruction: instruction.clone(),
                concepts: concepts.clone(),
                attempts,
                ..failure(lang, "propose", "round_trip", &reason)
            });
            return Ok(d);
        }
    }

    // Ports, each checked against the source's cases (a program is not ported: no other
    // language takes stdin cases yet).
    let (Face::Call { sig, .. }, CaseSet::Calls(case_list)) = (&face, &case_set) else { return Ok(d) };
    for other in &topic.others {
        let olang = other.lang.as_str();
        let (Ok(odecl), Ok(otests)) =
            (checker.declaration(olang, sig), checker.case_tests(olang, sig, case_list))
        else {
            tracing::debug!(lang = olang, signature = %sig, "the language cannot express the signature; no port");
            continue;
        };
        let target = Target {
            lang: olang,
            sig: Some(sig),
            declaration: odecl,
            rules: checker.solution_rules(olang),
            tests: otests,
        };
        let oinstruction = renamed(checker, lang, olang, sig, &instruction);
        let octx = other.context()?;
        d.templates.insert("code_translate");
        call_no += 1;
        let data = serde_json::json!({
            "lang": olang, "from_lang": lang, "instruction": oinstruction, "source": solution,
            "declaration": target.declaration, "rules": target.rules,
            "reflections": octx.reflections, "faults": octx.faults,
        });
        let mut odialogue = Vec::new();
        let (mut osolution, critique) = match caller.ask_code("code_translate", &data, call_no, usage).await?
        {
            Ok((a, raw)) => {
                odialogue.push(turn(olang, "port", &raw));
                (checker.repair(olang, Some(sig), &a.solution), a.critique)
            }
            Err(e) => {
                d.note_error(&e);
                d.fail(olang, "port", e.stage(), e.reason());
                continue;
            }
        };
        if !critique.trim().is_empty() {
            d.critiques.push(format!("[{olang}] {}", first_line(&critique, 300)));
        }
        let mut oattempts = 0u32;
        let mut ofaults = Vec::new();
        let mut olimit = None;
        let passed = loop {
            oattempts += 1;
            let exec = checker.check(olang, &osolution, &target.tests)?;
            if exec.passed {
                break Some(exec);
            }
            olimit = exec.limit();
            let problem = if exec.compiled {
                format!("disagrees with the {lang} source on its cases: {}", problem_of(&exec))
            } else {
                problem_of(&exec)
            };
            ofaults.push(problem.clone());
            if oattempts > 1 {
                break None;
            }
            d.templates.insert("code_fix");
            odialogue.push(turn("sandbox", "check", &problem));
            call_no += 1;
            let data = serde_json::json!({
                "lang": olang, "declaration": target.declaration, "solution": osolution, "problem": problem,
                "output": tail(&exec.output_tail, OUTPUT_IN_PROMPT), "rules": target.rules, "program": false,
            });
            match caller.ask_code("code_fix", &data, call_no, usage).await? {
                Ok((a, raw)) => {
                    odialogue.push(turn(olang, "fix", &raw));
                    osolution = checker.repair(olang, Some(sig), &a.solution);
                }
                Err(e) => {
                    d.note_error(&e);
                    break None;
                }
            }
        };
        let Some(oexec) = passed else {
            let reason = ofaults.last().cloned().unwrap_or_else(|| "the port did not pass".into());
            d.failures.push(DerivedFailure {
                solution: osolution.clone(),
                instruction: oinstruction,
                concepts: concepts.clone(),
                attempts: oattempts,
                limit: olimit,
                ..failure(olang, "port", "port_mismatch", &reason)
            });
            continue;
        };
        let ostub = checker.check_stub(olang, &target.tests)?;
        if ostub.passed {
            d.failures.push(DerivedFailure {
                solution: osolution.clone(),
                attempts: oattempts,
                ..failure(olang, "port", "vacuous_tests", "the cases pass against the stub")
            });
            continue;
        }
        let omutation = match mutation_gate(
            checker,
            olang,
            Some(sig),
            &osolution,
            &target.tests,
            topic.min_mutation_score,
        )? {
            Ok(m) => m,
            Err(reason) => {
                d.failures.push(DerivedFailure {
                    solution: osolution.clone(),
                    attempts: oattempts,
                    instruction: oinstruction,
                    ..failure(olang, "port", "mutation", &reason)
                });
                continue;
            }
        };
        match fresh_solve(
            caller,
            checker,
            &target,
            &oinstruction,
            &mut call_no,
            &mut odialogue,
            usage,
            &mut d,
        )
        .await?
        {
            Ok(tries) => d.samples.push(DerivedSample {
                lang: olang.to_string(),
                role: "port",
                verified: Verified {
                    exercise: Exercise {
                        instruction: oinstruction,
                        solution: osolution,
                        tests: target.tests.clone(),
                        entry_point: checker.entry_name(olang, sig),
                        explanation: String::new(),
                        concepts: concepts.clone(),
                    },
                    execution: oexec,
                    stub: ostub,
                    attempts: oattempts,
                    faults: ofaults,
                    dialogue: odialogue,
                },
                fresh_tries: tries,
                mutation: omutation,
            }),
            Err(reason) => d.failures.push(DerivedFailure {
                solution: osolution.clone(),
                instruction: oinstruction,
                concepts: concepts.clone(),
                attempts: oattempts,
                ..failure(olang, "port", "round_trip", &reason)
            }),
        }
    }
    Ok(d)
}

/// The kept exercise `solution` behaves as, if any: one of the same shape (parameter and
/// return types; a program for a program) on whose every input `solution` returns or
/// prints what the kept one's cases expect, and, where the memory holds the kept
/// solution, which returns `solution`'s own results (`ours`) on `solution`'s inputs too.
/// The names and the wording differ; the exercise does not (the 0.5B's `find_gcd` after
/// `gcd`). Candidates' inputs go through the harness in chunks of [`BEHAVIOUR_CHUNK`].
fn same_behaviour(
    checker: &dyn Checker,
    lang: &str,
    face: &Face,
    solution: &str,
    ours: &[Result<Value, String>],
    kept: &[KeptFunction],
) -> Result<Option<String>, CodeError> {
    let shape =
        |s: &Signature| (s.params.iter().map(|p| p.ty.clone()).collect::<Vec<_>>(), s.returns.clone());
    // Per candidate: the kept function, its inputs as a face, and its expected values.
    let mut candidates: Vec<(&KeptFunction, Face, Vec<Value>)> = Vec::new();
    for k in kept {
        let candidate: (&KeptFunction, Face, Vec<Value>) = match face {
            Face::Call { sig, .. } => {
                let Ok(ksig) = k.signature.parse::<Signature>() else { continue };
                let Ok(cases) = parse_all::<CallCase>(&k.cases) else { continue };
                if shape(&ksig) != shape(sig) {
                    continue;
                }
                let inputs = cases.iter().map(|c| c.args.clone()).collect();
                (k, Face::Call { sig: ksig, inputs }, cases.into_iter().map(|c| c.expected).collect())
            }
            Face::Program { .. } => {
                let Ok(cases) = parse_all::<IoCase>(&k.cases) else { continue };
                if !k.signature.is_empty() {
                    continue;
                }
                let stdins = cases.iter().map(|c| c.stdin.clone()).collect();
                (k, Face::Program { stdins }, cases.into_iter().map(|c| Value::String(c.stdout)).collect())
            }
        };
        if !candidate.2.is_empty() {
            candidates.push(candidate);
        }
    }
    let same = |got: &Result<Value, String>, want: &Value| match (got, face.sig()) {
        (Ok(v), Some(sig)) => sig.returns.same(v, want),
        (Ok(v), None) => v == want,
        (Err(_), _) => false,
    };
    let mut rest = candidates.as_slice();
    while !rest.is_empty() {
        // A chunk: candidates until their inputs fill it (at least one candidate).
        let mut n = 0;
        let mut size = 0;
        while n < rest.len() && (n == 0 || size + rest[n].2.len() <= BEHAVIOUR_CHUNK) {
            size += rest[n].2.len();
            n += 1;
        }
        let (chunk, later) = rest.split_at(n);
        rest = later;
        let probe = face.joined(chunk.iter().map(|(_, f, _)| f));
        let Ok(run) = probe.run(checker, lang, solution)? else { continue };
        let mut results = run.results.iter();
        for (k, kface, expected) in chunk {
            let got: Vec<&Result<Value, String>> = results.by_ref().take(expected.len()).collect();
            let forward = got.len() == expected.len() && got.iter().zip(expected).all(|(g, w)| same(g, w));
            if !forward {
                continue;
            }
            // Both ways, where the kept solution is known: it returns ours on our inputs.
            if !k.solution.is_empty() {
                let ours_face = match (face, kface) {
                    (Face::Call { inputs, .. }, Face::Call { sig: ksig, .. }) => {
                        Face::Call { sig: ksig.clone(), inputs: inputs.clone() }
                    }
                    (Face::Program { stdins }, _) => Face::Program { stdins: stdins.clone() },
                    _ => continue,
                };
                let klang = if k.lang.is_empty() { lang } else { k.lang.as_str() };
                let Ok(back) = ours_face.run(checker, klang, &k.solution)? else { continue };
                let agree = back.results.len() == ours.len()
                    && back.results.iter().zip(ours).all(|(b, o)| match o {
                        Ok(want) => same(b, want),
                        Err(_) => b.is_err(),
                    });
                if !agree {
                    continue;
                }
            }
            return Ok(Some(format!(
                "behaves as `{}`, which the team already kept, on all {} of its cases",
                k.name,
                expected.len()
            )));
        }
    }
    Ok(None)
}

/// Most inputs one `same_behaviour` harness run takes (its output tail holds them all).
const BEHAVIOUR_CHUNK: usize = 32;

fn parse_all<T: serde::de::DeserializeOwned>(values: &[Value]) -> Result<Vec<T>, serde_json::Error> {
    values.iter().map(|v| serde_json::from_value(v.clone())).collect()
}

/// The mutants of `solution` its tests reject; `Err(reason)` below `min`.
fn mutation_gate(
    checker: &dyn Checker,
    lang: &str,
    sig: Option<&Signature>,
    solution: &str,
    tests: &str,
    min: f64,
) -> Result<Result<MutationResult, String>, CodeError> {
    let zero = sig.and_then(|sig| checker.default_return(lang, sig));
    let style = mutate::Style { zero: zero.as_deref(), program: sig.is_none() };
    let result = mutate::measure(checker, lang, solution, tests, style)?;
    Ok(match result.score() {
        Some(score) if score < min => Err(format!(
            "the cases reject {} of {} mutants of the solution ({score:.2}, below {min})",
            result.killed, result.valid
        )),
        _ => Ok(result),
    })
}

fn failure(lang: &str, role: &'static str, stage: &'static str, reason: &str) -> DerivedFailure {
    DerivedFailure {
        lang: lang.to_string(),
        role,
        stage,
        reason: reason.to_string(),
        attempts: 0,
        instruction: String::new(),
        concepts: Vec::new(),
        limit: None,
        solution: String::new(),
    }
}

/// A fresh call sees only the instruction and the declaration; its solution must pass
/// the cases. `Ok(tries)` or `Err(why not)`.
#[allow(clippy::too_many_arguments)]
async fn fresh_solve(
    caller: &Caller<'_>,
    checker: &dyn Checker,
    target: &Target<'_>,
    instruction: &str,
    call_no: &mut u64,
    dialogue: &mut Vec<Turn>,
    usage: &mut Usage,
    d: &mut Derived,
) -> Result<Result<u32, String>, CodeError> {
    d.templates.insert("code_solve");
    let mut last = String::new();
    for tries in 1..=FRESH_TRIES {
        *call_no += 1;
        let data = serde_json::json!({
            "lang": target.lang, "instruction": instruction, "declaration": target.declaration, "rules": target.rules,
            "program": target.sig.is_none(),
        });
        match caller.ask_code("code_solve", &data, 500 + *call_no, usage).await? {
            Ok((a, raw)) => {
                dialogue.push(turn(target.lang, "fresh_solve", &raw));
                let solution = checker.repair(target.lang, target.sig, &a.solution);
                let exec = checker.check(target.lang, &solution, &target.tests)?;
                if exec.passed {
                    return Ok(Ok(tries));
                }
                last = problem_of(&exec);
            }
            Err(e) => {
                d.note_error(&e);
                last = e.reason();
            }
        }
    }
    tracing::debug!(lang = target.lang, "no fresh solve passed");
    Ok(Err(format!("no fresh solve from the instruction alone passed in {FRESH_TRIES} tries; last: {last}")))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn inputs_that_fit_the_signature_are_kept_once() {
        let sig: Signature = "f(xs: list[int], k: int) -> int".parse().unwrap();
        let raw =
            vec![json!([[1, 2], 3]), json!([[1, 2], 3]), json!([[1], "x"]), json!([1, 2, 3]), json!([[], 0])];
        assert_eq!(usable_inputs(&sig, &raw), vec![vec![json!([1, 2]), json!(3)], vec![json!([]), json!(0)]]);
        let one: Signature = "g(s: str) -> int".parse().unwrap();
        assert_eq!(
            usable_inputs(&one, &[json!("a"), json!(["b"])]),
            vec![vec![json!("a")], vec![json!("b")]]
        );
        // Several arguments of a one-parameter function in one list.
        let n: Signature = "h(n: int) -> int".parse().unwrap();
        assert_eq!(
            usable_inputs(&n, &[json!([1, 2, 3]), json!([2])]),
            vec![vec![json!(1)], vec![json!(2)], vec![json!(3)]]
        );
        // By name, as small models often write them.
        assert_eq!(
            usable_inputs(&sig, &[json!({"xs": [4], "k": 1}), json!({"xs": [4]})]),
            vec![vec![json!([4]), json!(1)]]
        );
    }

    #[test]
    fn the_problem_line_is_the_failing_case_or_the_first_error() {
        let exec = |compiled: bool, tail: &str| Execution {
            passed: false,
            compiled,
            outcome: "failed".into(),
            detail: "failed (exit 1)".into(),
            runtime_ms: 1,
            output_tail: tail.into(),
            files: Default::default(),
            commands: Vec::new(),
            raw_check: Value::Null,
        };
        let go = "--- FAIL: TestCases (0.00s)\n    solution_test.go:61: case 2: got 3, want 4\nFAIL\n";
        assert_eq!(
            problem_of(&exec(true, go)),
            "failed (exit 1): solution_test.go:61: case 2: got 3, want 4"
        );
        let node = "case 0: got 1, want 2\nError: 1 case(s) failed\n\nNode.js v20.20.2\n";
        assert_eq!(problem_of(&exec(true, node)), "failed (exit 1): case 0: got 1, want 2");
        let rustc = "error[E0425]: cannot find function `f`\n --> tests.rs:3\n\nFor more information about this error, try `rustc --explain E0425`.\n";
        assert_eq!(problem_of(&exec(false, rustc)), "compile error: error[E0425]: cannot find function `f`");
    }

    #[test]
    fn names_are_replaced_as_whole_words_only() {
        assert_eq!(
            replace_word("Write top_k(xs, k); top_kx stays, k too.", "top_k", "topK"),
            "Write topK(xs, k); top_kx stays, k too."
        );
        assert_eq!(replace_word("use k and kk", "k", "K"), "use K and kk");
    }

    #[test]
    fn the_example_pool_parses_and_every_signature_is_valid() {
        let pool = prompt_examples();
        assert!(pool.len() >= 6);
        for e in &pool {
            let sig: Signature = e.signature.parse().unwrap();
            let inputs: Vec<Value> = serde_json::from_str(&e.inputs).unwrap();
            assert_eq!(usable_inputs(&sig, &inputs).len(), inputs.len(), "{}", e.signature);
        }
    }
}
