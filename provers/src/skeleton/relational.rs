//! The relational generator of `gen fol --logic relational`: the monadic chain's goal
//! expansion, over several individuals and binary predicates. A step may move a property
//! along a relation (`∀x∀y (R(x,y) ∧ A(x) → B(y))`), read it off someone related
//! (`∀x (∃y (R(x,y) ∧ A(y)) → B(x))`), pass through an existential (`∀x (A(x) → ∃y R(x,y))`
//! then `∀x (∃y R(x,y) → B(x))`), an equivalence (`∀x (A(x) ↔ B(x))`), a relation's
//! symmetry or transitivity, or one of ProverGen's nine monadic shapes; a leaf may be an
//! existential fact (`∃x (R(x,a) ∧ A(x))`, "someone who … R a").
//!
//! Every rule, property and predicate is used by one step only, so the necessity of every
//! chain rule (which Z3 proves) makes the depth the length of the shortest proof, as in
//! the monadic generator. A Z3 `unknown` (possible once ∃ sits under ∀) rejects the
//! construction; the count is kept in [`Checks::unknowns`].

use super::chain::shape_parts;
use super::check::{self, Claims, negate};
use super::shape::{Lit, RuleParts, Scope, Shape};
use super::{MAX_DEPTH, Premise, ProofStep, Role, Skeleton, SkeletonError, SkeletonSpec};
use crate::ast::{Formula, Term};
use crate::prover::{Label, Prover, ProverError};
use rand::Rng;
use rand::SeedableRng;
use rand::seq::SliceRandom;
use rand_chacha::ChaCha8Rng;

/// Fresh tries per problem; a try fails when Z3 refutes or cannot decide a construction.
const MAX_ATTEMPTS: u32 = 16;
/// Chance that the next step expands a claim the previous step created (a chain).
const CHAIN_ON: f64 = 0.7;
/// Chance of a compound (∧ ∨ ⊕) conclusion, as in the monadic generator.
const COMPOUND: f64 = 0.3;
/// People outside the chain, at most, that distractor facts speak of.
const OTHERS: usize = 3;
/// Share of distractors that are facts rather than dead rules.
const DISTRACTOR_FACT: f64 = 0.5;

/// The names a relational skeleton may use: unary predicates, binary relations and
/// individuals (the first drawn is the subject).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RelVocabulary {
    pub predicates: Vec<String>,
    pub relations: Vec<String>,
    /// Relations whose meaning allows only one stated property: (name, `symmetric` or
    /// `transitive`). "is older than" is transitive and never symmetric.
    pub only: Vec<(String, String)>,
    pub individuals: Vec<String>,
}

impl RelVocabulary {
    /// Predicates a spec can consume at most: the goal, three per step (a monadic shape's
    /// fresh ones), two per distractor.
    pub fn predicates_needed(spec: &SkeletonSpec) -> usize {
        1 + 3 * spec.depth as usize + 2 * spec.distractors as usize
    }

    /// Relations: one per step at most, and one per distractor.
    pub fn relations_needed(spec: &SkeletonSpec) -> usize {
        (spec.depth + spec.distractors) as usize
    }

    /// Individuals: the subject, one per step at most, and the distractors' others.
    pub fn individuals_needed(spec: &SkeletonSpec) -> usize {
        1 + spec.depth as usize + OTHERS
    }

    /// Abstract names, for tests and benchmarks.
    pub fn synthetic(predicates: usize, relations: usize, individuals: usize) -> RelVocabulary {
        RelVocabulary {
            predicates: (0..predicates).map(|i| format!("p{i}")).collect(),
            relations: (0..relations).map(|i| format!("r{i}")).collect(),
            only: Vec::new(),
            individuals: (0..individuals).map(|i| format!("c{i}")).collect(),
        }
    }
}

/// What a node of the proof states.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Claim {
    /// A possibly negated unary literal about an individual.
    Un(Lit, String),
    /// `R(a, b)`.
    Rel(String, String, String),
    /// `∃y R(a, y)`.
    Some(String, String),
    /// `∃x (R(x, a) ∧ A(x))`: someone who is A stands in R to a (leaves only).
    SomeWith(String, Lit, String),
}

