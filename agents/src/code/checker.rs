//! How the pipeline runs a candidate: the [`Checker`] seam. The production checker is the
//! bubblewrap sandbox (`sandbox` crate); tests can run trusted scripted code directly.

use sandbox::cases::{CallCase, IoCase, Signature, Type};
use serde_json::Value;
use std::collections::BTreeMap;

/// What a solution returned on each input (cases derived from execution).
#[derive(Debug, Clone)]
pub struct CaseRun {
    /// Per input, in order: the returned value (canonical for the return type), or why
    /// there is none.
    pub results: Vec<Result<Value, String>>,
    /// The harness run itself (a compile error shows here).
    pub execution: Execution,
}

/// What the case methods of a checker without renderers say.
const NO_CASES: &str = "this checker has no case renderers";

/// What one check of (solution, tests) observed.
#[derive(Debug, Clone, PartialEq)]
pub struct Execution {
    pub passed: bool,
    /// False when a compile step failed.
    pub compiled: bool,
    /// Short label: `passed`, `failed`, `compile_error`, `time_limit`, `memory_limit`, …
    pub outcome: String,
    /// One line for people and prompts, e.g. `failed (exit 1)`.
    pub detail: String,
    pub runtime_ms: u64,
    /// The end of stderr (or stdout when stderr is empty), for repair prompts and records.
    pub output_tail: String,
    /// The replayable check: files written and commands run.
    pub files: BTreeMap<String, String>,
    pub commands: Vec<Vec<String>>,
    /// The checker's own full record (e.g. the sandbox's `Check`), kept for replay.
    pub raw_check: serde_json::Value,
}

impl Execution {
    /// The limit that ended this execution (`time_limit`, `memory_limit`, …), if one did.
    pub fn limit(&self) -> Option<&'static str> {
        sandbox::Outcome::LIMITS.iter().find(|l| **l == self.outcome).copied()
    }
}

#[derive(Debug, thiserror::Error)]
pub enum CheckError {
    #[error("language {0:?} is not in the sandbox's registry")]
    UnknownLanguage(String),
    #[error("the toolchain for {lang} is not installed: {reason}")]
    Toolchain { lang: String, reason: String },
    #[error("the sandbox could not run the check: {0}")]
    Sandbox(String),
}

