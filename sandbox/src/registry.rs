//! The language registry: `languages.toml` parsed into [`Language`]s.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use crate::SandboxError;

/// The registry shipped with the crate.
const BUILTIN: &str = include_str!("../languages.toml");

/// The PATH every sandboxed command sees; toolchain detection resolves against it so a
/// compiler that only the caller can reach (rustup under /root) does not count.
pub const SANDBOX_PATH: &str = "/usr/local/bin:/usr/bin:/bin";

/// Compile steps and the final command for one way of running a language.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Steps {
    /// Commands run in order before `run`; a failure is a compile error.
    #[serde(default)]
    pub compile: Vec<Vec<String>>,
    /// The command whose exit status is the verdict.
    pub run: Vec<String>,
}

/// A trusted solution/tests pair compiled once to fill a language's compile cache.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Warmup {
    pub solution: String,
    pub tests: String,
    /// Trusted commands run first, with the cache writable (Go's `go list std`, which
    /// indexes every standard package: Go 1.19 cannot index one in a read-only cache).
    #[serde(default)]
    pub prime: Vec<Vec<String>>,
}

/// How a harvested seed is checked to load (compile, or import): `solution` is a
/// template of `{imports}` and `{functions}` (`{{`/`}}` for literal braces), `tests` a
/// program that only loads the solution.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct Load {
    pub solution: String,
    pub tests: String,
}

impl Load {
    /// The check's solution and tests for seeds with these imports and functions.
    pub fn render(&self, imports: &str, functions: &str) -> (String, String) {
        // The seeds' own braces are not the template's: mark the template's doubled
        // braces before the seeds go in, and turn them back after.
        let solution = self
            .solution
            .replace("{{", "\u{0}")
            .replace("}}", "\u{1}")
            .replace("{imports}", imports)
            .replace("{functions}", functions)
            .replace('\u{0}', "{")
            .replace('\u{1}', "}");
        (solution, self.tests.replace("{{", "{").replace("}}", "}"))
    }
}

/// A worked exercise that follows the language's conventions, shown to the generating
/// model as the form of a good answer. It must pass its own check and fail against the
/// stub (the registry tests run every installed language's example).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct Example {
    pub instruction: String,
    pub solution: String,
    pub tests: String,
    pub entry_point: String,
}

/// One registered language (a `[[language]]` table).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct Language {
    pub name: String,
    #[serde(default)]
    pub aliases: Vec<String>,
    /// How prose writes the language's name (`C++`, `JavaScript`).
    pub display: String,
    /// File name the solution is written to.
    pub source_file: String,
    /// File name the tests are written to.
    pub test_file: String,
    /// File name endings of the language's sources, without the dot.
    #[serde(default)]
    pub extensions: Vec<String>,
    /// Trusted command that exits 0 iff the toolchain is installed.
    pub detect: Vec<String>,
    /// The "empty solution": tests run against it must not pass.
    #[serde(default)]
    pub stub: String,
    /// How tests are written, for generation prompts.
    pub test_convention: String,
    /// Extra fixed files written next to the sources (e.g. go.mod).
    #[serde(default)]
    pub files: BTreeMap<String, String>,
    /// Extra environment inside the sandbox.
    #[serde(default)]
    pub env: BTreeMap<String, String>,
    /// Variable naming the compile cache directory, if the language has one.
    #[serde(default)]
    pub cache_env: Option<String>,
    /// Solution + tests.
    pub check: Steps,
    /// The solution alone, as a program.
    pub program: Steps,
    #[serde(default)]
    pub warmup: Option<Warmup>,
    /// How harvested seeds are checked to load (`load = {…}`).
    #[serde(default)]
    pub load: Option<Load>,
    #[serde(default)]
    pub example: Option<Example>,
    #[serde(default)]
    pub probe: Option<crate::probe::ProbeSpec>,
    /// How cases are rendered for this language (`[language.cases]`).
    #[serde(default)]
    pub cases: Option<crate::cases::CaseSpec>,
    /// How a line comment starts (`#`, `--`; `//` when absent).
    #[serde(default = "default_comment")]
    pub comment: String,
    /// This runtime's own words for a failed allocation or fork (`limits = {…}`), on top
    /// of the registry-wide `[limits]`.
    #[serde(default)]
    pub limits: LimitMarkers,
    /// Why the toolchain is left out of the default install (`scripts/setup` installs it
    /// with `--languages all`), e.g. its size; `None` for the default languages.
    #[serde(default)]
    pub optional: Option<String>,
    /// Host directories outside /usr and /etc the toolchain reads, bound read-only into
    /// every sandbox (GHC's package database lives in /var/lib/ghc).
    #[serde(default)]
    pub mounts: Vec<String>,
}

