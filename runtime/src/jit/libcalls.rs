//! The libcalls' implementations: every Rust routine that machine code calls (and the
//! interpreter, for the bulk operations), one function per entry of the list declared in
//! `tierup_abi::libcalls`, gathered into the per-store [`Libcalls`] table by [`table`]. Tiers
//! reach them only through that table (the vmctx points to it), never by an address baked
//! into code, as Wasmtime reaches its builtins (`vm/libcalls.rs`).
//!
//! Every one is `extern "sysv64"`, never unwinds and never faults (DESIGN.md §6): those that
//! can trap check first and return a status (0 or [`TrapCode::status`]); host calls and the
//! tiering policy catch panics. Bulk operations check bounds before touching anything (the
//! spec: an out-of-bounds bulk operation traps without writing).
//!
//! The numeric ones work on bit patterns (JIT code keeps every value in slot form) and defer
//! to `tierup_abi::numeric`, where the interpreter finds the same rules.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::ptr;

use tierup_abi::{
    Checked, DataSegmentRef, DefinedFuncIdx, ElemSegmentRef, Libcalls, MemoryDefinition,
    TableDefinition, TrapCode, VmCtx, VmFuncRef, numeric,
};

use crate::error::Error;
use crate::func::HostFunc;
use crate::interrupt::UpdateDeadline;
use crate::limits;
use crate::store::{Caller, Store, StoreContextMut};
use crate::vm::{MemoryData, TableData};

/// The libcall table of a store whose embedder data is `T` (`call_host` needs to know it).
pub(crate) fn table<T>() -> Libcalls {
    Libcalls {
        memory_grow: memory_grow::<T>,
        table_grow: table_grow::<T>,
        call_host: call_host::<T>,
        enter_jit,
        interp_entry,
        tier_up,
        attention: attention::<T>,
        memory_fill,
        memory_copy,
        memory_init,
        table_fill,
        table_copy,
        table_init,
        f32_min,
        f32_max,
        f64_min,
        f64_max,
        i32_trunc_f32_s,
        i32_trunc_f32_u,
        i32_trunc_f64_s,
        i32_trunc_f64_u,
        i64_trunc_f32_s,
        i64_trunc_f32_u,
        i64_trunc_f64_s,
        i64_trunc_f64_u,
        i32_trunc_sat_f32_s,
        i32_trunc_sat_f32_u,
        i32_trunc_sat_f64_s,
        i32_trunc_sat_f64_u,
        i64_trunc_sat_f32_s,
        i64_trunc_sat_f32_u,
        i64_trunc_sat_f64_s,
        i64_trunc_sat_f64_u,
        f32_convert_i64_u,
        f64_convert_i64_u,
    }
}

/// The interpreter stubs' target: runs defined function `func` of `vmctx` in the interpreter
/// with its frame at `fp`. Returns 0, or a trap status with the trap parked.
///
/// # Safety
/// Called only by the stubs, with the slot ABI's arguments.
unsafe extern "sysv64" fn interp_entry(
    vmctx: *mut VmCtx,
    fp: *mut u64,
    func: DefinedFuncIdx,
) -> u32 {
    // SAFETY: the stub passes its caller's live vmctx and frame.
    match unsafe { tierup_interp::invoke(vmctx, func, fp) } {
        Ok(()) => 0,
        // SAFETY: as above.
        Err(trap) => unsafe { (*(*vmctx).store).park_trap(trap) },
    }
}

/// The store's interrupt flag was found set (`crate::interrupt`): an interrupt request traps
/// with `Interrupted`; a passed epoch deadline runs the store's callback (trapping without
/// one); a flag with no reason left lets wasm go on. A callback's error is parked like a
/// host function's (`HostError`).
unsafe extern "sysv64" fn attention<T>(vmctx: *mut VmCtx) -> u32 {
    // SAFETY: `StoreCtx::host` was set to this store by the entry path (`call_raw`), whose
    // `&mut Store` is lent to the running wasm, which holds no reference into it now.
    let store = unsafe { &mut *((*(*vmctx).store).host as *mut Store<T>) };
    let engine = store.inner.engine.clone();
    match store.inner.signals.take_reason(engine.epochs()) {
        None => 0,
        Some(true) => TrapCode::Interrupted.status(),
        Some(false) => {
            let Some(mut callback) = store.epoch_callback.take() else {
                return TrapCode::Interrupted.status();
            };
            let result = catch_unwind(AssertUnwindSafe(|| callback(StoreContextMut(store))));
            // The callback may have installed another one (or removed itself).
            if store.epoch_callback.is_none() {
                store.epoch_callback = Some(callback);
            }
            match result {
                Ok(Ok(UpdateDeadline::Continue(ticks))) => {
                    store.set_epoch_deadline(ticks);
                    0
                }
                Ok(Err(error)) => {
                    store.inner.pending_error = Some(error);
                    TrapCode::HostError.status()
                }
                Err(_) => {
                    store.inner.pending_error =
                        Some(Error::msg("the epoch deadline callback panicked"));
                    TrapCode::HostError.status()
                }
            }
        }
    }
}

