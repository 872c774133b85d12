//! The template realizer: formulas of the skeleton fragment into English, faithful by
//! construction. Each shape has several phrasings; which one a premise gets is drawn
//! from the problem's RNG, so a problem is reproducible and a dataset is varied.
//!
//! The fragment: a literal, an ∧/∨/⊕ of literals, or an implication between two such
//! parts, about one named individual or under one `∀x`. Disjunction in a consequent or
//! on its own says "or both" so it cannot be read as exclusive; ⊕ says "but not both".
//!
//! Scope has one reading:
//! - in a list, positive items come first, so a negation never precedes a conjunct it
//!   could be read to cover ("plants trees and does not fix old clocks", not "does not
//!   fix old clocks and plants trees"); an ⊕ of two negations is said as the ⊕ of the
//!   atoms (equivalent);
//! - "everyone" never meets a negation it could be read under ("Everyone does not …"
//!   reads as "not everyone …"): a universal whose body is negated is said with "no one"
//!   ("No one skis", "No one both skis and surfs", "No one skis, and no one surfs") or as
//!   "If someone …, then they do not …".

use super::lexicon::{Lexicon, Person, Phrase};
use provers::{Formula, Term};
use rand::Rng;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RealizeError {
    #[error(
        "the template realizer has no phrasing for `{0}` (only literals and ∧ ∨ ⊕ → over one individual or ∀x)"
    )]
    Unsupported(String),
    #[error("`{0}` is not in the lexicon")]
    UnknownWord(String),
}

#[derive(Debug, Clone, Copy)]
struct Lit<'a> {
    phrase: &'a Phrase,
    positive: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Conn {
    And,
    Or,
    Xor,
}

#[derive(Debug, Clone)]
enum Part<'a> {
    One(Lit<'a>),
    Many(Conn, Vec<Lit<'a>>),
}

enum Who<'a> {
    Everyone,
    Person(&'a Person),
}

/// How a part sits in the sentence: an antecedent reads "either … or … (but not both)",
/// a consequent or a standalone part "…, or both" / "either … or …, but not both".
#[derive(Clone, Copy, PartialEq, Eq)]
enum Slot {
    Antecedent,
    Consequent,
}

struct Analysed<'a> {
    who: Who<'a>,
    antecedent: Option<Part<'a>>,
    body: Part<'a>,
}

fn analyse<'a>(f: &Formula, lx: &'a Lexicon) -> Result<Analysed<'a>, RealizeError> {
    let unsupported = || RealizeError::Unsupported(f.to_string());
    let (body, var) = match f {
        Formula::Forall(v, body) => (body.as_ref(), Some(v.as_str())),
        other => (other, None),
    };
    let who = match var {
        Some(_) => Who::Everyone,
        None => {
            let consts = body.constants();
            let [c] = consts.as_slice() else { return Err(unsupported()) };
            Who::Person(lx.person(c).ok_or_else(|| RealizeError::UnknownWord(c.clone()))?)
        }
    };
    let term_ok = |t: &Term| match (t, var) {
        (Term::Var(x), Some(v)) => x == v,
        (Term::Const(_), None) => true,
        _ => false,
    };
    let lit = |g: &Formula| -> Result<Lit<'a>, RealizeError> {
        let (atom, positive) = match g {
            Formula::Not(inner) => (inner.as_ref(), false),
            other => (other, true),
        };
        match atom {
            Formula::Pred(name, args) if args.len() == 1 && term_ok(&args[0]) => {
                let phrase = lx.phrase(name).ok_or_else(|| RealizeError::UnknownWord(name.clone()))?;
                Ok(Lit { phrase, positive })
            }
            _ => Err(unsupported()),
        }
    };
    let part = |g: &Formula| -> Result<Part<'a>, RealizeError> {
        let (conn, ops) = match g {
            Formula::And(ops) => (Conn::And, ops),
            Formula::Or(ops) => (Conn::Or, ops),
            Formula::Xor(ops) if ops.len() == 2 => (Conn::Xor, ops),
            Formula::Xor(_) => return Err(unsupported()),
            other => return lit(other).map(Part::One),
        };
        if ops.len() < 2 {
            return Err(unsupported());
        }
        let mut lits: Vec<Lit<'a>> = ops.iter().map(lit).collect::<Result<_, _>>()?;
        if conn == Conn::Xor && lits.iter().all(|l| !l.positive) {
            // ¬A ⊕ ¬B ≡ A ⊕ B.
            lits.iter_mut().for_each(|l| l.positive = true);
        }
        // Stable: positives first, each group in formula order.
        lits.sort_by_key(|l| !l.positive);
        Ok(Part::Many(conn, lits))
    };
    match body {
        Formula::Implies(a, c) => Ok(Analysed { who, antecedent: Some(part(a)?), body: part(c)? }),
        other => Ok(Analysed { who, antecedent: None, body: part(other)? }),
    }
}

