//! The visitor: one pass over a function's register bytecode, routing each instruction to the
//! method of its family, which lowers it to operations of the [`Masm`]. The visitor decides
//! *what* to emit (wasm semantics, the tiering protocol, the bounds-check policy); the masm
//! decides *how* in x86-64 and keeps the register cache. Nothing here writes machine code or
//! touches the cache.
//!
//! Frame and ABI: the function is `extern "sysv64" fn(vmctx: rdi, fp: rsi)` (DESIGN.md §3) and
//! keeps the interpreter's frame layout, so any bytecode index that is a loop header can be
//! entered from an interpreter frame (on-stack replacement): [`Codegen::emit_osr_entries`]
//! emits, per loop header, a prologue that jumps there.
//!
//! Control flow: every branch target gets a label, bound with
//! [`Masm::bind_branch_target`] (which forgets the register cache). Back-edges (branches with
//! offset ≤ 0) check the interrupt flag and count down the hotness counter, as the
//! interpreter does. `br_table` jumps through a table of `jmp rel32` instructions to the code
//! of the `Br` instructions that follow it.
//!
//! Traps: faulting instructions (guard-page memory accesses) and `ud2` stubs are recorded as
//! trap sites for the signal handler; traps reported by Rust callees (status in `eax`) jump to
//! the shared "propagate" site. No Rust frame is ever between JIT code and a fault.

use tierup_abi::{BoundsChecks, GUARD_BYTES, Libcall, NO_OSR, OSR_FROM_BASELINE, TrapCode};
use tierup_interp::{CompiledFunc, Instr};

use crate::masm::{
    AluOp, BitCount, Compare, Cond, DivRemOp, ExtendOp, FloatCond, FloatOp, FloatSignOp,
    FloatUnaryOp, HeapCheck, IntToFloat, Label, LibcallArg, LoadKind, Masm, Operand, Segment,
    ShiftOp, StoreKind, Width,
};
use crate::{BaselineCode, CompileEnv, CompileError};

/// Compiles one function (see [`crate::compile`]).
pub(crate) struct Codegen<'a> {
    m: Masm,
    func: &'a CompiledFunc,
    env: &'a CompileEnv,
    /// A label per bytecode index that is a branch target.
    labels: Vec<Option<Label>>,
    /// Bytecode indices of loop headers (targets of back-edges), in order.
    loop_headers: Vec<u32>,
    /// The shared epilogue every return jumps to.
    epilogue: Label,
    /// The on-stack-replacement tail jump ([`Codegen::emit_osr_exit`]).
    osr_exit: Label,
    /// The tier-up helper the hotness ticks call ([`Codegen::emit_hot_helper`]).
    hot_helper: Label,
    /// The call-reference helper imported and indirect calls go through
    /// ([`Codegen::emit_call_ref_helper`]).
    call_ref_helper: Label,
}

