//! JSON Schema → GBNF, the grammar language of llama.cpp's grammar sampler.
//!
//! Covers what our agents and `schemars` emit: objects with `properties`/`required`,
//! arrays with `items`/`minItems`/`maxItems`, strings with `minLength`/`maxLength`,
//! integers, numbers, booleans, null, `enum`, `const`, `anyOf`/`oneOf`, `type` lists and
//! local `$ref`s. Keywords a grammar cannot express cheaply (`pattern`, `format`,
//! numeric bounds other than a non-negative minimum) are left to [`super::schema`]'s
//! validation of the finished answer.
//!
//! The grammar never produces properties a schema does not name: a model is steered to
//! exactly the fields asked for, which is what callers want even when
//! `additionalProperties` is not set.

use serde_json::Value;
use std::collections::BTreeMap;
use std::fmt::Write as _;

/// Shared building blocks, emitted once per grammar. The whitespace rule is bounded so a
/// small model cannot spend its token budget on indentation.
const PRIMITIVES: &str = r#"ws ::= | " " | "\n" [ \t]{0,20}
char ::= [^"\\\x7F\x00-\x1F] | "\\" (["\\/bfnrt] | "u" [0-9a-fA-F]{4})
string ::= "\"" char* "\"" ws
integer ::= "-"? ([0-9] | [1-9] [0-9]{0,15}) ws
uinteger ::= ([0-9] | [1-9] [0-9]{0,15}) ws
number ::= "-"? ([0-9] | [1-9] [0-9]{0,15}) ("." [0-9]{1,16})? ([eE] [-+]? [0-9]{1,3})? ws
boolean ::= ("true" | "false") ws
null ::= "null" ws
value ::= object | array | string | number | boolean | null
object ::= "{" ws ( string ":" ws value ("," ws string ":" ws value)* )? "}" ws
array ::= "[" ws ( value ("," ws value)* )? "]" ws
"#;

/// Why a schema could not be turned into a grammar.
#[derive(Debug, thiserror::Error)]
pub enum GbnfError {
    #[error("unsupported JSON schema at {path}: {reason}")]
    Unsupported { path: String, reason: String },
}

/// The GBNF grammar (start rule `root`) whose sentences are JSON documents valid against
/// `schema` (up to the keywords listed in the module doc).
pub fn json_schema_to_gbnf(schema: &Value) -> Result<String, GbnfError> {
    let mut converter = Converter { root: schema, rules: BTreeMap::new(), refs: BTreeMap::new() };
    let body = converter.visit(schema, "$")?;
    let mut grammar = format!("root ::= ws {body}\n");
    for (name, rule) in &converter.rules {
        let _ = writeln!(grammar, "{name} ::= {rule}");
    }
    grammar.push_str(PRIMITIVES);
    Ok(grammar)
}

struct Converter<'a> {
    root: &'a Value,
    /// Named rules, for sub-schemas worth naming (objects, arrays, `$ref` targets).
    rules: BTreeMap<String, String>,
    /// `$ref` string -> rule name, so recursive schemas terminate.
    refs: BTreeMap<String, String>,
}

