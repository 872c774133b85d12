//! Test cases as data: a language-neutral [`Signature`], cases `{args, expected}` (or
//! `{stdin, stdout}` for programs), and per-language rendering of both into test files
//! and into a harness that reports what a solution returns.
//!
//! Expected values come from execution, not from a model: [`Sandbox::run_calls`] runs a
//! reference solution on the inputs and [`derive_cases`] turns what it returned into
//! cases. The same cases, rendered for another language, check a port of it.

mod render;
mod types;

pub use render::{CaseSpec, Escape, Io, Naming, Repair, quote, spell_name};
pub use types::{Param, Signature, Type, near};

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::{ExecRecord, Language, Sandbox, SandboxError};

/// Fewest cases a derived case set may have.
pub const MIN_CASES: usize = 5;
/// Fewest distinct expected values among them (a constant function is not tested), or
/// all the values the return type has when it has fewer (`bool`).
pub const MIN_DISTINCT: usize = 3;

/// Why a signature, a value or a rendering is not acceptable.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CaseError {
    #[error("bad signature `{text}`: {what}")]
    Signature { text: String, what: String },
    #[error("{value} is not a value of type {ty}")]
    Value { ty: String, value: String },
    #[error("a case has {got} argument(s), the signature {want}")]
    Arity { want: usize, got: usize },
    #[error("{lang} cannot express {what} in cases")]
    Unsupported { lang: String, what: String },
}

/// One call case: the arguments and the value the reference returned for them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CallCase {
    pub args: Vec<Value>,
    pub expected: Value,
}

/// One program case: what goes to stdin and what the reference printed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IoCase {
    pub stdin: String,
    pub stdout: String,
}

/// What a solution did on each input, in input order, and the run behind it.
#[derive(Debug, Clone)]
pub struct Runs {
    /// The returned value (canonical for the return type) or stdout, or why there is none.
    pub results: Vec<Result<Value, String>>,
    pub record: ExecRecord,
}

impl Sandbox {
    /// Runs `solution` (in `lang`, implementing `sig`) on every argument list and reports
    /// what each call returned.
    pub fn run_calls(
        &self,
        lang: &Language,
        sig: &Signature,
        solution: &str,
        inputs: &[Vec<Value>],
    ) -> Result<Runs, SandboxError> {
        let harness = lang.render_harness(sig, inputs)?;
        let record = self.check(lang, solution, &harness)?;
        let mut results = parse_harness(&record.stdout_tail, inputs.len());
        for r in &mut results {
            if let Ok(v) = r {
                *r = sig.returns.conform(v).map_err(|e| e.to_string());
            }
        }
        Ok(Runs { results, record })
    }

    /// Runs the program `solution` once per stdin and reports what it printed.
    pub fn run_stdins(
        &self,
        lang: &Language,
        solution: &str,
        stdins: &[String],
    ) -> Result<Runs, SandboxError> {
        let harness = lang.render_io_harness(stdins)?;
        let record = self.check(lang, solution, &harness)?;
        let results = parse_harness(&record.stdout_tail, stdins.len());
        Ok(Runs { results, record })
    }
}

/// Reads the harness's `@@case <i> …` lines; a case without a line (cut by the output cap
/// or a crash) is an error.
fn parse_harness(stdout: &str, n: usize) -> Vec<Result<Value, String>> {
    let mut out: Vec<Result<Value, String>> = vec![Err("no result (crashed or cut)".into()); n];
    for line in stdout.lines() {
        let Some(rest) = line.strip_prefix("@@case ") else { continue };
        let mut parts = rest.splitn(3, ' ');
        let (Some(i), Some(tag)) = (parts.next().and_then(|i| i.parse::<usize>().ok()), parts.next()) else {
            continue;
        };
        let body = parts.next().unwrap_or("");
        let Some(slot) = out.get_mut(i) else { continue };
        *slot = match tag {
            "ok" => serde_json::from_str(body)
                .map_err(|_| format!("not JSON: {}", body.chars().take(60).collect::<String>())),
            "b64" => decode_base64(body)
                .and_then(|b| String::from_utf8(b).ok())
                .map(Value::String)
                .ok_or_else(|| "bad base64".to_string()),
            _ => Err(if body.is_empty() { tag.to_string() } else { body.to_string() }),
        };
    }
    out
}

fn decode_base64(text: &str) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(text.len() * 3 / 4);
    let (mut acc, mut bits) = (0u32, 0u32);
    for c in text.trim().bytes().filter(|&c| c != b'=') {
        let v = match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            _ => return None,
        };
        acc = (acc << 6) | u32::from(v);
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
            acc &= (1 << bits) - 1;
        }
    }
    Some(out)
}

