//! Rendering signatures and cases into one language's source, driven by its
//! `[language.cases]` table: how it spells each type, how it writes each literal, and
//! the templates of the test file and of the harness that prints returned values.
//!
//! Templates use `@name@` placeholders (no braces, so C-like code needs no escaping):
//! - types: `@0@`, `@1@` (type arguments), `@items@` (a tuple's element types);
//! - literals: `@v@` (a scalar's text, a string already quoted), `@items@`, `@len@`,
//!   `@k@`, `@type@` (the value's own type), `@0@` (its element type);
//! - parameters: `@name@`, `@type@`, `@0@`; the signature: `@name@`, `@params@`, `@ret@`;
//! - test and harness cases: `@call@`, `@expected@`, `@i@`, `@name@`, `@stdin@`,
//!   `@stdout@`; whole files: `@name@`, `@cases@`.

use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::BTreeMap;
use std::fmt::Write as _;

use super::types::{Signature, Type};
use super::{CallCase, CaseError, IoCase};
use crate::Language;

/// How a language's cases are called.
#[derive(Debug, Clone, Copy, Default, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum Io {
    /// A function with a [`Signature`], cases `{args, expected}`.
    #[default]
    Call,
    /// A program reading stdin, cases `{stdin, stdout}`.
    Stdin,
}

/// How snake_case names of signatures are spelled.
#[derive(Debug, Clone, Copy, Default, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum Naming {
    #[default]
    Snake,
    Camel,
    Pascal,
    /// `top-k` (Lisp).
    Kebab,
}

/// How string literals escape what is not printable ASCII.
#[derive(Debug, Clone, Copy, Default, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum Escape {
    /// `\uXXXX`, astral characters as UTF-16 surrogate pairs (JavaScript, Java).
    #[default]
    Json,
    /// `\uXXXX` and `\UXXXXXXXX` (Python, Go).
    Python,
    /// `\u{X}` (Rust).
    Rust,
    /// Octal escapes of the UTF-8 bytes (C, C++).
    C,
    /// Inside bash's `$'…'`: `\xHH` of the UTF-8 bytes, and `\'`.
    Bash,
    /// `\u{X}`, and `\#` so that `#{`, `#$` and `#@` do not interpolate (Ruby).
    Ruby,
    /// `\u{X}`, and `\$` so that variables do not interpolate (PHP).
    Php,
    /// `\x{X}`, and `\$` and `\@` so that variables do not interpolate (Perl).
    Perl,
    /// Only `\\` and `\"` escaped; every other character, newlines too, stands for itself
    /// (Common Lisp has no other escapes in strings).
    Lisp,
    /// `\xX\&` (Haskell: `\&` ends the escape, so a digit after it stays a digit).
    Haskell,
}

/// A language's `[language.cases]` table.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct CaseSpec {
    #[serde(default)]
    pub io: Io,
    #[serde(default)]
    pub naming: Naming,
    /// Naming of parameters when it differs from the function's (Go: `camel`).
    #[serde(default)]
    pub param_naming: Option<Naming>,
    #[serde(default)]
    pub escape: Escape,
    /// What goes between the items of a list, the arguments of a call and the
    /// parameters of a declaration (`", "`; Lisp: `" "`).
    #[serde(default = "default_separator")]
    pub separator: String,
    /// Between a call's arguments, when it differs from `separator` (Haskell: `" "`).
    #[serde(default)]
    pub args_separator: Option<String>,
    /// Between a declaration's parameters, when it differs (Haskell: `" -> "`).
    #[serde(default)]
    pub params_separator: Option<String>,
    /// How a solution file must look, for prompts (the tests are ours, not the model's).
    #[serde(default)]
    pub rules: String,
    /// Mechanical repairs of a solution before it runs, for what small models leave out
    /// (Go's `package` line, a JavaScript export).
    #[serde(default)]
    pub repairs: Vec<Repair>,
    /// The declaration shown to the model (`def @name@(@params@) -> @ret@:`).
    #[serde(default)]
    pub signature: String,
    /// One parameter of the declaration.
    #[serde(default)]
    pub param: String,
    /// `param` overridden by the parameter's type constructor (C passes a list as
    /// pointer and length).
    #[serde(default)]
    pub param_decls: BTreeMap<String, String>,
    /// A call of the function.
    #[serde(default = "default_call")]
    pub call: String,
    /// Type spellings by constructor; a missing one means the language cannot express it.
    #[serde(default)]
    pub types: BTreeMap<String, String>,
    /// Overrides for top-level parameters (Rust's `&str`, `&[T]`).
    #[serde(default)]
    pub param_types: BTreeMap<String, String>,
    /// Overrides for type arguments (Java's boxed `Long`).
    #[serde(default)]
    pub arg_types: BTreeMap<String, String>,
    /// Literals: int, float, true, false, str, list, list_empty, dict, dict_empty, entry,
    /// some, none, tuple.
    #[serde(default)]
    pub literals: BTreeMap<String, String>,
    /// Overrides for top-level arguments.
    #[serde(default)]
    pub param_literals: BTreeMap<String, String>,
    /// Code shared by the test file and the harness, in place of their `@prelude@`.
    #[serde(default)]
    pub prelude: String,
    /// The whole test file.
    pub tests: String,
    /// One case of the test file, by the return type's constructor, or `default`.
    pub test_case: BTreeMap<String, String>,
    /// The whole harness: a test file that prints `@@case <i> ok <json>`,
    /// `@@case <i> b64 <base64 of stdout>` or `@@case <i> err <why>` per case.
    pub harness: String,
    /// One case of the harness, by the return type's constructor, or `default`.
    pub harness_case: BTreeMap<String, String>,
}