/// Renders a part with `verb` choosing the verb form ("plays"/"play").
fn render(part: &Part, slot: Slot, verb: &dyn Fn(&Lit) -> String) -> String {
    match part {
        Part::One(l) => verb(l),
        Part::Many(conn, lits) => {
            let words: Vec<String> = lits.iter().map(verb).collect();
            let (last, init) = words.split_last().map(|(l, i)| (l.clone(), i.join(", "))).unwrap_or_default();
            let list = |word: &str| {
                if words.len() == 2 {
                    format!("{init} {word} {last}")
                } else {
                    format!("{init}, {word} {last}")
                }
            };
            match (conn, slot) {
                (Conn::And, _) => list("and"),
                (Conn::Or, Slot::Antecedent) => list("or"),
                (Conn::Or, Slot::Consequent) => format!("{}, or both", list("or")),
                (Conn::Xor, Slot::Antecedent) => format!("either {} (but not both)", list("or")),
                (Conn::Xor, Slot::Consequent) => format!("either {}, but not both", list("or")),
            }
        }
    }
}

/// The first item said of a part: negated only if every item is.
fn leads_negated(part: &Part) -> bool {
    match part {
        Part::One(l) => !l.positive,
        Part::Many(_, lits) => lits.first().is_some_and(|l| !l.positive),
    }
}

/// A universal whose every item is negated, said with "no one": ∀x ¬A, ∀x (¬A ∨ ¬B)
/// ("no one both …"), ∀x (¬A ∧ ¬B) ("no one …, and no one …").
fn no_one(body: &Part) -> Option<String> {
    let atom = |l: &Lit| l.phrase.third(true);
    match body {
        Part::One(l) if !l.positive => Some(format!("No one {}", atom(l))),
        Part::Many(Conn::Or, lits) if lits.len() == 2 && lits.iter().all(|l| !l.positive) => {
            Some(format!("No one both {} and {}", atom(&lits[0]), atom(&lits[1])))
        }
        Part::Many(Conn::And, lits) if lits.iter().all(|l| !l.positive) => {
            let each: Vec<String> = lits.iter().map(|l| format!("no one {}", atom(l))).collect();
            Some(capitalize(&each.join(", and ")))
        }
        _ => None,
    }
}

fn third(l: &Lit) -> String {
    l.phrase.third(l.positive)
}

fn plural(l: &Lit) -> String {
    l.phrase.plural(l.positive)
}

fn capitalize(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(first) => first.to_uppercase().chain(c).collect(),
        None => String::new(),
    }
}

pub(super) fn sentence(s: String) -> String {
    let s = capitalize(s.trim());
    if s.ends_with('.') { s } else { format!("{s}.") }
}

/// One sentence for `f`; `rng` picks among the phrasings.
pub fn realize(f: &Formula, lx: &Lexicon, rng: &mut impl Rng) -> Result<String, RealizeError> {
    if let Some(s) = super::relational::realize(f, lx) {
        return Ok(s);
    }
    realize_with(f, lx, &mut |n| rng.gen_range(0..n))
}

