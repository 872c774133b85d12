//! Per language: a passing solution passes, a wrong one fails, a broken one is a compile
//! error, a trivial program prints its hello, and the registry's stub solution makes the
//! passing tests fail.
#![allow(clippy::unwrap_used)]

mod common;

use sandbox::Check;

const BASIC: [&str; 4] = ["pass", "fail", "compile_error", "hello"];

#[test]
fn basic_fixtures_behave_as_expected_in_every_installed_language() {
    let cases = common::load_cases(|c| BASIC.contains(&c));
    assert!(!cases.is_empty(), "no fixtures found");
    let sb = common::sandbox(10_000);
    let mut checks: Vec<Check> = cases.iter().map(|c| c.check(0, "unused")).collect();
    // The stub solution against the passing tests: must not pass.
    let stubs: Vec<&common::Case> = cases.iter().filter(|c| c.name == "pass").collect();
    checks.extend(stubs.iter().map(|c| c.lang.check_for(&c.lang.stub, c.tests.as_deref().unwrap())));
    let records = sb.run_many(&checks);
    let mut problems = Vec::new();
    for (case, rec) in cases.iter().zip(&records) {
        let rec = rec.as_ref().unwrap();
        println!("{:<28} {:<16} {:>6} ms", case.id(), rec.outcome.label(), rec.duration_ms);
        let lacks = case.expect.stdout_contains.as_deref().filter(|s| !rec.stdout_tail.contains(s));
        if rec.outcome.label() != case.expect.outcome || lacks.is_some() {
            problems.push(format!(
                "{}: expected {}{}, got {}\nstdout: {}\nstderr: {}",
                case.id(),
                case.expect.outcome,
                lacks.map(|s| format!(" printing {s:?}")).unwrap_or_default(),
                rec.outcome,
                rec.stdout_tail,
                rec.stderr_tail
            ));
        }
    }
    for (case, rec) in stubs.iter().zip(&records[cases.len()..]) {
        let rec = rec.as_ref().unwrap();
        println!(
            "{:<28} {:<16} {:>6} ms",
            format!("{}/stub", case.lang.name),
            rec.outcome.label(),
            rec.duration_ms
        );
        if rec.passed() {
            problems.push(format!("{}: the stub solution passes the tests", case.lang.name));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n\n"));
}

#[test]
fn a_record_replays_to_the_same_outcome() {
    let cases = common::load_cases(|c| c == "pass" || c == "fail");
    let Some(case) = cases.iter().find(|c| c.lang.name == "python" && c.name == "fail") else {
        println!("SKIP: python not installed");
        return;
    };
    let sb = common::sandbox(10_000);
    let rec = sb.replay(&case.check(0, "unused")).unwrap();
    let json = serde_json::to_string(&rec).unwrap();
    let back: sandbox::ExecRecord = serde_json::from_str(&json).unwrap();
    assert_eq!(back, rec);
    let again = sb.replay(&back.check).unwrap();
    assert_eq!(again.outcome, rec.outcome);
    assert!(rec.stderr_tail.contains("AssertionError"), "{}", rec.stderr_tail);
}

#[test]
fn unsafe_mode_is_explicit_and_still_runs_checks() {
    let cases = common::load_cases(|c| c == "pass");
    let Some(case) = cases.iter().find(|c| c.lang.name == "python") else {
        println!("SKIP: python not installed");
        return;
    };
    let opts = sandbox::SandboxOptions { unsafe_no_sandbox: true, parallelism: 1, ..Default::default() };
    let sb = sandbox::Sandbox::new(opts).unwrap();
    assert!(!sb.is_isolated());
    let rec = sb.replay(&case.check(0, "unused")).unwrap();
    assert!(rec.passed(), "{rec:?}");
    assert!(common::sandbox(10_000).is_isolated());
}

/// The worked example each language shows the generating model is itself a sample we
/// would keep: it passes its tests, and the tests fail against the stub.
#[test]
fn every_installed_language_has_an_example_that_passes_and_is_not_vacuous() {
    let require = common::require_all();
    let registry = sandbox::Registry::builtin();
    let mut langs = Vec::new();
    for lang in registry.languages() {
        let example =
            lang.example.as_ref().unwrap_or_else(|| panic!("{} has no [language.example]", lang.name));
        assert!(
            example.solution.contains(&example.entry_point),
            "{}: entry_point not in the solution",
            lang.name
        );
        if lang.detect_toolchain().is_none() {
            assert!(!require || !lang.required_by_tests(), "toolchain for {} missing", lang.name);
            println!("SKIP {}: toolchain not installed", lang.name);
            continue;
        }
        langs.push(lang);
    }
    let sb = common::sandbox(20_000);
    let mut checks: Vec<Check> = Vec::new();
    for lang in &langs {
        let ex = lang.example.as_ref().unwrap();
        checks.push(lang.check_for(&ex.solution, &ex.tests));
        checks.push(lang.check_for(&lang.stub, &ex.tests));
    }
    let records = sb.run_many(&checks);
    let mut problems = Vec::new();
    for (i, lang) in langs.iter().enumerate() {
        let (real, stub) = (records[2 * i].as_ref().unwrap(), records[2 * i + 1].as_ref().unwrap());
        println!("{:<12} example {:<14} stub {}", lang.name, real.outcome.label(), stub.outcome.label());
        if !real.passed() {
            problems
                .push(format!("{}: the example fails: {}\n{}", lang.name, real.outcome, real.stderr_tail));
        }
        if stub.passed() {
            problems.push(format!("{}: the example's tests pass against the stub", lang.name));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n\n"));
}

/// Probing: the calls' values come back as literals, calls that raise are reported as
/// such, and tests built from the values pass on the solution and fail on the stub.
#[test]
fn probes_turn_returned_values_into_tests_that_hold() {
    let registry = sandbox::Registry::builtin();
    let sb = common::sandbox(20_000);
    let mut probed = 0;
    for lang in registry.languages().iter().filter(|l| l.can_probe()) {
        if lang.detect_toolchain().is_none() {
            assert!(
                !common::require_all() || !lang.required_by_tests(),
                "GEN_REQUIRE_ALL: toolchain for {} missing",
                lang.name
            );
            continue;
        }
        let ex = lang.example.as_ref().unwrap();
        let f = &ex.entry_point;
        let calls: Vec<String> = vec![
            format!("{f}(\"hello\")"),
            format!("{f}(\"\")"),
            format!("{f}(\"hello\")"),
            format!("{f}(null_or_none_is_not_defined)"),
            format!("{f}(\"Quote \\\" and \\\\ backslash\")"),
        ];
        let out = sb.probe(lang, &ex.solution, f, &calls).unwrap().unwrap();
        let values = out.values();
        assert_eq!(
            values,
            vec![(calls[0].as_str(), "2"), (calls[1].as_str(), "0"), (calls[4].as_str(), "6")],
            "{}: {:?}\n{}",
            lang.name,
            out.results,
            out.record.stderr_tail
        );
        assert!(out.results[3].value.is_err(), "{}: an undefined name is an error", lang.name);
        let tests = lang.probe_tests(f, &values).unwrap();
        assert!(sb.check(lang, &ex.solution, &tests).unwrap().passed(), "{}: {tests}", lang.name);
        assert!(!sb.check(lang, &lang.stub, &tests).unwrap().passed(), "{}: passes the stub", lang.name);
        probed += 1;
    }
    assert!(probed >= 1, "no language could be probed");
}
