//! Stage one of configuration: the raw flags as the user typed them (ripgrep's
//! `LowArgs`). Nothing here is validated beyond its type; `config.rs` turns these,
//! together with the environment and `gen.toml`, into one validated `Config`.

use clap::{Args, Parser, Subcommand};
use std::path::PathBuf;

#[derive(Debug, Parser)]
#[command(
    name = "gen",
    version,
    about = "Verified synthetic training data for language models",
    long_about = "gen writes synthetic training data whose correctness has been checked, not assumed:\n\
  gen fol   first-order logic problems (ProverQA format) whose labels and reasoning steps Z3 proves\n\
  gen code  multilingual code instructions whose solutions compile and pass their tests in a sandbox\n\
By default the model is a small GGUF model run in-process (no API key, no network);\n\
--api-base points it at any OpenAI-compatible endpoint instead."
)]
pub struct Cli {
    #[command(flatten)]
    pub global: GlobalArgs,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Args)]
pub struct GlobalArgs {
    /// More logging (-v info, -vv debug, -vvv trace); RUST_LOG overrides.
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,
    /// Log as JSON lines on stderr (for clusters and log collectors).
    #[arg(long, global = true)]
    pub log_json: bool,
    /// A gen.toml with defaults for any flag (default: ./gen.toml if it exists).
    #[arg(long, global = true, value_name = "FILE")]
    pub config: Option<PathBuf>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Generate first-order logic problems (ProverQA format) proven by Z3.
    Fol(FolArgs),
    /// Generate multilingual code instructions whose tests pass in a sandbox.
    Code(CodeArgs),
    /// Re-prove a FOLIO- or ProverQA-format JSONL file (or replay a code dataset's checks).
    Verify(VerifyArgs),
    /// Show counts, distributions, pass rates, cost and sample records of a dataset.
    Inspect(InspectArgs),
    /// Join shard outputs into one dataset, dropping duplicate ids.
    Merge(MergeArgs),
    /// Send one prompt to the configured model and print the answer (checks a backend).
    Chat(ChatArgs),
    /// Run one program (and optional tests) in the sandbox, to debug a toolchain.
    Exec(ExecArgs),
    /// Seed corpora for `gen code`: harvest self-contained functions from real code.
    #[command(subcommand)]
    Seeds(SeedsCommand),
}

#[derive(Debug, Subcommand)]
pub enum SeedsCommand {
    /// Parse source trees with tree-sitter and keep their self-contained functions
    /// (3-60 lines, standard library only, no I/O or global state), with provenance and
    /// licence, exact and near duplicates dropped: OUT/seeds.jsonl and OUT/harvest.json.
    Harvest(HarvestArgs),
}

#[derive(Debug, Args)]
pub struct HarvestArgs {
    /// Source directories or files.
    #[arg(required_unless_present = "builtin", conflicts_with = "builtin")]
    pub roots: Vec<PathBuf>,
    /// Harvest the built-in corpus instead: every source of harvest/sources.toml that is
    /// installed (scripts/setup installs them), into the corpus directory `gen code`
    /// reads by default ($GEN_SEED_DIR, else ~/.cache/gen/seeds) unless --out is given.
    #[arg(long)]
    pub builtin: bool,
    /// Output directory (required with ROOTS).
    #[arg(short = 'o', long = "out", required_unless_present = "builtin")]
    pub out: Option<PathBuf>,
    /// Languages to harvest, comma-separated (default: every language with a grammar).
    #[arg(long, value_delimiter = ',')]
    pub langs: Vec<String>,
    /// Also check in the sandbox which seeds load on their own (compile, or import); only
    /// those may become an answer verbatim.
    #[arg(long)]
    pub check: bool,
}

