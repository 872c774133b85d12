//! The structured answers the agents give, their JSON schemas (sent as the request's
//! `json_schema` so backends can constrain decoding), and a forgiving parser: small
//! models wrap JSON in prose or fences and code in markdown even when told not to.

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

/// One exercise in one language, as an agent wrote it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Exercise {
    pub instruction: String,
    pub solution: String,
    pub tests: String,
    #[serde(default)]
    pub entry_point: String,
    #[serde(default)]
    pub explanation: String,
    #[serde(default, deserialize_with = "strings_or_string")]
    pub concepts: Vec<String>,
}

/// A port: another agent's critique of the proposal plus its own version.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Port {
    #[serde(default)]
    pub critique: String,
    #[serde(flatten)]
    pub exercise: Exercise,
}

/// An agent's account of a given answer (the seed snippet taken as the solution): the
/// exercise it answers, and calls whose values become the tests.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Description {
    pub instruction: String,
    #[serde(default, deserialize_with = "strings_or_string")]
    pub calls: Vec<String>,
    #[serde(default)]
    pub explanation: String,
    #[serde(default, deserialize_with = "strings_or_string")]
    pub concepts: Vec<String>,
}

/// Most calls probed per exercise.
pub const MAX_CALLS: usize = 10;

impl Description {
    /// The calls that are one call of `entry` (`f(...)`; a bare `(...)` gets the name
    /// put in front, a `print(...)` around it or a `;` after it is taken off), each once,
    /// in order.
    pub fn usable_calls(&self, entry: &str) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        for call in &self.calls {
            let mut c = call.trim().to_string();
            if let Some(i) = c.rfind(')') {
                let rest = c[i + 1..].trim();
                if rest.is_empty() || rest == ";" || rest.starts_with('#') || rest.starts_with("//") {
                    c.truncate(i + 1);
                }
            }
            for wrapper in ["print(", "console.log("] {
                if let Some(inner) = c.strip_prefix(wrapper).and_then(|r| r.strip_suffix(')')) {
                    c = inner.trim().to_string();
                }
            }
            if c.starts_with('(') {
                c = format!("{entry}{c}");
            }
            let c = c.as_str();
            let ok = !entry.is_empty()
                && c.starts_with(entry)
                && c[entry.len()..].trim_start().starts_with('(')
                && c.ends_with(')')
                && !c.contains('\n');
            if ok && !out.iter().any(|o| o == c) {
                out.push(c.to_string());
            }
        }
        out.truncate(MAX_CALLS);
        out
    }
}

/// A drafted exercise: the function's neutral signature, what it computes and inputs to
/// run it on. Expected values are never the model's: the sandbox computes them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Draft {
    /// The signature as one string in the neutral notation (the text form, from a model
    /// that does not follow the schema's structured one).
    #[serde(default)]
    pub signature: String,
    /// The structured form the schema asks for: the name, typed parameters and the return
    /// type, each type one of the language's [`DRAFT_TYPES`] (a grammar-constrained model
    /// cannot write anything else).
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub params: Vec<DraftParam>,
    #[serde(default)]
    pub returns: String,
    /// One sentence on what the function computes (the implementer's brief, not the
    /// instruction: that is written from the code).
    #[serde(default)]
    pub idea: String,
    #[serde(default)]
    pub inputs: Vec<Value>,
    #[serde(default, deserialize_with = "strings_or_string")]
    pub concepts: Vec<String>,
}

/// One parameter of a structured draft.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DraftParam {
    #[serde(default)]
    pub name: String,
    #[serde(default, rename = "type")]
    pub ty: String,
}

impl Draft {
    /// The signature in the neutral notation: built from the structured parts when the
    /// answer has them, else the text form.
    pub fn signature_text(&self) -> String {
        if self.name.trim().is_empty() || self.returns.trim().is_empty() {
            return self.signature.clone();
        }
        let params: Vec<String> =
            self.params.iter().map(|p| format!("{}: {}", p.name.trim(), p.ty.trim())).collect();
        format!("{}({}) -> {}", self.name.trim(), params.join(", "), self.returns.trim())
    }
}

/// The neutral types a drafted function may take and return, offered to the model as a
/// closed list (each language keeps those its declarations can express).
pub const DRAFT_TYPES: &[&str] = &[
    "int",
    "float",
    "bool",
    "str",
    "list[int]",
    "list[float]",
    "list[str]",
    "list[bool]",
    "list[list[int]]",
    "dict[str, int]",
    "dict[int, int]",
    "dict[str, str]",
    "dict[str, list[int]]",
    "optional[int]",
    "optional[float]",
    "optional[str]",
    "tuple[int, int]",
    "tuple[str, int]",
    "tuple[list[int], list[int]]",
    "list[tuple[str, int]]",
];