fn var(v: &str) -> Term {
    Term::Var(v.into())
}

fn konst(c: &str) -> Term {
    Term::Const(c.into())
}

fn rel(r: &str, a: Term, b: Term) -> Formula {
    Formula::Pred(r.to_string(), vec![a, b])
}

impl Claim {
    fn formula(&self) -> Formula {
        match self {
            Claim::Un(l, who) => l.on(&konst(who)),
            Claim::Rel(r, a, b) => rel(r, konst(a), konst(b)),
            Claim::Some(r, a) => Formula::exists("y", rel(r, konst(a), var("y"))),
            Claim::SomeWith(r, l, a) => {
                Formula::exists("x", Formula::And(vec![rel(r, var("x"), konst(a)), l.on(&var("x"))]))
            }
        }
    }
}

#[derive(Debug, Clone)]
struct Node {
    claim: Claim,
    derived_by: Option<usize>,
}

#[derive(Debug, Clone)]
struct Rule {
    shape: Shape,
    formula: Formula,
    inputs: Vec<usize>,
    output: usize,
}

/// A relational skeleton under construction.
#[derive(Debug, Clone)]
struct Draft {
    subject: String,
    people: Vec<String>,
    preds: Vec<String>,
    rels: Vec<String>,
    /// Chain names, for distractors to reuse.
    chain_preds: Vec<String>,
    chain_rels: Vec<String>,
    /// Relations whose one property (symmetry or transitivity) the chain already states.
    with_property: Vec<String>,
    only: Vec<(String, String)>,
    /// People outside the chain that distractors speak of.
    others: Vec<String>,
    nodes: Vec<Node>,
    rules: Vec<Rule>,
    distractors: Vec<Premise>,
    withheld: Option<usize>,
    depth: u32,
}

/// The step kinds a unary claim can be derived by, with weights.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum UnaryStep {
    Monadic,
    Iff,
    Transfer,
    ExistsImplies,
    /// Two steps: `A(t) ⊢ ∃y R(t,y) ⊢ B(t)`.
    SerialPair,
    /// A transfer from an existential fact leaf.
    FromSomeone,
}

const UNARY_STEPS: [(UnaryStep, u32); 6] = [
    (UnaryStep::Monadic, 3),
    (UnaryStep::Iff, 1),
    (UnaryStep::Transfer, 3),
    (UnaryStep::ExistsImplies, 3),
    (UnaryStep::SerialPair, 2),
    (UnaryStep::FromSomeone, 1),
];

impl Draft {
    fn build(spec: &SkeletonSpec, vocab: &RelVocabulary, rng: &mut ChaCha8Rng) -> Draft {
        let mut preds = vocab.predicates.clone();
        preds.shuffle(rng);
        let mut rels = vocab.relations.clone();
        rels.shuffle(rng);
        let mut people = vocab.individuals.clone();
        people.shuffle(rng);
        let subject = people.pop().unwrap_or_else(|| "c0".into());
        let mut d = Draft {
            subject: subject.clone(),
            people,
            preds,
            rels,
            chain_preds: Vec::new(),
            chain_rels: Vec::new(),
            with_property: Vec::new(),
            only: vocab.only.clone(),
            others: Vec::new(),
            nodes: Vec::new(),
            rules: Vec::new(),
            distractors: Vec::new(),
            withheld: None,
            depth: spec.depth,
        };
        let goal = Lit::new(&d.fresh_pred(), rng.gen_bool(0.5));
        d.nodes.push(Node { claim: Claim::Un(goal, subject), derived_by: None });
        let mut recent = vec![0usize];
        let mut left = spec.depth;
        while left > 0 {
            let open = d.expandable();
            let recent_open: Vec<usize> = recent.iter().copied().filter(|i| open.contains(i)).collect();
            let target = if !recent_open.is_empty() && (rng.gen_bool(CHAIN_ON) || open.len() == 1) {
                recent_open[rng.gen_range(0..recent_open.len())]
            } else {
                open[rng.gen_range(0..open.len())]
            };
            let (new, used) = d.expand(target, left, rng);
            recent = new;
            left -= used;
        }
        d
    }

