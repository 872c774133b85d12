//! `sandbox` owns running untrusted code: bubblewrap isolation, resource limits, the
//! data-driven language registry (`languages.toml`) and replayable execution records.
//!
//! Architecture invariant: must not depend on `llm`, `agents` or `provers`; it executes
//! files it is given and reports what happened, nothing more. It never falls back to
//! running code unsandboxed unless the caller asks for it explicitly.
//!
//! Every command runs as `setpriv` (drop to a per-slot unprivileged uid, when we are
//! root) -> `prlimit` (CPU, data, processes, file size, open files) -> `bwrap` (all
//! namespaces, no network, read-only system, private `/box` work dir and `/tmp`, cleared
//! environment), under a wall-time limit that kills the sandbox's whole PID namespace,
//! with stdout/stderr read up to a cap.
//!
//! ```no_run
//! use sandbox::{Registry, Sandbox, SandboxOptions};
//! let reg = Registry::builtin();
//! let py = reg.get("python").expect("registered");
//! let sb = Sandbox::new(SandboxOptions::default())?;
//! let rec = sb.check(py, "def add(a, b):\n    return a + b\n", "from solution import add\nassert add(2, 3) == 5\n")?;
//! assert!(rec.passed());
//! # Ok::<(), sandbox::SandboxError>(())
//! ```

pub mod cases;
mod isolation;
mod limits;
mod probe;
mod process;
mod record;
mod registry;
mod sandbox;

pub use isolation::{BOX_DIR, CACHE_DIR};
pub use limits::Limits;
pub use probe::{CallResult, MAX_VALUE_CHARS, ProbeOutcome, ProbeSpec};
pub use process::TAIL_BYTES;
pub use record::{Check, ExecRecord, Outcome};
pub use registry::{Example, Language, LimitHit, LimitMarkers, Load, Registry, SANDBOX_PATH, Steps, Warmup};
pub use sandbox::{Sandbox, SandboxOptions};

use std::path::Path;

/// Why the sandbox could not run something (as opposed to the code failing, which is an
/// [`Outcome`]).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SandboxError {
    #[error(
        "`{tool}` not found: the sandbox needs it (Debian: apt-get install {package}); refusing to run code unsandboxed"
    )]
    MissingTool { tool: &'static str, package: &'static str },
    #[error(
        "the sandbox does not work on this machine ({0}); are user namespaces enabled (sysctl user.max_user_namespaces)?"
    )]
    Unusable(String),
    #[error(
        "the {lang} toolchain is not installed (`{detect}` failed on the sandbox PATH); run scripts/setup"
    )]
    ToolchainMissing { lang: String, detect: String },
    #[error(transparent)]
    Cases(#[from] cases::CaseError),
    #[error("invalid language registry: {0}")]
    Registry(String),
    #[error("file name `{0}` must be relative and stay inside the work dir")]
    BadFileName(String),
    #[error("cannot start `{command}`: {source}")]
    Spawn { command: String, source: std::io::Error },
    #[error("cannot {action} {path}: {source}")]
    Io { action: &'static str, path: String, source: std::io::Error },
}

impl SandboxError {
    pub(crate) fn io(action: &'static str, path: &Path, source: std::io::Error) -> SandboxError {
        SandboxError::Io { action, path: path.display().to_string(), source }
    }

    pub(crate) fn wait(source: std::io::Error) -> SandboxError {
        SandboxError::Spawn { command: "wait".into(), source }
    }
}

/// Names of the registered languages (from `languages.toml`).
pub fn known_languages() -> Vec<String> {
    Registry::builtin().names()
}

// The code generator shares one sandbox across tasks.
const _: () = {
    const fn send_sync<T: Send + Sync>() {}
    send_sync::<Sandbox>();
};
