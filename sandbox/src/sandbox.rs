//! [`Sandbox`]: runs [`Check`]s in isolated working directories, a bounded number at a
//! time, each concurrent slot under its own uid.

use std::collections::{BTreeMap, HashMap};
use std::os::unix::fs::DirBuilderExt;
use std::path::{Path, PathBuf};
use std::sync::{Condvar, Mutex};
use std::time::{Duration, Instant};

use crate::SandboxError;
use crate::isolation::{self, CacheMount, Tools, Wrap};
use crate::limits::Limits;
use crate::process::{self, Exit, StepResult};
use crate::record::{Check, ExecRecord, Outcome};
use crate::registry::{Language, LimitHit, Registry};

/// How the sandbox runs. `Default` is safe: limits for tests, all cores.
#[derive(Debug, Clone)]
pub struct SandboxOptions {
    /// Limits for the final (test/program) command.
    pub limits: Limits,
    /// Limits for compile steps.
    pub compile_limits: Limits,
    /// Concurrent executions (slots); each has its own uid, so its own process budget.
    pub parallelism: usize,
    /// Where per-run working directories are created (default: the system temp dir).
    pub work_root: Option<PathBuf>,
    /// Persistent compile caches, one subdirectory per language (default:
    /// `<temp>/gen-sandbox-cache`; it must be reachable by unprivileged uids).
    pub cache_dir: Option<PathBuf>,
    /// First slot uid when running as root (default derived from our pid, so two `gen`
    /// processes rarely share a process budget).
    pub uid_base: Option<u32>,
    /// Run commands directly on the host, without any isolation. Only for debugging a
    /// machine without bubblewrap; never for generated code.
    pub unsafe_no_sandbox: bool,
}

impl Default for SandboxOptions {
    fn default() -> Self {
        SandboxOptions {
            limits: Limits::RUN,
            compile_limits: Limits::COMPILE,
            parallelism: std::thread::available_parallelism().map(|n| n.get()).unwrap_or(2),
            work_root: None,
            cache_dir: None,
            uid_base: None,
            unsafe_no_sandbox: false,
        }
    }
}

/// Slots bound concurrency and give each running check a distinct uid.
struct Slots {
    free: Mutex<Vec<usize>>,
    available: Condvar,
}

struct SlotGuard<'a> {
    slots: &'a Slots,
    index: usize,
}

impl Slots {
    fn new(n: usize) -> Slots {
        Slots { free: Mutex::new((0..n).rev().collect()), available: Condvar::new() }
    }

    fn acquire(&self) -> SlotGuard<'_> {
        let mut free = self.free.lock().unwrap_or_else(|e| e.into_inner());
        loop {
            if let Some(index) = free.pop() {
                return SlotGuard { slots: self, index };
            }
            free = self.available.wait(free).unwrap_or_else(|e| e.into_inner());
        }
    }
}

impl Drop for SlotGuard<'_> {
    fn drop(&mut self) {
        let mut free = self.slots.free.lock().unwrap_or_else(|e| e.into_inner());
        free.push(self.index);
        self.slots.available.notify_one();
    }
}

/// Runs untrusted code. `Send + Sync`: share one per process (e.g. in an `Arc`); calls
/// block, so async callers use `spawn_blocking`.
pub struct Sandbox {
    opts: SandboxOptions,
    tools: Option<Tools>,
    uid_base: Option<u32>,
    registry: Registry,
    slots: Slots,
    /// Toolchain detection results, by language name.
    toolchains: Mutex<HashMap<String, Option<String>>>,
    /// Serialises cache warm-up; holds the languages already warmed.
    warmed: Mutex<Vec<String>>,
}

impl std::fmt::Debug for Sandbox {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Sandbox").field("opts", &self.opts).field("uid_base", &self.uid_base).finish()
    }
}

