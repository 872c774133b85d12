//! The xCoder discussion for one work item: the proposing agent writes an exercise from
//! a seed snippet (snippet → instruction → answer, or the snippet taken as the answer),
//! the other agents critique it and port it to their languages for `rounds` rounds (the
//! proposer revising between rounds), and every version becomes a candidate.
//!
//! When the snippet is taken as the answer and the checker can probe its language, the
//! proposer does not rewrite it: it *describes* it (instruction, calls of its function),
//! the snippet is the solution verbatim, and the pipeline probes the calls for the tests.
//!
//! `centralized`: the proposer is the hub; each agent sees only the proposal, and the
//! agents answer one after another. `parallel`: every agent also sees the others'
//! critiques from the previous round, and the agents of a round answer concurrently.

use crate::Prompts;
use crate::code::agent::{LanguageAgent, first_line};
use crate::code::answer::{self, Description, Exercise, Port};
use crate::code::seeds::Seed;
use crate::code::{CodeError, Usage};
use datasets::Turn;
use llm::{ChatModel, ChatRequest, LlmError, Message};
use serde::Serialize;
use serde::de::DeserializeOwned;
use std::collections::BTreeSet;

/// Longest model answer kept verbatim in a record's dialogue.
const MAX_TURN_CHARS: usize = 6000;

/// A port's outcome before it becomes a candidate: the exercise, or (stage, reason).
type PortResult = Result<Exercise, (&'static str, String)>;
/// One agent's answer in a round: its language, the parsed answer (or why none), usage.
type RoundAnswer = (String, Result<Result<(Port, String), AskError>, CodeError>, Usage);

/// Sampling settings of the agents' calls.
#[derive(Debug, Clone, Copy)]
pub struct Sampling {
    pub temperature: f32,
    pub max_tokens: u32,
}

/// One version of the exercise, in one language.
#[derive(Debug, Clone)]
pub struct Candidate {
    pub lang: String,
    /// `propose` or `port`.
    pub role: &'static str,
    pub exercise: Exercise,
    /// For an exercise whose answer was given (the seed snippet): the calls whose values,
    /// probed in the sandbox, become its tests (`exercise.tests` is empty until then).
    pub probe_calls: Vec<String>,
}

/// A version that never became a candidate (the model failed or its answer did not parse).
#[derive(Debug, Clone)]
pub struct Stillborn {
    pub lang: String,
    pub role: &'static str,
    /// `generate` (the call failed) or `parse`.
    pub stage: &'static str,
    pub reason: String,
}

/// What a discussion produced.
#[derive(Debug, Default)]
pub struct Discussion {
    pub proposer: String,
    pub seed_origin: Option<String>,
    pub answer_first: bool,
    /// The proposer's final version first, then the ports of the last round.
    pub candidates: Vec<Candidate>,
    pub stillborn: Vec<Stillborn>,
    pub critiques: Vec<String>,
    pub dialogue: Vec<Turn>,
    pub templates: BTreeSet<&'static str>,
    /// Set when a model call failed (not a parse failure): the pipeline counts these to
    /// notice a dead endpoint.
    pub model_error: Option<String>,
}

/// Why asking for a structured answer produced none.
#[derive(Debug)]
pub(crate) enum AskError {
    Llm(LlmError),
    Parse(String),
}

impl AskError {
    pub(crate) fn stage(&self) -> &'static str {
        match self {
            AskError::Llm(_) => "generate",
            AskError::Parse(_) => "parse",
        }
    }
    pub(crate) fn reason(&self) -> String {
        match self {
            AskError::Llm(e) => e.to_string(),
            AskError::Parse(m) => m.clone(),
        }
    }
}

/// Everything a call needs besides the prompt.
pub(crate) struct Caller<'a> {
    pub model: &'a dyn ChatModel,
    pub prompts: &'a Prompts,
    pub sampling: Sampling,
    pub seed: u64,
}

