//! Rule shapes and the literals they connect.

use crate::ast::{Formula, Term};
use serde::{Deserialize, Serialize};

/// ProverGen's nine rule shapes (any literal in them may be negated), then the
/// relational ones of `--logic relational` (R a binary predicate).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Shape {
    /// A → B
    Implies,
    /// A ⊕ B
    Xor,
    /// A ∨ B
    Or,
    /// A → (B ∧ C)
    ImpliesAnd,
    /// A → (B ∨ C)
    ImpliesOr,
    /// A → (B ⊕ C)
    ImpliesXor,
    /// (A ∧ B) → C
    AndImplies,
    /// (A ∨ B) → C
    OrImplies,
    /// (A ⊕ B) → C
    XorImplies,
    /// ∀x∀y (R(x,y) ∧ A(x) → B(y)): a property moves along a relation.
    Transfer,
    /// ∀x (∃y (R(x,y) ∧ A(y)) → B(x))
    ExistsImplies,
    /// ∀x (A(x) → ∃y R(x,y))
    Serial,
    /// ∀x (∃y R(x,y) → B(x))
    SomeImplies,
    /// ∀x (A(x) ↔ B(x))
    Iff,
    /// ∀x∀y (R(x,y) → R(y,x))
    Symmetric,
    /// ∀x∀y∀z (R(x,y) ∧ R(y,z) → R(x,z))
    Transitive,
}

impl Shape {
    pub const ALL: [Shape; 9] = [
        Shape::Implies,
        Shape::Xor,
        Shape::Or,
        Shape::ImpliesAnd,
        Shape::ImpliesOr,
        Shape::ImpliesXor,
        Shape::AndImplies,
        Shape::OrImplies,
        Shape::XorImplies,
    ];

    /// The shapes `--logic relational` adds.
    pub const RELATIONAL: [Shape; 7] = [
        Shape::Transfer,
        Shape::ExistsImplies,
        Shape::Serial,
        Shape::SomeImplies,
        Shape::Iff,
        Shape::Symmetric,
        Shape::Transitive,
    ];

    /// The shape as ProverGen writes it, e.g. `(A∧B)→C`.
    pub fn pattern(self) -> &'static str {
        match self {
            Shape::Implies => "A→B",
            Shape::Xor => "A⊕B",
            Shape::Or => "A∨B",
            Shape::ImpliesAnd => "A→(B∧C)",
            Shape::ImpliesOr => "A→(B∨C)",
            Shape::ImpliesXor => "A→(B⊕C)",
            Shape::AndImplies => "(A∧B)→C",
            Shape::OrImplies => "(A∨B)→C",
            Shape::XorImplies => "(A⊕B)→C",
            Shape::Transfer => "R(x,y)∧A(x)→B(y)",
            Shape::ExistsImplies => "∃y(R(x,y)∧A(y))→B(x)",
            Shape::Serial => "A(x)→∃y R(x,y)",
            Shape::SomeImplies => "∃y R(x,y)→B(x)",
            Shape::Iff => "A↔B",
            Shape::Symmetric => "R(x,y)→R(y,x)",
            Shape::Transitive => "R(x,y)∧R(y,z)→R(x,z)",
        }
    }
}

/// A possibly negated unary predicate, not yet applied to a term.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) struct Lit {
    pub pred: String,
    pub pos: bool,
}

impl Lit {
    pub fn new(pred: &str, pos: bool) -> Lit {
        Lit { pred: pred.to_string(), pos }
    }

    pub fn negated(&self) -> Lit {
        Lit { pred: self.pred.clone(), pos: !self.pos }
    }

    /// The same predicate, unnegated.
    pub fn atom(&self) -> Lit {
        Lit { pred: self.pred.clone(), pos: true }
    }

    pub fn on(&self, term: &Term) -> Formula {
        let atom = Formula::Pred(self.pred.clone(), vec![term.clone()]);
        if self.pos { atom } else { Formula::not(atom) }
    }
}

/// The subject a rule speaks about: everyone (`∀x`) or one named individual.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Scope {
    Everyone,
    Individual(String),
}

impl Scope {
    fn term(&self) -> Term {
        match self {
            Scope::Everyone => Term::Var("x".into()),
            Scope::Individual(c) => Term::Const(c.clone()),
        }
    }

    /// Closes a body built over [`Scope::term`].
    fn close(&self, body: Formula) -> Formula {
        match self {
            Scope::Everyone => Formula::forall("x", body),
            Scope::Individual(_) => body,
        }
    }
}

/// A rule as literals in shape positions: `a`, `b` are the antecedent side (or the first
/// operands of a bare ⊕/∨), `c` the consequent side; unused positions are `None`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct RuleParts {
    pub shape: Shape,
    pub lits: Vec<Lit>,
}

impl RuleParts {
    /// The rule's formula. Operand order is the order of `lits`:
    /// Implies/Xor/Or: [A, B]; ImpliesAnd/Or/Xor: [A, B, C] as A → (B ∘ C);
    /// AndImplies/OrImplies/XorImplies: [A, B, C] as (A ∘ B) → C.
    pub fn formula(&self, scope: &Scope) -> Formula {
        let t = scope.term();
        let l: Vec<Formula> = self.lits.iter().map(|l| l.on(&t)).collect();
        let body = match (self.shape, l.as_slice()) {
            (Shape::Implies, [a, b]) => Formula::implies(a.clone(), b.clone()),
            (Shape::Xor, [a, b]) => Formula::Xor(vec![a.clone(), b.clone()]),
            (Shape::Or, [a, b]) => Formula::Or(vec![a.clone(), b.clone()]),
            (Shape::ImpliesAnd, [a, b, c]) => {
                Formula::implies(a.clone(), Formula::And(vec![b.clone(), c.clone()]))
            }
            (Shape::ImpliesOr, [a, b, c]) => {
                Formula::implies(a.clone(), Formula::Or(vec![b.clone(), c.clone()]))
            }
            (Shape::ImpliesXor, [a, b, c]) => {
                Formula::implies(a.clone(), Formula::Xor(vec![b.clone(), c.clone()]))
            }
            (Shape::AndImplies, [a, b, c]) => {
                Formula::implies(Formula::And(vec![a.clone(), b.clone()]), c.clone())
            }
            (Shape::OrImplies, [a, b, c]) => {
                Formula::implies(Formula::Or(vec![a.clone(), b.clone()]), c.clone())
            }
            (Shape::XorImplies, [a, b, c]) => {
                Formula::implies(Formula::Xor(vec![a.clone(), b.clone()]), c.clone())
            }
            // Constructors below always pass the arity the shape takes.
            _ => Formula::And(l),
        };
        scope.close(body)
    }
}
