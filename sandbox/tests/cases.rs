//! Cases as data through the real sandbox, in every registered language: the harness
//! reports what a correct solution returns (the fixture's values), the cases rendered as
//! that language's tests pass, a wrong expected value fails them, and the stub fails
//! them. Languages that cannot express a signature's types say so instead.
#![allow(clippy::unwrap_used)]

mod common;

use sandbox::cases::{self, CallCase, CaseError, Io, IoCase, Signature};
use sandbox::{Language, Outcome, Registry, Sandbox};
use serde::Deserialize;
use serde_json::Value;
use std::collections::BTreeMap;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Fixtures {
    signature: Vec<SigFixture>,
    program: Vec<ProgramFixture>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SigFixture {
    sig: String,
    inputs: Vec<Vec<Value>>,
    /// TOML has no null: the string "null" stands for it.
    expected: Vec<Value>,
    #[serde(default)]
    unsupported: Vec<String>,
    solutions: BTreeMap<String, String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ProgramFixture {
    lang: String,
    stdins: Vec<String>,
    stdouts: Vec<String>,
    solution: String,
}

fn fixtures() -> Fixtures {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/case_fixtures.toml");
    toml::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn null_from_toml(v: Value) -> Value {
    if v == Value::String("null".into()) { Value::Null } else { v }
}

/// Whether the language can run here; a missing toolchain fails under GEN_REQUIRE_ALL=1.
fn installed(lang: &Language) -> bool {
    if lang.detect_toolchain().is_some() {
        return true;
    }
    assert!(
        !common::require_all() || !lang.required_by_tests(),
        "GEN_REQUIRE_ALL: the {} toolchain is missing (`{}`)",
        lang.name,
        lang.detect.join(" ")
    );
    println!("SKIP {}: toolchain not installed", lang.name);
    false
}

/// Everything that went wrong for one language and signature.
fn round_trip(sb: &Sandbox, lang: &Language, sig: &Signature, f: &SigFixture, solution: &str) -> Vec<String> {
    let id = format!("{} {}", lang.name, sig.name);
    let mut problems = Vec::new();
    let runs = sb.run_calls(lang, sig, solution, &f.inputs).unwrap();
    for (i, (got, want)) in runs.results.iter().zip(&f.expected).enumerate() {
        let want = sig.returns.conform(&null_from_toml(want.clone())).unwrap();
        match got {
            Ok(v) if sig.returns.same(v, &want) => {}
            other => problems.push(format!(
                "{id}: input {i} gave {other:?}, want {want}\nharness stdout: {}\nstderr: {}",
                runs.record.stdout_tail, runs.record.stderr_tail
            )),
        }
    }
    let cases = match cases::derive_cases(sig, &f.inputs, &runs.results) {
        Ok(c) => c,
        Err(e) => {
            problems.push(format!("{id}: no cases derived: {e}"));
            return problems;
        }
    };
    let tests = lang.render_tests(sig, &cases).unwrap();
    let rec = sb.check(lang, solution, &tests).unwrap();
    if !rec.passed() {
        problems.push(format!(
            "{id}: derived tests fail the solution: {}\n{tests}\n{}\n{}",
            rec.outcome, rec.stdout_tail, rec.stderr_tail
        ));
    }
    // A wrong expected value: the first case expects what another case returned.
    let mut wrong: Vec<CallCase> = cases.clone();
    let other =
        cases.iter().find(|c| !sig.returns.same(&c.expected, &cases[0].expected)).unwrap().expected.clone();
    wrong[0].expected = other;
    let rec = sb.check(lang, solution, &lang.render_tests(sig, &wrong).unwrap()).unwrap();
    if rec.passed() {
        problems.push(format!("{id}: tests with a wrong expected value pass"));
    }
    let rec = sb.check(lang, &lang.stub, &tests).unwrap();
    if rec.passed() {
        problems.push(format!("{id}: the stub passes the derived tests"));
    }
    // The "return a default value" mutant: the return type's zero literal compiles in place
    // of a one-line `return`, and the cases reject it.
    match lang.default_return(sig) {
        Ok(zero) => {
            if let Some(mutant) = zero_first_return(solution, &zero) {
                let rec = sb.check(lang, &mutant, &tests).unwrap();
                // Go rejects a variable or import the mutant left unused: that mutant is left
                // out of the score, not a fault of the literal.
                let unused = ["declared and not used", "declared but not used", "imported and not used"]
                    .iter()
                    .any(|m| rec.stderr_tail.contains(m));
                let bad_literal = matches!(rec.outcome, Outcome::CompileError { .. }) && !unused;
                if bad_literal || rec.passed() {
                    problems.push(format!(
                        "{id}: returning `{zero}` gave {}, want a compiled failure\n{mutant}\n{}",
                        rec.outcome, rec.stderr_tail
                    ));
                }
            }
        }
        Err(e) => problems.push(format!("{id}: no zero literal for the return type: {e}")),
    }
    problems
}

/// `solution` with its first one-line `return …` returning `zero` instead.
fn zero_first_return(solution: &str, zero: &str) -> Option<String> {
    let at = solution.find("return ")? + "return ".len();
    let end = at + solution[at..].find('\n')?;
    let line = &solution[at..end];
    let expr = line.trim_end().trim_end_matches(';');
    (expr.trim() != zero && !expr.trim().is_empty())
        .then(|| format!("{}{zero}{}", &solution[..at], &solution[at + expr.len()..]))
}

#[test]
fn cases_round_trip_through_every_language() {
    let reg = Registry::builtin();
    let fx = fixtures();
    let sb = common::sandbox(20_000);
    let mut jobs: Vec<(&Language, Signature, &SigFixture, &String)> = Vec::new();
    let mut problems: Vec<String> = Vec::new();
    let mut covered: BTreeMap<&str, usize> = BTreeMap::new();
    for f in &fx.signature {
        let sig: Signature = f.sig.parse().unwrap();
        assert_eq!(f.inputs.len(), f.expected.len(), "{}", f.sig);
        for lang in reg.languages().iter().filter(|l| l.case_io() == Some(Io::Call)) {
            if f.unsupported.contains(&lang.name) {
                match lang.render_signature(&sig) {
                    Err(CaseError::Unsupported { .. }) => {}
                    other => problems
                        .push(format!("{} {}: expected unsupported, got {other:?}", lang.name, sig.name)),
                }
                continue;
            }
            let Some(solution) = f.solutions.get(&lang.name) else { continue };
            if installed(lang) {
                *covered.entry(lang.name.as_str()).or_default() += 1;
                jobs.push((lang, sig.clone(), f, solution));
            }
        }
    }
    let found: Vec<Vec<String>> = std::thread::scope(|s| {
        let handles: Vec<_> = jobs
            .iter()
            .map(|(lang, sig, f, solution)| {
                let sb = &sb;
                s.spawn(move || round_trip(sb, lang, sig, f, solution))
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    problems.extend(found.into_iter().flatten());
    println!("round trips per language: {covered:?}");
    for lang in reg.languages().iter().filter(|l| l.case_io() == Some(Io::Call)) {
        if lang.detect_toolchain().is_some() {
            let n = covered.get(lang.name.as_str()).copied().unwrap_or(0);
            if n < 3 {
                problems.push(format!("{}: only {n} signature(s) round-tripped, want 3", lang.name));
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n\n"));
}

#[test]
fn program_cases_round_trip_through_stdin() {
    let reg = Registry::builtin();
    let sb = common::sandbox(20_000);
    for p in fixtures().program {
        let lang = reg.get(&p.lang).unwrap();
        if !installed(lang) {
            continue;
        }
        let runs = sb.run_stdins(lang, &p.solution, &p.stdins).unwrap();
        let got: Vec<Value> = runs.results.iter().map(|r| r.clone().unwrap()).collect();
        let want: Vec<Value> = p.stdouts.iter().map(|s| Value::String(s.clone())).collect();
        assert_eq!(got, want, "{}", runs.record.stderr_tail);
        let cases: Vec<IoCase> = cases::derive_io_cases(&p.stdins, &runs.results).unwrap();
        let tests = lang.render_io_tests(&cases).unwrap();
        let rec = sb.check(lang, &p.solution, &tests).unwrap();
        assert!(rec.passed(), "{tests}\n{}\n{}", rec.stdout_tail, rec.stderr_tail);
        let mut wrong = cases.clone();
        wrong[0].stdout.push('!');
        assert!(!sb.check(lang, &p.solution, &lang.render_io_tests(&wrong).unwrap()).unwrap().passed());
        assert!(!sb.check(lang, &lang.stub, &tests).unwrap().passed());
    }
}

/// What small models leave out of a solution (Go's `package` line or the wrong one, a
/// JavaScript or TypeScript export, Rust's `pub`) is put back, and what they add (a `main`
/// of their own, top-level example calls, unused Go imports, a TypeScript file importing
/// itself) is taken out by the language's repairs: the bare solution fails its rendered tests in the real
/// sandbox, the repaired one passes, and a complete solution is left as it is.
#[test]
fn repairs_put_back_what_a_solution_left_out() {
    let reg = Registry::builtin();
    let sb = common::sandbox(20_000);
    let sig: Signature = "add_up(a: int, b: int) -> int".parse().unwrap();
    let cases = vec![
        CallCase { args: vec![1.into(), 2.into()], expected: 3.into() },
        CallCase { args: vec![0.into(), 0.into()], expected: 0.into() },
    ];
    let bare = [
        ("go", "func AddUp(a int, b int) int {\n\treturn a + b\n}\n"),
        ("go", "package main\n\nfunc AddUp(a int, b int) int {\n\treturn a + b\n}\n"),
        ("javascript", "function addUp(a, b) {\n  return a + b;\n}\n"),
        ("typescript", "function addUp(a: number, b: number): number {\n  return a + b;\n}\n"),
        ("java", "public static long addUp(long a, long b) { return a + b; }"),
        ("csharp", "public static long AddUp(long a, long b) {\n    return a + b;\n}\n"),
        // Seen from the 0.5B: a private Rust function, and a C or C++ `main` of its own.
        ("rust", "fn add_up(a: i64, b: i64) -> i64 {\n    a + b\n}\n"),
        ("typescript", "const addUp = (a: number, b: number): number => a + b;\n"),
        (
            "go",
            "package solution\n\nimport (\n\t\"fmt\"\n\t\"math\"\n)\n\nfunc AddUp(a int, b int) int {\n\treturn a + b\n}\n",
        ),
        ("javascript", "function addUp(a, b) {\n  return a + b;\n}\n\nmodule.exports = addUp;\n"),
        (
            "python",
            "def add_up(a, b):\n    return a + b\n\n# Example usage:\nprint(add_up(1, 2))\nraise SystemExit(3)\n",
        ),
        (
            "javascript",
            "function addUp(a, b) {\n  return a + b;\n}\n\n// Example usage:\nthrow new Error('top level');\nmodule.exports = { addUp };\n",
        ),
        (
            "typescript",
            "import { addUp } from './solution';\n\nexport function addUp(a: number, b: number): number {\n  return a + b;\n}\n",
        ),
        (
            "cpp",
            "#include <iostream>\n\nlong long add_up(long long a, long long b) { return a + b; }\n\nint main() {\n    std::cout << add_up(1, 2) << std::endl;\n    return 0;\n}\n",
        ),
        (
            "c",
            "#include <stdio.h>\n\nlong long add_up(long long a, long long b) { return a + b; }\n\nint main(void) {\n    printf(\"%lld\\n\", add_up(1, 2));\n    return 0;\n}\n",
        ),
        // Seen at 6fb2a52: ports with their own tests, a commented-out export, a Rust
        // `main` and `mod solution;`, and missing C and C++ includes.
        ("javascript", "function addUp(a, b) {\n  return a + b;\n}\n\n// module.exports = { addUp };\n"),
        (
            "javascript",
            "const assert = require('assert');\n\nfunction addUp(a, b) {\n  return a + b;\n}\n\n// Test the function with provided data points\nassert.strictEqual(addUp(1, 1), 3);\n\nmodule.exports = { addUp };\n",
        ),
        (
            "typescript",
            "export function addUp(a: number, b: number): number {\n  return a + b;\n}\n\n// test.ts (TypeScript 5, strict)\n\nimport { assert } from 'assert';\nassert.strictEqual(addUp(1, 2), 3);\n",
        ),
        (
            "rust",
            "mod solution;\n\npub fn add_up(a: i64, b: i64) -> i64 {\n    a + b\n}\n\nfn main() {\n    let r = solution::add_up(1, 2);\n    println!(\"{r}\");\n}\n",
        ),
        (
            "c",
            "long long add_up(long long a, long long b) {\n    long long *p = malloc(sizeof(long long));\n    *p = a + b;\n    long long r = *p;\n    free(p);\n    return r;\n}\n",
        ),
        (
            "cpp",
            "#include <string>\n\nlong long add_up(long long a, long long b) {\n    std::istringstream in(std::to_string(a));\n    long long x;\n    in >> x;\n    return x + b;\n}\n",
        ),
    ];
    for (name, solution) in bare {
        let lang = reg.get(name).unwrap();
        if !installed(lang) {
            continue;
        }
        let tests = lang.render_tests(&sig, &cases).unwrap();
        assert!(!sb.check(lang, solution, &tests).unwrap().passed(), "{name} passes unrepaired:\n{solution}");
        let repaired = lang.repair(Some(&sig), solution);
        let rec = sb.check(lang, &repaired, &tests).unwrap();
        assert!(rec.passed(), "{name}:\n{repaired}\n{}\n{}", rec.stdout_tail, rec.stderr_tail);
        assert_eq!(lang.repair(Some(&sig), &repaired), repaired, "{name}: a repaired solution is left alone");
    }
}