    fn fresh_pred(&mut self) -> String {
        let p = self.preds.pop().unwrap_or_else(|| format!("q{}", self.preds.len()));
        self.chain_preds.push(p.clone());
        p
    }

    fn fresh_rel(&mut self) -> String {
        let r = self.rels.pop().unwrap_or_else(|| format!("s{}", self.rels.len()));
        self.chain_rels.push(r.clone());
        r
    }

    /// One of at most [`OTHERS`] people outside the chain, for distractor facts. Few, so
    /// that the universe Z3 instantiates rules over stays small; none is ever related to
    /// a chain individual, so nothing about them reaches the chain.
    fn other(&mut self, rng: &mut ChaCha8Rng) -> String {
        if self.others.len() < OTHERS && (self.others.is_empty() || rng.gen_bool(0.5)) {
            let c = self.fresh_person();
            self.others.push(c);
        }
        self.others[rng.gen_range(0..self.others.len())].clone()
    }

    fn fresh_person(&mut self) -> String {
        self.people.pop().unwrap_or_else(|| format!("d{}", self.people.len()))
    }

    /// Claims a step may still derive: open unary claims, and relation claims whose
    /// relation has no stated property yet.
    fn expandable(&self) -> Vec<usize> {
        (0..self.nodes.len())
            .filter(|&i| self.nodes[i].derived_by.is_none())
            .filter(|&i| match &self.nodes[i].claim {
                Claim::Un(..) => true,
                Claim::Rel(r, ..) => !self.with_property.contains(r),
                _ => false,
            })
            .collect()
    }

    fn open_unary(&self) -> usize {
        (0..self.nodes.len())
            .filter(|&i| self.nodes[i].derived_by.is_none() && matches!(self.nodes[i].claim, Claim::Un(..)))
            .count()
    }

    fn node(&mut self, claim: Claim) -> usize {
        self.nodes.push(Node { claim, derived_by: None });
        self.nodes.len() - 1
    }

    fn rule(&mut self, shape: Shape, formula: Formula, inputs: Vec<usize>, output: usize) {
        self.nodes[output].derived_by = Some(self.rules.len());
        self.rules.push(Rule { shape, formula, inputs, output });
    }

    /// Derives claim `target` by one or two new steps; returns the new claims and the
    /// steps used (never more than `left`).
    fn expand(&mut self, target: usize, left: u32, rng: &mut ChaCha8Rng) -> (Vec<usize>, u32) {
        match self.nodes[target].claim.clone() {
            Claim::Un(t, who) => self.expand_unary(target, t, &who, left, rng),
            Claim::Rel(r, a, b) => {
                self.with_property.push(r.clone());
                let only = self.only.iter().find(|(n, _)| *n == r).map(|(_, p)| p.as_str());
                let symmetric = match only {
                    Some("symmetric") => true,
                    Some(_) => false,
                    None => rng.gen_bool(0.5),
                };
                if symmetric {
                    let f = symmetry(&r);
                    let back = self.node(Claim::Rel(r, b, a));
                    self.rule(Shape::Symmetric, f, vec![back], target);
                    (vec![back], 1)
                } else {
                    let f = transitivity(&r);
                    let u = self.fresh_person();
                    let first = self.node(Claim::Rel(r.clone(), a, u.clone()));
                    let second = self.node(Claim::Rel(r, u, b));
                    self.rule(Shape::Transitive, f, vec![first, second], target);
                    (vec![first, second], 1)
                }
            }
            // Not expandable (see `expandable`).
            Claim::Some(..) | Claim::SomeWith(..) => (Vec::new(), 0),
        }
    }

    fn pick_unary(&self, left: u32, rng: &mut ChaCha8Rng) -> UnaryStep {
        let allowed: Vec<(UnaryStep, u32)> = UNARY_STEPS
            .iter()
            .copied()
            .filter(|(k, _)| match k {
                UnaryStep::SerialPair => left >= 2,
                // A closed leaf must leave something to expand, unless it is the last step.
                UnaryStep::FromSomeone => left == 1 || self.open_unary() > 1,
                _ => true,
            })
            .collect();
        let total: u32 = allowed.iter().map(|(_, w)| w).sum();
        let mut roll = rng.gen_range(0..total);
        for (k, w) in &allowed {
            if roll < *w {
                return *k;
            }
            roll -= w;
        }
        UnaryStep::Monadic
    }

