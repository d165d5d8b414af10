//! The libcalls: every Rust routine that machine code (or the interpreter, for the operations
//! too large to inline) calls, declared once in [`for_each_libcall!`](crate::for_each_libcall).
//!
//! The list generates the [`Libcalls`] table (one `extern "sysv64"` function pointer per
//! libcall, in list order) and [`Libcall`], the handle a tier uses to call one: its offset in
//! the table and its name. Every tier reaches a libcall the same way, through the table the
//! vmctx points to (`mov rax, [vmctx + LIBCALLS]; call [rax + offset]`), as Wasmtime reaches
//! its builtins: no address is baked into code, and the runtime owns the implementations
//! (`tierup_runtime`'s `jit::libcalls`), one function per entry.
//!
//! Contract of every libcall: it never unwinds and never faults (DESIGN.md §6: no Rust frame
//! may sit between an entry trampoline and a trap). Those that can trap return a status
//! (0, or [`crate::TrapCode::status`]); the caller jumps to its trap exit on a non-zero status.
//! Floats travel as their bit patterns in integer registers.

use crate::index::DefinedFuncIdx;
use crate::vmctx::{VmCtx, VmFuncRef};

/// The result of a checked conversion or of a grow libcall: `status` (0 or a trap status) in
/// `rax`, `value` in `rdx` (SysV returns a 16-byte `#[repr(C)]` struct of two integers in that pair).
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Checked {
    /// 0, or the trap's status.
    pub status: u64,
    /// The converted value (zero-extended for 32-bit results).
    pub value: u64,
}

/// Calls `$callback!` with the list of every libcall: doc lines, then
/// `name(arg: Type, ..) -> Result;`.
#[macro_export]
macro_rules! for_each_libcall {
    ($callback:ident) => {
        $callback! {
            // ---- runtime services ----
            /// `memory.grow` of memory `memory`: `value` is the instruction's `i32` result in
            /// slot form (the old size in pages, or -1 when the growth is refused); a non-zero
            /// `status` traps (the store's resource limiter returned an error, parked).
            memory_grow(vmctx: *mut VmCtx, memory: u32, delta: u64) -> Checked;
            /// `table.grow` of table `table`: as `memory_grow` (old size in elements, or -1).
            table_grow(vmctx: *mut VmCtx, table: u32, delta: u64, init: u64) -> Checked;
            /// Calls the host function `func` with its arguments in `args[0..params]`; results
            /// are written to `args[0..results]`. Returns 0 or a trap status.
            call_host(vmctx: *mut VmCtx, func: *const VmFuncRef, args: *mut u64) -> u32;
            /// Runs machine code `code` (slot ABI) with frame `fp` through an entry trampoline,
            /// so that its traps land back here. Returns 0, or a status with the trap left in
            /// `StoreCtx::pending_trap`.
            enter_jit(vmctx: *mut VmCtx, code: usize, fp: *mut u64) -> u32;
            /// Runs defined function `func` in the interpreter with its frame at `fp` (the
            /// target of every interpreter stub). Returns 0, or a status with the trap parked.
            interp_entry(vmctx: *mut VmCtx, fp: *mut u64, func: DefinedFuncIdx) -> u32;
            /// The hotness countdown of defined function `func` crossed zero: the runtime applies
            /// its tiering policy (it may compile the function and swap its code-table entry).
            /// When `osr_pc` is not [`NO_OSR`](crate::NO_OSR), the caller is the interpreter at
            /// a loop header (bytecode index `osr_pc`) and the result is the address of machine
            /// code that continues there with the interpreter's frame (0: keep interpreting).
            /// Baseline code asks the same at its loop headers, with
            /// [`OSR_FROM_BASELINE`](crate::OSR_FROM_BASELINE) set in `osr_pc`.
            tier_up(vmctx: *mut VmCtx, func: DefinedFuncIdx, osr_pc: u32) -> usize;
            /// The store's interrupt flag was found set (at a function entry or loop header):
            /// the runtime clears it and decides (`tierup_abi::metering`). Returns 0 to go
            /// on (an epoch deadline callback extended the deadline), or a trap status
            /// (`Interrupted`) with the trap parked.
            attention(vmctx: *mut VmCtx) -> u32;

            // ---- bulk memory and table operations (status results) ----
            /// `memory.fill memory (addr, value, len)`.
            memory_fill(vmctx: *mut VmCtx, memory: u32, addr: u32, value: u32, len: u32) -> u32;
            /// `memory.copy dst_memory src_memory (to, from, len)` (the ranges may overlap).
            memory_copy(
                vmctx: *mut VmCtx,
                dst_memory: u32,
                src_memory: u32,
                to: u32,
                from: u32,
                len: u32
            ) -> u32;
            /// `memory.init memory segment (to, from, len)`.
            memory_init(
                vmctx: *mut VmCtx,
                memory: u32,
                segment: u32,
                to: u32,
                from: u32,
                len: u32
            ) -> u32;
            /// `table.fill table (index, value, len)`.
            table_fill(vmctx: *mut VmCtx, table: u32, index: u32, value: u64, len: u32) -> u32;
            /// `table.copy dst_table src_table (to, from, len)`.
            table_copy(
                vmctx: *mut VmCtx,
                dst_table: u32,
                src_table: u32,
                to: u32,
                from: u32,
                len: u32
            ) -> u32;
            /// `table.init table segment (to, from, len)`.
            table_init(
                vmctx: *mut VmCtx,
                table: u32,
                segment: u32,
                to: u32,
                from: u32,
                len: u32
            ) -> u32;

            // ---- numeric operations without a short x86-64 sequence (on bit patterns) ----
            /// wasm `f32.min`.
            f32_min(a: u64, b: u64) -> u64;
            /// wasm `f32.max`.
            f32_max(a: u64, b: u64) -> u64;
            /// wasm `f64.min`.
            f64_min(a: u64, b: u64) -> u64;
            /// wasm `f64.max`.
            f64_max(a: u64, b: u64) -> u64;
            /// `i32.trunc_f32_s` (checked).
            i32_trunc_f32_s(bits: u64) -> Checked;
            /// `i32.trunc_f32_u` (checked).
            i32_trunc_f32_u(bits: u64) -> Checked;
            /// `i32.trunc_f64_s` (checked).
            i32_trunc_f64_s(bits: u64) -> Checked;
            /// `i32.trunc_f64_u` (checked).
            i32_trunc_f64_u(bits: u64) -> Checked;
            /// `i64.trunc_f32_s` (checked).
            i64_trunc_f32_s(bits: u64) -> Checked;
            /// `i64.trunc_f32_u` (checked).
            i64_trunc_f32_u(bits: u64) -> Checked;
            /// `i64.trunc_f64_s` (checked).
            i64_trunc_f64_s(bits: u64) -> Checked;
            /// `i64.trunc_f64_u` (checked).
            i64_trunc_f64_u(bits: u64) -> Checked;
            /// `i32.trunc_sat_f32_s`.
            i32_trunc_sat_f32_s(bits: u64) -> u64;
            /// `i32.trunc_sat_f32_u`.
            i32_trunc_sat_f32_u(bits: u64) -> u64;
            /// `i32.trunc_sat_f64_s`.
            i32_trunc_sat_f64_s(bits: u64) -> u64;
            /// `i32.trunc_sat_f64_u`.
            i32_trunc_sat_f64_u(bits: u64) -> u64;
            /// `i64.trunc_sat_f32_s`.
            i64_trunc_sat_f32_s(bits: u64) -> u64;
            /// `i64.trunc_sat_f32_u`.
            i64_trunc_sat_f32_u(bits: u64) -> u64;
            /// `i64.trunc_sat_f64_s`.
            i64_trunc_sat_f64_s(bits: u64) -> u64;
            /// `i64.trunc_sat_f64_u`.
            i64_trunc_sat_f64_u(bits: u64) -> u64;
            /// `f32.convert_i64_u`.
            f32_convert_i64_u(value: u64) -> u64;
            /// `f64.convert_i64_u`.
            f64_convert_i64_u(value: u64) -> u64;
        }
    };
}

