//! How one command is wrapped: setpriv (drop to a per-slot uid) -> prlimit (rlimits) ->
//! bwrap (namespaces, read-only system, private /box and /tmp, cleared environment).
//!
//! The order matters (measured, see DESIGN.md §5): RLIMIT_NPROC does not bind root, not
//! even inside a user namespace, so privileges are dropped before the limits are set.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::SandboxError;
use crate::limits::Limits;
use crate::registry::SANDBOX_PATH;

/// Where the working directory appears inside the sandbox (also `$HOME`).
pub const BOX_DIR: &str = "/box";
/// Where a language's compile cache appears inside the sandbox.
pub const CACHE_DIR: &str = "/cache";

/// PID 1 of the sandbox: a shell that runs the command as PID 2 and exits with its
/// status. bwrap's own reaper is not used because outer bwrap exits without reaping it,
/// leaving a zombie for the host's init, which in a container may take seconds to reap
/// it; until then it counts against the slot uid's RLIMIT_NPROC. The command itself must
/// not be PID 1 either: the kernel drops default-action signals (SIGABRT, SIGXFSZ) that
/// PID 1 sends itself, so `abort()` and the file-size limit would not kill it.
const PID1_SHIM: [&str; 4] = ["/bin/sh", "-c", "\"$@\"; exit $?", "sandbox-init"];

/// Host tools the sandbox is built from, resolved once.
#[derive(Debug, Clone)]
pub(crate) struct Tools {
    pub bwrap: PathBuf,
    pub prlimit: PathBuf,
    /// Present iff we run as root (then every command drops to a slot uid).
    pub setpriv: Option<PathBuf>,
    /// Host directories outside /usr and /etc that a toolchain reads (the languages'
    /// `mounts`, such as GHC's package database in /var/lib/ghc), bound read-only.
    pub mounts: Vec<PathBuf>,
}

impl Tools {
    pub fn find(as_root: bool) -> Result<Tools, SandboxError> {
        let find = |name: &'static str, package: &'static str| {
            host_which(name).ok_or(SandboxError::MissingTool { tool: name, package })
        };
        let bwrap = find("bwrap", "bubblewrap")?;
        let prlimit = find("prlimit", "util-linux")?;
        let setpriv = if as_root { Some(find("setpriv", "util-linux")?) } else { None };
        let mut mounts: Vec<PathBuf> = crate::Registry::builtin()
            .languages()
            .iter()
            .flat_map(|l| l.mounts.iter().map(PathBuf::from))
            .filter(|p| p.is_dir())
            .collect();
        mounts.sort();
        mounts.dedup();
        Ok(Tools { bwrap, prlimit, setpriv, mounts })
    }
}

fn host_which(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .chain(SANDBOX_PATH.split(':').map(PathBuf::from))
        .map(|d| d.join(name))
        .find(|p| p.is_file())
}

/// The real uid of this process.
pub(crate) fn current_uid() -> Option<u32> {
    Some(rustix::process::getuid().as_raw())
}

/// Processes and threads currently owned by `uid` (RLIMIT_NPROC counts them all).
pub(crate) fn tasks_of_uid(uid: u32) -> u64 {
    let Ok(dir) = std::fs::read_dir("/proc") else { return 0 };
    let mut n = 0;
    for entry in dir.flatten() {
        if !entry.file_name().to_string_lossy().bytes().all(|b| b.is_ascii_digit()) {
            continue;
        }
        let Ok(status) = std::fs::read_to_string(entry.path().join("status")) else { continue };
        let mut owner = None;
        let mut threads = 1;
        for line in status.lines() {
            if let Some(rest) = line.strip_prefix("Uid:") {
                owner = rest.split_whitespace().next().and_then(|u| u.parse::<u32>().ok());
            } else if let Some(rest) = line.strip_prefix("Threads:") {
                threads = rest.trim().parse().unwrap_or(1);
            }
        }
        if owner == Some(uid) {
            n += threads;
        }
    }
    n
}

/// A compile cache mounted into the sandbox.
#[derive(Debug, Clone)]
pub(crate) struct CacheMount {
    pub host: PathBuf,
    /// Only trusted warm-up runs get a writable cache.
    pub writable: bool,
}