/// Compiles and tests candidates.
pub trait Checker: Send + Sync {
    /// Runs `tests` against `solution` in `lang`.
    fn check(&self, lang: &str, solution: &str, tests: &str) -> Result<Execution, CheckError>;
    /// Runs `tests` against each of `solutions`, results in order. A checker that can
    /// run several at once (the sandbox, on all its slots) does.
    fn check_many(
        &self,
        lang: &str,
        solutions: &[String],
        tests: &str,
    ) -> Result<Vec<Execution>, CheckError> {
        solutions.iter().map(|s| self.check(lang, s, tests)).collect()
    }
    /// The "empty solution" the tests must fail against.
    fn stub(&self, lang: &str) -> String;
    /// `tests` against `lang`'s stub: what a non-vacuous test file must fail.
    fn check_stub(&self, lang: &str, tests: &str) -> Result<Execution, CheckError> {
        self.check(lang, &self.stub(lang), tests)
    }
    /// How tests are written for `lang`, verbatim into prompts.
    fn convention(&self, lang: &str) -> String;
    /// A worked exercise in `lang`'s conventions, shown to the model as the form of a good
    /// answer (and kept out of the dataset by the dedup gate).
    fn example(&self, _lang: &str) -> Option<crate::code::answer::Exercise> {
        None
    }
    /// The function a given answer in `lang` defines, if it can be probed: the entry
    /// point of an exercise written around it.
    fn probe_entry(&self, _lang: &str, _code: &str) -> Option<String> {
        None
    }
    /// Tests built from what `solution` returns for `calls`: `Ok(Err(reason))` when the
    /// calls do not give enough to test (fewer than two distinct results).
    fn probe_tests(
        &self,
        _lang: &str,
        _solution: &str,
        _entry_point: &str,
        _calls: &[String],
    ) -> Result<Result<String, String>, CheckError> {
        Ok(Err("this checker cannot probe solutions".into()))
    }
    /// The declaration a solution of `sig` must have in `lang`, or why `lang` cannot
    /// express it.
    fn declaration(&self, _lang: &str, _sig: &Signature) -> Result<String, String> {
        Err(NO_CASES.into())
    }
    /// The zero value of `sig`'s return type as a `lang` literal, when `lang` can spell it.
    fn default_return(&self, _lang: &str, _sig: &Signature) -> Option<String> {
        None
    }
    /// The entry point's name in `lang`'s naming convention.
    fn entry_name(&self, _lang: &str, sig: &Signature) -> String {
        sig.name.clone()
    }
    /// A parameter's name in `lang`'s naming convention.
    fn param_name(&self, _lang: &str, snake: &str) -> String {
        snake.to_string()
    }
    /// How prose writes `lang`'s name.
    fn display_name(&self, lang: &str) -> String {
        lang.to_string()
    }
    /// How the signature types read in `lang`, one line per type, for prompts.
    fn type_guide(&self, _lang: &str) -> Vec<String> {
        Vec::new()
    }
    /// How a solution file in `lang` must look, for prompts.
    fn solution_rules(&self, _lang: &str) -> String {
        String::new()
    }
    /// Runs `solution` on every argument list and reports what it returned.
    fn run_calls(
        &self,
        _lang: &str,
        _sig: &Signature,
        _solution: &str,
        _inputs: &[Vec<Value>],
    ) -> Result<Result<CaseRun, String>, CheckError> {
        Ok(Err(NO_CASES.into()))
    }
    /// `cases` as `lang`'s test file.
    fn case_tests(&self, _lang: &str, _sig: &Signature, _cases: &[CallCase]) -> Result<String, String> {
        Err(NO_CASES.into())
    }
    /// Runs the program `solution` once per stdin and reports what it printed (as JSON
    /// strings), for a language whose exercises are programs (bash).
    fn run_stdins(
        &self,
        _lang: &str,
        _solution: &str,
        _stdins: &[String],
    ) -> Result<Result<CaseRun, String>, CheckError> {
        Ok(Err(NO_CASES.into()))
    }
    /// Program `cases` as `lang`'s test file, or why `lang` takes no stdin cases.
    fn io_tests(&self, _lang: &str, _cases: &[IoCase]) -> Result<String, String> {
        Err(NO_CASES.into())
    }
    /// `solution` with `lang`'s mechanical repairs applied (a missing `package` line or
    /// export), for the function `sig` or a program.
    fn repair(&self, _lang: &str, _sig: Option<&Signature>, solution: &str) -> String {
        solution.to_string()
    }
}

/// Fewest distinct returned values that make probed tests worth keeping: one value only
/// would also hold for a function that ignores its input.
pub const MIN_PROBED_VALUES: usize = 2;

/// Picks the probed calls that make tests, or says why there are too few.
pub fn probed_values<'a>(values: &[(&'a str, &'a str)]) -> Result<Vec<(&'a str, &'a str)>, String> {
    let distinct: std::collections::BTreeSet<&str> = values.iter().map(|(_, v)| *v).collect();
    if distinct.len() < MIN_PROBED_VALUES {
        return Err(format!(
            "{} call(s) returned {} distinct value(s); at least {MIN_PROBED_VALUES} distinct values are needed",
            values.len(),
            distinct.len()
        ));
    }
    Ok(values.to_vec())
}

/// Keeps the end of `text` within `max` bytes, on a char boundary.
pub fn tail(text: &str, max: usize) -> String {
    if text.len() <= max {
        return text.to_string();
    }
    let mut start = text.len() - max;
    while !text.is_char_boundary(start) {
        start += 1;
    }
    text[start..].to_string()
}

/// The production checker: the bubblewrap sandbox and its language registry.
#[derive(Debug)]
pub struct SandboxChecker {
    sandbox: sandbox::Sandbox,
}

impl SandboxChecker {
    pub fn new(sandbox: sandbox::Sandbox) -> SandboxChecker {
        SandboxChecker { sandbox }
    }

    pub fn sandbox(&self) -> &sandbox::Sandbox {
        &self.sandbox
    }

