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

use crate::index::DefinedFuncIdx;
use crate::libcalls::Libcalls;
use crate::module::ModuleInfo;
use crate::trap::RawTrap;

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
    /// The function in its defining module (meaningless for host functions).
    pub defined: DefinedFuncIdx,
    /// The defining instance; null for a host function.
    pub vmctx: *mut VmCtx,
    /// The runtime's host-function record; null for a wasm function.
    pub host: *const c_void,
    /// The function's code-table entry (in its defining module); null for a host function.
    /// JIT code calls imported and indirect functions through it.
    pub code: *const AtomicUsize,
    /// The function's native entry (the register-argument entry of optimized code or of
    /// loop-free baseline code, `extern "sysv64" fn(vmctx, fp, params..) -> results`, in its
    /// defining module; for baseline code the jump to it that calls through references take):
    /// 0 until the function has one, and always for a host function. The runtime stores each
    /// new entry into every instance's reference to the function. Machine code calls an
    /// indirect or imported function there when it is not 0, else through
    /// [`VmFuncRef::code`].
    pub native: AtomicUsize,
}

impl VmFuncRef {
    /// The machine code this (wasm) function currently runs in, or 0 while it is interpreted
    /// (its code-table entry is 0 or its interpreter stub) or it is a host function.
    ///
    /// # Safety
    /// A wasm function's `vmctx` and `code` must be live (they are while its instance is).
    #[inline(always)]
    pub unsafe fn machine_code(&self) -> usize {
        if self.code.is_null() {
            return 0;
        }
        // SAFETY: the caller's contract: the entry and the defining instance are live.
        unsafe {
            let entry = (*self.code).load(std::sync::atomic::Ordering::Acquire);
            if entry == (*self.vmctx).interp_stubs + self.defined.index() * INTERP_STUB_SIZE {
                0
            } else {
                entry
            }
        }
    }
}

impl StoreCtx {
    /// Takes the trap parked in [`StoreCtx::pending_trap`], or makes a fresh one from `status`
    /// when none is parked (a trap raised by machine code itself, or a host error).
    pub fn take_pending_trap(&mut self, status: u32) -> Box<RawTrap> {
        let pending = std::mem::replace(&mut self.pending_trap, std::ptr::null_mut());
        if pending.is_null() {
            RawTrap::new(crate::TrapCode::from_status(status).unwrap_or(crate::TrapCode::HostError))
        } else {
            // SAFETY: pending traps are always `Box::into_raw` results (field docs).
            unsafe { Box::from_raw(pending) }
        }
    }