impl Caller<'_> {
    /// One structured call: renders `template`, sends it with `schema`, parses the answer.
    /// Returns the parsed value and the raw answer (for the dialogue).
    pub(crate) async fn ask<T: DeserializeOwned, D: Serialize>(
        &self,
        template: &'static str,
        data: &D,
        schema: serde_json::Value,
        call_no: u64,
        usage: &mut Usage,
    ) -> Result<Result<(T, String), AskError>, CodeError> {
        Ok(match self.send(template, data, Some(schema), call_no, usage).await? {
            Ok(raw) => answer::parse::<T>(&raw).map(|v| (v, raw)).map_err(AskError::Parse),
            Err(e) => Err(e),
        })
    }

    /// One call answered with code: a fenced block, not a JSON string, so the model does
    /// not have to escape the code (the 0.5B cut its code at the first unescaped quote),
    /// and no grammar holds it. Decoding stops at the block's closing fence.
    pub(crate) async fn ask_code<D: Serialize>(
        &self,
        template: &'static str,
        data: &D,
        call_no: u64,
        usage: &mut Usage,
    ) -> Result<Result<(answer::SolutionAnswer, String), AskError>, CodeError> {
        Ok(match self.send(template, data, None, call_no, usage).await? {
            Ok(raw) => answer::parse_code(&raw).map(|v| (v, raw)).map_err(AskError::Parse),
            Err(e) => Err(e),
        })
    }

    /// Renders `template`, sends it (under `schema`, if any) and returns the raw answer.
    async fn send<D: Serialize>(
        &self,
        template: &'static str,
        data: &D,
        schema: Option<serde_json::Value>,
        call_no: u64,
        usage: &mut Usage,
    ) -> Result<Result<String, AskError>, CodeError> {
        let prompt = self.prompts.render(template, data)?;
        let system = self.prompts.render("system", &serde_json::json!({}))?;
        let mut req = ChatRequest::new(vec![Message::system(system), Message::user(prompt)]);
        req.temperature = self.sampling.temperature;
        req.max_tokens = self.sampling.max_tokens;
        req.seed = Some(self.seed.wrapping_add(call_no));
        if schema.is_none() {
            req.stop = answer::CODE_STOP.iter().map(|s| s.to_string()).collect();
        }
        req.json_schema = schema;
        let resp = match self.model.chat(req).await {
            Ok(r) => r,
            Err(e) => return Ok(Err(AskError::Llm(e))),
        };
        usage.add(&resp);
        tracing::debug!(template, answer = %resp.content, "model answered");
        Ok(Ok(resp.content))
    }
}

pub(crate) fn turn(agent: &str, role: &str, content: &str) -> Turn {
    let content = if content.len() > MAX_TURN_CHARS {
        let mut cut = MAX_TURN_CHARS;
        while !content.is_char_boundary(cut) {
            cut -= 1;
        }
        format!("{}…", &content[..cut])
    } else {
        content.to_string()
    };
    Turn { agent: agent.to_string(), role: role.to_string(), content }
}

/// The inputs of one discussion.
pub(crate) struct Topic<'a> {
    pub proposer: &'a LanguageAgent,
    pub others: Vec<&'a LanguageAgent>,
    pub seed: Option<&'a Seed>,
    pub answer_first: bool,
    /// With `answer_first`, when the checker can probe the snippet: the function it
    /// defines. The snippet is then the solution verbatim; the proposer describes the
    /// exercise and names calls to probe.
    pub describe: Option<String>,
    pub rounds: u32,
    pub parallel: bool,
}

