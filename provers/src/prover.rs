//! Z3-backed queries over [`Formula`]s: satisfiable, entails, equivalent, label.
//!
//! Encoding: one uninterpreted sort for individuals, one uninterpreted predicate per
//! (name, arity), one constant per named individual. Z3 contexts are per thread (the `z3`
//! crate keeps an implicit thread-local context), so each thread lazily builds one
//! [`Engine`] — solver, declarations and an encoding cache — and reuses it for every query;
//! [`Prover`] itself is a plain `Send + Sync` value that rayon workers can share.
//!
//! Each query is one push/pop scope on that solver. Query sets that ground exactly (see
//! `ground.rs`) are sent quantifier-free; the rest go to Z3's quantifier engine (MBQI).

use crate::ast::{Formula, Term};
use std::cell::RefCell;
use std::collections::HashMap;
use z3::ast::{Ast, Bool, Dynamic};
use z3::{FuncDecl, Params, SatResult, Solver, Sort, Symbol};

/// The verdict for a conclusion given consistent premises.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub enum Label {
    /// The premises entail the conclusion.
    True,
    /// The premises entail the conclusion's negation.
    False,
    /// Neither.
    Uncertain,
}

impl std::fmt::Display for Label {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Label::True => "True",
            Label::False => "False",
            Label::Uncertain => "Uncertain",
        })
    }
}

/// Why a query has no answer.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProverError {
    #[error("the premises are inconsistent (unsatisfiable), so every conclusion follows")]
    Inconsistent,
    #[error(
        "Z3 answered unknown ({reason}); raise the timeout (now {timeout_ms} ms) or simplify the problem"
    )]
    Unknown { reason: String, timeout_ms: u32 },
    #[error("variable `{0}` is used outside any quantifier that binds it")]
    FreeVariable(String),
    /// A bug in the encoding, not in the input; please report it with the formula.
    #[error("internal encoding error: {0}")]
    Encoding(String),
}

/// Runs queries with a per-query timeout. Cheap to copy and share between threads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Prover {
    timeout_ms: u32,
    ground: bool,
}

impl Default for Prover {
    fn default() -> Self {
        Prover { timeout_ms: 10_000, ground: true }
    }
}

/// The version of the linked Z3 library, e.g. `4.8.12.0`.
pub fn z3_version() -> String {
    z3::full_version().to_string()
}

impl Prover {
    /// A prover whose every Z3 check gives up after `timeout_ms` (0 means no limit).
    pub fn new(timeout_ms: u64) -> Self {
        Prover { timeout_ms: u32::try_from(timeout_ms).unwrap_or(u32::MAX), ground: true }
    }

    pub fn timeout_ms(&self) -> u32 {
        self.timeout_ms
    }

    /// The same prover without the grounding fast path: every query goes to Z3's
    /// quantifier engine. Answers are identical; this exists to cross-check and measure.
    pub fn without_grounding(self) -> Self {
        Prover { ground: false, ..self }
    }

    /// Whether the formulas have a common model.
    pub fn satisfiable(&self, formulas: &[Formula]) -> Result<bool, ProverError> {
        let set: Vec<&Formula> = formulas.iter().collect();
        self.with_engine(|e| e.check_set(&set))
    }

    /// Whether every model of `premises` satisfies `goal`. Inconsistent premises entail
    /// everything (classically); use [`Prover::label`] to have them reported.
    pub fn entails(&self, premises: &[Formula], goal: &Formula) -> Result<bool, ProverError> {
        let negated = Formula::not(goal.clone());
        let set: Vec<&Formula> = premises.iter().chain(std::iter::once(&negated)).collect();
        self.with_engine(|e| e.check_set(&set).map(|sat| !sat))
    }

    /// Whether `a` and `b` have the same models.
    pub fn equivalent(&self, a: &Formula, b: &Formula) -> Result<bool, ProverError> {
        let differ = Formula::not(Formula::iff(a.clone(), b.clone()));
        self.with_engine(|e| e.check_set(&[&differ]).map(|sat| !sat))
    }

