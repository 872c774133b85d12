//! Loads `tests/fixtures/<lang>/<case>/`: the solution (the language's `source_file`),
//! optionally the tests (`test_file`; without it the case runs as a program) and
//! `expect.toml` (`outcome`, optional `stdout_contains`, `wall_ms`, and `file` for an
//! `output_limit`: the file-size limit rather than the stream cap).
#![allow(dead_code, clippy::unwrap_used)]

use sandbox::{Check, Language, Limits, Registry, Sandbox, SandboxOptions};
use serde::Deserialize;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU32, Ordering};

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Expect {
    pub outcome: String,
    pub stdout_contains: Option<String>,
    pub wall_ms: Option<u64>,
    /// For `output_limit`: whether the file-size limit (SIGXFSZ) or the stream cap ended it.
    pub file: Option<bool>,
}

#[derive(Debug)]
pub struct Case {
    pub lang: Language,
    pub name: String,
    pub solution: String,
    pub tests: Option<String>,
    pub expect: Expect,
}

impl Case {
    pub fn id(&self) -> String {
        format!("{}/{}", self.lang.name, self.name)
    }

    /// The check to run, with `@PORT@`/`@MARKER@` placeholders filled in, and `@REPO@` /
    /// `@HOME@` (the secrets fixtures probe them) as this checkout and this user's home.
    pub fn check(&self, port: u16, marker: &str) -> Check {
        let (repo, home) = host_paths();
        let fill = |s: &str| {
            s.replace("@PORT@", &port.to_string())
                .replace("@MARKER@", marker)
                .replace("@REPO@", &repo.display().to_string())
                .replace("@HOME@", &home.display().to_string())
        };
        let mut check = match &self.tests {
            Some(t) => self.lang.check_for(&fill(&self.solution), &fill(t)),
            None => self.lang.program_for(&fill(&self.solution)),
        };
        // Every process the program starts inherits it: how the tests find survivors.
        check.env.insert(MARKER_VAR.into(), marker.into());
        check
    }
}

/// The environment variable that carries a test run's marker into every sandboxed process.
pub const MARKER_VAR: &str = "GEN_ESCAPE_MARKER";

/// Live processes whose environment carries `MARKER_VAR=marker`, whatever their uid.
pub fn processes_marked(marker: &str) -> Vec<String> {
    let needle = format!("{MARKER_VAR}={marker}");
    let mut found = Vec::new();
    for entry in std::fs::read_dir("/proc").into_iter().flatten().flatten() {
        let Ok(environ) = std::fs::read(entry.path().join("environ")) else { continue };
        if environ.split(|&b| b == 0).any(|kv| kv == needle.as_bytes()) {
            let status = std::fs::read_to_string(entry.path().join("status")).unwrap_or_default();
            let name = status.lines().find(|l| l.starts_with("Name:")).unwrap_or("").replace('\t', " ");
            found.push(format!("pid {} {name}", entry.file_name().to_string_lossy()));
        }
    }
    found
}

/// This checkout's root and the user's home: paths that exist on the host, readable by
/// the test, which a sandboxed program must not see.
pub fn host_paths() -> (PathBuf, PathBuf) {
    let repo = Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap_or(Path::new("/")).to_path_buf();
    let home = std::env::var_os("HOME").map(PathBuf::from).unwrap_or_else(|| PathBuf::from("/root"));
    (repo, home)
}

pub fn fixtures_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures")
}

/// Whether a missing toolchain or tool fails the test instead of skipping it
/// (`GEN_REQUIRE_ALL=1`, set by `scripts/test`).
pub fn require_all() -> bool {
    std::env::var("GEN_REQUIRE_ALL").is_ok_and(|v| v == "1")
}

/// Every case of every language whose toolchain is installed; missing toolchains are
/// printed and skipped (an error under GEN_REQUIRE_ALL=1).
pub fn load_cases(filter: impl Fn(&str) -> bool) -> Vec<Case> {
    let reg = Registry::builtin();
    let require = require_all();
    let mut cases = Vec::new();
    let mut langs: Vec<_> = std::fs::read_dir(fixtures_dir()).unwrap().map(|e| e.unwrap().path()).collect();
    langs.sort();
    for dir in langs {
        let name = dir.file_name().unwrap().to_string_lossy().into_owned();
        let lang =
            reg.get(&name).unwrap_or_else(|| panic!("fixture dir {name} is not a registered language"));
        if lang.detect_toolchain().is_none() {
            assert!(
                !require || !lang.required_by_tests(),
                "toolchain for {name} missing (`{}`)",
                lang.detect.join(" ")
            );
            println!("SKIP {name}: toolchain not installed (`{}` failed)", lang.detect.join(" "));
            continue;
        }
        let mut case_dirs: Vec<_> = std::fs::read_dir(&dir).unwrap().map(|e| e.unwrap().path()).collect();
        case_dirs.sort();
        for case_dir in case_dirs {
            let case_name = case_dir.file_name().unwrap().to_string_lossy().into_owned();
            if !filter(&case_name) {
                continue;
            }
            let read = |f: &str| std::fs::read_to_string(case_dir.join(f)).ok();
            let expect: Expect = toml::from_str(&read("expect.toml").unwrap()).unwrap();
            cases.push(Case {
                lang: lang.clone(),
                name: case_name,
                solution: read(&lang.source_file)
                    .unwrap_or_else(|| panic!("{case_dir:?}: no {}", lang.source_file)),
                tests: read(&lang.test_file),
                expect,
            });
        }
    }
    cases
}

/// A uid range no other sandbox in this test process uses.
pub fn fresh_uid_base() -> u32 {
    static NEXT: AtomicU32 = AtomicU32::new(0);
    300_000 + (std::process::id() % 1000) * 1024 + NEXT.fetch_add(1, Ordering::SeqCst) * 64
}

pub fn sandbox(wall_ms: u64) -> Sandbox {
    let opts = SandboxOptions {
        limits: Limits { wall_ms, ..Limits::RUN },
        parallelism: 2,
        uid_base: Some(fresh_uid_base()),
        ..SandboxOptions::default()
    };
    Sandbox::new(opts).unwrap()
}
