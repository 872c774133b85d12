//! Test doubles: a scripted model that answers by role, and a checker that runs trusted
//! (scripted) Python directly, for every "language" of a test run.

use crate::code::checker::{CheckError, Checker, Execution, tail};
use async_trait::async_trait;
use llm::{ChatModel, ChatRequest, ChatResponse, LlmError, Usage};
use std::collections::{BTreeMap, HashMap, VecDeque};
use std::sync::Mutex;
use std::time::Duration;

/// Distinct exercise topics, so default proposals are not near-duplicates of each other.
const TOPICS: &[(&str, &str, &str)] = &[
    ("double", "x * 2", "Write a function double(x) returning twice its integer argument."),
    ("square", "x * x", "Implement square(x): multiply the given number by itself."),
    ("negate", "-x", "Create negate(x) which flips the sign of a numeric value."),
    ("inc", "x + 1", "Define inc(x) that yields the successor of an integer."),
    ("half", "x // 2", "Provide half(x), floor division of an int by two."),
    ("cube", "x ** 3", "Compute cube(x), the third power of a number."),
    ("is_even", "x % 2 == 0", "Return whether a number is even with is_even(x)."),
    ("absval", "abs(x)", "Give absval(x), the distance of x from zero."),
    ("triple", "x * 3", "Make triple(x) that multiplies by three."),
    ("dec", "x - 1", "Build dec(x) returning the predecessor of an integer."),
    ("sq_plus", "x * x + 1", "Return one more than the square using sq_plus(x)."),
    ("mod7", "x % 7", "Write mod7(x), the remainder after dividing by seven."),
];

/// A passing exercise as JSON; `k` picks the topic.
pub fn exercise_json(k: usize) -> String {
    let (name, body, instruction) = TOPICS[k % TOPICS.len()];
    serde_json::json!({
        "instruction": instruction,
        "solution": format!("def {name}(x):\n    return {body}\n"),
        "tests": format!("from solution import {name}\nfor x in [0, 3, -4]:\n    assert {name}(x) == ({}), x\n", body),
        "entry_point": name,
        "explanation": format!("{name} computes {body}."),
        "concepts": ["arithmetic", "functions"],
    })
    .to_string()
}

pub fn exercise_with(instruction: &str, solution: &str, tests: &str) -> String {
    serde_json::json!({
        "instruction": instruction, "solution": solution, "tests": tests, "entry_point": "f",
        "explanation": "e", "concepts": ["c"],
    })
    .to_string()
}

pub fn port_json(k: usize, critique: &str) -> String {
    let mut v: serde_json::Value = serde_json::from_str(&exercise_json(k)).unwrap_or_default();
    v["critique"] = serde_json::json!(critique);
    v.to_string()
}

/// Answers by role (`propose`, `revise`, `repair`, `port:<lang>`, `summary`, `reflect`,
/// `judge`) from per-role queues; when a queue is empty, a default answer. Records every
/// request with its role.
#[derive(Default)]
pub struct RoleModel {
    queues: Mutex<HashMap<String, VecDeque<String>>>,
    pub requests: Mutex<Vec<(String, ChatRequest)>>,
    proposals: Mutex<usize>,
}

impl RoleModel {
    pub fn new() -> RoleModel {
        RoleModel::default()
    }

    pub fn script(self, role: &str, answers: &[String]) -> RoleModel {
        self.queues
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .entry(role.to_string())
            .or_default()
            .extend(answers.iter().cloned());
        self
    }

    pub fn roles(&self) -> Vec<String> {
        self.requests.lock().unwrap_or_else(|e| e.into_inner()).iter().map(|(r, _)| r.clone()).collect()
    }

    pub fn prompts_of(&self, role: &str) -> Vec<String> {
        self.requests
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .iter()
            .filter(|(r, _)| r == role)
            .map(|(_, req)| req.messages.iter().map(|m| m.content.clone()).collect::<Vec<_>>().join("\n"))
            .collect()
    }
}