    fn language(&self, lang: &str) -> Result<&sandbox::Language, CheckError> {
        self.sandbox.registry().get(lang).ok_or_else(|| CheckError::UnknownLanguage(lang.to_string()))
    }
}

/// Turns the sandbox's record into the pipeline's view of it.
pub fn execution_from(rec: &sandbox::ExecRecord) -> Execution {
    let output = if rec.stderr_tail.trim().is_empty() { &rec.stdout_tail } else { &rec.stderr_tail };
    Execution {
        passed: rec.passed(),
        compiled: !matches!(rec.outcome, sandbox::Outcome::CompileError { .. }),
        outcome: rec.outcome.label().to_string(),
        detail: rec.outcome.to_string(),
        runtime_ms: rec.duration_ms,
        output_tail: tail(output, 2000),
        files: rec.check.files.clone(),
        commands: rec.check.commands.clone(),
        raw_check: serde_json::to_value(&rec.check).unwrap_or(serde_json::Value::Null),
    }
}

/// The sandbox's errors as the checker's.
fn check_error(e: sandbox::SandboxError) -> CheckError {
    match e {
        sandbox::SandboxError::ToolchainMissing { lang, detect } => {
            CheckError::Toolchain { lang, reason: format!("`{detect}` failed; run scripts/setup") }
        }
        e => CheckError::Sandbox(e.to_string()),
    }
}

impl Checker for SandboxChecker {
    fn check(&self, lang: &str, solution: &str, tests: &str) -> Result<Execution, CheckError> {
        let language = self.language(lang)?;
        self.sandbox.check(language, solution, tests).map(|rec| execution_from(&rec)).map_err(check_error)
    }

    fn check_many(
        &self,
        lang: &str,
        solutions: &[String],
        tests: &str,
    ) -> Result<Vec<Execution>, CheckError> {
        let language = self.language(lang)?;
        let results = self.sandbox.check_many(language, solutions, tests).map_err(check_error)?;
        results.into_iter().map(|r| r.map(|rec| execution_from(&rec)).map_err(check_error)).collect()
    }

    fn stub(&self, lang: &str) -> String {
        self.language(lang).map(|l| l.stub.clone()).unwrap_or_default()
    }

    fn convention(&self, lang: &str) -> String {
        self.language(lang).map(|l| l.test_convention.clone()).unwrap_or_default()
    }

    fn example(&self, lang: &str) -> Option<crate::code::answer::Exercise> {
        self.language(lang).ok()?.example.as_ref().map(example_exercise)
    }

    fn probe_entry(&self, lang: &str, code: &str) -> Option<String> {
        self.language(lang).ok()?.defined_functions(code).into_iter().next()
    }

    fn declaration(&self, lang: &str, sig: &Signature) -> Result<String, String> {
        let language = self.language(lang).map_err(|e| e.to_string())?;
        language.render_signature(sig).map_err(|e| e.to_string())
    }

    fn default_return(&self, lang: &str, sig: &Signature) -> Option<String> {
        self.language(lang).ok()?.default_return(sig).ok()
    }

    fn entry_name(&self, lang: &str, sig: &Signature) -> String {
        self.language(lang).map(|l| l.entry_name(sig)).unwrap_or_else(|_| sig.name.clone())
    }

    fn param_name(&self, lang: &str, snake: &str) -> String {
        self.language(lang).map(|l| l.param_name(snake)).unwrap_or_else(|_| snake.to_string())
    }

    fn display_name(&self, lang: &str) -> String {
        self.language(lang).map(|l| l.display.clone()).unwrap_or_else(|_| lang.to_string())
    }

    fn solution_rules(&self, lang: &str) -> String {
        self.language(lang).ok().and_then(|l| l.cases.as_ref()).map(|c| c.rules.clone()).unwrap_or_default()
    }

