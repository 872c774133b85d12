//! The language-neutral type language of signatures, and JSON values checked against it.

use serde_json::Value;
use std::fmt;
use std::str::FromStr;

use super::CaseError;

/// A type of the small language every registered language can spell:
/// `int`, `float`, `bool`, `str`, `list[T]`, `dict[K, V]`, `optional[T]`, `tuple[A, B, …]`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Type {
    Int,
    Float,
    Bool,
    Str,
    List(Box<Type>),
    /// Keys are `int` or `str` (JSON objects carry them as strings).
    Dict(Box<Type>, Box<Type>),
    Optional(Box<Type>),
    /// Two or more elements.
    Tuple(Vec<Type>),
}

impl Type {
    /// The constructor's name, as `languages.toml` keys its templates.
    pub fn kind(&self) -> &'static str {
        match self {
            Type::Int => "int",
            Type::Float => "float",
            Type::Bool => "bool",
            Type::Str => "str",
            Type::List(_) => "list",
            Type::Dict(..) => "dict",
            Type::Optional(_) => "optional",
            Type::Tuple(_) => "tuple",
        }
    }

    /// The type arguments, in order.
    pub fn args(&self) -> Vec<&Type> {
        match self {
            Type::List(t) | Type::Optional(t) => vec![t],
            Type::Dict(k, v) => vec![k, v],
            Type::Tuple(ts) => ts.iter().collect(),
            _ => Vec::new(),
        }
    }

    /// Every constructor used anywhere in this type.
    pub fn kinds(&self) -> Vec<&'static str> {
        let mut out = vec![self.kind()];
        for a in self.args() {
            out.extend(a.kinds());
        }
        out
    }

    /// The type's zero value: `0`, `0.0`, `false`, `""`, empty, `null`, a tuple of zeros.
    /// What a "return a default value" mutant returns.
    pub fn zero(&self) -> Value {
        match self {
            Type::Int => Value::from(0),
            Type::Float => Value::from(0.0),
            Type::Bool => Value::Bool(false),
            Type::Str => Value::String(String::new()),
            Type::List(_) => Value::Array(Vec::new()),
            Type::Dict(..) => Value::Object(serde_json::Map::new()),
            Type::Optional(_) => Value::Null,
            Type::Tuple(ts) => Value::Array(ts.iter().map(Type::zero).collect()),
        }
    }

    /// How many distinct values the type has, when that is small (`bool`: 2).
    pub fn cardinality(&self) -> Option<usize> {
        match self {
            Type::Bool => Some(2),
            Type::Optional(t) => t.cardinality().map(|n| n + 1),
            Type::Tuple(ts) => {
                ts.iter().try_fold(1usize, |acc, t| t.cardinality().map(|n| acc.saturating_mul(n)))
            }
            _ => None,
        }
    }

    /// Checks `value` against this type and returns it in canonical form: floats as
    /// floats, tuples as arrays, dict keys as strings of their canonical form, and a
    /// `null` list as the empty list (Go marshals an empty slice as `null`).
    pub fn conform(&self, value: &Value) -> Result<Value, CaseError> {
        let bad = || CaseError::Value { ty: self.to_string(), value: short(value) };
        Ok(match (self, value) {
            (Type::Int, Value::Number(n)) => {
                // 3.0 from a language without integers (JavaScript) is still an int.
                match (n.as_i64(), n.as_f64()) {
                    (Some(i), _) => Value::from(i),
                    (None, Some(f)) if f.fract() == 0.0 && f.abs() <= 9.007_199_254_740_992e15 => {
                        Value::from(f as i64)
                    }
                    _ => return Err(bad()),
                }
            }
            (Type::Float, Value::Number(n)) => {
                let f = n.as_f64().filter(|f| f.is_finite()).ok_or_else(bad)?;
                serde_json::Number::from_f64(f).map(Value::Number).ok_or_else(bad)?
            }
            (Type::Bool, Value::Bool(b)) => Value::Bool(*b),
            (Type::Str, Value::String(s)) => Value::String(s.clone()),
            (Type::List(_), Value::Null) => Value::Array(Vec::new()),
            (Type::List(t), Value::Array(xs)) => {
                Value::Array(xs.iter().map(|x| t.conform(x)).collect::<Result<_, _>>()?)
            }
            (Type::Dict(k, v), Value::Object(m)) => {
                let mut out = serde_json::Map::new();
                for (key, val) in m {
                    out.insert(k.conform_key(key).ok_or_else(bad)?, v.conform(val)?);
                }
                Value::Object(out)
            }
            (Type::Dict(..), Value::Null) => Value::Object(serde_json::Map::new()),
            (Type::Optional(_), Value::Null) => Value::Null,
            (Type::Optional(t), v) => t.conform(v)?,
            (Type::Tuple(ts), Value::Array(xs)) if xs.len() == ts.len() => {
                Value::Array(ts.iter().zip(xs).map(|(t, x)| t.conform(x)).collect::<Result<_, _>>()?)
            }
            _ => return Err(bad()),
        })
    }

    /// A dict key in canonical text form, if it is a valid key of this type.
    fn conform_key(&self, key: &str) -> Option<String> {
        match self {
            Type::Str => Some(key.to_string()),
            Type::Int => key.trim().parse::<i64>().ok().map(|i| i.to_string()),
            _ => None,
        }
    }

    /// Whether two canonical values of this type agree: exactly, except floats, which
    /// agree within 1e-6 relative (plus 1e-9 absolute) tolerance.
    pub fn same(&self, a: &Value, b: &Value) -> bool {
        match (self, a, b) {
            (Type::Float, Value::Number(x), Value::Number(y)) => match (x.as_f64(), y.as_f64()) {
                (Some(x), Some(y)) => near(x, y),
                _ => false,
            },
            (Type::List(t), Value::Array(xs), Value::Array(ys)) => {
                xs.len() == ys.len() && xs.iter().zip(ys).all(|(x, y)| t.same(x, y))
            }
            (Type::Tuple(ts), Value::Array(xs), Value::Array(ys)) => {
                xs.len() == ts.len()
                    && ys.len() == ts.len()
                    && ts.iter().zip(xs.iter().zip(ys)).all(|(t, (x, y))| t.same(x, y))
            }
            (Type::Dict(_, v), Value::Object(xs), Value::Object(ys)) => {
                xs.len() == ys.len() && xs.iter().all(|(k, x)| ys.get(k).is_some_and(|y| v.same(x, y)))
            }
            (Type::Optional(t), a, b) if !a.is_null() && !b.is_null() => t.same(a, b),
            _ => a == b,
        }
    }
}

