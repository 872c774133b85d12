#![allow(dead_code)] // Config fields are consumed as the generators land.
//! The `gen` binary: parses flags, resolves one validated config, and calls the libraries.
//! It owns no generation logic of its own.
//!
//! Exit statuses: 0 success; 1 a run or check failed (e.g. `gen verify` found a
//! disagreement); 2 bad input (flags, config file); see README for the others.

mod args;
mod cmd;
mod config;
mod observe;
mod stop;

use args::{Cli, Command};
use clap::Parser;
use config::{ConfigError, FileConfig};
use std::process::ExitCode;

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let code = if e.use_stderr() { 2 } else { 0 };
            let _ = e.print();
            return ExitCode::from(code);
        }
    };
    observe::init_tracing(cli.global.verbose, cli.global.log_json);
    match run(cli) {
        Ok(code) => code,
        Err(e) => {
            let usage = e.downcast_ref::<ConfigError>().is_some();
            eprintln!("error: {e:#}");
            ExitCode::from(if usage { 2 } else { 1 })
        }
    }
}

fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    let file = FileConfig::load(cli.global.config.as_deref())?;
    match cli.command {
        Command::Fol(raw) => cmd::fol::run(config::resolve_fol(&raw, &file)?),
        Command::Code(raw) => {
            let known = sandbox::known_languages();
            cmd::code::run(config::resolve_code(&raw, &file, &known)?)
        }
        Command::Verify(raw) => cmd::verify::run(raw),
        Command::Inspect(raw) => cmd::inspect::run(raw),
        Command::Merge(raw) => cmd::merge::run(raw),
        Command::Chat(raw) => {
            let model = config::resolve_model(&raw.model, &file.model)?;
            cmd::chat::run(raw, model)
        }
        Command::Exec(raw) => cmd::exec::run(raw),
        Command::Seeds(args::SeedsCommand::Harvest(raw)) => cmd::seeds::harvest(raw),
    }
}