impl<'a> Codegen<'a> {
    pub(crate) fn new(func: &'a CompiledFunc, env: &'a CompileEnv) -> Codegen<'a> {
        let mut m = Masm::new();
        let epilogue = m.new_label();
        let hot_helper = m.new_label();
        let osr_exit = m.new_label();
        let call_ref_helper = m.new_label();
        let mut labels = vec![None; func.code.len()];
        let mut loop_headers = Vec::new();
        for (i, instr) in func.code.iter().enumerate() {
            let mut mark = |target: usize, labels: &mut Vec<Option<Label>>| {
                if labels[target].is_none() {
                    labels[target] = Some(m.new_label());
                }
            };
            if let Some(offset) = instr.branch_offset() {
                let target = branch_target(i, offset);
                mark(target, &mut labels);
                if offset <= 0 && !loop_headers.contains(&(target as u32)) {
                    loop_headers.push(target as u32);
                }
            }
            if let Instr::BrTable { len, .. } = *instr {
                for k in 0..=len as usize {
                    mark(i + 1 + k, &mut labels);
                }
            }
        }
        Codegen {
            m,
            func,
            env,
            labels,
            loop_headers,
            epilogue,
            osr_exit,
            hot_helper,
            call_ref_helper,
        }
    }

    pub(crate) fn finish(mut self) -> Result<BaselineCode, CompileError> {
        self.emit_prologue(true);
        for i in 0..self.func.code.len() {
            if let Some(label) = self.labels[i] {
                self.m.bind_branch_target(label);
            }
            self.emit(i)?;
        }
        self.emit_epilogue();
        self.emit_osr_exit();
        self.emit_hot_helper();
        self.emit_call_ref_helper();
        let osr_entries = self.emit_osr_entries();
        let (code, traps) = self
            .m
            .finish()
            .map_err(|e| CompileError(format!("assembling: {e}")))?;
        Ok(BaselineCode {
            code,
            traps,
            osr_entries,
        })
    }

    /// The label of the target of a branch at `i` with `offset`.
    fn label_at(&self, i: usize, offset: i32) -> Label {
        self.labels[branch_target(i, offset)].expect("branch targets have labels")
    }

    /// The operands of the `Extra` instruction after `i` (instructions with more operands
    /// than fit carry the rest there).
    fn extra(&self, i: usize) -> (u32, u32, u32) {
        match self.func.code.get(i + 1) {
            Some(&Instr::Extra { a, b, c }) => (a, b, c),
            _ => (0, 0, 0),
        }
    }

    /// Routes instruction `i` to its family's method. (A table: one line per instruction, so
    /// rustfmt leaves it alone.)
    #[rustfmt::skip]
    fn emit(&mut self, i: usize) -> Result<(), CompileError> {
        use Cond::*;
        use Operand::{Imm, Slot};
        use Width::{W32, W64};
        let instr = self.func.code[i];
        match instr {
            // ---- control (control.rs) ----
            Instr::Trap { code } => self.trap(code),
            Instr::Br { offset } => self.branch(i, None, offset),
            Instr::BrIfNez { src, offset } => self.branch_if(i, W32, src, Imm(0), Ne, offset),
            Instr::BrIfEqz { src, offset } => self.branch_if(i, W32, src, Imm(0), Eq, offset),
            Instr::BrIfI32Eq { lhs, rhs, offset } => self.branch_if(i, W32, lhs, Slot(rhs), Eq, offset),
            Instr::BrIfI32Ne { lhs, rhs, offset } => self.branch_if(i, W32, lhs, Slot(rhs), Ne, offset),
            Instr::BrIfI32LtS { lhs, rhs, offset } => self.branch_if(i, W32, lhs, Slot(rhs), LtS, offset),
            Instr::BrIfI32LtU { lhs, rhs, offset } => self.branch_if(i, W32, lhs, Slot(rhs), LtU, offset),
            Instr::BrIfI32GtS { lhs, rhs, offset } => self.branch_if(i, W32, lhs, Slot(rhs), GtS, offset),
            Instr::BrIfI32GtU { lhs, rhs, offset } => self.branch_if(i, W32, lhs, Slot(rhs), GtU, offset),
            Instr::BrIfI32LeS { lhs, rhs, offset } => self.branch_if(i, W32, lhs, Slot(rhs), LeS, offset),
            Instr::BrIfI32LeU { lhs, rhs, offset } => self.branch_if(i, W32, lhs, Slot(rhs), LeU, offset),
            Instr::BrIfI32GeS { lhs, rhs, offset } => self.branch_if(i, W32, lhs, Slot(rhs), GeS, offset),
            Instr::BrIfI32GeU { lhs, rhs, offset } => self.branch_if(i, W32, lhs, Slot(rhs), GeU, offset),
            Instr::BrIfI32EqImm { lhs, imm, offset } => self.branch_if(i, W32, lhs, Imm(imm), Eq, offset),
            Instr::BrIfI32NeImm { lhs, imm, offset } => self.branch_if(i, W32, lhs, Imm(imm), Ne, offset),
            Instr::BrIfI32LtSImm { lhs, imm, offset } => self.branch_if(i, W32, lhs, Imm(imm), LtS, offset),
            Instr::BrIfI32LtUImm { lhs, imm, offset } => self.branch_if(i, W32, lhs, Imm(imm), LtU, offset),
            Instr::BrIfI32GtSImm { lhs, imm, offset } => self.branch_if(i, W32, lhs, Imm(imm), GtS, offset),
            Instr::BrIfI32GtUImm { lhs, imm, offset } => self.branch_if(i, W32, lhs, Imm(imm), GtU, offset),
            Instr::BrIfI32LeSImm { lhs, imm, offset } => self.branch_if(i, W32, lhs, Imm(imm), LeS, offset),
            Instr::BrIfI32LeUImm { lhs, imm, offset } => self.branch_if(i, W32, lhs, Imm(imm), LeU, offset),
            Instr::BrIfI32GeSImm { lhs, imm, offset } => self.branch_if(i, W32, lhs, Imm(imm), GeS, offset),
            Instr::BrIfI32GeUImm { lhs, imm, offset } => self.branch_if(i, W32, lhs, Imm(imm), GeU, offset),
            Instr::BrIfI64Eq { lhs, rhs, offset } => self.branch_if(i, W64, lhs, Slot(rhs), Eq, offset),
            Instr::BrIfI64Ne { lhs, rhs, offset } => self.branch_if(i, W64, lhs, Slot(rhs), Ne, offset),
            Instr::BrIfI64LtS { lhs, rhs, offset } => self.branch_if(i, W64, lhs, Slot(rhs), LtS, offset),
            Instr::BrIfI64LtU { lhs, rhs, offset } => self.branch_if(i, W64, lhs, Slot(rhs), LtU, offset),
            Instr::BrIfI64GtS { lhs, rhs, offset } => self.branch_if(i, W64, lhs, Slot(rhs), GtS, offset),
            Instr::BrIfI64GtU { lhs, rhs, offset } => self.branch_if(i, W64, lhs, Slot(rhs), GtU, offset),
            Instr::BrIfI64LeS { lhs, rhs, offset } => self.branch_if(i, W64, lhs, Slot(rhs), LeS, offset),
            Instr::BrIfI64LeU { lhs, rhs, offset } => self.branch_if(i, W64, lhs, Slot(rhs), LeU, offset),
            Instr::BrIfI64GeS { lhs, rhs, offset } => self.branch_if(i, W64, lhs, Slot(rhs), GeS, offset),
            Instr::BrIfI64GeU { lhs, rhs, offset } => self.branch_if(i, W64, lhs, Slot(rhs), GeU, offset),
            Instr::BrTable { index, len } => self.br_table(i, index, len),
            Instr::Return {} => self.ret(),
            Instr::ReturnSlot { src } => self.return_slot(src),
            Instr::ReturnImm { value } => self.return_imm(value),
            Instr::Extra { .. } => {}

            // ---- calls (calls.rs) ----
            Instr::Call { func, args } => self.call(func, args),
            Instr::CallIndirect {
                type_index,
                index,
                args,
            } => {
                let (table, _, _) = self.extra(i);
                self.call_indirect(type_index, table, index, args);
            }

            // ---- values (numeric.rs) ----
            Instr::Copy { dst, src } => self.copy(dst, src),
            Instr::Const32 { dst, value } => self.constant(dst, u64::from(value)),
            Instr::Const64 { dst, value } => self.constant(dst, value),
            Instr::Select { dst, a, b } => {
                let (cond, _, _) = self.extra(i);
                self.select(dst, a, b, cond);
            }

            // ---- memory, globals, tables (memory.rs) ----
            Instr::GlobalGet { dst, global } => self.global_get(dst, global),
            Instr::GlobalSet { global, src } => self.global_set(global, src),
            Instr::I32Load { dst, addr, offset }
            | Instr::F32Load { dst, addr, offset }
            | Instr::I64Load32U { dst, addr, offset } => self.load(LoadKind::U32, dst, addr, offset),
            Instr::I64Load { dst, addr, offset } | Instr::F64Load { dst, addr, offset } => {
                self.load(LoadKind::U64, dst, addr, offset)
            }
            Instr::I32Load8S { dst, addr, offset } => self.load(LoadKind::S8ToI32, dst, addr, offset),
            Instr::I32Load8U { dst, addr, offset } | Instr::I64Load8U { dst, addr, offset } => {
                self.load(LoadKind::U8, dst, addr, offset)
            }
            Instr::I32Load16S { dst, addr, offset } => self.load(LoadKind::S16ToI32, dst, addr, offset),
            Instr::I32Load16U { dst, addr, offset } | Instr::I64Load16U { dst, addr, offset } => {
                self.load(LoadKind::U16, dst, addr, offset)
            }
            Instr::I64Load8S { dst, addr, offset } => self.load(LoadKind::S8ToI64, dst, addr, offset),
            Instr::I64Load16S { dst, addr, offset } => self.load(LoadKind::S16ToI64, dst, addr, offset),
            Instr::I64Load32S { dst, addr, offset } => self.load(LoadKind::S32ToI64, dst, addr, offset),
            Instr::I32Store { addr, src, offset } => self.store(StoreKind::I32, addr, Slot(src), offset),
            Instr::I64Store { addr, src, offset } => self.store(StoreKind::I64, addr, Slot(src), offset),
            Instr::Store8 { addr, src, offset } => self.store(StoreKind::I8, addr, Slot(src), offset),
            Instr::Store16 { addr, src, offset } => self.store(StoreKind::I16, addr, Slot(src), offset),
            Instr::I32StoreImm { addr, imm, offset } => self.store(StoreKind::I32, addr, Imm(imm), offset),
            Instr::I64StoreImm { addr, imm, offset } => self.store(StoreKind::I64, addr, Imm(imm), offset),
            Instr::Store8Imm { addr, imm, offset } => self.store(StoreKind::I8, addr, Imm(imm), offset),
            Instr::Store16Imm { addr, imm, offset } => self.store(StoreKind::I16, addr, Imm(imm), offset),
            Instr::MemorySize { dst } => self.memory_size(dst),
            Instr::MemoryGrow { dst, delta } => self.memory_grow(dst, delta),
            Instr::MemoryFill { addr, value, len } => self.memory_fill(addr, value, len),
            Instr::MemoryCopy { to, from, len } => self.memory_copy(to, from, len),
            Instr::MemoryInit { to, from, len } => {
                let (segment, _, _) = self.extra(i);
                self.memory_init(segment, to, from, len);
            }
            Instr::DataDrop { segment } => self.drop_segment(Segment::Data, segment),
            Instr::TableGet { dst, table, index } => self.table_get(dst, table, index),
            Instr::TableSet {
                table,
                index,
                value,
            } => self.table_set(table, index, value),
            Instr::TableSize { dst, table } => self.table_size(dst, table),
            Instr::TableGrow { dst, table, delta } => {
                let (init, _, _) = self.extra(i);
                self.table_grow(dst, table, delta, init);
            }
            Instr::TableFill {
                table,
                index,
                value,
            } => {
                let (len, _, _) = self.extra(i);
                self.table_fill(table, index, value, len);
            }
            Instr::TableCopy { to, from, len } => {
                let (dst_table, src_table, _) = self.extra(i);
                self.table_copy(dst_table, src_table, to, from, len);
            }
            Instr::TableInit { to, from, len } => {
                let (table, segment, _) = self.extra(i);
                self.table_init(table, segment, to, from, len);
            }
            Instr::ElemDrop { segment } => self.drop_segment(Segment::Elem, segment),
            Instr::RefFunc { dst, func } => self.ref_func(dst, func),

            // ---- integer arithmetic (numeric.rs) ----
            Instr::I32Add { dst, lhs, rhs } => self.int_binary(AluOp::Add, W32, dst, lhs, Slot(rhs)),
            Instr::I32Sub { dst, lhs, rhs } => self.int_binary(AluOp::Sub, W32, dst, lhs, Slot(rhs)),
            Instr::I32Mul { dst, lhs, rhs } => self.int_binary(AluOp::Mul, W32, dst, lhs, Slot(rhs)),
            Instr::I32And { dst, lhs, rhs } => self.int_binary(AluOp::And, W32, dst, lhs, Slot(rhs)),
            Instr::I32Or { dst, lhs, rhs } => self.int_binary(AluOp::Or, W32, dst, lhs, Slot(rhs)),
            Instr::I32Xor { dst, lhs, rhs } => self.int_binary(AluOp::Xor, W32, dst, lhs, Slot(rhs)),
            Instr::I32AddImm { dst, lhs, imm } => self.int_binary(AluOp::Add, W32, dst, lhs, Imm(imm)),
            Instr::I32SubImm { dst, lhs, imm } => self.int_binary(AluOp::Sub, W32, dst, lhs, Imm(imm)),
            Instr::I32MulImm { dst, lhs, imm } => self.int_binary(AluOp::Mul, W32, dst, lhs, Imm(imm)),
            Instr::I32AndImm { dst, lhs, imm } => self.int_binary(AluOp::And, W32, dst, lhs, Imm(imm)),
            Instr::I32OrImm { dst, lhs, imm } => self.int_binary(AluOp::Or, W32, dst, lhs, Imm(imm)),
            Instr::I32XorImm { dst, lhs, imm } => self.int_binary(AluOp::Xor, W32, dst, lhs, Imm(imm)),
            Instr::I64Add { dst, lhs, rhs } => self.int_binary(AluOp::Add, W64, dst, lhs, Slot(rhs)),
            Instr::I64Sub { dst, lhs, rhs } => self.int_binary(AluOp::Sub, W64, dst, lhs, Slot(rhs)),
            Instr::I64Mul { dst, lhs, rhs } => self.int_binary(AluOp::Mul, W64, dst, lhs, Slot(rhs)),
            Instr::I64And { dst, lhs, rhs } => self.int_binary(AluOp::And, W64, dst, lhs, Slot(rhs)),
            Instr::I64Or { dst, lhs, rhs } => self.int_binary(AluOp::Or, W64, dst, lhs, Slot(rhs)),
            Instr::I64Xor { dst, lhs, rhs } => self.int_binary(AluOp::Xor, W64, dst, lhs, Slot(rhs)),
            Instr::I64AddImm { dst, lhs, imm } => self.int_binary(AluOp::Add, W64, dst, lhs, Imm(imm)),
            Instr::I64SubImm { dst, lhs, imm } => self.int_binary(AluOp::Sub, W64, dst, lhs, Imm(imm)),
            Instr::I64MulImm { dst, lhs, imm } => self.int_binary(AluOp::Mul, W64, dst, lhs, Imm(imm)),
            Instr::I64AndImm { dst, lhs, imm } => self.int_binary(AluOp::And, W64, dst, lhs, Imm(imm)),
            Instr::I64OrImm { dst, lhs, imm } => self.int_binary(AluOp::Or, W64, dst, lhs, Imm(imm)),
            Instr::I64XorImm { dst, lhs, imm } => self.int_binary(AluOp::Xor, W64, dst, lhs, Imm(imm)),

            Instr::I32Shl { dst, lhs, rhs } => self.int_shift(ShiftOp::Shl, W32, dst, lhs, Slot(rhs)),
            Instr::I32ShrS { dst, lhs, rhs } => self.int_shift(ShiftOp::ShrS, W32, dst, lhs, Slot(rhs)),
            Instr::I32ShrU { dst, lhs, rhs } => self.int_shift(ShiftOp::ShrU, W32, dst, lhs, Slot(rhs)),
            Instr::I32Rotl { dst, lhs, rhs } => self.int_shift(ShiftOp::Rotl, W32, dst, lhs, Slot(rhs)),
            Instr::I32Rotr { dst, lhs, rhs } => self.int_shift(ShiftOp::Rotr, W32, dst, lhs, Slot(rhs)),
            Instr::I32ShlImm { dst, lhs, imm } => self.int_shift(ShiftOp::Shl, W32, dst, lhs, Imm(imm)),
            Instr::I32ShrSImm { dst, lhs, imm } => self.int_shift(ShiftOp::ShrS, W32, dst, lhs, Imm(imm)),
            Instr::I32ShrUImm { dst, lhs, imm } => self.int_shift(ShiftOp::ShrU, W32, dst, lhs, Imm(imm)),
            Instr::I32RotlImm { dst, lhs, imm } => self.int_shift(ShiftOp::Rotl, W32, dst, lhs, Imm(imm)),
            Instr::I32RotrImm { dst, lhs, imm } => self.int_shift(ShiftOp::Rotr, W32, dst, lhs, Imm(imm)),
            Instr::I64Shl { dst, lhs, rhs } => self.int_shift(ShiftOp::Shl, W64, dst, lhs, Slot(rhs)),
            Instr::I64ShrS { dst, lhs, rhs } => self.int_shift(ShiftOp::ShrS, W64, dst, lhs, Slot(rhs)),
            Instr::I64ShrU { dst, lhs, rhs } => self.int_shift(ShiftOp::ShrU, W64, dst, lhs, Slot(rhs)),
            Instr::I64Rotl { dst, lhs, rhs } => self.int_shift(ShiftOp::Rotl, W64, dst, lhs, Slot(rhs)),
            Instr::I64Rotr { dst, lhs, rhs } => self.int_shift(ShiftOp::Rotr, W64, dst, lhs, Slot(rhs)),
            Instr::I64ShlImm { dst, lhs, imm } => self.int_shift(ShiftOp::Shl, W64, dst, lhs, Imm(imm)),
            Instr::I64ShrSImm { dst, lhs, imm } => self.int_shift(ShiftOp::ShrS, W64, dst, lhs, Imm(imm)),
            Instr::I64ShrUImm { dst, lhs, imm } => self.int_shift(ShiftOp::ShrU, W64, dst, lhs, Imm(imm)),
            Instr::I64RotlImm { dst, lhs, imm } => self.int_shift(ShiftOp::Rotl, W64, dst, lhs, Imm(imm)),
            Instr::I64RotrImm { dst, lhs, imm } => self.int_shift(ShiftOp::Rotr, W64, dst, lhs, Imm(imm)),

            Instr::I32DivS { dst, lhs, rhs } => self.int_div_rem(DivRemOp::DivS, W32, dst, lhs, Slot(rhs)),
            Instr::I32DivU { dst, lhs, rhs } => self.int_div_rem(DivRemOp::DivU, W32, dst, lhs, Slot(rhs)),
            Instr::I32RemS { dst, lhs, rhs } => self.int_div_rem(DivRemOp::RemS, W32, dst, lhs, Slot(rhs)),
            Instr::I32RemU { dst, lhs, rhs } => self.int_div_rem(DivRemOp::RemU, W32, dst, lhs, Slot(rhs)),
            Instr::I32DivSImm { dst, lhs, imm } => self.int_div_rem(DivRemOp::DivS, W32, dst, lhs, Imm(imm)),
            Instr::I32DivUImm { dst, lhs, imm } => self.int_div_rem(DivRemOp::DivU, W32, dst, lhs, Imm(imm)),
            Instr::I32RemSImm { dst, lhs, imm } => self.int_div_rem(DivRemOp::RemS, W32, dst, lhs, Imm(imm)),
            Instr::I32RemUImm { dst, lhs, imm } => self.int_div_rem(DivRemOp::RemU, W32, dst, lhs, Imm(imm)),
            Instr::I64DivS { dst, lhs, rhs } => self.int_div_rem(DivRemOp::DivS, W64, dst, lhs, Slot(rhs)),
            Instr::I64DivU { dst, lhs, rhs } => self.int_div_rem(DivRemOp::DivU, W64, dst, lhs, Slot(rhs)),
            Instr::I64RemS { dst, lhs, rhs } => self.int_div_rem(DivRemOp::RemS, W64, dst, lhs, Slot(rhs)),
            Instr::I64RemU { dst, lhs, rhs } => self.int_div_rem(DivRemOp::RemU, W64, dst, lhs, Slot(rhs)),
            Instr::I64DivSImm { dst, lhs, imm } => self.int_div_rem(DivRemOp::DivS, W64, dst, lhs, Imm(imm)),
            Instr::I64DivUImm { dst, lhs, imm } => self.int_div_rem(DivRemOp::DivU, W64, dst, lhs, Imm(imm)),
            Instr::I64RemSImm { dst, lhs, imm } => self.int_div_rem(DivRemOp::RemS, W64, dst, lhs, Imm(imm)),
            Instr::I64RemUImm { dst, lhs, imm } => self.int_div_rem(DivRemOp::RemU, W64, dst, lhs, Imm(imm)),

            Instr::I32Eq { dst, lhs, rhs } => self.int_compare(W32, Eq, dst, lhs, Slot(rhs)),
            Instr::I32Ne { dst, lhs, rhs } => self.int_compare(W32, Ne, dst, lhs, Slot(rhs)),
            Instr::I32LtS { dst, lhs, rhs } => self.int_compare(W32, LtS, dst, lhs, Slot(rhs)),
            Instr::I32LtU { dst, lhs, rhs } => self.int_compare(W32, LtU, dst, lhs, Slot(rhs)),
            Instr::I32GtS { dst, lhs, rhs } => self.int_compare(W32, GtS, dst, lhs, Slot(rhs)),
            Instr::I32GtU { dst, lhs, rhs } => self.int_compare(W32, GtU, dst, lhs, Slot(rhs)),
            Instr::I32LeS { dst, lhs, rhs } => self.int_compare(W32, LeS, dst, lhs, Slot(rhs)),
            Instr::I32LeU { dst, lhs, rhs } => self.int_compare(W32, LeU, dst, lhs, Slot(rhs)),
            Instr::I32GeS { dst, lhs, rhs } => self.int_compare(W32, GeS, dst, lhs, Slot(rhs)),
            Instr::I32GeU { dst, lhs, rhs } => self.int_compare(W32, GeU, dst, lhs, Slot(rhs)),
            Instr::I32EqImm { dst, lhs, imm } => self.int_compare(W32, Eq, dst, lhs, Imm(imm)),
            Instr::I32NeImm { dst, lhs, imm } => self.int_compare(W32, Ne, dst, lhs, Imm(imm)),
            Instr::I32LtSImm { dst, lhs, imm } => self.int_compare(W32, LtS, dst, lhs, Imm(imm)),
            Instr::I32LtUImm { dst, lhs, imm } => self.int_compare(W32, LtU, dst, lhs, Imm(imm)),
            Instr::I32GtSImm { dst, lhs, imm } => self.int_compare(W32, GtS, dst, lhs, Imm(imm)),
            Instr::I32GtUImm { dst, lhs, imm } => self.int_compare(W32, GtU, dst, lhs, Imm(imm)),
            Instr::I32LeSImm { dst, lhs, imm } => self.int_compare(W32, LeS, dst, lhs, Imm(imm)),
            Instr::I32LeUImm { dst, lhs, imm } => self.int_compare(W32, LeU, dst, lhs, Imm(imm)),
            Instr::I32GeSImm { dst, lhs, imm } => self.int_compare(W32, GeS, dst, lhs, Imm(imm)),
            Instr::I32GeUImm { dst, lhs, imm } => self.int_compare(W32, GeU, dst, lhs, Imm(imm)),
            Instr::I64Eq { dst, lhs, rhs } => self.int_compare(W64, Eq, dst, lhs, Slot(rhs)),
            Instr::I64Ne { dst, lhs, rhs } => self.int_compare(W64, Ne, dst, lhs, Slot(rhs)),
            Instr::I64LtS { dst, lhs, rhs } => self.int_compare(W64, LtS, dst, lhs, Slot(rhs)),
            Instr::I64LtU { dst, lhs, rhs } => self.int_compare(W64, LtU, dst, lhs, Slot(rhs)),
            Instr::I64GtS { dst, lhs, rhs } => self.int_compare(W64, GtS, dst, lhs, Slot(rhs)),
            Instr::I64GtU { dst, lhs, rhs } => self.int_compare(W64, GtU, dst, lhs, Slot(rhs)),
            Instr::I64LeS { dst, lhs, rhs } => self.int_compare(W64, LeS, dst, lhs, Slot(rhs)),
            Instr::I64LeU { dst, lhs, rhs } => self.int_compare(W64, LeU, dst, lhs, Slot(rhs)),
            Instr::I64GeS { dst, lhs, rhs } => self.int_compare(W64, GeS, dst, lhs, Slot(rhs)),
            Instr::I64GeU { dst, lhs, rhs } => self.int_compare(W64, GeU, dst, lhs, Slot(rhs)),
            Instr::I64EqImm { dst, lhs, imm } => self.int_compare(W64, Eq, dst, lhs, Imm(imm)),
            Instr::I64NeImm { dst, lhs, imm } => self.int_compare(W64, Ne, dst, lhs, Imm(imm)),
            Instr::I64LtSImm { dst, lhs, imm } => self.int_compare(W64, LtS, dst, lhs, Imm(imm)),
            Instr::I64LtUImm { dst, lhs, imm } => self.int_compare(W64, LtU, dst, lhs, Imm(imm)),
            Instr::I64GtSImm { dst, lhs, imm } => self.int_compare(W64, GtS, dst, lhs, Imm(imm)),
            Instr::I64GtUImm { dst, lhs, imm } => self.int_compare(W64, GtU, dst, lhs, Imm(imm)),
            Instr::I64LeSImm { dst, lhs, imm } => self.int_compare(W64, LeS, dst, lhs, Imm(imm)),
            Instr::I64LeUImm { dst, lhs, imm } => self.int_compare(W64, LeU, dst, lhs, Imm(imm)),
            Instr::I64GeSImm { dst, lhs, imm } => self.int_compare(W64, GeS, dst, lhs, Imm(imm)),
            Instr::I64GeUImm { dst, lhs, imm } => self.int_compare(W64, GeU, dst, lhs, Imm(imm)),
            Instr::I32Eqz { dst, src } => self.int_compare(W32, Eq, dst, src, Imm(0)),
            Instr::I64Eqz { dst, src } => self.int_compare(W64, Eq, dst, src, Imm(0)),

            Instr::I32Clz { dst, src } => self.int_count_bits(BitCount::LeadingZeros, W32, dst, src),
            Instr::I64Clz { dst, src } => self.int_count_bits(BitCount::LeadingZeros, W64, dst, src),
            Instr::I32Ctz { dst, src } => self.int_count_bits(BitCount::TrailingZeros, W32, dst, src),
            Instr::I64Ctz { dst, src } => self.int_count_bits(BitCount::TrailingZeros, W64, dst, src),
            Instr::I32Popcnt { dst, src } => self.int_count_bits(BitCount::Ones, W32, dst, src),
            Instr::I64Popcnt { dst, src } => self.int_count_bits(BitCount::Ones, W64, dst, src),
            Instr::I32Extend8S { dst, src } => self.int_extend(ExtendOp::I32Extend8S, dst, src),
            Instr::I32Extend16S { dst, src } => self.int_extend(ExtendOp::I32Extend16S, dst, src),
            Instr::I64Extend8S { dst, src } => self.int_extend(ExtendOp::I64Extend8S, dst, src),
            Instr::I64Extend16S { dst, src } => self.int_extend(ExtendOp::I64Extend16S, dst, src),
            Instr::I64Extend32S { dst, src } => self.int_extend(ExtendOp::I64Extend32S, dst, src),
            Instr::I64Extend32U { dst, src } => self.int_extend(ExtendOp::I64Extend32U, dst, src),

            // ---- floats (numeric.rs) ----
            Instr::F32Add { dst, lhs, rhs } => self.float_binary(FloatOp::Add, W32, dst, lhs, rhs),
            Instr::F32Sub { dst, lhs, rhs } => self.float_binary(FloatOp::Sub, W32, dst, lhs, rhs),
            Instr::F32Mul { dst, lhs, rhs } => self.float_binary(FloatOp::Mul, W32, dst, lhs, rhs),
            Instr::F32Div { dst, lhs, rhs } => self.float_binary(FloatOp::Div, W32, dst, lhs, rhs),
            Instr::F64Add { dst, lhs, rhs } => self.float_binary(FloatOp::Add, W64, dst, lhs, rhs),
            Instr::F64Sub { dst, lhs, rhs } => self.float_binary(FloatOp::Sub, W64, dst, lhs, rhs),
            Instr::F64Mul { dst, lhs, rhs } => self.float_binary(FloatOp::Mul, W64, dst, lhs, rhs),
            Instr::F64Div { dst, lhs, rhs } => self.float_binary(FloatOp::Div, W64, dst, lhs, rhs),
            Instr::F32Min { dst, lhs, rhs } => self.float_min_max(MinMax::Min, W32, dst, lhs, rhs),
            Instr::F32Max { dst, lhs, rhs } => self.float_min_max(MinMax::Max, W32, dst, lhs, rhs),
            Instr::F64Min { dst, lhs, rhs } => self.float_min_max(MinMax::Min, W64, dst, lhs, rhs),
            Instr::F64Max { dst, lhs, rhs } => self.float_min_max(MinMax::Max, W64, dst, lhs, rhs),
            Instr::F32Copysign { dst, lhs, rhs } => self.float_copysign(W32, dst, lhs, rhs),
            Instr::F64Copysign { dst, lhs, rhs } => self.float_copysign(W64, dst, lhs, rhs),
            Instr::F32Abs { dst, src } => self.float_sign(FloatSignOp::Abs, W32, dst, src),
            Instr::F32Neg { dst, src } => self.float_sign(FloatSignOp::Neg, W32, dst, src),
            Instr::F64Abs { dst, src } => self.float_sign(FloatSignOp::Abs, W64, dst, src),
            Instr::F64Neg { dst, src } => self.float_sign(FloatSignOp::Neg, W64, dst, src),
            Instr::F32Eq { dst, lhs, rhs } => self.float_compare(FloatRelation::Eq, W32, dst, lhs, rhs),
            Instr::F32Ne { dst, lhs, rhs } => self.float_compare(FloatRelation::Ne, W32, dst, lhs, rhs),
            Instr::F32Lt { dst, lhs, rhs } => self.float_compare(FloatRelation::Lt, W32, dst, lhs, rhs),
            Instr::F32Gt { dst, lhs, rhs } => self.float_compare(FloatRelation::Gt, W32, dst, lhs, rhs),
            Instr::F32Le { dst, lhs, rhs } => self.float_compare(FloatRelation::Le, W32, dst, lhs, rhs),
            Instr::F32Ge { dst, lhs, rhs } => self.float_compare(FloatRelation::Ge, W32, dst, lhs, rhs),
            Instr::F64Eq { dst, lhs, rhs } => self.float_compare(FloatRelation::Eq, W64, dst, lhs, rhs),
            Instr::F64Ne { dst, lhs, rhs } => self.float_compare(FloatRelation::Ne, W64, dst, lhs, rhs),
            Instr::F64Lt { dst, lhs, rhs } => self.float_compare(FloatRelation::Lt, W64, dst, lhs, rhs),
            Instr::F64Gt { dst, lhs, rhs } => self.float_compare(FloatRelation::Gt, W64, dst, lhs, rhs),
            Instr::F64Le { dst, lhs, rhs } => self.float_compare(FloatRelation::Le, W64, dst, lhs, rhs),
            Instr::F64Ge { dst, lhs, rhs } => self.float_compare(FloatRelation::Ge, W64, dst, lhs, rhs),
            Instr::F32Ceil { dst, src } => self.float_unary(FloatUnaryOp::Ceil, W32, dst, src),
            Instr::F32Floor { dst, src } => self.float_unary(FloatUnaryOp::Floor, W32, dst, src),
            Instr::F32Trunc { dst, src } => self.float_unary(FloatUnaryOp::Trunc, W32, dst, src),
            Instr::F32Nearest { dst, src } => self.float_unary(FloatUnaryOp::Nearest, W32, dst, src),
            Instr::F32Sqrt { dst, src } => self.float_unary(FloatUnaryOp::Sqrt, W32, dst, src),
            Instr::F64Ceil { dst, src } => self.float_unary(FloatUnaryOp::Ceil, W64, dst, src),
            Instr::F64Floor { dst, src } => self.float_unary(FloatUnaryOp::Floor, W64, dst, src),
            Instr::F64Trunc { dst, src } => self.float_unary(FloatUnaryOp::Trunc, W64, dst, src),
            Instr::F64Nearest { dst, src } => self.float_unary(FloatUnaryOp::Nearest, W64, dst, src),
            Instr::F64Sqrt { dst, src } => self.float_unary(FloatUnaryOp::Sqrt, W64, dst, src),

            // ---- conversions (numeric.rs) ----
            Instr::I32TruncF32S { dst, src } => self.trunc(Libcall::i32_trunc_f32_s(), dst, src),
            Instr::I32TruncF32U { dst, src } => self.trunc(Libcall::i32_trunc_f32_u(), dst, src),
            Instr::I32TruncF64S { dst, src } => self.trunc(Libcall::i32_trunc_f64_s(), dst, src),
            Instr::I32TruncF64U { dst, src } => self.trunc(Libcall::i32_trunc_f64_u(), dst, src),
            Instr::I64TruncF32S { dst, src } => self.trunc(Libcall::i64_trunc_f32_s(), dst, src),
            Instr::I64TruncF32U { dst, src } => self.trunc(Libcall::i64_trunc_f32_u(), dst, src),
            Instr::I64TruncF64S { dst, src } => self.trunc(Libcall::i64_trunc_f64_s(), dst, src),
            Instr::I64TruncF64U { dst, src } => self.trunc(Libcall::i64_trunc_f64_u(), dst, src),
            Instr::I32TruncSatF32S { dst, src } => self.convert_by_libcall(Libcall::i32_trunc_sat_f32_s(), dst, src),
            Instr::I32TruncSatF32U { dst, src } => self.convert_by_libcall(Libcall::i32_trunc_sat_f32_u(), dst, src),
            Instr::I32TruncSatF64S { dst, src } => self.convert_by_libcall(Libcall::i32_trunc_sat_f64_s(), dst, src),
            Instr::I32TruncSatF64U { dst, src } => self.convert_by_libcall(Libcall::i32_trunc_sat_f64_u(), dst, src),
            Instr::I64TruncSatF32S { dst, src } => self.convert_by_libcall(Libcall::i64_trunc_sat_f32_s(), dst, src),
            Instr::I64TruncSatF32U { dst, src } => self.convert_by_libcall(Libcall::i64_trunc_sat_f32_u(), dst, src),
            Instr::I64TruncSatF64S { dst, src } => self.convert_by_libcall(Libcall::i64_trunc_sat_f64_s(), dst, src),
            Instr::I64TruncSatF64U { dst, src } => self.convert_by_libcall(Libcall::i64_trunc_sat_f64_u(), dst, src),
            Instr::F32ConvertI64U { dst, src } => self.convert_by_libcall(Libcall::f32_convert_i64_u(), dst, src),
            Instr::F64ConvertI64U { dst, src } => self.convert_by_libcall(Libcall::f64_convert_i64_u(), dst, src),
            Instr::F32ConvertI32S { dst, src } => self.convert_int(IntToFloat::I32S, W32, dst, src),
            Instr::F32ConvertI32U { dst, src } => self.convert_int(IntToFloat::I32U, W32, dst, src),
            Instr::F32ConvertI64S { dst, src } => self.convert_int(IntToFloat::I64S, W32, dst, src),
            Instr::F64ConvertI32S { dst, src } => self.convert_int(IntToFloat::I32S, W64, dst, src),
            Instr::F64ConvertI32U { dst, src } => self.convert_int(IntToFloat::I32U, W64, dst, src),
            Instr::F64ConvertI64S { dst, src } => self.convert_int(IntToFloat::I64S, W64, dst, src),
            Instr::F32DemoteF64 { dst, src } => self.convert_float(W32, dst, src),
            Instr::F64PromoteF32 { dst, src } => self.convert_float(W64, dst, src),
        }
        Ok(())
    }
}

