//! The tree-sitter grammar of each language of `languages.toml`: the one place where a
//! language name meets compiled code.

use tree_sitter::Language;

/// The grammar for `lang`, or `None` for a language without one.
pub fn grammar(lang: &str) -> Option<Language> {
    let f = match lang {
        "python" => tree_sitter_python::LANGUAGE,
        "rust" => tree_sitter_rust::LANGUAGE,
        "go" => tree_sitter_go::LANGUAGE,
        "javascript" => tree_sitter_javascript::LANGUAGE,
        "typescript" => tree_sitter_typescript::LANGUAGE_TYPESCRIPT,
        "java" => tree_sitter_java::LANGUAGE,
        "c" => tree_sitter_c::LANGUAGE,
        "cpp" => tree_sitter_cpp::LANGUAGE,
        "bash" => tree_sitter_bash::LANGUAGE,
        _ => return None,
    };
    Some(f.into())
}
