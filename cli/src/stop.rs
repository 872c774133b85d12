//! Graceful stop: the first SIGINT/SIGTERM (or an exhausted budget) asks the run to stop
//! taking new work; items in flight finish, everything written is flushed and journaled,
//! and the next run resumes. A second signal exits at once (status 130); what was
//! written stays valid because every record is a whole, flushed line.
//!
//! The flag itself is the job runtime's ([`agents::job::Stop`]); this module wires it to
//! the process's signals.

pub use agents::job::{Stop, StopReason};

/// A stop flag wired to SIGINT and SIGTERM.
pub fn install() -> std::io::Result<Stop> {
    let stop = Stop::default();
    let flag = stop.clone();
    let mut signals =
        signal_hook::iterator::Signals::new([signal_hook::consts::SIGINT, signal_hook::consts::SIGTERM])?;
    std::thread::Builder::new().name("gen-signals".into()).spawn(move || {
        for _ in signals.forever() {
            if flag.request_again(StopReason::Interrupted) {
                eprintln!("\ngen: second interrupt, exiting now (written records are intact)");
                std::process::exit(130);
            }
            eprintln!("\ngen: stopping after the items in flight (interrupt again to exit now)");
        }
    })?;
    Ok(stop)
}
