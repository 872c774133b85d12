//! `gen code --protocol discussion --dry-run` against the in-process mock OpenAI server answering with
//! exercises of a realistic size: the estimate made before any call is within 25% of
//! the tokens the run then spends, and after that run the estimate for more of the same
//! work comes from what it observed (memory tree `usage`).

#![allow(clippy::unwrap_used)]

use llm::mock_server::{MockRequest, MockServer, MockServerConfig};
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

/// (name, expression in x, the instruction): valid Python and JavaScript alike, worded
/// differently so the near-duplicate gate keeps them all.
const TOPICS: &[(&str, &str, &str)] = &[
    (
        "double_it",
        "x * 2",
        "Implement double_it(x): given an integer, hand back twice its value. Zero maps to zero and the sign is preserved.",
    ),
    (
        "square_it",
        "x * x",
        "A geometry helper is needed. square_it(x) should compute the area of a square whose side length is the integer x (negative sides are allowed and give a positive area).",
    ),
    (
        "negate_it",
        "0 - x",
        "Flip the sign of a number: negate_it(x) returns the additive inverse of x, so that x plus the result is always exactly zero.",
    ),
    (
        "successor",
        "x + 1",
        "Peano arithmetic starts with a successor function. Write successor(x), which yields the next integer after x, for any integer input including negatives.",
    ),
    (
        "minus_three",
        "x - 3",
        "Our ticket counter subtracts a fixed fee. Provide minus_three(x) returning the balance x after removing three units; balances may go below zero.",
    ),
    (
        "collatz_up",
        "x * 3 + 1",
        "In the Collatz conjecture an odd number n becomes 3n + 1. Code collatz_up(x) that applies exactly this step to x without checking parity.",
    ),
];

/// An exercise as a capable model writes it: a docstring, several test cases, an
/// explanation (about 1 KB of JSON).
fn exercise(k: usize, javascript: bool) -> String {
    let (name, body, instruction) = TOPICS[k % TOPICS.len()];
    let what = instruction.split('.').next().unwrap_or(instruction);
    let (solution, tests) = if javascript {
        (
            format!(
                "/**\n * {name}: {what}.\n * @param {{number}} x any integer\n * @returns {{number}}\n */\n\
                 function {name}(x) {{\n  const result = {body};\n  return result;\n}}\n\nmodule.exports = {{ {name} }};\n"
            ),
            format!(
                "const {{ {name} }} = require('./solution.js');\nconst assert = require('assert');\n\n\
                 const cases = [0, 1, -1, 7, -12, 100, 2 ** 20];\nfor (const x of cases) {{\n  \
                 const expected = {body};\n  assert.strictEqual({name}(x), expected, `{name}(${{x}})`);\n}}\n\
                 console.log('all tests passed');\n"
            ),
        )
    } else {
        (
            format!(
                "def {name}(x: int) -> int:\n    \"\"\"{what}.\n\n    Works for any integer; no loops needed.\n    \"\"\"\n    \
                 result = {body}\n    return result\n"
            ),
            format!(
                "from solution import {name}\n\n\ndef check():\n    cases = [0, 1, -1, 7, -12, 100, 2 ** 20]\n    \
                 for x in cases:\n        expected = {body}\n        assert {name}(x) == expected, (x, {name}(x), expected)\n\n\n\
                 check()\nprint(\"all tests passed\")\n"
            ),
        )
    };
    serde_json::json!({
        "critique": "The instruction is clear and the tests cover zero, negatives and a large value; nothing to add.",
        "instruction": instruction,
        "solution": solution,
        "tests": tests,
        "entry_point": name,
        "explanation": format!("`{name}` computes `{body}` directly: one arithmetic expression, constant time, no special cases."),
        "concepts": ["arithmetic", "functions"],
    })
    .to_string()
}