impl Language {
    /// Whether tests under `GEN_REQUIRE_ALL=1` must find this toolchain: every default
    /// language, and the optional ones once `scripts/setup --languages all` installed them
    /// (it writes the marker [`all_languages_marker`]) or `GEN_LANGUAGES=all` says so.
    pub fn required_by_tests(&self) -> bool {
        self.optional.is_none()
            || std::env::var("GEN_LANGUAGES").is_ok_and(|v| v == "all")
            || all_languages_marker().is_some_and(|m| m.exists())
    }
}

/// The file `scripts/setup --languages all` leaves: `$XDG_CACHE_HOME/gen/languages-all`
/// (else `~/.cache/gen/languages-all`).
pub fn all_languages_marker() -> Option<std::path::PathBuf> {
    let cache = std::env::var_os("XDG_CACHE_HOME")
        .map(std::path::PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| std::path::PathBuf::from(h).join(".cache")))?;
    Some(cache.join("gen").join("languages-all"))
}

fn default_comment() -> String {
    "//".into()
}

/// Which rlimit a failed run died of, when its stderr says so.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LimitHit {
    Memory,
    Process,
}

/// Stderr markers of a failed allocation (`memory`) or fork/thread (`process`). A marker
/// matches where a line of stderr contains it; a leading `^` anchors it at the line's
/// start (Python's traceback quotes source lines, indented, before its final
/// `MemoryError`). Process markers are tried first: the JVM's thread failure is an
/// `OutOfMemoryError`.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct LimitMarkers {
    #[serde(default)]
    pub memory: Vec<String>,
    #[serde(default)]
    pub process: Vec<String>,
}

impl LimitMarkers {
    fn matches(markers: &[String], text: &str) -> bool {
        markers.iter().any(|m| match m.strip_prefix('^') {
            Some(start) => text.lines().any(|l| l.starts_with(start)),
            None => text.lines().any(|l| l.contains(m.as_str())),
        })
    }

    /// The limit `stderr` reports, by these markers and then by `also`'s.
    pub fn hit(&self, also: &LimitMarkers, stderr: &str) -> Option<LimitHit> {
        if Self::matches(&self.process, stderr) || Self::matches(&also.process, stderr) {
            Some(LimitHit::Process)
        } else if Self::matches(&self.memory, stderr) || Self::matches(&also.memory, stderr) {
            Some(LimitHit::Memory)
        } else {
            None
        }
    }
}

impl Language {
    /// Whether `name` is this language's name or one of its aliases (case-insensitive).
    pub fn answers_to(&self, name: &str) -> bool {
        self.name.eq_ignore_ascii_case(name) || self.aliases.iter().any(|a| a.eq_ignore_ascii_case(name))
    }

    /// Runs the `detect` command; `Some(first line of its output)` iff it exits 0.
    pub fn detect_toolchain(&self) -> Option<String> {
        let (program, args) = self.detect.split_first()?;
        let exe = resolve_on_sandbox_path(program)?;
        let out =
            Command::new(exe).args(args).env("PATH", SANDBOX_PATH).stdin(Stdio::null()).output().ok()?;
        if !out.status.success() {
            return None;
        }
        // Some tools (javac -version on old JDKs) print their version on stderr.
        let text = if out.stdout.is_empty() { out.stderr } else { out.stdout };
        // The first non-blank line: `perl -v` opens with an empty one.
        let text = String::from_utf8_lossy(&text);
        let line = text.lines().map(str::trim).find(|l| !l.is_empty()).unwrap_or("").to_string();
        Some(line)
    }
}

