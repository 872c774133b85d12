//! What every record shares: the schema version, ids, and serde helpers.

use serde::de::{self, Deserializer, MapAccess, SeqAccess, Visitor};
use serde::ser::{SerializeMap, Serializer};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// Version of the record schemas in this crate (see `datasets/SCHEMA.md`). Bump it when a
/// field changes meaning or type; adding an optional field does not need a bump.
pub const SCHEMA_VERSION: u32 = 4;

/// Between the sentences of a FOL record's one-string `context`, as in ProverQA.
pub const CONTEXT_SEPARATOR: &str = " ";

/// A record with a unique id: the writer refuses to write an id twice.
pub trait HasId {
    fn id(&self) -> &str;
}

/// A work item that produced no record, kept in `failures.jsonl` so the run can report
/// why and a resumed run does not retry it forever.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct FailureRecord {
    /// The id the record would have had.
    #[serde(deserialize_with = "de_id")]
    pub id: String,
    /// Where it failed: one of [`FailureRecord::STAGES`] or a generator's own word.
    pub stage: String,
    /// One line a person can read.
    pub reason: String,
    #[serde(default)]
    pub attempts: u32,
    /// For code: the language of the sample.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lang: Option<String>,
    #[serde(default, skip_serializing_if = "Map::is_empty")]
    pub extra: Map<String, Value>,
    #[serde(default)]
    pub schema_version: u32,
}

impl FailureRecord {
    /// The stages the card and `gen inspect` know by name.
    pub const STAGES: [&'static str; 22] = [
        "generate",
        "parse",
        "compile",
        "tests",
        "vacuous_tests",
        "length",
        "language",
        "prompt_copy",
        "not_an_instruction",
        "instruction",
        "signature",
        "cases",
        "round_trip",
        "port_mismatch",
        "mutation",
        "exact_dup",
        "near_dup",
        "summary",
        "decontamination",
        "judge",
        "prove",
        "narrate",
    ];

    pub fn new(id: impl Into<String>, stage: impl Into<String>, reason: impl Into<String>) -> FailureRecord {
        FailureRecord {
            id: id.into(),
            stage: stage.into(),
            reason: reason.into(),
            schema_version: SCHEMA_VERSION,
            ..FailureRecord::default()
        }
    }
}

impl HasId for FailureRecord {
    fn id(&self) -> &str {
        &self.id
    }
}

/// Sentence -> FOL pairs that keep their order and serialize as one JSON object, as
/// ProverQA writes `nl2fol`. A sentence given twice keeps its first formula.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Nl2Fol(Vec<(String, String)>);

impl Nl2Fol {
    pub fn new() -> Nl2Fol {
        Nl2Fol::default()
    }

    /// Adds a pair; returns false (and keeps the old formula) if the sentence is present.
    pub fn insert(&mut self, sentence: impl Into<String>, fol: impl Into<String>) -> bool {
        let sentence = sentence.into();
        if self.get(&sentence).is_some() {
            return false;
        }
        self.0.push((sentence, fol.into()));
        true
    }

    pub fn get(&self, sentence: &str) -> Option<&str> {
        self.0.iter().find(|(s, _)| s == sentence).map(|(_, f)| f.as_str())
    }

    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.0.iter().map(|(s, f)| (s.as_str(), f.as_str()))
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl FromIterator<(String, String)> for Nl2Fol {
    fn from_iter<I: IntoIterator<Item = (String, String)>>(iter: I) -> Self {
        let mut out = Nl2Fol::new();
        for (s, f) in iter {
            out.insert(s, f);
        }
        out
    }
}

impl Serialize for Nl2Fol {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(self.0.len()))?;
        for (s, f) in &self.0 {
            map.serialize_entry(s, f)?;
        }
        map.end()
    }
}

impl<'de> Deserialize<'de> for Nl2Fol {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Pairs;
        impl<'de> Visitor<'de> for Pairs {
            type Value = Nl2Fol;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("an object mapping sentences to FOL formulas")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut access: A) -> Result<Nl2Fol, A::Error> {
                let mut out = Nl2Fol::new();
                while let Some((s, f)) = access.next_entry::<String, String>()? {
                    out.insert(s, f);
                }
                Ok(out)
            }
        }
        deserializer.deserialize_map(Pairs)
    }
}

/// Ids are strings; ProverQA and FOLIO use integers, which read as their decimal form.
pub(crate) fn de_id<'de, D: Deserializer<'de>>(deserializer: D) -> Result<String, D::Error> {
    match Value::deserialize(deserializer)? {
        Value::String(s) => Ok(s),
        Value::Number(n) => Ok(n.to_string()),
        other => Err(de::Error::custom(format!("id must be a string or an integer, got {other}"))),
    }
}

/// `context` is one string, as ProverQA writes it. A list of sentences (schema version 2
/// and earlier) reads joined by [`CONTEXT_SEPARATOR`].
pub(crate) fn de_context<'de, D: Deserializer<'de>>(deserializer: D) -> Result<String, D::Error> {
    struct Context;
    impl<'de> Visitor<'de> for Context {
        type Value = String;
        fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("one string or a list of sentences")
        }
        fn visit_str<E: de::Error>(self, v: &str) -> Result<String, E> {
            Ok(v.to_string())
        }
        fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<String, A::Error> {
            let mut out: Vec<String> = Vec::new();
            while let Some(s) = seq.next_element::<String>()? {
                out.push(s);
            }
            Ok(out.join(CONTEXT_SEPARATOR))
        }
    }
    deserializer.deserialize_any(Context)
}

/// Reads just the id of a JSONL line, whatever else the line holds.
pub(crate) fn line_id(line: &[u8]) -> Result<Option<String>, serde_json::Error> {
    #[derive(Deserialize)]
    struct IdOnly {
        #[serde(default)]
        id: Option<Value>,
    }
    let parsed: IdOnly = serde_json::from_slice(line)?;
    Ok(match parsed.id {
        Some(Value::String(s)) => Some(s),
        Some(Value::Number(n)) => Some(n.to_string()),
        _ => None,
    })
}
