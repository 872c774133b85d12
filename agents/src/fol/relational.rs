//! English for the relational fragment (`gen fol --logic relational`): binary relations
//! between people, existentials and equivalences, as the relational generator writes them.
//!
//! One frame per formula shape, each chosen to have one reading:
//! - `R(a,b)`: "Ava trusts Ben."; `∃y R(a,y)`: "Ava trusts someone."
//! - `∃x (R(x,a) ∧ A(x))`: "Someone who plays chess trusts Ava."
//! - `∀x∀y (R(x,y) ∧ A(x) → B(y))`: "If someone who plays chess trusts a person, then
//!   that person is kind." ("that person" can only be the one trusted: the truster is
//!   "someone who …").
//! - `∀x (∃y (R(x,y) ∧ A(y)) → B(x))`: "Everyone who trusts someone who plays chess is
//!   kind."; with ¬B, "No one who … is kind." (never "Everyone who … is not", which also
//!   reads "not everyone").
//! - `∀x (A(x) → ∃y R(x,y))`: "Everyone who plays chess trusts at least one person." (the
//!   one trusted may differ from person to person; "someone" here could read ∃∀).
//! - `∀x (∃y R(x,y) → B(x))`: "Everyone who trusts someone is kind." / "No one who …".
//! - `∀x (A(x) ↔ B(x))`: "A person plays chess if and only if they are kind."
//! - symmetry and transitivity: "If one person lives next to another, then the other lives
//!   next to the first."; "If one person is older than a second, and the second is older
//!   than a third, then the first is older than the third."
//!
//! [`RelGrammar`] parses these frames back, written separately from [`realize`]: it tries
//! every frame and every split of the sentence into the lexicon's names and phrases, so a
//! sentence two ways readable yields two readings.

use super::lexicon::{Lexicon, Person, Phrase};
use super::realize::sentence;
use provers::skeleton::relational::{symmetry, transitivity};
use provers::{Formula, Term};

/// A relation as English: "trusts", "is older than".
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RelPhrase {
    /// The FOL name, e.g. `is_older_than`.
    pub name: String,
    /// Between two names: "is older than".
    pub third: String,
    /// The one property a premise may state of it, when its meaning has one
    /// (`symmetric`, `transitive`); `None`: either.
    pub only: Option<String>,
}

impl RelPhrase {
    /// A line of relations.txt: `is older than | transitive`.
    pub fn new(line: &str) -> RelPhrase {
        let (third, only) = match line.split_once('|') {
            Some((t, o)) => (t, Some(o.trim().to_string())),
            None => (line, None),
        };
        let third = third.trim().to_string();
        let name = third
            .split(|c: char| !c.is_alphanumeric())
            .filter(|w| !w.is_empty() && !["a", "an", "the"].contains(w))
            .map(str::to_lowercase)
            .collect::<Vec<_>>()
            .join("_");
        RelPhrase { name, third, only }
    }
}

fn var(v: &str) -> Term {
    Term::Var(v.into())
}

fn rel(r: &str, a: Term, b: Term) -> Formula {
    Formula::Pred(r.to_string(), vec![a, b])
}

/// A possibly negated unary atom over `t`: (predicate, positive).
fn unary(f: &Formula) -> Option<(&str, bool, &Term)> {
    match f {
        Formula::Pred(p, args) if args.len() == 1 => Some((p, true, &args[0])),
        Formula::Not(a) => match &**a {
            Formula::Pred(p, args) if args.len() == 1 => Some((p, false, &args[0])),
            _ => None,
        },
        _ => None,
    }
}

/// `R(s, t)`: (relation, s, t).
fn binary(f: &Formula) -> Option<(&str, &Term, &Term)> {
    match f {
        Formula::Pred(r, args) if args.len() == 2 => Some((r, &args[0], &args[1])),
        _ => None,
    }
}

