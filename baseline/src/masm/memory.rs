//! The masm's memory operations: linear-memory loads and stores (with the explicit bounds
//! check when asked for), `memory.size`/`memory.grow`, bulk memory and table libcalls,
//! globals, tables, function references and segments.
//!
//! The base of the memory accesses use (memory 0, or memory `k` between the bytecode's
//! `UseMemory` pair) is in `r14`; an access is `[r14 + index + disp]`, the 32-bit index
//! zero-extended in a scratch register. The access instruction is a trap site (a fault on the
//! guard region is the out-of-bounds trap). Tables are reached through the vmctx and checked
//! against their length at every access; their base is reloaded every time (`table.grow` may
//! move it).

use tierup_abi::vmctx::offsets as off;
use tierup_abi::{Libcall, TrapCode};

use super::x64::Gpr;
use super::{Masm, Operand, Place, Width};

// ---- the vocabulary ----

/// What a linear-memory load reads and how it extends it to the slot's 64 bits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum LoadKind {
    /// 8 bits, zero-extended (`i32.load8_u`, `i64.load8_u`).
    U8,
    /// 16 bits, zero-extended.
    U16,
    /// 32 bits, zero-extended (`i32.load`, `f32.load`, `i64.load32_u`).
    U32,
    /// 64 bits (`i64.load`, `f64.load`).
    U64,
    /// 8 bits, sign-extended to 32 (`i32.load8_s`).
    S8ToI32,
    /// 16 bits, sign-extended to 32.
    S16ToI32,
    /// 8 bits, sign-extended to 64 (`i64.load8_s`).
    S8ToI64,
    /// 16 bits, sign-extended to 64.
    S16ToI64,
    /// 32 bits, sign-extended to 64.
    S32ToI64,
}

impl LoadKind {
    /// Bytes read.
    pub(crate) fn bytes(self) -> u32 {
        match self {
            LoadKind::U8 | LoadKind::S8ToI32 | LoadKind::S8ToI64 => 1,
            LoadKind::U16 | LoadKind::S16ToI32 | LoadKind::S16ToI64 => 2,
            LoadKind::U32 | LoadKind::S32ToI64 => 4,
            LoadKind::U64 => 8,
        }
    }
}

/// How many low bits of a value a linear-memory store writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum StoreKind {
    I8,
    I16,
    I32,
    I64,
}

impl StoreKind {
    /// Bytes written.
    pub(crate) fn bytes(self) -> u32 {
        match self {
            StoreKind::I8 => 1,
            StoreKind::I16 => 2,
            StoreKind::I32 => 4,
            StoreKind::I64 => 8,
        }
    }
}

/// How a linear-memory access is kept in bounds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum HeapCheck {
    /// No check: the guard region after the memory catches the access (its offset is below
    /// the guard's size, and so fits a displacement).
    GuardRegion,
    /// Compare the access's end with the memory's length first.
    Explicit,
}

/// Passive segments.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Segment {
    Data,
    Elem,
}

/// A libcall argument read from a slot.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum LibcallArg {
    /// The slot's low 32 bits.
    U32(u32),
    /// The slot's 64 bits.
    U64(u32),
}

/// Registers a libcall takes its arguments in after the vmctx (SysV).
const ARG_REGS: [Gpr; 5] = [Gpr::RSI, Gpr::RDX, Gpr::RCX, Gpr::R8, Gpr::R9];

impl Masm {
    // ---- linear memory ----

