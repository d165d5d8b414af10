//! `tierup-abi`: what every tier of tierup shares, and nothing else.
//!
//! Owns the facts that the interpreter, the baseline JIT, the optimizing tier and the runtime
//! must agree on bit for bit (DESIGN.md §1–§3), each in one place:
//! - [`types`]: value and function types as the tiers see them;
//! - [`index`]: index newtypes ([`FuncIdx`], [`DefinedFuncIdx`], [`TypeIdx`], ...);
//! - [`trap`]: [`TrapCode`], the one list of ways wasm execution can fail;
//! - [`module`]: [`ModuleInfo`], a validated module's metadata, and [`validate`], which
//!   produces it in one pass over the binary with `wasmparser` (decode + validate together);
//! - [`vmctx`]: the per-instance [`VmCtx`] layout, the slot stack and function references,
//!   all `#[repr(C)]` so JIT code can address them by fixed offsets;
//! - [`libcalls`]: every Rust routine machine code calls, declared once, and their table;
//! - [`memory`]: the memory reservation and guard size, and the bounds-check modes;
//! - [`metering`]: where fuel is charged and how much, and how epochs and interruption are
//!   checked, one definition for every tier;
//! - [`hotness`]: the countdown values the tiers and the tiering policy exchange;
//! - [`numeric`]: wasm's float rules without a single machine instruction (min/max, checked
//!   truncation), one definition for every tier;
//! - frames: [`SLOT_BYTES`].
//!
//! This crate depends on no other tierup crate; every other crate depends on it.

pub mod hotness;
pub mod index;
pub mod libcalls;
pub mod memory;
pub mod metering;
pub mod module;
pub mod numeric;
pub mod trap;
pub mod types;
pub mod validate;
pub mod vmctx;

pub use hotness::{COUNTDOWN_IDLE, COUNTDOWN_MAX, NO_OSR, OSR_FROM_BASELINE};
pub use index::{DefinedFuncIdx, FuncIdx, GlobalIdx, MemoryIdx, TableIdx, TypeIdx};
pub use libcalls::{Checked, Libcall, Libcalls};
pub use memory::{BoundsChecks, GUARD_BYTES, WASM_PAGE_SIZE};
pub use metering::{FuelPlan, Instrumentation};
pub use module::{
    ConstExpr, DataSegment, ElemSegment, ElemSegmentKind, Export, ExternIdx, Import, ImportKind,
    ModuleInfo,
};
pub use trap::{RawTrap, TrapCode, WasmFrame};
pub use types::{FuncType, GlobalType, Limits, TableType, ValType};
pub use validate::{Features, ValidationError};
pub use vmctx::{
    DataSegmentRef, ElemSegmentRef, INTERP_STUB_SIZE, MemoryDefinition, SlotStack, StoreCtx,
    TableDefinition, VmCtx, VmFuncRef,
};

/// The size of one frame slot in bytes (DESIGN.md §2): every wasm value but `v128` fits in
/// one; a `v128` takes two consecutive slots.
pub const SLOT_BYTES: usize = 8;

/// The byte offset of slot `slot` from the frame pointer, for machine code (frames are at
/// most 2^20 slots, the translator's cap, so it fits an `i32` displacement).
#[inline]
pub const fn slot_offset(slot: u32) -> i32 {
    (slot as usize * SLOT_BYTES) as i32
}
