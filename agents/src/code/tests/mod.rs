#![allow(clippy::unwrap_used)]

mod derived;
mod fakes;
mod runnable;
mod sandboxed;

use super::*;
use crate::Prompts;
use fakes::{HostPython, RoleModel, exercise_json, exercise_with, port_json};
use llm::ChatModel;
use std::path::Path;

/// Settings of the first protocol (model-written tests), which these tests exercise.
fn discussion_settings(langs: Vec<String>, n: u64) -> CodeSettings {
    let mut s = CodeSettings::new(langs, n);
    s.protocol = crate::code::Protocol::Discussion;
    s
}

/// The real sandbox with two slots, or `None` (a loud skip; a failure under
/// `GEN_REQUIRE_ALL=1`) where bubblewrap cannot run.
pub(super) fn sandbox_or_skip() -> Option<sandbox::Sandbox> {
    match sandbox::Sandbox::new(sandbox::SandboxOptions { parallelism: 2, ..Default::default() }) {
        Ok(s) => Some(s),
        Err(e) => {
            assert!(!derived::require_all(), "GEN_REQUIRE_ALL: the sandbox is not usable here ({e})");
            eprintln!("SKIPPED: the sandbox is not usable here ({e}); this test needs bwrap");
            None
        }
    }
}

fn langs(names: &[&str]) -> Vec<String> {
    names.iter().map(|s| s.to_string()).collect()
}

async fn run_with(
    model: &RoleModel,
    checker: &dyn Checker,
    memory: &memory::Memory,
    out: &Path,
    settings: CodeSettings,
    decontam: Decontaminator,
) -> RunSummary {
    let prompts = Prompts::embedded().unwrap();
    let seeds = SeedBank::built_in(&settings.langs);
    let mut generator =
        CodeGenerator::new(model, &prompts, checker, memory, seeds, decontam, settings).unwrap();
    let mut sink = DatasetSink::open(out).unwrap();
    generator.run(&mut sink, &mut |_| None).await.unwrap()
}

fn records(out: &Path) -> Vec<datasets::CodeRecord> {
    let text = std::fs::read_to_string(out.join(datasets::RECORDS_FILE)).unwrap_or_default();
    text.lines().map(|l| serde_json::from_str(l).unwrap()).collect()
}

fn failures(out: &Path) -> Vec<datasets::FailureRecord> {
    let text = std::fs::read_to_string(out.join(datasets::FAILURES_FILE)).unwrap_or_default();
    text.lines().map(|l| serde_json::from_str(l).unwrap()).collect()
}

fn assert_accounting(s: &RunSummary) {
    assert_eq!(s.attempted, s.kept + s.filtered + s.failed, "{s:?}");
}

#[tokio::test]
async fn single_language_run_keeps_verified_samples_with_provenance() {
    let dir = tempfile::tempdir().unwrap();
    let memory = memory::Memory::open(&dir.path().join("mem")).unwrap();
    let model = RoleModel::new();
    let s = run_with(
        &model,
        &HostPython,
        &memory,
        dir.path(),
        discussion_settings(langs(&["python"]), 3),
        Decontaminator::default(),
    )
    .await;
    assert_eq!(s.kept, 3);
    assert_accounting(&s);
    let recs = records(dir.path());
    assert_eq!(recs.len(), 3);
    let r = &recs[0];
    assert_eq!(r.lang, "python");
    // The stored verdicts are the checker's: the tests passed the solution, and failed (an
    // import error, not a syntax error) against the empty stub.
    assert!(r.verification.passed && r.verification.compiled, "{:?}", r.verification);
    assert_eq!(r.verification.non_vacuous, Some(true));
    assert_eq!(r.verification.extra["stub_outcome"], "failed", "{:?}", r.verification);
    assert!(r.response.contains("```python\ndef "), "{}", r.response);
    assert!(r.check.files.contains_key("solution.py"));
    assert!(r.provenance.seed_snippet.as_deref().unwrap().starts_with("builtin:python/"));
    assert!(r.provenance.prompt_hashes.contains_key("code_propose"));
    assert_eq!(r.provenance.model, "role-model");
    assert_eq!(r.dialogue[0].role, "propose");
    // One language: no discussion, so no ports and no summary call.
    assert_eq!(model.roles(), vec!["propose"; 3]);
    assert_eq!(memory.agent_history("python").unwrap().len(), 3);
    assert_eq!(s.per_lang["python"].pass_rate(), 1.0);
    assert_eq!(s.tokens_per_kept(), Some(150.0));
}

