//! Test strength by mutation: mechanical mutants of a solution, and the share of them its
//! tests reject (`verification.mutation_score`).
//!
//! Mutants change one thing outside strings and comments: an arithmetic or logical
//! operator, a comparison (`<` ↔ `<=`, `==` ↔ `!=`), an integer constant shifted by one, a
//! boolean constant, or an `if` condition negated. Only operators written with spaces
//! around them are touched, so generics (`Vec<i64>`), arrows and unary minus stay intact.
//! A mutant that does not compile says nothing about the tests and is left out of the
//! score. The stub check (tests must fail on the empty solution) stands in for the
//! "return a default value" mutant.

use crate::code::checker::{CheckError, Checker};

/// Most mutants run per sample.
pub const MAX_MUTANTS: usize = 12;

/// One mutant: what changed and the mutated source.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mutant {
    pub change: String,
    pub code: String,
}

/// What the tests did to the mutants.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct MutationResult {
    /// Mutants that compiled.
    pub valid: u32,
    /// Of those, the ones the tests rejected.
    pub killed: u32,
}

impl MutationResult {
    /// `killed / valid`, or `None` when no mutant compiled.
    pub fn score(&self) -> Option<f64> {
        (self.valid > 0).then(|| f64::from(self.killed) / f64::from(self.valid))
    }
}

/// Swaps of operators written between spaces, longest first.
const SWAPS: &[(&str, &str)] = &[
    (" === ", " !== "),
    (" !== ", " === "),
    (" <= ", " < "),
    (" >= ", " > "),
    (" == ", " != "),
    (" != ", " == "),
    (" && ", " || "),
    (" || ", " && "),
    (" and ", " or "),
    (" or ", " and "),
    (" < ", " <= "),
    (" > ", " >= "),
    (" + ", " - "),
    (" - ", " + "),
    (" * ", " + "),
    (" // ", " * "),
    (" / ", " * "),
    (" % ", " * "),
    // test(1)'s comparisons, in bash.
    (" -lt ", " -le "),
    (" -le ", " -lt "),
    (" -gt ", " -ge "),
    (" -ge ", " -gt "),
    (" -eq ", " -ne "),
    (" -ne ", " -eq "),
];

/// Constant swaps, as whole words.
const WORDS: &[(&str, &str)] = &[("true", "false"), ("false", "true"), ("True", "False"), ("False", "True")];

/// Which bytes of `code` are code (not inside a string literal or a comment). `#` starts
/// a comment in Python and bash and a preprocessor line in C, which is not mutated either.
fn code_mask(code: &str) -> Vec<bool> {
    let b = code.as_bytes();
    let mut mask = vec![true; b.len()];
    let mut i = 0;
    while i < b.len() {
        let rest = &code[i..];
        let (skip_to, is_code) = if rest.starts_with("\"\"\"") || rest.starts_with("'''") {
            let q = &rest[..3];
            (i + 3 + rest[3..].find(q).map_or(rest.len() - 3, |e| e + 3), false)
        } else if rest.starts_with('"') || rest.starts_with('\'') || rest.starts_with('`') {
            let q = b[i];
            let mut j = i + 1;
            while j < b.len() && b[j] != q && b[j] != b'\n' {
                j += if b[j] == b'\\' { 2 } else { 1 };
            }
            ((j + 1).min(b.len()), false)
        } else if rest.starts_with("//") || rest.starts_with('#') {
            (i + rest.find('\n').unwrap_or(rest.len()), false)
        } else if rest.starts_with("/*") {
            (i + rest.find("*/").map_or(rest.len(), |e| e + 2), false)
        } else {
            (i + 1, true)
        };
        for m in mask.iter_mut().take(skip_to).skip(i) {
            *m = is_code;
        }
        i = skip_to.max(i + 1);
    }
    mask
}