impl Sandbox {
    /// Finds bwrap/prlimit (and setpriv when root) and checks that bwrap can create its
    /// namespaces here. Fails with an actionable error rather than ever running
    /// unsandboxed, unless `unsafe_no_sandbox` is set.
    pub fn new(opts: SandboxOptions) -> Result<Sandbox, SandboxError> {
        let parallelism = opts.parallelism.clamp(1, 64);
        let as_root = isolation::current_uid() == Some(0);
        let (tools, uid_base) = if opts.unsafe_no_sandbox {
            tracing::warn!("SANDBOX DISABLED: generated code runs directly on this machine, unisolated");
            eprintln!("WARNING: --unsafe-no-sandbox: untrusted code runs on this machine WITHOUT isolation");
            (None, None)
        } else {
            let tools = Tools::find(as_root)?;
            let uid_base =
                as_root.then(|| opts.uid_base.unwrap_or(200_000 + (std::process::id() % 4096) * 64));
            (Some(tools), uid_base)
        };
        let sandbox = Sandbox {
            opts: SandboxOptions { parallelism, ..opts },
            tools,
            uid_base,
            registry: Registry::builtin(),
            slots: Slots::new(parallelism),
            toolchains: Mutex::new(HashMap::new()),
            warmed: Mutex::new(Vec::new()),
        };
        if sandbox.tools.is_some() {
            sandbox.self_test()?;
        }
        Ok(sandbox)
    }

    /// Whether code runs isolated (false only with `unsafe_no_sandbox`).
    pub fn is_isolated(&self) -> bool {
        self.tools.is_some()
    }

    pub fn options(&self) -> &SandboxOptions {
        &self.opts
    }

    /// The registry this sandbox resolves `Check::lang` against.
    pub fn registry(&self) -> &Registry {
        &self.registry
    }

    fn self_test(&self) -> Result<(), SandboxError> {
        let check = Check {
            lang: String::new(),
            files: BTreeMap::new(),
            commands: vec![vec!["true".into()]],
            compile_steps: 0,
            env: BTreeMap::new(),
        };
        let rec = self.replay(&check)?;
        if rec.passed() {
            Ok(())
        } else {
            Err(SandboxError::Unusable(format!("{}: {}", rec.outcome, rec.stderr_tail.trim())))
        }
    }

    /// The toolchain's version line, or `None` when it is not installed (cached).
    pub fn toolchain(&self, lang: &Language) -> Option<String> {
        let mut known = self.toolchains.lock().unwrap_or_else(|e| e.into_inner());
        known.entry(lang.name.clone()).or_insert_with(|| lang.detect_toolchain()).clone()
    }

    /// Compiles `solution` with `tests` and runs the tests; `Passed` iff they exit 0.
    pub fn check(&self, lang: &Language, solution: &str, tests: &str) -> Result<ExecRecord, SandboxError> {
        self.require_toolchain(lang)?;
        self.replay(&lang.check_for(solution, tests))
    }

    /// Compiles and runs `source` as a standalone program.
    pub fn run_program(&self, lang: &Language, source: &str) -> Result<ExecRecord, SandboxError> {
        self.require_toolchain(lang)?;
        self.replay(&lang.program_for(source))
    }

    /// [`check`](Sandbox::check) of each of `solutions` with the same `tests`, on all
    /// slots at once; results in input order.
    pub fn check_many(
        &self,
        lang: &Language,
        solutions: &[String],
        tests: &str,
    ) -> Result<Vec<Result<ExecRecord, SandboxError>>, SandboxError> {
        self.require_toolchain(lang)?;
        let checks: Vec<Check> = solutions.iter().map(|s| lang.check_for(s, tests)).collect();
        Ok(self.run_many(&checks))
    }

    /// Runs checks on all slots at once; results in input order.
    pub fn run_many(&self, checks: &[Check]) -> Vec<Result<ExecRecord, SandboxError>> {
        let next = std::sync::atomic::AtomicUsize::new(0);
        let results: Mutex<Vec<Option<Result<ExecRecord, SandboxError>>>> =
            Mutex::new((0..checks.len()).map(|_| None).collect());
        std::thread::scope(|scope| {
            for _ in 0..self.opts.parallelism.min(checks.len()) {
                scope.spawn(|| {
                    loop {
                        let i = next.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                        let Some(check) = checks.get(i) else { break };
                        let r = self.replay(check);
                        results.lock().unwrap_or_else(|e| e.into_inner())[i] = Some(r);
                    }
                });
            }
        });
        results
            .into_inner()
            .unwrap_or_else(|e| e.into_inner())
            .into_iter()
            .map(|r| r.unwrap_or_else(|| Err(SandboxError::Unusable("a worker thread panicked".into()))))
            .collect()
    }