/// The float tolerance every renderer's equality helper also uses.
pub fn near(x: f64, y: f64) -> bool {
    x == y || (x - y).abs() <= 1e-9 + 1e-6 * y.abs()
}

fn short(v: &Value) -> String {
    let s = v.to_string();
    if s.chars().count() > 80 { format!("{}…", s.chars().take(80).collect::<String>()) } else { s }
}

impl fmt::Display for Type {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Type::Int | Type::Float | Type::Bool | Type::Str => f.write_str(self.kind()),
            _ => {
                let args: Vec<String> = self.args().iter().map(|a| a.to_string()).collect();
                write!(f, "{}[{}]", self.kind(), args.join(", "))
            }
        }
    }
}

impl FromStr for Type {
    type Err = CaseError;

    fn from_str(s: &str) -> Result<Type, CaseError> {
        let mut p = Parser { text: s, pos: 0 };
        let t = p.ty()?;
        p.skip_ws();
        if p.pos != s.len() {
            return Err(p.error("unexpected text after the type"));
        }
        Ok(t)
    }
}

/// One parameter of a [`Signature`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Param {
    pub name: String,
    pub ty: Type,
}

/// A function's language-neutral signature, written `name(a: int, b: list[str]) -> bool`.
/// Names are snake_case; each language's renderer converts them to its own convention.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Signature {
    pub name: String,
    pub params: Vec<Param>,
    pub returns: Type,
}