    /// Prepares an access of `bytes` bytes at `addr + offset` of the current memory: returns `(reg,
    /// disp)` such that `[r14 + reg + disp]` is the effective address, after the explicit
    /// bounds check `check` asks for. Never uses `keep` (but when it caches `addr` too).
    /// The register may be the one caching `addr`: the caller must not write it.
    pub(super) fn memory_address(
        &mut self,
        addr: u32,
        offset: u32,
        bytes: u32,
        check: HeapCheck,
        keep: Option<Gpr>,
    ) -> (Gpr, i32) {
        if check == HeapCheck::GuardRegion
            && let Ok(disp) = i32::try_from(offset)
        {
            // A register caching an `i32` slot holds the slot's 64 bits, the value
            // zero-extended (the slot ABI's `i32`): the index as it is.
            if let Place::Reg(r) = self.place(addr) {
                return (r, disp);
            }
            let a = self.alloc(&[keep]);
            self.load_slot(Width::W32, a, addr);
            return (a, disp);
        }
        // Two registers besides `keep`: in a pinned loop region with every pin taken and a
        // countdown register, only three of the cache's registers are left.
        let a = self.alloc(&[keep]);
        self.load_slot(Width::W32, a, addr);
        let scratch = self.alloc(&[keep, Some(a)]);
        let oob = self.trap_label(TrapCode::MemoryOutOfBounds);
        self.asm.heap_bounds_check(
            a,
            i64::from(offset) + i64::from(bytes),
            scratch,
            oob,
            self.memory,
        );
        match i32::try_from(offset) {
            Ok(disp) => (a, disp),
            Err(_) => {
                self.claim(a);
                self.asm.add_u32_imm(a, offset, scratch);
                (a, 0)
            }
        }
    }

    /// `dst = memory[addr + offset]` as `kind` says.
    pub(crate) fn memory_load(
        &mut self,
        kind: LoadKind,
        dst: u32,
        addr: u32,
        offset: u32,
        check: HeapCheck,
    ) {
        let (a, disp) = self.memory_address(addr, offset, kind.bytes(), check, None);
        let r = self.alloc_for(dst, &[Some(a)]);
        self.claim_for(r, dst);
        self.trap_site(TrapCode::MemoryOutOfBounds);
        self.asm.heap_load(kind, r, a, disp);
        self.write_slot(dst, r);
    }

    /// `memory[addr + offset] = value` (its low bits, as `kind` says).
    pub(crate) fn memory_store(
        &mut self,
        kind: StoreKind,
        addr: u32,
        offset: u32,
        value: Operand,
        check: HeapCheck,
    ) {
        match value {
            Operand::Slot(src) => {
                let v = self.value_reg(src);
                let (a, disp) = self.memory_address(addr, offset, kind.bytes(), check, Some(v));
                self.trap_site(TrapCode::MemoryOutOfBounds);
                self.asm.heap_store(kind, a, disp, v);
            }
            Operand::Imm(imm) => {
                let (a, disp) = self.memory_address(addr, offset, kind.bytes(), check, None);
                self.trap_site(TrapCode::MemoryOutOfBounds);
                self.asm.heap_store_imm(kind, a, disp, imm);
            }
        }
    }

    /// `dst` = memory `memory`'s size in pages.
    pub(crate) fn memory_size(&mut self, dst: u32, memory: u32) {
        self.compute_into_slot(dst, |asm, r| asm.memory_size(r, memory));
    }

    /// `dst = memory.grow(delta)` on memory `memory` (the `memory_grow` libcall): the old
    /// size, or -1.
    pub(crate) fn memory_grow(&mut self, dst: u32, delta: u32, memory: u32) {
        self.load_slot(Width::W32, Gpr::RDX, delta);
        self.pass_vmctx();
        if memory == 0 {
            self.claim(Gpr::RSI);
            self.asm.zero_esi();
        } else {
            self.pass_imm(Gpr::RSI, memory);
        }
        self.call_libcall(Libcall::memory_grow());
        self.write_grow_result(dst);
    }

    /// `dst = table.grow table (init, delta)` (the `table_grow` libcall): the old size, or -1.
    pub(crate) fn table_grow(&mut self, dst: u32, table: u32, delta: u32, init: u32) {
        self.load_slot(Width::W32, Gpr::RDX, delta);
        self.load_slot(Width::W64, Gpr::RCX, init);
        self.pass_vmctx();
        self.pass_imm(Gpr::RSI, table);
        self.call_libcall(Libcall::table_grow());
        self.write_grow_result(dst);
    }