    /// True when the premises entail the conclusion, False when they entail its negation,
    /// Uncertain otherwise. Inconsistent premises and Z3 `unknown` are errors.
    ///
    /// Two checks settle every case: when premises ∧ ¬C has a model the premises are
    /// consistent, so only an unsatisfiable first check needs the consistency check.
    pub fn label(&self, premises: &[Formula], conclusion: &Formula) -> Result<Label, ProverError> {
        let negated = Formula::not(conclusion.clone());
        self.with_engine(|e| {
            if e.check_set(&with(premises, &negated))? {
                if e.check_set(&with(premises, conclusion))? {
                    Ok(Label::Uncertain)
                } else {
                    Ok(Label::False)
                }
            } else if e.check_set(&premises.iter().collect::<Vec<_>>())? {
                Ok(Label::True)
            } else {
                Err(ProverError::Inconsistent)
            }
        })
    }

    fn with_engine<T>(
        &self,
        f: impl FnOnce(&mut Engine) -> Result<T, ProverError>,
    ) -> Result<T, ProverError> {
        ENGINE.with(|cell| {
            let mut slot = cell.borrow_mut();
            let engine = slot.get_or_insert_with(Engine::new);
            engine.queries += 1;
            if engine.cache.len() > CACHE_LIMIT {
                engine.cache.clear();
            }
            if engine.queries % SOLVER_LIFETIME == 0 {
                engine.renew_solver();
            }
            engine.set_timeout(self.timeout_ms);
            engine.ground = self.ground;
            f(engine)
        })
    }
}

fn with<'a>(premises: &'a [Formula], extra: &'a Formula) -> Vec<&'a Formula> {
    premises.iter().chain(std::iter::once(extra)).collect()
}

/// A solver is reused across queries (a new one costs milliseconds of setup, a push/pop
/// microseconds) but renewed after this many, so state it keeps between scopes cannot pile up.
const SOLVER_LIFETIME: u64 = 2_000;

/// Encodings are cached per thread; past this many entries the cache starts over so a
/// long run does not grow without bound.
const CACHE_LIMIT: usize = 4_000;

thread_local! {
    static ENGINE: RefCell<Option<Engine>> = const { RefCell::new(None) };
}

struct Engine {
    solver: Solver,
    sort: Sort,
    preds: HashMap<(String, usize), FuncDecl>,
    consts: HashMap<String, Dynamic>,
    /// Bound-variable placeholders by nesting depth (abstracted away by the quantifier).
    bound: Vec<Dynamic>,
    cache: HashMap<Formula, Bool>,
    next_symbol: u32,
    timeout_ms: Option<u32>,
    queries: u64,
    ground: bool,
}

impl Engine {
    fn new() -> Self {
        Engine {
            solver: Solver::new(),
            sort: Sort::uninterpreted(Symbol::String("U".into())),
            preds: HashMap::new(),
            consts: HashMap::new(),
            bound: Vec::new(),
            cache: HashMap::new(),
            next_symbol: 0,
            timeout_ms: None,
            queries: 0,
            ground: true,
        }
    }

    fn renew_solver(&mut self) {
        self.solver = Solver::new();
        self.timeout_ms = None;
    }

    fn set_timeout(&mut self, ms: u32) {
        if self.timeout_ms != Some(ms) {
            let mut p = Params::new();
            p.set_u32("timeout", if ms == 0 { u32::MAX } else { ms });
            // Z3 swaps in its own SIGINT handler around every check; with checks on
            // several threads the handlers get restored out of order and a Ctrl-C then
            // lands in Z3 (ignored, or a crash) instead of the run's graceful stop.
            p.set_bool("ctrl_c", false);
            self.solver.set_params(&p);
            self.timeout_ms = Some(ms);
        }
    }

    /// Numeric symbols: user names may hold any Unicode, and Z3 only needs them distinct.
    fn fresh_symbol(&mut self) -> Symbol {
        self.next_symbol += 1;
        Symbol::Int(self.next_symbol)
    }

    fn check(&mut self) -> Result<bool, ProverError> {
        match self.solver.check() {
            SatResult::Sat => Ok(true),
            SatResult::Unsat => Ok(false),
            SatResult::Unknown => Err(ProverError::Unknown {
                reason: self.solver.get_reason_unknown().unwrap_or_else(|| "no reason given".into()),
                timeout_ms: self.timeout_ms.unwrap_or(0),
            }),
        }
    }