impl Signature {
    /// Checks one case's arguments against the parameters and canonicalises them.
    pub fn conform_args(&self, args: &[Value]) -> Result<Vec<Value>, CaseError> {
        if args.len() != self.params.len() {
            return Err(CaseError::Arity { want: self.params.len(), got: args.len() });
        }
        self.params.iter().zip(args).map(|(p, a)| p.ty.conform(a)).collect()
    }

    /// Every type constructor the signature uses.
    pub fn kinds(&self) -> Vec<&'static str> {
        let mut out: Vec<&'static str> = self.params.iter().flat_map(|p| p.ty.kinds()).collect();
        out.extend(self.returns.kinds());
        out.sort_unstable();
        out.dedup();
        out
    }
}

impl fmt::Display for Signature {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let params: Vec<String> = self.params.iter().map(|p| format!("{}: {}", p.name, p.ty)).collect();
        write!(f, "{}({}) -> {}", self.name, params.join(", "), self.returns)
    }
}

impl Signature {
    /// Parses a signature as a model may write it: the canonical notation, or with
    /// language-flavoured spellings mapped onto it (`Vec<i64>`, `List[int]`,
    /// `HashMap<String, i32>`, `Option<f64>`, `string`, `boolean`, `T[]`, a camelCase
    /// name). The result is canonical; what cannot be mapped is an error as in
    /// [`FromStr`].
    pub fn parse_lenient(text: &str) -> Result<Signature, CaseError> {
        let strict = text.trim().trim_matches('`').trim();
        match strict.parse() {
            Ok(sig) => Ok(sig),
            // The strict error points into what the model wrote, not into our rewrite.
            Err(strict_error) => normalize_signature(strict).parse().map_err(|_| strict_error),
        }
    }
}

/// Maps language-flavoured type names and brackets onto the canonical notation.
fn normalize_signature(text: &str) -> String {
    // `T[]` → `list[T]` for simple element names.
    let mut t = text.replace("&", "").replace("'static", "");
    while let Some(at) = t.find("[]") {
        let start = t[..at].rfind(|c: char| !(c.is_alphanumeric() || c == '_')).map_or(0, |i| i + 1);
        let elem = t[start..at].to_string();
        t.replace_range(start..at + 2, &format!("list[{elem}]"));
    }
    let t = t.replace("->", "\u{1}").replace('<', "[").replace('>', "]").replace('\u{1}', "->");
    let mut out = String::new();
    let mut word = String::new();
    let flush = |word: &mut String, out: &mut String| {
        if !word.is_empty() {
            let mapped = match word.to_ascii_lowercase().as_str() {
                "i8" | "i16" | "i32" | "i64" | "isize" | "u8" | "u16" | "u32" | "u64" | "usize"
                | "integer" | "long" | "int32" | "int64" | "number" => "int".to_string(),
                "f32" | "f64" | "double" | "float32" | "float64" | "real" => "float".to_string(),
                "boolean" => "bool".to_string(),
                "string" | "char" | "text" => "str".to_string(),
                "vec" | "array" | "arraylist" | "sequence" | "slice" => "list".to_string(),
                "hashmap" | "map" | "btreemap" | "record" | "object" => "dict".to_string(),
                "option" | "maybe" => "optional".to_string(),
                "int" | "float" | "bool" | "str" | "list" | "dict" | "optional" | "tuple" => {
                    word.to_ascii_lowercase()
                }
                _ => snake_case(word),
            };
            out.push_str(&mapped);
            word.clear();
        }
    };
    for c in t.chars() {
        if c.is_alphanumeric() || c == '_' {
            word.push(c);
        } else {
            flush(&mut word, &mut out);
            out.push(c);
        }
    }
    flush(&mut word, &mut out);
    out
}