/// Options shared by every command that writes a dataset.
#[derive(Debug, Args, Clone, Default)]
pub struct RunArgs {
    /// Output directory (created if missing).
    #[arg(long, short = 'o', value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// Number of records to keep.
    #[arg(short = 'n', long = "num", allow_negative_numbers = true, value_name = "N")]
    pub n: Option<i64>,
    /// Seed: work item i is derived from (seed, i), so runs are reproducible and shardable.
    #[arg(long)]
    pub seed: Option<u64>,
    /// This machine's slice of the work: `k/n` (0-based k), or `auto` from
    /// SLURM_ARRAY_TASK_ID/COUNT or JOB_COMPLETION_INDEX with --shards.
    #[arg(long, value_name = "k/n|auto")]
    pub shard: Option<String>,
    /// Shard count to use with `--shard auto` and JOB_COMPLETION_INDEX.
    #[arg(long)]
    pub shards: Option<u64>,
    /// Sled memory database (default: OUT/memory.sled); share one across runs.
    #[arg(long, value_name = "PATH")]
    pub memory: Option<PathBuf>,
    /// Directory of *.hbs templates overriding the embedded prompts.
    #[arg(long, value_name = "DIR")]
    pub prompts: Option<PathBuf>,
    /// Make no model calls: print the planned work and an estimate of calls, tokens and cost.
    #[arg(long)]
    pub dry_run: bool,
}

/// Which model answers, and how hard we may push it.
#[derive(Debug, Args, Clone, Default)]
pub struct ModelArgs {
    /// OpenAI-compatible endpoint (OpenAI, vLLM, SGLang, Ollama); key from OPENAI_API_KEY.
    /// Without it, the embedded local model runs in-process.
    #[arg(long, env = "GEN_API_BASE", value_name = "URL")]
    pub api_base: Option<String>,
    /// Model name sent to the endpoint.
    #[arg(long)]
    pub model: Option<String>,
    /// Local model by name, from the table llm/models.toml (default: its `default`, as
    /// installed by scripts/setup; `scripts/setup --model NAME` installs another).
    #[arg(long, env = "GEN_LOCAL_MODEL", value_name = "NAME", conflicts_with = "model_path")]
    pub local_model: Option<String>,
    /// Any GGUF file for the local backend, instead of a model of the table.
    #[arg(long, value_name = "FILE")]
    pub model_path: Option<PathBuf>,
    /// Concurrent model calls.
    #[arg(long)]
    pub concurrency: Option<i64>,
    /// Requests per minute limit of an --api-base endpoint (0 = none).
    #[arg(long)]
    pub rpm: Option<u64>,
    /// Tokens per minute limit of an --api-base endpoint (0 = none).
    #[arg(long)]
    pub tpm: Option<u64>,
    /// Per-request timeout in seconds (both backends; default 120 for an endpoint, none
    /// for the local model).
    #[arg(long, value_name = "SECS")]
    pub timeout: Option<f64>,
    /// Retries per call of an --api-base endpoint on 429/5xx/timeouts/malformed answers.
    #[arg(long)]
    pub max_retries: Option<u32>,
    /// Do not read or write the response cache.
    #[arg(long)]
    pub no_cache: bool,
    /// Local model: decode every prompt from its first token, instead of reusing the KV
    /// cache of a prefix decoded before (for measuring what reuse saves).
    #[arg(long)]
    pub no_prefix_cache: bool,
    /// Stop taking new work before the spend would pass this many US dollars.
    #[arg(long, value_name = "USD")]
    pub max_cost: Option<f64>,
    /// Stop taking new work before the run's model tokens (prompt + completion, all
    /// calls) would pass N.
    #[arg(long, value_name = "N")]
    pub max_total_tokens: Option<u64>,
    /// Price of a million prompt tokens in USD (default: built-in table by model name).
    #[arg(long, value_name = "USD")]
    pub price_in: Option<f64>,
    /// Price of a million completion tokens in USD.
    #[arg(long, value_name = "USD")]
    pub price_out: Option<f64>,
}