/// `memory.grow` of memory `memory` (every tier's): asks the store's resource limiter, then
/// grows. The value is the instruction's `i32` result in slot form (old size or -1); a
/// limiter error (or panic) is parked in the store and reported as `TrapCode::HostError`.
///
/// # Safety
/// Called by the tiers with their own live vmctx, which has memory `memory`.
unsafe extern "sysv64" fn memory_grow<T>(vmctx: *mut VmCtx, memory: u32, delta: u64) -> Checked {
    // SAFETY: memory definitions are the first field of their `#[repr(C)]` `MemoryData`,
    // owned by the store and not otherwise borrowed while wasm runs; `StoreCtx::host` is this
    // store (set by the entry path) or null, and we borrow only its limiter and data fields,
    // disjoint from the memory.
    unsafe {
        let def = *(*vmctx).memories.add(memory as usize);
        let mem = &mut *(def as *mut MemoryData);
        let store = (*(*vmctx).store).host as *mut Store<T>;
        let result = catch_unwind(AssertUnwindSafe(|| {
            let limiter = if store.is_null() {
                None
            } else {
                limits::limiter(&mut (*store).limiter, &mut (*store).data)
            };
            limits::grow_memory(limiter, mem, delta)
        }));
        grow_result(store, result)
    }
}

/// `table.grow` of table `table` (every tier's), as [`memory_grow`].
///
/// # Safety
/// As [`memory_grow`], with table `table`.
unsafe extern "sysv64" fn table_grow<T>(
    vmctx: *mut VmCtx,
    table: u32,
    delta: u64,
    init: u64,
) -> Checked {
    // SAFETY: as for `memory_grow`, with `TableData`.
    unsafe {
        let def = *(*vmctx).tables.add(table as usize);
        let table = &mut *(def as *mut TableData);
        let store = (*(*vmctx).store).host as *mut Store<T>;
        let result = catch_unwind(AssertUnwindSafe(|| {
            let limiter = if store.is_null() {
                None
            } else {
                limits::limiter(&mut (*store).limiter, &mut (*store).data)
            };
            limits::grow_table(limiter, table, delta, init)
        }));
        grow_result(store, result)
    }
}

/// A grow libcall's result: the old size or -1 as an `i32` slot, or a trap status with the
/// limiter's error (or panic) parked in the store.
///
/// # Safety
/// `store` is null or the running store, not otherwise borrowed.
unsafe fn grow_result<T>(
    store: *mut Store<T>,
    result: std::thread::Result<Result<Result<u64, limits::Refusal>, Error>>,
) -> Checked {
    let error = match result {
        Ok(Ok(Ok(old))) => {
            return Checked {
                status: 0,
                value: u64::from(old as u32),
            };
        }
        Ok(Ok(Err(_))) => {
            return Checked {
                status: 0,
                value: u64::from(u32::MAX),
            };
        }
        Ok(Err(error)) => error,
        Err(_) => Error::msg("the store's resource limiter panicked"),
    };
    if !store.is_null() {
        // SAFETY: the caller's contract; only the `pending_error` field is borrowed.
        unsafe { (*store).inner.pending_error = Some(error) };
    }
    Checked {
        status: u64::from(TrapCode::HostError.status()),
        value: 0,
    }
}