/// The bytecode index a branch at `i` with `offset` goes to.
fn branch_target(i: usize, offset: i32) -> usize {
    (i as i64 + i64::from(offset)) as usize
}

// ---- frame: prologue, epilogue, ticks, OSR entries and exit, the tier-up helper ----

impl Codegen<'_> {
    /// The prologue. `entry`: the function entry (count the call, check for interruption and
    /// zero the declared locals), not an OSR entry.
    fn emit_prologue(&mut self, entry: bool) {
        self.m.enter_frame();
        self.m.check_stacks(self.func.frame_size);
        self.m.load_countdown(self.func.defined.as_u32());
        if self.env.has_memory {
            self.m.load_memory_base();
        }
        if entry {
            self.emit_tick(None);
            let params = self.func.num_params;
            self.m.zero_slots(params, self.func.num_locals - params);
        }
    }

    /// Interrupt check and hotness countdown (function entry, and loop back-edges to the
    /// header at bytecode index `loop_header`). When a back-edge's countdown crosses zero and
    /// the runtime offers code for this loop header, the activation continues there
    /// ([`Codegen::emit_osr_exit`]).
    fn emit_tick(&mut self, loop_header: Option<u32>) {
        let osr_pc = loop_header.map_or(NO_OSR, |pc| pc | OSR_FROM_BASELINE);
        let osr_exit = loop_header.map(|_| self.osr_exit);
        self.m.tick(self.hot_helper, osr_pc, osr_exit);
    }

    /// The tail jump of [`Codegen::emit_tick`]'s on-stack replacement: the target gets this
    /// frame's vmctx and fp and returns to this function's caller.
    fn emit_osr_exit(&mut self) {
        self.m.bind_branch_target(self.osr_exit);
        self.m.leave_frame_and_jump_to_osr_target();
    }

    /// The shared epilogue every return jumps to.
    fn emit_epilogue(&mut self) {
        self.m.bind_branch_target(self.epilogue);
        self.m.leave_frame_and_return();
    }

    /// The tier-up helper of the ticks: `tier_up(vmctx, this function, osr_pc)`.
    fn emit_hot_helper(&mut self) {
        self.m.bind_branch_target(self.hot_helper);
        self.m.emit_tier_up_helper(self.func.defined.as_u32());
    }

    /// One OSR entry per loop header: the prologue (without zeroing locals), then a jump to
    /// the header. Returns `(bytecode index, code offset)` pairs.
    fn emit_osr_entries(&mut self) -> Vec<(u32, u32)> {
        let mut entries = Vec::with_capacity(self.loop_headers.len());
        for k in 0..self.loop_headers.len() {
            let pc = self.loop_headers[k];
            let at = self.m.offset();
            self.emit_prologue(false);
            let label = self.labels[pc as usize].expect("loop headers have labels");
            self.m.jump(label);
            entries.push((pc, at));
        }
        entries
    }
}

