//! Extraction against one fixture per language: every function named keep* must be a
//! seed, every one named drop* must not (each drop* breaks one rule of languages.toml:
//! I/O, a global, a helper or type of its package, a foreign import, a method, a
//! length), and what is kept carries its imports, doc, signature and licence.

#![allow(clippy::unwrap_used)]

use harvest::{HarvestOptions, SeedRecord, harvest};
use std::collections::BTreeSet;
use std::path::PathBuf;

fn fixtures() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures")
}

/// Every `keep*`/`drop*` function name in a fixture file (by a plain text scan, not the
/// parser under test).
fn names_in(text: &str, prefix: &str) -> BTreeSet<String> {
    text.split(|c: char| !c.is_alphanumeric() && c != '_')
        .filter(|w| w.starts_with(prefix) && w.len() > prefix.len())
        .map(String::from)
        .collect()
}

fn seeds_of(lang: &str) -> Vec<SeedRecord> {
    let opts = HarvestOptions { langs: vec![lang.to_string()] };
    let (seeds, report) = harvest(&[fixtures().join(lang)], &opts).unwrap();
    assert!(report.langs[lang].files > 0, "{lang}: no fixture file read");
    seeds
}

#[test]
fn each_language_keeps_exactly_its_self_contained_functions() {
    for lang in harvest::languages() {
        let dir = fixtures().join(&lang);
        let mut keep = BTreeSet::new();
        let mut drop = BTreeSet::new();
        for entry in std::fs::read_dir(&dir).unwrap() {
            let text = std::fs::read_to_string(entry.unwrap().path()).unwrap();
            keep.extend(names_in(&text, "keep"));
            drop.extend(names_in(&text, "drop"));
        }
        assert!(keep.len() >= 2 && drop.len() >= 3, "{lang}: fixture too small: {keep:?} {drop:?}");
        let seeds = seeds_of(&lang);
        let got: BTreeSet<String> = seeds.iter().map(|s| s.entry_point.clone()).collect();
        assert_eq!(got, keep, "{lang}: kept {got:?}, wanted {keep:?} (refusing {drop:?})");
    }
}

#[test]
fn a_seed_carries_the_standard_imports_it_uses_and_its_doc() {
    let py = seeds_of("python");
    let wc = py.iter().find(|s| s.entry_point == "keep_word_counts").unwrap();
    assert!(wc.code.starts_with("import re\nfrom collections import Counter\n\n"), "{}", wc.code);
    assert_eq!(wc.doc.as_deref(), Some("Counts each lowercase word of text."));
    assert_eq!(wc.signature, "def keep_word_counts(text)");
    assert!(!wc.code.contains("helpers"), "a foreign import is never copied: {}", wc.code);
    let rm = py.iter().find(|s| s.entry_point == "keep_running_max").unwrap();
    assert!(rm.code.starts_with("def keep_running_max"), "no import it does not use: {}", rm.code);

    let go = seeds_of("go");
    let title = go.iter().find(|s| s.entry_point == "keepTitle").unwrap();
    assert!(title.code.starts_with("import \"strings\"\n\n// keepTitle"), "{}", title.code);
    assert!(!title.code.contains("\"os\""), "{}", title.code);
    assert_eq!(title.doc.as_deref(), Some("keepTitle upper-cases the first letter of each word."));
    // `"unicode/utf8"` gives `utf8`, not `unicode`: only the import it uses.
    let upper = go.iter().find(|s| s.entry_point == "keepIsUpper").unwrap();
    assert_eq!(upper.imports, ["import \"unicode\""], "{}", upper.code);

    let rust = seeds_of("rust");
    let counts = rust.iter().find(|s| s.entry_point == "keep_char_counts").unwrap();
    assert!(counts.code.starts_with("use std::collections::HashMap;\n\n/// Counts"), "{}", counts.code);
    assert_eq!(counts.signature, "pub fn keep_char_counts(s: &str) -> HashMap<char, usize>");

    let java = seeds_of("java");
    let rev = java.iter().find(|s| s.entry_point == "keepReverseWords").unwrap();
    assert_eq!(rev.doc.as_deref(), Some("Reverses the order of the words in s."));
    assert!(
        rev.code.contains("\npublic static String keepReverseWords(String s) {\n    String[]"),
        "{}",
        rev.code
    );
}

#[test]
fn seeds_record_their_source_and_licence_and_drop_duplicates() {
    let tmp = tempfile::tempdir().unwrap();
    let (a, b) = (tmp.path().join("pkg_a"), tmp.path().join("pkg_b"));
    std::fs::create_dir_all(&a).unwrap();
    std::fs::create_dir_all(&b).unwrap();
    std::fs::write(tmp.path().join("LICENSE"), "Permission is hereby granted, free of charge, to any person")
        .unwrap();
    let f = "def keep_evens(xs):\n    out = [x for x in xs if x % 2 == 0]\n    return out\n";
    std::fs::write(a.join("m.py"), f).unwrap();
    // The same function again (exact), and again with one word changed (near).
    std::fs::write(b.join("m.py"), f).unwrap();
    std::fs::write(
        b.join("n.py"),
        "def keep_evens(xs):\n    out = [x for x in xs if x % 2 == 0]\n    return out  # same\n",
    )
    .unwrap();
    let (seeds, report) =
        harvest(&[tmp.path().to_path_buf()], &HarvestOptions { langs: vec!["python".into()] }).unwrap();
    assert_eq!(seeds.len(), 1, "{seeds:?}");
    let py = &report.langs["python"];
    assert_eq!((py.kept, py.exact_duplicates + py.near_duplicates), (1, 2), "{py:?}");
    let s = &seeds[0];
    assert_eq!((s.licence.as_str(), s.package.as_str()), ("MIT", "pkg_a"));
    assert!(s.source.ends_with("pkg_a/m.py") && s.licence_file.as_deref().unwrap().ends_with("LICENSE"));
    assert!(s.id.starts_with("seed-python-"));

    let out = tmp.path().join("out");
    harvest::write(&out, &seeds, &report).unwrap();
    assert_eq!(harvest::read(&out).unwrap(), seeds);
}

#[test]
fn an_unknown_language_is_a_clear_error() {
    let err =
        harvest(&[fixtures()], &HarvestOptions { langs: vec!["cobol".into()] }).unwrap_err().to_string();
    assert!(err.contains("unknown language \"cobol\"") && err.contains("python"), "{err}");
}