#[tokio::test]
async fn failing_tests_are_repaired_once_and_the_fault_is_remembered() {
    let dir = tempfile::tempdir().unwrap();
    let memory = memory::Memory::open(&dir.path().join("mem")).unwrap();
    let wrong = exercise_with(
        "Write f(x) returning x plus one.",
        "def f(x):\n    return x + 2\n",
        "from solution import f\nassert f(1) == 2\n",
    );
    let fixed = exercise_with(
        "Write f(x) returning x plus one.",
        "def f(x):\n    return x + 1\n",
        "from solution import f\nassert f(1) == 2\n",
    );
    let model = RoleModel::new().script("propose", &[wrong]).script("repair", &[fixed]);
    let s = run_with(
        &model,
        &HostPython,
        &memory,
        dir.path(),
        discussion_settings(langs(&["python"]), 1),
        Decontaminator::default(),
    )
    .await;
    assert_eq!(s.kept, 1);
    assert_eq!(s.per_lang["python"].repaired, 1);
    assert_eq!(model.roles(), vec!["propose", "repair"]);
    let repair_prompt = &model.prompts_of("repair")[0];
    assert!(repair_prompt.contains("AssertionError"), "the repair prompt shows the failure: {repair_prompt}");
    let rec = &records(dir.path())[0];
    assert!(rec.solution.contains("x + 1"));
    assert_eq!(rec.verification.extra["attempts"], 2);
    assert!(rec.dialogue.iter().any(|t| t.role == "repair"));
    let history: Vec<HistoryEntry> = memory.agent_history("python").unwrap().last_n_json(1).unwrap();
    assert!(history[0].faults[0].starts_with("tests failed"), "{:?}", history[0].faults);
}

#[tokio::test]
async fn vacuous_tests_are_rejected_even_though_they_pass() {
    let dir = tempfile::tempdir().unwrap();
    let memory = memory::Memory::open(&dir.path().join("mem")).unwrap();
    let vacuous = exercise_with("Write f(x) returning x.", "def f(x):\n    return x\n", "assert True\n");
    let mut settings = discussion_settings(langs(&["python"]), 1);
    settings.max_attempts = 1;
    settings.repair_rounds = 0;
    let model = RoleModel::new().script("propose", &[vacuous]);
    let s = run_with(&model, &HostPython, &memory, dir.path(), settings, Decontaminator::default()).await;
    assert_eq!((s.kept, s.failed), (0, 1));
    assert_eq!(s.failures_by_stage["vacuous_tests"], 1);
    assert_eq!(s.stop_reason, "max attempts reached");
    assert!(records(dir.path()).is_empty());
    assert_eq!(failures(dir.path())[0].stage, "vacuous_tests");
}