/// Finds `program` the way the sandbox's PATH would.
pub(crate) fn resolve_on_sandbox_path(program: &str) -> Option<PathBuf> {
    if program.contains('/') {
        let p = Path::new(program);
        return p.is_file().then(|| p.to_path_buf());
    }
    SANDBOX_PATH.split(':').map(|dir| Path::new(dir).join(program)).find(|p| p.is_file())
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RegistryFile {
    #[serde(default)]
    limits: LimitMarkers,
    language: Vec<Language>,
}

/// All registered languages, in file order.
#[derive(Debug, Clone)]
pub struct Registry {
    languages: Vec<Language>,
    /// Markers every language shares (libc's strerror texts).
    limits: LimitMarkers,
}

impl Registry {
    /// The registry embedded from `sandbox/languages.toml`.
    pub fn builtin() -> Registry {
        // The embedded file is checked by `builtin_registry_parses`; an error here is a
        // build defect, so fall back to an empty registry rather than panic at run time.
        Self::from_toml(BUILTIN).unwrap_or_else(|e| {
            tracing::error!("embedded languages.toml is invalid: {e}");
            Registry { languages: Vec::new(), limits: LimitMarkers::default() }
        })
    }

    /// Parses a registry in the `languages.toml` format.
    pub fn from_toml(text: &str) -> Result<Registry, SandboxError> {
        let file: RegistryFile = toml::from_str(text).map_err(|e| SandboxError::Registry(e.to_string()))?;
        let mut seen = std::collections::HashSet::new();
        for lang in &file.language {
            for n in std::iter::once(&lang.name).chain(&lang.aliases) {
                if !seen.insert(n.to_ascii_lowercase()) {
                    return Err(SandboxError::Registry(format!(
                        "language name or alias `{n}` is used twice"
                    )));
                }
            }
            if lang.check.run.is_empty() || lang.program.run.is_empty() || lang.detect.is_empty() {
                return Err(SandboxError::Registry(format!(
                    "language `{}`: `detect`, `check.run` and `program.run` must not be empty",
                    lang.name
                )));
            }
            if lang.source_file == lang.test_file || lang.files.contains_key(&lang.source_file) {
                return Err(SandboxError::Registry(format!("language `{}`: file names collide", lang.name)));
            }
        }
        Ok(Registry { languages: file.language, limits: file.limits })
    }

    /// Which limit a failed run of `lang` died of, read off its stderr.
    pub fn limit_hit(&self, lang: &str, stderr: &str) -> Option<LimitHit> {
        let own = self.get(lang).map(|l| &l.limits);
        own.unwrap_or(&self.limits).hit(&self.limits, stderr)
    }

    /// Looks a language up by name or alias.
    pub fn get(&self, name: &str) -> Option<&Language> {
        self.languages.iter().find(|l| l.answers_to(name))
    }

    /// All languages, in file order.
    pub fn languages(&self) -> &[Language] {
        &self.languages
    }

    /// Canonical names, in file order.
    pub fn names(&self) -> Vec<String> {
        self.languages.iter().map(|l| l.name.clone()).collect()
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn limit_markers_read_the_runtime_s_last_words() {
        let reg = Registry::builtin();
        let py_oom = "Traceback (most recent call last):\n  File \"solution.py\", line 2, in <module>\n    hog = bytearray(2 << 30)\nMemoryError\n";
        assert_eq!(reg.limit_hit("python", py_oom), Some(LimitHit::Memory));
        // A source line quoting MemoryError is indented: `^` keeps it from counting.
        let quoted = "  File \"t.py\", line 3\n    except MemoryError:\nAssertionError: case 2\n";
        assert_eq!(reg.limit_hit("python", quoted), None);
        let fork = "BlockingIOError: [Errno 11] Resource temporarily unavailable";
        assert_eq!(reg.limit_hit("python", fork), Some(LimitHit::Process));
        // libc's texts hold for every language; a runtime's own only for it.
        assert_eq!(reg.limit_hit("c", "malloc: Cannot allocate memory"), Some(LimitHit::Memory));
        assert_eq!(reg.limit_hit("c", "terminate called after throwing 'std::bad_alloc'"), None);
        assert_eq!(
            reg.limit_hit("cpp", "terminate called after throwing 'std::bad_alloc'"),
            Some(LimitHit::Memory)
        );
        // The JVM's thread failure is an OutOfMemoryError: process markers come first.
        let jvm = "Exception in thread \"main\" java.lang.OutOfMemoryError: unable to create native thread: possibly out of memory";
        assert_eq!(reg.limit_hit("java", jvm), Some(LimitHit::Process));
        assert_eq!(reg.limit_hit("java", "Exception in thread \"main\" java.lang.AssertionError"), None);
        assert_eq!(
            reg.limit_hit("nonesuch", "fork: Resource temporarily unavailable"),
            Some(LimitHit::Process)
        );
    }

    #[test]
    fn builtin_registry_parses() {
        let reg = Registry::from_toml(BUILTIN).unwrap();
        for lang in reg.languages() {
            assert!(!lang.extensions.is_empty(), "{}: no source file extensions", lang.name);
        }
        for name in ["python", "javascript", "typescript", "rust", "go", "c", "cpp", "java", "bash"] {
            assert!(reg.get(name).is_some(), "{name} missing");
        }
        assert_eq!(reg.get("js").unwrap().name, "javascript");
        assert_eq!(reg.get("C++").unwrap().name, "cpp");
        assert_eq!(reg.get("sh").unwrap().name, "bash");
        assert!(reg.get("cobol").is_none());
    }

    #[test]
    fn duplicate_alias_is_rejected() {
        let one = r#"
[[language]]
name = "a"
display = "A"
aliases = ["x"]
source_file = "a"
test_file = "b"
detect = ["true"]
test_convention = ""
check = { run = ["true"] }
program = { run = ["true"] }
"#;
        let two = format!("{one}{}", one.replace("name = \"a\"", "name = \"b\""));
        let err = Registry::from_toml(&two).unwrap_err().to_string();
        assert!(err.contains("`x` is used twice"), "{err}");
    }
}