    /// Runs a recorded [`Check`] again (also the engine behind `check`/`run_program`).
    pub fn replay(&self, check: &Check) -> Result<ExecRecord, SandboxError> {
        let lang = self.registry.get(&check.lang).cloned();
        let cache = match &lang {
            Some(l) if l.cache_env.is_some() => self.cache_for(l),
            _ => None,
        };
        let slot = self.slots.acquire();
        self.execute(check, cache.as_ref(), slot.index)
    }

    fn require_toolchain(&self, lang: &Language) -> Result<(), SandboxError> {
        match self.toolchain(lang) {
            Some(_) => Ok(()),
            None => {
                Err(SandboxError::ToolchainMissing { lang: lang.name.clone(), detect: lang.detect.join(" ") })
            }
        }
    }

    /// Not under /tmp by default: a world-writable parent would let another local user
    /// plant a cache (or a symlink we would chown) before we create it.
    fn cache_root(&self) -> PathBuf {
        if let Some(dir) = &self.opts.cache_dir {
            return dir.clone();
        }
        if self.uid_base.is_some() {
            return PathBuf::from("/var/cache/gen-sandbox");
        }
        let base = std::env::var_os("XDG_CACHE_HOME")
            .map(PathBuf::from)
            .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache")))
            .unwrap_or_else(std::env::temp_dir);
        base.join("gen").join("sandbox")
    }

    /// The language's cache, warmed once by its trusted warm-up program, then mounted
    /// read-only so untrusted code can use it but never poison it for later runs. A cache
    /// that cannot be set up is skipped (slower compiles), never fatal.
    fn cache_for(&self, lang: &Language) -> Option<CacheMount> {
        let dir = self.cache_root().join(&lang.name);
        let marker = dir.join(".warm");
        // The marker holds the warm-up's digest: a cache warmed by another warm-up is
        // warmed again.
        let key = warm_key(lang.warmup.as_ref()?);
        let is_warm = || std::fs::read_to_string(&marker).is_ok_and(|k| k == key);
        let mut warmed = self.warmed.lock().unwrap_or_else(|e| e.into_inner());
        if !warmed.contains(&lang.name) && !is_warm() {
            warmed.push(lang.name.clone());
            if let Err(e) = self.warm(lang, &dir, &marker, &key) {
                tracing::warn!(lang = %lang.name, "no compile cache: {e}");
            }
        }
        drop(warmed);
        is_warm().then_some(CacheMount { host: dir, writable: false })
    }

    fn warm(&self, lang: &Language, dir: &Path, marker: &Path, key: &str) -> Result<(), SandboxError> {
        let Some(warmup) = &lang.warmup else { return Ok(()) };
        if lang.detect_toolchain().is_none() {
            return Ok(());
        }
        // A cache left by another warm-up is stale, and its files belong to an earlier
        // run's slot uid, which this one cannot write as: start afresh.
        if std::fs::symlink_metadata(dir).is_ok_and(|m| m.is_dir()) {
            std::fs::remove_dir_all(dir).map_err(|e| SandboxError::io("clear the stale cache", dir, e))?;
        }
        // Slot uids must be able to reach the cache: 0755 on every directory we create.
        std::fs::DirBuilder::new()
            .recursive(true)
            .mode(0o755)
            .create(dir)
            .map_err(|e| SandboxError::io("create the cache dir", dir, e))?;
        let meta = std::fs::symlink_metadata(dir).map_err(|e| SandboxError::io("inspect", dir, e))?;
        if !meta.is_dir() {
            return Err(SandboxError::io("use", dir, std::io::Error::other("not a plain directory")));
        }
        let slot = self.slots.acquire();
        if let Some(uid) = self.slot_uid(slot.index) {
            std::os::unix::fs::chown(dir, Some(uid), Some(uid))
                .map_err(|e| SandboxError::io("chown the cache dir", dir, e))?;
        }
        let mount = CacheMount { host: dir.to_path_buf(), writable: true };
        let mut check = lang.check_for(&warmup.solution, &warmup.tests);
        check.commands.splice(0..0, warmup.prime.iter().cloned());
        check.compile_steps += warmup.prime.len();
        let rec = self.execute(&check, Some(&mount), slot.index)?;
        if !rec.passed() {
            return Err(SandboxError::Unusable(format!(
                "warm-up {}: {}",
                rec.outcome,
                rec.stderr_tail.trim()
            )));
        }
        std::fs::write(marker, key).map_err(|e| SandboxError::io("mark the cache warm", marker, e))
    }

