//! The chain: a goal literal expanded top-down, one rule per step, leaves become facts;
//! then the conclusion for the requested label, and the proof DAG walked in order.

use super::check::Claims;
use super::shape::{Lit, RuleParts, Scope, Shape};
use super::{Checks, Premise, ProofStep, Role, Skeleton, SkeletonSpec, Vocabulary};
use crate::ast::{Formula, Term};
use crate::prover::Label;
use petgraph::graph::{DiGraph, NodeIndex};
use rand::Rng;
use rand::seq::SliceRandom;
use rand_chacha::ChaCha8Rng;

/// Chance that a rule speaks about everyone (∀x) rather than the subject alone.
const UNIVERSAL: f64 = 0.7;
/// Chance that a fresh literal is positive.
const POSITIVE: f64 = 0.75;
/// Chance that the goal literal is positive. Even, because a True conclusion states the
/// goal and a False one its negation: a skewed goal would let the question's polarity
/// predict the answer.
const GOAL_POSITIVE: f64 = 0.5;
/// Chance that the next step expands a leaf the previous step created (a chain) rather
/// than any open leaf (a tree).
const CHAIN_ON: f64 = 0.7;
/// Chance of a compound (∧ ∨ ⊕) conclusion.
const COMPOUND: f64 = 0.3;

/// A literal about the subject: a stated fact (leaf) or one a chain rule derives.
#[derive(Debug, Clone)]
pub(crate) struct Node {
    pub lit: Lit,
    pub derived_by: Option<usize>,
}

#[derive(Debug, Clone)]
pub(crate) struct ChainRule {
    pub shape: Shape,
    pub formula: Formula,
    pub inputs: Vec<usize>,
    pub output: usize,
}

/// A skeleton under construction.
#[derive(Debug, Clone)]
pub(crate) struct Draft {
    pub subject: String,
    pub others: Vec<String>,
    /// Unused predicate names; fresh ones are popped from the end.
    pub pool: Vec<String>,
    pub nodes: Vec<Node>,
    pub rules: Vec<ChainRule>,
    /// Predicates the chain mentions (nodes and by-products), for distractors to reuse.
    pub chain_preds: Vec<String>,
    pub distractors: Vec<Premise>,
    /// Uncertain problems: the leaf left out of the context.
    pub withheld: Option<usize>,
    pub depth: u32,
}

impl Draft {
    pub fn build(spec: &SkeletonSpec, vocab: &Vocabulary, rng: &mut ChaCha8Rng) -> Draft {
        let mut pool = vocab.predicates.clone();
        pool.shuffle(rng);
        let mut people = vocab.individuals.clone();
        people.shuffle(rng);
        let subject = people.remove(0);
        let mut d = Draft {
            subject,
            others: people,
            pool,
            nodes: Vec::new(),
            rules: Vec::new(),
            chain_preds: Vec::new(),
            distractors: Vec::new(),
            withheld: None,
            depth: spec.depth,
        };
        let goal = d.fresh_signed(rng, GOAL_POSITIVE);
        d.nodes.push(Node { lit: goal, derived_by: None });
        let mut recent = vec![0usize];
        for _ in 0..spec.depth {
            let open: Vec<usize> = d.leaves();
            let recent_open: Vec<usize> = recent.iter().copied().filter(|i| open.contains(i)).collect();
            let target = if !recent_open.is_empty() && (rng.gen_bool(CHAIN_ON) || open.len() == 1) {
                recent_open[rng.gen_range(0..recent_open.len())]
            } else {
                open[rng.gen_range(0..open.len())]
            };
            recent = d.expand(target, rng);
        }
        d
    }

    /// A literal over a predicate nobody has used yet.
    pub fn fresh(&mut self, rng: &mut ChaCha8Rng) -> Lit {
        self.fresh_signed(rng, POSITIVE)
    }

    /// A fresh literal, positive with chance `positive`.
    fn fresh_signed(&mut self, rng: &mut ChaCha8Rng, positive: f64) -> Lit {
        let pred = self.pool.pop().unwrap_or_else(|| format!("q{}", self.pool.len()));
        self.chain_preds.push(pred.clone());
        Lit::new(&pred, rng.gen_bool(positive))
    }

    /// Leaves: literals no rule derives (the facts), minus the withheld one.
    pub fn leaves(&self) -> Vec<usize> {
        (0..self.nodes.len())
            .filter(|&i| self.nodes[i].derived_by.is_none() && self.withheld != Some(i))
            .collect()
    }

    fn scope(&self, rng: &mut ChaCha8Rng) -> Scope {
        if rng.gen_bool(UNIVERSAL) { Scope::Everyone } else { Scope::Individual(self.subject.clone()) }
    }

