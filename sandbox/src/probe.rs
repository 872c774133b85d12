//! Probing a trusted-or-not solution for its behaviour: run a list of call expressions
//! against it in the sandbox and turn the values it returned into tests.
//!
//! This is how an exercise whose answer is given (a seed snippet taken as the solution)
//! gets tests without asking the model for expected values, which small models get
//! wrong far more often than the calls themselves. The tests then say what the solution
//! does; the usual check still runs them, and they must still fail against the stub.
//!
//! A language supports probing when its `[language.probe]` table gives a `program`
//! (prints one JSON line `{"call": …, "value": "<literal>"}` or `{"call": …, "error": …}`
//! per call), a `header` and an `assert` line for the tests. Placeholders: `@ENTRY@`
//! (the entry point), `@CALLS@` (the calls as a JSON string literal holding a JSON
//! array), `@CALL@` and `@VALUE@` (one call and its value's literal).

use crate::{ExecRecord, Language, Sandbox, SandboxError};
use serde::{Deserialize, Serialize};

/// Values longer than this (as literals) are left out of tests: unreadable, and likely
/// to be cut by the output cap.
pub const MAX_VALUE_CHARS: usize = 300;

/// How a language probes a solution (`[language.probe]`).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct ProbeSpec {
    /// The test-file program that evaluates the calls and prints their values.
    pub program: String,
    /// The first lines of generated tests.
    pub header: String,
    /// One generated test line.
    pub assert: String,
    /// How a line that defines a function starts (`def `, `function `): the name follows.
    pub defines: Vec<String>,
}

/// What one call did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CallResult {
    pub call: String,
    /// The returned value as a literal of the language, or why there is none.
    pub value: Result<String, String>,
}

/// The probe's findings and the execution record behind them.
#[derive(Debug, Clone)]
pub struct ProbeOutcome {
    pub results: Vec<CallResult>,
    pub record: ExecRecord,
}

impl ProbeOutcome {
    /// The calls that returned a value, first occurrence of each call only.
    pub fn values(&self) -> Vec<(&str, &str)> {
        let mut seen = std::collections::HashSet::new();
        self.results
            .iter()
            .filter_map(|r| r.value.as_ref().ok().map(|v| (r.call.as_str(), v.as_str())))
            .filter(|(c, _)| seen.insert(*c))
            .collect()
    }
}

#[derive(Deserialize)]
struct Line {
    call: String,
    #[serde(default)]
    value: Option<String>,
    #[serde(default)]
    error: Option<String>,
}

impl Language {
    /// Whether the registry says how to probe this language.
    pub fn can_probe(&self) -> bool {
        self.probe.is_some()
    }

    /// Names of the functions `code` defines at the start of a line, in order.
    pub fn defined_functions(&self, code: &str) -> Vec<String> {
        let Some(spec) = &self.probe else { return Vec::new() };
        let mut out: Vec<String> = Vec::new();
        for line in code.lines() {
            for prefix in &spec.defines {
                let Some(rest) = line.strip_prefix(prefix.as_str()) else { continue };
                let name: String = rest
                    .trim_start()
                    .chars()
                    .take_while(|c| c.is_alphanumeric() || *c == '_' || *c == '$')
                    .collect();
                if !name.is_empty() && !out.contains(&name) {
                    out.push(name);
                }
            }
        }
        out
    }

    /// Tests asserting that each `(call, value)` holds, in this language's form.
    pub fn probe_tests(&self, entry_point: &str, values: &[(&str, &str)]) -> Option<String> {
        let spec = self.probe.as_ref()?;
        let mut out = spec.header.replace("@ENTRY@", entry_point);
        if !out.ends_with('\n') {
            out.push('\n');
        }
        for (call, value) in values {
            out.push_str(&spec.assert.replace("@CALL@", call).replace("@VALUE@", value));
            out.push('\n');
        }
        Some(out)
    }
}

impl Sandbox {
    /// Runs `calls` (expressions using `entry_point`) against `solution` and reports what
    /// each returned. `Ok(None)` when the language cannot be probed.
    pub fn probe(
        &self,
        lang: &Language,
        solution: &str,
        entry_point: &str,
        calls: &[String],
    ) -> Result<Option<ProbeOutcome>, SandboxError> {
        let Some(spec) = &lang.probe else { return Ok(None) };
        let list = serde_json::to_string(calls).unwrap_or_else(|_| "[]".into());
        let literal = serde_json::to_string(&list).unwrap_or_else(|_| "\"[]\"".into());
        let program = spec.program.replace("@ENTRY@", entry_point).replace("@CALLS@", &literal);
        let record = self.check(lang, solution, &program)?;
        let results = record
            .stdout_tail
            .lines()
            .filter_map(|l| serde_json::from_str::<Line>(l).ok())
            .map(|l| CallResult {
                value: match (l.value, l.error) {
                    (Some(v), _) if v.chars().count() <= MAX_VALUE_CHARS => Ok(v),
                    (Some(_), _) => Err("value too long".into()),
                    (None, e) => Err(e.unwrap_or_else(|| "no value".into())),
                },
                call: l.call,
            })
            .collect();
        Ok(Some(ProbeOutcome { results, record }))
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use crate::Registry;

    #[test]
    fn defined_functions_are_read_from_line_starts() {
        let reg = Registry::builtin();
        let py = reg.get("python").unwrap();
        let code = "import re\n\ndef helper(x):\n    def inner(): pass\n    return x\n\nasync def main_one(a, b):\n    return a\n";
        assert_eq!(py.defined_functions(code), vec!["helper", "main_one"]);
        let js = reg.get("javascript").unwrap();
        assert_eq!(
            js.defined_functions("function $go(a) {}\nconst x = 1;\nfunction go2() {}\n"),
            vec!["$go", "go2"]
        );
        let rust = reg.get("rust").unwrap();
        assert!(!rust.can_probe() && rust.defined_functions("pub fn f() {}").is_empty());
    }

    #[test]
    fn probe_tests_have_the_header_and_one_assert_per_value() {
        let reg = Registry::builtin();
        let py = reg.get("python").unwrap();
        let tests = py.probe_tests("f", &[("f(1)", "2"), ("f(\"a\")", "'b'")]).unwrap();
        assert_eq!(tests, "from solution import f\nassert f(1) == 2\nassert f(\"a\") == 'b'\n");
    }
}
