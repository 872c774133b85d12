//! Finding the self-contained functions of one parsed file, by the rules of its language
//! (`languages.toml`; its header says what makes a function self-contained).

use crate::table::{DocStyle, LangRules};
use std::collections::HashSet;
use tree_sitter::{Node, Parser, Tree};

pub const MIN_LINES: usize = 3;
pub const MAX_LINES: usize = 60;

/// A function the rules accept, before provenance and dedup.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Found {
    pub entry_point: String,
    /// The header up to the body, on one line.
    pub signature: String,
    /// The standard imports it uses, then its doc comments and the function.
    pub code: String,
    /// The standard imports it uses, one statement each.
    pub imports: Vec<String>,
    /// Its doc comments and the function.
    pub function: String,
    pub doc: Option<String>,
    pub lines: usize,
}

/// What a file gave: its functions, and why the others were refused (reason → count).
#[derive(Debug, Default)]
pub struct FileHarvest {
    pub found: Vec<Found>,
    pub refused: Vec<&'static str>,
}

/// Parses `text` with `parser` (set to the file's grammar).
pub fn parse(parser: &mut Parser, text: &str) -> Option<Tree> {
    parser.parse(text, None)
}

/// Names declared at the top level of a parsed file (helpers, globals, types): a function
/// that uses one of another function's package is not self-contained.
pub fn toplevel_names(tree: &Tree, text: &str, rules: &LangRules, out: &mut HashSet<String>) {
    // Declarations under the root and under `scopes` (a Java class, a C++ namespace);
    // never inside a function or another node with a body, whose names are local.
    fn go(node: Node, depth: usize, text: &str, rules: &LangRules, out: &mut HashSet<String>) {
        let mut cursor = node.walk();
        for child in node.children(&mut cursor) {
            if let Some(field) = rules.toplevel.get(child.kind())
                && let Some(n) = child.child_by_field_name(field).and_then(|name| declared_name(name, text))
            {
                out.insert(n);
            }
            let opens =
                child.child_by_field_name("body").is_none() || rules.scopes.iter().any(|k| k == child.kind());
            if depth > 1 && opens {
                go(child, depth - 1, text, rules, out);
            }
        }
    }
    go(tree.root_node(), 3, text, rules, out);
}

/// The self-contained functions of a parsed file. `package` holds the top-level names of
/// every file of its directory.
pub fn functions(tree: &Tree, text: &str, rules: &LangRules, package: &HashSet<String>) -> FileHarvest {
    let root = tree.root_node();
    let imports = Imports::of(root, text, rules);
    let mut out = FileHarvest::default();
    let mut stack = vec![root];
    while let Some(node) = stack.pop() {
        if rules.functions.iter().any(|k| k == node.kind()) {
            let parent_ok = node
                .parent()
                .is_some_and(|p| rules.parents.iter().any(|k| k == p.kind()) || exported_by(p, text, rules));
            if parent_ok {
                match judge(node, text, rules, package, &imports) {
                    Ok(found) => out.found.push(found),
                    Err(reason) => out.refused.push(reason),
                }
            }
            continue;
        }
        let mut cursor = node.walk();
        let children: Vec<Node> = node.children(&mut cursor).collect();
        stack.extend(children.into_iter().rev());
    }
    out.found.sort_by(|a, b| a.entry_point.cmp(&b.entry_point));
    out
}

/// Whether `parent` is the language's export form at the top level (see
/// [`LangRules::exported`]).
fn exported_by(parent: Node, text: &str, rules: &LangRules) -> bool {
    let Some(e) = &rules.exported else { return false };
    let at_top =
        parent.parent().and_then(|s| s.parent()).is_some_and(|g| rules.parents.iter().any(|k| k == g.kind()));
    parent.kind() == e.kind
        && at_top
        && parent.child_by_field_name(&e.field).is_some_and(|f| node_text(f, text) == e.text)
}

