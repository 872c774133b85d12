//! `sources.toml`: where the built-in seed corpus comes from (see the file's header), and
//! where it is kept.

use serde::Deserialize;
use std::path::PathBuf;

const TABLE: &str = include_str!("../sources.toml");

/// One source of the built-in corpus.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Source {
    pub name: String,
    pub langs: Vec<String>,
    /// Path patterns (see [`expand`]).
    pub roots: Vec<String>,
    pub installed_by: String,
    /// The licence of files nothing else names one for.
    #[serde(default)]
    pub licence: Option<String>,
    /// What `scripts/fetch_sources.py` installs (`npm:…`, `zip:…`).
    #[serde(default)]
    pub fetch: Option<String>,
}

#[derive(Deserialize)]
struct Table {
    source: Vec<Source>,
}

/// The built-in sources, in the table's order. The table is part of the binary; a
/// malformed one is a build defect, which the tests catch.
pub fn sources() -> Result<Vec<Source>, toml::de::Error> {
    toml::from_str::<Table>(TABLE).map(|t| t.source)
}

/// The places a pattern names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Places {
    /// `{sources}`: where fetched packages are unpacked.
    pub sources: PathBuf,
    /// `{cargo_home}`.
    pub cargo_home: PathBuf,
}

impl Places {
    /// `$GEN_SOURCES_DIR` (else `~/.cache/gen/sources`) and `$CARGO_HOME` (else `~/.cargo`).
    pub fn from_env() -> Places {
        let home = || PathBuf::from(std::env::var_os("HOME").unwrap_or_else(|| "/".into()));
        let var = |name: &str| std::env::var_os(name).filter(|v| !v.is_empty()).map(PathBuf::from);
        Places {
            sources: var("GEN_SOURCES_DIR").unwrap_or_else(|| home().join(".cache/gen/sources")),
            cargo_home: var("CARGO_HOME").unwrap_or_else(|| home().join(".cargo")),
        }
    }
}

/// Where the built-in corpus is kept, beside the models: `$GEN_SEED_DIR`, else
/// `~/.cache/gen/seeds`.
pub fn corpus_dir() -> PathBuf {
    match std::env::var_os("GEN_SEED_DIR").filter(|v| !v.is_empty()) {
        Some(dir) => PathBuf::from(dir),
        None => {
            PathBuf::from(std::env::var_os("HOME").unwrap_or_else(|| "/".into())).join(".cache/gen/seeds")
        }
    }
}

/// The existing paths a pattern matches, sorted: `{sources}` and `{cargo_home}` are
/// replaced, and a `*` matches any run of characters within one path segment.
pub fn expand(pattern: &str, places: &Places) -> Vec<PathBuf> {
    let full = pattern
        .replace("{sources}", &places.sources.display().to_string())
        .replace("{cargo_home}", &places.cargo_home.display().to_string());
    let mut found = vec![PathBuf::from(if full.starts_with('/') { "/" } else { "." })];
    for segment in full.split('/').filter(|s| !s.is_empty()) {
        let mut next = Vec::new();
        for dir in &found {
            if !segment.contains('*') {
                let p = dir.join(segment);
                if p.exists() {
                    next.push(p);
                }
                continue;
            }
            let Ok(entries) = std::fs::read_dir(dir) else { continue };
            for e in entries.flatten() {
                if matches(segment, &e.file_name().to_string_lossy()) {
                    next.push(e.path());
                }
            }
        }
        next.sort();
        found = next;
    }
    found
}

/// Whether `name` matches `pattern`, whose `*`s match any run of characters.
fn matches(pattern: &str, name: &str) -> bool {
    let parts: Vec<&str> = pattern.split('*').collect();
    let (first, last) = (parts[0], parts[parts.len() - 1]);
    if !name.starts_with(first) || name.len() < first.len() + last.len() || !name.ends_with(last) {
        return false;
    }
    let mut rest = &name[first.len()..name.len() - last.len()];
    for mid in &parts[1..parts.len() - 1] {
        match rest.find(mid) {
            Some(i) => rest = &rest[i + mid.len()..],
            None => return false,
        }
    }
    true
}

/// A source's roots that exist.
pub fn roots(source: &Source, places: &Places) -> Vec<PathBuf> {
    source.roots.iter().flat_map(|p| expand(p, places)).collect()
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn the_table_parses_and_names_known_languages() {
        let table = sources().unwrap();
        assert!(table.len() >= 5, "{table:?}");
        let known = crate::languages();
        for s in &table {
            for l in &s.langs {
                assert!(known.contains(l), "{}: {l} has no harvest rules", s.name);
            }
            assert!(!s.roots.is_empty(), "{} has no roots", s.name);
        }
    }

    #[test]
    fn patterns_match_within_one_segment() {
        assert!(matches("go-*", "go-1.19"));
        assert!(matches("python3.*", "python3.11"));
        assert!(!matches("python3.*", "python3"));
        assert!(matches("a*b*c", "axxbyyc"));
        assert!(!matches("a*b*c", "axxc"));
        let tmp = tempfile::tempdir().unwrap();
        for d in ["go-1.19/src", "go-1.21/src", "gone/src"] {
            std::fs::create_dir_all(tmp.path().join(d)).unwrap();
        }
        let places = Places { sources: tmp.path().into(), cargo_home: "/nowhere".into() };
        let got = expand("{sources}/go-*/src", &places);
        assert_eq!(got, vec![tmp.path().join("go-1.19/src"), tmp.path().join("go-1.21/src")]);
        assert!(expand("{cargo_home}/registry/src/*", &places).is_empty());
    }
}
