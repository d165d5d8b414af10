//! Errors and traps as the embedder sees them.
//!
//! [`Error`] is the one error type of the public API. A [`Trap`] carries its [`TrapCode`] and
//! the wasm backtrace (innermost frame first), with function names from the name section.
//! A host function can fail with any error value of its own ([`Error::new`]): it travels out
//! of the wasm call as a [`HostError`], with the wasm backtrace like a trap, and the embedder
//! gets the value back with [`Error::downcast_ref`] or [`Error::downcast`] (this is how WASI's
//! `proc_exit` reports its status, as Wasmtime's `I32Exit` does).

use std::any::Any;
use std::fmt;
use std::sync::Arc;

use tierup_abi::{FuncIdx, ModuleInfo, RawTrap, TrapCode, WasmFrame};

use crate::config::TierMode;

/// One frame of a wasm backtrace.
#[derive(Debug, Clone)]
pub struct FrameInfo {
    module: Arc<ModuleInfo>,
    func_index: u32,
}

impl FrameInfo {
    /// The function's index in its module.
    pub fn func_index(&self) -> u32 {
        self.func_index
    }

    /// The function's name from the module's name section, if present.
    pub fn func_name(&self) -> Option<&str> {
        self.module.func_name(FuncIdx(self.func_index))
    }

    /// The module's name from its name section, if present.
    pub fn module_name(&self) -> Option<&str> {
        self.module.name.as_deref()
    }
}

impl fmt::Display for FrameInfo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(module) = self.module_name() {
            write!(f, "{module}!")?;
        }
        match self.func_name() {
            Some(name) => f.write_str(name),
            None => write!(f, "<wasm function {}>", self.func_index),
        }
    }
}

/// Frames a trap's `Display` prints at most (the innermost three quarters, the outermost
/// quarter); [`Trap::backtrace`] always has them all.
const MAX_FRAMES_SHOWN: usize = 64;

/// A wasm trap: why execution stopped, and where.
#[derive(Debug, Clone)]
pub struct Trap {
    code: TrapCode,
    backtrace: Vec<FrameInfo>,
    detail: Option<String>,
}

impl Trap {
    /// A trap without backtrace (e.g. raised by the embedder).
    pub fn new(code: TrapCode) -> Trap {
        Trap {
            code,
            backtrace: Vec::new(),
            detail: None,
        }
    }

    pub(crate) fn from_raw(raw: RawTrap) -> Trap {
        let mut backtrace = Vec::new();
        extend_capped(&mut backtrace, raw.frames);
        Trap {
            code: raw.code,
            detail: raw.detail,
            backtrace,
        }
    }

    /// Appends outer frames (used when a trap crosses a host function).
    pub(crate) fn extend_backtrace(&mut self, raw: RawTrap) {
        extend_capped(&mut self.backtrace, raw.frames);
    }

    /// What went wrong.
    pub fn code(&self) -> TrapCode {
        self.code
    }

    /// The wasm frames at the trap, innermost first.
    pub fn backtrace(&self) -> &[FrameInfo] {
        &self.backtrace
    }
}

impl fmt::Display for Trap {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "wasm trap: {}", self.code)?;
        if let Some(detail) = &self.detail {
            write!(f, ": {detail}")?;
        }
        write_backtrace(f, &self.backtrace)
    }
}

/// The public frames of a raw backtrace.
/// The most frames a backtrace keeps: the innermost [`MAX_BACKTRACE_FRAMES`]. Machine code
/// records that many per entry into wasm and the interpreter all of its own, so a backtrace
/// cut to the innermost ones is the same whatever tiers ran the frames (DESIGN.md §8a).
pub const MAX_BACKTRACE_FRAMES: usize = crate::jit::traps::MAX_TRAP_FRAMES;

/// Appends `frames` (innermost first) to `backtrace`, up to [`MAX_BACKTRACE_FRAMES`] in all.
fn extend_capped(backtrace: &mut Vec<FrameInfo>, frames: Vec<WasmFrame>) {
    let room = MAX_BACKTRACE_FRAMES.saturating_sub(backtrace.len());
    backtrace.extend(frame_infos(frames).take(room));
}

fn frame_infos(frames: Vec<WasmFrame>) -> impl Iterator<Item = FrameInfo> {
    frames.into_iter().map(|f| FrameInfo {
        module: f.module,
        func_index: f.func_index.as_u32(),
    })
}

/// Writes `\nwasm backtrace:` and one line per frame (nothing for an empty backtrace).
fn write_backtrace(f: &mut fmt::Formatter<'_>, backtrace: &[FrameInfo]) -> fmt::Result {
    if backtrace.is_empty() {
        return Ok(());
    }
    f.write_str("\nwasm backtrace:")?;
    let n = backtrace.len();
    // Deep recursion has 100,000 frames: show the innermost and outermost ones.
    let (head, tail) = if n > MAX_FRAMES_SHOWN {
        (MAX_FRAMES_SHOWN * 3 / 4, MAX_FRAMES_SHOWN / 4)
    } else {
        (n, 0)
    };
    for (i, frame) in backtrace[..head].iter().enumerate() {
        write!(f, "\n    {i}: {frame}")?;
    }
    if tail > 0 {
        write!(f, "\n    ... {} frames omitted ...", n - head - tail)?;
        for (i, frame) in backtrace.iter().enumerate().skip(n - tail) {
            write!(f, "\n    {i}: {frame}")?;
        }
    }
    Ok(())
}