    /// Replaces leaf `target` by a rule deriving it from new leaves; returns the new leaves.
    fn expand(&mut self, target: usize, rng: &mut ChaCha8Rng) -> Vec<usize> {
        let t = self.nodes[target].lit.clone();
        let shape = Shape::ALL[rng.gen_range(0..Shape::ALL.len())];
        let (lits, inputs) = shape_parts(shape, t, &mut |r| self.fresh(r), rng);
        let scope = self.scope(rng);
        let formula = RuleParts { shape, lits }.formula(&scope);
        let rule = self.rules.len();
        let mut new = Vec::new();
        for lit in inputs {
            new.push(self.nodes.len());
            self.nodes.push(Node { lit, derived_by: None });
        }
        self.nodes[target].derived_by = Some(rule);
        self.rules.push(ChainRule { shape, formula, inputs: new.clone(), output: target });
        new
    }

    pub fn subject_term(&self) -> Term {
        Term::Const(self.subject.clone())
    }

    pub fn fact(&self, node: usize) -> Formula {
        self.nodes[node].lit.on(&self.subject_term())
    }

    /// What this draft claims, for [`check::prove`]: each distractor was checked as it
    /// was added, so the label without them is not proven again.
    pub(crate) fn claims(&self) -> Claims {
        Claims {
            premises: self.premises().into_iter().map(|p| p.formula).collect(),
            rules: self.rules.iter().map(|r| r.formula.clone()).collect(),
            distractors: self.distractors.iter().map(|p| p.formula.clone()).collect(),
            check_core: false,
            goal: self.fact(0),
            withheld: self.withheld.map(|w| self.fact(w)),
            steps: self.steps(),
            depth: self.depth,
        }
    }

