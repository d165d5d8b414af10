//! Trap codes and the raw trap record every tier produces.
//!
//! A trap is a value, never a crash: the interpreter returns it, machine code reaches it
//! through a landing pad, and the runtime turns it into a user-facing error with a backtrace.
//! The discriminants are stable: JIT code and libcalls pass `code as u32 + 1` as a status word
//! (0 meaning "no trap"), see [`TrapCode::from_status`].

use std::fmt;
use std::sync::Arc;

use crate::index::FuncIdx;
use crate::module::ModuleInfo;

/// Why wasm execution stopped abnormally.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[repr(u32)]
pub enum TrapCode {
    /// An `unreachable` instruction was executed.
    Unreachable = 0,
    /// Signed division overflow (`i32.div_s(i32::MIN, -1)`) and friends.
    IntegerOverflow = 1,
    /// Integer division or remainder by zero.
    IntegerDivisionByZero = 2,
    /// A trapping float-to-int conversion got NaN or an out-of-range value.
    BadConversionToInteger = 3,
    /// A memory access, `memory.copy/fill/init` or data segment went out of bounds.
    MemoryOutOfBounds = 4,
    /// A table access, `call_indirect` index, or element segment went out of bounds.
    TableOutOfBounds = 5,
    /// `call_indirect` found a null entry.
    IndirectCallToNull = 6,
    /// `call_indirect` found a function of the wrong type.
    BadSignature = 7,
    /// The slot stack or the native stack is exhausted.
    StackOverflow = 8,
    /// The embedder interrupted execution (interrupt handle, timeout, or an epoch deadline
    /// whose callback chose to trap).
    Interrupted = 9,
    /// A host function returned an error; the runtime keeps the error itself.
    HostError = 10,
    /// A function exceeds a limit of the tier that must run it (e.g. a frame too large for the
    /// interpreter); the trap's detail says which.
    ResourceLimit = 11,
    /// Fuel metering is on and the fuel ran out (see `tierup_abi::metering`).
    OutOfFuel = 12,
}

impl TrapCode {
    /// Every trap code, in discriminant order.
    pub const ALL: [TrapCode; 13] = [
        TrapCode::Unreachable,
        TrapCode::IntegerOverflow,
        TrapCode::IntegerDivisionByZero,
        TrapCode::BadConversionToInteger,
        TrapCode::MemoryOutOfBounds,
        TrapCode::TableOutOfBounds,
        TrapCode::IndirectCallToNull,
        TrapCode::BadSignature,
        TrapCode::StackOverflow,
        TrapCode::Interrupted,
        TrapCode::HostError,
        TrapCode::ResourceLimit,
        TrapCode::OutOfFuel,
    ];

    /// The status word that libcalls and stubs return for this trap (never 0).
    pub fn status(self) -> u32 {
        self as u32 + 1
    }

    /// Decodes a status word: `None` for 0 (success) or an unknown value.
    pub fn from_status(status: u32) -> Option<TrapCode> {
        status
            .checked_sub(1)
            .and_then(|i| Self::ALL.get(i as usize).copied())
    }

    /// The message the WebAssembly spec tests use for this trap (or a superset of it).
    pub fn message(self) -> &'static str {
        match self {
            TrapCode::Unreachable => "unreachable",
            TrapCode::IntegerOverflow => "integer overflow",
            TrapCode::IntegerDivisionByZero => "integer divide by zero",
            TrapCode::BadConversionToInteger => "invalid conversion to integer",
            TrapCode::MemoryOutOfBounds => "out of bounds memory access",
            TrapCode::TableOutOfBounds => "undefined element: out of bounds table access",
            TrapCode::IndirectCallToNull => "uninitialized element: indirect call to null",
            TrapCode::BadSignature => "indirect call type mismatch",
            TrapCode::StackOverflow => "call stack exhausted",
            TrapCode::Interrupted => "interrupted",
            TrapCode::HostError => "host error",
            TrapCode::ResourceLimit => "resource limit exceeded",
            TrapCode::OutOfFuel => "all fuel consumed by WebAssembly",
        }
    }
}

impl fmt::Display for TrapCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.message())
    }
}

/// One wasm activation in a trap's backtrace.
#[derive(Debug, Clone)]
pub struct WasmFrame {
    /// The module the function belongs to (for its name section).
    pub module: Arc<ModuleInfo>,
    /// The function's index in that module's function index space.
    pub func_index: FuncIdx,
}

/// A trap as the tiers report it: the code and the wasm frames, innermost first.
///
/// Frames are appended as the trap propagates outwards through nested activations.
#[derive(Debug, Clone)]
pub struct RawTrap {
    /// What went wrong.
    pub code: TrapCode,
    /// The wasm call stack at the trap, innermost first.
    pub frames: Vec<WasmFrame>,
    /// More about the trap, where the code alone does not say it (resource limits).
    pub detail: Option<String>,
}

impl RawTrap {
    /// A trap with no frames yet.
    pub fn new(code: TrapCode) -> Box<RawTrap> {
        Box::new(RawTrap {
            code,
            frames: Vec::new(),
            detail: None,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_round_trips() {
        for code in TrapCode::ALL {
            assert_eq!(TrapCode::from_status(code.status()), Some(code));
        }
        assert_eq!(TrapCode::from_status(0), None);
        assert_eq!(TrapCode::from_status(1000), None);
    }
}
