//! A parser of the template English back to FOL, written apart from the realizer: its
//! own grammar of the sentence frames, over the lexicon's verb phrases. It returns every
//! reading a sentence has, so "exactly one reading, Z3-equivalent to the formula" is a
//! check of the realizer, not a restatement of it.
//!
//! Grammar (a sentence, its final period removed):
//! - universals: `No one who ANT VP+`, `No one both VP and VP`, `No one VP(, and no one
//!   VP)*`, `Q LIST3` (Q = Everyone | Every person | Each person), `Q' who ANT LIST3`
//!   (Q' = Everyone | Anyone | Every person; also `Whoever ANT LIST3`), `If someone ANT,
//!   then they LISTpl`;
//! - about a person N (pronoun P): `If N ANT, then P LIST3`, `Provided that N ANT, P
//!   LIST3`, `N VP if P ANT`, `It is not the case that N VP+`, `Either N VP or P VP, but
//!   not both`, `N VP, or P VP, or both`, `N VP, and P VP`, `N LIST3`;
//! - ANT (a condition): `VP`, `VP (, VP)* and VP`, `VP (, VP)* or VP`, `either VP or VP
//!   (but not both)`; LIST (a consequence): `VP`, `… and VP`, `… or VP, or both`,
//!   `either VP or VP, but not both`.
//!
//! VP is any predicate of the lexicon in the number the frame needs, affirmed or denied
//! ("plays chess", "does not play chess", "is not a doctor", "has not visited Japan").
//!
//! English that can be read two ways gets both readings: a negation can be read over
//! what follows it in a list ("does not fix old clocks and plants trees": also ¬(A ∧ B)),
//! over a quantifier it follows ("Everyone does not ski": also ¬∀x), and over a condition
//! that follows ("Elyse does not ski if she surfs": also ¬(surfs → skis)).

use super::lexicon::{Person, Phrase};
use provers::{Formula, Term};

/// A verb phrase form: its words, the predicate, and whether it is affirmed.
#[derive(Debug)]
struct Form {
    words: Vec<String>,
    pred: String,
    positive: bool,
}

/// The grammar's word lists, built once per lexicon.
#[derive(Debug)]
pub struct BackParser {
    third: Forms,
    plural: Forms,
    /// Name -> pronoun.
    people: Vec<(String, String)>,
    /// The relational frames (`--logic relational`), read alongside, so a sentence that
    /// both grammars read is ambiguous.
    relational: super::relational::RelGrammar,
}

/// Verb phrase forms by their first word.
#[derive(Debug, Default)]
struct Forms(std::collections::HashMap<String, Vec<Form>>);

impl Forms {
    fn new(forms: Vec<Form>) -> Forms {
        let mut by_first = Forms::default();
        for f in forms {
            by_first.0.entry(f.words[0].clone()).or_insert_with(Vec::new).push(f);
        }
        by_first
    }
}

/// A literal over the subject of the sentence.
type Lit = (String, bool);

#[derive(Clone, Copy, PartialEq, Eq)]
enum Number {
    Third,
    Plural,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Slot {
    Condition,
    Consequence,
}

fn words(s: &str) -> Vec<String> {
    s.replace(',', " , ")
        .replace('(', " ( ")
        .replace(')', " ) ")
        .split_whitespace()
        .map(str::to_string)
        .collect()
}

impl BackParser {
    /// The grammar over these words (a [`super::Lexicon`] builds its own).
    pub fn new(
        phrases: &[Phrase],
        people: &[Person],
        relations: &[super::relational::RelPhrase],
    ) -> BackParser {
        let forms = |f: &dyn Fn(&Phrase, bool) -> String| {
            phrases
                .iter()
                .flat_map(|p| {
                    [true, false].map(|positive| Form {
                        words: words(&f(p, positive)),
                        pred: p.name.clone(),
                        positive,
                    })
                })
                .collect::<Vec<_>>()
        };
        BackParser {
            third: Forms::new(forms(&|p, pos| p.third(pos))),
            plural: Forms::new(forms(&|p, pos| p.plural(pos))),
            people: people.iter().map(|p| (p.name.clone(), p.pronoun.clone())).collect(),
            relational: super::relational::RelGrammar::new(phrases, people, relations),
        }
    }

    /// Every reading of `sentence`, as formulas (deduplicated; possibly none).
    pub fn readings(&self, sentence: &str) -> Vec<Formula> {
        let w = words(sentence.trim().trim_end_matches('.'));
        let mut out: Vec<Formula> = Vec::new();
        let relational = self.relational.readings(sentence);
        for f in self.universal(&w).into_iter().chain(self.individual(&w)).chain(relational) {
            if !out.contains(&f) {
                out.push(f);
            }
        }
        out
    }

