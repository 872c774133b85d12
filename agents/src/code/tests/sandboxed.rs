//! End to end over the real parts: the OpenAI-compatible backend talking to the in-process
//! mock server, and the bubblewrap sandbox running Python. Skips loudly without bwrap.

use super::fakes::{exercise_json, port_json};
use super::*;
use crate::code::checker::SandboxChecker;
use llm::mock_server::{MockServer, MockServerConfig};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn openai_backend_and_sandbox_write_records_that_replay_green() {
    let Some(sandbox) = sandbox_or_skip() else { return };
    let proposals = Arc::new(AtomicUsize::new(0));
    let counter = proposals.clone();
    let server = MockServer::start(MockServerConfig::default().with_responder(move |req| {
        let title = req.json_schema.as_ref().and_then(|s| s["title"].as_str()).unwrap_or("").to_string();
        match title.as_str() {
            "exercise" => exercise_json(counter.fetch_add(1, Ordering::SeqCst)),
            // A seed taken as the answer: calls whose probed values become the tests
            // (bare argument lists get the seed's function name put in front).
            "description" => serde_json::json!({
                "instruction": format!("Describe-and-probe exercise {}: write the function the snippet defines.", counter.fetch_add(1, Ordering::SeqCst)),
                "calls": ["(\"()\")", "(\"(]\")", "(\"a b a\")"],
            })
            .to_string(),
            "port" => port_json(7, "Fine, but name the edge case."),
            "summary" => r#"{"keep": ["python", "bash"], "reason": "both pass"}"#.into(),
            _ => r#"{"merits": [], "faults": [], "advice": ""}"#.into(),
        }
    }))
    .await
    .unwrap();
    let model = llm::OpenAiModel::new(llm::OpenAiConfig::new(server.base_url(), "mock-coder")).unwrap();
    let checker = SandboxChecker::new(sandbox);
    let dir = tempfile::tempdir().unwrap();
    let memory = memory::Memory::open(&dir.path().join("mem")).unwrap();
    let prompts = Prompts::embedded().unwrap();
    // Only python is checked for real; the port to a second language would need its
    // toolchain, so this run is python-only and the discussion is covered elsewhere.
    let settings = discussion_settings(vec!["python".into()], 4);
    let seeds = SeedBank::built_in(&settings.langs);
    let mut generator =
        CodeGenerator::new(&model, &prompts, &checker, &memory, seeds, Decontaminator::default(), settings)
            .unwrap();
    let mut sink = DatasetSink::open(dir.path()).unwrap();
    let s = generator.run(&mut sink, &mut |_| None).await.unwrap();
    assert_eq!(s.kept, 4, "{s:?}");
    assert!(server.received() >= 4);
    let title = |r: &llm::mock_server::MockRequest| {
        r.json_schema.as_ref().and_then(|s| s["title"].as_str()).unwrap_or("").to_string()
    };
    let requests = server.requests();
    let propose = requests.iter().find(|r| title(r) == "exercise").unwrap();
    assert!(propose.json_schema.is_some(), "structured output is asked for");
    assert!(
        propose.messages.iter().any(|m| m.content.contains("from solution import")),
        "the sandbox's test convention is in the prompt"
    );
    let recs = super::records(dir.path());
    let described = recs.iter().filter(|r| r.dialogue.iter().any(|t| t.role == "describe")).count();
    assert!(
        described > 0 && described < recs.len(),
        "both kinds of item: {described} of {} described",
        recs.len()
    );
    for rec in recs {
        let check: sandbox::Check =
            serde_json::from_value(rec.verification.extra["sandbox_check"].clone()).unwrap();
        let replay = checker.sandbox().replay(&check).unwrap();
        assert!(replay.passed(), "{} does not replay: {}", rec.id, replay.stderr_tail);
        let mut stubbed = check.clone();
        stubbed.files.insert("solution.py".into(), String::new());
        assert!(
            !checker.sandbox().replay(&stubbed).unwrap().passed(),
            "{}: tests pass on an empty solution",
            rec.id
        );
    }
}

/// README: a given answer's tests come from what it returns for the proposer's calls, and
/// need at least two distinct returned values (one value would also hold for a function
/// that ignores its input). Both directions, through the real sandbox running Python.
#[test]
fn probed_tests_need_two_distinct_values() {
    let Some(sandbox) = sandbox_or_skip() else { return };
    let checker = SandboxChecker::new(sandbox);
    let calls = |xs: &[&str]| xs.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    let constant = "def grade(score):\n    return 'pass'\n";
    let reason = checker
        .probe_tests("python", constant, "grade", &calls(&["grade(10)", "grade(90)", "grade(55)"]))
        .unwrap()
        .unwrap_err();
    assert!(reason.contains("returned 1 distinct value"), "{reason}");

    let real = "def grade(score):\n    return 'pass' if score >= 50 else 'fail'\n";
    let tests = checker
        .probe_tests("python", real, "grade", &calls(&["grade(10)", "grade(90)", "grade(55)"]))
        .unwrap()
        .unwrap();
    // The expected values are what the solution returned, one assertion per call.
    assert!(tests.contains("grade(10)") && tests.contains("'fail'"), "{tests}");
    assert!(tests.contains("grade(90)") && tests.contains("'pass'"), "{tests}");
    assert_eq!(tests.matches("grade(").count(), 3, "{tests}");
}

const SEED_THAT_INSPIRES: u64 = 2;

/// A solution that dies of the sandbox's memory limit is a failure that says so
/// (`extra.limit`); one whose assertion fails is not.
#[tokio::test]
async fn a_failure_records_the_limit_that_ended_its_check() {
    let Some(sandbox) = sandbox_or_skip() else { return };
    let checker = SandboxChecker::new(sandbox);
    let hog = exercise_with(
        "Write f(x) returning x plus one.",
        "def f(x):\n    hog = bytearray(2 << 30)\n    return x + len(hog) // (2 << 30)\n",
        "from solution import f\nassert f(1) == 2\n",
    );
    let wrong = exercise_with(
        "Write g(x) returning x plus one.",
        "def g(x):\n    return x + 2\n",
        "from solution import g\nassert g(1) == 2\n",
    );
    let mut limits = Vec::new();
    for ex in [hog, wrong] {
        let dir = tempfile::tempdir().unwrap();
        let memory = memory::Memory::open(&dir.path().join("mem")).unwrap();
        let mut settings = discussion_settings(langs(&["python"]), 1);
        settings.max_attempts = 1;
        settings.repair_rounds = 0;
        // A run seed whose item seed is even: its seed snippet only inspires (an odd item
        // seed takes the snippet as the answer, which asks for a description instead).
        settings.seed = SEED_THAT_INSPIRES;
        let model = RoleModel::new().script("propose", &[ex]);
        let s = run_with(&model, &checker, &memory, dir.path(), settings, Decontaminator::default()).await;
        assert_eq!((s.kept, s.failed), (0, 1), "{s:?}");
        let f = &failures(dir.path())[0];
        assert_eq!(f.stage, "tests", "{f:?}");
        limits.push(f.extra.get("limit").cloned());
    }
    assert_eq!(limits, vec![Some(serde_json::json!("memory_limit")), None]);
}
