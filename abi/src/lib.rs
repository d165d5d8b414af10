//! `tierup-abi`: what every tier of tierup shares, and nothing else.
//!
//! Owns the facts that the interpreter, the baseline JIT, the optimizing tier and the runtime
//! must agree on bit for bit (DESIGN.md §1–§3):
//! - [`types`]: value and function types as the tiers see them;
//! - [`trap`]: [`TrapCode`], the one list of ways wasm execution can fail;
//! - [`module`]: [`ModuleInfo`], a validated module's metadata, produced in one pass over the
//!   binary by `wasmparser` (decode + validate together);
//! - [`vmctx`]: the per-instance [`VmCtx`] layout, the slot stack, function references, and the
//!   runtime's libcalls, all `#[repr(C)]` so JIT code can address them by fixed offsets.
//!
//! This crate depends on no other tierup crate; every other crate depends on it.

pub mod module;
pub mod trap;
pub mod types;
pub mod vmctx;

pub use module::{
    ConstExpr, DataSegment, ElemSegment, ElemSegmentKind, Export, ExternIdx, Import, ImportKind,
    ModuleInfo, ValidationError,
};
pub use trap::{RawTrap, TrapCode, WasmFrame};
pub use types::{FuncType, GlobalType, Limits, TableType, ValType};
pub use vmctx::{
    DataSegmentRef, ElemSegmentRef, INTERP_STUB_SIZE, Libcalls, MemoryDefinition, NO_OSR,
    OSR_FROM_BASELINE, SlotStack, StoreCtx, TableDefinition, VmCtx, VmFuncRef,
};

/// The size of one frame slot in bytes: every wasm value (except a future `v128`) fits in one.
pub const SLOT_BYTES: usize = 8;

/// The size of a wasm page in bytes.
pub const WASM_PAGE_SIZE: u64 = 65536;
