//! Memory and instance state: linear-memory loads and stores with their bounds-check policy,
//! `memory.size`/`memory.grow`, bulk memory, globals, tables, function references and
//! segments.
//!
//! Bounds checks (DESIGN.md §6): with guard pages, a 32-bit index plus a static offset below
//! the guard region cannot leave the reservation, so the access itself is the check (a fault
//! on the guard is the trap); larger offsets (for a 16-byte `v128` access, offsets beyond the
//! guard region minus 16), and every access in the explicit mode, compare the access's end
//! with the memory's length first. Bulk operations and `grow` call the runtime's libcalls,
//! as every tier does.

use tierup_abi::{BoundsChecks, GUARD_BYTES, Libcall};

use super::Codegen;
use crate::masm::LibcallArg::{self, U32, U64};
use crate::masm::{AluOp, HeapCheck, LoadKind, Operand, Segment, StoreKind, Width};

/// The widest scalar access, in bytes. Every scalar access is treated as this wide, so its
/// static offset needs no explicit check up to `GUARD_BYTES - 8`, whatever its own size.
const SCALAR_ACCESS_BYTES: u32 = 8;

impl Codegen<'_> {
    /// How a scalar access with static offset `offset` is kept in bounds.
    fn heap_check(&self, offset: u32) -> HeapCheck {
        self.heap_check_for(offset, SCALAR_ACCESS_BYTES)
    }

    /// How an access of `bytes` bytes with static offset `offset` is kept in bounds: by the
    /// guard region when the access, treated as at least 8 bytes wide, ends inside it (a
    /// 16-byte `v128` access needs `offset <= GUARD_BYTES - 16`), else explicitly.
    pub(super) fn heap_check_for(&self, offset: u32, bytes: u32) -> HeapCheck {
        let safe = GUARD_BYTES - u64::from(bytes.max(SCALAR_ACCESS_BYTES));
        if self.env.bounds_checks == BoundsChecks::Guard && u64::from(offset) <= safe {
            HeapCheck::GuardRegion
        } else {
            HeapCheck::Explicit
        }
    }

    /// `dst = memory[addr + offset]`.
    pub(super) fn load(&mut self, kind: LoadKind, dst: u32, addr: u32, offset: u32) {
        let check = self.heap_check(offset);
        self.m.memory_load(kind, dst, addr, offset, check);
    }

    /// `dst = memory[addr + disp]`, the sum wrapping in 32 bits (`I32Load8UDisp` and the
    /// like): the sum goes to `dst` first, which the load then overwrites.
    pub(super) fn load_displaced(&mut self, kind: LoadKind, dst: u32, addr: u32, disp: i32) {
        self.int_binary(AluOp::Add, Width::W32, dst, addr, Operand::Imm(disp));
        self.load(kind, dst, dst, 0);
    }

    /// `memory[addr + offset] = value`.
    pub(super) fn store(&mut self, kind: StoreKind, addr: u32, value: Operand, offset: u32) {
        let check = self.heap_check(offset);
        self.m.memory_store(kind, addr, offset, value, check);
    }

    /// `UseMemory`: the accesses that follow use memory `memory` (its base goes to `r14`).
    pub(super) fn use_memory(&mut self, memory: u32) {
        self.m.load_memory_base(memory);
    }

    /// `memory.size`, in pages.
    pub(super) fn memory_size(&mut self, dst: u32, memory: u32) {
        self.m.memory_size(dst, memory);
    }

    /// `memory.grow`: the old size in pages, or -1.
    pub(super) fn memory_grow(&mut self, dst: u32, delta: u32, memory: u32) {
        self.m.memory_grow(dst, delta, memory);
    }

    pub(super) fn memory_fill(&mut self, memory: u32, addr: u32, value: u32, len: u32) {
        self.bulk(
            Libcall::memory_fill(),
            &[memory],
            [U32(addr), U32(value), U32(len)],
        );
    }

    pub(super) fn memory_copy(
        &mut self,
        to_memory: u32,
        from_memory: u32,
        to: u32,
        from: u32,
        len: u32,
    ) {
        self.bulk(
            Libcall::memory_copy(),
            &[to_memory, from_memory],
            [U32(to), U32(from), U32(len)],
        );
    }

    pub(super) fn memory_init(&mut self, memory: u32, segment: u32, to: u32, from: u32, len: u32) {
        self.bulk(
            Libcall::memory_init(),
            &[memory, segment],
            [U32(to), U32(from), U32(len)],
        );
    }

    /// A bulk memory or table operation: `libcall(vmctx, indices.., operands..)`, which
    /// traps with its status.
    fn bulk(&mut self, libcall: Libcall, indices: &[u32], operands: [LibcallArg; 3]) {
        self.m.call_bulk_libcall(libcall, indices, &operands);
    }

    /// `data.drop` and `elem.drop`.
    pub(super) fn drop_segment(&mut self, kind: Segment, segment: u32) {
        self.m.drop_segment(kind, segment);
    }

    /// `global.get`, through the global's pointer in the vmctx.
    pub(super) fn global_get(&mut self, dst: u32, global: u32) {
        self.m.global_get(dst, global);
    }

    /// `global.set`.
    pub(super) fn global_set(&mut self, global: u32, src: u32) {
        self.m.global_set(global, src);
    }

    /// `table.get`, bounds-checked.
    pub(super) fn table_get(&mut self, dst: u32, table: u32, index: u32) {
        self.m.table_get(dst, table, index);
    }

    /// `table.set`, bounds-checked.
    pub(super) fn table_set(&mut self, table: u32, index: u32, value: u32) {
        self.m.table_set(table, index, value);
    }

    /// `table.size`.
    pub(super) fn table_size(&mut self, dst: u32, table: u32) {
        self.m.table_size(dst, table);
    }

    /// `table.grow`: the old size, or -1.
    pub(super) fn table_grow(&mut self, dst: u32, table: u32, delta: u32, init: u32) {
        self.m.table_grow(dst, table, delta, init);
    }

    pub(super) fn table_fill(&mut self, table: u32, index: u32, value: u32, len: u32) {
        self.bulk(
            Libcall::table_fill(),
            &[table],
            [U32(index), U64(value), U32(len)],
        );
    }

    pub(super) fn table_copy(
        &mut self,
        dst_table: u32,
        src_table: u32,
        to: u32,
        from: u32,
        len: u32,
    ) {
        let operands = [U32(to), U32(from), U32(len)];
        self.bulk(Libcall::table_copy(), &[dst_table, src_table], operands);
    }

    pub(super) fn table_init(&mut self, table: u32, segment: u32, to: u32, from: u32, len: u32) {
        let operands = [U32(to), U32(from), U32(len)];
        self.bulk(Libcall::table_init(), &[table, segment], operands);
    }

    /// `ref.func`: the function's reference from the vmctx.
    pub(super) fn ref_func(&mut self, dst: u32, func: u32) {
        self.m.ref_func(dst, func);
    }
}
