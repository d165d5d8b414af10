//! The WASI context of one program ([`WasiCtx`]) and its builder ([`WasiCtxBuilder`]).
//!
//! A context holds everything the guest may see: its arguments, its environment, and its fd
//! table (standard streams and preopened directories). Nothing else of the host is reachable:
//! a directory that was not preopened cannot be named, and environment variables that were
//! not passed do not exist for the guest.

use std::io;
use std::path::Path;
use std::sync::{Arc, Mutex};

use cap_std::ambient_authority;
use cap_std::fs::Dir;

use super::fdtable::{FdEntry, FdKind, FdTable, Input, Output};
use super::types::rights;

/// The state of one WASI program: arguments, environment and open fds.
///
/// Build it with [`WasiCtx::builder`], store it in your `Store`'s data, and give
/// [`crate::add_to_linker`] a function that finds it there.
#[derive(Debug)]
pub struct WasiCtx {
    pub(crate) args: Vec<Vec<u8>>,
    pub(crate) env: Vec<Vec<u8>>,
    pub(crate) fds: FdTable,
}

impl WasiCtx {
    /// A builder for a context with no arguments, no environment, no preopens, and empty
    /// standard streams (stdin at end of file, output discarded).
    pub fn builder() -> WasiCtxBuilder {
        WasiCtxBuilder::new()
    }

    /// The program's arguments (`argv`), as given to the builder.
    pub fn args(&self) -> impl Iterator<Item = &[u8]> {
        self.args.iter().map(Vec::as_slice)
    }
}

/// The captured output of a stream set up with [`WasiCtxBuilder::stdout_capture`] or
/// [`WasiCtxBuilder::stderr_capture`]. Cheap to clone; every clone sees the same bytes.
#[derive(Debug, Clone, Default)]
pub struct OutputCapture {
    bytes: Arc<Mutex<Vec<u8>>>,
}

impl OutputCapture {
    /// Everything written so far.
    pub fn contents(&self) -> Vec<u8> {
        self.lock().clone()
    }

    /// Everything written so far, as (lossy) UTF-8 text.
    pub fn contents_string(&self) -> String {
        String::from_utf8_lossy(&self.lock()).into_owned()
    }

    /// Appends `data` (what the guest wrote).
    pub(crate) fn append(&self, data: &[u8]) {
        self.lock().extend_from_slice(data);
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<u8>> {
        // A panic while holding the lock cannot leave the bytes inconsistent.
        self.bytes.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// Builds a [`WasiCtx`]: arguments, environment, preopened directories, standard streams.
#[derive(Debug)]
pub struct WasiCtxBuilder {
    args: Vec<Vec<u8>>,
    env: Vec<Vec<u8>>,
    preopens: Vec<(Dir, String)>,
    stdin: Input,
    stdout: Output,
    stderr: Output,
}

impl Default for WasiCtxBuilder {
    fn default() -> Self {
        WasiCtxBuilder::new()
    }
}

impl WasiCtxBuilder {
    /// An empty configuration (see [`WasiCtx::builder`]).
    pub fn new() -> WasiCtxBuilder {
        WasiCtxBuilder {
            args: Vec::new(),
            env: Vec::new(),
            preopens: Vec::new(),
            stdin: Input::Bytes(io::Cursor::new(Vec::new())),
            stdout: Output::Null,
            stderr: Output::Null,
        }
    }

    /// Appends one argument. The first one is `argv[0]`, conventionally the program name.
    pub fn arg(&mut self, arg: impl AsRef<[u8]>) -> &mut Self {
        self.args.push(arg.as_ref().to_vec());
        self
    }

    /// Appends arguments.
    pub fn args<I, S>(&mut self, args: I) -> &mut Self
    where
        I: IntoIterator<Item = S>,
        S: AsRef<[u8]>,
    {
        for arg in args {
            self.arg(arg);
        }
        self
    }

    /// Adds the environment variable `name=value` (replacing an earlier one of that name).
    pub fn env(&mut self, name: impl AsRef<[u8]>, value: impl AsRef<[u8]>) -> &mut Self {
        let name = name.as_ref();
        self.env
            .retain(|entry| !(entry.starts_with(name) && entry.get(name.len()) == Some(&b'=')));
        let mut entry = name.to_vec();
        entry.push(b'=');
        entry.extend_from_slice(value.as_ref());
        self.env.push(entry);
        self
    }

    /// Passes the whole environment of the host process to the guest.
    pub fn inherit_env(&mut self) -> &mut Self {
        use std::os::unix::ffi::OsStrExt;
        for (name, value) in std::env::vars_os() {
            self.env(name.as_bytes(), value.as_bytes());
        }
        self
    }

    /// Preopens the host directory `host_path` with full rights; the guest sees it as
    /// `guest_path` (its fds are numbered from 3 in the order of these calls).
    ///
    /// # Errors
    /// If the directory cannot be opened.
    pub fn preopened_dir(
        &mut self,
        host_path: impl AsRef<Path>,
        guest_path: impl Into<String>,
    ) -> io::Result<&mut Self> {
        let dir = Dir::open_ambient_dir(host_path.as_ref(), ambient_authority())?;
        self.preopens.push((dir, guest_path.into()));
        Ok(self)
    }

    /// The guest reads, writes and writes errors to this process's own standard streams.
    pub fn inherit_stdio(&mut self) -> &mut Self {
        self.inherit_stdin().inherit_stdout().inherit_stderr()
    }

    /// The guest reads this process's stdin.
    pub fn inherit_stdin(&mut self) -> &mut Self {
        self.stdin = Input::Inherit;
        self
    }

    /// The guest's stdout is this process's stdout.
    pub fn inherit_stdout(&mut self) -> &mut Self {
        self.stdout = Output::Stdout;
        self
    }

    /// The guest's stderr is this process's stderr.
    pub fn inherit_stderr(&mut self) -> &mut Self {
        self.stderr = Output::Stderr;
        self
    }

    /// The guest's stdin yields `bytes`, then end of file.
    pub fn stdin(&mut self, bytes: impl Into<Vec<u8>>) -> &mut Self {
        self.stdin = Input::Bytes(io::Cursor::new(bytes.into()));
        self
    }

    /// The guest's stdout goes to memory; read it through the returned handle.
    pub fn stdout_capture(&mut self) -> OutputCapture {
        let capture = OutputCapture::default();
        self.stdout = Output::Capture(capture.clone());
        capture
    }

    /// The guest's stderr goes to memory; read it through the returned handle.
    pub fn stderr_capture(&mut self) -> OutputCapture {
        let capture = OutputCapture::default();
        self.stderr = Output::Capture(capture.clone());
        capture
    }

    /// The context. The builder is left empty (as by [`WasiCtxBuilder::new`]).
    pub fn build(&mut self) -> WasiCtx {
        let b = std::mem::take(self);
        let mut fds = FdTable::default();
        fds.insert(FdEntry::new(FdKind::Stdin(b.stdin), rights::STDIO, 0));
        fds.insert(FdEntry::new(FdKind::Output(b.stdout), rights::STDIO, 0));
        fds.insert(FdEntry::new(FdKind::Output(b.stderr), rights::STDIO, 0));
        for (dir, guest) in b.preopens {
            let mut entry = FdEntry::new(FdKind::Dir(dir), rights::DIR, rights::ALL);
            entry.preopen = Some(guest);
            fds.insert(entry);
        }
        WasiCtx {
            args: b.args,
            env: b.env,
            fds,
        }
    }
}
