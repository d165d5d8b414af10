//! The per-instance context ([`VmCtx`]) and the structures it points to.
//!
//! Every tier reaches instance state only through these `#[repr(C)]` structures, so that JIT
//! code can address them by fixed offsets (the `*_OFFSET` constants) and the interpreter needs no
//! knowledge of the runtime's Rust types (DESIGN.md §1: no tier depends on the runtime).
//!
//! Ownership: the runtime allocates all of these and keeps them at stable addresses for as long
//! as the owning store lives; tiers only read and write through the raw pointers.
//!
//! Representation of values in slots and table elements (DESIGN.md §2): a `funcref` is a
//! `*const VmFuncRef` (0 = null); an `externref` is `handle + 1` into the store's externref
//! table (0 = null).

use std::ffi::c_void;
use std::sync::atomic::{AtomicBool, AtomicI32, AtomicUsize};

use crate::module::ModuleInfo;

/// A linear memory as tiers see it. The base never moves (the runtime reserves the whole
/// address range up front); `length` grows with `memory.grow`.
#[repr(C)]
#[derive(Debug)]
pub struct MemoryDefinition {
    /// Start of the memory.
    pub base: *mut u8,
    /// Current length in bytes.
    pub length: usize,
}

/// A table as tiers see it: `length` elements of one slot each. `base` may move on `table.grow`,
/// so it must be reloaded after any call.
#[repr(C)]
#[derive(Debug)]
pub struct TableDefinition {
    /// Start of the element array.
    pub base: *mut u64,
    /// Current number of elements.
    pub length: usize,
}

/// A function reference: what `funcref` values, imported functions and `call_indirect` use.
///
/// A wasm function's reference always names its *defining* instance and a *defined* function
/// index there (a re-exported import keeps its original reference).
#[repr(C)]
#[derive(Debug)]
pub struct VmFuncRef {
    /// The engine-wide canonical id of the function's signature.
    pub type_id: u32,
    /// The function index in its defining module (meaningless for host functions).
    pub func_index: u32,
    /// The defining instance; null for a host function.
    pub vmctx: *mut VmCtx,
    /// The runtime's host-function record; null for a wasm function.
    pub host: *const c_void,
}

/// A passive data segment while it is alive: `len == 0` after `data.drop` (or once used
/// by instantiation).
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct DataSegmentRef {
    /// The bytes.
    pub ptr: *const u8,
    /// The length in bytes.
    pub len: usize,
}

/// A passive element segment, already evaluated to slot values for this instance; `len == 0`
/// after `elem.drop`.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct ElemSegmentRef {
    /// The element values.
    pub ptr: *const u64,
    /// The number of elements.
    pub len: usize,
}

/// The per-thread slot stack of a store (DESIGN.md §2). Frames live in `[base, end)`; `top` is
/// the first free slot when control is outside wasm (or in a host call).
#[repr(C)]
#[derive(Debug)]
pub struct SlotStack {
    /// Lowest slot.
    pub base: *mut u64,
    /// One past the highest usable slot.
    pub end: *mut u64,
    /// First slot not used by a live frame (updated around host calls).
    pub top: *mut u64,
}

/// Store-wide state that every instance of a store shares.
#[repr(C)]
#[derive(Debug)]
pub struct StoreCtx {
    /// The slot stack.
    pub stack: SlotStack,
    /// Set by an interrupt handle; checked at function entry and loop back-edges.
    pub interrupt: *const AtomicBool,
    /// Lowest native stack address wasm may reach before trapping with stack overflow.
    pub native_stack_limit: usize,
    /// Nested wasm activations (host → wasm → host → wasm …) currently on the native stack.
    pub depth: u32,
    /// The runtime's store (opaque to the tiers).
    pub host: *mut c_void,
}

/// Functions of the runtime that tiers call for work they cannot do themselves.
///
/// All take the calling instance's vmctx first and never unwind.
#[repr(C)]
#[derive(Debug)]
pub struct Libcalls {
    /// `memory.grow`: returns the old size in pages, or `u64::MAX` on failure.
    pub memory_grow: unsafe extern "sysv64" fn(vmctx: *mut VmCtx, memory: u32, delta: u64) -> u64,
    /// `table.grow`: returns the old size, or `u64::MAX` on failure.
    pub table_grow:
        unsafe extern "sysv64" fn(vmctx: *mut VmCtx, table: u32, delta: u64, init: u64) -> u64,
    /// Calls a host function with its arguments in `args[0..params]`; results are written to
    /// `args[0..results]`. Returns 0, or a [`crate::TrapCode`] status.
    pub call_host:
        unsafe extern "sysv64" fn(vmctx: *mut VmCtx, func: *const VmFuncRef, args: *mut u64) -> u32,
}

/// The per-instance context: the first argument of every tier's entry points.
#[repr(C)]
#[derive(Debug)]
pub struct VmCtx {
    /// The store this instance lives in.
    pub store: *mut StoreCtx,
    /// The module's code table: one entry per *defined* function (DESIGN.md §4). An entry of 0
    /// means "run in the interpreter"; machine-code tiers store their entry address.
    pub code_table: *const AtomicUsize,
    /// The module's per-defined-function hotness countdowns.
    pub hot_counters: *const AtomicI32,
    /// One pointer per memory in the module's memory index space.
    pub memories: *const *mut MemoryDefinition,
    /// One pointer per table in the module's table index space.
    pub tables: *const *mut TableDefinition,
    /// One pointer per global (imported or defined): the global's slot.
    pub globals: *const *mut u64,
    /// One function reference per function in the module's function index space.
    pub funcs: *const *const VmFuncRef,
    /// The canonical type id of each of the module's type indices.
    pub type_ids: *const u32,
    /// The data segments (dropped ones have `len == 0`).
    pub data_segments: *mut DataSegmentRef,
    /// The element segments (dropped ones have `len == 0`).
    pub elem_segments: *mut ElemSegmentRef,
    /// The runtime's libcalls.
    pub libcalls: *const Libcalls,
    /// The module's metadata.
    pub module: *const ModuleInfo,
    /// The interpreter's per-module state (opaque to other tiers).
    pub interp: *const c_void,
}

/// Offsets of [`VmCtx`] fields, for JIT code.
pub mod offsets {
    use super::VmCtx;
    use std::mem::offset_of;

    /// `VmCtx::store`
    pub const STORE: usize = offset_of!(VmCtx, store);
    /// `VmCtx::code_table`
    pub const CODE_TABLE: usize = offset_of!(VmCtx, code_table);
    /// `VmCtx::hot_counters`
    pub const HOT_COUNTERS: usize = offset_of!(VmCtx, hot_counters);
    /// `VmCtx::memories`
    pub const MEMORIES: usize = offset_of!(VmCtx, memories);
    /// `VmCtx::globals`
    pub const GLOBALS: usize = offset_of!(VmCtx, globals);
}