    /// Parks `trap` for the machine code it is handed to (superseding any parked one) and
    /// returns its status.
    pub fn park_trap(&mut self, trap: Box<RawTrap>) -> u32 {
        let status = trap.code.status();
        let old = std::mem::replace(&mut self.pending_trap, Box::into_raw(trap));
        if !old.is_null() {
            // SAFETY: as in `take_pending_trap`.
            drop(unsafe { Box::from_raw(old) });
        }
        status
    }
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
    /// The store's "attention" flag, checked at function entry and loop headers by every tier;
    /// when set, the tier calls the `attention` libcall, which traps (interrupt handle, epoch
    /// deadline) or clears it and lets execution go on (`tierup_abi::metering`).
    pub interrupt: *const AtomicBool,
    /// Fuel left when the module was compiled with `consume_fuel` (`tierup_abi::metering`):
    /// only the thread running the store reads and writes it.
    pub fuel: i64,
    /// Lowest native stack address wasm may reach before trapping with stack overflow.
    pub native_stack_limit: usize,
    /// Nested wasm activations (host → wasm → host → wasm …) currently on the native stack.
    pub depth: u32,
    /// The runtime's store (opaque to the tiers).
    pub host: *mut c_void,
    /// A trap on its way out through machine code (`Box::into_raw`; null when none): whoever
    /// hands a non-zero status to JIT code leaves the trap here with the frames collected so
    /// far, and whoever turns the status back into a trap takes it (DESIGN.md §6).
    pub pending_trap: *mut RawTrap,
    /// The store's interrupt poll byte: readable while no interrupt request is pending, and on
    /// a page made inaccessible while one is. Optimized code without epoch interruption polls
    /// it with a load at every loop header (no compare, no branch): the fault is registered as
    /// an `Interrupted` trap site (HotSpot's safepoint poll).
    pub interrupt_poll: *const u8,
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
    /// Address of the module's interpreter stubs (0 when the engine runs no machine code):
    /// defined function `i`'s stub is at `interp_stubs + i * INTERP_STUB_SIZE`. A code-table
    /// entry equal to its stub (or 0) means the function is interpreted.
    pub interp_stubs: usize,
    /// The runtime's per-module JIT state (opaque to the tiers; null when the engine runs no
    /// machine code).
    pub jit: *const c_void,
    /// The native stack limit optimized code compares `rsp` with at function entry: the
    /// store's [`StoreCtx::native_stack_limit`], or a limit above every stack (2^63) while an interrupt request is
    /// pending, so the stack check is also the entry's interrupt check (another thread raises
    /// it, hence atomic). A stack-overflow trap while a request is pending is the interrupt.
    pub stack_limit: *const AtomicUsize,
    /// Memory 0's base (imported or defined; null without memories), copied here so that
    /// machine code reaches it in one load from the vmctx instead of three (vmctx, memory
    /// array, definition): a memory's base never moves (the whole range is reserved up
    /// front, see `MemoryDefinition`), so the copy stays right.
    pub memory0_base: *mut u8,
    /// Global 0's slot (imported or defined; null without globals), copied from `globals`:
    /// C programs keep their shadow-stack pointer there and read and write it in most
    /// functions, so machine code reaches it in one load from the vmctx instead of two.
    /// Global slots never move.
    pub global0: *mut u64,
    /// Table 0's definition (imported or defined; null without tables), copied from
    /// `tables`: `call_indirect` reaches its length and base in two loads instead of three.
    /// Definitions never move (a table's base does, when it grows).
    pub table0: *mut TableDefinition,
    /// The store's [`StoreCtx::interrupt_poll`], copied here so that a loop reaches it in one
    /// load from the vmctx instead of two (optimized loops load it again after every call
    /// rather than keep it in a callee-saved register). The store's never changes.
    pub interrupt_poll: *const u8,
    /// The store's [`StoreCtx::interrupt`] flag, copied as `interrupt_poll` (the flag epoch
    /// interruption's loops test).
    pub interrupt: *const AtomicBool,
    /// The module's native-entry cells, one per defined function (0 until the function has a
    /// native entry): optimized code's direct calls read their callee's cell here, two loads
    /// from the vmctx, rather than from an absolute address, which Cranelift would hoist to
    /// the function's entry and, in a large function, spill.
    pub native_cells: *const AtomicUsize,
}

/// The size of one interpreter stub (see [`VmCtx::interp_stubs`]).
pub const INTERP_STUB_SIZE: usize = 16;

/// Offsets of [`VmCtx`] fields and the structures it points to, for JIT code.
pub mod offsets {
    use super::{
        DataSegmentRef, ElemSegmentRef, MemoryDefinition, StoreCtx, TableDefinition, VmCtx,
        VmFuncRef,
    };
    use std::mem::offset_of;

