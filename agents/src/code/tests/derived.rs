//! The derived protocol over the real sandbox (python and go) with a scripted model:
//! expected values come from execution, a wrong port is caught, a meta-instruction and
//! a copy of a prompt's worked example are dropped, an instruction a fresh solver cannot
//! carry to green fails at `round_trip`, cases that let every mutant through fail at
//! `mutation`, and kept records replay green.

use super::fakes::RoleModel;
use super::*;
use crate::code::checker::SandboxChecker;
use serde_json::json;

/// Whether a missing prerequisite fails the test (`GEN_REQUIRE_ALL=1`, set by `scripts/test`).
pub(super) fn require_all() -> bool {
    std::env::var("GEN_REQUIRE_ALL").is_ok_and(|v| v == "1")
}

fn sandbox_or_skip() -> Option<sandbox::Sandbox> {
    match sandbox::Sandbox::new(sandbox::SandboxOptions { parallelism: 2, ..Default::default() }) {
        Ok(s) => {
            let reg = s.registry().clone();
            for lang in ["python", "go"] {
                if reg.get(lang).and_then(|l| l.detect_toolchain()).is_none() {
                    assert!(!require_all(), "GEN_REQUIRE_ALL: the {lang} toolchain is missing");
                    eprintln!("SKIPPED: the {lang} toolchain is missing");
                    return None;
                }
            }
            Some(s)
        }
        Err(e) => {
            assert!(!require_all(), "GEN_REQUIRE_ALL: the sandbox is not usable here ({e})");
            eprintln!("SKIPPED: the sandbox is not usable here ({e}); this test needs bwrap");
            None
        }
    }
}

fn draft(signature: &str, inputs: serde_json::Value) -> String {
    json!({"signature": signature, "idea": "See the name.", "inputs": inputs, "concepts": ["loops"]})
        .to_string()
}

/// A draft in the structured form the schema asks for.
fn structured_draft(name: &str, params: &[(&str, &str)], returns: &str, inputs: serde_json::Value) -> String {
    let params: Vec<serde_json::Value> = params.iter().map(|(n, t)| json!({"name": n, "type": t})).collect();
    json!({"name": name, "params": params, "returns": returns, "idea": "See the name.", "inputs": inputs, "concepts": ["loops"]})
        .to_string()
}

fn instruction(text: &str) -> String {
    json!({"instruction": text, "explanation": "It loops once."}).to_string()
}

fn solution(code: &str) -> String {
    json!({"solution": code}).to_string()
}

fn translation(code: &str) -> String {
    json!({"critique": "Clear enough.", "solution": code}).to_string()
}

/// Runs `items` work items of the default (derived) protocol for `langs` with target `n`,
/// writing to `out` on `memory`.
async fn run_items(
    model: &RoleModel,
    checker: &SandboxChecker,
    memory: &memory::Memory,
    out: &std::path::Path,
    langs_: &[&str],
    n: u64,
    items: u64,
) -> RunSummary {
    let prompts = Prompts::embedded().unwrap();
    let settings = CodeSettings::new(langs(langs_), n);
    let seeds = SeedBank::built_in(&settings.langs);
    let mut generator =
        CodeGenerator::new(model, &prompts, checker, memory, seeds, Decontaminator::default(), settings)
            .unwrap();
    let mut sink = DatasetSink::open(out).unwrap();
    let s = generator
        .run(&mut sink, &mut |s| (s.items >= items).then(|| "enough items".to_string()))
        .await
        .unwrap();
    drop(sink);
    s
}