/// Generates [`Libcalls`] and [`Libcall`] from the list.
macro_rules! define_libcalls {
    ($(
        $(#[doc = $doc:literal])*
        $name:ident($($arg:ident: $ty:ty),* $(,)?) -> $ret:ty;
    )*) => {
        /// The libcall table: one function pointer per libcall, in list order (see the module
        /// docs). The runtime fills one per store; the vmctx points to it.
        #[repr(C)]
        #[derive(Debug)]
        pub struct Libcalls {
            $(
                $(#[doc = $doc])*
                pub $name: unsafe extern "sysv64" fn($($arg: $ty),*) -> $ret,
            )*
        }

        /// One libcall: where its pointer is in [`Libcalls`], for machine code to call it.
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        pub struct Libcall {
            offset: u32,
            name: &'static str,
        }

        impl Libcall {
            $(
                $(#[doc = $doc])*
                pub const fn $name() -> Libcall {
                    Libcall {
                        offset: std::mem::offset_of!(Libcalls, $name) as u32,
                        name: stringify!($name),
                    }
                }
            )*

            /// Every libcall, in table order.
            pub const ALL: &'static [Libcall] = &[$( Libcall::$name() ),*];

            /// The offset of its function pointer in [`Libcalls`].
            pub const fn offset(self) -> usize {
                self.offset as usize
            }

            /// Its name (as in the list).
            pub const fn name(self) -> &'static str {
                self.name
            }
        }
    };
}

for_each_libcall!(define_libcalls);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_table_has_one_pointer_per_libcall_in_order() {
        assert_eq!(
            size_of::<Libcalls>(),
            Libcall::ALL.len() * size_of::<usize>()
        );
        for (i, libcall) in Libcall::ALL.iter().enumerate() {
            assert_eq!(
                libcall.offset(),
                i * size_of::<usize>(),
                "{}",
                libcall.name()
            );
        }
    }
}