// ---- control: branches, br_table, returns, traps ----

impl Codegen<'_> {
    /// Traps with `code`.
    fn trap(&mut self, code: TrapCode) {
        self.m.trap(code);
    }

    /// Branches from `i` by `offset` when `lhs <cond> rhs` holds at `width`.
    fn branch_if(
        &mut self,
        i: usize,
        width: Width,
        lhs: u32,
        rhs: Operand,
        cond: Cond,
        offset: i32,
    ) {
        let test = Compare {
            width,
            lhs,
            rhs,
            cond,
        };
        self.branch(i, Some(test), offset);
    }

    /// Branches from `i` by `offset` (when `test` holds, if given). A back-edge ticks first,
    /// on the taken path only.
    fn branch(&mut self, i: usize, test: Option<Compare>, offset: i32) {
        let label = self.label_at(i, offset);
        if offset > 0 {
            match test {
                None => self.m.jump(label),
                Some(test) => self.m.compare_and_branch(test, label),
            }
            return;
        }
        let header = Some(branch_target(i, offset) as u32);
        match test {
            None => {
                self.emit_tick(header);
                self.m.jump(label);
            }
            Some(test) => {
                let not_taken = self.m.jump_unless(test);
                self.emit_tick(header);
                self.m.jump(label);
                self.m.bind_fall_through(not_taken);
            }
        }
    }

    /// `br_table` at `i`: jumps to one of the `len + 1` `Br` instructions that follow it (the
    /// last is the default).
    fn br_table(&mut self, i: usize, index: u32, len: u32) {
        let targets: Vec<_> = (0..=len as usize)
            .map(|k| self.labels[i + 1 + k].expect("br_table entries have labels"))
            .collect();
        self.m.jump_table(index, &targets);
    }

    /// Returns (the results are already in their slots).
    fn ret(&mut self) {
        self.m.jump(self.epilogue);
    }

    /// Returns the value of slot `src` (the single result goes to slot 0).
    fn return_slot(&mut self, src: u32) {
        self.m.copy_slot_through_fresh_register(0, src);
        self.ret();
    }

    /// Returns the constant `value`.
    fn return_imm(&mut self, value: u64) {
        self.m.store_const(0, value);
        self.ret();
    }
}

