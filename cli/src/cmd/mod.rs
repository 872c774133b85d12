//! One module per subcommand; each turns a resolved config into library calls.

pub mod chat;
pub mod code;
pub mod exec;
pub mod fol;
pub mod inspect;
pub mod merge;
pub mod model;
pub mod verify;

/// Writes a command's report to stdout. A reader that has gone away (`gen inspect | head`)
/// ends the report quietly, as it ends `cat`, instead of a panic on the next `print!`.
pub fn emit(text: &str) -> std::io::Result<()> {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        other => other,
    }
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
