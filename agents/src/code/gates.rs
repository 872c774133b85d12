//! Quality gates between a passing sample and the dataset: length and language checks
//! of the instruction, exact and MinHash near-duplicate removal (over this run and the
//! agent's memory of earlier runs) and n-gram decontamination against benchmark files.
//!
//! Duplicates are judged per language on the instruction: the same exercise ported to
//! Go and to Python is the multilingual transfer we want, not a duplicate.

use datasets::dedup::hash64;
pub use datasets::dedup::{DedupIndex, Duplicate, NEAR_DUP_THRESHOLD, instruction_digest, words};
use std::collections::HashSet;
use std::path::{Path, PathBuf};

/// Word n-gram length for decontamination; 13 is the GPT-3 convention for prose, but
/// benchmark prompts for code are short, so a shorter window catches paraphrased copies.
pub const DECONTAM_NGRAM: usize = 10;

/// Instructions shorter than this many words do not state a task ("Sum.", "Fix it").
pub const MIN_INSTRUCTION_WORDS: usize = 6;
/// Longer instructions are essays, not exercises (the schema allows 400 characters; a
/// `--seeds` run or a lenient endpoint may send more).
pub const MAX_INSTRUCTION_CHARS: usize = 2000;
/// Solutions longer than this are not the small, checkable exercises we keep.
pub const MAX_SOLUTION_LINES: usize = 200;

/// Why an exercise's size disqualifies it, if it does.
pub fn length_problem(instruction: &str, solution: &str) -> Option<String> {
    let n = words(instruction).len();
    if n < MIN_INSTRUCTION_WORDS {
        return Some(format!("the instruction has {n} words, fewer than {MIN_INSTRUCTION_WORDS}"));
    }
    if instruction.chars().count() > MAX_INSTRUCTION_CHARS {
        return Some(format!("the instruction is longer than {MAX_INSTRUCTION_CHARS} characters"));
    }
    let lines = solution.lines().filter(|l| !l.trim().is_empty()).count();
    if lines > MAX_SOLUTION_LINES {
        return Some(format!("the solution has {lines} lines, more than {MAX_SOLUTION_LINES}"));
    }
    None
}

/// Common English words; an instruction without any is not English prose.
const ENGLISH: &[&str] = &[
    "a",
    "about",
    "above",
    "after",
    "all",
    "also",
    "an",
    "and",
    "any",
    "are",
    "as",
    "at",
    "be",
    "been",
    "before",
    "below",
    "between",
    "both",
    "but",
    "by",
    "can",
    "create",
    "do",
    "does",
    "each",
    "every",
    "first",
    "for",
    "from",
    "given",
    "has",
    "have",
    "how",
    "if",
    "implement",
    "in",
    "input",
    "into",
    "is",
    "it",
    "its",
    "last",
    "less",
    "list",
    "may",
    "more",
    "most",
    "must",
    "new",
    "next",
    "no",
    "not",
    "number",
    "of",
    "on",
    "one",
    "only",
    "or",
    "other",
    "our",
    "output",
    "over",
    "per",
    "provide",
    "result",
    "return",
    "returns",
    "same",
    "should",
    "so",
    "string",
    "such",
    "takes",
    "than",
    "that",
    "the",
    "their",
    "then",
    "there",
    "these",
    "they",
    "this",
    "those",
    "three",
    "to",
    "two",
    "under",
    "up",
    "use",
    "using",
    "value",
    "values",
    "was",
    "we",
    "what",
    "when",
    "where",
    "which",
    "will",
    "with",
    "within",
    "without",
    "write",
    "you",
    "your",
];