// ---- memory: loads, stores, bounds checks, bulk memory, globals, tables, segments ----

/// The largest static offset a guard-page access may carry without an explicit check: the
/// guard region minus the widest access.
const GUARD_SAFE_OFFSET: u64 = GUARD_BYTES - 8;

impl Codegen<'_> {
    /// How an access with static offset `offset` is kept in bounds.
    fn heap_check(&self, offset: u32) -> HeapCheck {
        if self.env.bounds_checks == BoundsChecks::Guard && u64::from(offset) <= GUARD_SAFE_OFFSET {
            HeapCheck::GuardRegion
        } else {
            HeapCheck::Explicit
        }
    }

    /// `dst = memory[addr + offset]`.
    fn load(&mut self, kind: LoadKind, dst: u32, addr: u32, offset: u32) {
        let check = self.heap_check(offset);
        self.m.memory_load(kind, dst, addr, offset, check);
    }

    /// `memory[addr + offset] = value`.
    fn store(&mut self, kind: StoreKind, addr: u32, value: Operand, offset: u32) {
        let check = self.heap_check(offset);
        self.m.memory_store(kind, addr, offset, value, check);
    }

    fn memory_size(&mut self, dst: u32) {
        self.m.memory_size(dst);
    }

    fn memory_grow(&mut self, dst: u32, delta: u32) {
        self.m.memory_grow(dst, delta);
    }

    fn memory_fill(&mut self, addr: u32, value: u32, len: u32) {
        use LibcallArg::U32;
        let args = [U32(addr), U32(value), U32(len)];
        self.m.call_bulk_libcall(Libcall::memory_fill(), &[], &args);
    }

    fn memory_copy(&mut self, to: u32, from: u32, len: u32) {
        use LibcallArg::U32;
        let args = [U32(to), U32(from), U32(len)];
        self.m.call_bulk_libcall(Libcall::memory_copy(), &[], &args);
    }

    fn memory_init(&mut self, segment: u32, to: u32, from: u32, len: u32) {
        use LibcallArg::U32;
        let args = [U32(to), U32(from), U32(len)];
        self.m
            .call_bulk_libcall(Libcall::memory_init(), &[segment], &args);
    }

    /// `data.drop` and `elem.drop`.
    fn drop_segment(&mut self, kind: Segment, segment: u32) {
        self.m.drop_segment(kind, segment);
    }

    fn global_get(&mut self, dst: u32, global: u32) {
        self.m.global_get(dst, global);
    }

    fn global_set(&mut self, global: u32, src: u32) {
        self.m.global_set(global, src);
    }

    fn table_get(&mut self, dst: u32, table: u32, index: u32) {
        self.m.table_get(dst, table, index);
    }

    fn table_set(&mut self, table: u32, index: u32, value: u32) {
        self.m.table_set(table, index, value);
    }

    fn table_size(&mut self, dst: u32, table: u32) {
        self.m.table_size(dst, table);
    }

    fn table_grow(&mut self, dst: u32, table: u32, delta: u32, init: u32) {
        self.m.table_grow(dst, table, delta, init);
    }

    fn table_fill(&mut self, table: u32, index: u32, value: u32, len: u32) {
        use LibcallArg::{U32, U64};
        let args = [U32(index), U64(value), U32(len)];
        self.m
            .call_bulk_libcall(Libcall::table_fill(), &[table], &args);
    }

    fn table_copy(&mut self, dst_table: u32, src_table: u32, to: u32, from: u32, len: u32) {
        use LibcallArg::U32;
        let args = [U32(to), U32(from), U32(len)];
        self.m
            .call_bulk_libcall(Libcall::table_copy(), &[dst_table, src_table], &args);
    }

    fn table_init(&mut self, table: u32, segment: u32, to: u32, from: u32, len: u32) {
        use LibcallArg::U32;
        let args = [U32(to), U32(from), U32(len)];
        self.m
            .call_bulk_libcall(Libcall::table_init(), &[table, segment], &args);
    }

    fn ref_func(&mut self, dst: u32, func: u32) {
        self.m.ref_func(dst, func);
    }
}