/// Calls a host function from wasm. Returns 0 or a trap status; a host error is
/// parked in the store (`pending_error`) and reported as `TrapCode::HostError`.
unsafe extern "sysv64" fn call_host<T>(
    vmctx: *mut VmCtx,
    func: *const VmFuncRef,
    args: *mut u64,
) -> u32 {
    // SAFETY: `StoreCtx::host` was set to this store by the entry path (`call_raw`), whose
    // `&mut Store` is lent to the running wasm; `func.host` points to a `HostFunc<T>` kept alive
    // by the store; `args` has room for max(params, results) slots (the caller's frame).
    unsafe {
        let store = &mut *((*(*vmctx).store).host as *mut Store<T>);
        let host = &*((*func).host as *const HostFunc<T>);
        let n = host.ty.frame_slots();
        let slots = std::slice::from_raw_parts_mut(args, n);
        let instance = store.instance_of(vmctx);
        let store_ptr: *mut Store<T> = store;
        let caller = Caller { store, instance };
        let result = catch_unwind(AssertUnwindSafe(|| (host.callback)(caller, slots)));
        let store = &mut *store_ptr;
        store.set_host_ptr();
        match result {
            Ok(Ok(())) => 0,
            Ok(Err(e)) => {
                store.inner.pending_error = Some(e);
                TrapCode::HostError.status()
            }
            Err(_) => {
                store.inner.pending_error = Some(Error::msg("host function panicked"));
                TrapCode::HostError.status()
            }
        }
    }
}

/// Runs machine code from the interpreter (`enter_jit`).
///
/// # Safety
/// `code` is published machine code of `vmctx`'s module, `fp` its frame.
unsafe extern "sysv64" fn enter_jit(vmctx: *mut VmCtx, code: usize, fp: *mut u64) -> u32 {
    // SAFETY: the caller's contract.
    match unsafe { crate::jit::traps::call_jit(code, vmctx, fp) } {
        Ok(()) => 0,
        // SAFETY: as above.
        Err(trap) => unsafe { (*(*vmctx).store).park_trap(trap) },
    }
}

/// Applies the tiering policy to a function whose countdown crossed zero (see
/// [`crate::jit::tiering::tier_up`]). Never unwinds: a panic keeps the function where it is.
///
/// # Safety
/// `vmctx` is a live instance context; `func` one of its defined functions.
unsafe extern "sysv64" fn tier_up(vmctx: *mut VmCtx, func: DefinedFuncIdx, osr_pc: u32) -> usize {
    // SAFETY: the caller's contract: the vmctx and its module state are live.
    let result =
        std::panic::catch_unwind(|| unsafe { crate::jit::tiering::tier_up(vmctx, func, osr_pc) });
    result.unwrap_or(0)
}

/// Memory `memory` of `vmctx`.
///
/// # Safety
/// `vmctx` is live and its module has memory `memory` (validation guarantees it for memory
/// instructions).
unsafe fn memory_def(vmctx: *mut VmCtx, memory: u32) -> *mut MemoryDefinition {
    // SAFETY: the caller's contract.
    unsafe { *(*vmctx).memories.add(memory as usize) }
}

/// `memory.fill memory (addr, value, len)`.
///
/// # Safety
/// `vmctx` is a live instance context with memory `memory`.
unsafe extern "sysv64" fn memory_fill(
    vmctx: *mut VmCtx,
    memory: u32,
    addr: u32,
    value: u32,
    len: u32,
) -> u32 {
    // SAFETY: the range is checked against the memory's current length before writing.
    unsafe {
        let mem = memory_def(vmctx, memory);
        let (d, n) = (u64::from(addr), u64::from(len));
        if d + n > (*mem).length as u64 {
            return TrapCode::MemoryOutOfBounds.status();
        }
        ptr::write_bytes((*mem).base.add(d as usize), value as u8, n as usize);
    }
    0
}

/// `memory.copy dst_memory src_memory (to, from, len)` (the ranges may overlap, also when
/// both are in one memory).
///
/// # Safety
/// `vmctx` is a live instance context with both memories.
unsafe extern "sysv64" fn memory_copy(
    vmctx: *mut VmCtx,
    dst_memory: u32,
    src_memory: u32,
    to: u32,
    from: u32,
    len: u32,
) -> u32 {
    // SAFETY: both ranges are checked against their memory's current length before copying.
    unsafe {
        let (dst, src) = (memory_def(vmctx, dst_memory), memory_def(vmctx, src_memory));
        let (d, s, n) = (u64::from(to), u64::from(from), u64::from(len));
        if d + n > (*dst).length as u64 || s + n > (*src).length as u64 {
            return TrapCode::MemoryOutOfBounds.status();
        }
        ptr::copy(
            (*src).base.add(s as usize),
            (*dst).base.add(d as usize),
            n as usize,
        );
    }
    0
}