    fn expand_unary(
        &mut self,
        target: usize,
        t: Lit,
        who: &str,
        left: u32,
        rng: &mut ChaCha8Rng,
    ) -> (Vec<usize>, u32) {
        let (x, y) = (var("x"), var("y"));
        match self.pick_unary(left, rng) {
            UnaryStep::Monadic => {
                let shape = Shape::ALL[rng.gen_range(0..Shape::ALL.len())];
                let (lits, inputs) = shape_parts(
                    shape,
                    t,
                    &mut |r| {
                        let p = self.fresh_pred();
                        Lit::new(&p, r.gen_bool(0.75))
                    },
                    rng,
                );
                let f = RuleParts { shape, lits }.formula(&Scope::Everyone);
                let new: Vec<usize> =
                    inputs.into_iter().map(|l| self.node(Claim::Un(l, who.to_string()))).collect();
                self.rule(shape, f, new.clone(), target);
                (new, 1)
            }
            UnaryStep::Iff => {
                let a = Lit::new(&self.fresh_pred(), true);
                let f = Formula::forall("x", Formula::iff(a.on(&x), t.on(&x)));
                let n = self.node(Claim::Un(a, who.to_string()));
                self.rule(Shape::Iff, f, vec![n], target);
                (vec![n], 1)
            }
            UnaryStep::Transfer | UnaryStep::FromSomeone => {
                let r = self.fresh_rel();
                let a = Lit::new(&self.fresh_pred(), true);
                let f = Formula::forall(
                    "x",
                    Formula::forall(
                        "y",
                        Formula::implies(
                            Formula::And(vec![rel(&r, x.clone(), y.clone()), a.on(&x)]),
                            t.on(&y),
                        ),
                    ),
                );
                if self.pick_is_someone(rng, left) {
                    let n = self.node(Claim::SomeWith(r, a, who.to_string()));
                    self.rule(Shape::Transfer, f, vec![n], target);
                    return (vec![n], 1);
                }
                let s = self.fresh_person();
                let link = self.node(Claim::Rel(r, s.clone(), who.to_string()));
                let prop = self.node(Claim::Un(a, s));
                self.rule(Shape::Transfer, f, vec![link, prop], target);
                (vec![link, prop], 1)
            }
            UnaryStep::ExistsImplies => {
                let r = self.fresh_rel();
                let a = Lit::new(&self.fresh_pred(), true);
                let f = Formula::forall(
                    "x",
                    Formula::implies(
                        Formula::exists("y", Formula::And(vec![rel(&r, x.clone(), y.clone()), a.on(&y)])),
                        t.on(&x),
                    ),
                );
                let s = self.fresh_person();
                let link = self.node(Claim::Rel(r, who.to_string(), s.clone()));
                let prop = self.node(Claim::Un(a, s));
                self.rule(Shape::ExistsImplies, f, vec![link, prop], target);
                (vec![link, prop], 1)
            }
            UnaryStep::SerialPair => {
                let r = self.fresh_rel();
                let a = Lit::new(&self.fresh_pred(), true);
                let some = Formula::exists("y", rel(&r, x.clone(), y.clone()));
                let uses = Formula::forall("x", Formula::implies(some.clone(), t.on(&x)));
                let serial = Formula::forall("x", Formula::implies(a.on(&x), some));
                let mid = self.node(Claim::Some(r, who.to_string()));
                self.rule(Shape::SomeImplies, uses, vec![mid], target);
                let n = self.node(Claim::Un(a, who.to_string()));
                self.rule(Shape::Serial, serial, vec![n], mid);
                (vec![n], 2)
            }
        }
    }

    /// Whether this transfer starts from an existential fact (FromSomeone's leaf).
    fn pick_is_someone(&self, rng: &mut ChaCha8Rng, left: u32) -> bool {
        (left == 1 || self.open_unary() > 1) && rng.gen_bool(0.25)
    }