/// The plainest phrasing (always the first variant), for statements that must read the
/// same wherever they appear, such as derived facts in the reasoning text.
pub fn realize_plain(f: &Formula, lx: &Lexicon) -> Result<String, RealizeError> {
    if let Some(s) = super::relational::realize(f, lx) {
        return Ok(s);
    }
    realize_with(f, lx, &mut |_| 0)
}

/// `pick(n)` chooses one of `n` phrasings.
fn realize_with(
    f: &Formula,
    lx: &Lexicon,
    pick: &mut dyn FnMut(usize) -> usize,
) -> Result<String, RealizeError> {
    let a = analyse(f, lx)?;
    let body3 = render(&a.body, Slot::Consequent, &third);
    let text = match (&a.who, &a.antecedent) {
        (Who::Everyone, Some(ant)) => {
            let ant3 = render(ant, Slot::Antecedent, &third);
            let c_pl = render(&a.body, Slot::Consequent, &plural);
            // "No one who … is …" says ∀x (A → ¬B) the way people do.
            let denied = match &a.body {
                Part::One(l) if !l.positive => Some(l.phrase.third(true)),
                _ => None,
            };
            if leads_negated(&a.body) {
                // Not "Everyone who … does not …" (it can read "not everyone who …").
                match (pick(2), denied) {
                    (1, Some(b)) => format!("No one who {ant3} {b}"),
                    _ => format!("If someone {ant3}, then they {c_pl}"),
                }
            } else {
                match pick(5) {
                    0 => format!("Everyone who {ant3} {body3}"),
                    1 => format!("If someone {ant3}, then they {c_pl}"),
                    2 => format!("Anyone who {ant3} {body3}"),
                    3 => format!("Every person who {ant3} {body3}"),
                    _ => format!("Whoever {ant3} {body3}"),
                }
            }
        }
        (Who::Everyone, None) => match no_one(&a.body) {
            Some(s) => s,
            // Only a ⊕ or a list led by a positive item is left: nothing negated follows
            // "everyone" directly.
            None if leads_negated(&a.body) => return Err(RealizeError::Unsupported(f.to_string())),
            None => match pick(3) {
                0 => format!("Everyone {body3}"),
                1 => format!("Every person {body3}"),
                _ => format!("Each person {body3}"),
            },
        },
        (Who::Person(p), Some(ant)) => {
            let ant3 = render(ant, Slot::Antecedent, &third);
            // "Elyse does not ski if …" can read "it is not so that Elyse skis if …".
            // …and "Elyse skis and surfs if …" can read the condition as the second item's.
            let simple_body = matches!(a.body, Part::One(l) if l.positive);
            match pick(3) {
                1 if simple_body => format!("{} {body3} if {} {ant3}", p.name, p.pronoun),
                2 => format!("Provided that {} {ant3}, {} {body3}", p.name, p.pronoun),
                _ => format!("If {} {ant3}, then {} {body3}", p.name, p.pronoun),
            }
        }
        (Who::Person(p), None) => match (&a.body, pick(2)) {
            (Part::One(l), 1) if !l.positive => {
                format!("It is not the case that {} {}", p.name, l.phrase.third(true))
            }
            (Part::Many(Conn::Xor, lits), 1) if lits.len() == 2 => {
                format!(
                    "Either {} {} or {} {}, but not both",
                    p.name,
                    third(&lits[0]),
                    p.pronoun,
                    third(&lits[1])
                )
            }
            (Part::Many(Conn::Or, lits), 1) if lits.len() == 2 => {
                format!("{} {}, or {} {}, or both", p.name, third(&lits[0]), p.pronoun, third(&lits[1]))
            }
            (Part::Many(Conn::And, lits), 1) if lits.len() == 2 => {
                format!("{} {}, and {} {}", p.name, third(&lits[0]), p.pronoun, third(&lits[1]))
            }
            _ => format!("{} {body3}", p.name),
        },
    };
    Ok(sentence(text))
}