// ---- calls: direct, imported, indirect; the call-reference helper ----

impl Codegen<'_> {
    /// Calls function `func` with its frame at slot `args`: a defined function through its
    /// code-table entry (so a tier-up of the callee is seen at the next call), an imported
    /// one through its function reference.
    fn call(&mut self, func: u32, args: u32) {
        match func.checked_sub(self.env.num_imported_funcs) {
            Some(defined) => self.m.call_code_table_entry(defined, args),
            None => self.m.call_func_ref(func, args, self.call_ref_helper),
        }
    }

    /// `call_indirect`: the function reference at `table[index]`, checked for null and for
    /// type `type_index`, with its frame at slot `args`.
    fn call_indirect(&mut self, type_index: u32, table: u32, index: u32, args: u32) {
        self.m
            .call_indirect(table, index, type_index, args, self.call_ref_helper);
    }

    /// The call-reference helper: a wasm function reference is called through its code-table
    /// entry with its own vmctx; a host function through the `call_host` libcall, after
    /// publishing the slot-stack top above this frame for re-entrant calls.
    fn emit_call_ref_helper(&mut self) {
        self.m.bind_branch_target(self.call_ref_helper);
        self.m.emit_call_ref_helper(self.func.frame_size);
    }
}

// ---- numbers: arithmetic, comparisons, conversions, constants, copies, select ----

