//! The prompt templates: handlebars files in `prompts/`, embedded at build time and
//! overridable per file with `--prompts DIR`. Rendering is strict (a missing variable is
//! an error, not an empty string), and every template has a content hash that datasets
//! record, so a sample can be traced to the exact prompt that produced it.

use handlebars::Handlebars;
use serde::Serialize;
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::path::Path;

include!(concat!(env!("OUT_DIR"), "/prompts.rs"));

#[derive(Debug, thiserror::Error)]
pub enum PromptError {
    #[error("cannot read prompt override {path}: {reason}")]
    Read { path: String, reason: String },
    #[error("prompt template {name} does not parse: {reason}")]
    Template { name: String, reason: String },
    #[error("no prompt template named {0:?}")]
    Unknown(String),
    #[error("rendering prompt {name}: {reason}")]
    Render { name: String, reason: String },
}

/// The loaded templates, embedded defaults with any overrides applied.
#[derive(Debug)]
pub struct Prompts {
    registry: Handlebars<'static>,
    hashes: BTreeMap<String, String>,
    sources: BTreeMap<String, String>,
}

impl Prompts {
    /// The embedded templates.
    pub fn embedded() -> Result<Self, PromptError> {
        Self::load(None)
    }

    /// Embedded templates, with `dir/*.hbs` replacing (or adding) templates of the same name.
    pub fn load(override_dir: Option<&Path>) -> Result<Self, PromptError> {
        let mut sources: BTreeMap<String, String> =
            EMBEDDED.iter().map(|(name, text)| (name.to_string(), text.to_string())).collect();
        if let Some(dir) = override_dir {
            let read_err = |e: std::io::Error| PromptError::Read {
                path: dir.display().to_string(),
                reason: e.to_string(),
            };
            for entry in std::fs::read_dir(dir).map_err(read_err)? {
                let path = entry.map_err(read_err)?.path();
                if path.extension().is_some_and(|x| x == "hbs") {
                    let name = path.file_stem().unwrap_or_default().to_string_lossy().into_owned();
                    let text = std::fs::read_to_string(&path).map_err(|e| PromptError::Read {
                        path: path.display().to_string(),
                        reason: e.to_string(),
                    })?;
                    sources.insert(name, text);
                }
            }
        }
        let mut registry = Handlebars::new();
        registry.set_strict_mode(true);
        registry.register_escape_fn(handlebars::no_escape);
        let mut hashes = BTreeMap::new();
        for (name, text) in &sources {
            registry
                .register_template_string(name, text)
                .map_err(|e| PromptError::Template { name: name.clone(), reason: e.to_string() })?;
            hashes.insert(name.clone(), hex::encode(&Sha256::digest(text.as_bytes())[..8]));
        }
        Ok(Self { registry, hashes, sources })
    }

    pub fn render<T: Serialize>(&self, name: &str, data: &T) -> Result<String, PromptError> {
        if !self.registry.has_template(name) {
            return Err(PromptError::Unknown(name.to_string()));
        }
        self.registry
            .render(name, data)
            .map(|s| s.trim().to_string())
            .map_err(|e| PromptError::Render { name: name.to_string(), reason: e.to_string() })
    }

    /// Short content hash of a template (16 hex digits), recorded in provenance.
    pub fn hash(&self, name: &str) -> Option<&str> {
        self.hashes.get(name).map(String::as_str)
    }

    /// One hash over all templates, for dataset cards.
    pub fn combined_hash(&self) -> String {
        let mut h = Sha256::new();
        for (name, hash) in &self.hashes {
            h.update(name.as_bytes());
            h.update(hash.as_bytes());
        }
        hex::encode(&h.finalize()[..8])
    }

    /// A template's text (before rendering).
    pub fn source(&self, name: &str) -> Option<&str> {
        self.sources.get(name).map(String::as_str)
    }

    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.hashes.keys().map(String::as_str)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn every_embedded_template_renders_strictly_once_its_variables_are_given() {
        let p = Prompts::embedded().unwrap();
        assert_eq!(p.names().count(), EMBEDDED.len());
        for name in p.names() {
            assert_eq!(p.hash(name).unwrap().len(), 16);
        }
        assert!(matches!(p.render("no-such-template", &()), Err(PromptError::Unknown(_))));
        // Every template renders once each variable it names is given (strictly: a missing
        // one is an error naming it), and nothing of handlebars is left in the text.
        for name in p.names() {
            let (text, data) = render_filled(&p, name);
            assert!(!text.trim().is_empty() && !text.contains("{{"), "{name}: {text}");
            if data.as_object().is_some_and(|o| !o.is_empty()) {
                assert!(
                    p.render(name, &serde_json::json!({})).is_err(),
                    "{name} renders without its variables"
                );
            }
        }
    }

    /// Renders `name`, adding each variable strict mode reports missing (a list where the
    /// template iterates over it, else a word), at the top level or, when that does not
    /// help, in the items of the lists given so far.
    fn render_filled(p: &Prompts, name: &str) -> (String, serde_json::Value) {
        use serde_json::{Value, json};
        fn put(v: &mut Value, path: &[&str], value: &Value) {
            let Value::Object(o) = v else { return };
            match path {
                [] => {}
                [last] => {
                    o.insert(last.to_string(), value.clone());
                }
                [first, rest @ ..] => {
                    let inner = o.entry(first.to_string()).or_insert_with(|| json!({}));
                    if !inner.is_object() {
                        *inner = json!({});
                    }
                    put(inner, rest, value);
                }
            }
        }
        fn put_in_items(v: &mut Value, path: &[&str], value: &Value) {
            match v {
                Value::Array(items) => items.iter_mut().for_each(|item| {
                    put(item, path, value);
                    put_in_items(item, path, value);
                }),
                Value::Object(o) => o.values_mut().for_each(|x| put_in_items(x, path, value)),
                _ => {}
            }
        }
        let source = p.source(name).unwrap();
        let mut data = json!({});
        let mut last = String::new();
        for _ in 0..200 {
            let reason = match p.render(name, &data) {
                Ok(text) => return (text, data),
                Err(PromptError::Render { reason, .. }) => reason,
                Err(e) => panic!("{name}: {e}"),
            };
            let var = reason
                .split("strict mode Some(\"")
                .nth(1)
                .and_then(|r| r.split('"').next())
                .unwrap_or_else(|| panic!("{name}: not a missing variable: {reason}"))
                .trim_start_matches("this.")
                .to_string();
            let iterated =
                source.contains(&format!("#each {var}}}")) || source.contains(&format!("#each {var} "));
            let value = if iterated { json!([{}]) } else { json!("word") };
            let path: Vec<&str> = var.split('.').collect();
            if var == last {
                // Given at the top level and still missing: it belongs to a list's items.
                put_in_items(&mut data, &path, &value);
            } else {
                put(&mut data, &path, &value);
            }
            last = var;
        }
        panic!("{name}: still does not render: {data}");
    }

    #[test]
    fn override_dir_replaces_a_template() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("greeting.hbs"), "Hello {{name}}!").unwrap();
        let p = Prompts::load(Some(dir.path())).unwrap();
        let out = p.render("greeting", &serde_json::json!({"name": "Ada"})).unwrap();
        assert_eq!(out, "Hello Ada!");
        // Strict mode: a missing variable is an error, not silently empty.
        assert!(p.render("greeting", &serde_json::json!({})).is_err());
        assert_ne!(Prompts::embedded().unwrap().combined_hash(), p.combined_hash());
    }
}