    /// The context: stated facts, chain rules, distractors.
    pub fn premises(&self) -> Vec<Premise> {
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

    /// The proof DAG: nodes are literals, edges run from a rule's inputs to its output.
    fn graph(&self) -> (DiGraph<usize, usize>, Vec<NodeIndex>) {
        let mut g = DiGraph::new();
        let ix: Vec<NodeIndex> = (0..self.nodes.len()).map(|i| g.add_node(i)).collect();
        for (r, rule) in self.rules.iter().enumerate() {
            for &i in &rule.inputs {
                g.add_edge(ix[i], ix[rule.output], r);
            }
        }
        (g, ix)
    }

    /// The rule applications in topological order (each step's facts are stated or
    /// concluded earlier). Steps that need the withheld fact are left out.
    pub fn steps(&self) -> Vec<ProofStep> {
        let (g, _) = self.graph();
        let order = petgraph::algo::toposort(&g, None).unwrap_or_default();
        let mut known: Vec<bool> =
            (0..self.nodes.len()).map(|i| self.nodes[i].derived_by.is_none()).collect();
        if let Some(w) = self.withheld {
            known[w] = false;
        }
        let mut steps = Vec::new();
        for ix in order {
            let n = g[ix];
            let Some(r) = self.nodes[n].derived_by else { continue };
            let rule = &self.rules[r];
            if rule.inputs.iter().all(|&i| known[i]) {
                known[n] = true;
                steps.push(ProofStep {
                    facts: rule.inputs.iter().map(|&i| self.fact(i)).collect(),
                    rule: rule.formula.clone(),
                    shape: rule.shape,
                    conclusion: self.fact(n),
                    verdict: None,
                });
            }
        }
        steps
    }

    /// `steps` are [`Draft::steps`] with Z3's verdicts.
    pub fn into_skeleton(
        self,
        conclusion: Formula,
        label: Label,
        checks: Checks,
        steps: Vec<ProofStep>,
    ) -> Skeleton {
        Skeleton {
            subject: self.subject.clone(),
            premises: self.premises(),
            goal: self.fact(0),
            conclusion,
            label,
            depth: self.depth,
            steps,
            withheld: self.withheld.map(|w| self.fact(w)),
            checks,
        }
    }
}

/// A rule of `shape` deriving `t`: its literals in shape positions and the input
/// literals that, stated, make it yield `t`. `fresh` draws unused predicates.
pub(crate) fn shape_parts(
    shape: Shape,
    t: Lit,
    fresh: &mut dyn FnMut(&mut ChaCha8Rng) -> Lit,
    rng: &mut ChaCha8Rng,
) -> (Vec<Lit>, Vec<Lit>) {
    let a = fresh(rng);
    match shape {
        Shape::Implies => (vec![a.clone(), t], vec![a]),
        Shape::Xor => {
            // Written over T's atom; which value of `a` yields T depends on T's sign.
            let y = t.atom();
            let input = if y == t { a.negated() } else { a.clone() };
            (two(a, y, rng), vec![input])
        }
        Shape::Or => {
            let input = a.negated();
            (two(a, t, rng), vec![input])
        }
        Shape::ImpliesAnd => {
            let b = fresh(rng);
            let mut l = vec![a.clone()];
            l.extend(two(t, b, rng));
            (l, vec![a])
        }
        Shape::ImpliesOr => {
            let b = fresh(rng);
            let mut l = vec![a.clone()];
            let nb = b.negated();
            l.extend(two(t, b, rng));
            (l, vec![a, nb])
        }
        Shape::ImpliesXor => {
            let b = fresh(rng);
            let y = t.atom();
            let input = if y == t { b.negated() } else { b.clone() };
            let mut l = vec![a.clone()];
            l.extend(two(y, b, rng));
            (l, vec![a, input])
        }
        Shape::AndImplies => {
            let b = fresh(rng);
            (vec![a.clone(), b.clone(), t], vec![a, b])
        }
        Shape::OrImplies => {
            let b = fresh(rng);
            let input = if rng.gen_bool(0.5) { a.clone() } else { b.clone() };
            (vec![a, b, t], vec![input])
        }
        Shape::XorImplies => {
            let b = fresh(rng);
            let nb = b.negated();
            (vec![a.clone(), b, t], vec![a, nb])
        }
        // Not monadic: the relational generator builds these itself and draws only
        // `Shape::ALL` here. As `A → T`, should one ever arrive.
        Shape::Transfer
        | Shape::ExistsImplies
        | Shape::Serial
        | Shape::SomeImplies
        | Shape::Iff
        | Shape::Symmetric
        | Shape::Transitive => (vec![a.clone(), t], vec![a]),
    }
}

fn two<T>(x: T, y: T, rng: &mut ChaCha8Rng) -> Vec<T> {
    if rng.gen_bool(0.5) { vec![x, y] } else { vec![y, x] }
}

/// The leaf to leave out of an Uncertain problem. Mostly one nearest the goal, so most
/// of the chain still goes through and the reasoning shows where it stops; sometimes any.
fn choose_withheld(d: &Draft, rng: &mut ChaCha8Rng) -> usize {
    let leaves = d.leaves();
    if rng.gen_bool(0.3) {
        return leaves[rng.gen_range(0..leaves.len())];
    }
    // Rules between a leaf and the goal: follow "input of rule r, whose output is …".
    let distance = |leaf: usize| {
        let mut node = leaf;
        let mut n = 0;
        while let Some(r) = d.rules.iter().find(|r| r.inputs.contains(&node)) {
            node = r.output;
            n += 1;
        }
        n
    };
    let nearest = leaves.iter().map(|&l| distance(l)).min().unwrap_or(0);
    let candidates: Vec<usize> = leaves.into_iter().filter(|&l| distance(l) == nearest).collect();
    candidates[rng.gen_range(0..candidates.len())]
}

/// Picks the conclusion for `label` (withholding a fact for Uncertain). Compound
/// conclusions pair the goal G with a literal K the context establishes:
/// True: G∧K, G∨¬K, ¬G⊕K; False: ¬G∧K, ¬G∨¬K, G⊕K; Uncertain (G open): G∧K, G∨¬K, G⊕K.
/// Each form shows K the same way under every label (and G's sign is even), so the
/// pattern of negations says nothing about the answer.
pub(crate) fn choose_conclusion(d: &mut Draft, label: Label, rng: &mut ChaCha8Rng) -> Formula {
    let s = d.subject_term();
    if label == Label::Uncertain {
        d.withheld = Some(choose_withheld(d, rng));
    }
    let g = d.nodes[0].lit.clone();
    // K: stated facts always hold; derived literals only when the whole chain stands.
    let known: Vec<usize> = match label {
        Label::Uncertain => d.leaves(),
        _ => (1..d.nodes.len()).collect(),
    };
    let simple = match label {
        Label::True => g.on(&s),
        Label::False => g.negated().on(&s),
        Label::Uncertain => {
            if rng.gen_bool(0.5) {
                g.on(&s)
            } else {
                g.negated().on(&s)
            }
        }
    };
    if known.is_empty() || !rng.gen_bool(COMPOUND) {
        return simple;
    }
    let form = rng.gen_range(0..3);
    // Only a True G∧K may lean on a derived K: elsewhere the proven target contains K→G,
    // which the rules above a derived K prove without the rules below it.
    let known = if label == Label::True && form == 0 { known } else { d.leaves() };
    if known.is_empty() {
        return simple;
    }
    // K shows negated (¬K) in some forms. Its shown sign is drawn evenly, whatever the
    // label, so no sign pattern of a compound conclusion predicts the answer.
    let shown_negated = form == 1;
    let want_positive = rng.gen_bool(0.5);
    let matching: Vec<usize> =
        known.iter().copied().filter(|&i| (d.nodes[i].lit.pos != shown_negated) == want_positive).collect();
    let pool = if matching.is_empty() { &known } else { &matching };
    let k = d.nodes[pool[rng.gen_range(0..pool.len())]].lit.clone();
    let (gl, kl) = (g.on(&s), k.on(&s));
    let (ng, nk) = (g.negated().on(&s), k.negated().on(&s));
    let pair = |x: Formula, y: Formula, rng: &mut ChaCha8Rng| two(x, y, rng);
    match (label, form) {
        (Label::True, 0) | (Label::Uncertain, 0) => Formula::And(pair(gl, kl, rng)),
        (Label::True, 1) | (Label::Uncertain, 1) => Formula::Or(pair(gl, nk, rng)),
        (Label::True, _) => Formula::Xor(pair(ng, kl, rng)),
        (Label::False, 0) => Formula::And(pair(ng, kl, rng)),
        (Label::False, 1) => Formula::Or(pair(ng, nk, rng)),
        (Label::False, _) | (Label::Uncertain, _) => Formula::Xor(pair(gl, kl, rng)),
    }
}