fn is_var(t: &Term, v: &str) -> bool {
    matches!(t, Term::Var(x) if x == v)
}

fn konst(t: &Term) -> Option<&str> {
    match t {
        Term::Const(c) => Some(c),
        Term::Var(_) => None,
    }
}

/// The sentence for a relational formula, or `None` when `f` is not one of the frames.
pub fn realize(f: &Formula, lx: &Lexicon) -> Option<String> {
    let r3 = |r: &str| lx.relation(r).map(|p| p.third.clone());
    let u3 = |p: &str, pos: bool| lx.phrase(p).map(|ph| ph.third(pos));
    let name = |t: &Term| konst(t).map(str::to_string);
    let text = match f {
        Formula::Pred(..) => {
            let (r, a, b) = binary(f)?;
            format!("{} {} {}", name(a)?, r3(r)?, name(b)?)
        }
        Formula::Exists(y, body) => match &**body {
            Formula::Pred(..) => {
                let (r, a, b) = binary(body)?;
                if !is_var(b, y) {
                    return None;
                }
                format!("{} {} someone", name(a)?, r3(r)?)
            }
            Formula::And(ops) if ops.len() == 2 => {
                let (r, x, a) = binary(&ops[0])?;
                let (p, pos, x2) = unary(&ops[1])?;
                if !is_var(x, y) || !is_var(x2, y) {
                    return None;
                }
                format!("someone who {} {} {}", u3(p, pos)?, r3(r)?, name(a)?)
            }
            _ => return None,
        },
        Formula::Forall(x, body) => match &**body {
            Formula::Forall(y, inner) => match &**inner {
                Formula::Implies(ante, cons) => match (&**ante, &**cons) {
                    // ∀x∀y (R(x,y) ∧ A(x) → B(y))
                    (Formula::And(ops), c) if ops.len() == 2 && unary(c).is_some() => {
                        let (r, s, t) = binary(&ops[0])?;
                        let (p, pos, s2) = unary(&ops[1])?;
                        let (q, qpos, t2) = unary(c)?;
                        if !(is_var(s, x) && is_var(t, y) && is_var(s2, x) && is_var(t2, y)) {
                            return None;
                        }
                        format!(
                            "if someone who {} {} a person, then that person {}",
                            u3(p, pos)?,
                            r3(r)?,
                            u3(q, qpos)?
                        )
                    }
                    // ∀x∀y (R(x,y) → R(y,x))
                    (a, c) if binary(a).is_some() && binary(c).is_some() => {
                        let (r, s, t) = binary(a)?;
                        let (r2, t2, s2) = binary(c)?;
                        if r != r2 || !(is_var(s, x) && is_var(t, y) && is_var(s2, x) && is_var(t2, y)) {
                            return None;
                        }
                        let r = r3(r)?;
                        format!("if one person {r} another, then the other {r} the first")
                    }
                    _ => return None,
                },
                // ∀x∀y∀z (R(x,y) ∧ R(y,z) → R(x,z))
                Formula::Forall(z, innermost) => {
                    let Formula::Implies(ante, cons) = &**innermost else { return None };
                    let Formula::And(ops) = &**ante else { return None };
                    if ops.len() != 2 {
                        return None;
                    }
                    let (r, a1, b1) = binary(&ops[0])?;
                    let (r2, a2, b2) = binary(&ops[1])?;
                    let (r3_, a3, b3) = binary(cons)?;
                    let vars = is_var(a1, x)
                        && is_var(b1, y)
                        && is_var(a2, y)
                        && is_var(b2, z)
                        && is_var(a3, x)
                        && is_var(b3, z);
                    if r != r2 || r != r3_ || !vars {
                        return None;
                    }
                    let r = r3(r)?;
                    format!(
                        "if one person {r} a second, and the second {r} a third, then the first {r} the third"
                    )
                }
                _ => return None,
            },
            Formula::Iff(a, b) => {
                let (p, pos, s) = unary(a)?;
                let (q, qpos, t) = unary(b)?;
                if !is_var(s, x) || !is_var(t, x) {
                    return None;
                }
                let plural = lx.phrase(q)?.plural(qpos);
                format!("a person {} if and only if they {plural}", u3(p, pos)?)
            }
            Formula::Implies(ante, cons) => match (&**ante, &**cons) {
                // ∀x (A(x) → ∃y R(x,y))
                (a, Formula::Exists(y, inner)) => {
                    let (p, pos, s) = unary(a)?;
                    let (r, s2, t) = binary(inner)?;
                    if !is_var(s, x) || !is_var(s2, x) || !is_var(t, y) {
                        return None;
                    }
                    format!("everyone who {} {} at least one person", u3(p, pos)?, r3(r)?)
                }
                (Formula::Exists(y, inner), c) => {
                    let (q, qpos, t) = unary(c)?;
                    if !is_var(t, x) {
                        return None;
                    }
                    let who = match &**inner {
                        // ∀x (∃y (R(x,y) ∧ A(y)) → B(x))
                        Formula::And(ops) if ops.len() == 2 => {
                            let (r, s, o) = binary(&ops[0])?;
                            let (p, pos, o2) = unary(&ops[1])?;
                            if !is_var(s, x) || !is_var(o, y) || !is_var(o2, y) {
                                return None;
                            }
                            format!("{} someone who {}", r3(r)?, u3(p, pos)?)
                        }
                        // ∀x (∃y R(x,y) → B(x))
                        i => {
                            let (r, s, o) = binary(i)?;
                            if !is_var(s, x) || !is_var(o, y) {
                                return None;
                            }
                            format!("{} someone", r3(r)?)
                        }
                    };
                    let b = u3(q, true)?;
                    if qpos { format!("everyone who {who} {b}") } else { format!("no one who {who} {b}") }
                }
                _ => return None,
            },
            _ => return None,
        },
        _ => return None,
    };
    Some(sentence(text))
}

