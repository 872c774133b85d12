//! Observability: tracing subscriber setup and progress bars (terminal only).

use std::io::IsTerminal;
use tracing_subscriber::EnvFilter;

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
    let builder = tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr);
    if json {
        builder.json().init();
    } else {
        builder.with_ansi(std::io::stderr().is_terminal()).init();
    }
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
