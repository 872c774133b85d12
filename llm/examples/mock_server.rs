//! A standalone mock OpenAI-compatible server for benchmarks and manual checks:
//!
//! ```text
//! cargo run -p llm --example mock_server --features mock-server -- --port 8089 --latency-ms 50 \
//!     --p429 0.05 --p500 0.02 --retry-after-ms 200
//! gen chat --api-base http://127.0.0.1:8089/v1 "hello"
//! ```
//!
//! Prints `listening on http://ADDR/v1` on stdout, then serves until killed; answers with
//! `mock answer to: <prompt>` (or `{"answer": ...}` when a JSON schema is asked for).
//! `--canned code` answers `gen code`'s structured requests instead, so a code dataset can
//! be made offline (the notebook run and the failure drills in `scripts/e2e/` use it).

use llm::mock_server::{Faults, MockServer, MockServerConfig, RandomFaults};
use std::net::SocketAddr;
use std::time::Duration;

const USAGE: &str = "usage: mock_server [--port P] [--latency-ms MS] [--seed N] [--p429 P] [--p500 P] \
[--pslow P] [--slow-ms MS] [--pdrop P] [--pgarbage P] [--retry-after-ms MS] [--max-in-flight N] [--rpm N] \
[--canned code]";

fn main() -> std::process::ExitCode {
    match run() {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("mock_server: {e}\n{USAGE}");
            std::process::ExitCode::from(2)
        }
    }
}

fn run() -> Result<(), String> {
    let mut port = 0u16;
    let mut cfg = MockServerConfig::default();
    let mut faults = RandomFaults { slow_by: Duration::from_secs(30), ..Default::default() };
    let mut args = std::env::args().skip(1);
    while let Some(flag) = args.next() {
        if flag == "--help" || flag == "-h" {
            println!("{USAGE}");
            return Ok(());
        }
        let value = args.next().ok_or_else(|| format!("{flag} needs a value"))?;
        let num = |v: &str| v.parse::<f64>().map_err(|_| format!("{flag}: {v:?} is not a number"));
        let ms = |v: &str| num(v).map(|x| Duration::from_secs_f64(x.max(0.0) / 1000.0));
        match flag.as_str() {
            "--port" => port = value.parse().map_err(|_| format!("--port: {value:?} is not a port"))?,
            "--latency-ms" => cfg.latency = ms(&value)?,
            "--seed" => faults.seed = num(&value)? as u64,
            "--p429" => faults.rate_limited = num(&value)?,
            "--p500" => faults.server_error = num(&value)?,
            "--pslow" => faults.slow = num(&value)?,
            "--slow-ms" => faults.slow_by = ms(&value)?,
            "--pdrop" => faults.drop = num(&value)?,
            "--pgarbage" => faults.garbage = num(&value)?,
            "--retry-after-ms" => {
                faults.retry_after = Some(ms(&value)?);
                cfg.limit_retry_after = Some(ms(&value)?);
            }
            "--max-in-flight" => cfg.max_in_flight = Some(num(&value)? as usize),
            "--rpm" => cfg.rpm = Some(num(&value)? as u64),
            "--canned" if value == "code" => cfg = cfg.with_responder(canned_code),
            other => return Err(format!("unknown flag {other}")),
        }
    }
    cfg.faults = Faults::Random(faults);
    let runtime = tokio::runtime::Runtime::new().map_err(|e| e.to_string())?;
    runtime.block_on(async {
        let server = MockServer::start_on(SocketAddr::from(([127, 0, 0, 1], port)), cfg)
            .await
            .map_err(|e| format!("cannot listen on port {port}: {e}"))?;
        println!("listening on {}", server.base_url());
        tokio::signal::ctrl_c().await.map_err(|e| e.to_string())?;
        eprintln!("mock_server: {} requests received, {} answered", server.received(), server.served());
        Ok(())
    })
}