/// Every single-change mutant of `code`, in source order.
pub fn all_mutants(code: &str) -> Vec<Mutant> {
    let mask = code_mask(code);
    let is_code = |from: usize, len: usize| mask[from..from + len].iter().all(|m| *m);
    let mut sites: Vec<(usize, usize, String, String)> = Vec::new();
    let mut taken = vec![false; code.len()];
    for (from, to) in SWAPS {
        for (at, _) in code.match_indices(from) {
            if is_code(at, from.len()) && !taken[at + 1] {
                taken[at + 1] = true;
                sites.push((at, from.len(), to.to_string(), format!("`{}` → `{}`", from.trim(), to.trim())));
            }
        }
    }
    let ident = |c: u8| c.is_ascii_alphanumeric() || c == b'_';
    let b = code.as_bytes();
    for (from, to) in WORDS {
        for (at, _) in code.match_indices(from) {
            let end = at + from.len();
            let whole = (at == 0 || !ident(b[at - 1])) && (end == b.len() || !ident(b[end]));
            if whole && is_code(at, from.len()) {
                sites.push((at, from.len(), to.to_string(), format!("`{from}` → `{to}`")));
            }
        }
    }
    // Integer constants (not part of a name or a float), shifted by one.
    let mut i = 0;
    while i < b.len() {
        if b[i].is_ascii_digit() && (i == 0 || !(ident(b[i - 1]) || b[i - 1] == b'.')) {
            let mut j = i;
            while j < b.len() && b[j].is_ascii_digit() {
                j += 1;
            }
            let float = j < b.len() && (b[j] == b'.' || ident(b[j]));
            if !float
                && is_code(i, j - i)
                && let Ok(n) = code[i..j].parse::<i64>()
            {
                sites.push((i, j - i, (n + 1).to_string(), format!("`{n}` → `{}`", n + 1)));
            }
            i = j;
        } else {
            i += 1;
        }
    }
    // Negated conditions.
    for (from, to) in [("if (", "if (!"), ("if not ", "if "), ("if ", "if not ")] {
        for (at, _) in code.match_indices(from) {
            let starts_word = at == 0 || !ident(b[at - 1]);
            if starts_word && is_code(at, from.len()) && !taken[at] {
                taken[at] = true;
                sites.push((at, from.len(), to.to_string(), format!("negated `{}`", from.trim())));
            }
        }
    }
    sites.sort_by_key(|s| s.0);
    sites
        .into_iter()
        .map(|(at, len, to, change)| {
            let mut code = code.to_string();
            code.replace_range(at..at + len, &to);
            Mutant { change, code }
        })
        .collect()
}

/// At most `max` mutants spread evenly over the source.
pub fn mutants(code: &str, max: usize) -> Vec<Mutant> {
    let all = all_mutants(code);
    if all.len() <= max {
        return all;
    }
    (0..max).map(|k| all[k * all.len() / max].clone()).collect()
}

/// Runs the tests against every mutant of `solution`.
pub fn measure(
    checker: &dyn Checker,
    lang: &str,
    solution: &str,
    tests: &str,
) -> Result<MutationResult, CheckError> {
    let mut result = MutationResult::default();
    // All mutants at once: the sandbox runs them on all its slots.
    let codes: Vec<String> = mutants(solution, MAX_MUTANTS).into_iter().map(|m| m.code).collect();
    for exec in checker.check_many(lang, &codes, tests)? {
        if exec.compiled {
            result.valid += 1;
            result.killed += u32::from(!exec.passed);
        }
    }
    Ok(result)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn mutants_change_code_but_not_strings_comments_or_generics() {
        let code = "fn f(xs: &[i64]) -> Vec<i64> {\n    // a + b\n    let s = \"x < y\";\n    if xs.len() > 2 && true { return vec![xs[0] + 1]; }\n    vec![]\n}\n";
        let changes: Vec<String> = all_mutants(code).into_iter().map(|m| m.change).collect();
        assert_eq!(
            changes,
            vec![
                "negated `if`",
                "`>` → `>=`",
                "`2` → `3`",
                "`&&` → `||`",
                "`true` → `false`",
                "`0` → `1`",
                "`+` → `-`",
                "`1` → `2`"
            ],
        );
        for m in all_mutants(code) {
            assert!(
                m.code.contains("// a + b") && m.code.contains("\"x < y\"") && m.code.contains("Vec<i64>"),
                "{}",
                m.code
            );
        }
    }

    #[test]
    fn python_conditions_are_negated_and_docstrings_left_alone() {
        let code =
            "def f(x):\n    \"\"\"Is x > 1?\"\"\"\n    if x >= 10:\n        return x - 1\n    return 0\n";
        let all = all_mutants(code);
        assert!(all.iter().any(|m| m.code.contains("if not x >= 10:")));
        assert!(all.iter().all(|m| m.code.contains("\"\"\"Is x > 1?\"\"\"")));
        assert_eq!(all.len(), 6, "{:?}", all.iter().map(|m| &m.change).collect::<Vec<_>>());
        assert_eq!(mutants(code, 3).len(), 3);
    }

    #[test]
    fn the_score_leaves_out_mutants_that_do_not_compile() {
        assert_eq!(MutationResult { valid: 8, killed: 6 }.score(), Some(0.75));
        assert_eq!(MutationResult::default().score(), None);
    }
}