#[derive(Debug, Args)]
pub struct FolArgs {
    #[command(flatten)]
    pub run: RunArgs,
    #[command(flatten)]
    pub model: ModelArgs,
    /// Proof depth: rule applications in the shortest proof (1..=12), or a range such as
    /// `3-5` spread evenly over the problems (labels balanced within each depth).
    #[arg(long, allow_negative_numbers = true, conflicts_with = "tier")]
    pub depth: Option<String>,
    /// ProverQA's split: `easy` (depth 1-2), `medium` (3-5) or `hard` (6-9).
    #[arg(long)]
    pub tier: Option<String>,
    /// Distractor premises per problem (default scales with depth).
    #[arg(long)]
    pub distractors: Option<u32>,
    /// Label mix, e.g. `balanced` or `true=2,false=1,uncertain=1`.
    #[arg(long)]
    pub labels: Option<String>,
    /// Who writes the sentences: `template` (offline, always faithful) or `llm`.
    #[arg(long)]
    pub narrator: Option<String>,
    /// `monadic` (ProverQA's one-place predicates) or `relational` (binary relations
    /// between people, existentials and equivalences; template narration).
    #[arg(long)]
    pub logic: Option<String>,
    /// Also write one SMT-LIB 2 file per problem into DIR.
    #[arg(long, value_name = "DIR")]
    pub smtlib: Option<PathBuf>,
    /// Extra output form: `instruct`, `chat`, `alpaca`, `parquet`, `proverqa` (ProverQA's
    /// own JSON file, for its tools) (comma-separated).
    #[arg(long)]
    pub format: Option<String>,
}

#[derive(Debug, Args)]
pub struct CodeArgs {
    #[command(flatten)]
    pub run: RunArgs,
    #[command(flatten)]
    pub model: ModelArgs,
    /// Languages, comma-separated (see `gen exec --list`).
    #[arg(long, value_delimiter = ',')]
    pub langs: Option<Vec<String>>,
    /// Seeds for the agents: a code tree, a corpus of `gen seeds harvest --out DIR`, or
    /// `builtin` (the three embedded seeds per language). Default: the built-in corpus of
    /// `gen seeds harvest --builtin` ($GEN_SEED_DIR, else ~/.cache/gen/seeds) when it has
    /// been harvested, else the embedded seeds.
    #[arg(long, value_name = "DIR|builtin")]
    pub seeds: Option<PathBuf>,
    /// Licences under which a harvested seed may be an answer verbatim: `any`, a list of
    /// SPDX ids (replacing the default), or `+ID,…` added to the default (MIT, BSD,
    /// Apache-2.0, PSF, ISC and kin). Other seeds still inspire new exercises.
    #[arg(long, value_name = "SPEC")]
    pub seed_licences: Option<String>,
    /// `derived` (tests from execution, ports checked against the source, instructions
    /// checked by a fresh solve) or `discussion` (the first protocol: model-written tests).
    #[arg(long)]
    pub protocol: Option<String>,
    /// `centralized` or `parallel` discussion between agents (`--protocol discussion`).
    #[arg(long)]
    pub discussion: Option<String>,
    /// Discussion rounds per task.
    #[arg(long)]
    pub rounds: Option<u32>,
    /// Upper bound on attempted tasks (default: 6 × n).
    #[arg(long)]
    pub max_attempts: Option<u64>,
    /// Benchmark files (JSONL or text) to decontaminate against.
    #[arg(long, num_args = 1.., value_name = "FILE")]
    pub decontam: Vec<PathBuf>,
    /// Ask the model to score each sample; drop those below --min-score.
    #[arg(long)]
    pub judge: bool,
    /// With --judge: the lowest score (0 to 10, default 6) a kept sample may have.
    #[arg(long)]
    pub min_score: Option<f64>,
    /// Drop derived samples whose cases reject less than this share of mechanical mutants
    /// of the solution (0 to 1).
    #[arg(long, value_name = "SHARE")]
    pub min_mutation_score: Option<f64>,
    /// Extra output form: `chat`, `alpaca`, `parquet` (comma-separated).
    #[arg(long)]
    pub format: Option<String>,
    /// Run generated code without the sandbox. Dangerous; for debugging only.
    #[arg(long)]
    pub unsafe_no_sandbox: bool,
}

