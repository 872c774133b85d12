//! Escape attempts (infinite loop, fork bomb, 1 GiB output and file, TCP connect,
//! reading secrets, writing outside the work dir) from `tests/fixtures/*/`: each must
//! end with its expected outcome, leave no process, file or connection behind, and the
//! next run in the same slots must be unaffected.
#![allow(clippy::unwrap_used)]

mod common;

use sandbox::{Limits, Outcome, Sandbox, SandboxOptions, TAIL_BYTES};
use std::collections::BTreeMap;
use std::net::TcpListener;
use std::path::Path;

const BASIC: [&str; 4] = ["pass", "fail", "compile_error", "hello"];
const DEFAULT_WALL_MS: u64 = 10_000;

/// Processes (not threads) whose real uid is in `uids`.
fn processes_of(uids: std::ops::Range<u32>) -> Vec<String> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir("/proc").unwrap().flatten() {
        let Ok(status) = std::fs::read_to_string(entry.path().join("status")) else { continue };
        let uid = status
            .lines()
            .find_map(|l| l.strip_prefix("Uid:"))
            .and_then(|r| r.split_whitespace().next())
            .and_then(|u| u.parse::<u32>().ok());
        if uid.is_some_and(|u| uids.contains(&u)) {
            let pick = |k: &str| status.lines().find(|l| l.starts_with(k)).unwrap_or("").replace('\t', " ");
            found.push(format!("{} {} {} {}", pick("Name:"), pick("State:"), pick("PPid:"), pick("Uid:")));
        }
    }
    found
}