fn role_of(req: &ChatRequest) -> String {
    let text = req.messages.last().map(|m| m.content.as_str()).unwrap_or("");
    let title = match req.json_schema.as_ref() {
        Some(schema) => schema["title"].as_str().unwrap_or("").to_string(),
        // Code is asked for without a schema: which call it is shows in the prompt.
        None if text.contains(" agent of a team that writes programming exercises. Translate") => {
            "translation".into()
        }
        None if text.contains("Implement this function") || text.contains("Write this program") => {
            "implementation".into()
        }
        None => "solution".into(),
    };
    match title.as_str() {
        "port" => {
            let lang = text.strip_prefix("You are the ").and_then(|t| t.split(' ').next()).unwrap_or("?");
            format!("port:{lang}")
        }
        "exercise" if text.contains("did not pass its check") => "repair".into(),
        "exercise" if text.contains("critiqued it") => "revise".into(),
        "exercise" => "propose".into(),
        "translation" => {
            let lang = text.strip_prefix("You are the ").and_then(|t| t.split(' ').next()).unwrap_or("?");
            format!("translate:{lang}")
        }
        "solution" if text.starts_with("Solve this programming task") => "fresh".into(),
        "solution" => "fix".into(),
        other => other.to_string(),
    }
}

#[async_trait]
impl ChatModel for RoleModel {
    async fn chat(&self, request: ChatRequest) -> Result<ChatResponse, LlmError> {
        let role = role_of(&request);
        self.requests.lock().unwrap_or_else(|e| e.into_inner()).push((role.clone(), request));
        let scripted = self
            .queues
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get_mut(&role)
            .and_then(VecDeque::pop_front);
        let content = match scripted {
            Some(c) => c,
            None => match role.as_str() {
                "propose" => {
                    let mut k = self.proposals.lock().unwrap_or_else(|e| e.into_inner());
                    *k += 1;
                    exercise_json(*k - 1)
                }
                r if r.starts_with("port:") => port_json(11, "Looks fine."),
                "summary" => r#"{"keep": [], "reason": "no opinion"}"#.into(),
                "reflection" => r#"{"merits": ["clear tasks"], "faults": [], "advice": "keep going"}"#.into(),
                "judge" => r#"{"score": 9, "reason": "good"}"#.into(),
                _ => return Err(LlmError::ScriptExhausted),
            },
        };
        Ok(ChatResponse {
            content,
            usage: Usage { prompt_tokens: 100, completion_tokens: 50 },
            latency: Duration::from_millis(1),
            retries: 0,
            cached: false,
        })
    }

    fn model_name(&self) -> String {
        "role-model".into()
    }
}

/// Runs `tests` against `solution` with the host's python3, whatever the language name:
/// the scripted code of these tests is trusted, and the protocol is language-agnostic.
pub struct HostPython;

impl Checker for HostPython {
    fn check(&self, _lang: &str, solution: &str, tests: &str) -> Result<Execution, CheckError> {
        let dir = tempfile::tempdir().map_err(|e| CheckError::Sandbox(e.to_string()))?;
        std::fs::write(dir.path().join("solution.py"), solution)
            .map_err(|e| CheckError::Sandbox(e.to_string()))?;
        std::fs::write(dir.path().join("test_solution.py"), tests)
            .map_err(|e| CheckError::Sandbox(e.to_string()))?;
        let out = std::process::Command::new("python3")
            .args(["-B", "test_solution.py"])
            .current_dir(dir.path())
            .output()
            .map_err(|e| CheckError::Sandbox(e.to_string()))?;
        let stderr = String::from_utf8_lossy(&out.stderr).to_string();
        let compiled = !stderr.contains("SyntaxError");
        let passed = out.status.success();
        Ok(Execution {
            passed,
            compiled,
            outcome: if passed {
                "passed"
            } else if compiled {
                "failed"
            } else {
                "compile_error"
            }
            .into(),
            detail: format!("exit {:?}", out.status.code()),
            runtime_ms: 1,
            output_tail: tail(&stderr, 2000),
            files: BTreeMap::from([
                ("solution.py".into(), solution.into()),
                ("test_solution.py".into(), tests.into()),
            ]),
            commands: vec![vec!["python3".into(), "-B".into(), "test_solution.py".into()]],
            raw_check: serde_json::Value::Null,
        })
    }

    fn stub(&self, _lang: &str) -> String {
        String::new()
    }

    fn convention(&self, _lang: &str) -> String {
        "plain asserts in test_solution.py".into()
    }
}
