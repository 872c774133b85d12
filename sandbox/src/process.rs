//! Spawning one wrapped command: wall-time limit, capped output capture, kill.

use std::collections::BTreeMap;
use std::io::Read;
use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use crate::SandboxError;
use crate::registry::SANDBOX_PATH;
use rustix::process::{Pid, Signal};

/// Bytes of each stream kept for the record.
pub const TAIL_BYTES: usize = 4096;

/// How a step's process ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Exit {
    Code(i32),
    Signal(i32),
}

#[derive(Debug)]
pub(crate) struct StepResult {
    pub exit: Exit,
    pub timed_out: bool,
    pub output_exceeded: bool,
    pub stdout: Captured,
    pub stderr: Captured,
}

/// Bytes kept from the start of a stream: where Go and the JVM print why they died,
/// before a stack dump that can push it out of the tail.
pub(crate) const HEAD_BYTES: usize = 1024;

/// The head and tail of a stream and how much was written in total.
#[derive(Debug, Default)]
pub(crate) struct Captured {
    pub head: Vec<u8>,
    pub tail: Vec<u8>,
    pub total: u64,
}

impl Captured {
    pub fn tail_string(&self) -> String {
        String::from_utf8_lossy(&self.tail).into_owned()
    }

    /// Everything kept: the head, then the tail (they overlap on a short stream).
    pub fn kept_string(&self) -> String {
        if self.total as usize <= self.tail.len() {
            return self.tail_string();
        }
        format!("{}\n{}", String::from_utf8_lossy(&self.head), self.tail_string())
    }
}

/// Reads a pipe to EOF keeping only the last TAIL_BYTES, and stops reading (raising
/// `over`) once `limit` bytes went through: the writer then blocks on a full pipe until
/// it is killed, so a 1 GB print costs neither memory nor disk.
fn capture(mut pipe: impl Read + Send + 'static, limit: u64, over: Arc<AtomicBool>) -> JoinHandle<Captured> {
    std::thread::spawn(move || {
        let mut cap = Captured::default();
        let mut buf = [0u8; 16 * 1024];
        loop {
            match pipe.read(&mut buf) {
                Ok(0) => break,
                Ok(n) => {
                    cap.total += n as u64;
                    let room = HEAD_BYTES.saturating_sub(cap.head.len()).min(n);
                    cap.head.extend_from_slice(&buf[..room]);
                    cap.tail.extend_from_slice(&buf[..n]);
                    if cap.tail.len() > 2 * TAIL_BYTES {
                        let cut = cap.tail.len() - TAIL_BYTES;
                        cap.tail.drain(..cut);
                    }
                    if cap.total > limit {
                        over.store(true, Ordering::SeqCst);
                        break;
                    }
                }
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(_) => break,
            }
        }
        if cap.tail.len() > TAIL_BYTES {
            let cut = cap.tail.len() - TAIL_BYTES;
            cap.tail.drain(..cut);
        }
        cap
    })
}

/// Runs `argv` (already wrapped) to completion or until `wall` or the output limit.
pub(crate) fn run_step(
    argv: &[String],
    wall: Duration,
    output_limit: u64,
) -> Result<StepResult, SandboxError> {
    let (program, args) = split(argv)?;
    let mut cmd = Command::new(program);
    cmd.args(args);
    supervise(cmd, program, wall, output_limit, false)
}

/// Runs `argv` directly on the host (`unsafe_no_sandbox`): same limits on wall time and
/// output, same cleared environment, but no isolation and no rlimits.
pub(crate) fn run_unsandboxed(
    argv: &[String],
    workdir: &Path,
    env: &BTreeMap<String, String>,
    wall: Duration,
    output_limit: u64,
) -> Result<StepResult, SandboxError> {
    let (program, args) = split(argv)?;
    let mut cmd = Command::new(program);
    cmd.args(args).current_dir(workdir).env_clear();
    cmd.env("PATH", SANDBOX_PATH).env("HOME", workdir).env("LANG", "C.UTF-8");
    cmd.envs(env);
    supervise(cmd, program, wall, output_limit, true)
}