    /// The only reading of `sentence`, if it has exactly one.
    pub fn parse(&self, sentence: &str) -> Option<Formula> {
        let mut r = self.readings(sentence);
        if r.len() == 1 { r.pop() } else { None }
    }

    /// Verb phrases at `w[i..]`: (literal, end).
    fn vp(&self, w: &[String], i: usize, n: Number) -> Vec<(Lit, usize)> {
        let forms = if n == Number::Third { &self.third } else { &self.plural };
        let Some(candidates) = w.get(i).and_then(|first| forms.0.get(first)) else { return Vec::new() };
        candidates
            .iter()
            .filter(|f| w.len() >= i + f.words.len() && w[i..i + f.words.len()] == f.words[..])
            .map(|f| ((f.pred.clone(), f.positive), i + f.words.len()))
            .collect()
    }

    /// `VP (, VP)* SEP VP` from `i`: the items and the end, for SEP = `sep`.
    fn series(&self, w: &[String], i: usize, n: Number, sep: &str) -> Vec<(Vec<Lit>, usize)> {
        let mut out = Vec::new();
        let mut partial: Vec<(Vec<Lit>, usize)> =
            self.vp(w, i, n).into_iter().map(|(l, e)| (vec![l], e)).collect();
        while !partial.is_empty() {
            let mut next = Vec::new();
            for (items, end) in partial {
                // The last item: `SEP VP` (after `,` too when there are three or more).
                for skip in [1usize, 2] {
                    let sep_ok = match skip {
                        1 => w.get(end).is_some_and(|t| t == sep),
                        _ => {
                            items.len() >= 2
                                && w.get(end).is_some_and(|t| t == ",")
                                && w.get(end + 1).is_some_and(|t| t == sep)
                        }
                    };
                    if sep_ok {
                        for (l, e) in self.vp(w, end + skip, n) {
                            let mut all = items.clone();
                            all.push(l);
                            out.push((all, e));
                        }
                    }
                }
                // Another middle item: `, VP`.
                if w.get(end).is_some_and(|t| t == ",") {
                    for (l, e) in self.vp(w, end + 1, n) {
                        let mut all = items.clone();
                        all.push(l);
                        next.push((all, e));
                    }
                }
            }
            partial = next;
        }
        out
    }

    /// A condition or consequence from `i`: (formula builder input, end).
    fn part(&self, w: &[String], i: usize, n: Number, slot: Slot, subject: &Term) -> Vec<(Formula, usize)> {
        let lit = |(p, pos): &Lit| {
            let a = Formula::Pred(p.clone(), vec![subject.clone()]);
            if *pos { a } else { Formula::not(a) }
        };
        let many = |items: &[Lit]| items.iter().map(lit).collect::<Vec<_>>();
        let mut out: Vec<(Formula, usize)> = self.vp(w, i, n).iter().map(|(l, e)| (lit(l), *e)).collect();
        // The reading where the first negation followed by an affirmed item covers the
        // rest of the list: [A, ¬B, C] also reads A ∘ ¬(B ∘ C).
        let wide = |items: &[Lit], conn: fn(Vec<Formula>) -> Formula| -> Option<Formula> {
            let k = items.windows(2).position(|p| !p[0].1 && p[1].1)?;
            let mut covered = vec![lit(&(items[k].0.clone(), true))];
            covered.extend(items[k + 1..].iter().map(lit));
            let mut head: Vec<Formula> = items[..k].iter().map(lit).collect();
            head.push(Formula::not(conn(covered)));
            Some(if head.len() == 1 { head.remove(0) } else { conn(head) })
        };
        for (items, e) in self.series(w, i, n, "and") {
            out.push((Formula::And(many(&items)), e));
            out.extend(wide(&items, Formula::And).map(|f| (f, e)));
        }
        let tail = |e: usize, t: &[&str]| {
            (w.len() >= e + t.len() && w[e..e + t.len()].iter().zip(t).all(|(a, b)| a == b))
                .then_some(e + t.len())
        };
        for (items, e) in self.series(w, i, n, "or") {
            let end = match slot {
                Slot::Condition => Some(e),
                Slot::Consequence => tail(e, &[",", "or", "both"]),
            };
            if let Some(e) = end {
                out.push((Formula::Or(many(&items)), e));
                out.extend(wide(&items, Formula::Or).map(|f| (f, e)));
            }
        }
        if w.get(i).is_some_and(|t| t == "either") {
            for (items, e) in self.series(w, i + 1, n, "or").into_iter().filter(|(it, _)| it.len() == 2) {
                let closing: &[&str] = if slot == Slot::Condition {
                    &["(", "but", "not", "both", ")"]
                } else {
                    &[",", "but", "not", "both"]
                };
                if let Some(e) = tail(e, closing) {
                    out.push((Formula::Xor(many(&items)), e));
                }
            }
        }
        out
    }