    /// Whether the formulas have a common model: ground when that is exact and small,
    /// otherwise with Z3's quantifier engine. One push/pop scope on the reused solver.
    fn check_set(&mut self, formulas: &[&Formula]) -> Result<bool, ProverError> {
        let grounded = if self.ground { crate::ground::ground(formulas) } else { None };
        self.solver.push();
        let r = match &grounded {
            Some(ground) => self.assert_and_check(ground.iter()),
            None => self.assert_and_check(formulas.iter().copied()),
        };
        self.solver.pop(1);
        r
    }

    fn assert_and_check<'f>(
        &mut self,
        formulas: impl Iterator<Item = &'f Formula>,
    ) -> Result<bool, ProverError> {
        for f in formulas {
            let b = self.encode(f)?;
            self.solver.assert(&b);
        }
        self.check()
    }

    fn encode(&mut self, f: &Formula) -> Result<Bool, ProverError> {
        if let Some(b) = self.cache.get(f) {
            return Ok(b.clone());
        }
        let mut scope = Vec::new();
        let b = self.enc(f, &mut scope)?;
        self.cache.insert(f.clone(), b.clone());
        Ok(b)
    }

    fn term(&mut self, t: &Term, scope: &[(String, usize)]) -> Result<Dynamic, ProverError> {
        match t {
            Term::Var(v) => match scope.iter().rev().find(|(name, _)| name == v) {
                Some((_, depth)) => Ok(self.bound[*depth].clone()),
                None => Err(ProverError::FreeVariable(v.clone())),
            },
            Term::Const(c) => {
                if let Some(d) = self.consts.get(c) {
                    return Ok(d.clone());
                }
                let sym = self.fresh_symbol();
                let d = Dynamic::new_const(sym, &self.sort);
                self.consts.insert(c.clone(), d.clone());
                Ok(d)
            }
        }
    }

    fn enc(&mut self, f: &Formula, scope: &mut Vec<(String, usize)>) -> Result<Bool, ProverError> {
        Ok(match f {
            Formula::Pred(name, args) => {
                let key = (name.clone(), args.len());
                if !self.preds.contains_key(&key) {
                    let sym = self.fresh_symbol();
                    let domain: Vec<&Sort> = args.iter().map(|_| &self.sort).collect();
                    let decl = FuncDecl::new(sym, &domain, &Sort::bool());
                    self.preds.insert(key.clone(), decl);
                }
                let terms = args.iter().map(|a| self.term(a, scope)).collect::<Result<Vec<_>, _>>()?;
                let refs: Vec<&dyn Ast> = terms.iter().map(|t| t as &dyn Ast).collect();
                let app = self.preds[&key].apply(&refs);
                app.as_bool()
                    .ok_or_else(|| ProverError::Encoding(format!("`{name}` did not encode to a Boolean")))?
            }
            Formula::Eq(a, b) => {
                let (a, b) = (self.term(a, scope)?, self.term(b, scope)?);
                a.eq(&b)
            }
            Formula::Not(a) => self.enc(a, scope)?.not(),
            Formula::And(ops) => {
                let v = self.enc_all(ops, scope)?;
                Bool::and(&v)
            }
            Formula::Or(ops) => {
                let v = self.enc_all(ops, scope)?;
                Bool::or(&v)
            }
            Formula::Xor(ops) => {
                let v = self.enc_all(ops, scope)?;
                let mut it = v.into_iter();
                match it.next() {
                    None => Bool::from_bool(false),
                    Some(first) => it.fold(first, |acc, b| acc.xor(&b)),
                }
            }
            Formula::Implies(a, b) => {
                let (a, b) = (self.enc(a, scope)?, self.enc(b, scope)?);
                a.implies(&b)
            }
            Formula::Iff(a, b) => {
                let (a, b) = (self.enc(a, scope)?, self.enc(b, scope)?);
                a.iff(&b)
            }
            Formula::Forall(v, body) | Formula::Exists(v, body) => {
                let depth = scope.len();
                while self.bound.len() <= depth {
                    let sym = self.fresh_symbol();
                    self.bound.push(Dynamic::new_const(sym, &self.sort));
                }
                scope.push((v.clone(), depth));
                let body = self.enc(body, scope);
                scope.pop();
                let body = body?;
                let x = self.bound[depth].clone();
                if matches!(f, Formula::Forall(..)) {
                    z3::ast::forall_const(&[&x], &[], &body)
                } else {
                    z3::ast::exists_const(&[&x], &[], &body)
                }
            }
        })
    }

    fn enc_all(
        &mut self,
        ops: &[Formula],
        scope: &mut Vec<(String, usize)>,
    ) -> Result<Vec<Bool>, ProverError> {
        ops.iter().map(|o| self.enc(o, scope)).collect()
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::parse;

    fn fs(src: &[&str]) -> Vec<Formula> {
        src.iter().map(|s| parse(s).unwrap()).collect()
    }

    #[test]
    fn labels_the_three_ways() {
        let p = Prover::default();
        let premises = fs(&["∀x (Cat(x) → Animal(x))", "Cat(tom)"]);
        assert_eq!(p.label(&premises, &parse("Animal(tom)").unwrap()).unwrap(), Label::True);
        assert_eq!(p.label(&premises, &parse("¬Animal(tom)").unwrap()).unwrap(), Label::False);
        assert_eq!(p.label(&premises, &parse("Dog(tom)").unwrap()).unwrap(), Label::Uncertain);
    }

    #[test]
    fn inconsistent_premises_are_an_error() {
        let p = Prover::default();
        let premises = fs(&["∀x (Cat(x) → Animal(x))", "Cat(tom)", "¬Animal(tom)"]);
        assert_eq!(p.label(&premises, &parse("Dog(tom)").unwrap()), Err(ProverError::Inconsistent));
        assert!(!p.satisfiable(&premises).unwrap());
    }

    #[test]
    fn free_variables_are_rejected() {
        let f = Formula::atom_var("P", "x");
        assert_eq!(Prover::default().satisfiable(&[f]), Err(ProverError::FreeVariable("x".into())));
    }

    #[test]
    fn equivalence_and_entailment() {
        let p = Prover::default();
        let a = parse("¬(A(x1) ∧ B(x1))").unwrap();
        let b = parse("¬A(x1) ∨ ¬B(x1)").unwrap();
        assert!(p.equivalent(&a, &b).unwrap());
        assert!(!p.equivalent(&a, &parse("¬A(x1)").unwrap()).unwrap());
        assert!(p.entails(&fs(&["∃x (P(x))", "∀x (P(x) → Q(x))"]), &parse("∃y (Q(y))").unwrap()).unwrap());
        assert!(!p.entails(&fs(&["∃x (P(x))"]), &parse("P(a)").unwrap()).unwrap());
    }

    #[test]
    fn works_from_many_threads() {
        use rayon::prelude::*;
        let p = Prover::default();
        let n = (0..64)
            .into_par_iter()
            .filter(|i| {
                let premises = vec![parse(&format!("∀x (P{i}(x) → Q(x))")).unwrap(), parse("P3(a)").unwrap()];
                p.entails(&premises, &parse("Q(a)").unwrap()).unwrap()
            })
            .count();
        assert_eq!(n, 1);
    }

    /// Pigeonhole (10 into 9) is exponential for resolution, so 50 ms cannot settle it.
    #[test]
    fn a_timeout_is_an_error_not_a_label() {
        let (pigeons, holes) = (10, 9);
        let mut premises = Vec::new();
        for i in 0..pigeons {
            premises
                .push(Formula::Or((0..holes).map(|j| Formula::Pred(format!("H{i}_{j}"), vec![])).collect()));
        }
        for j in 0..holes {
            for a in 0..pigeons {
                for b in a + 1..pigeons {
                    premises.push(Formula::not(Formula::And(vec![
                        Formula::Pred(format!("H{a}_{j}"), vec![]),
                        Formula::Pred(format!("H{b}_{j}"), vec![]),
                    ])));
                }
            }
        }
        let r = Prover::new(50).label(&premises, &parse("Q").unwrap());
        assert!(matches!(r, Err(ProverError::Unknown { timeout_ms: 50, .. })), "{r:?}");
        // The same thread's next query, with a normal timeout, still works.
        assert!(Prover::default().entails(&[parse("P").unwrap()], &parse("P ∨ Q").unwrap()).unwrap());
    }

    #[test]
    fn version_is_reported() {
        assert!(z3_version().chars().next().unwrap().is_ascii_digit(), "{}", z3_version());
    }
}