impl std::error::Error for Trap {}

/// Every error of the public API.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// WAT text that does not parse.
    #[error("failed to parse WebAssembly text: {0}")]
    Parse(String),
    /// A malformed or invalid binary (`wasmparser`'s message and the byte offset).
    #[error("invalid module: {message} (at offset {offset:#x})")]
    Invalid {
        /// What is wrong.
        message: String,
        /// Where, in bytes from the start of the binary.
        offset: usize,
    },
    /// An import that is missing or of the wrong type.
    #[error("unlinkable: {0}")]
    Unlinkable(String),
    /// A wasm trap.
    #[error("{0}")]
    Trap(Trap),
    /// A tier that this build cannot run yet.
    #[error(
        "tier `{0}` is not available on this machine (machine code needs x86-64 Linux with SSE4.1 and POPCNT)"
    )]
    TierUnavailable(TierMode),
    /// Something this runtime does not support.
    #[error("unsupported: {0}")]
    Unsupported(String),
    /// An I/O error (e.g. reading a module file).
    #[error("i/o error: {0}")]
    Io(#[from] std::io::Error),
    /// An error value of its own that a host function failed with ([`Error::new`]), with the
    /// wasm backtrace of the call; [`Error::downcast_ref`] and [`Error::downcast`] get the
    /// value back.
    #[error("{0}")]
    Host(HostError),
    /// Any other error, with a message.
    #[error("{0}")]
    Message(String),
}

impl Error {
    /// An error with a message (what host functions usually return).
    pub fn msg(message: impl fmt::Display) -> Error {
        Error::Message(message.to_string())
    }

    /// Wraps any error value, typically for a host function to fail with: the value travels
    /// out of the wasm call unchanged (as [`Error::Host`], collecting the wasm backtrace on
    /// its way like a trap) and the embedder recovers it with [`Error::downcast_ref`] or
    /// [`Error::downcast`]. An [`Error`] stays what it is, and a [`Trap`] becomes
    /// [`Error::Trap`].
    pub fn new<E: std::error::Error + Send + Sync + 'static>(error: E) -> Error {
        let error: Box<dyn std::error::Error + Send + Sync> = Box::new(error);
        let error = match error.downcast::<Error>() {
            Ok(error) => return *error,
            Err(error) => error,
        };
        match error.downcast::<Trap>() {
            Ok(trap) => Error::Trap(*trap),
            Err(error) => Error::Host(HostError {
                error,
                backtrace: Vec::new(),
            }),
        }
    }

    /// The value of type `E` this error carries: the one given to [`Error::new`], or the
    /// [`Trap`] of an [`Error::Trap`]; `None` for anything else.
    pub fn downcast_ref<E: std::error::Error + 'static>(&self) -> Option<&E> {
        match self {
            Error::Host(host) => host.error.downcast_ref(),
            Error::Trap(trap) => (trap as &dyn Any).downcast_ref(),
            _ => None,
        }
    }

    /// As [`Error::downcast_ref`], by value: `Err(self)` when the error carries no `E`.
    ///
    /// # Errors
    /// This error, unchanged, if it does not carry a value of type `E`.
    pub fn downcast<E: std::error::Error + 'static>(self) -> Result<E, Error> {
        match self {
            Error::Host(HostError { error, backtrace }) => match error.downcast() {
                Ok(value) => Ok(*value),
                Err(error) => Err(Error::Host(HostError { error, backtrace })),
            },
            Error::Trap(trap) => {
                let trap: Box<dyn Any> = Box::new(trap);
                trap.downcast().map(|value| *value).map_err(|trap| {
                    Error::Trap(*trap.downcast::<Trap>().expect("the value boxed above"))
                })
            }
            other => Err(other),
        }
    }

    /// The trap, if this error is one.
    pub fn as_trap(&self) -> Option<&Trap> {
        match self {
            Error::Trap(t) => Some(t),
            _ => None,
        }
    }
}

/// An error value a host function failed with ([`Error::new`]) and the wasm frames it passed
/// through on its way out, innermost first.
#[derive(Debug)]
pub struct HostError {
    error: Box<dyn std::error::Error + Send + Sync>,
    backtrace: Vec<FrameInfo>,
}

impl HostError {
    /// The wasm frames between the failing host function and the embedder's call, innermost
    /// first (empty when the embedder called the host function directly).
    pub fn backtrace(&self) -> &[FrameInfo] {
        &self.backtrace
    }

    /// Appends the frames of the wasm activation the error just left.
    pub(crate) fn extend_backtrace(&mut self, raw: RawTrap) {
        extend_capped(&mut self.backtrace, raw.frames);
    }
}

impl fmt::Display for HostError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.error)?;
        write_backtrace(f, &self.backtrace)
    }
}

impl std::error::Error for HostError {
    // The value's own message is this error's message, so its source is the value's source.
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.error.source()
    }
}

impl From<Trap> for Error {
    fn from(t: Trap) -> Self {
        Error::Trap(t)
    }
}

impl From<tierup_abi::ValidationError> for Error {
    fn from(e: tierup_abi::ValidationError) -> Self {
        Error::Invalid {
            message: e.message,
            offset: e.offset,
        }
    }
}
