//! Helpers shared by the CLI tests that drive `gen fol --narrator llm` and `gen code`
//! against the in-process mock OpenAI server.

#![allow(clippy::unwrap_used, dead_code)]

use llm::mock_server::{MockRequest, MockServer, MockServerConfig};
use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

/// An honest narrator: it "writes" the formula itself as the sentence, and translates a
/// sentence back by returning it, so every premise is accepted on its first try.
pub fn honest(req: &MockRequest) -> String {
    let prompt = &req.messages.last().unwrap().content;
    let after = |label: &str| {
        prompt.lines().find_map(|l| l.strip_prefix(label)).map(|s| s.trim().to_string()).unwrap_or_default()
    };
    if prompt.starts_with("Write one English sentence") { after("Formula: ") } else { after("Sentence: ") }
}

/// The runs here are timed against each other (an interrupt lands mid-run), so they do
/// not share the two cores with each other.
pub static SERIAL: std::sync::Mutex<()> = std::sync::Mutex::new(());

pub struct Server {
    // Owns the server's tasks: dropping it stops the server.
    _runtime: tokio::runtime::Runtime,
    pub server: MockServer,
}

pub fn server(latency_ms: u64) -> (std::sync::MutexGuard<'static, ()>, Server) {
    let serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let cfg = MockServerConfig { latency: Duration::from_millis(latency_ms), ..MockServerConfig::default() }
        .with_responder(honest);
    let server = runtime.block_on(MockServer::start(cfg)).unwrap();
    (serial, Server { _runtime: runtime, server })
}

pub fn fol(server: &Server, out: &Path, extra: &[&str]) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_gen"));
    c.args(["fol", "--narrator", "llm", "--depth", "2", "--seed", "3", "--api-base"])
        .arg(server.server.base_url())
        .args(["--model", "mock", "--out"])
        .arg(out)
        .args(extra)
        .env_remove("OPENAI_API_KEY");
    c
}

pub fn run(mut c: Command) -> Output {
    c.stdin(Stdio::null()).output().unwrap()
}

pub fn ids(dir: &Path) -> Vec<String> {
    let text = std::fs::read_to_string(dir.join("data.jsonl")).unwrap_or_default();
    assert!(text.is_empty() || text.ends_with('\n'), "torn last line");
    text.lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap()["id"].as_str().unwrap().into())
        .collect()
}

pub fn run_json(dir: &Path) -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(dir.join("run.json")).unwrap()).unwrap()
}

const TOPICS: &[(&str, &str, &str)] = &[
    ("double", "x * 2", "Write a function double(x) that returns twice x."),
    ("square", "x * x", "Write a function square(x) that returns x squared."),
    ("negate", "-x", "Write a function negate(x) that returns the negation of x."),
    ("succ", "x + 1", "Write a function succ(x) that returns x plus one."),
    ("halve", "x // 2", "Write a function halve(x) that returns x divided by two, rounded down."),
];

/// The derived protocol's answers: a draft (signature, solution, inputs), the instruction
/// written from it, and a fresh solve that passes (the solution again).
fn code_answer(title: &str, prompt: &str, counter: &AtomicUsize) -> String {
    let topic = |name: &str| TOPICS.iter().position(|(n, _, _)| name == *n);
    match title {
        "draft" => {
            let (name, body, _) = TOPICS[counter.fetch_add(1, Ordering::SeqCst) % TOPICS.len()];
            serde_json::json!({
                "signature": format!("{name}(x: int) -> int"),
                "idea": format!("Returns {body}."),
                "inputs": [[0], [3], [-4], [7], [10]],
                "concepts": ["arithmetic"],
            })
            .to_string()
        }
        "instruction" => {
            let entry = prompt.split("named `").nth(1).and_then(|r| r.split('`').next()).unwrap_or("");
            let (_, _, instruction) = TOPICS[topic(entry).unwrap_or(0)];
            serde_json::json!({"instruction": instruction, "explanation": "One expression."}).to_string()
        }
        // Code is asked for without a schema (answered in a fence or, as here, in JSON).
        "" => {
            let decl =
                prompt.split("define exactly: `def ").nth(1).and_then(|r| r.split('(').next()).unwrap_or("");
            let (name, body, _) = TOPICS[topic(decl).unwrap_or(0)];
            serde_json::json!({"solution": format!("def {name}(x):\n    return {body}\n")}).to_string()
        }
        _ => r#"{"merits": ["small tasks"], "faults": [], "advice": "keep going"}"#.into(),
    }
}

/// A mock server answering `gen code`'s derived protocol with [`code_answer`]: each draft
/// is the next of the five topics, and every step passes.
pub fn code_server() -> Server {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let counter = Arc::new(AtomicUsize::new(0));
    let cfg = MockServerConfig::default().with_responder(move |req| {
        let prompt: String = req.messages.iter().map(|m| m.content.as_str()).collect();
        code_answer(
            req.json_schema.as_ref().and_then(|s| s["title"].as_str()).unwrap_or(""),
            &prompt,
            &counter,
        )
    });
    let server = runtime.block_on(MockServer::start(cfg)).unwrap();
    Server { _runtime: runtime, server }
}

/// Whether the sandbox works here; a failure under `GEN_REQUIRE_ALL=1`, else a skip
/// (said on stderr) for the caller to honour.
pub fn sandbox_usable() -> bool {
    match sandbox::Sandbox::new(sandbox::SandboxOptions::default()) {
        Ok(_) => true,
        Err(e) => {
            assert!(
                std::env::var("GEN_REQUIRE_ALL").as_deref() != Ok("1"),
                "GEN_REQUIRE_ALL: the sandbox is not usable: {e}"
            );
            eprintln!("SKIPPED: the sandbox (bwrap) is not usable here");
            false
        }
    }
}