/// `--canned code`: answers `gen code`'s structured requests (told apart by their schema's
/// title) with small exercises that pass their tests, in Python, JavaScript, Rust or Go
/// (the agent's language is read from the prompt); other languages get a Python answer,
/// which their sandbox rejects, so drop counts show up too. Every exercise is new (a counter), so the
/// dedup gate keeps them.
fn canned_code(req: &llm::mock_server::MockRequest) -> String {
    use std::sync::atomic::{AtomicU64, Ordering};
    static NEXT: AtomicU64 = AtomicU64::new(0);
    let title = req.json_schema.as_ref().and_then(|s| s["title"].as_str()).unwrap_or("");
    let prompt: String = req.messages.iter().map(|m| m.content.as_str()).collect();
    let lang = ["javascript", "rust", "go"]
        .into_iter()
        .find(|l| prompt.contains(&format!("You are the {l} agent")))
        .unwrap_or("python");
    match title {
        "exercise" | "port" => {
            let k = NEXT.fetch_add(1, Ordering::SeqCst);
            let name = if lang == "go" { format!("Add{k}") } else { format!("add{k}") };
            let (solution, tests) = match lang {
                "javascript" => (
                    format!("function {name}(x) {{\n  return x + {k};\n}}\nmodule.exports = {{ {name} }};\n"),
                    format!(
                        "const {{ {name} }} = require('./solution.js');\nconst assert = require('assert');\n\
                         for (const x of [0, 5, -3]) assert.strictEqual({name}(x), x + {k});\n"
                    ),
                ),
                "rust" => (
                    format!("pub fn {name}(x: i64) -> i64 {{\n    x + {k}\n}}\n"),
                    format!(
                        "mod solution;\nuse solution::*;\n\nfn main() {{\n    for x in [0i64, 5, -3] {{\n        \
                         assert_eq!({name}(x), x + {k});\n    }}\n}}\n"
                    ),
                ),
                "go" => (
                    format!("package solution\n\nfunc {name}(x int) int {{\n\treturn x + {k}\n}}\n"),
                    format!(
                        "package solution\n\nimport \"testing\"\n\nfunc Test{name}(t *testing.T) {{\n\t\
                         for _, x := range []int{{0, 5, -3}} {{\n\t\tif {name}(x) != x+{k} {{\n\t\t\tt.Fatal(x)\n\t\t}}\n\t}}\n}}\n"
                    ),
                ),
                _ => (
                    format!("def {name}(x):\n    return x + {k}\n"),
                    format!(
                        "from solution import {name}\nfor x in [0, 5, -3]:\n    assert {name}(x) == x + {k}\n"
                    ),
                ),
            };
            serde_json::json!({
                "instruction": format!("Write a function {name}(x) that returns x plus {k}."),
                "solution": solution,
                "tests": tests,
                "entry_point": name,
                "explanation": format!("{name} adds {k} to its argument."),
                "concepts": ["arithmetic"],
                "critique": "Clear and tested.",
            })
            .to_string()
        }
        // The derived protocol: `add_<k>(x: int) -> int` in the agent's language; the
        // instruction, fresh solve, translation and fix read `k` from the prompt.
        "draft" => {
            let k = NEXT.fetch_add(1, Ordering::SeqCst);
            serde_json::json!({
                "signature": format!("add_{k}(x: int) -> int"),
                "idea": format!("Returns x plus {k}."),
                "inputs": [[0], [5], [-3], [12], [100]],
                "concepts": ["arithmetic"],
            })
            .to_string()
        }
        "instruction" => {
            let entry = prompt.split("named `").nth(1).and_then(|r| r.split('`').next()).unwrap_or("f");
            let k = number_in(entry);
            serde_json::json!({
                "instruction": format!("Write a function `{entry}` that takes an integer x and returns x plus {k}. For example, {entry}(5) returns {}.", 5 + k),
                "explanation": format!("It adds {k} to x."),
            })
            .to_string()
        }
        // Code is asked for without a schema (answered in a fence or, as here, in JSON).
        "" => {
            let decl =
                prompt.split("must define exactly: `").nth(1).and_then(|r| r.split('`').next()).unwrap_or("");
            serde_json::json!({
                "critique": "Clear.",
                "solution": add_solution(derived_lang(&prompt), number_in(decl)),
            })
            .to_string()
        }
        "description" => {
            // No calls of its own: the built-in seeds bring theirs (`<seed>.calls`).
            let entry =
                prompt.split("defines the function `").nth(1).and_then(|r| r.split('`').next()).unwrap_or("");
            let k = NEXT.fetch_add(1, Ordering::SeqCst);
            serde_json::json!({
                "instruction": format!("Write a function {entry} as described in exercise number {k} of the seed set."),
                "calls": [],
                "explanation": "It follows the snippet.",
                "concepts": ["functions"],
            })
            .to_string()
        }
        "summary" => {
            r#"{"keep": ["python", "javascript", "rust", "go"], "reason": "they pass their tests"}"#.into()
        }
        "judge" => r#"{"score": 8, "reason": "clear"}"#.into(),
        _ => r#"{"merits": ["small tasks"], "faults": [], "advice": "keep tasks small"}"#.into(),
    }
}