    fn fact(&self, i: usize) -> Formula {
        self.nodes[i].claim.formula()
    }

    fn leaves(&self) -> Vec<usize> {
        (0..self.nodes.len())
            .filter(|&i| self.nodes[i].derived_by.is_none() && self.withheld != Some(i))
            .collect()
    }

    fn premises(&self) -> Vec<Premise> {
        let mut out: Vec<Premise> = self
            .leaves()
            .into_iter()
            .map(|i| Premise { formula: self.fact(i), role: Role::Fact, shape: None })
            .collect();
        out.extend(self.rules.iter().map(|r| Premise {
            formula: r.formula.clone(),
            role: Role::Rule,
            shape: Some(r.shape),
        }));
        out.extend(self.distractors.iter().cloned());
        out
    }

    /// The steps in proof order (rules were made goal first, so the reverse is
    /// topological); for Uncertain, those that go through without the withheld fact.
    fn steps(&self) -> Vec<ProofStep> {
        let mut known: Vec<bool> = self.nodes.iter().map(|n| n.derived_by.is_none()).collect();
        if let Some(w) = self.withheld {
            known[w] = false;
        }
        let mut steps = Vec::new();
        for r in self.rules.iter().rev() {
            if r.inputs.iter().all(|&i| known[i]) {
                known[r.output] = true;
                steps.push(ProofStep {
                    facts: r.inputs.iter().map(|&i| self.fact(i)).collect(),
                    rule: r.formula.clone(),
                    shape: r.shape,
                    conclusion: self.fact(r.output),
                    verdict: None,
                });
            }
        }
        steps
    }

    /// Distractors: facts with a fresh predicate about chain individuals, chain predicates
    /// about new individuals, chain relations between new individuals, and dead rules
    /// whose consequent (or antecedent) is a predicate nothing else mentions.
    fn add_distractors(&mut self, k: u32, rng: &mut ChaCha8Rng) {
        // A reader takes "lives next to" as symmetric whether or not a premise says so;
        // saying so keeps every inference a reader draws one that Z3 draws too.
        for r in self.unstated_symmetric() {
            self.distractors.push(Premise {
                formula: symmetry(&r),
                role: Role::DistractorRule,
                shape: Some(Shape::Symmetric),
            });
        }
        let people: Vec<String> = self
            .nodes
            .iter()
            .filter_map(|n| match &n.claim {
                Claim::Un(_, w) => Some(w.clone()),
                _ => None,
            })
            .collect();
        let (x, y) = (var("x"), var("y"));
        // Distinct premises: a repeat (or a chain fact) would read twice in the context.
        let mut tries = 0;
        while self.distractors.len() < k as usize && tries < 8 * k {
            tries += 1;
            let p = self.chain_preds[rng.gen_range(0..self.chain_preds.len())].clone();
            let r = if self.chain_rels.is_empty() {
                None
            } else {
                Some(self.chain_rels[rng.gen_range(0..self.chain_rels.len())].clone())
            };
            let (formula, role, shape) = if rng.gen_bool(DISTRACTOR_FACT) {
                let f = match (rng.gen_range(0..3), &r) {
                    (1, _) => {
                        let c = self.other(rng);
                        Lit::new(&p, rng.gen_bool(0.7)).on(&konst(&c))
                    }
                    (2, Some(r)) => {
                        let c = self.other(rng);
                        let mut e = self.other(rng);
                        for _ in 0..4 {
                            if e != c {
                                break;
                            }
                            e = self.other(rng);
                        }
                        if e == c {
                            continue;
                        }
                        rel(r, konst(&c), konst(&e))
                    }
                    _ => {
                        let z = self.fresh_pred();
                        let who = &people[rng.gen_range(0..people.len())];
                        Formula::atom(&z, who)
                    }
                };
                (f, Role::DistractorFact, None)
            } else {
                let z = self.fresh_pred();
                let a = Lit::new(&p, true);
                match (rng.gen_range(0..3), &r) {
                    (0, Some(r)) => (
                        Formula::forall(
                            "x",
                            Formula::forall(
                                "y",
                                Formula::implies(
                                    Formula::And(vec![rel(r, x.clone(), y.clone()), a.on(&x)]),
                                    Formula::atom_var(&z, "y"),
                                ),
                            ),
                        ),
                        Role::DistractorRule,
                        Some(Shape::Transfer),
                    ),
                    (1, Some(r)) => (
                        Formula::forall(
                            "x",
                            Formula::implies(
                                Formula::exists(
                                    "y",
                                    Formula::And(vec![
                                        rel(r, x.clone(), y.clone()),
                                        Formula::atom_var(&z, "y"),
                                    ]),
                                ),
                                a.on(&x),
                            ),
                        ),
                        Role::DistractorRule,
                        Some(Shape::ExistsImplies),
                    ),
                    _ => (
                        Formula::forall("x", Formula::implies(a.on(&x), Formula::atom_var(&z, "x"))),
                        Role::DistractorRule,
                        Some(Shape::Implies),
                    ),
                }
            };
            let chain: Vec<Formula> = self.premises().into_iter().map(|p| p.formula).collect();
            if !chain.contains(&formula) {
                self.distractors.push(Premise { formula, role, shape });
            }
        }
    }