impl Converter<'_> {
    /// A GBNF expression (consuming trailing whitespace) for `schema`.
    fn visit(&mut self, schema: &Value, path: &str) -> Result<String, GbnfError> {
        let object = match schema {
            Value::Bool(true) => return Ok("value".to_owned()),
            Value::Bool(false) => return Err(unsupported(path, "`false` schema admits nothing")),
            Value::Object(object) => object,
            _ => return Err(unsupported(path, "a schema must be an object or a boolean")),
        };
        if let Some(reference) = object.get("$ref") {
            return self.visit_ref(reference, path);
        }
        if let Some(constant) = object.get("const") {
            return Ok(format!("{} ws", literal(&constant.to_string())));
        }
        if let Some(choices) = object.get("enum") {
            let Value::Array(choices) = choices else {
                return Err(unsupported(path, "`enum` must be an array"));
            };
            if choices.is_empty() {
                return Err(unsupported(path, "`enum` is empty"));
            }
            let alternatives: Vec<String> = choices.iter().map(|c| literal(&c.to_string())).collect();
            return Ok(format!("({}) ws", alternatives.join(" | ")));
        }
        for keyword in ["anyOf", "oneOf"] {
            if let Some(branches) = object.get(keyword) {
                let Value::Array(branches) = branches else {
                    return Err(unsupported(path, &format!("`{keyword}` must be an array")));
                };
                let mut alternatives = Vec::with_capacity(branches.len());
                for (i, branch) in branches.iter().enumerate() {
                    alternatives.push(self.visit(branch, &format!("{path}.{keyword}[{i}]"))?);
                }
                return Ok(format!("({})", alternatives.join(" | ")));
            }
        }
        if let Some(Value::Array(all)) = object.get("allOf") {
            // schemars wraps a lone `$ref` in `allOf` when it adds a description.
            if let [single] = all.as_slice() {
                return self.visit(single, &format!("{path}.allOf[0]"));
            }
            return Err(unsupported(path, "`allOf` with several schemas"));
        }
        match object.get("type") {
            None if object.contains_key("properties") => self.visit_typed("object", object, path),
            None if object.contains_key("items") => self.visit_typed("array", object, path),
            None => Ok("value".to_owned()),
            Some(Value::String(kind)) => self.visit_typed(kind, object, path),
            Some(Value::Array(kinds)) => {
                let mut alternatives = Vec::with_capacity(kinds.len());
                for kind in kinds {
                    let Value::String(kind) = kind else {
                        return Err(unsupported(path, "`type` lists must hold strings"));
                    };
                    alternatives.push(self.visit_typed(kind, object, path)?);
                }
                Ok(format!("({})", alternatives.join(" | ")))
            }
            Some(_) => Err(unsupported(path, "`type` must be a string or a list of strings")),
        }
    }

    fn visit_typed(
        &mut self,
        kind: &str,
        object: &serde_json::Map<String, Value>,
        path: &str,
    ) -> Result<String, GbnfError> {
        match kind {
            "string" => Ok(string_rule(object)),
            "integer" => {
                let non_negative = object.get("minimum").and_then(Value::as_f64).is_some_and(|m| m >= 0.0);
                Ok(if non_negative { "uinteger" } else { "integer" }.to_owned())
            }
            "number" => Ok("number".to_owned()),
            "boolean" => Ok("boolean".to_owned()),
            "null" => Ok("null".to_owned()),
            "array" => self.visit_array(object, path),
            "object" => self.visit_object(object, path),
            other => Err(unsupported(path, &format!("unknown type `{other}`"))),
        }
    }

    fn visit_ref(&mut self, reference: &Value, path: &str) -> Result<String, GbnfError> {
        let Value::String(reference) = reference else {
            return Err(unsupported(path, "`$ref` must be a string"));
        };
        if let Some(name) = self.refs.get(reference) {
            return Ok(name.clone());
        }
        let Some(pointer) = reference.strip_prefix('#') else {
            return Err(unsupported(
                path,
                &format!("only local `$ref`s (#/...) are supported, got {reference}"),
            ));
        };
        let target = self
            .root
            .pointer(pointer)
            .ok_or_else(|| unsupported(path, &format!("`$ref` {reference} points nowhere")))?;
        let name = format!("ref{}", self.refs.len());
        self.refs.insert(reference.clone(), name.clone());
        // Reserve the name first: a recursive reference inside resolves to it.
        self.rules.insert(name.clone(), String::new());
        let body = self.visit(target, reference)?;
        self.rules.insert(name.clone(), body);
        Ok(name)
    }

    fn visit_array(
        &mut self,
        object: &serde_json::Map<String, Value>,
        path: &str,
    ) -> Result<String, GbnfError> {
        let item = match object.get("items") {
            None => "value".to_owned(),
            Some(items) => self.visit(items, &format!("{path}[]"))?,
        };
        // llama.cpp copies a repeated group once per repetition, so an inline item with a
        // repetition of its own (a bounded string) would be expanded many times over
        // (and a long one is refused): the item gets a rule of its own.
        let item = if item.contains(' ') { self.name_rule(item) } else { item };
        let min = object.get("minItems").and_then(Value::as_u64).unwrap_or(0);
        let max = object.get("maxItems").and_then(Value::as_u64);
        if max.is_some_and(|max| max < min) {
            return Err(unsupported(path, "`maxItems` is below `minItems`"));
        }
        let more = format!("(\",\" ws {item})");
        let body = match (min, max) {
            (_, Some(0)) => "\"[\" ws \"]\" ws".to_owned(),
            (0, None) => format!("\"[\" ws ({item} {more}*)? \"]\" ws"),
            (0, Some(max)) => format!("\"[\" ws ({item} {more}{{0,{}}})? \"]\" ws", max - 1),
            (min, None) => format!("\"[\" ws {item} {more}{{{},}} \"]\" ws", min - 1),
            (min, Some(max)) => format!("\"[\" ws {item} {more}{{{},{}}} \"]\" ws", min - 1, max - 1),
        };
        Ok(self.name_rule(body))
    }

    fn visit_object(
        &mut self,
        object: &serde_json::Map<String, Value>,
        path: &str,
    ) -> Result<String, GbnfError> {
        let Some(properties) = object.get("properties") else {
            return Ok("object".to_owned());
        };
        let Value::Object(properties) = properties else {
            return Err(unsupported(path, "`properties` must be an object"));
        };
        let required: Vec<&str> = match object.get("required") {
            None => Vec::new(),
            Some(Value::Array(names)) => names.iter().filter_map(Value::as_str).collect(),
            Some(_) => return Err(unsupported(path, "`required` must be an array of names")),
        };
        if let Some(missing) = required.iter().find(|name| !properties.contains_key(**name)) {
            return Err(unsupported(path, &format!("required property `{missing}` has no schema")));
        }
        // Required members first, in the order `required` lists them (a JSON array keeps
        // its order where `properties`, an object, may not: the order steers what a small
        // model writes first), then the optional ones, each of which may be left out.
        let mut members_by_name = std::collections::HashMap::new();
        let mut optional = Vec::new();
        for (name, schema) in properties {
            let value = self.visit(schema, &format!("{path}.{name}"))?;
            let member = format!("{} ws \":\" ws {value}", literal(&Value::String(name.clone()).to_string()));
            if required.contains(&name.as_str()) {
                members_by_name.insert(name.as_str(), member);
            } else {
                optional.push(member);
            }
        }
        let mut seen = std::collections::HashSet::new();
        let mandatory: Vec<String> = required
            .iter()
            .filter(|name| seen.insert(**name))
            .filter_map(|name| members_by_name.remove(name))
            .collect();
        let optional_tail = |from: usize| -> String {
            optional[from..].iter().map(|m| format!(" (\",\" ws {m})?")).collect::<String>()
        };
        let members = if mandatory.is_empty() {
            if optional.is_empty() {
                String::new()
            } else {
                let starts: Vec<String> =
                    (0..optional.len()).map(|i| format!("{}{}", optional[i], optional_tail(i + 1))).collect();
                format!("({})?", starts.join(" | "))
            }
        } else {
            format!("{}{}", mandatory.join(" \",\" ws "), optional_tail(0))
        };
        Ok(self.name_rule(format!("\"{{\" ws {members} \"}}\" ws")))
    }

    /// Gives a composite body its own rule, which keeps each grammar line readable when a
    /// grammar has to be debugged.
    fn name_rule(&mut self, body: String) -> String {
        let name = format!("r{}", self.rules.len());
        self.rules.insert(name.clone(), body);
        name
    }
}