/// A slot of a frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Slot {
    /// A person's name.
    Name,
    /// A relation's phrase.
    Rel,
    /// A unary phrase, either polarity ("plays chess", "does not play chess").
    Un,
    /// A unary phrase after "they".
    UnPlural,
    /// A positive unary phrase.
    UnPos,
}

/// What a slot matched.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Filled {
    Name(String),
    Rel(String),
    Un(String, bool),
}

/// A frame: its words and slots, and the formula of the filled slots.
struct Frame {
    parts: &'static [Part],
    build: fn(&[Filled]) -> Option<Formula>,
}

#[derive(Debug, Clone, Copy)]
enum Part {
    Word(&'static str),
    Slot(Slot),
}

use Part::{Slot as S, Word as W};

fn names(f: &[Filled]) -> Vec<&str> {
    f.iter().filter_map(|x| if let Filled::Name(n) = x { Some(n.as_str()) } else { None }).collect()
}

fn rels(f: &[Filled]) -> Vec<&str> {
    f.iter().filter_map(|x| if let Filled::Rel(r) = x { Some(r.as_str()) } else { None }).collect()
}

fn uns(f: &[Filled]) -> Vec<(&str, bool)> {
    f.iter()
        .filter_map(|x| if let Filled::Un(p, pos) = x { Some((p.as_str(), *pos)) } else { None })
        .collect()
}

fn lit(p: &str, pos: bool, t: Term) -> Formula {
    let atom = Formula::Pred(p.to_string(), vec![t]);
    if pos { atom } else { Formula::not(atom) }
}

fn c(n: &str) -> Term {
    Term::Const(n.to_string())
}

const FRAMES: &[Frame] = &[
    Frame {
        parts: &[S(Slot::Name), S(Slot::Rel), S(Slot::Name)],
        build: |f| Some(rel(rels(f)[0], c(names(f)[0]), c(names(f)[1]))),
    },
    Frame {
        parts: &[S(Slot::Name), S(Slot::Rel), W("someone")],
        build: |f| Some(Formula::exists("y", rel(rels(f)[0], c(names(f)[0]), var("y")))),
    },
    Frame {
        parts: &[W("someone who"), S(Slot::Un), S(Slot::Rel), S(Slot::Name)],
        build: |f| {
            let (p, pos) = uns(f)[0];
            Some(Formula::exists(
                "x",
                Formula::And(vec![rel(rels(f)[0], var("x"), c(names(f)[0])), lit(p, pos, var("x"))]),
            ))
        },
    },
    Frame {
        parts: &[
            W("if someone who"),
            S(Slot::Un),
            S(Slot::Rel),
            W("a person, then that person"),
            S(Slot::Un),
        ],
        build: |f| {
            let u = uns(f);
            Some(Formula::forall(
                "x",
                Formula::forall(
                    "y",
                    Formula::implies(
                        Formula::And(vec![
                            rel(rels(f)[0], var("x"), var("y")),
                            lit(u[0].0, u[0].1, var("x")),
                        ]),
                        lit(u[1].0, u[1].1, var("y")),
                    ),
                ),
            ))
        },
    },
    Frame {
        parts: &[W("everyone who"), S(Slot::Rel), W("someone who"), S(Slot::Un), S(Slot::UnPos)],
        build: |f| exists_implies(f, true),
    },
    Frame {
        parts: &[W("no one who"), S(Slot::Rel), W("someone who"), S(Slot::Un), S(Slot::UnPos)],
        build: |f| exists_implies(f, false),
    },
    Frame {
        parts: &[W("everyone who"), S(Slot::Rel), W("someone"), S(Slot::UnPos)],
        build: |f| some_implies(f, true),
    },
    Frame {
        parts: &[W("no one who"), S(Slot::Rel), W("someone"), S(Slot::UnPos)],
        build: |f| some_implies(f, false),
    },
    Frame {
        parts: &[W("everyone who"), S(Slot::Un), S(Slot::Rel), W("at least one person")],
        build: |f| {
            let (p, pos) = uns(f)[0];
            Some(Formula::forall(
                "x",
                Formula::implies(
                    lit(p, pos, var("x")),
                    Formula::exists("y", rel(rels(f)[0], var("x"), var("y"))),
                ),
            ))
        },
    },
    Frame {
        parts: &[W("a person"), S(Slot::Un), W("if and only if they"), S(Slot::UnPlural)],
        build: |f| {
            let u = uns(f);
            Some(Formula::forall(
                "x",
                Formula::iff(lit(u[0].0, u[0].1, var("x")), lit(u[1].0, u[1].1, var("x"))),
            ))
        },
    },
    Frame {
        parts: &[
            W("if one person"),
            S(Slot::Rel),
            W("another, then the other"),
            S(Slot::Rel),
            W("the first"),
        ],
        build: |f| {
            let r = rels(f);
            (r[0] == r[1]).then(|| symmetry(r[0]))
        },
    },
    Frame {
        parts: &[
            W("if one person"),
            S(Slot::Rel),
            W("a second, and the second"),
            S(Slot::Rel),
            W("a third, then the first"),
            S(Slot::Rel),
            W("the third"),
        ],
        build: |f| {
            let r = rels(f);
            (r[0] == r[1] && r[1] == r[2]).then(|| transitivity(r[0]))
        },
    },
];

fn exists_implies(f: &[Filled], positive: bool) -> Option<Formula> {
    let u = uns(f);
    let (x, y) = (var("x"), var("y"));
    Some(Formula::forall(
        "x",
        Formula::implies(
            Formula::exists(
                "y",
                Formula::And(vec![rel(rels(f)[0], x.clone(), y.clone()), lit(u[0].0, u[0].1, y)]),
            ),
            lit(u[1].0, positive, x),
        ),
    ))
}

fn some_implies(f: &[Filled], positive: bool) -> Option<Formula> {
    let u = uns(f);
    let (x, y) = (var("x"), var("y"));
    Some(Formula::forall(
        "x",
        Formula::implies(Formula::exists("y", rel(rels(f)[0], x.clone(), y)), lit(u[0].0, positive, x)),
    ))
}

/// The parser of the frames over a lexicon's words.
#[derive(Debug, Clone, Default)]
pub struct RelGrammar {
    names: Vec<String>,
    rels: Vec<(String, String)>,
    /// (text, predicate, positive) in the third person and after "they".
    third: Vec<(String, String, bool)>,
    plural: Vec<(String, String, bool)>,
}

impl RelGrammar {
    pub fn new(phrases: &[Phrase], people: &[Person], relations: &[RelPhrase]) -> RelGrammar {
        let forms = |f: &dyn Fn(&Phrase, bool) -> String| {
            phrases.iter().flat_map(|p| [true, false].map(|pos| (f(p, pos), p.name.clone(), pos))).collect()
        };
        RelGrammar {
            names: people.iter().map(|p| p.name.clone()).collect(),
            rels: relations.iter().map(|r| (r.third.clone(), r.name.clone())).collect(),
            third: forms(&|p, pos| p.third(pos)),
            plural: forms(&|p, pos| p.plural(pos)),
        }
    }