#[tokio::test]
async fn centralized_rounds_port_revise_and_summarize() {
    let dir = tempfile::tempdir().unwrap();
    let memory = memory::Memory::open(&dir.path().join("mem")).unwrap();
    let mut settings = discussion_settings(langs(&["python", "go", "rust"]), 3);
    settings.rounds = 2;
    settings.max_attempts = 3;
    let model = RoleModel::new()
        .script("port:go", &[port_json(1, "GO-CRITIQUE-1"), port_json(1, "GO-CRITIQUE-2")])
        .script("port:rust", &[port_json(2, "RUST-CRITIQUE-1"), port_json(2, "RUST-CRITIQUE-2")])
        .script("revise", &[exercise_json(0)])
        .script(
            "summary",
            &[r#"{"keep": ["python", "rust"], "reason": "go's instruction is vague"}"#.to_string()],
        );
    let s = run_with(&model, &HostPython, &memory, dir.path(), settings, Decontaminator::default()).await;
    assert_eq!(
        model.roles(),
        vec!["propose", "port:go", "port:rust", "revise", "port:go", "port:rust", "summary"]
    );
    // Centralized: an agent sees the proposal, never its peers' critiques.
    assert!(!model.prompts_of("port:go")[1].contains("RUST-CRITIQUE-1"));
    assert!(model.prompts_of("revise")[0].contains("GO-CRITIQUE-1"));
    assert_eq!((s.kept, s.drops.summary), (2, 1));
    assert_accounting(&s);
    let recs = records(dir.path());
    assert_eq!(recs.iter().map(|r| r.lang.as_str()).collect::<Vec<_>>(), vec!["python", "rust"]);
    let roles: Vec<&str> = recs[1].dialogue.iter().map(|t| t.role.as_str()).collect();
    assert!(
        roles.contains(&"critique") && roles.contains(&"revise") && roles.contains(&"summary"),
        "{roles:?}"
    );
    assert_eq!(recs[1].provenance.agents, langs(&["python", "go", "rust"]));
    assert_eq!(recs[1].provenance.rounds, 2);
    assert_eq!(failures(dir.path())[0].stage, "summary");
}

#[tokio::test]
async fn parallel_discussion_shows_peers_critiques() {
    let dir = tempfile::tempdir().unwrap();
    let memory = memory::Memory::open(&dir.path().join("mem")).unwrap();
    let mut settings = discussion_settings(langs(&["python", "go", "rust"]), 3);
    settings.rounds = 2;
    settings.parallel = true;
    let model = RoleModel::new()
        .script("port:go", &[port_json(1, "GO-CRITIQUE-1")])
        .script("port:rust", &[port_json(2, "RUST-CRITIQUE-1")]);
    let s = run_with(&model, &HostPython, &memory, dir.path(), settings, Decontaminator::default()).await;
    let go_round2 = &model.prompts_of("port:go")[1];
    assert!(go_round2.contains("RUST-CRITIQUE-1") && !go_round2.contains("GO-CRITIQUE-1"), "{go_round2}");
    // The summary kept nothing, which is overruled: verified work is kept.
    assert_eq!(s.kept, 3);
}

#[tokio::test]
async fn memory_carries_reflections_and_dedup_into_a_second_run() {
    let dir = tempfile::tempdir().unwrap();
    let mem_dir = dir.path().join("mem");
    let (out1, out2) = (dir.path().join("run1"), dir.path().join("run2"));
    {
        let memory = memory::Memory::open(&mem_dir).unwrap();
        let mut settings = discussion_settings(langs(&["python"]), 2);
        settings.reflect_every = 2;
        let model = RoleModel::new().script(
            "reflection",
            &[r#"{"merits": ["MERIT-FROM-RUN-ONE"], "faults": ["FAULT-FROM-RUN-ONE"], "advice": "vary topics"}"#.to_string()],
        );
        let s = run_with(&model, &HostPython, &memory, &out1, settings, Decontaminator::default()).await;
        assert_eq!((s.kept, s.reflections), (2, 1));
    }
    let memory = memory::Memory::open(&mem_dir).unwrap();
    // The second run's model starts its topics from zero again: its first proposal
    // repeats run one's first exercise, which the memory-backed dedup gate drops.
    let model = RoleModel::new();
    let s = run_with(
        &model,
        &HostPython,
        &memory,
        &out2,
        discussion_settings(langs(&["python"]), 1),
        Decontaminator::default(),
    )
    .await;
    let first_prompt = &model.prompts_of("propose")[0];
    assert!(
        first_prompt.contains("MERIT-FROM-RUN-ONE") && first_prompt.contains("FAULT-FROM-RUN-ONE"),
        "{first_prompt}"
    );
    assert!(
        first_prompt.contains("Write a function double(x)"),
        "run one's instructions are listed to avoid"
    );
    assert_eq!(s.drops.exact_dup, 2, "run one kept `double` and `square`");
    assert_eq!(s.kept, 1);
    let rec = &records(&out2)[0];
    assert!(rec.instruction.contains("negate"), "{}", rec.instruction);
}

#[tokio::test]
async fn dedup_decontamination_and_judge_gates_are_counted() {
    let dir = tempfile::tempdir().unwrap();
    let memory = memory::Memory::open(&dir.path().join("mem")).unwrap();
    let bench = dir.path().join("bench.txt");
    std::fs::write(
        &bench,
        "Implement square(x): multiply the given number by itself.\ndef square(x):\n    return x * x\n",
    )
    .unwrap();
    let decontam = Decontaminator::load(&[bench]).unwrap();
    let near = exercise_json(0).replace("twice its integer argument.", "twice its integer argument!!");
    let model = RoleModel::new()
        .script(
            "propose",
            &[exercise_json(0), exercise_json(0), near, exercise_json(1), exercise_json(2), exercise_json(3)],
        )
        .script(
            "judge",
            &[r#"{"score": 9, "reason": "ok"}"#.into(), r#"{"score": 2, "reason": "trivial"}"#.into()],
        );
    let mut settings = discussion_settings(langs(&["python"]), 2);
    settings.judge_min_score = Some(6.0);
    let s = run_with(&model, &HostPython, &memory, dir.path(), settings, decontam).await;
    assert_eq!(
        s.drops,
        DropCounts { exact_dup: 2, decontamination: 1, judge: 1, ..DropCounts::default() },
        "{s:?}"
    );
    assert_eq!(s.kept, 2);
    assert_accounting(&s);
    let stages: Vec<String> = failures(dir.path()).into_iter().map(|f| f.stage).collect();
    assert_eq!(stages, vec!["exact_dup", "exact_dup", "decontamination", "judge"]);
}

#[tokio::test]
async fn near_duplicates_are_dropped() {
    let dir = tempfile::tempdir().unwrap();
    let memory = memory::Memory::open(&dir.path().join("mem")).unwrap();
    let a = exercise_with(
        "Write a function that returns the running maximum of a list of integers, as a new list.",
        "def f(x):\n    return x\n",
        "from solution import f\nassert f(1) == 1\n",
    );
    let b = exercise_with(
        "Write a function that returns the running maximum of a list of integers, as a new list please.",
        "def f(x):\n    return x\n",
        "from solution import f\nassert f(2) == 2\n",
    );
    let model = RoleModel::new().script("propose", &[a, b]);
    let s = run_with(
        &model,
        &HostPython,
        &memory,
        dir.path(),
        discussion_settings(langs(&["python"]), 2),
        Decontaminator::default(),
    )
    .await;
    assert_eq!(s.drops.near_dup, 1);
    assert_eq!(s.kept, 2);
}

#[tokio::test]
async fn length_language_and_prompt_copy_gates_drop_broken_instructions() {
    let dir = tempfile::tempdir().unwrap();
    let memory = memory::Memory::open(&dir.path().join("mem")).unwrap();
    let sol = "def f(x):\n    return x\n";
    let model = RoleModel::new().script(
        "propose",
        &[
            exercise_with("Identity.", sol, "from solution import f\nassert f(1) == 1\n"),
            exercise_with("function f(x) { return [x, x * 2, x * 3]; }", sol, "from solution import f\nassert f(2) == 2\n"),
            exercise_with(
                "You are the python agent of a team that writes small, self-contained programming exercises with tested solutions.",
                sol,
                "from solution import f\nassert f(3) == 3\n",
            ),
            exercise_with("Write a function f(x) that returns its argument unchanged.", sol, "from solution import f\nassert f(4) == 4\n"),
        ],
    );
    let s = run_with(
        &model,
        &HostPython,
        &memory,
        dir.path(),
        discussion_settings(langs(&["python"]), 1),
        Decontaminator::default(),
    )
    .await;
    assert_eq!(
        s.drops,
        DropCounts { length: 1, language: 1, prompt_copy: 1, ..DropCounts::default() },
        "{s:?}"
    );
    assert_eq!(s.kept, 1);
    assert_accounting(&s);
}

#[tokio::test]
async fn resume_after_kill_writes_every_id_once() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let mem = dir.path().join("mem");
    {
        let memory = memory::Memory::open(&mem).unwrap();
        let s = run_with(
            &RoleModel::new(),
            &HostPython,
            &memory,
            &out,
            discussion_settings(langs(&["python"]), 2),
            Decontaminator::default(),
        )
        .await;
        assert_eq!(s.kept, 2);
    }
    // A kill after a record of item 2 was written but before the item was journaled.
    let stray =
        datasets::CodeRecord { id: "code-python-0-2".into(), lang: "python".into(), ..Default::default() };
    std::fs::OpenOptions::new()
        .append(true)
        .open(out.join(datasets::RECORDS_FILE))
        .and_then(|mut f| {
            std::io::Write::write_all(
                &mut f,
                format!("{}\n", serde_json::to_string(&stray).unwrap()).as_bytes(),
            )
        })
        .unwrap();
    let memory = memory::Memory::open(&mem).unwrap();
    let model = RoleModel::new();
    // Fresh topics for the second run, so dedup against memory does not interfere.
    for _ in 0..4 {
        model
            .chat(llm::ChatRequest {
                json_schema: Some(crate::code::answer::exercise_schema()),
                ..llm::ChatRequest::new(vec![llm::Message::user("x")])
            })
            .await
            .unwrap();
    }
    let s = run_with(
        &model,
        &HostPython,
        &memory,
        &out,
        discussion_settings(langs(&["python"]), 5),
        Decontaminator::default(),
    )
    .await;
    assert_eq!(s.resumed_kept, 3);
    let ids: Vec<String> = records(&out).into_iter().map(|r| r.id).collect();
    let unique: std::collections::BTreeSet<&String> = ids.iter().collect();
    assert_eq!(ids.len(), unique.len(), "{ids:?}");
    assert_eq!(
        ids,
        vec!["code-python-0-0", "code-python-0-1", "code-python-0-2", "code-python-0-3", "code-python-0-4"]
    );
}

#[tokio::test]
async fn two_runs_sharing_a_memory_draw_different_seeds() {
    let dir = tempfile::tempdir().unwrap();
    let memory = memory::Memory::open(&dir.path().join("mem")).unwrap();
    let model = RoleModel::new();
    let mut seen: Vec<Vec<String>> = Vec::new();
    // Python has three built-in seeds: one for each of three runs. (Without the memory,
    // these three run seeds draw the same seed twice: the test fails if it is ignored.)
    for (run_seed, n) in [(1, 1), (2, 1), (3, 1)] {
        let out = dir.path().join(format!("run-{run_seed}"));
        let mut settings = discussion_settings(langs(&["python"]), n);
        settings.seed = run_seed;
        let s = run_with(&model, &HostPython, &memory, &out, settings, Decontaminator::default()).await;
        assert_eq!(s.kept, n, "{s:?}");
        seen.push(records(&out).iter().map(|r| r.provenance.seed_snippet.clone().unwrap()).collect());
    }
    let drawn: std::collections::BTreeSet<&String> = seen.iter().flatten().collect();
    assert_eq!(drawn.len(), 3, "a later run drew a seed an earlier one had: {seen:?}");
}

#[tokio::test]
async fn shards_draw_disjoint_seeds_without_sharing_a_memory() {
    let dir = tempfile::tempdir().unwrap();
    let model = RoleModel::new();
    let mut seen = Vec::new();
    for shard in 0..3 {
        let memory = memory::Memory::open(&dir.path().join(format!("mem-{shard}"))).unwrap();
        let out = dir.path().join(format!("shard-{shard}"));
        let mut settings = discussion_settings(langs(&["python"]), 3);
        (settings.seed, settings.shard_index, settings.shard_count) = (5, shard, 3);
        let s = run_with(&model, &HostPython, &memory, &out, settings, Decontaminator::default()).await;
        assert_eq!(s.kept, 1, "{s:?}");
        seen.extend(records(&out).iter().map(|r| r.provenance.seed_snippet.clone().unwrap()));
    }
    let drawn: std::collections::BTreeSet<&String> = seen.iter().collect();
    assert_eq!(drawn.len(), 3, "two shards drew one seed: {seen:?}");
}