fn judge(
    node: Node,
    text: &str,
    rules: &LangRules,
    package: &HashSet<String>,
    imports: &Imports,
) -> Result<Found, &'static str> {
    let lines = node.end_position().row - node.start_position().row + 1;
    if !(MIN_LINES..=MAX_LINES).contains(&lines) {
        return Err("length");
    }
    if node.has_error() {
        return Err("parse error");
    }
    let src = node_text(node, text);
    let body = node.child_by_field_name("body");
    let header_end = body.map_or(node.end_byte(), |b| b.start_byte());
    let header = &text[node.start_byte()..header_end];
    if let Some(word) = &rules.require
        && !words(header).any(|w| w == word)
    {
        return Err("not static");
    }
    let name = name_of(node, text, rules).ok_or("no name")?;

    // Every leaf token outside strings and comments.
    let mut tokens: Vec<(Node, &str)> = Vec::new();
    let mut denied_kind = false;
    visit(node, &mut |n| {
        if rules.denied_kinds.iter().any(|k| k == n.kind()) {
            denied_kind = true;
        }
        let k = n.kind();
        if rules.literal_kinds.iter().any(|l| l == k) || rules.comment_kinds.iter().any(|c| c == k) {
            return false;
        }
        // `x.name` (an attribute, a field, a method on an object) names nothing of the
        // package: only the object is a reference. Nor does a label (`f(key=1)`).
        let member =
            n.parent().and_then(|p| p.child_by_field_name("object")).is_some_and(|o| o.id() != n.id());
        if is_under(n, &rules.labels) {
            return false;
        }
        if n.child_count() == 0 && !member {
            tokens.push((n, node_text(n, text)));
        }
        true
    });
    if denied_kind {
        return Err("denied construct");
    }
    for d in &rules.denied {
        let as_text = d.contains("::") || d.contains('.');
        let hit = if as_text { src.contains(d.as_str()) } else { tokens.iter().any(|(_, t)| t == d) };
        if hit {
            return Err("I/O or global state");
        }
    }

    let mut params = names_in_kinds(node, body, text, &rules.params_kinds);
    params.extend(bound_names(node, text, &rules.bindings));
    let type_params = names_in_kinds(node, body, text, &rules.type_params_kinds);
    let used: HashSet<&str> = tokens.iter().map(|(_, t)| *t).collect();
    if imports.foreign.iter().any(|f| used.contains(f.as_str())) {
        return Err("foreign import");
    }
    let is_known = |w: &str| w == name || params.contains(w) || imports.names.contains(w);
    // No helper, global or type of the package.
    for (n, t) in &tokens {
        let declares_itself = *t == name;
        if !declares_itself
            && package.contains(*t)
            && !is_known(t)
            && rules.ref_kinds.iter().any(|k| k == n.kind())
        {
            return Err("package name");
        }
    }
    // Bare calls: itself, a parameter, a builtin, or a standard import.
    let mut bad_call = false;
    visit(node, &mut |n| {
        if let Some(field) = rules.calls.get(n.kind()) {
            // A call on a value or a module (`x.f()`, `obj.m()`): only bare names are checked.
            let on_object = n.child_by_field_name("object").is_some();
            if let Some(callee) = n.child_by_field_name(field)
                && !on_object
                && rules.name_kinds.iter().any(|k| k == callee.kind())
            {
                let c = node_text(callee, text).trim();
                if !is_known(c) && !rules.builtins.iter().any(|b| b == c) {
                    bad_call = true;
                }
            }
        }
        true
    });
    if bad_call {
        return Err("calls a non-standard function");
    }
    for (n, t) in &tokens {
        if rules.type_kinds.iter().any(|k| k == n.kind())
            && !rules.builtin_types.iter().any(|b| b == t)
            && !type_params.contains(*t)
            && !imports.names.contains(*t)
        {
            return Err("non-standard type");
        }
    }

    let doc_comments = preceding_comments(node, text, rules);
    let doc = match rules.doc {
        DocStyle::BodyString => body.and_then(|b| body_string(b, text)),
        DocStyle::PrecedingComments => {
            (!doc_comments.is_empty()).then(|| clean_comment(&doc_comments.join("\n")))
        }
    };
    let needed: Vec<String> = imports.needed(&used, rules.imports_all).map(String::from).collect();
    let mut function = String::new();
    for c in &doc_comments {
        function.push_str(c);
        function.push('\n');
    }
    function.push_str(&dedent(src, node.start_position().column));
    function.push('\n');
    let code =
        if needed.is_empty() { function.clone() } else { format!("{}\n\n{function}", needed.join("\n")) };
    Ok(Found {
        entry_point: name,
        signature: header
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ")
            .trim_end_matches(['{', ':'])
            .trim()
            .into(),
        code,
        imports: needed,
        function,
        doc,
        lines,
    })
}

/// The file's imports: the standard ones (with the names they give) and the names of the
/// foreign ones.
#[derive(Debug, Default)]
struct Imports {
    standard: Vec<(String, HashSet<String>)>,
    names: HashSet<String>,
    foreign: HashSet<String>,
}

/// Words of an import statement that name no imported thing.
const IMPORT_WORDS: &[&str] = &[
    "use",
    "import",
    "from",
    "as",
    "std",
    "include",
    "h",
    "java",
    "util",
    "lang",
    "static",
    "using",
    "namespace",
];

