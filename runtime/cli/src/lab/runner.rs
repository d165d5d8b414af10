//! One measured run of one process: owns spawning it, reading its output, timing it and
//! reaping it with its resource usage.
//!
//! Measures: wall time from just before `spawn` to the child's exit; the child's user and
//! system CPU time and maximum RSS from `wait4`'s `struct rusage` (its own, background compile
//! threads included, not mixed with other children); and the time to the first byte read from
//! its stdout pipe. Two threads drain stdout and stderr, a third is the timeout watchdog.
//!
//! Each child gets `PR_SET_PDEATHSIG` = `SIGKILL`, so that killing the lab ends its run too.
//!
//! Hazard: killing by pid is only safe while the pid cannot be reused. The main thread waits
//! with `waitid(WNOWAIT)` (the child stays a zombie, so its pid stays taken), then stops the
//! watchdog, and only then reaps with `wait4`: the watchdog never signals a reaped pid.

use std::io::Read;
use std::os::unix::process::CommandExt;
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// What one run did.
#[derive(Debug, Default, Clone)]
pub struct Measured {
    /// Spawn to exit, in ms.
    pub wall_ms: f64,
    /// The child's user CPU time, in ms.
    pub user_ms: f64,
    /// The child's system CPU time, in ms.
    pub sys_ms: f64,
    /// The child's maximum resident set size, in KiB.
    pub max_rss_kib: f64,
    /// Spawn to the first byte on stdout, in ms (`None`: it printed nothing).
    pub first_byte_ms: Option<f64>,
    /// Its exit code, if it exited.
    pub exit_code: Option<i32>,
    /// The signal that ended it, if one did.
    pub signal: Option<i32>,
    /// Whether the watchdog killed it.
    pub timed_out: bool,
    /// Everything it printed on stdout.
    pub stdout: Vec<u8>,
    /// Everything it printed on stderr.
    pub stderr: Vec<u8>,
}

/// Reads `pipe` to its end; returns the bytes and when the first one arrived.
fn drain(
    mut pipe: impl Read + Send + 'static,
) -> std::thread::JoinHandle<(Vec<u8>, Option<Instant>)> {
    std::thread::spawn(move || {
        let mut bytes = Vec::new();
        let mut first = None;
        let mut buf = [0u8; 16 * 1024];
        loop {
            match pipe.read(&mut buf) {
                Ok(0) => break,
                Ok(n) => {
                    if first.is_none() {
                        first = Some(Instant::now());
                    }
                    bytes.extend_from_slice(&buf[..n]);
                }
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(_) => break,
            }
        }
        (bytes, first)
    })
}

/// Runs `cmd` (stdin empty, stdout and stderr captured) and measures it; kills it after
/// `timeout`.
///
/// # Errors
/// The process could not be started (the message says why).
pub fn run(mut cmd: Command, timeout: Duration) -> Result<Measured, String> {
    cmd.stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    // SAFETY: the closure runs in the child between fork and exec and calls only `prctl`, which
    // is async-signal-safe; it allocates nothing and takes no lock.
    unsafe {
        cmd.pre_exec(|| {
            // If the lab dies (Ctrl-C, a kill), its run dies with it instead of running on.
            libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL);
            Ok(())
        });
    }
    let start = Instant::now();
    let mut child = cmd
        .spawn()
        .map_err(|e| format!("cannot start `{}`: {e}", cmd.get_program().display()))?;
    let pid = child.id() as libc::pid_t;
    let out = drain(child.stdout.take().expect("stdout is piped"));
    let err = drain(child.stderr.take().expect("stderr is piped"));
    let (stop, stopped) = mpsc::channel::<()>();
    let watchdog = std::thread::spawn(move || {
        if let Err(mpsc::RecvTimeoutError::Timeout) = stopped.recv_timeout(timeout) {
            // SAFETY: `pid` is our child, not yet reaped (the main thread reaps it only after
            // joining this thread), so the pid cannot name another process.
            unsafe { libc::kill(pid, libc::SIGKILL) };
            return true;
        }
        false
    });
    // Wait for the exit without reaping, so that the pid stays ours until the watchdog is
    // stopped.
    loop {
        // SAFETY: an all-zero `siginfo_t` is a valid value for waitid to overwrite.
        let mut info: libc::siginfo_t = unsafe { std::mem::zeroed() };
        // SAFETY: `info` is valid for writes; `pid` is our own child.
        let r = unsafe {
            libc::waitid(
                libc::P_PID,
                pid as libc::id_t,
                &mut info,
                libc::WEXITED | libc::WNOWAIT,
            )
        };
        if r == 0 {
            break;
        }
        let e = std::io::Error::last_os_error();
        if e.kind() != std::io::ErrorKind::Interrupted {
            return Err(format!("waitid: {e}"));
        }
    }
    let wall = start.elapsed();
    let _ = stop.send(());
    let timed_out = watchdog.join().unwrap_or(false);
    let mut status = 0i32;
    // SAFETY: an all-zero `rusage` is a valid value (plain integers) for wait4 to overwrite.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    loop {
        // SAFETY: `status` and `usage` are valid for writes; `pid` is our exited child, which
        // nothing else reaps (std's `Child` is never waited on).
        let r = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
        if r == pid {
            break;
        }
        let e = std::io::Error::last_os_error();
        if r < 0 && e.kind() != std::io::ErrorKind::Interrupted {
            return Err(format!("wait4: {e}"));
        }
    }
    // Reaped above: dropping a `Child` neither waits nor kills.
    drop(child);
    let (stdout, first) = out.join().unwrap_or_default();
    let (stderr, _) = err.join().unwrap_or_default();
    let ms = |tv: libc::timeval| tv.tv_sec as f64 * 1e3 + tv.tv_usec as f64 / 1e3;
    let signal = status & 0x7f;
    Ok(Measured {
        wall_ms: wall.as_secs_f64() * 1e3,
        user_ms: ms(usage.ru_utime),
        sys_ms: ms(usage.ru_stime),
        max_rss_kib: usage.ru_maxrss as f64,
        first_byte_ms: first.map(|t| t.duration_since(start).as_secs_f64() * 1e3),
        exit_code: (signal == 0).then_some((status >> 8) & 0xff),
        signal: (signal != 0).then_some(signal),
        timed_out,
        stdout,
        stderr,
    })
}