fn string_rule(object: &serde_json::Map<String, Value>) -> String {
    let min = object.get("minLength").and_then(Value::as_u64);
    let max = object.get("maxLength").and_then(Value::as_u64);
    match (min, max) {
        (None, None) => "string".to_owned(),
        (min, None) => format!("\"\\\"\" char{{{},}} \"\\\"\" ws", min.unwrap_or(0)),
        (min, Some(max)) => format!("\"\\\"\" char{{{},{max}}} \"\\\"\" ws", min.unwrap_or(0)),
    }
}

/// A GBNF string literal matching `text` exactly.
fn literal(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 => {
                let _ = write!(out, "\\x{:02X}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

fn unsupported(path: &str, reason: &str) -> GbnfError {
    GbnfError::Unsupported { path: path.to_owned(), reason: reason.to_owned() }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn object_lists_required_members_first_and_optional_ones_as_optional() {
        let grammar = json_schema_to_gbnf(&json!({
            "type": "object",
            "properties": {"note": {"type": "string"}, "answer": {"type": "integer"}},
            "required": ["answer"]
        }))
        .unwrap();
        assert!(grammar.starts_with("root ::= ws r0\n"), "{grammar}");
        assert!(
            grammar.contains(
                r#"r0 ::= "{" ws "\"answer\"" ws ":" ws integer ("," ws "\"note\"" ws ":" ws string)? "}" ws"#
            ),
            "{grammar}"
        );
    }

    #[test]
    fn required_members_come_in_the_order_required_lists_them() {
        // serde_json sorts object keys; `required` is an array and keeps its order.
        let grammar = json_schema_to_gbnf(&json!({
            "type": "object",
            "properties": {"calls": {"type": "integer"}, "instruction": {"type": "string"}},
            "required": ["instruction", "calls", "instruction"]
        }))
        .unwrap();
        assert!(
            grammar.contains(r#"r0 ::= "{" ws "\"instruction\"" ws ":" ws string "," ws "\"calls\"" ws ":" ws integer "}" ws"#),
            "{grammar}"
        );
    }

    #[test]
    fn enums_become_alternatives_of_json_literals() {
        let grammar = json_schema_to_gbnf(&json!({"enum": ["a\"b", 3, null]})).unwrap();
        assert!(grammar.starts_with(r#"root ::= ws ("\"a\\\"b\"" | "3" | "null") ws"#), "{grammar}");
    }

    #[test]
    fn array_bounds_become_repetitions() {
        let grammar = json_schema_to_gbnf(&json!({
            "type": "array", "items": {"type": "string"}, "minItems": 2, "maxItems": 4
        }))
        .unwrap();
        assert!(grammar.contains(r#"r0 ::= "[" ws string ("," ws string){1,3} "]" ws"#), "{grammar}");
    }

    #[test]
    fn recursive_refs_terminate() {
        let grammar = json_schema_to_gbnf(&json!({
            "$defs": {"node": {"type": "object", "properties": {
                "children": {"type": "array", "items": {"$ref": "#/$defs/node"}}
            }}},
            "$ref": "#/$defs/node"
        }))
        .unwrap();
        assert!(grammar.starts_with("root ::= ws ref0\n"), "{grammar}");
        assert!(grammar.contains("ref0 ::= r"), "{grammar}");
    }

    #[test]
    fn unknown_types_and_dangling_refs_are_rejected() {
        assert!(json_schema_to_gbnf(&json!({"type": "date"})).is_err());
        assert!(json_schema_to_gbnf(&json!({"$ref": "#/$defs/missing"})).is_err());
        assert!(
            json_schema_to_gbnf(&json!({"type": "object", "properties": {}, "required": ["x"]})).is_err()
        );
    }
}