impl Imports {
    fn of(root: Node, text: &str, rules: &LangRules) -> Imports {
        let mut out = Imports::default();
        visit_shallow(root, 2, &mut |node| {
            if !rules.imports.iter().any(|k| k == node.kind()) {
                return;
            }
            // Each import statement, with the names it gives: a spec gives one (its alias,
            // or its path's last part, as Go's `"unicode/utf8"` gives `utf8`); a whole
            // statement gives all its words.
            let mut parts: Vec<(String, Option<String>)> = Vec::new();
            match (&rules.import_specs, &rules.import_template) {
                (Some(spec), Some(template)) => visit(node, &mut |n| {
                    if n.kind() == spec {
                        let spec_text = node_text(n, text);
                        let name = n
                            .child_by_field_name("name")
                            .map(|a| node_text(a, text).to_string())
                            .or_else(|| words(spec_text).last().map(String::from));
                        parts.push((template.replace("{}", spec_text), name));
                        return false;
                    }
                    true
                }),
                _ => parts.push((node_text(node, text).trim().to_string(), None)),
            }
            for (part, given) in parts {
                let names: HashSet<String> = match given {
                    Some(name) => HashSet::from([name]),
                    None => words(&part).filter(|w| !IMPORT_WORDS.contains(w)).map(String::from).collect(),
                };
                // The module: the first word that is not a keyword, up to its first dot.
                let module = words(&part).find(|w| !IMPORT_WORDS.contains(w)).unwrap_or_default();
                let non_standard = !rules.standard.is_empty() && !rules.standard.iter().any(|m| m == module);
                if non_standard || rules.foreign.iter().any(|f| part.contains(f.as_str())) {
                    out.foreign.extend(names);
                } else {
                    out.names.extend(names.iter().cloned());
                    out.standard.push((part, names));
                }
            }
        });
        out
    }

    /// The standard imports a function using `used` needs (all of them with `all`).
    fn needed<'a>(&'a self, used: &HashSet<&str>, all: bool) -> impl Iterator<Item = &'a str> {
        let picked: Vec<&str> = self
            .standard
            .iter()
            .filter(|(_, names)| all || names.iter().any(|n| used.contains(n.as_str())))
            .map(|(line, _)| line.as_str())
            .collect();
        picked.into_iter()
    }
}

fn node_text<'a>(node: Node, text: &'a str) -> &'a str {
    &text[node.byte_range()]
}

fn words(s: &str) -> impl Iterator<Item = &str> {
    s.split(|c: char| !c.is_alphanumeric() && c != '_').filter(|w| !w.is_empty())
}

/// Depth-first over `node`; `f` returns false to skip a node's children.
fn visit<'t>(node: Node<'t>, f: &mut dyn FnMut(Node<'t>) -> bool) {
    if !f(node) {
        return;
    }
    let mut cursor = node.walk();
    for child in node.children(&mut cursor) {
        visit(child, f);
    }
}

/// The nodes of the first `depth` levels under `root`.
fn visit_shallow<'t>(root: Node<'t>, depth: usize, f: &mut dyn FnMut(Node<'t>)) {
    fn go<'t>(node: Node<'t>, left: usize, f: &mut dyn FnMut(Node<'t>)) {
        let mut cursor = node.walk();
        for child in node.children(&mut cursor) {
            f(child);
            if left > 1 {
                go(child, left - 1, f);
            }
        }
    }
    go(root, depth, f);
}

/// The function's name: follow `name_path` fields (C declarators nest) to a name node.
fn name_of(node: Node, text: &str, rules: &LangRules) -> Option<String> {
    let mut at = node;
    for field in &rules.name_path {
        if rules.name_kinds.iter().any(|k| k == at.kind()) || at.kind() == "word" {
            break;
        }
        match at.child_by_field_name(field) {
            Some(next) => at = next,
            None => break,
        }
    }
    let name = node_text(at, text).trim();
    let ok = !name.is_empty() && name.chars().all(|c| c.is_alphanumeric() || c == '_');
    ok.then(|| name.to_string())
}

/// The first named leaf of a declaration's name field (`x` of `int *x[3]`, `a` of `a = 1`).
fn declared_name(node: Node, text: &str) -> Option<String> {
    let mut found = None;
    visit(node, &mut |n| {
        if found.is_some() {
            return false;
        }
        if n.child_count() == 0 && n.is_named() {
            found = Some(node_text(n, text).to_string());
            return false;
        }
        true
    });
    found
}