/// Everything that differs between two wrapped commands.
pub(crate) struct Wrap<'a> {
    pub argv: &'a [String],
    pub workdir: &'a Path,
    pub env: &'a BTreeMap<String, String>,
    pub cache: Option<&'a CacheMount>,
    pub limits: &'a Limits,
    /// The slot's uid when running as root.
    pub uid: Option<u32>,
}

/// The full host argv: `setpriv … prlimit … bwrap … -- argv`.
pub(crate) fn wrapped_argv(tools: &Tools, w: &Wrap<'_>) -> Vec<String> {
    let mut v: Vec<String> = Vec::with_capacity(64);
    let l = w.limits;
    if let (Some(setpriv), Some(uid)) = (&tools.setpriv, w.uid) {
        v.push(path_str(setpriv));
        v.extend([
            format!("--reuid={uid}"),
            format!("--regid={uid}"),
            "--clear-groups".into(),
            "--no-new-privs".into(),
            "--".into(),
        ]);
    }
    // Without root the uid is shared with the caller's own processes, so the process
    // budget is on top of what that uid already runs.
    let nproc = match w.uid {
        Some(_) => l.nproc,
        None => l.nproc + current_uid().map(tasks_of_uid).unwrap_or(0),
    };
    let mib = |m: u64| m.saturating_mul(1 << 20);
    v.push(path_str(&tools.prlimit));
    v.extend([
        format!("--cpu={}:{}", l.cpu_secs, l.cpu_secs + 1),
        format!("--data={0}:{0}", mib(l.memory_mb)),
        format!("--nproc={0}:{0}", nproc),
        format!("--fsize={0}:{0}", mib(l.file_size_mb)),
        format!("--nofile={0}:{0}", l.open_files),
        "--core=0:0".into(),
        "--".into(),
    ]);
    v.push(path_str(&tools.bwrap));
    let s = |x: &str| x.to_string();
    v.extend(
        [
            "--unshare-all",
            "--unshare-user",
            "--disable-userns",
            "--die-with-parent",
            "--new-session",
            "--as-pid-1",
        ]
        .map(s),
    );
    v.extend(["--hostname", "sandbox", "--ro-bind", "/usr", "/usr"].map(s));
    for dir in ["/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32"] {
        match std::fs::read_link(dir) {
            // Merged-/usr systems: keep the symlink rather than bind a second copy.
            Ok(target) => v.extend([s("--symlink"), path_str(&target), s(dir)]),
            Err(_) if Path::new(dir).is_dir() => v.extend([s("--ro-bind"), s(dir), s(dir)]),
            Err(_) => {}
        }
    }
    // /etc/shadow and friends stay root-only: the slot uid cannot read them.
    v.extend(["--ro-bind", "/etc", "/etc", "--proc", "/proc", "--dev", "/dev"].map(s));
    for m in &tools.mounts {
        v.extend([s("--ro-bind"), path_str(m), path_str(m)]);
    }
    v.extend([s("--size"), mib(l.tmp_mb).to_string(), s("--tmpfs"), s("/tmp")]);
    v.extend([s("--bind"), path_str(w.workdir), s(BOX_DIR)]);
    if let Some(cache) = w.cache {
        let how = if cache.writable { "--bind" } else { "--ro-bind" };
        v.extend([s(how), path_str(&cache.host), s(CACHE_DIR)]);
    }
    // Read-only root and /dev: nothing but /box, /tmp (and a warm-up's /cache) is writable,
    // so code cannot even leave files in the sandbox's own mount tree.
    v.extend(["--remount-ro", "/", "--remount-ro", "/dev", "--chdir", BOX_DIR, "--clearenv"].map(s));
    let base = [("PATH", SANDBOX_PATH), ("HOME", BOX_DIR), ("LANG", "C.UTF-8"), ("TMPDIR", "/tmp")];
    for (k, val) in base {
        v.extend([s("--setenv"), s(k), s(val)]);
    }
    for (k, val) in w.env {
        v.extend([s("--setenv"), k.clone(), val.clone()]);
    }
    v.push(s("--"));
    v.extend(PID1_SHIM.map(s));
    v.extend(w.argv.iter().cloned());
    v
}

fn path_str(p: &Path) -> String {
    p.to_string_lossy().into_owned()
}