fn default_separator() -> String {
    ", ".into()
}

fn default_call() -> String {
    "@name@(@args@)".into()
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Pos {
    Param,
    Value,
    Arg,
}

/// `lines` in place of the template's `@cases@`, each indented like the placeholder.
fn fill_cases(template: &str, lines: &[String], pairs: &[(&str, &str)]) -> String {
    let indent: String = template
        .find("@cases@")
        .map(|at| template[..at].rsplit('\n').next().unwrap_or(""))
        .filter(|before| before.chars().all(char::is_whitespace))
        .unwrap_or("")
        .to_string();
    let joined = lines.join(&format!("\n{indent}"));
    let mut all = pairs.to_vec();
    all.push(("cases", &joined));
    fill(template, &all)
}

fn fill(template: &str, pairs: &[(&str, &str)]) -> String {
    // One left-to-right pass, so a value containing `@x@` is never substituted again.
    let mut out = String::with_capacity(template.len());
    let mut rest = template;
    while let Some(start) = rest.find('@') {
        out.push_str(&rest[..start]);
        let after = &rest[start + 1..];
        match after.find('@').map(|end| (&after[..end], end)) {
            Some((key, end)) if pairs.iter().any(|(k, _)| *k == key) => {
                let value = pairs.iter().find(|(k, _)| *k == key).map(|(_, v)| *v).unwrap_or("");
                out.push_str(value);
                rest = &after[end + 1..];
            }
            _ => {
                out.push('@');
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

/// `top_k` in this naming convention.
pub fn spell_name(naming: Naming, snake: &str) -> String {
    let mut out = String::new();
    for (i, part) in snake.split('_').filter(|p| !p.is_empty()).enumerate() {
        let mut cs = part.chars();
        match (naming, i, cs.next()) {
            (Naming::Snake, _, _) => return snake.to_string(),
            (Naming::Kebab, _, _) => return snake.replace('_', "-"),
            (Naming::Camel, 0, Some(c)) => out.push(c),
            (_, _, Some(c)) => out.extend(c.to_uppercase()),
            (_, _, None) => {}
        }
        out.extend(cs);
    }
    out
}

impl CaseSpec {
    /// `template` with the shared prelude in place of its `@prelude@`.
    fn with_prelude(&self, template: &str) -> String {
        fill(template, &[("prelude", &self.prelude)])
    }

    fn unsupported(&self, lang: &str, what: &str) -> CaseError {
        CaseError::Unsupported { lang: lang.to_string(), what: what.to_string() }
    }

    fn type_in(&self, lang: &str, ty: &Type, pos: Pos) -> Result<String, CaseError> {
        let kind = ty.kind();
        let over = match pos {
            Pos::Param => self.param_types.get(kind),
            Pos::Arg => self.arg_types.get(kind),
            Pos::Value => None,
        };
        let template = over.or_else(|| self.types.get(kind)).ok_or_else(|| self.unsupported(lang, kind))?;
        let args: Vec<String> =
            ty.args().iter().map(|a| self.type_in(lang, a, Pos::Arg)).collect::<Result<_, _>>()?;
        let items = args.join(&self.separator);
        let a0 = args.first().cloned().unwrap_or_default();
        let a1 = args.get(1).cloned().unwrap_or_default();
        Ok(fill(template, &[("0", &a0), ("1", &a1), ("items", &items)]))
    }

    fn literal_template(&self, lang: &str, key: &str, pos: Pos) -> Result<&String, CaseError> {
        let over = if pos == Pos::Param { self.param_literals.get(key) } else { None };
        over.or_else(|| self.literals.get(key))
            .ok_or_else(|| self.unsupported(lang, &format!("{key} literals")))
    }

    /// `value` (canonical for `ty`) as a literal of this language.
    fn literal(&self, lang: &str, ty: &Type, value: &Value, pos: Pos) -> Result<String, CaseError> {
        let bad = || CaseError::Value { ty: ty.to_string(), value: value.to_string() };
        let item = |t: &Type, v: &Value| self.literal(lang, t, v, Pos::Value);
        let (key, v, items, len) = match (ty, value) {
            (Type::Int, Value::Number(n)) => {
                ("int", n.as_i64().ok_or_else(bad)?.to_string(), String::new(), 0)
            }
            (Type::Float, Value::Number(n)) => {
                ("float", float_text(n.as_f64().ok_or_else(bad)?), String::new(), 0)
            }
            (Type::Bool, Value::Bool(b)) => {
                (if *b { "true" } else { "false" }, String::new(), String::new(), 0)
            }
            (Type::Str, Value::String(s)) => ("str", quote(self.escape, s), String::new(), 0),
            (Type::List(t), Value::Array(xs)) => {
                let parts: Vec<String> = xs.iter().map(|x| item(t, x)).collect::<Result<_, _>>()?;
                let key =
                    if xs.is_empty() && self.has_literal("list_empty", pos) { "list_empty" } else { "list" };
                (key, String::new(), parts.join(&self.separator), xs.len())
            }
            (Type::Dict(k, t), Value::Object(m)) => {
                let entry = self.literal_template(lang, "entry", Pos::Value)?;
                let mut parts = Vec::new();
                for (key, val) in m {
                    let key_value = match **k {
                        Type::Int => Value::from(key.parse::<i64>().map_err(|_| bad())?),
                        _ => Value::String(key.clone()),
                    };
                    let kl = item(k, &key_value)?;
                    let vl = item(t, val)?;
                    parts.push(fill(entry, &[("k", &kl), ("v", &vl)]));
                }
                let key =
                    if m.is_empty() && self.has_literal("dict_empty", pos) { "dict_empty" } else { "dict" };
                (key, String::new(), parts.join(&self.separator), m.len())
            }
            (Type::Optional(_), Value::Null) => ("none", String::new(), String::new(), 0),
            (Type::Optional(t), v) => ("some", self.literal(lang, t, v, Pos::Value)?, String::new(), 0),
            (Type::Tuple(ts), Value::Array(xs)) if xs.len() == ts.len() => {
                let parts: Vec<String> =
                    ts.iter().zip(xs).map(|(t, x)| item(t, x)).collect::<Result<_, _>>()?;
                ("tuple", String::new(), parts.join(&self.separator), xs.len())
            }
            _ => return Err(bad()),
        };
        let template = self.literal_template(lang, key, pos)?;
        // Spelled only when used: C has no list values, only list parameters.
        let own_type =
            if template.contains("@type@") { self.type_in(lang, ty, Pos::Value)? } else { String::new() };
        let elem_type = match ty.args().first() {
            Some(a) if template.contains("@0@") => self.type_in(lang, a, Pos::Arg)?,
            _ => String::new(),
        };
        let len = len.to_string();
        Ok(fill(
            template,
            &[("v", &v), ("items", &items), ("len", &len), ("type", &own_type), ("0", &elem_type)],
        ))
    }

    fn has_literal(&self, key: &str, pos: Pos) -> bool {
        (pos == Pos::Param && self.param_literals.contains_key(key)) || self.literals.contains_key(key)
    }

    fn by_return<'a>(
        &self,
        lang: &str,
        table: &'a BTreeMap<String, String>,
        ret: &Type,
    ) -> Result<&'a String, CaseError> {
        table
            .get(ret.kind())
            .or_else(|| table.get("default"))
            .ok_or_else(|| self.unsupported(lang, ret.kind()))
    }
}

impl Language {
    fn cases_spec(&self) -> Result<&CaseSpec, CaseError> {
        self.cases
            .as_ref()
            .ok_or_else(|| CaseError::Unsupported { lang: self.name.clone(), what: "cases".into() })
    }

    fn call_spec(&self) -> Result<&CaseSpec, CaseError> {
        let spec = self.cases_spec()?;
        if spec.io != Io::Call {
            return Err(CaseError::Unsupported {
                lang: self.name.clone(),
                what: "function signatures (it takes stdin cases)".into(),
            });
        }
        Ok(spec)
    }

    /// How this language takes cases, if it takes any.
    pub fn case_io(&self) -> Option<Io> {
        self.cases.as_ref().map(|c| c.io)
    }

    /// The entry point's name in this language (`top_k` → `topK` → `TopK`).
    pub fn entry_name(&self, sig: &Signature) -> String {
        spell_name(self.cases.as_ref().map_or(Naming::Snake, |c| c.naming), &sig.name)
    }

    /// `solution` with the language's [`Repair`]s applied (`sig` names the entry point
    /// of a function; a repair that needs it is skipped for a program).
    pub fn repair(&self, sig: Option<&Signature>, solution: &str) -> String {
        let Some(spec) = &self.cases else { return solution.to_string() };
        let name = sig.map(|s| self.entry_name(s));
        let mut out = solution.to_string();
        for r in &spec.repairs {
            let fields = [&r.unless, &r.prepend, &r.append, &r.find, &r.replace, &r.drop_block, &r.cut_from];
            let needs_name = fields.iter().any(|f| f.contains("@name@"));
            let Some(filled) = (match &name {
                Some(n) => Some(fields.map(|f| f.replace("@name@", n))),
                None if !needs_name => Some(fields.map(|f| f.clone())),
                None => None,
            }) else {
                continue;
            };
            let [unless, prepend, append, find, replace, drop_block, cut_from] = filled;
            if !unless.is_empty() && out.contains(&unless) {
                continue;
            }
            if !find.is_empty() {
                out = out.replacen(&find, &replace, 1);
            }
            if !drop_block.is_empty() {
                out = without_block(&out, &drop_block);
            }
            if !cut_from.is_empty() {
                out = cut_from_line(&out, &cut_from);
            }
            if r.prune_quoted_imports {
                out = without_unused_quoted_imports(&out);
            }
            out = format!("{prepend}{out}{append}");
        }
        out
    }

    /// A parameter's name in this language (`max_len` → `maxLen` in Go and Java).
    pub fn param_name(&self, snake: &str) -> String {
        let naming = self.cases.as_ref().map_or(Naming::Snake, |c| c.param_naming.unwrap_or(c.naming));
        spell_name(naming, snake)
    }

    /// How this language spells `ty`, as a parameter or as a returned value.
    pub fn spell_type(&self, ty: &Type, as_param: bool) -> Result<String, CaseError> {
        self.call_spec()?.type_in(&self.name, ty, if as_param { Pos::Param } else { Pos::Value })
    }

    /// The declaration a solution in this language must implement, for prompts. Fails
    /// when the language cannot express one of the signature's types.
    pub fn render_signature(&self, sig: &Signature) -> Result<String, CaseError> {
        let spec = self.call_spec()?;
        let mut params = Vec::new();
        for p in &sig.params {
            let template = spec.param_decls.get(p.ty.kind()).unwrap_or(&spec.param);
            let ty = spec.type_in(&self.name, &p.ty, Pos::Param)?;
            let elem = match p.ty.args().first() {
                Some(a) => spec.type_in(&self.name, a, Pos::Arg)?,
                None => String::new(),
            };
            let name = spell_name(spec.param_naming.unwrap_or(spec.naming), &p.name);
            params.push(fill(template, &[("name", &name), ("type", &ty), ("0", &elem)]));
        }
        let ret = spec.type_in(&self.name, &sig.returns, Pos::Value)?;
        let name = self.entry_name(sig);
        Ok(fill(
            &spec.signature,
            &[
                ("name", &name),
                ("params", &params.join(spec.params_separator.as_ref().unwrap_or(&spec.separator))),
                ("ret", &ret),
            ],
        ))
    }

    /// The zero value of `sig`'s return type as this language's literal, for the "return a
    /// default value" mutant.
    pub fn default_return(&self, sig: &Signature) -> Result<String, CaseError> {
        let spec = self.call_spec()?;
        spec.literal(&self.name, &sig.returns, &sig.returns.zero(), Pos::Value)
    }

    fn render_call(&self, spec: &CaseSpec, sig: &Signature, args: &[Value]) -> Result<String, CaseError> {
        let args = sig.conform_args(args)?;
        let parts: Vec<String> = sig
            .params
            .iter()
            .zip(&args)
            .map(|(p, a)| spec.literal(&self.name, &p.ty, a, Pos::Param))
            .collect::<Result<_, _>>()?;
        Ok(fill(
            &spec.call,
            &[
                ("name", &self.entry_name(sig)),
                ("args", &parts.join(spec.args_separator.as_ref().unwrap_or(&spec.separator))),
            ],
        ))
    }

    /// The test file checking `cases` against a solution of `sig`: exit 0 iff every case
    /// returns its expected value.
    pub fn render_tests(&self, sig: &Signature, cases: &[CallCase]) -> Result<String, CaseError> {
        let spec = self.call_spec()?;
        self.render_signature(sig)?;
        let template = spec.by_return(&self.name, &spec.test_case, &sig.returns)?;
        let returns = sig.returns.to_string();
        let mut lines: Vec<String> = Vec::new();
        for (i, case) in cases.iter().enumerate() {
            let call = self.render_call(spec, sig, &case.args)?;
            let expected = sig.returns.conform(&case.expected)?;
            let expected = spec.literal(&self.name, &sig.returns, &expected, Pos::Value)?;
            let i = i.to_string();
            lines.push(fill(
                template,
                &[
                    ("call", &call),
                    ("expected", &expected),
                    ("i", &i),
                    ("name", &self.entry_name(sig)),
                    ("type", &returns),
                ],
            ));
        }
        Ok(fill_cases(&spec.with_prelude(&spec.tests), &lines, &[("name", &self.entry_name(sig))]))
    }

    /// The harness printing what a solution of `sig` returns on each argument list.
    pub fn render_harness(&self, sig: &Signature, inputs: &[Vec<Value>]) -> Result<String, CaseError> {
        let spec = self.call_spec()?;
        self.render_signature(sig)?;
        let template = spec.by_return(&self.name, &spec.harness_case, &sig.returns)?;
        let returns = sig.returns.to_string();
        let mut lines: Vec<String> = Vec::new();
        for (i, args) in inputs.iter().enumerate() {
            let call = self.render_call(spec, sig, args)?;
            let i = i.to_string();
            lines.push(fill(
                template,
                &[("call", &call), ("i", &i), ("name", &self.entry_name(sig)), ("type", &returns)],
            ));
        }
        Ok(fill_cases(&spec.with_prelude(&spec.harness), &lines, &[("name", &self.entry_name(sig))]))
    }

    fn io_spec(&self) -> Result<&CaseSpec, CaseError> {
        let spec = self.cases_spec()?;
        if spec.io != Io::Stdin {
            return Err(CaseError::Unsupported { lang: self.name.clone(), what: "stdin cases".into() });
        }
        Ok(spec)
    }

    fn str_literal(&self, spec: &CaseSpec, s: &str) -> Result<String, CaseError> {
        spec.literal(&self.name, &Type::Str, &Value::String(s.to_string()), Pos::Value)
    }

    /// The test file feeding each case's stdin to the program and comparing its stdout.
    pub fn render_io_tests(&self, cases: &[IoCase]) -> Result<String, CaseError> {
        let spec = self.io_spec()?;
        let template = spec.by_return(&self.name, &spec.test_case, &Type::Str)?;
        let mut lines: Vec<String> = Vec::new();
        for (i, case) in cases.iter().enumerate() {
            let stdin = self.str_literal(spec, &case.stdin)?;
            let stdout = self.str_literal(spec, &case.stdout)?;
            let i = i.to_string();
            lines.push(fill(template, &[("stdin", &stdin), ("stdout", &stdout), ("i", &i)]));
        }
        Ok(fill_cases(&spec.with_prelude(&spec.tests), &lines, &[]))
    }

    /// The harness printing the program's stdout for each stdin.
    pub fn render_io_harness(&self, stdins: &[String]) -> Result<String, CaseError> {
        let spec = self.io_spec()?;
        let template = spec.by_return(&self.name, &spec.harness_case, &Type::Str)?;
        let mut lines: Vec<String> = Vec::new();
        for (i, stdin) in stdins.iter().enumerate() {
            let stdin = self.str_literal(spec, stdin)?;
            let i = i.to_string();
            lines.push(fill(template, &[("stdin", &stdin), ("i", &i)]));
        }
        Ok(fill_cases(&spec.with_prelude(&spec.harness), &lines, &[]))
    }
}

/// A mechanical repair: when `unless` does not occur in a solution (an empty `unless`
/// always applies), its first `find` is replaced by `replace`, the braced block of the
/// first line starting with `drop_block` is removed, everything from the first unindented
/// line starting with `cut_from` (any case) is removed, with `prune_quoted_imports` the
/// import lines of packages the code never uses (Go refuses them) are removed, and
/// `prepend`/`append` are added. `@name@` is the entry point.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Repair {
    #[serde(default)]
    pub unless: String,
    #[serde(default)]
    pub drop_block: String,
    #[serde(default)]
    pub cut_from: String,
    #[serde(default)]
    pub prune_quoted_imports: bool,
    #[serde(default)]
    pub prepend: String,
    #[serde(default)]
    pub append: String,
    #[serde(default)]
    pub find: String,
    #[serde(default)]
    pub replace: String,
}

/// `text` without the first line that starts with `head` and the braced block it opens
/// (through its matching `}`); `text` itself when there is no such line or the braces do
/// not balance. Braces inside string and char literals are not told apart: a block they
/// unbalance is left in place, never cut short.
fn without_block(text: &str, head: &str) -> String {
    let mut start = None;
    let mut offset = 0;
    for line in text.split_inclusive('\n') {
        if line.trim_start().starts_with(head) {
            start = Some(offset);
            break;
        }
        offset += line.len();
    }
    let Some(start) = start else { return text.to_string() };
    let Some(open) = text[start..].find('{').map(|i| start + i) else { return text.to_string() };
    let mut depth = 0usize;
    for (i, c) in text[open..].char_indices() {
        match c {
            '{' => depth += 1,
            '}' => {
                depth -= 1;
                if depth == 0 {
                    let end = open + i + 1;
                    let end = text[end..].find('\n').map_or(text.len(), |n| end + n + 1);
                    return format!("{}{}", &text[..start], &text[end..]);
                }
            }
            _ => {}
        }
    }
    text.to_string()
}

/// `text` up to its first unindented line starting with `head` (compared in lower case):
/// the top-level "Example usage:" code small models add after the function.
fn cut_from_line(text: &str, head: &str) -> String {
    let head = head.to_lowercase();
    let mut offset = 0;
    for line in text.split_inclusive('\n') {
        if line.to_lowercase().starts_with(&head) {
            return format!("{}\n", text[..offset].trim_end());
        }
        offset += line.len();
    }
    text.to_string()
}

/// `text` without its import lines (`"a/b"` inside `import (…)`, or `import "a/b"`) of a
/// package `b` that no other line uses as `b.`.
fn without_unused_quoted_imports(text: &str) -> String {
    let package = |line: &str| -> Option<String> {
        let l = line.trim();
        let l = l.strip_prefix("import ").map_or(l, str::trim);
        let path = l.strip_prefix('"')?.strip_suffix('"')?;
        let name = path.rsplit('/').next()?;
        (!name.is_empty() && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'))
            .then(|| name.to_string())
    };
    let lines: Vec<&str> = text.split_inclusive('\n').collect();
    let used = |name: &str| {
        let needle = format!("{name}.");
        lines.iter().any(|l| package(l).is_none() && l.contains(&needle))
    };
    lines.iter().filter(|l| package(l).is_none_or(|name| used(&name))).copied().collect()
}

/// A float as a literal every registered language reads as the same double.
fn float_text(f: f64) -> String {
    let s = format!("{f:?}");
    if s.contains(['.', 'e', 'E', 'n', 'N']) { s } else { format!("{s}.0") }
}

/// `s` as a double-quoted string literal (single-quoted `$'…'` for bash).
pub fn quote(escape: Escape, s: &str) -> String {
    let mut out = String::from(if escape == Escape::Bash { "$'" } else { "\"" });
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' if escape != Escape::Bash => out.push_str("\\\""),
            '#' if escape == Escape::Ruby => out.push_str("\\#"),
            '$' if matches!(escape, Escape::Php | Escape::Perl) => out.push_str("\\$"),
            '@' if escape == Escape::Perl => out.push_str("\\@"),
            '\'' if escape == Escape::Bash => out.push_str("\\'"),
            _ if escape == Escape::Lisp => out.push(c),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            ' '..='~' => out.push(c),
            _ => match escape {
                Escape::Json => {
                    let mut buf = [0u16; 2];
                    for unit in c.encode_utf16(&mut buf) {
                        let _ = write!(out, "\\u{unit:04x}");
                    }
                }
                Escape::Python if (c as u32) > 0xffff => {
                    let _ = write!(out, "\\U{:08x}", c as u32);
                }
                Escape::Python => {
                    let _ = write!(out, "\\u{:04x}", c as u32);
                }
                Escape::Rust | Escape::Ruby | Escape::Php => {
                    let _ = write!(out, "\\u{{{:x}}}", c as u32);
                }
                Escape::Perl => {
                    let _ = write!(out, "\\x{{{:x}}}", c as u32);
                }
                Escape::Haskell => {
                    let _ = write!(out, "\\x{:x}\\&", c as u32);
                }
                Escape::C | Escape::Bash | Escape::Lisp => {
                    let mut buf = [0u8; 4];
                    for b in c.encode_utf8(&mut buf).bytes() {
                        if escape == Escape::C {
                            let _ = write!(out, "\\{b:03o}");
                        } else {
                            let _ = write!(out, "\\x{b:02x}");
                        }
                    }
                }
            },
        }
    }
    out.push(if escape == Escape::Bash { '\'' } else { '"' });
    out
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::Registry;
    use serde_json::json;

    #[test]
    fn a_dropped_block_goes_through_its_matching_brace() {
        let c = "long f(void) { return 1; }\n\nint main(void) {\n    if (f()) { return 0; }\n    return 1;\n}\nint g;\n";
        assert_eq!(without_block(c, "int main("), "long f(void) { return 1; }\n\nint g;\n");
        // No such line, or braces that do not balance: left as it is.
        assert_eq!(without_block("int f() {}\n", "int main("), "int f() {}\n");
        assert_eq!(without_block("int main() {\n  {\n", "int main("), "int main() {\n  {\n");
    }

    #[test]
    fn unused_go_imports_are_pruned() {
        let go = "package solution\n\nimport (\n\t\"fmt\"\n\t\"math\"\n\t\"unicode/utf8\"\n)\nimport \"sort\"\n\nfunc F(s string) int {\n\treturn utf8.RuneCountInString(s)\n}\n";
        assert_eq!(
            without_unused_quoted_imports(go),
            "package solution\n\nimport (\n\t\"unicode/utf8\"\n)\n\nfunc F(s string) int {\n\treturn utf8.RuneCountInString(s)\n}\n"
        );
        // A string on a line of its own is not an import unless it names a package.
        let kept = "var s = []string{\n\t\"a b\",\n}\n";
        assert_eq!(without_unused_quoted_imports(kept), kept);
    }

    #[test]
    fn top_level_example_code_is_cut() {
        let py =
            "def f(x):\n    # example usage inside is kept\n    return x\n\n# Example usage:\nprint(f(1))\n";
        assert_eq!(
            cut_from_line(py, "# example usage"),
            "def f(x):\n    # example usage inside is kept\n    return x\n"
        );
        assert_eq!(
            cut_from_line("def f(x):\n    return x\n", "# example usage"),
            "def f(x):\n    return x\n"
        );
    }

    #[test]
    fn names_follow_each_convention() {
        assert_eq!(spell_name(Naming::Snake, "top_k"), "top_k");
        assert_eq!(spell_name(Naming::Camel, "top_k_items"), "topKItems");
        assert_eq!(spell_name(Naming::Pascal, "top_k"), "TopK");
    }

    #[test]
    fn fill_substitutes_once_and_keeps_unknown_ats() {
        assert_eq!(fill("a @x@ b @y@ @z", &[("x", "@y@"), ("y", "2")]), "a @y@ b 2 @z");
        assert_eq!(fill("x@@y", &[]), "x@@y");
    }

    #[test]
    fn strings_are_escaped_per_style() {
        let s = "a\"b\\c\né😀'";
        assert_eq!(quote(Escape::Json, s), r#""a\"b\\c\n\u00e9\ud83d\ude00'""#);
        assert_eq!(quote(Escape::Python, s), r#""a\"b\\c\n\u00e9\U0001f600'""#);
        assert_eq!(quote(Escape::Rust, s), r#""a\"b\\c\n\u{e9}\u{1f600}'""#);
        assert_eq!(quote(Escape::C, "é"), r#""\303\251""#);
        assert_eq!(quote(Escape::Bash, "it's é"), r"$'it\'s \xc3\xa9'");
        assert_eq!(quote(Escape::Ruby, "#{x} #$y é"), r#""\#{x} \#$y \u{e9}""#);
        assert_eq!(quote(Escape::Php, "$x {$y} é"), r#""\$x {\$y} \u{e9}""#);
        assert_eq!(quote(Escape::Perl, "$x @y é"), r#""\$x \@y \x{e9}""#);
        assert_eq!(quote(Escape::Haskell, "é1\n"), r#""\xe9\&1\n""#);
        assert_eq!(quote(Escape::Lisp, "a\"b\\c\né"), "\"a\\\"b\\\\c\né\"");
    }

    #[test]
    fn typed_languages_get_typed_signatures_and_literals() {
        let reg = Registry::builtin();
        let sig: Signature =
            "top_k(xs: list[int], by: dict[str, float]) -> optional[list[str]]".parse().unwrap();
        let want = [
            ("python", "def top_k(xs: list[int], by: dict[str, float]) -> list[str] | None:"),
            ("rust", "pub fn top_k(xs: &[i64], by: &HashMap<String, f64>) -> Option<Vec<String>>"),
            ("go", "func TopK(xs []int, by map[string]float64) *[]string"),
            ("java", "public static Optional<List<String>> topK(List<Long> xs, Map<String, Double> by)"),
            (
                "cpp",
                "std::optional<std::vector<std::string>> top_k(const std::vector<long long>& xs, const std::map<std::string, double>& by)",
            ),
            (
                "typescript",
                "export function topK(xs: Array<number>, by: Record<string, number>): Array<string> | null",
            ),
        ];
        for (lang, decl) in want {
            assert_eq!(reg.get(lang).unwrap().render_signature(&sig).unwrap(), decl, "{lang}");
        }
        let err = reg.get("c").unwrap().render_signature(&sig).unwrap_err().to_string();
        assert!(err.contains("c cannot express"), "{err}");
        let case = CallCase { args: vec![json!([3, -1]), json!({"a": 0.5})], expected: json!(["x"]) };
        let rust = reg.get("rust").unwrap().render_tests(&sig, std::slice::from_ref(&case)).unwrap();
        assert!(
            rust.contains(
                r#"top_k(&[3, -1], &HashMap::from([("a".to_string(), 0.5)])), Some(vec!["x".to_string()])"#
            ),
            "{rust}"
        );
        // Lisp: kebab-case, items and arguments apart by spaces, dicts through `_h`.
        assert_eq!(
            reg.get("lisp").unwrap().render_signature(&sig).unwrap(),
            "(defun top-k (xs #|(list-of integer)|# by #|(hash-table-of string double-float)|#) ...) ; returns (or null (list-of string))"
        );
        let lisp = reg.get("lisp").unwrap().render_tests(&sig, std::slice::from_ref(&case)).unwrap();
        assert!(
            lisp.contains(r#"(_check (top-k (list 3 -1) (_h "a" 0.5)) (list "x") 0 "optional[list[str]]")"#),
            "{lisp}"
        );
        let go = reg.get("go").unwrap().render_tests(&sig, &[case]).unwrap();
        assert!(
            go.contains(r#"TopK([]int{3, -1}, map[string]float64{"a": 0.5}), casePtr([]string{"x"})"#),
            "{go}"
        );
    }
}