/// Why an instruction is not English prose (training data asks in English; code, a bare
/// signature or another script in its place is a broken sample), if it is not.
pub fn language_problem(instruction: &str) -> Option<String> {
    let visible: Vec<char> = instruction.chars().filter(|c| !c.is_whitespace()).collect();
    if visible.is_empty() {
        return Some("the instruction is empty".into());
    }
    let latin = visible.iter().filter(|c| c.is_ascii_alphabetic()).count();
    let share = latin as f64 / visible.len() as f64;
    if share < 0.6 {
        return Some(format!(
            "the instruction is {:.0}% latin letters (code or another script, not English prose)",
            share * 100.0
        ));
    }
    let symbols = visible.iter().filter(|c| "(){}[];=<>+*/\\|&!%^~$#@`".contains(**c)).count();
    if symbols as f64 > 0.15 * visible.len() as f64 {
        return Some("the instruction reads as code, not prose".into());
    }
    let words = words(instruction);
    let english = words.iter().filter(|w| ENGLISH.contains(&w.as_str())).count();
    if english * 10 < words.len() {
        return Some(format!(
            "only {english} of the instruction's {} words are common English words",
            words.len()
        ));
    }
    None
}

/// Openings of text that talks about a solution or its tests instead of asking for one.
const META_OPENINGS: &[&str] = &[
    "the solution",
    "this solution",
    "the provided",
    "the given code",
    "the code",
    "this code",
    "the function above",
    "the above",
    "the tests",
    "these tests",
    "this test",
    "the implementation",
    "this implementation",
    "here is",
    "here's",
    "the answer",
];

/// Phrases that only text about a solution or its tests uses.
const META_PHRASES: &[&str] = &[
    "passes the tests",
    "pass the tests",
    "passes all the tests",
    "passes all tests",
    "solution is correct",
    "code is correct",
    "implementation is correct",
    "the provided code",
    "the code above",
    "the solution above",
    "the given solution",
    "the provided solution",
];

/// Words by which a request asks for something.
const REQUEST_WORDS: &[&str] = &[
    "write",
    "code",
    "program",
    "apply",
    "applies",
    "yield",
    "yields",
    "output",
    "outputs",
    "print",
    "prints",
    "should",
    "must",
    "need",
    "needs",
    "needed",
    "want",
    "implement",
    "create",
    "define",
    "return",
    "returns",
    "build",
    "design",
    "make",
    "develop",
    "complete",
    "compute",
    "computes",
    "given",
    "calculate",
    "determine",
    "find",
    "count",
    "convert",
    "check",
    "produce",
    "generate",
    "provide",
    "give",
    "takes",
    "take",
];

/// Why an instruction written from code is not a usable request, as (stage, reason):
/// `not_an_instruction` when it talks about the solution or the tests instead of asking
/// for something, `instruction` when it does not name the entry point it asks for.
pub fn instruction_problem(instruction: &str, entry: &str) -> Option<(&'static str, String)> {
    if let Some(reason) = meta_problem(instruction) {
        return Some(("not_an_instruction", reason));
    }
    let named = instruction.split(|c: char| !c.is_alphanumeric() && c != '_').any(|t| t == entry);
    if !entry.is_empty() && !named {
        return Some(("instruction", format!("it does not name the function `{entry}` it asks for")));
    }
    None
}

/// Why the instruction of a program (read from stdin, printed to stdout) is not one: it
/// must ask for something and say what the program reads.
pub fn program_instruction_problem(instruction: &str) -> Option<(&'static str, String)> {
    if let Some(reason) = meta_problem(instruction) {
        return Some(("not_an_instruction", reason));
    }
    let lower = instruction.to_lowercase();
    if !["input", "stdin", "reads"].iter().any(|w| lower.contains(w)) {
        return Some(("instruction", "it does not say what the program reads from standard input".into()));
    }
    None
}

/// Why a text is not a request but talk about a solution or its tests, if it is not.
pub fn meta_problem(instruction: &str) -> Option<String> {
    let lower = instruction.trim().to_lowercase();
    if let Some(o) = META_OPENINGS.iter().find(|o| lower.starts_with(*o)) {
        return Some(format!("it talks about a solution (opens with \"{o}\") instead of asking for one"));
    }
    if let Some(p) = META_PHRASES.iter().find(|p| lower.contains(*p)) {
        return Some(format!("it talks about a solution or its tests (\"{p}\")"));
    }
    let w = words(instruction);
    if !w.iter().any(|x| REQUEST_WORDS.contains(&x.as_str())) {
        return Some("it asks for nothing (no request such as \"write\" or \"return\")".into());
    }
    None
}