    /// Sometimes (as the monadic generator's [`COMPOUND`] share) a compound conclusion:
    /// the goal G with a stated fact K about the subject, in the monadic generator's
    /// sign-balanced forms. True: G∧K, G∨¬K, ¬G⊕K; False: ¬G∧K, ¬G∨¬K, G⊕K; Uncertain:
    /// G∧K, G∨¬K, G⊕K. K is a stated leaf, so the chain's rules stay necessary.
    fn compound(&self, label: Label, simple: Formula, rng: &mut ChaCha8Rng) -> Formula {
        let Claim::Un(g, subject) = &self.nodes[0].claim else { return simple };
        let known: Vec<&Lit> = self
            .leaves()
            .into_iter()
            .filter_map(|i| match &self.nodes[i].claim {
                Claim::Un(l, who) if who == subject => Some(l),
                _ => None,
            })
            .collect();
        if known.is_empty() || !rng.gen_bool(COMPOUND) {
            return simple;
        }
        let form = rng.gen_range(0..3);
        // K's shown sign is drawn evenly whatever the label, as in the monadic generator.
        let shown_negated = form == 1;
        let want_positive = rng.gen_bool(0.5);
        let matching: Vec<&Lit> =
            known.iter().copied().filter(|l| (l.pos != shown_negated) == want_positive).collect();
        let pool = if matching.is_empty() { &known } else { &matching };
        let k = pool[rng.gen_range(0..pool.len())];
        let s = konst(subject);
        let (gl, kl, ng, nk) = (g.on(&s), k.on(&s), g.negated().on(&s), k.negated().on(&s));
        let pair = |x: Formula, y: Formula, rng: &mut ChaCha8Rng| {
            if rng.gen_bool(0.5) { vec![x, y] } else { vec![y, x] }
        };
        match (label, form) {
            (Label::True, 0) | (Label::Uncertain, 0) => Formula::And(pair(gl, kl, rng)),
            (Label::True, 1) | (Label::Uncertain, 1) => Formula::Or(pair(gl, nk, rng)),
            (Label::True, _) => Formula::Xor(pair(ng, kl, rng)),
            (Label::False, 0) => Formula::And(pair(ng, kl, rng)),
            (Label::False, 1) => Formula::Or(pair(ng, nk, rng)),
            (Label::False, _) | (Label::Uncertain, _) => Formula::Xor(pair(gl, kl, rng)),
        }
    }

    /// Chain relations whose meaning is symmetric (tagged `symmetric`) and whose symmetry
    /// no chain rule states.
    fn unstated_symmetric(&self) -> Vec<String> {
        self.chain_rels
            .iter()
            .filter(|r| self.only.iter().any(|(n, p)| n == *r && p == "symmetric"))
            .filter(|r| !self.rules.iter().any(|rule| rule.formula == symmetry(r)))
            .cloned()
            .collect()
    }