    fn slot_uid(&self, slot: usize) -> Option<u32> {
        self.uid_base.map(|b| b + slot as u32)
    }

    fn execute(
        &self,
        check: &Check,
        cache: Option<&CacheMount>,
        slot: usize,
    ) -> Result<ExecRecord, SandboxError> {
        let root = self.opts.work_root.clone().unwrap_or_else(std::env::temp_dir);
        let dir = tempfile::Builder::new()
            .prefix("gen-sandbox-")
            .tempdir_in(&root)
            .map_err(|e| SandboxError::io("create a work dir", &root, e))?;
        let uid = self.slot_uid(slot);
        write_files(dir.path(), &check.files, uid)?;
        let mut env = check.env.clone();
        if let (Some(var), Some(c)) =
            (self.registry.get(&check.lang).and_then(|l| l.cache_env.clone()), cache)
        {
            let value = if self.tools.is_some() {
                isolation::CACHE_DIR.into()
            } else {
                c.host.to_string_lossy().into()
            };
            env.insert(var, value);
        }
        let start = Instant::now();
        let mut last: Option<(usize, StepResult)> = None;
        let mut outcome = Outcome::Passed;
        for (i, argv) in check.commands.iter().enumerate() {
            let compiling = i < check.compile_steps;
            let limits = if compiling { &self.opts.compile_limits } else { &self.opts.limits };
            let step = self.run_one(argv, dir.path(), &env, cache, limits, uid)?;
            let verdict = judge(&step, compiling);
            last = Some((i, step));
            if let Some(o) = verdict {
                outcome = o;
                break;
            }
        }
        let duration_ms = start.elapsed().as_millis() as u64;
        let (step, result) = match last {
            Some((i, r)) => (i, Some(r)),
            None => (0, None),
        };
        let (stdout_tail, stderr_tail, stdout_bytes, stderr_bytes) = match &result {
            Some(r) => (r.stdout.tail_string(), r.stderr.tail_string(), r.stdout.total, r.stderr.total),
            None => Default::default(),
        };
        let stderr_kept = result.as_ref().map(|r| r.stderr.kept_string()).unwrap_or_default();
        // An rlimit on memory or processes shows only as a failed allocation or fork
        // inside the program: the runtime's last words say which.
        if let Outcome::Failed { exit_code, signal } = outcome {
            outcome = match self.registry.limit_hit(&check.lang, &stderr_kept) {
                Some(LimitHit::Memory) => Outcome::MemoryLimit { exit_code, signal },
                Some(LimitHit::Process) => Outcome::ProcessLimit { exit_code, signal },
                None => outcome,
            };
        }
        drop(dir);
        Ok(ExecRecord {
            check: check.clone(),
            outcome,
            duration_ms,
            step,
            stdout_tail,
            stderr_tail,
            stdout_bytes,
            stderr_bytes,
        })
    }

    fn run_one(
        &self,
        argv: &[String],
        workdir: &Path,
        env: &BTreeMap<String, String>,
        cache: Option<&CacheMount>,
        limits: &Limits,
        uid: Option<u32>,
    ) -> Result<StepResult, SandboxError> {
        let wall = Duration::from_millis(limits.wall_ms);
        match &self.tools {
            Some(tools) => {
                let wrap = Wrap { argv, workdir, env, cache, limits, uid };
                process::run_step(&isolation::wrapped_argv(tools, &wrap), wall, limits.output_bytes)
            }
            None => process::run_unsandboxed(argv, workdir, env, wall, limits.output_bytes),
        }
    }
}

/// FNV-1a of a warm-up's solution, tests and prime commands, in hex.
fn warm_key(w: &crate::registry::Warmup) -> String {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    let text = format!("{}\0{}\0{:?}", w.solution, w.tests, w.prime);
    for b in text.bytes() {
        h = (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3);
    }
    format!("{h:016x}")
}

const SIGKILL: i32 = 9;
const SIGXCPU: i32 = 24;
const SIGXFSZ: i32 = 25;