/// Identifier texts inside the function's nodes of `kinds`, outside its body and outside
/// default values.
fn names_in_kinds(node: Node, body: Option<Node>, text: &str, kinds: &[String]) -> HashSet<String> {
    let mut out = HashSet::new();
    let body_range = body.map(|b| b.byte_range());
    visit(node, &mut |n| {
        if body_range.as_ref().is_some_and(|r| r.contains(&n.start_byte())) {
            return false;
        }
        if kinds.iter().any(|k| k == n.kind()) {
            visit(n, &mut |leaf| {
                // A default value (`width=_WIDTH`) is a reference, not a parameter.
                let default = leaf
                    .parent()
                    .and_then(|p| p.child_by_field_name("value"))
                    .is_some_and(|v| v.id() == leaf.id());
                if default {
                    return false;
                }
                if leaf.child_count() == 0 && leaf.kind().ends_with("identifier") {
                    out.insert(node_text(leaf, text).to_string());
                }
                true
            });
            return false;
        }
        true
    });
    out
}

/// Whether `n` is the `field` child of a `kind` node of `pairs` (or, for an empty field,
/// is such a node).
fn is_under(n: Node, pairs: &[[String; 2]]) -> bool {
    pairs.iter().any(|[kind, field]| {
        if field.is_empty() {
            return n.kind() == kind;
        }
        n.parent().is_some_and(|p| {
            p.kind() == kind && p.child_by_field_name(field).is_some_and(|c| c.id() == n.id())
        })
    })
}

/// A member or element access (`a.b`, `a[i]`, `a->b`), in any of the grammars.
fn is_access(n: Node) -> bool {
    let k = n.kind();
    n.child_by_field_name("object").is_some()
        || ["attribute", "subscript", "member", "field_expression", "selector", "index"]
            .iter()
            .any(|a| k.contains(a))
}

/// The names bound inside `node` by its `bindings` (assignment targets, loop variables,
/// closure parameters): the function's locals.
fn bound_names(node: Node, text: &str, bindings: &[[String; 2]]) -> HashSet<String> {
    let mut out = HashSet::new();
    visit(node, &mut |n| {
        if is_under(n, bindings) {
            visit(n, &mut |inner| {
                // `obj.attr = v` and `table[k] = v` bind nothing: they write into `obj`
                // and `table`, which may be the package's.
                if is_access(inner) {
                    return false;
                }
                if inner.child_count() == 0 && inner.is_named() {
                    out.insert(node_text(inner, text).to_string());
                }
                true
            });
            return false;
        }
        true
    });
    out
}

/// The comment lines right above `node` (no blank line between), top first.
fn preceding_comments<'a>(node: Node, text: &'a str, rules: &LangRules) -> Vec<&'a str> {
    let mut out = Vec::new();
    let mut row = node.start_position().row;
    let mut at = node.prev_sibling();
    while let Some(prev) = at {
        let adjacent = prev.end_position().row + 1 >= row;
        if !adjacent || !rules.comment_kinds.iter().any(|k| k == prev.kind()) {
            break;
        }
        out.push(node_text(prev, text));
        row = prev.start_position().row;
        at = prev.prev_sibling();
    }
    out.reverse();
    out
}

/// A Python docstring: the body's first statement, when it is a string.
fn body_string(body: Node, text: &str) -> Option<String> {
    let first = body.named_child(0)?;
    let string = if first.kind() == "expression_statement" { first.named_child(0)? } else { first };
    if string.kind() != "string" {
        return None;
    }
    let raw = node_text(string, text);
    let inner =
        raw.trim_start_matches(['r', 'u', 'b', 'R', 'U', 'B']).trim_matches(|c| c == '"' || c == '\'');
    let doc = dedent_block(inner);
    (!doc.is_empty()).then_some(doc)
}

/// Comment text without its markers (`//`, `///`, `/* */`, `#`, leading `*`).
fn clean_comment(raw: &str) -> String {
    raw.lines()
        .map(|l| {
            let l = l.trim();
            let l = l.trim_start_matches("/**").trim_start_matches("/*").trim_end_matches("*/");
            let l = l.trim_start_matches('/').trim_start_matches('!').trim_start_matches('#');
            l.trim_start_matches('*').trim()
        })
        .filter(|l| !l.is_empty())
        .collect::<Vec<_>>()
        .join("\n")
}

fn dedent_block(s: &str) -> String {
    s.lines().map(str::trim).collect::<Vec<_>>().join("\n").trim().to_string()
}

/// A node's text with the indentation of its first line taken off every line.
fn dedent(src: &str, column: usize) -> String {
    let mut lines = src.lines();
    let mut out = lines.next().unwrap_or_default().to_string();
    for line in lines {
        out.push('\n');
        let strip = line.chars().take(column).take_while(|c| c.is_whitespace()).count();
        out.push_str(&line[line.char_indices().nth(strip).map_or(line.len(), |(i, _)| i)..]);
    }
    out
}