    /// Every reading of `sentence` in the relational frames.
    pub fn readings(&self, sentence: &str) -> Vec<Formula> {
        if self.rels.is_empty() {
            return Vec::new();
        }
        let s = sentence.trim().trim_end_matches('.');
        // Names keep their capital; the sentence's first letter is lowered for the frames.
        let mut lowered = s.to_string();
        if let Some(first) = s.chars().next()
            && !self.names.iter().any(|n| s.starts_with(n.as_str()))
        {
            lowered = first.to_lowercase().chain(s.chars().skip(1)).collect();
        }
        let mut out = Vec::new();
        for frame in FRAMES {
            let mut filled = Vec::new();
            self.fill(frame, 0, &lowered, &mut filled, &mut out);
        }
        out.dedup();
        out
    }

    fn fill(&self, frame: &Frame, part: usize, rest: &str, filled: &mut Vec<Filled>, out: &mut Vec<Formula>) {
        let Some(p) = frame.parts.get(part) else {
            if rest.is_empty()
                && let Some(f) = (frame.build)(filled)
                && !out.contains(&f)
            {
                out.push(f);
            }
            return;
        };
        let rest = if part == 0 { rest } else { rest.strip_prefix(' ').unwrap_or(rest) };
        let mut each = |text: &str, value: Filled| {
            if let Some(after) = rest.strip_prefix(text)
                && (after.is_empty() || after.starts_with(' ') || after.starts_with(','))
            {
                filled.push(value);
                self.fill(frame, part + 1, after, filled, out);
                filled.pop();
            }
        };
        match p {
            Part::Word(w) => {
                if let Some(after) = rest.strip_prefix(w)
                    && (after.is_empty() || after.starts_with(' '))
                {
                    self.fill(frame, part + 1, after, filled, out);
                }
            }
            Part::Slot(Slot::Name) => {
                for n in &self.names {
                    each(n, Filled::Name(n.clone()));
                }
            }
            Part::Slot(Slot::Rel) => {
                for (text, name) in &self.rels {
                    each(text, Filled::Rel(name.clone()));
                }
            }
            Part::Slot(slot @ (Slot::Un | Slot::UnPos | Slot::UnPlural)) => {
                let forms = if *slot == Slot::UnPlural { &self.plural } else { &self.third };
                for (text, pred, pos) in forms {
                    if *slot == Slot::UnPos && !pos {
                        continue;
                    }
                    each(text, Filled::Un(pred.clone(), *pos));
                }
            }
        }
    }
}
