//! Stage two of configuration (ripgrep's `HiArgs`): raw flags, environment and `gen.toml`
//! are resolved once into validated config values. Nothing downstream re-reads flags.
//! Precedence: flag > environment > gen.toml > built-in default.

use crate::args::{CodeArgs, FolArgs, ModelArgs, RunArgs};
use datasets::export::ExportFormat;
use provers::skeleton::DepthRange;
use serde::Deserialize;
use std::path::{Path, PathBuf};
use std::str::FromStr;

/// A configuration problem: the user's input is wrong. Exit status 2.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("invalid {flag}: {message}")]
    Invalid { flag: &'static str, message: String },
    #[error("{path}:{line}: {message}")]
    File { path: String, line: usize, message: String },
    /// The local model file is missing, damaged or not a model.
    #[error("{0}")]
    Model(String),
}

fn invalid(flag: &'static str, message: impl Into<String>) -> ConfigError {
    ConfigError::Invalid { flag, message: message.into() }
}

/// Defaults read from `gen.toml`; every key mirrors a flag.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileConfig {
    #[serde(default)]
    pub run: FileRun,
    #[serde(default)]
    pub model: FileModel,
    #[serde(default)]
    pub fol: FileFol,
    #[serde(default)]
    pub code: FileCode,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileRun {
    pub out: Option<PathBuf>,
    pub n: Option<i64>,
    pub seed: Option<u64>,
    pub memory: Option<PathBuf>,
    pub prompts: Option<PathBuf>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileModel {
    pub api_base: Option<String>,
    pub model: Option<String>,
    pub local_model: Option<String>,
    pub model_path: Option<PathBuf>,
    pub concurrency: Option<i64>,
    pub rpm: Option<u64>,
    pub tpm: Option<u64>,
    pub timeout: Option<f64>,
    pub max_retries: Option<u32>,
    pub max_cost: Option<f64>,
    pub max_total_tokens: Option<u64>,
    pub price_in: Option<f64>,
    pub price_out: Option<f64>,
}

/// `depth = 5` or `depth = "3-5"` in gen.toml, checked as the file is read (so a bad
/// value is an error naming the file and line).
#[derive(Debug, Clone, Copy)]
pub struct FileDepth(DepthRange);

impl<'de> Deserialize<'de> for FileDepth {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<FileDepth, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Raw {
            One(i64),
            Range(String),
        }
        let text = match Raw::deserialize(d)? {
            Raw::One(n) => n.to_string(),
            Raw::Range(r) => r,
        };
        DepthRange::parse(&text).map(FileDepth).map_err(serde::de::Error::custom)
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileFol {
    pub depth: Option<FileDepth>,
    pub tier: Option<String>,
    pub distractors: Option<u32>,
    pub labels: Option<String>,
    pub narrator: Option<String>,
    pub logic: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileCode {
    pub langs: Option<Vec<String>>,
    pub protocol: Option<String>,
    pub discussion: Option<String>,
    pub rounds: Option<u32>,
    pub max_attempts: Option<u64>,
}

impl FileConfig {
    /// Reads `path`, or `./gen.toml` when no path is given and it exists.
    pub fn load(path: Option<&Path>) -> Result<Self, ConfigError> {
        let (path, required) = match path {
            Some(p) => (p.to_path_buf(), true),
            None => (PathBuf::from("gen.toml"), false),
        };
        let text = match std::fs::read_to_string(&path) {
            Ok(t) => t,
            Err(e) if !required && e.kind() == std::io::ErrorKind::NotFound => {
                return Ok(Self::default());
            }
            Err(e) => return Err(invalid("--config", format!("cannot read {}: {e}", path.display()))),
        };
        toml::from_str(&text).map_err(|e| {
            let line = e.span().map(|s| text[..s.start].lines().count().max(1)).unwrap_or(1);
            ConfigError::File { path: path.display().to_string(), line, message: e.message().to_string() }
        })
    }
}

/// Which model backend answers.
#[derive(Debug, Clone, PartialEq)]
pub enum Backend {
    /// A GGUF model run in-process.
    Local(LocalChoice),
    /// An OpenAI-compatible HTTP endpoint.
    OpenAi { api_base: String, model: String },
}

/// Which GGUF file the local backend loads.
#[derive(Debug, Clone, PartialEq)]
pub enum LocalChoice {
    /// A model of the table `llm/models.toml` (checked against its size and sha256).
    Named(llm::ModelSpec),
    /// Any GGUF file (`--model-path`).
    File(PathBuf),
}

impl LocalChoice {
    /// The name the backend will report (the file's stem), known without loading it.
    pub fn model_name(&self) -> String {
        match self {
            Self::Named(spec) => spec.model_name(),
            Self::File(path) => {
                path.file_stem().map_or_else(|| "local".into(), |s| s.to_string_lossy().into_owned())
            }
        }
    }
}

#[derive(Debug, Clone)]
pub struct ModelConfig {
    pub backend: Backend,
    pub concurrency: usize,
    pub rpm: u64,
    pub tpm: u64,
    /// Per-request timeout; `None` only for the local backend without `--timeout`.
    pub timeout_secs: Option<f64>,
    pub max_retries: u32,
    pub cache: bool,
    /// Local backend: reuse the KV cache of prompt prefixes decoded before.
    pub prefix_cache: bool,
    pub budget: llm::Budget,
}

impl ModelConfig {
    /// The model's name as earlier runs' observed usage is filed under in memory (known
    /// without loading or calling the model).
    pub fn usage_name(&self) -> String {
        match &self.backend {
            Backend::OpenAi { model, .. } => model.clone(),
            Backend::Local(choice) => format!("local:{}", choice.model_name()),
        }
    }
}

/// Built-in prices (USD per million prompt / completion tokens) for common model names;
/// local models cost nothing. Override with --price-in/--price-out or gen.toml.
pub fn builtin_price(model: &str) -> (f64, f64) {
    const TABLE: &[(&str, f64, f64)] = &[
        ("gpt-4o-mini", 0.15, 0.60),
        ("gpt-4o", 2.50, 10.0),
        ("gpt-4.1-nano", 0.10, 0.40),
        ("gpt-4.1-mini", 0.40, 1.60),
        ("gpt-4.1", 2.0, 8.0),
        ("o3-mini", 1.10, 4.40),
    ];
    // Longest matching prefix wins, so "gpt-4o-mini-2024-07-18" is priced as gpt-4o-mini.
    TABLE
        .iter()
        .filter(|(name, _, _)| model.starts_with(name))
        .max_by_key(|(name, _, _)| name.len())
        .map(|&(_, i, o)| (i, o))
        .unwrap_or((0.0, 0.0))
}

/// One machine's slice of the work items: item i belongs here iff i % count == index.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shard {
    pub index: u64,
    pub count: u64,
}

#[derive(Debug, Clone)]
pub struct RunConfig {
    pub out: PathBuf,
    pub n: u64,
    pub seed: u64,
    pub shard: Shard,
    pub memory: PathBuf,
    pub prompts: Option<PathBuf>,
    pub dry_run: bool,
    /// The command line, recorded in dataset cards.
    pub command: String,
}

#[derive(Debug, Clone)]
pub struct FolConfig {
    pub run: RunConfig,
    pub model: ModelConfig,
    pub depths: DepthRange,
    pub distractors: Option<u32>,
    pub labels: String,
    pub narrator_llm: bool,
    pub logic: agents::fol::Logic,
    pub smtlib: Option<PathBuf>,
    pub formats: Vec<ExportFormat>,
}

#[derive(Debug, Clone)]
pub struct CodeConfig {
    pub run: RunConfig,
    pub model: ModelConfig,
    pub langs: Vec<String>,
    pub seeds: SeedChoice,
    /// Which licences let a harvested seed be an answer verbatim (`--seed-licences`).
    pub seed_licences: agents::code::seeds::LicencePolicy,
    pub protocol: agents::code::Protocol,
    pub parallel_discussion: bool,
    pub rounds: u32,
    pub max_attempts: u64,
    pub decontam: Vec<PathBuf>,
    pub judge: bool,
    pub min_score: f64,
    pub min_mutation_score: f64,
    pub formats: Vec<ExportFormat>,
    pub unsafe_no_sandbox: bool,
}

pub fn resolve_model(raw: &ModelArgs, file: &FileModel) -> Result<ModelConfig, ConfigError> {
    resolve_model_or(raw, file, &llm::models::table().default)
}

/// [`resolve_model`] with `default` as the local model when none is named.
pub fn resolve_model_or(
    raw: &ModelArgs,
    file: &FileModel,
    default: &str,
) -> Result<ModelConfig, ConfigError> {
    let api_base = raw.api_base.clone().or_else(|| file.api_base.clone());
    let backend = match api_base {
        Some(base) => {
            let parsed = url::Url::parse(&base).map_err(|e| {
                invalid(
                    "--api-base",
                    format!("{base:?} is not a URL ({e}); expected e.g. http://localhost:8000/v1"),
                )
            })?;
            if !matches!(parsed.scheme(), "http" | "https") || parsed.host().is_none() {
                return Err(invalid(
                    "--api-base",
                    format!(
                        "{base:?} must be an http:// or https:// URL with a host, e.g. http://localhost:8000/v1"
                    ),
                ));
            }
            let model =
                raw.model.clone().or_else(|| file.model.clone()).unwrap_or_else(|| "gpt-4o-mini".into());
            Backend::OpenAi { api_base: base.trim_end_matches('/').to_string(), model }
        }
        None => Backend::Local(resolve_local(raw, file, default)?),
    };
    let local = matches!(backend, Backend::Local(_));
    if !local && raw.no_prefix_cache {
        return Err(invalid(
            "--no-prefix-cache",
            "applies to the local model only, not to an --api-base endpoint",
        ));
    }
    // Limits that only an HTTP endpoint has: on the local model they would do nothing.
    for (flag, set) in [
        ("--rpm", raw.rpm.or(file.rpm).is_some_and(|v| v > 0)),
        ("--tpm", raw.tpm.or(file.tpm).is_some_and(|v| v > 0)),
        ("--max-retries", raw.max_retries.or(file.max_retries).is_some()),
    ] {
        if local && set {
            return Err(invalid(
                flag,
                "applies to an --api-base endpoint only; the local model has no rate limits or retries \
                 (its pace is --concurrency, its time limit --timeout)",
            ));
        }
    }
    let concurrency = raw.concurrency.or(file.concurrency).unwrap_or(8);
    if !(1..=4096).contains(&concurrency) {
        return Err(invalid("--concurrency", format!("must be between 1 and 4096, got {concurrency}")));
    }
    let timeout_secs = raw.timeout.or(file.timeout).or((!local).then_some(120.0));
    if let Some(t) = timeout_secs
        && !(t > 0.0 && t.is_finite())
    {
        return Err(invalid("--timeout", format!("must be a positive number of seconds, got {t}")));
    }
    let (default_in, default_out) = match &backend {
        Backend::OpenAi { model, .. } => builtin_price(model),
        Backend::Local(_) => (0.0, 0.0),
    };
    let price = |flag: &'static str, v: Option<f64>, default: f64| match v {
        Some(p) if !(p >= 0.0 && p.is_finite()) => {
            Err(invalid(flag, format!("must be a non-negative price in USD per million tokens, got {p}")))
        }
        Some(p) => Ok(p),
        None => Ok(default),
    };
    let budget = llm::Budget {
        max_cost: raw.max_cost.or(file.max_cost),
        max_tokens: raw.max_total_tokens.or(file.max_total_tokens),
        price_in: price("--price-in", raw.price_in.or(file.price_in), default_in)?,
        price_out: price("--price-out", raw.price_out.or(file.price_out), default_out)?,
    };
    if let Some(c) = budget.max_cost
        && !(c > 0.0 && c.is_finite())
    {
        return Err(invalid("--max-cost", format!("must be a positive amount of USD, got {c}")));
    }
    if budget.max_tokens == Some(0) {
        return Err(invalid("--max-total-tokens", "must be at least 1"));
    }
    Ok(ModelConfig {
        budget,
        backend,
        concurrency: concurrency as usize,
        rpm: raw.rpm.or(file.rpm).unwrap_or(0),
        tpm: raw.tpm.or(file.tpm).unwrap_or(0),
        timeout_secs,
        max_retries: raw.max_retries.or(file.max_retries).unwrap_or(5),
        cache: !raw.no_cache,
        prefix_cache: !raw.no_prefix_cache,
    })
}

/// `--model-path FILE`, else `--local-model NAME`, else `default` (a name in the table).
fn resolve_local(raw: &ModelArgs, file: &FileModel, default: &str) -> Result<LocalChoice, ConfigError> {
    if let Some(path) = raw.model_path.clone() {
        return Ok(LocalChoice::File(path));
    }
    if let (None, Some(path)) = (&raw.local_model, &file.model_path) {
        return Ok(LocalChoice::File(path.clone()));
    }
    let table = llm::models::table();
    let name =
        raw.local_model.clone().or_else(|| file.local_model.clone()).unwrap_or_else(|| default.to_string());
    match table.get(&name) {
        Some(spec) => Ok(LocalChoice::Named(spec.clone())),
        None => Err(invalid(
            "--local-model",
            format!(
                "unknown model {name:?}; llm/models.toml has {} (or pass --model-path FILE)",
                table.names()
            ),
        )),
    }
}

pub fn resolve_run(
    raw: &RunArgs,
    file: &FileRun,
    default_out: &str,
    default_n: i64,
) -> Result<RunConfig, ConfigError> {
    let n = raw.n.or(file.n).unwrap_or(default_n);
    if !(1..=100_000_000).contains(&n) {
        return Err(invalid("-n", format!("must be a positive count of records (1..=100000000), got {n}")));
    }
    let out = raw.out.clone().or_else(|| file.out.clone()).unwrap_or_else(|| PathBuf::from(default_out));
    check_writable_dir(&out)?;
    let memory =
        raw.memory.clone().or_else(|| file.memory.clone()).unwrap_or_else(|| out.join("memory.sled"));
    let prompts = raw.prompts.clone().or_else(|| file.prompts.clone());
    if let Some(dir) = &prompts
        && !dir.is_dir()
    {
        return Err(invalid("--prompts", format!("{} is not a directory of *.hbs templates", dir.display())));
    }
    Ok(RunConfig {
        out,
        n: n as u64,
        seed: raw.seed.or(file.seed).unwrap_or(0),
        shard: resolve_shard(raw.shard.as_deref(), raw.shards)?,
        memory,
        prompts,
        dry_run: raw.dry_run,
        command: std::env::args().collect::<Vec<_>>().join(" "),
    })
}

/// The output directory must exist (or be creatable) and accept new files.
fn check_writable_dir(out: &Path) -> Result<(), ConfigError> {
    if out.exists() && !out.is_dir() {
        return Err(invalid("--out", format!("{} exists and is not a directory", out.display())));
    }
    std::fs::create_dir_all(out)
        .map_err(|e| invalid("--out", format!("cannot create directory {}: {e}", out.display())))?;
    let probe = out.join(format!(".gen-write-probe-{}", std::process::id()));
    std::fs::write(&probe, b"")
        .map_err(|e| invalid("--out", format!("directory {} is not writable: {e}", out.display())))?;
    let _ = std::fs::remove_file(probe);
    Ok(())
}

pub fn resolve_shard(raw: Option<&str>, shards: Option<u64>) -> Result<Shard, ConfigError> {
    let env = |k: &str| std::env::var(k).ok();
    resolve_shard_with(raw, shards, &env)
}

fn resolve_shard_with(
    raw: Option<&str>,
    shards: Option<u64>,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<Shard, ConfigError> {
    let parse = |s: String, what: &str| {
        s.trim()
            .parse::<u64>()
            .map_err(|_| invalid("--shard", format!("{what}={s:?} is not a non-negative integer")))
    };
    let (index, count) = match raw {
        None => (0, 1),
        Some("auto") => {
            if let (Some(id), Some(count)) = (env("SLURM_ARRAY_TASK_ID"), env("SLURM_ARRAY_TASK_COUNT")) {
                (parse(id, "SLURM_ARRAY_TASK_ID")?, parse(count, "SLURM_ARRAY_TASK_COUNT")?)
            } else if let Some(id) = env("JOB_COMPLETION_INDEX") {
                let count = shards.ok_or_else(|| {
                    invalid(
                        "--shard",
                        "auto with JOB_COMPLETION_INDEX needs --shards N (the Job's completions)",
                    )
                })?;
                (parse(id, "JOB_COMPLETION_INDEX")?, count)
            } else {
                return Err(invalid(
                    "--shard",
                    "auto needs SLURM_ARRAY_TASK_ID and SLURM_ARRAY_TASK_COUNT, or JOB_COMPLETION_INDEX",
                ));
            }
        }
        Some(s) => {
            let (k, n) = s
                .split_once('/')
                .ok_or_else(|| invalid("--shard", format!("expected k/n or auto, got {s:?}")))?;
            (parse(k.to_string(), "k")?, parse(n.to_string(), "n")?)
        }
    };
    if count == 0 || index >= count {
        return Err(invalid(
            "--shard",
            format!("index must be below the shard count (0 <= k < n), got {index}/{count}"),
        ));
    }
    Ok(Shard { index, count })
}

pub fn resolve_fol(raw: &FolArgs, file: &FileConfig) -> Result<FolConfig, ConfigError> {
    let depths = match (&raw.depth, &raw.tier, &file.fol.depth, &file.fol.tier) {
        (Some(d), _, _, _) => DepthRange::parse(d).map_err(|e| invalid("--depth", e.to_string()))?,
        (None, Some(t), _, _) => DepthRange::tier(t).map_err(|e| invalid("--tier", e.to_string()))?,
        (None, None, Some(d), _) => d.0,
        (None, None, None, Some(t)) => DepthRange::tier(t).map_err(|e| invalid("--tier", e.to_string()))?,
        (None, None, None, None) => DepthRange::one(3),
    };
    let narrator =
        raw.narrator.clone().or_else(|| file.fol.narrator.clone()).unwrap_or_else(|| "template".into());
    let narrator_llm = match narrator.as_str() {
        "template" => false,
        "llm" => true,
        other => return Err(invalid("--narrator", format!("must be `template` or `llm`, got {other:?}"))),
    };
    let logic_name = raw.logic.clone().or_else(|| file.fol.logic.clone()).unwrap_or_else(|| "monadic".into());
    let logic = agents::fol::Logic::parse(&logic_name).ok_or_else(|| {
        invalid("--logic", format!("must be `monadic` or `relational`, got {logic_name:?}"))
    })?;
    if logic == agents::fol::Logic::Relational && narrator_llm {
        return Err(invalid(
            "--logic",
            "relational problems are narrated by templates only (`--narrator template`)",
        ));
    }
    let formats =
        split_formats(raw.format.as_deref(), &["instruct", "chat", "alpaca", "parquet", "proverqa"])?;
    Ok(FolConfig {
        run: resolve_run(&raw.run, &file.run, "out/fol", 100)?,
        // Narration has its own default local model, chosen by measurement (models.toml).
        model: resolve_model_or(&raw.model, &file.model, &llm::models::table().narrator)?,
        depths,
        distractors: raw.distractors.or(file.fol.distractors),
        labels: raw.labels.clone().or_else(|| file.fol.labels.clone()).unwrap_or_else(|| "balanced".into()),
        narrator_llm,
        logic,
        smtlib: raw.smtlib.clone(),
        formats,
    })
}

pub fn resolve_code(
    raw: &CodeArgs,
    file: &FileConfig,
    known_langs: &[String],
) -> Result<CodeConfig, ConfigError> {
    let langs =
        raw.langs.clone().or_else(|| file.code.langs.clone()).unwrap_or_else(|| vec!["python".into()]);
    let langs: Vec<String> =
        langs.iter().map(|l| l.trim().to_ascii_lowercase()).filter(|l| !l.is_empty()).collect();
    if langs.is_empty() {
        return Err(invalid(
            "--langs",
            format!("name at least one language; known: {}", known_langs.join(", ")),
        ));
    }
    for lang in &langs {
        if !known_langs.contains(lang) {
            return Err(invalid(
                "--langs",
                format!("unknown language {lang:?}; known: {}", known_langs.join(", ")),
            ));
        }
    }
    let discussion = raw
        .discussion
        .clone()
        .or_else(|| file.code.discussion.clone())
        .unwrap_or_else(|| "centralized".into());
    let parallel_discussion = match discussion.as_str() {
        "centralized" => false,
        "parallel" => true,
        other => {
            return Err(invalid(
                "--discussion",
                format!("must be `centralized` or `parallel`, got {other:?}"),
            ));
        }
    };
    let protocol = match raw.protocol.clone().or_else(|| file.code.protocol.clone()).as_deref() {
        None | Some("derived") => agents::code::Protocol::Derived,
        Some("discussion") => agents::code::Protocol::Discussion,
        Some(other) => {
            return Err(invalid("--protocol", format!("must be `derived` or `discussion`, got {other:?}")));
        }
    };
    // Checked before the run's directory is made, so bad input writes nothing.
    let seeds = seed_choice(raw.seeds.as_deref())?;
    let seed_licences = match raw.seed_licences.as_deref() {
        None => agents::code::seeds::LicencePolicy::default(),
        Some(spec) => {
            agents::code::seeds::LicencePolicy::parse(spec).map_err(|e| invalid("--seed-licences", e))?
        }
    };
    let run = resolve_run(&raw.run, &file.run, "out/code", 8)?;
    let max_attempts = raw.max_attempts.or(file.code.max_attempts).unwrap_or(run.n * 6);
    if max_attempts < run.n {
        return Err(invalid(
            "--max-attempts",
            format!("must be at least -n ({}), got {max_attempts}", run.n),
        ));
    }
    let min_mutation_score = raw.min_mutation_score.unwrap_or(0.5);
    if !(0.0..=1.0).contains(&min_mutation_score) {
        return Err(invalid(
            "--min-mutation-score",
            format!("must be between 0 and 1, got {min_mutation_score}"),
        ));
    }
    let min_score = raw.min_score.unwrap_or(6.0);
    if !(0.0..=10.0).contains(&min_score) {
        return Err(invalid("--min-score", format!("must be between 0 and 10, got {min_score}")));
    }
    for f in &raw.decontam {
        if !f.is_file() {
            return Err(invalid("--decontam", format!("{} is not a readable file", f.display())));
        }
    }
    Ok(CodeConfig {
        model: resolve_model(&raw.model, &file.model)?,
        formats: split_formats(raw.format.as_deref(), &["chat", "alpaca", "parquet"])?,
        langs,
        seeds,
        seed_licences,
        protocol,
        parallel_discussion,
        rounds: raw.rounds.or(file.code.rounds).unwrap_or(1).clamp(1, 16),
        max_attempts,
        decontam: raw.decontam.clone(),
        judge: raw.judge,
        min_score,
        min_mutation_score,
        unsafe_no_sandbox: raw.unsafe_no_sandbox,
        run,
    })
}

/// Where `gen code` takes its seeds from (`--seeds`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SeedChoice {
    /// The harvested built-in corpus (`gen seeds harvest --builtin`) when it is there,
    /// else the embedded seeds, with a warning.
    Corpus(PathBuf),
    /// `--seeds builtin`: the three embedded seeds per language.
    Embedded,
    /// `--seeds DIR`: a code tree, or a corpus of `gen seeds harvest --out DIR`.
    Dir(PathBuf),
}

fn seed_choice(raw: Option<&Path>) -> Result<SeedChoice, ConfigError> {
    match raw {
        None => Ok(SeedChoice::Corpus(harvest::sources::corpus_dir())),
        Some(p) if p == Path::new("builtin") => Ok(SeedChoice::Embedded),
        Some(p) if p.is_dir() => Ok(SeedChoice::Dir(p.to_path_buf())),
        Some(p) => Err(invalid(
            "--seeds",
            format!(
                "{} is not a directory (give a code tree, a harvested corpus, or `builtin`)",
                p.display()
            ),
        )),
    }
}

/// `--format a,b`: each name must be an export this generator offers.
fn split_formats(raw: Option<&str>, allowed: &[&str]) -> Result<Vec<ExportFormat>, ConfigError> {
    let Some(raw) = raw else { return Ok(Vec::new()) };
    raw.split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|f| match ExportFormat::from_str(f) {
            Ok(format) if allowed.contains(&f) => Ok(format),
            _ => Err(invalid("--format", format!("unknown format {f:?}; allowed: {}", allowed.join(", ")))),
        })
        .collect()
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn shard_forms() {
        let none = |_: &str| None;
        assert_eq!(resolve_shard_with(None, None, &none).unwrap(), Shard { index: 0, count: 1 });
        assert_eq!(resolve_shard_with(Some("2/5"), None, &none).unwrap(), Shard { index: 2, count: 5 });
        assert!(resolve_shard_with(Some("5/5"), None, &none).is_err());
        assert!(resolve_shard_with(Some("x"), None, &none).is_err());
        assert!(resolve_shard_with(Some("auto"), None, &none).is_err());
        let slurm = |k: &str| match k {
            "SLURM_ARRAY_TASK_ID" => Some("3".to_string()),
            "SLURM_ARRAY_TASK_COUNT" => Some("4".to_string()),
            _ => None,
        };
        assert_eq!(resolve_shard_with(Some("auto"), None, &slurm).unwrap(), Shard { index: 3, count: 4 });
        let k8s = |k: &str| (k == "JOB_COMPLETION_INDEX").then(|| "1".to_string());
        assert!(resolve_shard_with(Some("auto"), None, &k8s).is_err());
        assert_eq!(resolve_shard_with(Some("auto"), Some(2), &k8s).unwrap(), Shard { index: 1, count: 2 });
    }

    #[test]
    fn api_base_must_be_http_url() {
        let file = FileModel::default();
        for bad in ["notaurl", "ftp://x/v1", "http://"] {
            let raw = ModelArgs { api_base: Some(bad.into()), ..Default::default() };
            let err = resolve_model(&raw, &file).unwrap_err().to_string();
            assert!(err.contains("--api-base"), "{err}");
        }
        let raw = ModelArgs { api_base: Some("http://127.0.0.1:8000/v1/".into()), ..Default::default() };
        let cfg = resolve_model(&raw, &file).unwrap();
        assert!(
            matches!(cfg.backend, Backend::OpenAi { ref api_base, .. } if api_base == "http://127.0.0.1:8000/v1")
        );
    }

    #[test]
    fn config_file_errors_name_the_line() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("gen.toml");
        std::fs::write(&path, "[run]\nseed = 1\n\n[fol]\ndepth = \"deep\"\n").unwrap();
        let err = FileConfig::load(Some(&path)).unwrap_err().to_string();
        assert!(err.contains("gen.toml:5"), "{err}");
    }

    #[test]
    fn local_models_come_from_the_table_or_a_path() {
        let file = FileModel::default();
        let cfg = resolve_model(&ModelArgs::default(), &file).unwrap();
        let default = llm::models::table().default_model();
        assert_eq!(cfg.backend, Backend::Local(LocalChoice::Named(default.clone())));
        assert_eq!(cfg.usage_name(), format!("local:{}", default.model_name()));
        assert_eq!(cfg.timeout_secs, None, "the local model has no timeout unless asked");

        let raw = ModelArgs { local_model: Some("smollm2-135m".into()), ..Default::default() };
        let cfg = resolve_model(&raw, &file).unwrap();
        assert_eq!(cfg.usage_name(), "local:SmolLM2-135M-Instruct.Q4_1");

        let raw = ModelArgs { local_model: Some("gpt-5".into()), ..Default::default() };
        let err = resolve_model(&raw, &file).unwrap_err().to_string();
        assert!(err.contains("--local-model") && err.contains("qwen2.5-coder-1.5b"), "{err}");

        let raw = ModelArgs { model_path: Some("/m/x.gguf".into()), ..Default::default() };
        assert_eq!(resolve_model(&raw, &file).unwrap().usage_name(), "local:x");
        let from_file = FileModel { local_model: Some("qwen2.5-coder-0.5b".into()), ..Default::default() };
        let cfg = resolve_model(&ModelArgs::default(), &from_file).unwrap();
        assert_eq!(cfg.usage_name(), "local:qwen2.5-coder-0.5b-instruct-q4_k_m");
    }

    #[test]
    fn the_narrator_has_its_own_default_model_and_a_named_one_overrides_it() {
        #[derive(clap::Parser)]
        struct Fol {
            #[command(flatten)]
            args: FolArgs,
        }
        let fol = |argv: &[&str]| {
            let raw = <Fol as clap::Parser>::try_parse_from(argv).unwrap().args;
            resolve_fol(&raw, &FileConfig::default()).unwrap()
        };
        let t = llm::models::table();
        assert_ne!(t.narrator, t.default, "the table's narrator default is the measured 1.5B");
        let cfg = fol(&["fol", "--narrator", "llm"]);
        assert_eq!(cfg.model.backend, Backend::Local(LocalChoice::Named(t.narrator_model().clone())));
        let cfg = fol(&["fol", "--narrator", "llm", "--local-model", "smollm2-135m"]);
        assert_eq!(cfg.model.usage_name(), "local:SmolLM2-135M-Instruct.Q4_1");
    }

    #[test]
    fn endpoint_only_flags_are_refused_on_the_local_model_and_timeout_applies_to_both() {
        let file = FileModel::default();
        let local = |raw: ModelArgs| resolve_model(&raw, &file).map_err(|e| e.to_string());
        for (raw, flag) in [
            (ModelArgs { rpm: Some(60), ..Default::default() }, "--rpm"),
            (ModelArgs { tpm: Some(1000), ..Default::default() }, "--tpm"),
            (ModelArgs { max_retries: Some(2), ..Default::default() }, "--max-retries"),
        ] {
            let err = local(raw).unwrap_err();
            assert!(err.contains(flag) && err.contains("--api-base"), "{err}");
        }
        let cfg = local(ModelArgs { timeout: Some(30.0), ..Default::default() }).unwrap();
        assert_eq!(cfg.timeout_secs, Some(30.0));
        let endpoint =
            || ModelArgs { api_base: Some("http://127.0.0.1:8000/v1".into()), ..Default::default() };
        let cfg = local(ModelArgs { rpm: Some(60), max_retries: Some(2), ..endpoint() }).unwrap();
        assert_eq!((cfg.rpm, cfg.max_retries, cfg.timeout_secs), (60, 2, Some(120.0)));
        let err = local(ModelArgs { no_prefix_cache: true, ..endpoint() }).unwrap_err();
        assert!(err.contains("--no-prefix-cache"), "{err}");
        let err = local(ModelArgs { max_total_tokens: Some(0), ..Default::default() }).unwrap_err();
        assert!(err.contains("--max-total-tokens"), "{err}");
    }
}
