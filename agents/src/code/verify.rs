//! Verification of one candidate: compile and test it in the checker, repair it once
//! (bounded) when that fails, and reject tests that pass against the empty solution.

use crate::code::answer::{self, Exercise};
use crate::code::checker::{Checker, Execution, tail};
use crate::code::discussion::{Caller, Candidate, turn};
use crate::code::{CodeError, Usage};
use datasets::Turn;

/// How much check output a repair prompt shows.
const OUTPUT_IN_PROMPT: usize = 1200;

/// A candidate that compiled, passed its tests, and whose tests fail on the stub.
#[derive(Debug, Clone)]
pub struct Verified {
    pub exercise: Exercise,
    pub execution: Execution,
    /// The same tests against the language's empty stub, which they failed.
    pub stub: Execution,
    /// Checks run on real solutions (1 = passed first time).
    pub attempts: u32,
    pub faults: Vec<String>,
    pub dialogue: Vec<Turn>,
}

/// A candidate that did not get there.
#[derive(Debug, Clone)]
pub struct Rejected {
    /// `compile`, `tests`, `vacuous_tests` or `parse` (a repair answer that did not parse).
    pub stage: &'static str,
    pub reason: String,
    pub attempts: u32,
    pub faults: Vec<String>,
    pub dialogue: Vec<Turn>,
    /// The limit that ended the last check (`memory_limit`, …), if one did.
    pub limit: Option<&'static str>,
}

fn problem_of(exec: &Execution) -> (&'static str, String) {
    let first = exec.output_tail.lines().rev().find(|l| !l.trim().is_empty()).unwrap_or("").trim();
    let first: String = first.chars().take(200).collect();
    if !exec.compiled {
        ("compile", format!("compile error: {first}"))
    } else if exec.outcome == "time_limit" {
        ("tests", "the tests hit the time limit (an endless loop or a very slow solution)".to_string())
    } else if exec.outcome == "memory_limit" {
        ("tests", format!("the tests hit the memory limit (an allocation failed): {first}"))
    } else {
        ("tests", format!("tests failed ({}): {first}", exec.detail))
    }
}

pub(crate) async fn verify(
    caller: &Caller<'_>,
    checker: &dyn Checker,
    candidate: &Candidate,
    convention: &str,
    repair_rounds: u32,
    call_base: u64,
    usage: &mut Usage,
) -> Result<Result<Verified, Rejected>, CodeError> {
    let lang = candidate.lang.as_str();
    let mut exercise = candidate.exercise.clone();
    let mut faults = Vec::new();
    let mut dialogue = Vec::new();
    let mut attempts = 0u32;
    let mut repairs_left = repair_rounds;
    loop {
        attempts += 1;
        let exec = checker.check(lang, &exercise.solution, &exercise.tests)?;
        let (stage, problem, output) = if exec.passed {
            let stub = checker.check_stub(lang, &exercise.tests)?;
            if !stub.passed {
                return Ok(Ok(Verified { exercise, execution: exec, stub, attempts, faults, dialogue }));
            }
            (
                "vacuous_tests",
                "the tests pass even against an empty solution, so they check nothing; call the \
                 function and assert on its results"
                    .to_string(),
                String::new(),
            )
        } else {
            let (stage, problem) = problem_of(&exec);
            (stage, problem, tail(&exec.output_tail, OUTPUT_IN_PROMPT))
        };
        faults.push(problem.clone());
        let limit = exec.limit();
        if repairs_left == 0 {
            return Ok(Err(Rejected { stage, reason: problem, attempts, faults, dialogue, limit }));
        }
        repairs_left -= 1;
        let data = serde_json::json!({
            "lang": lang,
            "convention": convention,
            "instruction": exercise.instruction,
            "solution": exercise.solution,
            "tests": exercise.tests,
            "problem": problem,
            "output": output,
        });
        dialogue.push(turn("sandbox", "check", &problem));
        let answer = caller
            .ask::<Exercise, _>(
                "code_repair",
                &data,
                answer::exercise_schema(),
                call_base + u64::from(attempts),
                usage,
            )
            .await?;
        match answer {
            Ok((ex, raw)) => {
                dialogue.push(turn(lang, "repair", &raw));
                match ex.cleaned() {
                    Ok(ex) => exercise = ex,
                    Err(reason) => {
                        return Ok(Err(Rejected {
                            stage,
                            reason: format!("{problem}; repair: {reason}"),
                            attempts,
                            faults,
                            dialogue,
                            limit,
                        }));
                    }
                }
            }
            Err(e) => {
                return Ok(Err(Rejected {
                    stage,
                    reason: format!("{problem}; repair: {}", e.reason()),
                    attempts,
                    faults,
                    dialogue,
                    limit,
                }));
            }
        }
    }
}