const CLAMP_PY: &str = "def clamp_sum(xs, cap):\n    return sum(min(x, cap) for x in xs)\n";
const ABOVE_GO: &str = "package solution\n\nfunc CountAbove(xs []int, t int) int {\n\tn := 0\n\tfor _, x := range xs {\n\t\tif x > t {\n\t\t\tn++\n\t\t}\n\t}\n\treturn n\n}\n";
const ABOVE_PY: &str = "def count_above(xs, t):\n    return sum(1 for x in xs if x > t)\n";
/// Ignores the cap: disagrees with the source wherever a number exceeds it.
const CLAMP_GO_WRONG: &str = "package solution\n\nfunc ClampSum(xs []int, limit int) int {\n\ts := 0\n\tfor _, x := range xs {\n\t\ts += x\n\t}\n\treturn s\n}\n";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn derived_items_keep_what_execution_proves_and_drop_the_rest() {
    let Some(sandbox) = sandbox_or_skip() else { return };
    let python_example = sandbox.registry().get("python").unwrap().example.clone().unwrap().solution;
    let model = RoleModel::new()
        .script(
            "draft",
            &[
                // item 0 (python): kept; its go port is wrong twice.
                draft("clamp_sum(xs: list[int], cap: int) -> int", json!([[[1, 5, 9], 4], [[], 3], [[10], 0], [[2, 2], 2], [[-3, 8], 5], [[7], 7]])),
                // item 1 (go): kept with its python port (a draft in the structured form).
                structured_draft("count_above", &[("xs", "list[int]"), ("t", "int")], "int", json!([[[1, 5, 9], 4], [[], 3], [[10], 0], [[2, 2], 1], [[-3, 8], -5], [[7, 8, 9], 6]])),
                // item 2 (python): the instruction talks about the solution.
                draft("twice(x: int) -> int", json!([[0], [1], [2], [-4], [10]])),
                // item 3 (go): no fresh solve passes.
                draft("triple(x: int) -> int", json!([[0], [1], [2], [-4], [10]])),
                // item 4 (python): the solution is the prompt's worked example.
                draft("count_vowels(s: str) -> int", json!([["hello"], [""], ["AEIOU xyz"], ["rhythm"], ["banana"]])),
                // item 5 (go): no case tells `>` from `>=` or 10 from 11: every mutant survives.
                draft("is_big(x: int) -> bool", json!([[0], [5], [20], [30], [-1]])),
            ],
        )
        .script(
            "implementation",
            &[
                solution(CLAMP_PY),
                solution(ABOVE_GO),
                solution("def twice(x):\n    return 2 * x\n"),
                solution("package solution\n\nfunc Triple(x int) int {\n\treturn 3 * x\n}\n"),
                solution(&python_example),
                solution("package solution\n\nfunc IsBig(x int) bool {\n\treturn x > 10\n}\n"),
            ],
        )
        .script(
            "instruction",
            &[
                instruction("Write a function `clamp_sum` that takes a list of integers xs and an integer cap and returns the sum of the numbers after lowering each one above cap to cap. An empty list gives 0. For example, clamp_sum([1, 5, 9], 4) returns 9."),
                instruction("Write a Go function `CountAbove` that takes a slice of integers xs and an integer t and returns how many numbers in xs are greater than t. For example, CountAbove([1, 5, 9], 4) returns 2."),
                instruction("The solution is correct and passes the tests."),
                instruction("Write a function `Triple` that takes an integer x and returns three times x. For example, Triple(2) returns 6."),
                instruction("Write a function `count_vowels` that takes a string s and returns the number of letters in it that are vowels, upper or lower case. For example, count_vowels(\"banana\") returns 3."),
            ],
        )
        .script(
            "fresh",
            &[
                solution(CLAMP_PY),
                solution(ABOVE_GO),
                solution(ABOVE_PY),
                solution("package solution\n\nfunc Triple(x int) int {\n\treturn x + x\n}\n"),
                solution("package solution\n\nfunc Triple(x int) int {\n\treturn x\n}\n"),
                solution(&python_example),
            ],
        )
        .script("translate:go", &[translation(CLAMP_GO_WRONG)])
        .script("fix", &[solution(CLAMP_GO_WRONG)])
        .script("translate:python", &[translation(ABOVE_PY)]);
    let checker = SandboxChecker::new(sandbox);
    let dir = tempfile::tempdir().unwrap();
    let memory = memory::Memory::open(&dir.path().join("mem")).unwrap();
    assert_eq!(
        CodeSettings::new(langs(&["python", "go"]), 20).protocol,
        crate::code::Protocol::Derived,
        "the default protocol"
    );
    let s = run_items(&model, &checker, &memory, dir.path(), &["python", "go"], 20, 6).await;

    let recs = records(dir.path());
    let kept: Vec<(String, String)> =
        recs.iter().map(|r| (r.lang.clone(), r.entry_point.clone().unwrap_or_default())).collect();
    assert_eq!(
        kept,
        vec![
            ("python".into(), "clamp_sum".into()),
            ("go".into(), "CountAbove".into()),
            ("python".into(), "count_above".into())
        ],
        "{s:?}"
    );
    // Expected values are what the solution returned, never the model's.
    let clamp = &recs[0];
    assert_eq!(clamp.signature.as_deref(), Some("clamp_sum(xs: list[int], cap: int) -> int"));
    let expected: Vec<serde_json::Value> = clamp.cases.iter().map(|c| c["expected"].clone()).collect();
    assert_eq!(expected, vec![json!(9), json!(0), json!(0), json!(4), json!(2), json!(7)]);
    assert_eq!(clamp.verification.tests_run, Some(6));
    assert_eq!(clamp.verification.fresh_solve_tries, Some(1));
    // `x > t` → `>=` or `<`, `n := 0` shifted both ways, `return n` → `return 0` (the
    // negated `if` does not compile in Go): the cases catch all but `>=` (no x equals t).
    assert_eq!((recs[1].verification.mutation_score, recs[1].verification.mutants), (Some(0.8), Some(5)));
    // One exercise, two languages, one family, the same cases.
    assert_eq!(recs[1].family, recs[2].family);
    assert_ne!(recs[0].family, recs[1].family);
    assert_eq!(recs[1].cases, recs[2].cases);
    assert!(
        recs[2].instruction.starts_with("Write a Python function `count_above`")
            && !recs[2].instruction.contains("CountAbove"),
        "{}",
        recs[2].instruction
    );
    assert!(recs[1].tests.contains("CountAbove([]int{1, 5, 9}, 4)"), "{}", recs[1].tests);

    let stages: Vec<(String, String)> =
        failures(dir.path()).iter().map(|f| (f.lang.clone().unwrap_or_default(), f.stage.clone())).collect();
    for want in [
        ("go", "port_mismatch"),
        ("python", "not_an_instruction"),
        ("go", "round_trip"),
        ("python", "prompt_copy"),
        ("go", "mutation"),
    ] {
        assert!(stages.contains(&(want.0.to_string(), want.1.to_string())), "{want:?} not in {stages:?}");
    }
    let ported_wrong = failures(dir.path()).into_iter().find(|f| f.stage == "port_mismatch").unwrap();
    assert!(ported_wrong.reason.contains("disagrees with the python source"), "{}", ported_wrong.reason);
    // The failure keeps the code that ran, so it can be diagnosed from the file.
    let ran = ported_wrong.extra.get("solution").and_then(|v| v.as_str()).unwrap_or_default();
    assert!(ran.contains("func ClampSum(xs []int, limit int) int"), "{:?}", ported_wrong.extra);
    assert_eq!(s.drops.prompt_copy, 1, "{s:?}");
    assert_accounting(&s);

    // Every kept record replays green in the sandbox.
    for r in &recs {
        let check: sandbox::Check = serde_json::from_value(serde_json::to_value(&r.check).unwrap()).unwrap();
        assert!(checker.sandbox().replay(&check).unwrap().passed(), "{} does not replay", r.id);
    }
}