/// `memory.init memory segment (to, from, len)`.
///
/// # Safety
/// `vmctx` is a live instance context with memory `memory` and data segment `segment`.
unsafe extern "sysv64" fn memory_init(
    vmctx: *mut VmCtx,
    memory: u32,
    segment: u32,
    to: u32,
    from: u32,
    len: u32,
) -> u32 {
    // SAFETY: both ranges are checked (segment and memory) before copying.
    unsafe {
        let mem = memory_def(vmctx, memory);
        let seg: DataSegmentRef = *(*vmctx).data_segments.add(segment as usize);
        let (d, s, n) = (u64::from(to), u64::from(from), u64::from(len));
        if s + n > seg.len as u64 || d + n > (*mem).length as u64 {
            return TrapCode::MemoryOutOfBounds.status();
        }
        ptr::copy_nonoverlapping(
            seg.ptr.add(s as usize),
            (*mem).base.add(d as usize),
            n as usize,
        );
    }
    0
}

/// Table `table` of `vmctx`.
///
/// # Safety
/// `vmctx` is live and has table `table` (validation guarantees it).
unsafe fn table_of(vmctx: *mut VmCtx, table: u32) -> *mut TableDefinition {
    // SAFETY: the caller's contract.
    unsafe { *(*vmctx).tables.add(table as usize) }
}

/// `table.fill table (index, value, len)`.
///
/// # Safety
/// `vmctx` is a live instance context with table `table`; `value` is a valid element.
unsafe extern "sysv64" fn table_fill(
    vmctx: *mut VmCtx,
    table: u32,
    index: u32,
    value: u64,
    len: u32,
) -> u32 {
    // SAFETY: the range is checked against the table's current length before writing.
    unsafe {
        let t = table_of(vmctx, table);
        let (d, n) = (index as usize, len as usize);
        if d + n > (*t).length {
            return TrapCode::TableOutOfBounds.status();
        }
        std::slice::from_raw_parts_mut((*t).base.add(d), n).fill(value);
    }
    0
}

/// `table.copy dst_table src_table (to, from, len)` (the ranges may overlap).
///
/// # Safety
/// `vmctx` is a live instance context with both tables.
unsafe extern "sysv64" fn table_copy(
    vmctx: *mut VmCtx,
    dst_table: u32,
    src_table: u32,
    to: u32,
    from: u32,
    len: u32,
) -> u32 {
    // SAFETY: both ranges are checked against their tables' lengths before copying.
    unsafe {
        let dt = table_of(vmctx, dst_table);
        let st = table_of(vmctx, src_table);
        let (d, s, n) = (to as usize, from as usize, len as usize);
        if d + n > (*dt).length || s + n > (*st).length {
            return TrapCode::TableOutOfBounds.status();
        }
        ptr::copy((*st).base.add(s), (*dt).base.add(d), n);
    }
    0
}

/// `table.init table segment (to, from, len)`.
///
/// # Safety
/// `vmctx` is a live instance context with table `table` and element segment `segment`.
unsafe extern "sysv64" fn table_init(
    vmctx: *mut VmCtx,
    table: u32,
    segment: u32,
    to: u32,
    from: u32,
    len: u32,
) -> u32 {
    // SAFETY: both ranges are checked (segment and table) before copying.
    unsafe {
        let t = table_of(vmctx, table);
        let seg: ElemSegmentRef = *(*vmctx).elem_segments.add(segment as usize);
        let (d, s, n) = (to as usize, from as usize, len as usize);
        if s + n > seg.len || d + n > (*t).length {
            return TrapCode::TableOutOfBounds.status();
        }
        ptr::copy_nonoverlapping(seg.ptr.add(s), (*t).base.add(d), n);
    }
    0
}

/// Defines `$name(a, b) -> bits` from `numeric::$name` on `$ft` bit patterns.
macro_rules! min_max {
    ($($name:ident: $ft:ty, $bits:ty;)*) => {$(
        #[doc = concat!("wasm `", stringify!($name), "` on bit patterns.")]
        extern "sysv64" fn $name(a: u64, b: u64) -> u64 {
            let (a, b) = (<$ft>::from_bits(a as $bits), <$ft>::from_bits(b as $bits));
            numeric::$name(a, b).to_bits() as u64
        }
    )*};
}

