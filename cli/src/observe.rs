//! Observability: tracing subscriber setup and progress bars (terminal only).

use std::io::IsTerminal;
use tracing_log::AsLog;
use tracing_subscriber::EnvFilter;
use tracing_subscriber::filter::LevelFilter;

/// Crates whose `log` records never reach the subscriber. The z3 crate logs every AST it
/// drops at debug level: noise at `-vv`, and fatal when the drop is a worker thread's
/// thread-local Z3 engine going away after tracing's own thread-locals (a logging call
/// that panics inside a destructor aborts the process).
const SILENT_LOG_CRATES: [&str; 1] = ["z3"];

pub fn init_tracing(verbose: u8, json: bool) {
    // llama.cpp's own log (model loading, tokenizer quirks) is ours to summarise: what
    // matters reaches the user as our one-line error; its lines show from -vv on.
    let default = match verbose {
        0 => "warn,llama-cpp-2=off",
        1 => "info,llama-cpp-2=off",
        2 => "debug",
        _ => "trace",
    };
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(default));
    let max = filter.max_level_hint().unwrap_or(LevelFilter::TRACE);
    let log_bridge = SILENT_LOG_CRATES
        .iter()
        .fold(tracing_log::LogTracer::builder().with_max_level(max.as_log()), |b, c| b.ignore_crate(*c));
    // A second call (tests in one process) finds a logger already set: keep the first.
    let _ = log_bridge.init();
    let builder = tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr);
    let _ = if json {
        tracing::subscriber::set_global_default(builder.json().finish())
    } else {
        tracing::subscriber::set_global_default(builder.with_ansi(std::io::stderr().is_terminal()).finish())
    };
}
/// A progress bar on a terminal; hidden otherwise (tracing logs carry progress then).
pub fn progress_bar(total: u64, what: &str) -> indicatif::ProgressBar {
    if !std::io::stderr().is_terminal() {
        return indicatif::ProgressBar::hidden();
    }
    let bar = indicatif::ProgressBar::new(total);
    let style = indicatif::ProgressStyle::with_template(
        "{spinner} {prefix} [{elapsed_precise}] {wide_bar} {pos}/{len} {per_sec} ETA {eta} {msg}",
    )
    .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar());
    bar.set_style(style);
    bar.set_prefix(what.to_string());
    bar
}