/// Inputs asked for again, typed by the drafted signature: one object per input, keyed
/// by parameter name.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Inputs {
    #[serde(default)]
    pub inputs: Vec<Value>,
}

/// The schema of one JSON value of neutral type `ty`.
fn value_schema(ty: &sandbox::cases::Type) -> Value {
    use sandbox::cases::Type;
    match ty {
        Type::Int => json!({"type": "integer"}),
        Type::Float => json!({"type": "number"}),
        Type::Bool => json!({"type": "boolean"}),
        Type::Str => text(80),
        Type::List(item) => json!({"type": "array", "items": value_schema(item), "maxItems": 8}),
        // Keys are JSON object keys either way; the values are left to the model.
        Type::Dict(_, _) => json!({"type": "object"}),
        Type::Optional(inner) => json!({"anyOf": [value_schema(inner), {"type": "null"}]}),
        Type::Tuple(items) => json!({
            "type": "array",
            "items": {"anyOf": items.iter().map(value_schema).collect::<Vec<_>>()},
            "minItems": items.len(),
            "maxItems": items.len(),
        }),
    }
}

/// The schema of inputs for `sig`: 5 to 10 objects with a typed value per parameter.
pub fn inputs_schema(sig: &sandbox::cases::Signature) -> Value {
    let properties: serde_json::Map<String, Value> =
        sig.params.iter().map(|p| (p.name.clone(), value_schema(&p.ty))).collect();
    let names: Vec<&str> = sig.params.iter().map(|p| p.name.as_str()).collect();
    json!({
        "title": "inputs",
        "type": "object",
        "properties": {
            "inputs": {
                "type": "array",
                "items": {"type": "object", "properties": properties, "required": names},
                "minItems": 5,
                "maxItems": 10,
            },
        },
        "required": ["inputs"],
    })
}

/// A drafted program exercise (bash): what it computes, a short name, and texts to feed
/// it on stdin. What it prints is never the model's: the sandbox records it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ProgramDraft {
    /// A snake_case name for the task (for memory and logs; a program has no entry point).
    #[serde(default)]
    pub name: String,
    pub idea: String,
    /// Each a whole stdin; a list of lines or a number is read as its lines.
    #[serde(default)]
    pub inputs: Vec<Value>,
    #[serde(default, deserialize_with = "strings_or_string")]
    pub concepts: Vec<String>,
}

/// The instruction written from the code (answer → instruction).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Instruction {
    pub instruction: String,
    #[serde(default)]
    pub explanation: String,
}

/// A solution alone: a fresh solve, a fix, or a translation (with its critique).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SolutionAnswer {
    #[serde(default)]
    pub critique: String,
    pub solution: String,
}