fn split(argv: &[String]) -> Result<(&String, &[String]), SandboxError> {
    argv.split_first().ok_or_else(|| SandboxError::Spawn {
        command: String::new(),
        source: std::io::Error::other("empty command"),
    })
}

fn supervise(
    mut cmd: Command,
    program: &str,
    wall: Duration,
    output_limit: u64,
    kill_group: bool,
) -> Result<StepResult, SandboxError> {
    cmd.stdin(Stdio::null()).stdout(Stdio::piped()).stderr(Stdio::piped());
    // Its own process group, so a terminal's Ctrl-C reaches us, not the sandbox first.
    cmd.process_group(0);
    let mut child =
        cmd.spawn().map_err(|source| SandboxError::Spawn { command: program.to_string(), source })?;
    let over = Arc::new(AtomicBool::new(false));
    let out = child.stdout.take().map(|p| capture(p, output_limit, over.clone()));
    let err = child.stderr.take().map(|p| capture(p, output_limit, over.clone()));

    let start = Instant::now();
    let mut timed_out = false;
    let mut output_exceeded = false;
    let mut nap = Duration::from_micros(200);
    let status = loop {
        if let Some(status) = child.try_wait().map_err(SandboxError::wait)? {
            break status;
        }
        if over.load(Ordering::SeqCst) {
            output_exceeded = true;
            break kill(&mut child, kill_group)?;
        }
        if start.elapsed() >= wall {
            timed_out = true;
            break kill(&mut child, kill_group)?;
        }
        std::thread::sleep(nap);
        nap = (nap * 2).min(Duration::from_millis(5));
    };
    let join = |h: Option<JoinHandle<Captured>>| h.and_then(|h| h.join().ok()).unwrap_or_default();
    let stdout = join(out);
    let stderr = join(err);
    output_exceeded |= over.load(Ordering::SeqCst) && !timed_out;
    let exit = match (status.code(), status.signal()) {
        (Some(c), _) => Exit::Code(c),
        (None, Some(s)) => Exit::Signal(s),
        (None, None) => Exit::Code(-1),
    };
    Ok(StepResult { exit, timed_out, output_exceeded, stdout, stderr })
}

/// Kills the sandbox. The target is bwrap's child, PID 1 of the sandbox's PID namespace:
/// when it dies the kernel kills everything in the namespace, and bwrap, its parent,
/// reaps it and exits. Killing bwrap first would orphan that PID 1 to the host's init,
/// which in a container may reap it late: meanwhile the zombie counts against the slot
/// uid's RLIMIT_NPROC. Unsandboxed there is no namespace, so the process group
/// is killed instead (a daemonised escapee survives that).
fn kill(child: &mut Child, group: bool) -> Result<std::process::ExitStatus, SandboxError> {
    let pid = child.id() as i32;
    if group {
        if let Some(pgid) = Pid::from_raw(pid) {
            let _ = rustix::process::kill_process_group(pgid, Signal::KILL);
        }
    } else {
        for inner in children_of(pid) {
            if let Some(inner) = Pid::from_raw(inner) {
                let _ = rustix::process::kill_process(inner, Signal::KILL);
            }
        }
        let deadline = Instant::now() + Duration::from_secs(2);
        while Instant::now() < deadline {
            if let Some(status) = child.try_wait().map_err(SandboxError::wait)? {
                return Ok(status);
            }
            std::thread::sleep(Duration::from_millis(2));
        }
    }
    // Already exited between try_wait and kill: wait() below still reaps it.
    let _ = child.kill();
    child.wait().map_err(SandboxError::wait)
}

/// Direct children of `pid` (from /proc; empty if it has none or already exited).
fn children_of(pid: i32) -> Vec<i32> {
    let listed = std::fs::read_to_string(format!("/proc/{pid}/task/{pid}/children")).unwrap_or_default();
    listed.split_whitespace().filter_map(|p| p.parse().ok()).collect()
}