pub(crate) async fn discuss(
    caller: &Caller<'_>,
    topic: Topic<'_>,
    usage: &mut Usage,
) -> Result<Discussion, CodeError> {
    let proposer = topic.proposer;
    let mut d = Discussion {
        proposer: proposer.lang.clone(),
        seed_origin: topic.seed.map(|s| s.origin.clone()),
        answer_first: topic.answer_first,
        ..Discussion::default()
    };
    let ctx = proposer.context()?;
    if let (Some(entry), Some(seed)) = (topic.describe.clone(), topic.seed) {
        d.templates.insert("code_describe");
        d.templates.insert("system");
        let data = serde_json::json!({
            "lang": proposer.lang,
            "snippet": seed.code,
            "entry_point": entry,
            "reflections": ctx.reflections,
            "avoid": ctx.avoid,
        });
        let described = match caller
            .ask::<Description, _>("code_describe", &data, answer::description_schema(), 0, usage)
            .await?
        {
            Ok((desc, raw)) => {
                d.dialogue.push(turn(&proposer.lang, "describe", &raw));
                // The seed's own calls (its `.calls` file) follow the model's.
                let mut desc = desc;
                desc.calls.extend(seed.calls.iter().cloned());
                described_exercise(&desc, &entry, &seed.code)
            }
            Err(e) => {
                if let AskError::Llm(err) = &e {
                    d.model_error = Some(err.to_string());
                }
                Err((e.stage(), e.reason()))
            }
        };
        match described {
            Ok((exercise, calls)) => {
                return port_and_collect(caller, topic, d, exercise, calls, 0, usage).await;
            }
            Err((stage, reason)) => {
                d.stillborn.push(Stillborn { lang: proposer.lang.clone(), role: "describe", stage, reason });
                return Ok(d);
            }
        }
    }
    let data = serde_json::json!({
        "lang": proposer.lang,
        "convention": proposer.convention,
        "example": proposer.example,
        "snippet": topic.seed.map_or("", |s| s.code.as_str()),
        "answer_first": topic.answer_first,
        "reflections": ctx.reflections,
        "faults": ctx.faults,
        "avoid": ctx.avoid,
    });
    d.templates.insert("code_propose");
    d.templates.insert("system");
    let current =
        match caller.ask::<Exercise, _>("code_propose", &data, answer::exercise_schema(), 0, usage).await? {
            Ok((ex, raw)) => {
                d.dialogue.push(turn(&proposer.lang, "propose", &raw));
                match ex.cleaned() {
                    Ok(ex) => ex,
                    Err(reason) => {
                        d.stillborn.push(Stillborn {
                            lang: proposer.lang.clone(),
                            role: "propose",
                            stage: "parse",
                            reason,
                        });
                        return Ok(d);
                    }
                }
            }
            Err(e) => {
                if let AskError::Llm(err) = &e {
                    d.model_error = Some(err.to_string());
                }
                d.stillborn.push(Stillborn {
                    lang: proposer.lang.clone(),
                    role: "propose",
                    stage: e.stage(),
                    reason: e.reason(),
                });
                return Ok(d);
            }
        };

    port_and_collect(caller, topic, d, current, Vec::new(), 0, usage).await
}

/// Turns a described answer into an exercise with no tests yet, and its usable calls.
fn described_exercise(
    desc: &Description,
    entry: &str,
    snippet: &str,
) -> Result<(Exercise, Vec<String>), (&'static str, String)> {
    if desc.instruction.trim().is_empty() {
        return Err(("parse", "the answer's `instruction` is empty".into()));
    }
    let calls = desc.usable_calls(entry);
    if calls.is_empty() {
        return Err(("parse", format!("no call of the form {entry}(...) among the answer's calls")));
    }
    let mut solution = snippet.trim_end().to_string();
    solution.push('\n');
    let exercise = Exercise {
        instruction: desc.instruction.trim().to_string(),
        solution,
        tests: String::new(),
        entry_point: entry.to_string(),
        explanation: desc.explanation.trim().to_string(),
        concepts: desc.concepts.clone(),
    };
    Ok((exercise, calls))
}

