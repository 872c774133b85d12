//! One module per subcommand; each turns a resolved config into library calls.

/// `print!` for the subcommands' reports: see [`write_out`].
macro_rules! out {
    ($($arg:tt)*) => { $crate::cmd::write_out(format_args!($($arg)*)) };
}

/// `println!` for the subcommands' reports: see [`write_out`].
macro_rules! outln {
    () => { $crate::cmd::write_out(format_args!("\n")) };
    ($($arg:tt)*) => { $crate::cmd::write_out(format_args!("{}\n", format_args!($($arg)*))) };
}

pub mod chat;
pub mod code;
pub mod exec;
pub mod fol;
pub mod inspect;
pub mod merge;
pub mod model;
pub mod seeds;
pub mod verify;

/// The async runtime both generators' runs are driven on (model calls, sandbox runs).
pub fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    use anyhow::Context;
    tokio::runtime::Builder::new_multi_thread().enable_all().build().context("cannot start the async runtime")
}

/// The run's memory for a `--dry-run` estimate, if a run made one: `None` when there is
/// none yet, or when it cannot be opened (e.g. a live run holds it), which is said once.
pub fn memory_for_estimate(path: &std::path::Path, command: &str) -> Option<memory::Memory> {
    if !path.exists() {
        return None;
    }
    memory::Memory::open(path)
        .map_err(|e| eprintln!("gen {command}: estimating without the memory ({e})"))
        .ok()
}

/// Writes to stdout as `print!` does, except that a reader that has gone away
/// (`gen inspect | head`) ends the report quietly, as it ends `cat`, instead of a panic;
/// the command goes on and exits as it would have.
pub fn write_out(args: std::fmt::Arguments<'_>) {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    match out.write_fmt(args).and_then(|()| out.flush()) {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => panic!("failed printing to stdout: {e}"),
        _ => {}
    }
}