#[test]
fn escape_attempts_are_contained_and_leave_nothing_behind() {
    let cases = common::load_cases(|c| !BASIC.contains(&c));
    if cases.is_empty() {
        println!("SKIP: no toolchain for the escape fixtures");
        return;
    }
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    listener.set_nonblocking(true).unwrap();
    let port = listener.local_addr().unwrap().port();
    let marker = format!("gen-sandbox-escape-{}", std::process::id());
    // The secrets fixtures probe these: they must exist here, or a probe proves nothing.
    let (repo, home) = common::host_paths();
    assert!(repo.join("Cargo.toml").is_file() && home.is_dir(), "{} / {}", repo.display(), home.display());
    let work_root = tempfile::tempdir().unwrap();

    let mut groups: BTreeMap<u64, Vec<&common::Case>> = BTreeMap::new();
    for c in &cases {
        groups.entry(c.expect.wall_ms.unwrap_or(DEFAULT_WALL_MS)).or_default().push(c);
    }
    let mut problems = Vec::new();
    let mut sandboxes: Vec<(Sandbox, u32)> = Vec::new();
    for (wall_ms, group) in groups {
        let uid_base = common::fresh_uid_base();
        let sb = Sandbox::new(SandboxOptions {
            limits: Limits { wall_ms, ..Limits::RUN },
            parallelism: 2,
            uid_base: Some(uid_base),
            work_root: Some(work_root.path().to_path_buf()),
            ..SandboxOptions::default()
        })
        .unwrap();
        let checks: Vec<_> = group.iter().map(|c| c.check(port, &marker)).collect();
        for (case, rec) in group.iter().zip(sb.run_many(&checks)) {
            let rec = rec.unwrap();
            println!(
                "{:<24} {:<14} {:>6} ms  {}",
                case.id(),
                rec.outcome.label(),
                rec.duration_ms,
                rec.stdout_tail.lines().last().unwrap_or("").chars().take(60).collect::<String>()
            );
            let mut wrong = Vec::new();
            if rec.outcome.label() != case.expect.outcome {
                wrong.push(format!("expected {}, got {}", case.expect.outcome, rec.outcome));
            }
            if let Some(s) = case.expect.stdout_contains.as_deref().filter(|s| !rec.stdout_tail.contains(s)) {
                wrong.push(format!("stdout lacks {s:?}"));
            }
            if rec.stdout_tail.contains("ESCAPED") {
                wrong.push("the program reports an escape".into());
            }
            if rec.outcome == (Outcome::TimeLimit { cpu: false }) && rec.duration_ms > wall_ms + 5_000 {
                wrong.push(format!("killed {} ms after a {wall_ms} ms limit", rec.duration_ms));
            }
            if rec.outcome == (Outcome::OutputLimit { file: false }) {
                let cap = Limits::RUN.output_bytes;
                if rec.stdout_bytes > cap + (64 << 10) || rec.stdout_tail.len() > TAIL_BYTES {
                    wrong.push(format!("read {} bytes, kept {}", rec.stdout_bytes, rec.stdout_tail.len()));
                }
            }
            let file = case.expect.file.filter(|_| case.expect.outcome == "output_limit");
            if let Some(file) = file.filter(|f| rec.outcome != (Outcome::OutputLimit { file: *f })) {
                wrong
                    .push(format!("expected the {} output limit", if file { "file-size" } else { "stream" }));
            }
            if !wrong.is_empty() {
                problems.push(format!(
                    "{}: {}\nstdout: {}\nstderr: {}",
                    case.id(),
                    wrong.join("; "),
                    rec.stdout_tail,
                    rec.stderr_tail
                ));
            }
        }
        sandboxes.push((sb, uid_base));
    }

    // Nothing survives: no process carrying the run's marker or under a slot uid, no
    // connection, no file outside.
    let marked = common::processes_marked(&marker);
    assert!(marked.is_empty(), "processes survived their sandbox: {marked:?}");
    for (_, base) in &sandboxes {
        let left = processes_of(*base..*base + 2);
        assert!(left.is_empty(), "processes survived their sandbox: {left:?}");
    }
    assert!(listener.accept().is_err(), "a sandbox connected to the host's loopback");
    assert!(!Path::new("/tmp").join(&marker).exists(), "the sandbox's /tmp is the host's");
    for p in ["/usr/escape", "/etc/escape", "/escape"] {
        assert!(!Path::new(p).exists(), "{p} was written");
    }
    let leftovers: Vec<_> = std::fs::read_dir(work_root.path()).unwrap().collect();
    assert!(leftovers.is_empty(), "work dirs left behind: {leftovers:?}");

    // The next run in the same slots is unaffected.
    let reg = sandbox::Registry::builtin();
    let next =
        ["python", "bash", "c"].iter().filter_map(|n| reg.get(n)).find(|l| l.detect_toolchain().is_some());
    if let Some(lang) = next {
        let hello = match lang.name.as_str() {
            "python" => "print('ok')",
            "bash" => "echo ok",
            _ => "#include <stdio.h>\nint main(void) { puts(\"ok\"); return 0; }\n",
        };
        for (sb, _) in &sandboxes {
            let recs = sb.run_many(&[lang.program_for(hello), lang.program_for(hello)]);
            for rec in recs {
                let rec = rec.unwrap();
                assert!(rec.passed() && rec.stdout_tail.trim() == "ok", "next run affected: {rec:?}");
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n\n"));
}

#[test]
fn a_missing_toolchain_is_an_error_not_a_silent_pass() {
    let mut lang = sandbox::Registry::builtin().get("bash").unwrap().clone();
    lang.detect = vec!["no-such-compiler-xyz".into(), "--version".into()];
    let sb = common::sandbox(DEFAULT_WALL_MS);
    let err = sb.check(&lang, "", "").unwrap_err();
    assert!(err.to_string().contains("toolchain is not installed"), "{err}");
}

#[test]
fn file_names_cannot_leave_the_work_dir() {
    let sb = common::sandbox(DEFAULT_WALL_MS);
    let mut check = sandbox::Registry::builtin().get("bash").unwrap().program_for("true");
    check.files.insert("../../escape.sh".into(), "x".into());
    let err = sb.replay(&check).unwrap_err();
    assert!(err.to_string().contains("must be relative"), "{err}");
}

#[test]
fn a_leaked_process_is_found_by_its_marker() {
    // The survivor check above must be able to fail: a process started with the marker,
    // outside any sandbox and under our own uid, is found; once killed, it is not.
    let marker = format!("gen-sandbox-leak-{}", std::process::id());
    let mut leak =
        std::process::Command::new("sleep").arg("30").env(common::MARKER_VAR, &marker).spawn().unwrap();
    // The child carries the marker once it has exec'd; until then it shows our environment.
    let started = std::time::Instant::now();
    let mut found = common::processes_marked(&marker);
    while found.is_empty() && started.elapsed() < std::time::Duration::from_secs(10) {
        std::thread::sleep(std::time::Duration::from_millis(20));
        found = common::processes_marked(&marker);
    }
    leak.kill().unwrap();
    leak.wait().unwrap();
    assert_eq!(found.len(), 1, "{found:?}");
    assert!(found[0].contains("sleep"), "{found:?}");
    assert!(common::processes_marked(&marker).is_empty());
    // …and the marker reaches what runs inside a sandbox.
    let reg = sandbox::Registry::builtin();
    let bash = reg.get("bash").unwrap();
    let mut check = bash.program_for("echo \"seen $GEN_ESCAPE_MARKER\"\n");
    check.env.insert(common::MARKER_VAR.into(), marker.clone());
    let rec = Sandbox::new(SandboxOptions::default()).unwrap().replay(&check).unwrap();
    assert!(rec.stdout_tail.contains(&format!("seen {marker}")), "{}", rec.stdout_tail);
}

/// The drills' columns in README's table: (heading, fixture names).
const DRILL_COLUMNS: [(&str, &[&str]); 8] = [
    ("endless loop", &["loop"]),
    ("output flood", &["big_output"]),
    ("1 GiB file", &["big_file"]),
    ("memory bomb", &["memory_hog", "memory_limit"]),
    ("fork or thread bomb", &["fork_bomb", "process_limit"]),
    ("network", &["network"]),
    ("secrets", &["secrets"]),
    ("write outside", &["write_outside"]),
];

/// README's table of which drill each language runs and how it ends, built from the
/// fixtures' `expect.toml`: the README must hold exactly this table.
#[test]
fn readme_drill_table_is_the_fixtures() {
    let reg = sandbox::Registry::builtin();
    let mut table = String::from("| language |");
    for (heading, _) in DRILL_COLUMNS {
        table.push_str(&format!(" {heading} |"));
    }
    table.push_str(&format!("\n|{}\n", " --- |".repeat(DRILL_COLUMNS.len() + 1)));
    for lang in reg.languages() {
        let dir = common::fixtures_dir().join(&lang.name);
        table.push_str(&format!("| {} |", lang.name));
        for (_, names) in DRILL_COLUMNS {
            let cells: Vec<String> = names
                .iter()
                .filter_map(|n| std::fs::read_to_string(dir.join(n).join("expect.toml")).ok())
                .map(|t| {
                    let e: common::Expect = toml::from_str(&t).unwrap();
                    if e.outcome == "passed" { "contained".to_string() } else { format!("`{}`", e.outcome) }
                })
                .collect();
            let cell = if cells.is_empty() { "–".to_string() } else { cells.join(", ") };
            table.push_str(&format!(" {cell} |"));
        }
        table.push('\n');
    }
    let readme = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("../README.md")).unwrap();
    assert!(
        readme.contains(&table),
        "README.md lacks the drill table of the fixtures; it should read:\n{table}"
    );
}