#[derive(Debug, thiserror::Error)]
pub enum DecontamError {
    #[error("cannot read decontamination file {path}: {reason}")]
    Read { path: PathBuf, reason: String },
}

/// Word n-grams of benchmark files; a sample sharing any of them is dropped.
#[derive(Debug, Default)]
pub struct Decontaminator {
    ngrams: HashSet<u64>,
    files: usize,
}

impl Decontaminator {
    /// Loads JSONL (every string value of every object counts) or plain text files.
    pub fn load(paths: &[PathBuf]) -> Result<Decontaminator, DecontamError> {
        let mut d = Decontaminator::default();
        for path in paths {
            d.add_file(path)?;
        }
        Ok(d)
    }

    fn add_file(&mut self, path: &Path) -> Result<(), DecontamError> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| DecontamError::Read { path: path.to_path_buf(), reason: e.to_string() })?;
        let is_jsonl = path.extension().is_some_and(|e| e == "jsonl" || e == "json");
        if is_jsonl {
            for line in text.lines().filter(|l| !l.trim().is_empty()) {
                match serde_json::from_str::<serde_json::Value>(line) {
                    Ok(value) => {
                        let mut strings = Vec::new();
                        collect_strings(&value, &mut strings);
                        for s in strings {
                            self.add_text(&s);
                        }
                    }
                    // A benchmark file with a stray non-JSON line still decontaminates.
                    Err(_) => self.add_text(line),
                }
            }
        } else {
            self.add_text(&text);
        }
        self.files += 1;
        Ok(())
    }

    pub fn add_text(&mut self, text: &str) {
        let w = words(text);
        for gram in w.windows(DECONTAM_NGRAM) {
            self.ngrams.insert(hash64(gram.join(" ").as_bytes(), 0xdec0));
        }
    }

    /// Whether any n-gram of `text` occurs in a benchmark.
    pub fn is_contaminated(&self, text: &str) -> bool {
        if self.ngrams.is_empty() {
            return false;
        }
        words(text)
            .windows(DECONTAM_NGRAM)
            .any(|gram| self.ngrams.contains(&hash64(gram.join(" ").as_bytes(), 0xdec0)))
    }

    pub fn ngram_count(&self) -> usize {
        self.ngrams.len()
    }
}