/// The rounds after the proposal: the other agents critique and port `current`, the
/// proposer revises between rounds; then every version becomes a candidate.
async fn port_and_collect(
    caller: &Caller<'_>,
    topic: Topic<'_>,
    mut d: Discussion,
    mut current: Exercise,
    mut probe_calls: Vec<String>,
    mut call_no: u64,
    usage: &mut Usage,
) -> Result<Discussion, CodeError> {
    let proposer = topic.proposer;
    let rounds = topic.rounds.max(1);
    let mut last_ports: Vec<(String, PortResult)> = Vec::new();
    let mut peer_critiques: Vec<String> = Vec::new();
    for round in 1..=rounds {
        d.templates.insert("code_port");
        let mut requests = Vec::new();
        for other in &topic.others {
            let octx = other.context()?;
            let peers: Vec<String> = if topic.parallel {
                peer_critiques
                    .iter()
                    .filter(|c| !c.starts_with(&format!("[{}]", other.lang)))
                    .cloned()
                    .collect()
            } else {
                Vec::new()
            };
            call_no += 1;
            requests.push((
                other,
                call_no,
                serde_json::json!({
                    "lang": other.lang,
                    "from_lang": proposer.lang,
                    "convention": other.convention,
                    "example": other.example,
                    "instruction": current.instruction,
                    "solution": current.solution,
                    "round": round,
                    "rounds": rounds,
                    "peers": peers,
                    "reflections": octx.reflections,
                    "faults": octx.faults,
                }),
            ));
        }
        let answers: Vec<RoundAnswer> = if topic.parallel {
            let futures = requests.iter().map(|(agent, no, data)| async move {
                let mut u = Usage::default();
                let r = caller.ask::<Port, _>("code_port", data, answer::port_schema(), *no, &mut u).await;
                (agent.lang.clone(), r, u)
            });
            futures_util::future::join_all(futures).await
        } else {
            let mut out = Vec::new();
            for (agent, no, data) in &requests {
                let mut u = Usage::default();
                let r = caller.ask::<Port, _>("code_port", data, answer::port_schema(), *no, &mut u).await;
                out.push((agent.lang.clone(), r, u));
            }
            out
        };
        last_ports.clear();
        let mut round_critiques = Vec::new();
        for (lang, result, u) in answers {
            usage.merge(&u);
            match result? {
                Ok((port, raw)) => {
                    let critique = port.critique.trim().to_string();
                    if !critique.is_empty() {
                        d.dialogue.push(turn(&lang, "critique", &critique));
                        round_critiques.push(format!("[{lang}] {}", first_line(&critique, 300)));
                    }
                    d.dialogue.push(turn(&lang, "port", &raw));
                    last_ports.push((lang, port.exercise.cleaned().map_err(|r| ("parse", r))));
                }
                Err(e) => {
                    if let AskError::Llm(err) = &e {
                        d.model_error = Some(err.to_string());
                    }
                    last_ports.push((lang, Err((e.stage(), e.reason()))));
                }
            }
        }
        d.critiques.extend(round_critiques.iter().cloned());
        peer_critiques = round_critiques;
        if round < rounds && !peer_critiques.is_empty() {
            d.templates.insert("code_revise");
            call_no += 1;
            let data = serde_json::json!({
                "lang": proposer.lang,
                "convention": proposer.convention,
                "instruction": current.instruction,
                "solution": current.solution,
                "tests": current.tests,
                "critiques": peer_critiques,
            });
            // A failed revision keeps the current version: the discussion goes on.
            if let Ok((ex, raw)) = caller
                .ask::<Exercise, _>("code_revise", &data, answer::exercise_schema(), call_no, usage)
                .await?
            {
                d.dialogue.push(turn(&proposer.lang, "revise", &raw));
                if let Ok(ex) = ex.cleaned() {
                    current = ex;
                    // The revision wrote its own tests: nothing left to probe.
                    probe_calls.clear();
                }
            }
        }
    }
    d.candidates.push(Candidate {
        lang: proposer.lang.clone(),
        role: "propose",
        exercise: current,
        probe_calls,
    });
    for (lang, port) in last_ports {
        match port {
            Ok(exercise) => {
                d.candidates.push(Candidate { lang, role: "port", exercise, probe_calls: Vec::new() })
            }
            Err((stage, reason)) => d.stillborn.push(Stillborn { lang, role: "port", stage, reason }),
        }
    }
    Ok(d)
}