    /// Parts that end exactly at the end of `w`.
    fn whole(&self, w: &[String], i: usize, n: Number, slot: Slot, subject: &Term) -> Vec<Formula> {
        self.part(w, i, n, slot, subject).into_iter().filter(|(_, e)| *e == w.len()).map(|(f, _)| f).collect()
    }

    fn universal(&self, w: &[String]) -> Vec<Formula> {
        // "Everyone (who …) does not …" also reads as "not everyone (who …) …".
        let not_all = |body: &Formula, ant: Option<&Formula>| -> Option<Formula> {
            let affirmed = affirm_first(body)?;
            let inner = match ant {
                Some(a) => Formula::implies(a.clone(), affirmed),
                None => affirmed,
            };
            Some(Formula::not(Formula::forall("x", inner)))
        };
        let x = Term::Var("x".into());
        let all = |f: Formula| Formula::forall("x", f);
        let starts =
            |t: &[&str]| (w.len() >= t.len() && w.iter().zip(t).all(|(a, b)| a == b)).then_some(t.len());
        let mut out = Vec::new();
        // No one who ANT VP+  ≡  ∀x (ANT → ¬VP)
        if let Some(i) = starts(&["No", "one", "who"]) {
            for (ant, e) in self.part(w, i, Number::Third, Slot::Condition, &x) {
                for ((p, pos), end) in self.vp(w, e, Number::Third) {
                    if pos && end == w.len() {
                        out.push(all(Formula::implies(
                            ant.clone(),
                            Formula::not(Formula::Pred(p, vec![x.clone()])),
                        )));
                    }
                }
            }
        }
        // No one both VP and VP  ≡  ∀x (¬A ∨ ¬B)
        if let Some(i) = starts(&["No", "one", "both"]) {
            for ((a, pa), e) in self.vp(w, i, Number::Third) {
                if w.get(e).is_some_and(|t| t == "and") {
                    for ((b, pb), end) in self.vp(w, e + 1, Number::Third) {
                        if pa && pb && end == w.len() {
                            out.push(all(Formula::Or(vec![
                                Formula::not(Formula::Pred(a.clone(), vec![x.clone()])),
                                Formula::not(Formula::Pred(b, vec![x.clone()])),
                            ])));
                        }
                    }
                }
            }
        }
        // No one VP (, and no one VP)*  ≡  ∀x ¬A, ∀x (¬A ∧ ¬B ∧ …)
        if let Some(i) = starts(&["No", "one"]) {
            let mut partial: Vec<(Vec<Formula>, usize)> = vec![(Vec::new(), i)];
            while let Some((items, at)) = partial.pop() {
                for ((p, pos), e) in self.vp(w, at, Number::Third) {
                    if !pos {
                        continue;
                    }
                    let mut items = items.clone();
                    items.push(Formula::not(Formula::Pred(p, vec![x.clone()])));
                    if e == w.len() {
                        out.push(all(if items.len() == 1 {
                            items[0].clone()
                        } else {
                            Formula::And(items.clone())
                        }));
                    }
                    let more = [",", "and", "no", "one"];
                    if w.len() >= e + 4 && w[e..e + 4].iter().zip(more).all(|(a, b)| a == b) {
                        partial.push((items, e + 4));
                    }
                }
            }
        }
        for q in [&["Everyone"][..], &["Every", "person"], &["Each", "person"]] {
            if let Some(i) = starts(q) {
                for body in self.whole(w, i, Number::Third, Slot::Consequence, &x) {
                    out.extend(not_all(&body, None));
                    out.push(all(body));
                }
            }
        }
        for q in [&["Everyone", "who"][..], &["Anyone", "who"], &["Every", "person", "who"], &["Whoever"]] {
            if let Some(i) = starts(q) {
                for (ant, e) in self.part(w, i, Number::Third, Slot::Condition, &x) {
                    for body in self.whole(w, e, Number::Third, Slot::Consequence, &x) {
                        out.extend(not_all(&body, Some(&ant)));
                        out.push(all(Formula::implies(ant.clone(), body)));
                    }
                }
            }
        }
        if let Some(i) = starts(&["If", "someone"]) {
            for (ant, e) in self.part(w, i, Number::Third, Slot::Condition, &x) {
                if w.len() > e + 3 && w[e] == "," && w[e + 1] == "then" && w[e + 2] == "they" {
                    for body in self.whole(w, e + 3, Number::Plural, Slot::Consequence, &x) {
                        out.push(all(Formula::implies(ant.clone(), body)));
                    }
                }
            }
        }
        out
    }