    /// A symmetry premise beside a `∀x (A(x) → ∃y R(x,y))` rule: Z3 decides these by
    /// grounding in-process, but the `z3` CLI on the `--smtlib` file (no grounding) ran
    /// for over 20 minutes on such a problem. Such drafts are drawn again.
    fn symmetry_meets_serial(&self) -> bool {
        self.rules.iter().any(|r| r.shape == Shape::Serial) && !self.unstated_symmetric().is_empty()
    }

    /// Uncertain: withhold a leaf (one of the goal's own step most often).
    fn choose_withheld(&mut self, rng: &mut ChaCha8Rng) {
        let leaves = self.leaves();
        let near: Vec<usize> = leaves
            .iter()
            .copied()
            .filter(|&l| self.rules.iter().any(|r| r.output == 0 && r.inputs.contains(&l)))
            .collect();
        let pool = if !near.is_empty() && rng.gen_bool(0.6) { near } else { leaves };
        self.withheld = Some(pool[rng.gen_range(0..pool.len())]);
    }
}

/// Builds and proves one relational problem. Same inputs, same problem.
pub fn generate(
    spec: &SkeletonSpec,
    vocab: &RelVocabulary,
    seed: u64,
    prover: &Prover,
) -> Result<Skeleton, SkeletonError> {
    if !(1..=MAX_DEPTH).contains(&spec.depth) {
        return Err(SkeletonError::Depth(spec.depth));
    }
    let need = RelVocabulary::predicates_needed(spec);
    if vocab.predicates.len() < need
        || vocab.relations.len() < RelVocabulary::relations_needed(spec)
        || vocab.individuals.len() < RelVocabulary::individuals_needed(spec)
    {
        return Err(SkeletonError::RelVocabulary {
            predicates: (need, vocab.predicates.len()),
            relations: (RelVocabulary::relations_needed(spec), vocab.relations.len()),
            individuals: (RelVocabulary::individuals_needed(spec), vocab.individuals.len()),
        });
    }
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut queries = 0;
    let mut unknowns = 0;
    let mut last = String::new();
    for attempt in 1..=MAX_ATTEMPTS {
        let mut d = Draft::build(spec, vocab, &mut rng);
        if d.symmetry_meets_serial() {
            last = "a symmetric relation beside a serial rule".into();
            continue;
        }
        d.add_distractors(spec.distractors, &mut rng);
        let goal = d.fact(0);
        let simple = match spec.label {
            Label::True => goal.clone(),
            Label::False => negate(&goal),
            Label::Uncertain => {
                d.choose_withheld(&mut rng);
                if rng.gen_bool(0.5) { goal.clone() } else { negate(&goal) }
            }
        };
        let conclusion = d.compound(spec.label, simple, &mut rng);
        match check::prove(d.claims(), &conclusion, spec.label, prover, &mut queries) {
            Ok(Ok((mut checks, steps))) => {
                checks.queries = queries;
                checks.attempts = attempt;
                checks.unknowns = unknowns;
                return Ok(Skeleton {
                    subject: d.subject.clone(),
                    premises: d.premises(),
                    goal,
                    conclusion,
                    label: spec.label,
                    depth: d.depth,
                    steps,
                    withheld: d.withheld.map(|w| d.fact(w)),
                    checks,
                });
            }
            Ok(Err(why)) => last = why,
            Err(ProverError::Unknown { reason, .. }) => {
                unknowns += 1;
                last = format!("Z3 answered unknown ({reason})");
            }
            Err(e) => return Err(e.into()),
        }
    }
    Err(SkeletonError::GaveUp { attempts: MAX_ATTEMPTS, last })
}

/// `∀x∀y (R(x,y) → R(y,x))`, as a premise states a relation's symmetry.
pub fn symmetry(r: &str) -> Formula {
    let (x, y) = (var("x"), var("y"));
    Formula::forall("x", Formula::forall("y", Formula::implies(rel(r, x.clone(), y.clone()), rel(r, y, x))))
}

