//! `languages.toml`: how to find self-contained functions in each language (see the
//! file's header for what each key means).

use serde::Deserialize;
use std::collections::BTreeMap;

const TABLE: &str = include_str!("../languages.toml");

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LangRules {
    pub extensions: Vec<String>,
    /// A file with no extension is this language's when its first line holds one of
    /// these (a shebang, an editor modeline).
    #[serde(default)]
    pub first_line: Vec<String>,
    pub functions: Vec<String>,
    pub parents: Vec<String>,
    /// A function assigned to this at the top level counts as one declared there
    /// (JavaScript's `module.exports = function name(…) {…}`).
    #[serde(default)]
    pub exported: Option<Exported>,
    #[serde(default)]
    pub require: Option<String>,
    pub name_path: Vec<String>,
    pub params_kinds: Vec<String>,
    pub type_params_kinds: Vec<String>,
    /// Call node kind → the field holding its callee.
    pub calls: BTreeMap<String, String>,
    pub name_kinds: Vec<String>,
    pub ref_kinds: Vec<String>,
    /// `[kind, field]`s whose names are the function's own locals ("" = the whole node).
    #[serde(default)]
    pub bindings: Vec<[String; 2]>,
    /// `[kind, field]`s whose names label, not reference (a keyword argument's name).
    #[serde(default)]
    pub labels: Vec<[String; 2]>,
    pub type_kinds: Vec<String>,
    pub builtin_types: Vec<String>,
    pub builtins: Vec<String>,
    pub denied: Vec<String>,
    pub denied_kinds: Vec<String>,
    pub imports: Vec<String>,
    #[serde(default)]
    pub import_specs: Option<String>,
    #[serde(default)]
    pub import_template: Option<String>,
    #[serde(default)]
    pub imports_all: bool,
    pub foreign: Vec<String>,
    /// The standard library's top-level modules, where the language can list them.
    #[serde(default)]
    pub standard: Vec<String>,
    /// Top-level declaration kind → the field holding the declared name.
    pub toplevel: BTreeMap<String, String>,
    /// Nodes with a body whose declarations are still the package's (a Java class).
    #[serde(default)]
    pub scopes: Vec<String>,
    pub doc: DocStyle,
    pub comment_kinds: Vec<String>,
    pub literal_kinds: Vec<String>,
    pub programs: bool,
}

/// A parent node `kind` whose `field` has exactly the text `text`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Exported {
    pub kind: String,
    pub field: String,
    pub text: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DocStyle {
    /// The first string statement of the body (Python docstrings).
    BodyString,
    /// The comments right above the function.
    PrecedingComments,
}

/// Every language's rules, by name. The table is part of the binary; a malformed one is
/// a build defect, which the tests catch.
pub fn rules() -> Result<BTreeMap<String, LangRules>, toml::de::Error> {
    toml::from_str(TABLE)
}