/// `countAbove` / `CountAbove` → `count_above`.
fn snake_case(word: &str) -> String {
    let mut out = String::new();
    for (i, c) in word.chars().enumerate() {
        if c.is_ascii_uppercase() {
            if i > 0 && !out.ends_with('_') {
                out.push('_');
            }
            out.push(c.to_ascii_lowercase());
        } else {
            out.push(c);
        }
    }
    out
}

impl FromStr for Signature {
    type Err = CaseError;

    fn from_str(s: &str) -> Result<Signature, CaseError> {
        let mut p = Parser { text: s, pos: 0 };
        let name = p.ident()?;
        p.expect("(")?;
        let mut params: Vec<Param> = Vec::new();
        p.skip_ws();
        if !p.eat(")") {
            loop {
                let pname = p.ident()?;
                p.expect(":")?;
                let ty = p.ty()?;
                if params.iter().any(|q| q.name == pname) || pname == name {
                    return Err(p.error(&format!("the name `{pname}` is used twice")));
                }
                params.push(Param { name: pname, ty });
                if p.eat(")") {
                    break;
                }
                p.expect(",")?;
            }
        }
        p.expect("->")?;
        let returns = p.ty()?;
        p.skip_ws();
        if p.pos != s.len() {
            return Err(p.error("unexpected text after the return type"));
        }
        Ok(Signature { name, params, returns })
    }
}

struct Parser<'a> {
    text: &'a str,
    pos: usize,
}