/// Counts the numbers above 10 on its input, one per line.
const ABOVE_TEN_SH: &str =
    "n=0\nwhile read -r x; do\n  if [ \"$x\" -gt 10 ]; then\n    n=$((n + 1))\n  fi\ndone\necho \"$n\"\n";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bash_program_gets_its_expected_output_from_running_it() {
    let Some(sandbox) = sandbox_or_skip() else { return };
    let program_draft = json!({
        "name": "count_above_ten",
        "idea": "Prints how many of the numbers on its input, one per line, are greater than 10.",
        // "" twice: once as given, once with its newline; "5" gains one.
        "inputs": ["", "5", "11\n12", "1\n20\n30\n", "10\n11\n", "3\n4\n100\n", ""],
        "concepts": ["loops", "reading input"],
    });
    let model = RoleModel::new()
        .script("program_draft", &[program_draft.to_string()])
        .script("implementation", &[solution(ABOVE_TEN_SH)])
        .script("instruction", &[instruction("Write a Bash script that reads whole numbers from standard input, one per line, and prints how many of them are greater than 10. For an empty input it prints 0. For example, given the input \"1\\n20\\n30\\n\" it prints \"2\\n\".")])
        .script("fresh", &[solution(ABOVE_TEN_SH)]);
    let checker = SandboxChecker::new(sandbox);
    let dir = tempfile::tempdir().unwrap();
    let memory = memory::Memory::open(&dir.path().join("mem")).unwrap();
    let s = run_items(&model, &checker, &memory, dir.path(), &["bash", "python"], 1, 1).await;
    let roles = model.roles();
    assert!(!roles.iter().any(|r| r == "propose" || r.starts_with("translate:")), "{roles:?}");
    let recs = records(dir.path());
    assert_eq!(recs.len(), 1, "{s:?} {:?}", failures(dir.path()));
    let r = &recs[0];
    assert_eq!((r.lang.as_str(), r.signature.as_deref(), r.entry_point.as_deref()), ("bash", None, None));
    // What the program printed, never the model's; each stdin once, the bare "5" as a line.
    let cases: Vec<(String, String)> = r
        .cases
        .iter()
        .map(|c| (c["stdin"].as_str().unwrap().to_string(), c["stdout"].as_str().unwrap().to_string()))
        .collect();
    let want = [
        ("", "0\n"),
        ("5\n", "0\n"),
        ("11\n12\n", "2\n"),
        ("1\n20\n30\n", "2\n"),
        ("10\n11\n", "1\n"),
        ("3\n4\n100\n", "1\n"),
    ];
    assert_eq!(cases, want.map(|(a, b)| (a.to_string(), b.to_string())).to_vec());
    // `-gt` → `-ge` or `-lt` (the bash swaps), the constants shifted both ways, `+` → `-`
    // or `*`, the conditions negated: every one of the 12 mutants (the cap) is caught.
    assert_eq!(r.verification.mutation_score, Some(1.0), "{:?}", r.verification);
    assert_eq!(r.verification.mutants, Some(12), "{:?}", r.verification);
    assert_eq!(r.verification.fresh_solve_tries, Some(1));
    let check: sandbox::Check = serde_json::from_value(serde_json::to_value(&r.check).unwrap()).unwrap();
    assert!(checker.sandbox().replay(&check).unwrap().passed(), "the record does not replay");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_draft_that_copies_the_prompts_example_or_misses_the_notation_is_asked_for_once_more() {
    let Some(sandbox) = sandbox_or_skip() else { return };
    let clamp_all = "clamp_all(xs: list[int], lo: int, hi: int) -> list[int]";
    let model = RoleModel::new()
        .script(
            "draft",
            &[
                // item 0: the pool's own function, then one of its own: kept.
                draft(clamp_all, json!([[[5, -2, 9], 0, 6], [[], 1, 2], [[3], 3, 3], [[-7, 7], -1, 1], [[0, 10, 20], 5, 15]])),
                draft("clamp_sum(xs: list[int], cap: int) -> int", json!([[[1, 5, 9], 4], [[], 3], [[10], 0], [[2, 2], 2], [[-3, 8], 5], [[7], 7]])),
                // item 1: the pool's function twice: dropped at `prompt_copy`.
                draft("is_leap(year: int) -> bool", json!([[2000], [1900], [2024], [2023], [4]])),
                draft("is_leap(year: int) -> bool", json!([[2000], [1900], [2024], [2023], [4]])),
                // item 2: a bare name, then the notation: kept.
                draft("count_above", json!([])),
                draft("count_above(xs: list[int], t: int) -> int", json!([[[1, 5, 9], 4], [[], 3], [[10], 0], [[2, 2], 1], [[-3, 8], -5], [[7, 8, 9], 6]])),
            ],
        )
        .script("implementation", &[solution(CLAMP_PY), solution(ABOVE_PY)])
        .script("instruction", &[
            instruction("Write a function `clamp_sum` that takes a list of integers xs and an integer cap and returns the sum of the numbers after lowering each one above cap to cap. An empty list gives 0. For example, clamp_sum([1, 5, 9], 4) returns 9."),
            instruction("Write a function `count_above` that takes a list of integers xs and an integer t and returns how many numbers in xs are greater than t. For example, count_above([1, 5, 9], 4) returns 2."),
        ])
        .script("fresh", &[solution(CLAMP_PY), solution(ABOVE_PY)]);
    let checker = SandboxChecker::new(sandbox);
    let dir = tempfile::tempdir().unwrap();
    let memory = memory::Memory::open(&dir.path().join("mem")).unwrap();
    let s = run_items(&model, &checker, &memory, dir.path(), &["python"], 5, 3).await;
    let kept: Vec<String> = records(dir.path()).iter().filter_map(|r| r.entry_point.clone()).collect();
    assert_eq!(kept, vec!["clamp_sum".to_string(), "count_above".to_string()], "{s:?}");
    let drafts = model.prompts_of("draft");
    assert_eq!(drafts.len(), 6);
    assert!(drafts[5].contains("Your last signature, `count_above`, is not usable"), "{}", drafts[5]);
    assert!(
        drafts[1].contains("Your last answer is one of our own stock examples")
            && !drafts[0].contains("Your last answer")
    );
    // No draft prompt shows a stock function to copy (the 0.5B copied whatever it was shown).
    for e in crate::code::derived::prompt_examples() {
        let name = e.signature.split('(').next().unwrap_or_default();
        assert!(!drafts[0].contains(name), "the prompt shows `{name}`:\n{}", drafts[0]);
    }
    let stages: Vec<String> = failures(dir.path()).iter().map(|f| f.stage.clone()).collect();
    assert_eq!(stages, vec!["prompt_copy".to_string()]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_draft_under_a_name_the_team_already_kept_is_asked_for_once_more_across_runs() {
    let Some(sandbox) = sandbox_or_skip() else { return };
    let clamp_sum = "clamp_sum(xs: list[int], cap: int) -> int";
    let clamp_inputs = json!([[[1, 5, 9], 4], [[], 3], [[10], 0], [[2, 2], 2], [[-3, 8], 5], [[7], 7]]);
    let above = "count_above(xs: list[int], t: int) -> int";
    let above_inputs =
        json!([[[1, 5, 9], 4], [[], 3], [[10], 0], [[2, 2], 1], [[-3, 8], -5], [[7, 8, 9], 6]]);
    let clamp_instruction = instruction(
        "Write a function `clamp_sum` that takes a list of integers xs and an integer cap and returns the sum of the numbers after lowering each one above cap to cap. An empty list gives 0. For example, clamp_sum([1, 5, 9], 4) returns 9.",
    );
    let above_instruction = instruction(
        "Write a function `count_above` that takes a list of integers xs and an integer t and returns how many numbers in xs are greater than t. For example, count_above([1, 5, 9], 4) returns 2.",
    );
    let dir = tempfile::tempdir().unwrap();
    let checker = SandboxChecker::new(sandbox);
    let run = |model: RoleModel, out: &str, items: u64| {
        let memory = memory::Memory::open(&dir.path().join("mem")).unwrap();
        let out = dir.path().join(out);
        let checker = &checker;
        async move {
            run_items(&model, checker, &memory, &out, &["python"], 5, items).await;
            let kept: Vec<String> = records(&out).iter().filter_map(|r| r.entry_point.clone()).collect();
            let stages: Vec<String> = failures(&out).iter().map(|f| f.stage.clone()).collect();
            (kept, stages, model.prompts_of("draft"))
        }
    };
    // Run 1: clamp_sum is kept; the next draft reuses its name, is told so, and
    // drafts count_above.
    let model = RoleModel::new()
        .script(
            "draft",
            &[
                draft(clamp_sum, clamp_inputs.clone()),
                draft(clamp_sum, clamp_inputs.clone()),
                draft(above, above_inputs.clone()),
            ],
        )
        .script("implementation", &[solution(CLAMP_PY), solution(ABOVE_PY)])
        .script("instruction", &[clamp_instruction.clone(), above_instruction.clone()])
        .script("fresh", &[solution(CLAMP_PY), solution(ABOVE_PY)]);
    let (kept, stages, drafts) = run(model, "one", 2).await;
    assert_eq!(kept, vec!["clamp_sum".to_string(), "count_above".to_string()], "{stages:?}");
    assert!(stages.is_empty(), "{stages:?}");
    assert_eq!(drafts.len(), 3);
    // The team's names are never listed: the 0.5B copied whatever names a prompt listed.
    for d in &drafts {
        assert!(!d.contains("already used"), "{d}");
    }
    assert!(!drafts[1].contains("Your last answer"), "{}", drafts[1]);
    assert!(drafts[2].contains("Your last answer is a function the team already wrote"), "{}", drafts[2]);
    assert!(!drafts[2].contains("`clamp_sum`, is"), "{}", drafts[2]);
    // Run 2, sharing the memory: both names are known from the start; a draft that
    // reuses one twice is dropped at `repeated_function`.
    let model = RoleModel::new()
        .script("draft", &[draft(above, above_inputs.clone()), draft(clamp_sum, clamp_inputs.clone())]);
    let (kept, stages, drafts) = run(model, "two", 1).await;
    assert!(kept.is_empty(), "{kept:?}");
    assert_eq!(stages, vec!["repeated_function".to_string()]);
    assert!(!drafts[0].contains("already used"), "{}", drafts[0]);

    // Run 3 resumes run 1 as if killed after clamp_sum was kept but before its item was
    // journaled: the item drafts clamp_sum again, and its own sample (in this dataset)
    // does not count; run 2's same-numbered item, in another dataset, did count it.
    let items = dir.path().join("one").join(crate::code::sink::ITEMS_FILE);
    let journal = std::fs::read_to_string(&items).unwrap();
    assert_eq!(journal.lines().count(), 2, "{journal}");
    std::fs::write(&items, "").unwrap();
    let model = RoleModel::new()
        .script("draft", &[draft(clamp_sum, clamp_inputs.clone())])
        .script("implementation", &[solution(CLAMP_PY)])
        .script("instruction", std::slice::from_ref(&clamp_instruction))
        .script("fresh", &[solution(CLAMP_PY)]);
    let (kept, stages, drafts) = run(model, "one", 1).await;
    assert_eq!(kept, vec!["clamp_sum".to_string(), "count_above".to_string()], "{stages:?}");
    assert!(stages.is_empty(), "{stages:?}");
    assert_eq!(drafts.len(), 1, "no second draft: {drafts:?}");
}

#[test]
fn each_language_is_offered_the_types_its_declarations_express() {
    let Some(sandbox) = sandbox_or_skip() else { return };
    let checker = SandboxChecker::new(sandbox);
    let all = crate::code::answer::DRAFT_TYPES.len();
    let (params, returns) = crate::code::derived::draft_types(&checker, "python");
    assert_eq!((params.len(), returns.len()), (all, all), "python declares every type");
    let (params, returns) = crate::code::derived::draft_types(&checker, "c");
    assert!(
        params.contains(&"int".to_string()) && returns.contains(&"str".to_string()),
        "{params:?} {returns:?}"
    );
    for ty in params.iter().chain(&returns) {
        assert!(!ty.starts_with("dict"), "C cannot declare {ty}: {params:?} {returns:?}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn inputs_that_do_not_fit_the_signature_are_asked_for_once_more_typed() {
    let Some(sandbox) = sandbox_or_skip() else { return };
    let make_dev = "def make_dev(major, minor):\n    return major * 256 + minor\n";
    let model = RoleModel::new()
        // What the 0.5B wrote for most signatures: one list where two ints belong.
        .script(
            "draft",
            &[structured_draft("make_dev", &[("major", "int"), ("minor", "int")], "int", json!([[1, 2, 3]]))],
        )
        .script(
            "inputs",
            &[json!({"inputs": [
                {"major": 0, "minor": 0}, {"major": 1, "minor": 2}, {"major": 8, "minor": 1},
                {"major": 255, "minor": 255}, {"minor": 7, "major": 3},
            ]})
            .to_string()],
        )
        .script("implementation", &[solution(make_dev)])
        .script("instruction", &[instruction("Write a function `make_dev` that takes two integers major and minor and returns major times 256 plus minor. For example, make_dev(1, 2) returns 258.")])
        .script("fresh", &[solution(make_dev)]);
    let checker = SandboxChecker::new(sandbox);
    let dir = tempfile::tempdir().unwrap();
    let memory = memory::Memory::open(&dir.path().join("mem")).unwrap();
    let s = run_items(&model, &checker, &memory, dir.path(), &["python"], 1, 1).await;
    let recs = records(dir.path());
    assert_eq!(recs.len(), 1, "{s:?} {:?}", failures(dir.path()));
    let expected: Vec<serde_json::Value> = recs[0].cases.iter().map(|c| c["expected"].clone()).collect();
    assert_eq!(expected, vec![json!(0), json!(258), json!(2049), json!(65535), json!(775)]);
    let asked = model.prompts_of("inputs");
    assert_eq!(asked.len(), 1);
    assert!(asked[0].contains("`major` (int), `minor` (int)"), "{}", asked[0]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_draft_that_behaves_as_a_kept_function_under_a_new_name_is_dropped_across_runs() {
    let Some(sandbox) = sandbox_or_skip() else { return };
    let clamp_inputs = json!([[[1, 5, 9], 4], [[], 3], [[10], 0], [[2, 2], 2], [[-3, 8], 5], [[7], 7]]);
    let above_inputs =
        json!([[[1, 5, 9], 4], [[], 3], [[10], 0], [[2, 2], 1], [[-3, 8], -5], [[7, 8, 9], 6]]);
    // clamp_sum again, as a loop under other names, drafted on other inputs.
    let cap_total = "def cap_total(values, limit):\n    total = 0\n    for v in values:\n        total += v if v < limit else limit\n    return total\n";
    let cap_inputs = json!([[[3, 4], 3], [[0], 1], [[9, 9, 9], 5], [[1, 2, 3], 10], [[6], 2]]);
    // Agrees with clamp_sum on all of clamp_sum's cases (no list longer than 3), not on
    // its own: kept, since the kept clamp_sum does not return its results.
    let short_sum =
        "def short_sum(xs, cap):\n    return sum(min(x, cap) for x in xs) if len(xs) < 4 else -1\n";
    let short_inputs =
        json!([[[1, 2, 3, 4], 9], [[5], 9], [[1, 1, 1, 1, 1], 1], [[2, 3], 1], [[8, 8, 8, 8], 2]]);
    let dir = tempfile::tempdir().unwrap();
    let checker = SandboxChecker::new(sandbox);
    let run = |model: RoleModel, out: &str, items: u64| {
        let memory = memory::Memory::open(&dir.path().join("mem")).unwrap();
        let out = dir.path().join(out);
        let checker = &checker;
        async move {
            run_items(&model, checker, &memory, &out, &["python"], 5, items).await;
            let kept: Vec<String> = records(&out).iter().filter_map(|r| r.entry_point.clone()).collect();
            let fails: Vec<(String, String)> =
                failures(&out).iter().map(|f| (f.stage.clone(), f.reason.clone())).collect();
            (kept, fails)
        }
    };
    // Run 1: clamp_sum is kept; cap_total behaves as it on all its cases and is dropped;
    // count_above has the same types but other results, and is kept.
    let model = RoleModel::new()
        .script(
            "draft",
            &[
                draft("clamp_sum(xs: list[int], cap: int) -> int", clamp_inputs),
                draft("cap_total(values: list[int], limit: int) -> int", cap_inputs.clone()),
                draft("short_sum(xs: list[int], cap: int) -> int", short_inputs),
                draft("count_above(xs: list[int], t: int) -> int", above_inputs),
            ],
        )
        .script(
            "implementation",
            &[solution(CLAMP_PY), solution(cap_total), solution(short_sum), solution(ABOVE_PY)],
        )
        .script(
            "instruction",
            &[
                instruction("Write a function `clamp_sum` that takes a list of integers xs and an integer cap and returns the sum of the numbers after lowering each one above cap to cap. For example, clamp_sum([1, 5, 9], 4) returns 9."),
                instruction("Write a function `short_sum` that takes a list of integers xs and an integer cap and returns the sum of the numbers after lowering each one above cap to cap, or -1 when xs has 4 or more numbers. For example, short_sum([5], 9) returns 5."),
                instruction("Write a function `count_above` that takes a list of integers xs and an integer t and returns how many numbers in xs are greater than t. For example, count_above([1, 5, 9], 4) returns 2."),
            ],
        )
        .script("fresh", &[solution(CLAMP_PY), solution(short_sum), solution(ABOVE_PY)]);
    let (kept, fails) = run(model, "one", 4).await;
    assert_eq!(
        kept,
        vec!["clamp_sum".to_string(), "short_sum".to_string(), "count_above".to_string()],
        "{fails:?}"
    );
    assert_eq!(fails.len(), 1, "{fails:?}");
    assert_eq!(fails[0].0, "same_behaviour");
    assert!(fails[0].1.contains("behaves as `clamp_sum`") && fails[0].1.contains("all 6"), "{fails:?}");
    // Run 2, sharing the memory: the kept functions' cases are remembered.
    let model = RoleModel::new()
        .script("draft", &[draft("cap_total(values: list[int], limit: int) -> int", cap_inputs)])
        .script("implementation", &[solution(cap_total)]);
    let (kept, fails) = run(model, "two", 1).await;
    assert!(kept.is_empty(), "{kept:?}");
    assert_eq!(fails.iter().map(|f| f.0.as_str()).collect::<Vec<_>>(), vec!["same_behaviour"], "{fails:?}");
}