/// `∀x∀y∀z (R(x,y) ∧ R(y,z) → R(x,z))`, as a premise states a relation's transitivity.
pub fn transitivity(r: &str) -> Formula {
    let (x, y, z) = (var("x"), var("y"), var("z"));
    let chain = Formula::And(vec![rel(r, x.clone(), y.clone()), rel(r, y, z.clone())]);
    Formula::forall("x", Formula::forall("y", Formula::forall("z", Formula::implies(chain, rel(r, x, z)))))
}

impl Draft {
    /// What this draft claims, for [`check::prove`].
    fn claims(&self) -> Claims {
        Claims {
            premises: self.premises().into_iter().map(|p| p.formula).collect(),
            rules: self.rules.iter().map(|r| r.formula.clone()).collect(),
            distractors: self.distractors.iter().map(|p| p.formula.clone()).collect(),
            check_core: true,
            goal: self.fact(0),
            withheld: self.withheld.map(|w| self.fact(w)),
            steps: self.steps(),
            depth: self.depth,
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn spec(depth: u32, label: Label) -> SkeletonSpec {
        SkeletonSpec { depth, distractors: SkeletonSpec::default_distractors(depth), label }
    }

    fn vocab() -> RelVocabulary {
        RelVocabulary::synthetic(80, 30, 60)
    }

    #[test]
    fn every_depth_and_label_is_proven_and_deterministic() {
        let p = Prover::default();
        let mut shapes = std::collections::HashSet::new();
        let mut compound = 0;
        for depth in 1..=8 {
            for label in [Label::True, Label::False, Label::Uncertain] {
                for seed in 0..4 {
                    let sk = generate(&spec(depth, label), &vocab(), seed, &p).unwrap();
                    assert_eq!(sk, generate(&spec(depth, label), &vocab(), seed, &p).unwrap());
                    assert_eq!(sk.label, label);
                    assert_eq!(sk.checks.label, Some(label));
                    if label != Label::Uncertain {
                        assert_eq!(sk.steps.len(), depth as usize, "{sk:#?}");
                        assert_eq!(
                            sk.checks.rules_necessary,
                            sk.premises.iter().filter(|p| p.role == Role::Rule).count() as u32
                        );
                    }
                    shapes
                        .extend(sk.premises.iter().filter(|p| p.role == Role::Rule).filter_map(|p| p.shape));
                    compound += usize::from(matches!(
                        sk.conclusion,
                        Formula::And(_) | Formula::Or(_) | Formula::Xor(_)
                    ));
                    let facts: Vec<&Formula> = sk.premises.iter().map(|p| &p.formula).collect();
                    let distinct: std::collections::HashSet<&&Formula> = facts.iter().collect();
                    assert_eq!(distinct.len(), facts.len(), "a premise repeats: {facts:?}");
                }
            }
        }
        assert!(compound > 0, "no compound conclusion in 96 problems");
        for s in Shape::RELATIONAL {
            assert!(shapes.contains(&s), "{s:?} never drawn");
        }
        assert!(shapes.iter().filter(|s| Shape::ALL.contains(s)).count() >= 5, "{shapes:?}");
    }

    #[test]
    fn a_naturally_symmetric_relation_always_comes_with_its_symmetry_stated() {
        let p = Prover::default();
        let mut v = vocab();
        v.only = v.relations.iter().take(15).map(|r| (r.clone(), "symmetric".to_string())).collect();
        let mut used = 0;
        for depth in 1..=6 {
            for label in [Label::True, Label::False, Label::Uncertain] {
                for seed in 0..4 {
                    let sk = generate(&spec(depth, label), &v, seed, &p).unwrap();
                    let premises: Vec<&Formula> = sk.premises.iter().map(|p| &p.formula).collect();
                    let rels: std::collections::BTreeSet<String> = premises
                        .iter()
                        .flat_map(|f| f.predicates())
                        .filter(|(_, arity)| *arity == 2)
                        .map(|(n, _)| n)
                        .collect();
                    for r in rels.iter().filter(|r| v.only.iter().any(|(n, _)| n == *r)) {
                        used += 1;
                        assert!(
                            premises.contains(&&symmetry(r)),
                            "{r} is used but its symmetry is not stated: {premises:#?}"
                        );
                    }
                }
            }
        }
        assert!(used > 20, "symmetric relations drawn only {used} times");
    }
}