/// The call cases from a reference run: one per distinct input that returned a value.
/// Fails, saying why, when fewer than [`MIN_CASES`] remain or fewer than
/// [`MIN_DISTINCT`] distinct expected values.
pub fn derive_cases(
    sig: &Signature,
    inputs: &[Vec<Value>],
    results: &[Result<Value, String>],
) -> Result<Vec<CallCase>, String> {
    let mut cases: Vec<CallCase> = Vec::new();
    let mut errors = Vec::new();
    for (args, result) in inputs.iter().zip(results) {
        let Ok(args) = sig.conform_args(args) else { continue };
        match result {
            Ok(v) if !cases.iter().any(|c| c.args == args) => {
                cases.push(CallCase { args, expected: v.clone() })
            }
            Ok(_) => {}
            Err(e) => errors.push(e.clone()),
        }
    }
    let expected: Vec<&Value> = cases.iter().map(|c| &c.expected).collect();
    let distinct = sig.returns.cardinality().map_or(MIN_DISTINCT, |n| n.min(MIN_DISTINCT));
    enough(&expected, &errors, distinct).map(|()| cases)
}

/// The program cases from a reference run, with the same thresholds.
pub fn derive_io_cases(stdins: &[String], results: &[Result<Value, String>]) -> Result<Vec<IoCase>, String> {
    let mut cases: Vec<IoCase> = Vec::new();
    let mut errors = Vec::new();
    for (stdin, result) in stdins.iter().zip(results) {
        match result {
            Ok(Value::String(out)) if !cases.iter().any(|c| &c.stdin == stdin) => {
                cases.push(IoCase { stdin: stdin.clone(), stdout: out.clone() })
            }
            Ok(_) => {}
            Err(e) => errors.push(e.clone()),
        }
    }
    let outs: Vec<Value> = cases.iter().map(|c| Value::String(c.stdout.clone())).collect();
    enough(&outs.iter().collect::<Vec<_>>(), &errors, MIN_DISTINCT).map(|()| cases)
}

fn enough(expected: &[&Value], errors: &[String], min_distinct: usize) -> Result<(), String> {
    let mut distinct: Vec<&Value> = Vec::new();
    for v in expected {
        if !distinct.contains(v) {
            distinct.push(v);
        }
    }
    let why = errors
        .first()
        .map(|e| format!(" ({} input(s) failed, first: {e})", errors.len()))
        .unwrap_or_default();
    if expected.len() < MIN_CASES {
        return Err(format!("{} usable case(s), need {MIN_CASES}{why}", expected.len()));
    }
    if distinct.len() < min_distinct {
        return Err(format!("{} distinct expected value(s), need {min_distinct}{why}", distinct.len()));
    }
    Ok(())
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn harness_lines_are_read_by_index_and_missing_ones_are_errors() {
        let out =
            "noise\n@@case 1 ok [1, 2]\n@@case 0 err ValueError\n@@case 2 b64 aMOpCg==\n@@case 9 ok 1\n";
        let r = parse_harness(out, 4);
        assert_eq!(r[0], Err("ValueError".into()));
        assert_eq!(r[1], Ok(json!([1, 2])));
        assert_eq!(r[2], Ok(json!("hé\n")));
        assert!(r[3].is_err());
    }

    #[test]
    fn derived_cases_need_enough_distinct_values() {
        let sig: Signature = "f(x: int) -> int".parse().unwrap();
        let inputs: Vec<Vec<Value>> = (0..6).map(|i| vec![json!(i)]).collect();
        let ok: Vec<_> = (0..6).map(|i| Ok(json!(i % 3))).collect();
        assert_eq!(derive_cases(&sig, &inputs, &ok).unwrap().len(), 6);
        let flat: Vec<_> = (0..6).map(|i| Ok(json!(i % 2))).collect();
        assert!(derive_cases(&sig, &inputs, &flat).unwrap_err().contains("2 distinct"));
        let sig_bool: Signature = "f(x: int) -> bool".parse().unwrap();
        let two: Vec<_> = (0..6).map(|i| Ok(json!(i % 2 == 0))).collect();
        assert_eq!(derive_cases(&sig_bool, &inputs, &two).unwrap().len(), 6);
        let failing: Vec<_> =
            (0..6).map(|i| if i < 2 { Err("boom".to_string()) } else { Ok(json!(i)) }).collect();
        let err = derive_cases(&sig, &inputs, &failing).unwrap_err();
        assert!(err.contains("4 usable") && err.contains("first: boom"), "{err}");
    }
}