fn responder(counter: Arc<AtomicUsize>) -> impl Fn(&MockRequest) -> String + Send + Sync + 'static {
    move |req| {
        let prompt: String = req.messages.iter().map(|m| m.content.as_str()).collect();
        match req.json_schema.as_ref().and_then(|s| s["title"].as_str()).unwrap_or("") {
            "exercise" | "port" => exercise(
                counter.fetch_add(1, Ordering::SeqCst),
                prompt.contains("You are the javascript agent"),
            ),
            "description" => {
                let entry = prompt.split("defines the function `").nth(1).and_then(|r| r.split('`').next()).unwrap();
                let calls: &[&str] = match entry {
                    "is_balanced" => &["(\"([]{})\")", "(\"(]\")", "(\"\")", "(\"((\")"],
                    "running_max" => &["([3, 1, 4, 1, 5])", "([])", "([-2, -5, 0])"],
                    "word_count" => &["(\"the cat and the hat\")", "(\"\")", "(\"A a A\")"],
                    "capitalizeWords" => &["(\"hello big world\")", "(\"\")", "(\"a  b\")"],
                    "chunk" => &["([1, 2, 3, 4, 5], 2)", "([], 3)", "([1, 2], 5)"],
                    _ => &["(1234)", "(-40)", "(0)"],
                };
                serde_json::json!({
                    "instruction": format!("Write a function {entry} that does what this snippet does; the exercise number {} checks edge cases such as empty input.", counter.fetch_add(1, Ordering::SeqCst)),
                    "calls": calls,
                    "explanation": format!("`{entry}` walks over its input once and builds the result as it goes; empty input gives the empty result."),
                    "concepts": ["iteration", "edge cases"],
                })
                .to_string()
            }
            "summary" => {
                r#"{"keep": ["python", "javascript"], "reason": "Both versions pass their tests and read naturally."}"#
                    .into()
            }
            _ => r#"{"merits": ["clear instructions", "tests cover edge cases"], "faults": ["tasks are all arithmetic"], "advice": "vary the topics: strings, lists and dictionaries too"}"#.into(),
        }
    }
}

fn gen_code(base: &str, out: &Path, n: &str, extra: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_gen"))
        .args(["code", "--protocol", "discussion", "--langs", "python,javascript", "--seed", "5"])
        .args(["--model", "mock-coder", "-n", n])
        .args(["--api-base", base, "--out"])
        .arg(out)
        .args(extra)
        .env_remove("OPENAI_API_KEY")
        .stdin(Stdio::null())
        .output()
        .unwrap()
}

fn estimate(out: &std::process::Output) -> serde_json::Value {
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let stdout = String::from_utf8_lossy(&out.stdout);
    serde_json::from_str(stdout.lines().last().unwrap()).unwrap()
}

fn tokens(v: &serde_json::Value) -> f64 {
    v["prompt_tokens"].as_f64().unwrap() + v["completion_tokens"].as_f64().unwrap()
}

#[test]
fn dry_run_estimate_is_close_to_the_spend_and_learns_from_it() {
    if let Err(e) = sandbox::Sandbox::new(sandbox::SandboxOptions::default()) {
        assert!(
            std::env::var("GEN_REQUIRE_ALL").as_deref() != Ok("1"),
            "GEN_REQUIRE_ALL: the sandbox is not usable: {e}"
        );
        eprintln!("SKIPPED: the sandbox (bwrap) is not usable here");
        return;
    }
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let cfg = MockServerConfig::default().with_responder(responder(Arc::new(AtomicUsize::new(0))));
    let server = runtime.block_on(MockServer::start(cfg)).unwrap();
    let base = server.base_url();
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("code");

    let before = estimate(&gen_code(&base, &out, "6", &["--dry-run"]));
    assert_eq!(server.received(), 0, "a dry run calls no model");
    assert_eq!(before["source"], "played", "{before}");
    assert_eq!(before["items"], 3, "two samples (python + javascript) per item: {before}");

    let run = gen_code(&base, &out, "6", &["--no-cache"]);
    assert!(run.status.success(), "{}", String::from_utf8_lossy(&run.stderr));
    let info: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("run.json")).unwrap()).unwrap();
    assert_eq!(info["kept"], 6);
    let spent = tokens(&info["tokens"]);
    let calls = info["tokens"]["calls"].as_f64().unwrap();
    let estimated = tokens(&before);
    assert!(
        (estimated - spent).abs() / spent <= 0.25,
        "estimated {estimated} tokens before the run, spent {spent}"
    );
    assert!((before["calls"].as_f64().unwrap() - calls).abs() <= 1.0, "calls: {before} vs {calls}");

    // Six more of the same work: the memory now knows what an item costs.
    let received = server.received();
    let after = estimate(&gen_code(&base, &out, "12", &["--dry-run"]));
    assert_eq!(server.received(), received, "a dry run calls no model");
    assert_eq!(after["source"], "observed", "{after}");
    assert_eq!(after["items"], 3, "{after}");
    let refined = tokens(&after);
    eprintln!("tokens: estimated {estimated} before the run, spent {spent}, estimated {refined} after it");
    assert!(
        (refined - spent).abs() / spent <= 0.10,
        "observed estimate {refined} for the same work that spent {spent}"
    );
}