impl Parser<'_> {
    fn error(&self, what: &str) -> CaseError {
        CaseError::Signature {
            text: self.text.to_string(),
            what: format!("{what} at column {}", self.pos + 1),
        }
    }

    fn skip_ws(&mut self) {
        while self.text[self.pos..].starts_with(char::is_whitespace) {
            self.pos += self.text[self.pos..].chars().next().map_or(1, char::len_utf8);
        }
    }

    fn eat(&mut self, tok: &str) -> bool {
        self.skip_ws();
        if self.text[self.pos..].starts_with(tok) {
            self.pos += tok.len();
            true
        } else {
            false
        }
    }

    fn expect(&mut self, tok: &str) -> Result<(), CaseError> {
        if self.eat(tok) { Ok(()) } else { Err(self.error(&format!("expected `{tok}`"))) }
    }

    /// A snake_case name: lower-case ASCII letters, digits and underscores.
    fn ident(&mut self) -> Result<String, CaseError> {
        self.skip_ws();
        let rest = &self.text[self.pos..];
        let len = rest
            .find(|c: char| !(c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_'))
            .unwrap_or(rest.len());
        let name = &rest[..len];
        if name.is_empty() || name.starts_with(|c: char| c.is_ascii_digit()) {
            return Err(self.error("expected a snake_case name"));
        }
        self.pos += len;
        Ok(name.to_string())
    }

    fn ty(&mut self) -> Result<Type, CaseError> {
        let name = self.ident()?;
        let mut args = Vec::new();
        if self.eat("[") {
            loop {
                args.push(self.ty()?);
                if self.eat("]") {
                    break;
                }
                self.expect(",")?;
            }
        }
        let arity = |n: usize, this: &Self| {
            if args.len() == n {
                Ok(())
            } else {
                Err(this.error(&format!("`{name}` takes {n} type argument(s)")))
            }
        };
        Ok(match name.as_str() {
            "int" | "float" | "bool" | "str" => {
                arity(0, self)?;
                match name.as_str() {
                    "int" => Type::Int,
                    "float" => Type::Float,
                    "bool" => Type::Bool,
                    _ => Type::Str,
                }
            }
            "list" | "optional" => {
                arity(1, self)?;
                let t = Box::new(args.remove(0));
                if name == "list" { Type::List(t) } else { Type::Optional(t) }
            }
            "dict" => {
                arity(2, self)?;
                let v = args.pop().map(Box::new);
                let k = args.pop().map(Box::new);
                match (k, v) {
                    (Some(k), Some(v)) if matches!(*k, Type::Int | Type::Str) => Type::Dict(k, v),
                    _ => return Err(self.error("dict keys are int or str")),
                }
            }
            "tuple" if args.len() >= 2 => Type::Tuple(args),
            "tuple" => return Err(self.error("a tuple has at least two elements")),
            other => return Err(self.error(&format!("unknown type `{other}`"))),
        })
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn types_and_signatures_round_trip_through_text() {
        for text in ["int", "list[list[str]]", "dict[str, optional[float]]", "tuple[int, bool, str]"] {
            assert_eq!(text.parse::<Type>().unwrap().to_string(), text);
        }
        let sig: Signature = "top_k( xs: list[int],k: int ) -> list[int]".parse().unwrap();
        assert_eq!(sig.to_string(), "top_k(xs: list[int], k: int) -> list[int]");
        assert_eq!(sig.kinds(), vec!["int", "list"]);
        assert_eq!("now() -> float".parse::<Signature>().unwrap().params.len(), 0);
    }

    #[test]
    fn bad_signatures_say_what_is_wrong() {
        for (text, want) in [
            ("f(x: integer) -> int", "unknown type `integer`"),
            ("f(x: int -> int", "expected `,`"),
            ("f(x: dict[float, int]) -> int", "dict keys are int or str"),
            ("f(x: tuple[int]) -> int", "at least two"),
            ("f(x: int, x: str) -> int", "used twice"),
            ("F(x: int) -> int", "snake_case"),
            ("f(x: int) -> int junk", "unexpected text"),
        ] {
            let err = text.parse::<Signature>().unwrap_err().to_string();
            assert!(err.contains(want), "{text}: {err}");
        }
    }

    #[test]
    fn signatures_in_language_spellings_are_read_leniently() {
        for (text, want) in [
            ("count_letters(s: str) -> HashMap<String, int>", "count_letters(s: str) -> dict[str, int]"),
            ("`topK(xs: Vec<i64>, k: usize) -> Vec<i64>`", "top_k(xs: list[int], k: int) -> list[int]"),
            ("mean(xs: List[float]) -> Option<f64>", "mean(xs: list[float]) -> optional[float]"),
            ("f(xs: string[], flag: boolean) -> double", "f(xs: list[str], flag: bool) -> float"),
            ("g(s: &str) -> String", "g(s: str) -> str"),
        ] {
            assert_eq!(Signature::parse_lenient(text).unwrap().to_string(), want, "{text}");
        }
        assert!(Signature::parse_lenient("f(x: Widget) -> int").is_err());
    }

    #[test]
    fn values_conform_to_their_types() {
        let t: Type = "dict[int, list[float]]".parse().unwrap();
        assert_eq!(t.conform(&json!({"01": [1, 2.5]})).unwrap(), json!({"1": [1.0, 2.5]}));
        assert!(t.conform(&json!({"a": [1]})).is_err());
        let o: Type = "optional[tuple[int, str]]".parse().unwrap();
        assert_eq!(o.conform(&json!(null)).unwrap(), json!(null));
        assert_eq!(o.conform(&json!([3.0, "x"])).unwrap(), json!([3, "x"]));
        assert!(o.conform(&json!([3.5, "x"])).is_err());
        assert!(Type::Int.conform(&json!(true)).is_err());
        assert!(Type::Bool.conform(&json!(1)).is_err());
        assert_eq!(Type::List(Box::new(Type::Int)).conform(&json!(null)).unwrap(), json!([]));
    }

    #[test]
    fn floats_agree_within_tolerance_and_nothing_else_does() {
        let t: Type = "list[float]".parse().unwrap();
        assert!(t.same(&json!([0.1, 3.0]), &json!([0.1000000001, 3.0])));
        assert!(!t.same(&json!([0.1, 3.0]), &json!([0.11, 3.0])));
        assert!(!Type::Int.same(&json!(1), &json!(2)));
        let d: Type = "dict[str, int]".parse().unwrap();
        assert!(d.same(&json!({"a": 1, "b": 2}), &json!({"b": 2, "a": 1})));
        assert!(!d.same(&json!({"a": 1}), &json!({"a": 1, "b": 2})));
    }
}