    fn type_guide(&self, lang: &str) -> Vec<String> {
        let Ok(language) = self.language(lang) else { return Vec::new() };
        let mut lines = Vec::new();
        let mut missing = Vec::new();
        for text in
            ["int", "float", "bool", "str", "list[int]", "dict[str, int]", "optional[int]", "tuple[int, str]"]
        {
            let Ok(ty) = text.parse::<Type>() else { continue };
            match (language.spell_type(&ty, true), language.spell_type(&ty, false)) {
                (Ok(p), Ok(r)) if p == r => lines.push(format!("`{text}` is `{r}`")),
                (Ok(p), Ok(r)) => {
                    lines.push(format!("`{text}` is `{p}` as a parameter and `{r}` as a result"))
                }
                (Ok(p), Err(_)) => lines.push(format!("`{text}` is `{p}`, as a parameter only")),
                _ => missing.push(ty.kind()),
            }
        }
        if !missing.is_empty() {
            lines.push(format!("{lang} signatures cannot use: {}", missing.join(", ")));
        }
        lines
    }

    fn run_calls(
        &self,
        lang: &str,
        sig: &Signature,
        solution: &str,
        inputs: &[Vec<Value>],
    ) -> Result<Result<CaseRun, String>, CheckError> {
        let language = self.language(lang)?;
        runs_of(self.sandbox.run_calls(language, sig, solution, inputs))
    }

    fn case_tests(&self, lang: &str, sig: &Signature, cases: &[CallCase]) -> Result<String, String> {
        let language = self.language(lang).map_err(|e| e.to_string())?;
        language.render_tests(sig, cases).map_err(|e| e.to_string())
    }

    fn run_stdins(
        &self,
        lang: &str,
        solution: &str,
        stdins: &[String],
    ) -> Result<Result<CaseRun, String>, CheckError> {
        let language = self.language(lang)?;
        runs_of(self.sandbox.run_stdins(language, solution, stdins))
    }

    fn io_tests(&self, lang: &str, cases: &[IoCase]) -> Result<String, String> {
        let language = self.language(lang).map_err(|e| e.to_string())?;
        language.render_io_tests(cases).map_err(|e| e.to_string())
    }

    fn repair(&self, lang: &str, sig: Option<&Signature>, solution: &str) -> String {
        self.language(lang).map_or_else(|_| solution.to_string(), |l| l.repair(sig, solution))
    }

    fn probe_tests(
        &self,
        lang: &str,
        solution: &str,
        entry_point: &str,
        calls: &[String],
    ) -> Result<Result<String, String>, CheckError> {
        let language = self.language(lang)?;
        let outcome = match self.sandbox.probe(language, solution, entry_point, calls) {
            Ok(Some(o)) => o,
            Ok(None) => return Ok(Err(format!("{lang} cannot be probed"))),
            Err(e) => return Err(CheckError::Sandbox(e.to_string())),
        };
        if !outcome.record.passed() {
            let exec = execution_from(&outcome.record);
            return Ok(Err(format!(
                "the solution did not run: {} {}",
                exec.detail,
                tail(&exec.output_tail, 300)
            )));
        }
        Ok(probed_values(&outcome.values())
            .map(|v| language.probe_tests(entry_point, &v).unwrap_or_default()))
    }
}

/// A harness run as the checker reports it: a case that cannot be rendered is the
/// candidate's problem, a missing toolchain or a broken sandbox is the run's.
fn runs_of(
    r: Result<sandbox::cases::Runs, sandbox::SandboxError>,
) -> Result<Result<CaseRun, String>, CheckError> {
    match r {
        Ok(runs) => Ok(Ok(CaseRun { results: runs.results, execution: execution_from(&runs.record) })),
        Err(sandbox::SandboxError::Cases(e)) => Ok(Err(e.to_string())),
        Err(sandbox::SandboxError::ToolchainMissing { lang, detect }) => {
            Err(CheckError::Toolchain { lang, reason: format!("`{detect}` failed; run scripts/setup") })
        }
        Err(e) => Err(CheckError::Sandbox(e.to_string())),
    }
}

/// The registry's worked example as an agent's answer.
pub fn example_exercise(e: &sandbox::Example) -> crate::code::answer::Exercise {
    crate::code::answer::Exercise {
        instruction: e.instruction.clone(),
        solution: e.solution.clone(),
        tests: e.tests.clone(),
        entry_point: e.entry_point.clone(),
        explanation: String::new(),
        concepts: Vec::new(),
    }
}
