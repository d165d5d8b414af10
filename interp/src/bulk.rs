//! Bulk memory and table operations, shared by every tier: the interpreter's handlers call
//! them out of line, and JIT code calls them as `extern "sysv64"` functions (they are too
//! large to inline and too rare to be worth it).
//!
//! Each takes the calling instance's vmctx and its operands as wasm values (`u32` indices and
//! lengths), checks bounds before touching anything (the spec: an out-of-bounds bulk operation
//! traps without writing), and returns 0 or the trap's status ([`TrapCode::status`]). None of
//! them unwinds or faults, so JIT code may call them directly (DESIGN.md §6).

use std::ptr;

use tierup_abi::{
    DataSegmentRef, ElemSegmentRef, MemoryDefinition, TableDefinition, TrapCode, VmCtx,
};

/// Memory 0 of `vmctx`.
///
/// # Safety
/// `vmctx` is live and its module has a memory (validation guarantees it for memory ops).
unsafe fn memory0(vmctx: *mut VmCtx) -> *mut MemoryDefinition {
    // SAFETY: the caller's contract.
    unsafe { *(*vmctx).memories }
}

/// `memory.fill(dst, value, len)` on memory 0.
///
/// # Safety
/// `vmctx` is a live instance context whose module has a memory.
pub unsafe extern "sysv64" fn memory_fill(
    vmctx: *mut VmCtx,
    dst: u32,
    value: u32,
    len: u32,
) -> u32 {
    // SAFETY: the range is checked against the memory's current length before writing.
    unsafe {
        let mem = memory0(vmctx);
        let (d, n) = (u64::from(dst), u64::from(len));
        if d + n > (*mem).length as u64 {
            return TrapCode::MemoryOutOfBounds.status();
        }
        ptr::write_bytes((*mem).base.add(d as usize), value as u8, n as usize);
    }
    0
}

/// `memory.copy(dst, src, len)` on memory 0 (the ranges may overlap).
///
/// # Safety
/// `vmctx` is a live instance context whose module has a memory.
pub unsafe extern "sysv64" fn memory_copy(vmctx: *mut VmCtx, dst: u32, src: u32, len: u32) -> u32 {
    // SAFETY: both ranges are checked against the memory's current length before copying.
    unsafe {
        let mem = memory0(vmctx);
        let (d, s, n) = (u64::from(dst), u64::from(src), u64::from(len));
        let size = (*mem).length as u64;
        if d + n > size || s + n > size {
            return TrapCode::MemoryOutOfBounds.status();
        }
        ptr::copy(
            (*mem).base.add(s as usize),
            (*mem).base.add(d as usize),
            n as usize,
        );
    }
    0
}

/// `memory.init segment (dst, src, len)` into memory 0.
///
/// # Safety
/// `vmctx` is a live instance context whose module has a memory and data segment `segment`.
pub unsafe extern "sysv64" fn memory_init(
    vmctx: *mut VmCtx,
    segment: u32,
    dst: u32,
    src: u32,
    len: u32,
) -> u32 {
    // SAFETY: both ranges are checked (segment and memory) before copying.
    unsafe {
        let mem = memory0(vmctx);
        let seg: DataSegmentRef = *(*vmctx).data_segments.add(segment as usize);
        let (d, s, n) = (u64::from(dst), u64::from(src), u64::from(len));
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

/// `table.fill table (dst, value, len)`.
///
/// # Safety
/// `vmctx` is a live instance context with table `table`; `value` is a valid element.
pub unsafe extern "sysv64" fn table_fill(
    vmctx: *mut VmCtx,
    table: u32,
    dst: u32,
    value: u64,
    len: u32,
) -> u32 {
    // SAFETY: the range is checked against the table's current length before writing.
    unsafe {
        let t = table_of(vmctx, table);
        let (d, n) = (dst as usize, len as usize);
        if d + n > (*t).length {
            return TrapCode::TableOutOfBounds.status();
        }
        std::slice::from_raw_parts_mut((*t).base.add(d), n).fill(value);
    }
    0
}

/// `table.copy dst_table src_table (dst, src, len)` (the ranges may overlap).
///
/// # Safety
/// `vmctx` is a live instance context with both tables.
pub unsafe extern "sysv64" fn table_copy(
    vmctx: *mut VmCtx,
    dst_table: u32,
    src_table: u32,
    dst: u32,
    src: u32,
    len: u32,
) -> u32 {
    // SAFETY: both ranges are checked against their tables' lengths before copying.
    unsafe {
        let dt = table_of(vmctx, dst_table);
        let st = table_of(vmctx, src_table);
        let (d, s, n) = (dst as usize, src as usize, len as usize);
        if d + n > (*dt).length || s + n > (*st).length {
            return TrapCode::TableOutOfBounds.status();
        }
        ptr::copy((*st).base.add(s), (*dt).base.add(d), n);
    }
    0
}

/// `table.init table segment (dst, src, len)`.
///
/// # Safety
/// `vmctx` is a live instance context with table `table` and element segment `segment`.
pub unsafe extern "sysv64" fn table_init(
    vmctx: *mut VmCtx,
    table: u32,
    segment: u32,
    dst: u32,
    src: u32,
    len: u32,
) -> u32 {
    // SAFETY: both ranges are checked (segment and table) before copying.
    unsafe {
        let t = table_of(vmctx, table);
        let seg: ElemSegmentRef = *(*vmctx).elem_segments.add(segment as usize);
        let (d, s, n) = (dst as usize, src as usize, len as usize);
        if s + n > seg.len || d + n > (*t).length {
            return TrapCode::TableOutOfBounds.status();
        }
        ptr::copy_nonoverlapping(seg.ptr.add(s), (*t).base.add(d), n);
    }
    0
}