    /// After a grow libcall (`tierup_abi::Checked`): trap with a non-zero status in `rax`
    /// (the store's resource limiter failed), else store the `i32` result from `rdx`.
    fn write_grow_result(&mut self, dst: u32) {
        self.check_status();
        self.write_slot(dst, Gpr::RDX);
    }

    // ---- bulk memory and table operations ----

    /// Calls a libcall that returns a status (bulk memory and table operations):
    /// `libcall(vmctx, imms.., args..)`, trapping with a non-zero status.
    pub(crate) fn call_bulk_libcall(
        &mut self,
        libcall: Libcall,
        imms: &[u32],
        args: &[LibcallArg],
    ) {
        debug_assert!(imms.len() + args.len() <= ARG_REGS.len());
        let (imm_regs, arg_regs) = ARG_REGS.split_at(imms.len());
        for (&arg, &r) in args.iter().zip(arg_regs) {
            match arg {
                LibcallArg::U32(slot) => self.load_slot(Width::W32, r, slot),
                LibcallArg::U64(slot) => self.load_slot(Width::W64, r, slot),
            }
        }
        for (&imm, &r) in imms.iter().zip(imm_regs) {
            self.pass_imm(r, imm);
        }
        self.pass_vmctx();
        self.call_libcall(libcall);
        self.check_status();
    }

    // ---- globals, tables, functions, segments ----

    /// `dst = global`.
    pub(crate) fn global_get(&mut self, dst: u32, global: u32) {
        self.compute_into_slot(dst, |asm, r| {
            asm.load_vmctx_pointer(r, off::GLOBALS, global);
            asm.load_pointee(r);
        });
    }

    /// `global = src`.
    pub(crate) fn global_set(&mut self, global: u32, src: u32) {
        let v = self.alloc(&[]);
        self.load_slot(Width::W64, v, src);
        let p = self.alloc(&[Some(v)]);
        self.asm.load_vmctx_pointer(p, off::GLOBALS, global);
        self.asm.store_pointee(p, v);
    }

    /// Bounds-checks slot `index` against table `table`: afterwards `rax` = the element array
    /// and `rcx` = the index.
    pub(super) fn table_element(&mut self, table: u32, index: u32) {
        self.load_slot(Width::W32, Gpr::RCX, index);
        self.claim(Gpr::RAX);
        let oob = self.trap_label(TrapCode::TableOutOfBounds);
        self.asm.table_elements(table, oob);
    }

    /// `dst = table[index]`.
    pub(crate) fn table_get(&mut self, dst: u32, table: u32, index: u32) {
        self.table_element(table, index);
        self.compute_into_slot(dst, |asm, r| asm.load_table_element(r));
    }

    /// `table[index] = value`.
    pub(crate) fn table_set(&mut self, table: u32, index: u32, value: u32) {
        let v = self.alloc(&[Some(Gpr::RAX), Some(Gpr::RCX)]);
        self.load_slot(Width::W64, v, value);
        self.table_element(table, index);
        self.asm.store_table_element(v);
    }

    /// `dst` = table `table`'s length.
    pub(crate) fn table_size(&mut self, dst: u32, table: u32) {
        self.compute_into_slot(dst, |asm, r| {
            asm.load_vmctx_pointer(r, off::TABLES, table);
            asm.load_table_length(r);
        });
    }

    /// `dst` = function `func`'s reference.
    pub(crate) fn ref_func(&mut self, dst: u32, func: u32) {
        self.compute_into_slot(dst, |asm, r| asm.load_vmctx_pointer(r, off::FUNCS, func));
    }

    /// Drops a passive segment (`data.drop`, `elem.drop`).
    pub(crate) fn drop_segment(&mut self, kind: Segment, index: u32) {
        self.claim(Gpr::RAX);
        self.asm.drop_segment(kind, index);
    }
}