    fn individual(&self, w: &[String]) -> Vec<Formula> {
        let mut out = Vec::new();
        for (name, pronoun) in &self.people {
            let c = Term::Const(name.clone());
            let at = |i: usize, t: &str| w.get(i).is_some_and(|x| x == t);
            let lit = |(p, pos): Lit| {
                let a = Formula::Pred(p, vec![c.clone()]);
                if pos { a } else { Formula::not(a) }
            };
            // If N ANT, then P LIST3 / Provided that N ANT, P LIST3
            for (lead, joint) in [(&["If"][..], &[",", "then"][..]), (&["Provided", "that"], &[","])] {
                let i = lead.len();
                if w.len() > i && w[..i].iter().zip(lead).all(|(a, b)| a == b) && at(i, name) {
                    for (ant, e) in self.part(w, i + 1, Number::Third, Slot::Condition, &c) {
                        let j = e + joint.len();
                        if w.len() > j && w[e..j].iter().zip(joint).all(|(a, b)| a == b) && at(j, pronoun) {
                            for body in self.whole(w, j + 1, Number::Third, Slot::Consequence, &c) {
                                out.push(Formula::implies(ant.clone(), body));
                            }
                        }
                    }
                }
            }
            // It is not the case that N VP+
            let neg = ["It", "is", "not", "the", "case", "that"];
            if w.len() > 6 && w[..6].iter().zip(neg).all(|(a, b)| a == b) && at(6, name) {
                for ((p, pos), e) in self.vp(w, 7, Number::Third) {
                    if pos && e == w.len() {
                        out.push(Formula::not(lit((p, true))));
                    }
                }
            }
            // Either N VP or P VP, but not both
            if at(0, "Either") && at(1, name) {
                for (a, e) in self.vp(w, 2, Number::Third) {
                    if at(e, "or") && at(e + 1, pronoun) {
                        for (b, e2) in self.vp(w, e + 2, Number::Third) {
                            if w.len() == e2 + 4
                                && w[e2..].iter().zip([",", "but", "not", "both"]).all(|(x, y)| x == y)
                            {
                                out.push(Formula::Xor(vec![lit(a.clone()), lit(b)]));
                            }
                        }
                    }
                }
            }
            if !at(0, name) {
                continue;
            }
            // N VP, or P VP, or both / N VP, and P VP / N VP if P ANT
            for (a, e) in self.vp(w, 1, Number::Third) {
                for (conn, tail) in [("or", &[",", "or", "both"][..]), ("and", &[])] {
                    if at(e, ",") && at(e + 1, conn) && at(e + 2, pronoun) {
                        for (b, e2) in self.vp(w, e + 3, Number::Third) {
                            if w.len() == e2 + tail.len() && w[e2..].iter().zip(tail).all(|(x, y)| x == y) {
                                let items = vec![lit(a.clone()), lit(b)];
                                out.push(if conn == "or" { Formula::Or(items) } else { Formula::And(items) });
                            }
                        }
                    }
                }
                if at(e, "if") && at(e + 1, pronoun) {
                    for cond in self.whole(w, e + 2, Number::Third, Slot::Condition, &c) {
                        if !a.1 {
                            out.push(Formula::not(Formula::implies(cond.clone(), lit((a.0.clone(), true)))));
                        }
                        out.push(Formula::implies(cond, lit(a.clone())));
                    }
                }
            }
            // N LIST3
            out.extend(self.whole(w, 1, Number::Third, Slot::Consequence, &c));
        }
        out
    }
}

/// `body` with its leading negation taken off (¬A → A, ¬A ∘ B… → A ∘ B…), if it has one.
fn affirm_first(body: &Formula) -> Option<Formula> {
    match body {
        Formula::Not(a) => Some(a.as_ref().clone()),
        Formula::And(items) | Formula::Or(items) => {
            let Formula::Not(a) = items.first()? else { return None };
            let mut items = items.clone();
            items[0] = a.as_ref().clone();
            Some(if matches!(body, Formula::And(_)) { Formula::And(items) } else { Formula::Or(items) })
        }
        _ => None,
    }
}