    /// `VmCtx::store`
    pub const STORE: usize = offset_of!(VmCtx, store);
    /// `VmCtx::memory0_base`
    pub const MEMORY0_BASE: usize = offset_of!(VmCtx, memory0_base);
    /// `VmCtx::global0`
    pub const GLOBAL0: usize = offset_of!(VmCtx, global0);
    /// `VmCtx::table0`
    pub const TABLE0: usize = offset_of!(VmCtx, table0);
    /// `VmCtx::interrupt_poll`
    pub const INTERRUPT_POLL: usize = offset_of!(VmCtx, interrupt_poll);
    /// `VmCtx::interrupt`
    pub const INTERRUPT: usize = offset_of!(VmCtx, interrupt);
    /// `VmCtx::native_cells`
    pub const NATIVE_CELLS: usize = offset_of!(VmCtx, native_cells);
    /// `VmCtx::code_table`
    pub const CODE_TABLE: usize = offset_of!(VmCtx, code_table);
    /// `VmCtx::hot_counters`
    pub const HOT_COUNTERS: usize = offset_of!(VmCtx, hot_counters);
    /// `VmCtx::memories`
    pub const MEMORIES: usize = offset_of!(VmCtx, memories);
    /// `VmCtx::globals`
    pub const GLOBALS: usize = offset_of!(VmCtx, globals);
    /// `VmCtx::tables`
    pub const TABLES: usize = offset_of!(VmCtx, tables);
    /// `VmCtx::funcs`
    pub const FUNCS: usize = offset_of!(VmCtx, funcs);
    /// `VmCtx::type_ids`
    pub const TYPE_IDS: usize = offset_of!(VmCtx, type_ids);
    /// `VmCtx::data_segments`
    pub const DATA_SEGMENTS: usize = offset_of!(VmCtx, data_segments);
    /// `VmCtx::elem_segments`
    pub const ELEM_SEGMENTS: usize = offset_of!(VmCtx, elem_segments);
    /// `VmCtx::libcalls`
    pub const LIBCALLS: usize = offset_of!(VmCtx, libcalls);
    /// `VmCtx::stack_limit`
    pub const STACK_LIMIT: usize = offset_of!(VmCtx, stack_limit);
    /// Size of a [`DataSegmentRef`] (`len` at offset 8).
    pub const DATA_SEGMENT_SIZE: usize = size_of::<DataSegmentRef>();
    /// Size of an [`ElemSegmentRef`] (`len` at offset 8).
    pub const ELEM_SEGMENT_SIZE: usize = size_of::<ElemSegmentRef>();
    /// `MemoryDefinition::base`
    pub const MEMORY_BASE: usize = offset_of!(MemoryDefinition, base);
    /// `MemoryDefinition::length`
    pub const MEMORY_LENGTH: usize = offset_of!(MemoryDefinition, length);
    /// `TableDefinition::base`
    pub const TABLE_BASE: usize = offset_of!(TableDefinition, base);
    /// `TableDefinition::length`
    pub const TABLE_LENGTH: usize = offset_of!(TableDefinition, length);
    /// `VmFuncRef::type_id`. Both machine-code tiers catch a null reference in
    /// `call_indirect` by loading its type id at this offset from address 0: the load faults
    /// (Linux never maps page 0) and its recorded trap site says "indirect call to null". So
    /// the offset must stay inside the first page.
    pub const FUNCREF_TYPE_ID: usize = offset_of!(VmFuncRef, type_id);
    const _: () = assert!(FUNCREF_TYPE_ID < 4096);
    /// `VmFuncRef::vmctx`
    pub const FUNCREF_VMCTX: usize = offset_of!(VmFuncRef, vmctx);
    /// `VmFuncRef::code`
    pub const FUNCREF_CODE: usize = offset_of!(VmFuncRef, code);
    /// `VmFuncRef::native`
    pub const FUNCREF_NATIVE: usize = offset_of!(VmFuncRef, native);
    /// `StoreCtx::stack.end`
    pub const STORE_STACK_END: usize =
        offset_of!(StoreCtx, stack) + offset_of!(super::SlotStack, end);
    /// `StoreCtx::stack.top`
    pub const STORE_STACK_TOP: usize =
        offset_of!(StoreCtx, stack) + offset_of!(super::SlotStack, top);
    /// `StoreCtx::interrupt`
    pub const STORE_INTERRUPT: usize = offset_of!(StoreCtx, interrupt);
    /// `StoreCtx::interrupt_poll`
    pub const STORE_INTERRUPT_POLL: usize = offset_of!(StoreCtx, interrupt_poll);
    /// `StoreCtx::fuel`
    pub const STORE_FUEL: usize = offset_of!(StoreCtx, fuel);
    /// `StoreCtx::native_stack_limit`
    pub const STORE_NATIVE_STACK_LIMIT: usize = offset_of!(StoreCtx, native_stack_limit);

    /// The byte offset of entry `index` in one of the vmctx's pointer arrays (`memories`,
    /// `tables`, `globals`, `funcs`) or in the code table.
    pub const fn pointer_entry(index: u32) -> i32 {
        (index as usize * size_of::<usize>()) as i32
    }

    /// The byte offset of entry `index` in `VmCtx::type_ids`.
    pub const fn type_id_entry(index: u32) -> i32 {
        (index as usize * size_of::<u32>()) as i32
    }

    /// The byte offset of defined function `index`'s countdown in `VmCtx::hot_counters`.
    pub const fn countdown_entry(index: u32) -> i32 {
        (index as usize * size_of::<i32>()) as i32
    }
}