#[derive(Debug, Args)]
pub struct VerifyArgs {
    /// JSONL files in FOLIO or ProverQA format (or a `gen code` dataset).
    #[arg(required = true)]
    pub files: Vec<PathBuf>,
    /// Print the summary as one JSON object on the last line of stdout.
    #[arg(long)]
    pub json: bool,
    /// Per-query Z3 timeout in milliseconds.
    #[arg(long, default_value_t = 10_000)]
    pub timeout_ms: u64,
}

#[derive(Debug, Args)]
pub struct InspectArgs {
    /// A run directory or a JSONL file.
    pub path: PathBuf,
    /// How many sample records to print.
    #[arg(long, default_value_t = 2)]
    pub sample: usize,
    /// Only records where KEY=VALUE (e.g. lang=rust, meta.label=True).
    #[arg(long, value_name = "KEY=VALUE")]
    pub filter: Vec<String>,
    /// Print the record with this id.
    #[arg(long)]
    pub id: Option<String>,
    /// Machine-readable output.
    #[arg(long)]
    pub json: bool,
    /// (Re)write DIR/card.md from the data.
    #[arg(long)]
    pub card: bool,
}

#[derive(Debug, Args)]
pub struct MergeArgs {
    /// Shard directories or JSONL files.
    #[arg(required = true)]
    pub inputs: Vec<PathBuf>,
    /// Output directory.
    #[arg(short = 'o', long = "out", required = true)]
    pub out: PathBuf,
    /// Also fold the shards' agent memories into OUT/memory.sled.
    #[arg(long)]
    pub memory: bool,
}

#[derive(Debug, Args)]
pub struct ChatArgs {
    #[command(flatten)]
    pub model: ModelArgs,
    /// The prompt.
    pub prompt: String,
    /// Optional system message.
    #[arg(long)]
    pub system: Option<String>,
    /// Longest answer, in tokens (as `max_tokens` in OpenAI's API).
    #[arg(long = "max-tokens", value_name = "N", default_value_t = 256)]
    pub max_tokens: u32,
    /// Sampling temperature (0 is greedy, so the same prompt gives the same answer).
    #[arg(long, default_value_t = 0.0)]
    pub temperature: f32,
}

#[derive(Debug, Args)]
pub struct ExecArgs {
    /// Language of the program (see --list).
    #[arg(long, required_unless_present = "list")]
    pub lang: Option<String>,
    /// The program's source file.
    #[arg(required_unless_present = "list")]
    pub file: Option<PathBuf>,
    /// A test program in the same language that exercises FILE.
    #[arg(long)]
    pub tests: Option<PathBuf>,
    /// List the registered languages and whether their toolchain is installed.
    #[arg(long)]
    pub list: bool,
    /// Print the execution record as JSON.
    #[arg(long)]
    pub json: bool,
}

#[cfg(test)]
mod tests {
    use super::Cli;
    use clap::CommandFactory;

    /// README: `--help` explains every flag. Each argument of every subcommand has a
    /// non-empty help line.
    #[test]
    fn every_flag_has_a_help_line() {
        fn walk(cmd: &clap::Command, path: &str, missing: &mut Vec<String>) {
            for arg in cmd.get_arguments() {
                let id = arg.get_id().as_str();
                if ["help", "version"].contains(&id) {
                    continue;
                }
                if arg.get_help().is_none_or(|h| h.to_string().trim().is_empty()) {
                    missing.push(format!("{path} --{id}"));
                }
            }
            for sub in cmd.get_subcommands() {
                walk(sub, &format!("{path} {}", sub.get_name()), missing);
            }
        }
        let cmd = Cli::command();
        let mut missing = Vec::new();
        walk(&cmd, "gen", &mut missing);
        assert!(missing.is_empty(), "flags without help: {missing:?}");
        assert!(cmd.get_subcommands().count() >= 7);
    }
}