fn collect_strings(value: &serde_json::Value, out: &mut Vec<String>) {
    match value {
        serde_json::Value::String(s) => out.push(s.clone()),
        serde_json::Value::Array(items) => items.iter().for_each(|v| collect_strings(v, out)),
        serde_json::Value::Object(map) => map.values().for_each(|v| collect_strings(v, out)),
        _ => {}
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn length_gate_rejects_non_tasks_and_monsters() {
        let ok = "Write a function that returns the largest of three integers.";
        assert_eq!(length_problem(ok, "def f():\n    pass\n"), None);
        assert!(length_problem("Sum it.", "x").unwrap().contains("2 words"));
        assert!(length_problem(&"word ".repeat(500), "x").unwrap().contains("longer than"));
        assert!(length_problem(ok, &"x = 1\n".repeat(MAX_SOLUTION_LINES + 1)).unwrap().contains("lines"));
    }

    #[test]
    fn language_gate_wants_english_prose() {
        for good in [
            "Write a function that returns the largest of three integers.",
            "Implement fizzbuzz(n): for every number up to n print Fizz, Buzz or FizzBuzz.",
            "Given a list of strings, return them sorted by length.",
            "Our ticket counter subtracts a fixed fee. Provide minus_three(x) returning the balance x after removing three units; balances may go below zero.",
        ] {
            assert_eq!(language_problem(good), None, "{good}");
        }
        for bad in [
            "def f(x): return x + 1",
            "assert f(1) == 2; assert f(2) == 3; assert f(3) == 4",
            "Écrivez une fonction qui renvoie le plus grand élément d'une liste.",
            "编写一个函数，返回列表中最大的元素。",
            "",
        ] {
            assert!(language_problem(bad).is_some(), "{bad:?} passed as English prose");
        }
    }

    #[test]
    fn exact_and_near_duplicates_are_found_per_language() {
        let mut idx = DedupIndex::default();
        let a = "Write a function that returns the running maximum of a list of integers, as a new list.";
        idx.insert("python", a);
        assert_eq!(idx.check("python", &a.to_uppercase()), Some(Duplicate::Exact));
        let near =
            "Write a function that returns the running maximum of a list of integers, as a new list please.";
        assert_eq!(idx.check("python", near), Some(Duplicate::Near));
        assert_eq!(idx.check("go", a), None, "a port to another language is not a duplicate");
        assert_eq!(
            idx.check("python", "Parse a date string in ISO format and return the weekday name."),
            None
        );
    }

    #[test]
    fn decontamination_matches_benchmark_ngrams_from_jsonl_and_text() {
        let dir = tempfile::tempdir().unwrap();
        let jsonl = dir.path().join("bench.jsonl");
        std::fs::write(&jsonl, "{\"prompt\": \"def has_close_elements(numbers, threshold): Check if in given list of numbers, are any two numbers closer to each other than given threshold.\"}\n").unwrap();
        let d = Decontaminator::load(&[jsonl]).unwrap();
        assert!(d.is_contaminated("Task: check if in given list of numbers are any two numbers closer to each other than the threshold"));
        assert!(!d.is_contaminated(
            "Write a function that reverses the words of a sentence and keeps the punctuation."
        ));
        let missing = Decontaminator::load(&[dir.path().join("nope.txt")]).unwrap_err();
        assert!(missing.to_string().contains("nope.txt"));
    }

    #[test]
    fn instructions_about_the_solution_or_naming_nothing_are_dropped() {
        // The samples the code-v2 issue quotes from a real run (its echo of our prompt
        // is a prompt copy, below).
        for bad in [
            "The solution is correct and passes the tests.",
            "The provided code counts the vowels of a string.",
            "This function uses the built-in is operator.",
        ] {
            assert_eq!(
                instruction_problem(bad, "count_vowels").map(|p| p.0),
                Some("not_an_instruction"),
                "{bad}"
            );
        }
        let unnamed = "Write a function that returns how many vowels a string has.";
        assert_eq!(instruction_problem(unnamed, "count_vowels").map(|p| p.0), Some("instruction"));
        let good =
            "Write a function `count_vowels(s)` that returns how many vowels the string s has; \"\" gives 0.";
        assert_eq!(instruction_problem(good, "count_vowels"), None);
        assert_eq!(instruction_problem("Given a list xs, return CountAbove of it.", "CountAbove"), None);
    }

    #[test]
    fn an_echo_of_the_test_convention_is_a_prompt_copy() {
        let reg = sandbox::Registry::builtin();
        let mut echo = Decontaminator::default();
        echo.add_text(&reg.get("rust").unwrap().test_convention);
        let quoted = "Read naturally for a rust programmer. A complete rust solution is a module file `solution.rs` whose requested items are declared `pub` (no `fn main`).";
        assert!(echo.is_contaminated(quoted));
        assert!(!echo.is_contaminated(
            "Write a function `top_k(xs, k)` returning the k largest numbers of xs, largest first."
        ));
    }

    #[test]
    fn a_program_instruction_must_say_what_the_program_reads() {
        let ok =
            "Write a Bash script that reads numbers from standard input, one per line, and prints their sum.";
        assert_eq!(program_instruction_problem(ok), None);
        let silent = "Write a Bash script that prints the sum of the numbers.";
        assert_eq!(program_instruction_problem(silent).map(|p| p.0), Some("instruction"));
        let meta = "The solution is correct and passes the tests.";
        assert_eq!(program_instruction_problem(meta).map(|p| p.0), Some("not_an_instruction"));
    }
}