/// The outcome a step decides, or `None` to go on to the next step.
fn judge(step: &StepResult, compiling: bool) -> Option<Outcome> {
    if step.timed_out {
        return Some(Outcome::TimeLimit { cpu: false });
    }
    if step.output_exceeded {
        return Some(Outcome::OutputLimit { file: false });
    }
    // bwrap reports a child's death by signal n as exit code 128 + n.
    let (code, signal) = match step.exit {
        Exit::Code(0) => return None,
        Exit::Code(c) if (129..=128 + 64).contains(&c) => (Some(c), Some(c - 128)),
        Exit::Code(c) => (Some(c), None),
        Exit::Signal(s) => (None, Some(s)),
    };
    match signal {
        Some(SIGXCPU) => return Some(Outcome::TimeLimit { cpu: true }),
        Some(SIGXFSZ) => return Some(Outcome::OutputLimit { file: true }),
        Some(SIGKILL) => return Some(Outcome::Killed { signal: SIGKILL }),
        _ => {}
    }
    Some(if compiling {
        Outcome::CompileError { exit_code: code }
    } else {
        Outcome::Failed { exit_code: code, signal }
    })
}

fn write_files(dir: &Path, files: &BTreeMap<String, String>, uid: Option<u32>) -> Result<(), SandboxError> {
    if let Some(uid) = uid {
        std::os::unix::fs::chown(dir, Some(uid), Some(uid))
            .map_err(|e| SandboxError::io("chown the work dir", dir, e))?;
    }
    for (name, content) in files {
        let rel = Path::new(name);
        if rel.is_absolute() || rel.components().any(|c| !matches!(c, std::path::Component::Normal(_))) {
            return Err(SandboxError::BadFileName(name.clone()));
        }
        let path = dir.join(rel);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).map_err(|e| SandboxError::io("create", parent, e))?;
        }
        std::fs::write(&path, content).map_err(|e| SandboxError::io("write", &path, e))?;
    }
    Ok(())
}

impl Language {
    /// The [`Check`] that compiles `solution` with `tests` and runs the tests.
    pub fn check_for(&self, solution: &str, tests: &str) -> Check {
        let mut files = self.files.clone();
        files.insert(self.source_file.clone(), solution.to_string());
        files.insert(self.test_file.clone(), tests.to_string());
        self.to_check(files, &self.check)
    }

    /// The [`Check`] that compiles and runs `source` alone.
    pub fn program_for(&self, source: &str) -> Check {
        let mut files = self.files.clone();
        files.insert(self.source_file.clone(), source.to_string());
        self.to_check(files, &self.program)
    }

    fn to_check(&self, files: BTreeMap<String, String>, steps: &crate::registry::Steps) -> Check {
        let mut commands = steps.compile.clone();
        commands.push(steps.run.clone());
        Check {
            lang: self.name.clone(),
            files,
            commands,
            compile_steps: steps.compile.len(),
            env: self.env.clone(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::process::Captured;

    fn step(exit: Exit) -> StepResult {
        StepResult {
            exit,
            timed_out: false,
            output_exceeded: false,
            stdout: Captured::default(),
            stderr: Captured::default(),
        }
    }

    #[test]
    fn exit_statuses_map_to_outcomes() {
        assert_eq!(judge(&step(Exit::Code(0)), false), None);
        assert_eq!(judge(&step(Exit::Code(1)), true), Some(Outcome::CompileError { exit_code: Some(1) }));
        assert_eq!(
            judge(&step(Exit::Code(1)), false),
            Some(Outcome::Failed { exit_code: Some(1), signal: None })
        );
        // bwrap's 128 + n: SIGABRT is a failing test, SIGKILL/SIGXCPU/SIGXFSZ are limits.
        assert_eq!(
            judge(&step(Exit::Code(134)), false),
            Some(Outcome::Failed { exit_code: Some(134), signal: Some(6) })
        );
        assert_eq!(judge(&step(Exit::Code(152)), false), Some(Outcome::TimeLimit { cpu: true }));
        assert_eq!(judge(&step(Exit::Code(153)), false), Some(Outcome::OutputLimit { file: true }));
        assert_eq!(judge(&step(Exit::Signal(9)), true), Some(Outcome::Killed { signal: 9 }));
        let mut t = step(Exit::Signal(9));
        t.timed_out = true;
        assert_eq!(judge(&t, false), Some(Outcome::TimeLimit { cpu: false }));
        let mut o = step(Exit::Signal(9));
        o.output_exceeded = true;
        assert_eq!(judge(&o, false), Some(Outcome::OutputLimit { file: false }));
    }
}