/// `min` or `max`.
#[derive(Clone, Copy)]
enum MinMax {
    Min,
    Max,
}

/// wasm's float comparisons.
#[derive(Clone, Copy)]
enum FloatRelation {
    Eq,
    Ne,
    Lt,
    Gt,
    Le,
    Ge,
}

impl Codegen<'_> {
    // ---- values ----

    fn copy(&mut self, dst: u32, src: u32) {
        self.m.copy_slot(dst, src);
    }

    fn constant(&mut self, dst: u32, value: u64) {
        self.m.store_const(dst, value);
    }

    /// `dst = if cond != 0 { a } else { b }`.
    fn select(&mut self, dst: u32, a: u32, b: u32, cond: u32) {
        self.m.select(dst, a, b, cond);
    }

    // ---- integers ----

    fn int_binary(&mut self, op: AluOp, width: Width, dst: u32, lhs: u32, rhs: Operand) {
        self.m.alu(op, width, dst, lhs, rhs);
    }

    fn int_shift(&mut self, op: ShiftOp, width: Width, dst: u32, lhs: u32, rhs: Operand) {
        self.m.shift(op, width, dst, lhs, rhs);
    }

    fn int_div_rem(&mut self, op: DivRemOp, width: Width, dst: u32, lhs: u32, rhs: Operand) {
        self.m.div_rem(op, width, dst, lhs, rhs);
    }

    /// `dst = lhs <cond> rhs` (`eqz` is `== 0`).
    fn int_compare(&mut self, width: Width, cond: Cond, dst: u32, lhs: u32, rhs: Operand) {
        let cmp = Compare {
            width,
            lhs,
            rhs,
            cond,
        };
        self.m.compare_and_set(dst, cmp);
    }

    fn int_count_bits(&mut self, count: BitCount, width: Width, dst: u32, src: u32) {
        self.m.count_bits(count, width, dst, src);
    }

    fn int_extend(&mut self, op: ExtendOp, dst: u32, src: u32) {
        self.m.extend(op, dst, src);
    }

    // ---- floats ----

    fn float_binary(&mut self, op: FloatOp, width: Width, dst: u32, lhs: u32, rhs: u32) {
        self.m.float_binary(op, width, dst, lhs, rhs);
    }

    /// wasm `min`/`max` (NaN in, NaN out; `-0 < +0`): `minss`/`maxss` differ, so a libcall.
    fn float_min_max(&mut self, op: MinMax, width: Width, dst: u32, lhs: u32, rhs: u32) {
        let libcall = match (op, width) {
            (MinMax::Min, Width::W32) => Libcall::f32_min(),
            (MinMax::Max, Width::W32) => Libcall::f32_max(),
            (MinMax::Min, Width::W64) => Libcall::f64_min(),
            (MinMax::Max, Width::W64) => Libcall::f64_max(),
        };
        self.m.call_binary_libcall(libcall, dst, lhs, rhs);
    }

    fn float_unary(&mut self, op: FloatUnaryOp, width: Width, dst: u32, src: u32) {
        self.m.float_unary(op, width, dst, src);
    }

    fn float_sign(&mut self, op: FloatSignOp, width: Width, dst: u32, src: u32) {
        self.m.float_sign(op, width, dst, src);
    }

    fn float_copysign(&mut self, width: Width, dst: u32, lhs: u32, rhs: u32) {
        self.m.float_copysign(width, dst, lhs, rhs);
    }

    /// `dst = lhs <relation> rhs`: `<` and `<=` are `>` and `>=` with the operands swapped,
    /// which `ucomis*`'s flags answer for NaN too.
    fn float_compare(
        &mut self,
        relation: FloatRelation,
        width: Width,
        dst: u32,
        lhs: u32,
        rhs: u32,
    ) {
        let (cond, a, b) = match relation {
            FloatRelation::Eq => (FloatCond::Eq, lhs, rhs),
            FloatRelation::Ne => (FloatCond::Ne, lhs, rhs),
            FloatRelation::Gt => (FloatCond::Gt, lhs, rhs),
            FloatRelation::Ge => (FloatCond::Ge, lhs, rhs),
            FloatRelation::Lt => (FloatCond::Gt, rhs, lhs),
            FloatRelation::Le => (FloatCond::Ge, rhs, lhs),
        };
        self.m.float_compare_and_set(cond, width, dst, a, b);
    }

    // ---- conversions ----

    /// A trapping float → int truncation (`libcall` checks the range and NaN).
    fn trunc(&mut self, libcall: Libcall, dst: u32, src: u32) {
        self.m.call_checked_libcall(libcall, dst, src);
    }

    /// A conversion without a short x86 sequence: saturating truncation, u64 → float.
    fn convert_by_libcall(&mut self, libcall: Libcall, dst: u32, src: u32) {
        self.m.call_unary_libcall(libcall, dst, src);
    }

    /// int → float of width `to` (`cvtsi2ss`/`cvtsi2sd`; a u32 converts as an i64).
    fn convert_int(&mut self, from: IntToFloat, to: Width, dst: u32, src: u32) {
        self.m.convert_int_to_float(from, to, dst, src);
    }

    /// `f32.demote_f64` (`to` = 32) and `f64.promote_f32` (`to` = 64).
    fn convert_float(&mut self, to: Width, dst: u32, src: u32) {
        self.m.convert_float(to, dst, src);
    }
}