/// Most inputs run per exercise (the harness output must fit the sandbox's output cap).
pub const MAX_INPUTS: usize = 12;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SummaryDecision {
    #[serde(default, deserialize_with = "strings_or_string")]
    pub keep: Vec<String>,
    #[serde(default)]
    pub reason: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReflectionAnswer {
    #[serde(default, deserialize_with = "strings_or_string")]
    pub merits: Vec<String>,
    #[serde(default, deserialize_with = "strings_or_string")]
    pub faults: Vec<String>,
    #[serde(default)]
    pub advice: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct JudgeAnswer {
    pub score: f64,
    #[serde(default)]
    pub reason: String,
}

/// Length bounds keep every answer inside the request's token budget: a constrained
/// decoder then always closes the JSON (a small model otherwise rambles in a string until
/// max_tokens cuts it), and they keep samples to the small tasks small models get right.
fn text(max: u32) -> Value {
    json!({"type": "string", "maxLength": max})
}

/// A name: a string of 1 to `max` characters.
fn named(max: u32) -> Value {
    json!({"type": "string", "minLength": 1, "maxLength": max})
}

fn list(items: u32, max: u32) -> Value {
    json!({"type": "array", "items": text(max), "maxItems": items})
}

fn exercise_properties() -> serde_json::Map<String, Value> {
    let mut props = serde_json::Map::new();
    for (key, max) in
        [("instruction", 400), ("solution", 1200), ("tests", 1000), ("entry_point", 40), ("explanation", 300)]
    {
        props.insert(key.into(), text(max));
    }
    props.insert("concepts".into(), list(4, 40));
    props
}

pub fn exercise_schema() -> Value {
    json!({
        "title": "exercise",
        "type": "object",
        "properties": exercise_properties(),
        "required": ["instruction", "solution", "tests", "entry_point"],
    })
}

pub fn port_schema() -> Value {
    let mut props = serde_json::Map::new();
    props.insert("critique".into(), text(300));
    props.extend(exercise_properties());
    json!({
        "title": "port",
        "type": "object",
        "properties": props,
        "required": ["critique", "instruction", "solution", "tests", "entry_point"],
    })
}

pub fn description_schema() -> Value {
    json!({
        "title": "description",
        "type": "object",
        "properties": {
            "instruction": text(400),
            "calls": list(5, 120),
            "explanation": text(300),
            "concepts": list(4, 40),
        },
        "required": ["instruction", "calls"],
    })
}

/// The draft schema with every [`DRAFT_TYPES`] entry allowed.
pub fn draft_schema() -> Value {
    let all: Vec<String> = DRAFT_TYPES.iter().map(|t| t.to_string()).collect();
    draft_schema_for(&all, &all)
}

/// The draft schema: the signature as a name, up to four parameters and a return type,
/// the types closed lists (`param_types`, `return_types`), then the idea and inputs.
pub fn draft_schema_for(param_types: &[String], return_types: &[String]) -> Value {
    json!({
        "title": "draft",
        "type": "object",
        "properties": {
            "name": named(60),
            "params": {
                "type": "array",
                "items": {
                    "type": "object",
                    "properties": {"name": named(30), "type": {"enum": param_types}},
                    "required": ["name", "type"],
                },
                "minItems": 1,
                "maxItems": 4,
            },
            "returns": {"enum": return_types},
            "idea": text(300),
            "inputs": {"type": "array", "items": {"type": "array", "maxItems": 4}, "minItems": 5, "maxItems": 10},
            "concepts": list(4, 40),
        },
        "required": ["name", "params", "returns", "idea", "inputs"],
    })
}

pub fn program_draft_schema() -> Value {
    json!({
        "title": "program_draft",
        "type": "object",
        "properties": {
            "name": text(60),
            "idea": text(300),
            "inputs": {"type": "array", "items": text(400), "minItems": 5, "maxItems": 10},
            "concepts": list(4, 40),
        },
        "required": ["name", "idea", "inputs"],
    })
}

/// A signature using every type constructor, for the inputs schema in [`all_schemas`].
const EVERY_TYPE: &str = "every_type(a: int, b: float, c: bool, d: str, e: list[list[int]], f: dict[str, int], g: optional[str], h: tuple[int, str]) -> int";

/// Every schema the code pipeline sends, for checks that a backend's grammar takes them.
pub fn all_schemas() -> Vec<Value> {
    let mut all = vec![
        exercise_schema(),
        port_schema(),
        description_schema(),
        draft_schema(),
        program_draft_schema(),
        instruction_schema(),
        summary_schema(),
        reflection_schema(),
        judge_schema(),
    ];
    // Inputs typed by a signature with every constructor.
    all.extend(EVERY_TYPE.parse::<sandbox::cases::Signature>().ok().map(|sig| inputs_schema(&sig)));
    all
}

pub fn instruction_schema() -> Value {
    json!({
        "title": "instruction",
        "type": "object",
        "properties": {"instruction": text(600), "explanation": text(300)},
        "required": ["instruction", "explanation"],
    })
}

pub fn summary_schema() -> Value {
    json!({
        "title": "summary",
        "type": "object",
        "properties": {"keep": list(16, 20), "reason": text(300)},
        "required": ["keep", "reason"],
    })
}

pub fn reflection_schema() -> Value {
    json!({
        "title": "reflection",
        "type": "object",
        "properties": {
            "merits": list(3, 160),
            "faults": list(3, 160),
            "advice": text(300),
        },
        "required": ["merits", "faults", "advice"],
    })
}

pub fn judge_schema() -> Value {
    json!({
        "title": "judge",
        "type": "object",
        "properties": {"score": {"type": "number"}, "reason": text(300)},
        "required": ["score", "reason"],
    })
}

/// Parses the first JSON object in `text`, tolerating prose and fences around it.
pub fn parse<T: DeserializeOwned>(text: &str) -> Result<T, String> {
    let start = text.find('{').ok_or_else(|| "the answer holds no JSON object".to_string())?;
    let mut stream = serde_json::Deserializer::from_str(&text[start..]).into_iter::<Value>();
    let value = match stream.next() {
        Some(Ok(v)) => v,
        Some(Err(e)) => {
            // A trailing fence or prose can follow a complete object; if the object itself
            // is broken, the last closing brace is the best remaining guess.
            let end = text.rfind('}').ok_or_else(|| format!("the JSON object is incomplete: {e}"))?;
            serde_json::from_str(&text[start..=end])
                .map_err(|e| format!("the JSON object is malformed: {e}"))?
        }
        None => return Err("the answer holds no JSON object".to_string()),
    };
    serde_json::from_value(value).map_err(|e| format!("the JSON object lacks a required field: {e}"))
}

impl Exercise {
    /// Strips markdown fences from code fields and checks nothing essential is empty.
    pub fn cleaned(mut self) -> Result<Exercise, String> {
        self.solution = strip_fences(&self.solution);
        self.tests = strip_fences(&self.tests);
        self.instruction = self.instruction.trim().to_string();
        self.entry_point = self.entry_point.trim().to_string();
        self.explanation = self.explanation.trim().to_string();
        for (name, value) in
            [("instruction", &self.instruction), ("solution", &self.solution), ("tests", &self.tests)]
        {
            if value.trim().is_empty() {
                return Err(format!("the answer's `{name}` is empty"));
            }
        }
        Ok(self)
    }
}

/// Where decoding of a code answer stops: the fenced block's closing fence, then a blank
/// line (prose follows). A bare opening fence is followed by code, so it does not match;
/// `"\n```\n"` alone cut a translation at its opening fence, after the critique.
pub const CODE_STOP: &[&str] = &["\n```\n\n"];

/// A solution answered as code ([`Caller::ask_code`](crate::code::discussion)): the code of
/// the first fenced block (or the whole answer, when it has none), and the prose before
/// the block as its critique. A JSON `{"solution": …}` answer (a script's, or an endpoint
/// that answers in JSON anyway) is read as JSON.
pub fn parse_code(text: &str) -> Result<SolutionAnswer, String> {
    let trimmed = text.trim();
    if trimmed.starts_with('{')
        && let Ok(mut a) = parse::<SolutionAnswer>(trimmed)
    {
        a.solution = strip_fences(&a.solution);
        return Ok(a);
    }
    let fence =
        trimmed.match_indices("```").map(|(i, _)| i).find(|&i| i == 0 || trimmed[..i].ends_with('\n'));
    let (critique, code) = match fence {
        Some(i) => (trimmed[..i].trim(), &trimmed[i..]),
        None => ("", trimmed),
    };
    let solution = strip_fences(code);
    if solution.trim().is_empty() {
        return Err("the answer holds no code".into());
    }
    Ok(SolutionAnswer { critique: critique.to_string(), solution })
}

/// The code of a solution answer: the body of its first ```lang … ``` fence if the model
/// added one, and never what follows a fence line. The 0.5B often closes its code with a
/// fence and goes on in prose ("This code correctly defines …"), or ends with "```}".
pub fn strip_fences(code: &str) -> String {
    let trimmed = code.trim();
    let is_fence = |l: &str| l.trim_start().starts_with("```");
    let mut lines = trimmed.lines().peekable();
    // A one-line lead-in ("Here is the code:") before the opening fence is prose too.
    let lead_in = trimmed.lines().next().is_some_and(|l| l.trim_end().ends_with(':'))
        && trimmed.lines().nth(1).is_some_and(is_fence);
    if lead_in {
        lines.next();
    }
    if lines.peek().is_some_and(|l| is_fence(l)) {
        lines.next();
    }
    let body: Vec<&str> = lines.take_while(|l| !is_fence(l)).collect();
    format!("{}\n", body.join("\n").trim_end())
}

fn strings_or_string<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
    let value = Value::deserialize(d)?;
    Ok(match value {
        Value::Array(items) => items
            .into_iter()
            .map(|v| match v {
                Value::String(s) => s,
                other => other.to_string(),
            })
            .collect(),
        Value::String(s) if s.trim().is_empty() => Vec::new(),
        Value::String(s) => {
            s.split([',', '\n']).map(|p| p.trim().to_string()).filter(|p| !p.is_empty()).collect()
        }
        Value::Null => Vec::new(),
        other => vec![other.to_string()],
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn a_code_answer_is_its_first_block_with_the_prose_before_it_as_critique() {
        let a = parse_code("The task is clear.\n\n```go\npackage solution\n\nfunc F() int { return \"a\" == \"a\" }\n```\nIt works.").unwrap();
        assert_eq!(a.critique, "The task is clear.");
        assert_eq!(a.solution, "package solution\n\nfunc F() int { return \"a\" == \"a\" }\n");
        // Stopped at the closing fence (CODE_STOP), and with no fence at all.
        assert_eq!(
            parse_code("```python\ndef f():\n    return 'x'").unwrap().solution,
            "def f():\n    return 'x'\n"
        );
        assert_eq!(parse_code("def f():\n    return 1\n").unwrap().critique, "");
        // JSON, as scripts and some endpoints answer.
        let a = parse_code(r#"{"critique": "ok", "solution": "def f():\n    return 1\n"}"#).unwrap();
        assert_eq!((a.critique.as_str(), a.solution.as_str()), ("ok", "def f():\n    return 1\n"));
        assert!(parse_code("```rust\n```").is_err());
        assert!(parse_code("  ").is_err());
    }

    #[test]
    fn fences_and_what_follows_them_are_not_code() {
        let code = "def f(x):\n    return x\n";
        assert_eq!(strip_fences(code), code);
        assert_eq!(strip_fences("```python\ndef f(x):\n    return x\n```"), code);
        assert_eq!(strip_fences("Here is the code:\n```python\ndef f(x):\n    return x\n```\n"), code);
        // Seen from the 0.5B: prose after a closing fence, and a stray brace after one.
        assert_eq!(strip_fences("def f(x):\n    return x\n```\n\nThis code correctly defines `f`."), code);
        assert_eq!(strip_fences("```rust\nfn f() {}\n```}"), "fn f() {}\n");
        assert_eq!(strip_fences("fn f() {}\n```}"), "fn f() {}\n");
        // A colon ending real code is not a lead-in.
        assert_eq!(strip_fences("x = {\n  a:\n}"), "x = {\n  a:\n}\n");
    }

    #[test]
    fn every_schema_includes_the_typed_inputs() {
        let titles: Vec<Value> = all_schemas().iter().map(|s| s["title"].clone()).collect();
        assert!(titles.contains(&json!("inputs")), "{titles:?}");
    }

    #[test]
    fn a_structured_draft_reads_as_the_neutral_notation_and_the_text_form_still_does() {
        let structured: Draft = serde_json::from_value(json!({
            "name": "clamp_sum", "params": [{"name": "xs", "type": "list[int]"}, {"name": "cap", "type": "int"}],
            "returns": "int", "idea": "x", "inputs": [],
        }))
        .unwrap();
        assert_eq!(structured.signature_text(), "clamp_sum(xs: list[int], cap: int) -> int");
        let text: Draft =
            serde_json::from_value(json!({"signature": "f(x: int) -> int", "idea": "x"})).unwrap();
        assert_eq!(text.signature_text(), "f(x: int) -> int");
        // No parameters is a signature too (the notation's parser judges it).
        let bare: Draft =
            serde_json::from_value(json!({"name": "f", "params": [], "returns": "int"})).unwrap();
        assert_eq!(bare.signature_text(), "f() -> int");
    }

    #[test]
    fn usable_calls_are_calls_of_the_entry_point_each_once() {
        let d = Description {
            instruction: "x".into(),
            calls: vec![
                "f(1)".into(),
                "  f(2);  ".into(),
                "print(f(3))  # 3".into(),
                "console.log(f(4));".into(),
                "(5)".into(),
                "f(1)".into(),
                "g(1)".into(),
                "ff(1)".into(),
                "f".into(),
                "f(1)\nimport os".into(),
            ],
            explanation: String::new(),
            concepts: Vec::new(),
        };
        assert_eq!(d.usable_calls("f"), vec!["f(1)", "f(2)", "f(3)", "f(4)", "f(5)"]);
    }

    #[test]
    fn parses_json_wrapped_in_prose_and_fences() {
        let text = "Sure! Here it is:\n```json\n{\"instruction\": \"Add\", \"solution\": \"```python\\ndef add(a, b):\\n    return a + b\\n```\", \"tests\": \"assert add(1, 2) == 3\", \"entry_point\": \"add\", \"concepts\": \"math, functions\"}\n```\nHope that helps.";
        let ex: Exercise = parse(text).unwrap();
        let ex = ex.cleaned().unwrap();
        assert_eq!(ex.solution, "def add(a, b):\n    return a + b\n");
        assert_eq!(ex.concepts, vec!["math", "functions"]);
    }

    #[test]
    fn reports_what_is_missing() {
        assert!(parse::<Exercise>("no json here").unwrap_err().contains("no JSON"));
        assert!(parse::<Exercise>("{\"instruction\": \"x\"}").unwrap_err().contains("required field"));
        let empty: Exercise =
            parse("{\"instruction\": \"x\", \"solution\": \" \", \"tests\": \"t\"}").unwrap();
        assert!(empty.cleaned().unwrap_err().contains("solution"));
    }
}