min_max! {
    f32_min: f32, u32;
    f32_max: f32, u32;
    f64_min: f64, u64;
    f64_max: f64, u64;
}

/// Defines checked truncations from `numeric::$name` on bit patterns.
macro_rules! checked_trunc {
    ($($name:ident: $from:ty, $bits:ty, $widen:expr;)*) => {$(
        #[doc = concat!("Checked `", stringify!($name), "` (traps on NaN and overflow).")]
        extern "sysv64" fn $name(bits: u64) -> Checked {
            match numeric::$name(<$from>::from_bits(bits as $bits)) {
                Ok(value) => Checked { status: 0, value: $widen(value) },
                Err(code) => Checked { status: u64::from(code.status()), value: 0 },
            }
        }
    )*};
}

checked_trunc! {
    i32_trunc_f32_s: f32, u32, |v: i32| u64::from(v as u32);
    i32_trunc_f32_u: f32, u32, u64::from;
    i32_trunc_f64_s: f64, u64, |v: i32| u64::from(v as u32);
    i32_trunc_f64_u: f64, u64, u64::from;
    i64_trunc_f32_s: f32, u32, |v: i64| v as u64;
    i64_trunc_f32_u: f32, u32, |v: u64| v;
    i64_trunc_f64_s: f64, u64, |v: i64| v as u64;
    i64_trunc_f64_u: f64, u64, |v: u64| v;
}

/// Defines saturating truncations (Rust's `as` has exactly wasm's semantics).
macro_rules! saturating_trunc {
    ($($name:ident: $from:ty, $bits:ty, $to:ty, $widen:expr;)*) => {$(
        #[doc = concat!("Saturating `", stringify!($name), "` on bit patterns.")]
        extern "sysv64" fn $name(bits: u64) -> u64 {
            $widen(<$from>::from_bits(bits as $bits) as $to)
        }
    )*};
}

saturating_trunc! {
    i32_trunc_sat_f32_s: f32, u32, i32, |v: i32| u64::from(v as u32);
    i32_trunc_sat_f32_u: f32, u32, u32, u64::from;
    i32_trunc_sat_f64_s: f64, u64, i32, |v: i32| u64::from(v as u32);
    i32_trunc_sat_f64_u: f64, u64, u32, u64::from;
    i64_trunc_sat_f32_s: f32, u32, i64, |v: i64| v as u64;
    i64_trunc_sat_f32_u: f32, u32, u64, |v: u64| v;
    i64_trunc_sat_f64_s: f64, u64, i64, |v: i64| v as u64;
    i64_trunc_sat_f64_u: f64, u64, u64, |v: u64| v;
}

/// `f32.convert_i64_u` on bit patterns.
extern "sysv64" fn f32_convert_i64_u(v: u64) -> u64 {
    u64::from((v as f32).to_bits())
}

/// `f64.convert_i64_u` on bit patterns.
extern "sysv64" fn f64_convert_i64_u(v: u64) -> u64 {
    (v as f64).to_bits()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn checked_truncation_reports_trap_statuses() {
        let t = |f: extern "sysv64" fn(u64) -> Checked, bits: u64| {
            let r = f(bits);
            (r.status, r.value)
        };
        assert_eq!(
            t(i32_trunc_f32_s, (-1.5f32).to_bits().into()),
            (0, u64::from(-1i32 as u32))
        );
        let nan = t(i32_trunc_f32_s, f32::NAN.to_bits().into()).0;
        assert_eq!(nan, u64::from(TrapCode::BadConversionToInteger.status()));
        let big = t(i32_trunc_f64_u, 4294967296.0f64.to_bits()).0;
        assert_eq!(big, u64::from(TrapCode::IntegerOverflow.status()));
        assert_eq!(t(i32_trunc_f64_u, (-0.9f64).to_bits()), (0, 0));
    }

    #[test]
    fn min_max_work_on_bit_patterns() {
        let (pz, nz) = (0.0f64.to_bits(), (-0.0f64).to_bits());
        assert_eq!(f64_min(pz, nz), nz);
        assert_eq!(f64_max(pz, nz), pz);
        assert!(f64::from_bits(f64_min(f64::NAN.to_bits(), pz)).is_nan());
        assert_eq!(
            f32_convert_i64_u(u64::MAX),
            u64::from(18446744073709551616.0f32.to_bits())
        );
    }
}