/// The language a derived-protocol prompt is about: one of [`ADD_SOLUTIONS`] (python
/// when none is named).
fn derived_lang(prompt: &str) -> &'static str {
    ADD_SOLUTIONS
        .iter()
        .map(|(lang, _)| *lang)
        .find(|l| {
            prompt.contains(&format!("You are the {l} agent"))
                || prompt.contains(&format!("programming task in {l}."))
                || prompt.contains(&format!("Your {l} solution"))
        })
        .unwrap_or("python")
}

/// The first number in `text` (the `k` of `add_k`), 0 if none.
fn number_in(text: &str) -> u64 {
    let digits: String =
        text.chars().skip_while(|c| !c.is_ascii_digit()).take_while(char::is_ascii_digit).collect();
    digits.parse().unwrap_or(0)
}

/// Writes `add_<k>` for one `k`.
type AddSolution = fn(u64) -> String;

/// `add_<k>(x: int) -> int` in each language the canned model writes, named by the
/// language's convention. The one table of those languages: `derived_lang` reads it too.
const ADD_SOLUTIONS: &[(&str, AddSolution)] = &[
    ("python", |k| format!("def add_{k}(x):\n    return x + {k}\n")),
    ("javascript", |k| {
        format!("function add{k}(x) {{\n  return x + {k};\n}}\nmodule.exports = {{ add{k} }};\n")
    }),
    ("typescript", |k| format!("export function add{k}(x: number): number {{\n  return x + {k};\n}}\n")),
    ("rust", |k| format!("pub fn add_{k}(x: i64) -> i64 {{\n    x + {k}\n}}\n")),
    ("go", |k| format!("package solution\n\nfunc Add{k}(x int) int {{\n\treturn x + {k}\n}}\n")),
    ("java", |k| {
        format!(
            "public class Solution {{\n    public static long add{k}(long x) {{\n        return x + {k};\n    }}\n}}\n"
        )
    }),
    ("cpp", |k| format!("long long add_{k}(long long x) {{\n    return x + {k};\n}}\n")),
    ("c", |k| format!("long long add_{k}(long long x) {{\n    return x + {k};\n}}\n")),
    ("ruby", |k| format!("def add_{k}(x)\n  x + {k}\nend\n")),
    ("lua", |k| format!("function add_{k}(x)\n  return x + {k}\nend\n")),
    ("perl", |k| format!("sub add_{k} {{\n    my ($x) = @_;\n    return $x + {k};\n}}\n")),
    ("php", |k| format!("<?php\nfunction add_{k}(int $x): int {{\n    return $x + {k};\n}}\n")),
    ("scala", |k| format!("object Solution {{\n  def add{k}(x: Long): Long = x + {k}\n}}\n")),
    ("d", |k| format!("long add{k}(long x) {{\n    return x + {k};\n}}\n")),
    ("crystal", |k| format!("def add_{k}(x : Int64) : Int64\n  x + {k}\nend\n")),
    ("nim", |k| format!("proc add{k}*(x: int): int = x + {k}\n")),
    ("erlang", |k| format!("-module(solution).\n-export([add_{k}/1]).\n\nadd_{k}(X) -> X + {k}.\n")),
    ("haskell", |k| format!("module Solution where\n\nadd{k} :: Integer -> Integer\nadd{k} x = x + {k}\n")),
    ("lisp", |k| format!("(defun add-{k} (x)\n  (+ x {k}))\n")),
    ("elixir", |k| format!("defmodule Solution do\n  def add_{k}(x), do: x + {k}\nend\n")),
    ("csharp", |k| {
        format!(
            "public static class Solution {{\n    public static long Add{k}(long x) {{\n        return x + {k};\n    }}\n}}\n"
        )
    }),
];

/// [`ADD_SOLUTIONS`]'s solution for `lang` (python's for a language it lacks).
fn add_solution(lang: &str, k: u64) -> String {
    let write = ADD_SOLUTIONS.iter().find(|(l, _)| *l == lang).map_or(ADD_SOLUTIONS[0].1, |(_, f)| *f);
    write(k)
}
