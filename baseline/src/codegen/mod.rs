//! The code generator: one pass over a function's register bytecode, emitting machine code for
//! each instruction through the [`Masm`].
//!
//! Frame and ABI: the function is `extern "sysv64" fn(vmctx: rdi, fp: rsi)` (DESIGN.md §3) and
//! keeps the interpreter's frame layout, so any bytecode index that is a loop header can be
//! entered from an interpreter frame (on-stack replacement): [`Codegen::emit_osr_entries`]
//! emits, per loop header, a prologue that jumps there.
//!
//! Control flow: every branch target gets a label, and the register cache is forgotten there.
//! Back-edges (branches with offset ≤ 0) check the interrupt flag and count down the hotness
//! counter, as the interpreter does. `br_table` jumps through a table of `jmp rel32`
//! instructions to the code of the `Br` instructions that follow it.
//!
//! Traps: faulting instructions (guard-page memory accesses) and `ud2` stubs are recorded as
//! trap sites for the signal handler; traps reported by Rust callees (status in `eax`) jump to
//! the shared "propagate" site. No Rust frame is ever between JIT code and a fault.

use dynasmrt::{DynamicLabel, DynasmApi, DynasmLabelApi, dynasm};
use tierup_abi::vmctx::offsets as off;
use tierup_abi::{BoundsChecks, GUARD_BYTES, Libcall, NO_OSR, OSR_FROM_BASELINE, TrapCode};
use tierup_interp::{CompiledFunc, Instr};

use crate::masm::{Cond, Masm, Opnd, disp, reg};
use crate::{BaselineCode, CompileEnv, CompileError};

/// The largest static offset a guard-page access may carry without an explicit check: the
/// guard region minus the widest access.
const GUARD_SAFE_OFFSET: u64 = GUARD_BYTES - 8;

/// Compiles one function (see [`crate::compile`]).
pub(crate) struct Codegen<'a> {
    m: Masm,
    func: &'a CompiledFunc,
    env: &'a CompileEnv,
    /// A label per bytecode index that is a branch target.
    labels: Vec<Option<DynamicLabel>>,
    /// Bytecode indices of loop headers (targets of back-edges), in order.
    loop_headers: Vec<u32>,
    epilogue: DynamicLabel,
    /// The on-stack-replacement tail jump ([`Codegen::emit_osr_exit`]).
    osr_exit: DynamicLabel,
    hot_helper: DynamicLabel,
    call_ref_helper: DynamicLabel,
}

/// The two operands of a binary instruction.
#[derive(Clone, Copy)]
enum Rhs {
    Slot(u32),
    Imm(i32),
}

impl<'a> Codegen<'a> {
    pub(crate) fn new(func: &'a CompiledFunc, env: &'a CompileEnv) -> Codegen<'a> {
        let mut m = Masm::new();
        let epilogue = m.ops.new_dynamic_label();
        let hot_helper = m.ops.new_dynamic_label();
        let osr_exit = m.ops.new_dynamic_label();
        let call_ref_helper = m.ops.new_dynamic_label();
        let mut labels = vec![None; func.code.len()];
        let mut loop_headers = Vec::new();
        for (i, instr) in func.code.iter().enumerate() {
            let mut mark = |target: usize, labels: &mut Vec<Option<DynamicLabel>>| {
                if labels[target].is_none() {
                    labels[target] = Some(m.ops.new_dynamic_label());
                }
            };
            if let Some(offset) = instr.branch_offset() {
                let target = (i as i64 + i64::from(offset)) as usize;
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
        let entry_label = self.m.ops.new_dynamic_label();
        dynasm!(self.m.ops ; .arch x64 ; =>entry_label);
        self.emit_prologue(true);
        for i in 0..self.func.code.len() {
            if let Some(label) = self.labels[i] {
                self.m.forget_all();
                dynasm!(self.m.ops ; .arch x64 ; =>label);
            }
            self.emit(i)?;
        }
        self.emit_epilogue();
        self.emit_osr_exit();
        self.emit_hot_helper();
        self.emit_call_ref_helper();
        let osr_entries = self.emit_osr_entries();
        self.m.emit_trap_stubs();
        let code = self
            .m
            .ops
            .finalize()
            .map_err(|e| CompileError(format!("assembling: {e:?}")))?;
        Ok(BaselineCode {
            code,
            traps: self.m.traps,
            osr_entries,
        })
    }

    // ---- prologue, epilogue, shared helpers ----

    /// Saves callee-saved registers, loads the fixed ones and checks both stacks. `entry`:
    /// also count the call, check for interruption and zero the declared locals (an OSR
    /// entry continues a frame the interpreter set up).
    fn emit_prologue(&mut self, entry: bool) {
        let frame_bytes = disp(self.func.frame_size);
        let counter = off::countdown_entry(self.func.defined.as_u32());
        let overflow = self.m.trap_label(TrapCode::StackOverflow);
        dynasm!(self.m.ops
            ; .arch x64
            ; push rbp
            ; mov rbp, rsp
            ; push rbx
            ; push r12
            ; push r13
            ; push r14
            ; push r15
            ; sub rsp, 8
            ; mov r15, rdi
            ; mov rbx, rsi
            ; mov rax, [r15 + off::STORE as i32]
            ; mov r12, [rax + off::STORE_INTERRUPT as i32]
            ; cmp rsp, [rax + off::STORE_NATIVE_STACK_LIMIT as i32]
            ; jb =>overflow
            ; lea rcx, [rbx + frame_bytes]
            ; cmp rcx, [rax + off::STORE_STACK_END as i32]
            ; ja =>overflow
            ; mov rax, [r15 + off::HOT_COUNTERS as i32]
            ; lea r13, [rax + counter]
        );
        if self.env.has_memory {
            dynasm!(self.m.ops
                ; .arch x64
                ; mov rax, [r15 + off::MEMORIES as i32]
                ; mov rax, [rax]
                ; mov r14, [rax + off::MEMORY_BASE as i32]
            );
        }
        if entry {
            self.emit_tick(None);
            let locals = self.func.num_locals - self.func.num_params;
            if locals > 0 {
                let start = disp(self.func.num_params);
                if locals <= 16 {
                    dynasm!(self.m.ops ; .arch x64 ; xor eax, eax);
                    for k in 0..locals {
                        let d = start + disp(k);
                        dynasm!(self.m.ops ; .arch x64 ; mov [rbx + d], rax);
                    }
                } else {
                    dynasm!(self.m.ops
                        ; .arch x64
                        ; lea rdi, [rbx + start]
                        ; mov ecx, locals as i32
                        ; xor eax, eax
                        ; rep stosq
                    );
                }
            }
        }
        self.m.forget_all();
    }

    /// Interrupt check and hotness countdown (function entry, and loop back-edges to the
    /// header at bytecode index `loop_header`). When a back-edge's countdown crosses zero and
    /// the runtime offers optimized code for this loop header, the activation continues
    /// there: on-stack replacement by a tail jump with this very frame.
    fn emit_tick(&mut self, loop_header: Option<u32>) {
        let interrupted = self.m.trap_label(TrapCode::Interrupted);
        let hot = self.hot_helper;
        let osr_exit = self.osr_exit;
        let osr_pc = loop_header.map_or(NO_OSR, |pc| pc | OSR_FROM_BASELINE) as i32;
        dynasm!(self.m.ops
            ; .arch x64
            ; cmp BYTE [r12], 0
            ; jne =>interrupted
            ; sub DWORD [r13], 1
            ; jns >cool
            ; mov edx, osr_pc
            ; call =>hot
        );
        if loop_header.is_some() {
            dynasm!(self.m.ops
                ; .arch x64
                ; test rax, rax
                ; jnz =>osr_exit
            );
        }
        dynasm!(self.m.ops ; .arch x64 ; cool:);
    }

    /// The tail jump of [`Codegen::emit_tick`]'s on-stack replacement: the target (in `rax`)
    /// gets this frame's `vmctx` and `fp` and returns to this function's caller.
    fn emit_osr_exit(&mut self) {
        let osr_exit = self.osr_exit;
        dynasm!(self.m.ops
            ; .arch x64
            ; =>osr_exit
            ; mov rdi, r15
            ; mov rsi, rbx
        );
        self.emit_pop_frame();
        dynasm!(self.m.ops ; .arch x64 ; jmp rax);
    }

    fn emit_epilogue(&mut self) {
        let epilogue = self.epilogue;
        dynasm!(self.m.ops ; .arch x64 ; =>epilogue);
        self.emit_pop_frame();
        dynasm!(self.m.ops ; .arch x64 ; ret);
    }

    /// Undoes the prologue's pushes (the stack is then as at entry, return address on top).
    fn emit_pop_frame(&mut self) {
        dynasm!(self.m.ops
            ; .arch x64
            ; add rsp, 8
            ; pop r15
            ; pop r14
            ; pop r13
            ; pop r12
            ; pop rbx
            ; pop rbp
        );
    }

    /// `tier_up(vmctx, defined function, edx)`; preserves nothing but the fixed registers (it is
    /// only called where no cached register is live).
    fn emit_hot_helper(&mut self) {
        let hot = self.hot_helper;
        let defined = self.func.defined.as_u32() as i32;
        dynasm!(self.m.ops
            ; .arch x64
            ; =>hot
            ; sub rsp, 8
            ; mov rdi, r15
            ; mov esi, defined
            ; mov rax, [r15 + off::LIBCALLS as i32]
            ; call QWORD [rax + Libcall::tier_up().offset() as i32]
            ; add rsp, 8
            ; ret
        );
    }

    /// Calls the function reference in `rdx` with its frame at `rsi`: a wasm function through
    /// its code-table entry (with its own vmctx), a host function through the `call_host`
    /// libcall (after publishing the slot-stack top for re-entrant calls).
    fn emit_call_ref_helper(&mut self) {
        let helper = self.call_ref_helper;
        let propagate = self.m.propagate;
        let frame_bytes = disp(self.func.frame_size);
        dynasm!(self.m.ops
            ; .arch x64
            ; =>helper
            ; mov rdi, [rdx + off::FUNCREF_VMCTX as i32]
            ; test rdi, rdi
            ; jz >host
            ; mov rax, [rdx + off::FUNCREF_CODE as i32]
            ; jmp QWORD [rax]
            ; host:
            ; sub rsp, 8
            ; mov rax, [r15 + off::STORE as i32]
            ; lea rcx, [rbx + frame_bytes]
            ; mov [rax + off::STORE_STACK_TOP as i32], rcx
            ; mov rdi, r15
            ; xchg rsi, rdx
            ; mov rax, [r15 + off::LIBCALLS as i32]
            ; call QWORD [rax + Libcall::call_host().offset() as i32]
            ; add rsp, 8
            ; test eax, eax
            ; jnz =>propagate
            ; ret
        );
    }

    /// One OSR entry per loop header: the prologue (without zeroing locals), then a jump to
    /// the header. Returns `(bytecode index, code offset)` pairs.
    fn emit_osr_entries(&mut self) -> Vec<(u32, u32)> {
        let headers = self.loop_headers.clone();
        let mut entries = Vec::with_capacity(headers.len());
        for pc in headers {
            let at = self.m.offset();
            self.emit_prologue(false);
            let label = self.labels[pc as usize].expect("loop headers have labels");
            dynasm!(self.m.ops ; .arch x64 ; jmp =>label);
            entries.push((pc, at));
        }
        entries
    }

    // ---- the visitor ----

    fn label_at(&self, i: usize, offset: i32) -> DynamicLabel {
        let target = (i as i64 + i64::from(offset)) as usize;
        self.labels[target].expect("branch targets have labels")
    }

    /// `jmp` (or `jcc`) to the target of a branch at `i`, with the back-edge tick when the
    /// branch goes backwards.
    fn branch(&mut self, i: usize, cond: Option<Cond>, offset: i32) {
        let label = self.label_at(i, offset);
        let target = (i as i64 + i64::from(offset)) as usize;
        if offset > 0 {
            self.m.jump(cond, label);
            return;
        }
        match cond {
            None => {
                self.emit_tick(Some(target as u32));
                self.m.jump(None, label);
            }
            Some(c) => {
                let skip = self.m.ops.new_dynamic_label();
                self.m.jump(Some(c.negate()), skip);
                self.emit_tick(Some(target as u32));
                self.m.jump(None, label);
                dynasm!(self.m.ops ; .arch x64 ; =>skip);
            }
        }
    }

    fn extra(&self, i: usize) -> (u32, u32, u32) {
        match self.func.code.get(i + 1) {
            Some(&Instr::Extra { a, b, c }) => (a, b, c),
            _ => (0, 0, 0),
        }
    }

    fn emit(&mut self, i: usize) -> Result<(), CompileError> {
        use Cond::*;
        let instr = self.func.code[i];
        match instr {
            Instr::Trap { code } => {
                self.m.trap_site(code);
                dynasm!(self.m.ops ; .arch x64 ; ud2);
            }
            Instr::Br { offset } => self.branch(i, None, offset),
            Instr::BrIfNez { src, offset } => {
                self.m.cmp_imm(false, src, 0);
                self.branch(i, Some(Ne), offset);
            }
            Instr::BrIfEqz { src, offset } => {
                self.m.cmp_imm(false, src, 0);
                self.branch(i, Some(Eq), offset);
            }
            Instr::BrIfI32Eq { lhs, rhs, offset } => self.br_cmp(i, false, lhs, rhs, Eq, offset),
            Instr::BrIfI32Ne { lhs, rhs, offset } => self.br_cmp(i, false, lhs, rhs, Ne, offset),
            Instr::BrIfI32LtS { lhs, rhs, offset } => self.br_cmp(i, false, lhs, rhs, LtS, offset),
            Instr::BrIfI32LtU { lhs, rhs, offset } => self.br_cmp(i, false, lhs, rhs, LtU, offset),
            Instr::BrIfI32GtS { lhs, rhs, offset } => self.br_cmp(i, false, lhs, rhs, GtS, offset),
            Instr::BrIfI32GtU { lhs, rhs, offset } => self.br_cmp(i, false, lhs, rhs, GtU, offset),
            Instr::BrIfI32LeS { lhs, rhs, offset } => self.br_cmp(i, false, lhs, rhs, LeS, offset),
            Instr::BrIfI32LeU { lhs, rhs, offset } => self.br_cmp(i, false, lhs, rhs, LeU, offset),
            Instr::BrIfI32GeS { lhs, rhs, offset } => self.br_cmp(i, false, lhs, rhs, GeS, offset),
            Instr::BrIfI32GeU { lhs, rhs, offset } => self.br_cmp(i, false, lhs, rhs, GeU, offset),
            Instr::BrIfI32EqImm { lhs, imm, offset } => self.br_imm(i, false, lhs, imm, Eq, offset),
            Instr::BrIfI32NeImm { lhs, imm, offset } => self.br_imm(i, false, lhs, imm, Ne, offset),
            Instr::BrIfI32LtSImm { lhs, imm, offset } => {
                self.br_imm(i, false, lhs, imm, LtS, offset)
            }
            Instr::BrIfI32LtUImm { lhs, imm, offset } => {
                self.br_imm(i, false, lhs, imm, LtU, offset)
            }
            Instr::BrIfI32GtSImm { lhs, imm, offset } => {
                self.br_imm(i, false, lhs, imm, GtS, offset)
            }
            Instr::BrIfI32GtUImm { lhs, imm, offset } => {
                self.br_imm(i, false, lhs, imm, GtU, offset)
            }
            Instr::BrIfI32LeSImm { lhs, imm, offset } => {
                self.br_imm(i, false, lhs, imm, LeS, offset)
            }
            Instr::BrIfI32LeUImm { lhs, imm, offset } => {
                self.br_imm(i, false, lhs, imm, LeU, offset)
            }
            Instr::BrIfI32GeSImm { lhs, imm, offset } => {
                self.br_imm(i, false, lhs, imm, GeS, offset)
            }
            Instr::BrIfI32GeUImm { lhs, imm, offset } => {
                self.br_imm(i, false, lhs, imm, GeU, offset)
            }
            Instr::BrIfI64Eq { lhs, rhs, offset } => self.br_cmp(i, true, lhs, rhs, Eq, offset),
            Instr::BrIfI64Ne { lhs, rhs, offset } => self.br_cmp(i, true, lhs, rhs, Ne, offset),
            Instr::BrIfI64LtS { lhs, rhs, offset } => self.br_cmp(i, true, lhs, rhs, LtS, offset),
            Instr::BrIfI64LtU { lhs, rhs, offset } => self.br_cmp(i, true, lhs, rhs, LtU, offset),
            Instr::BrIfI64GtS { lhs, rhs, offset } => self.br_cmp(i, true, lhs, rhs, GtS, offset),
            Instr::BrIfI64GtU { lhs, rhs, offset } => self.br_cmp(i, true, lhs, rhs, GtU, offset),
            Instr::BrIfI64LeS { lhs, rhs, offset } => self.br_cmp(i, true, lhs, rhs, LeS, offset),
            Instr::BrIfI64LeU { lhs, rhs, offset } => self.br_cmp(i, true, lhs, rhs, LeU, offset),
            Instr::BrIfI64GeS { lhs, rhs, offset } => self.br_cmp(i, true, lhs, rhs, GeS, offset),
            Instr::BrIfI64GeU { lhs, rhs, offset } => self.br_cmp(i, true, lhs, rhs, GeU, offset),
            Instr::BrTable { index, len } => self.br_table(i, index, len),
            Instr::Return {} => self.ret(),
            Instr::ReturnSlot { src } => {
                let r = self.m.alloc(&[]);
                self.m.load64(r, src);
                self.m.store(0, r);
                self.ret();
            }
            Instr::ReturnImm { value } => {
                self.const64(0, value);
                self.ret();
            }
            Instr::Call { func, args } => self.call(func, args),
            Instr::CallIndirect {
                type_index,
                index,
                args,
            } => {
                let (table, _, _) = self.extra(i);
                self.call_indirect(type_index, table, index, args);
            }
            Instr::Extra { .. } => {}
            Instr::Copy { dst, src } => {
                let r = match self.m.opnd(src) {
                    Opnd::Reg(r) => r,
                    Opnd::Mem(_) => {
                        let r = self.m.alloc(&[]);
                        self.m.load64(r, src);
                        r
                    }
                };
                self.m.store(dst, r);
            }
            Instr::Const32 { dst, value } => self.const64(dst, u64::from(value)),
            Instr::Const64 { dst, value } => self.const64(dst, value),
            Instr::Select { dst, a, b } => {
                let (cond, _, _) = self.extra(i);
                let ra = self.m.alloc(&[]);
                self.m.load64(ra, a);
                let rb = self.m.alloc(&[Opnd::Reg(ra)]);
                self.m.load64(rb, b);
                self.m.cmp_imm(false, cond, 0);
                dynasm!(self.m.ops ; .arch x64 ; cmovz Rq(ra), Rq(rb));
                self.m.clobber(ra);
                self.m.store(dst, ra);
            }
            Instr::GlobalGet { dst, global } => {
                let r = self.m.alloc(&[]);
                let g = (global * 8) as i32;
                dynasm!(self.m.ops
                    ; .arch x64
                    ; mov Rq(r), [r15 + off::GLOBALS as i32]
                    ; mov Rq(r), [Rq(r) + g]
                    ; mov Rq(r), [Rq(r)]
                );
                self.m.store(dst, r);
            }
            Instr::GlobalSet { global, src } => {
                let v = self.m.alloc(&[]);
                self.m.load64(v, src);
                let p = self.m.alloc(&[Opnd::Reg(v)]);
                let g = (global * 8) as i32;
                dynasm!(self.m.ops
                    ; .arch x64
                    ; mov Rq(p), [r15 + off::GLOBALS as i32]
                    ; mov Rq(p), [Rq(p) + g]
                    ; mov [Rq(p)], Rq(v)
                );
            }

            // ---- memory ----
            Instr::I32Load { dst, addr, offset }
            | Instr::F32Load { dst, addr, offset }
            | Instr::I64Load32U { dst, addr, offset } => {
                let (a, d) = self.address(addr, offset, 4)?;
                let r = self.m.alloc(&[Opnd::Reg(a)]);
                self.m.trap_site(TrapCode::MemoryOutOfBounds);
                dynasm!(self.m.ops ; .arch x64 ; mov Rd(r), DWORD [r14 + Rq(a) + d]);
                self.m.store(dst, r);
            }
            Instr::I64Load { dst, addr, offset } | Instr::F64Load { dst, addr, offset } => {
                let (a, d) = self.address(addr, offset, 8)?;
                let r = self.m.alloc(&[Opnd::Reg(a)]);
                self.m.trap_site(TrapCode::MemoryOutOfBounds);
                dynasm!(self.m.ops ; .arch x64 ; mov Rq(r), QWORD [r14 + Rq(a) + d]);
                self.m.store(dst, r);
            }
            Instr::I32Load8S { dst, addr, offset } => {
                let (a, d) = self.address(addr, offset, 1)?;
                let r = self.m.alloc(&[Opnd::Reg(a)]);
                self.m.trap_site(TrapCode::MemoryOutOfBounds);
                dynasm!(self.m.ops ; .arch x64 ; movsx Rd(r), BYTE [r14 + Rq(a) + d]);
                self.m.store(dst, r);
            }
            Instr::I32Load8U { dst, addr, offset } | Instr::I64Load8U { dst, addr, offset } => {
                let (a, d) = self.address(addr, offset, 1)?;
                let r = self.m.alloc(&[Opnd::Reg(a)]);
                self.m.trap_site(TrapCode::MemoryOutOfBounds);
                dynasm!(self.m.ops ; .arch x64 ; movzx Rd(r), BYTE [r14 + Rq(a) + d]);
                self.m.store(dst, r);
            }
            Instr::I32Load16S { dst, addr, offset } => {
                let (a, d) = self.address(addr, offset, 2)?;
                let r = self.m.alloc(&[Opnd::Reg(a)]);
                self.m.trap_site(TrapCode::MemoryOutOfBounds);
                dynasm!(self.m.ops ; .arch x64 ; movsx Rd(r), WORD [r14 + Rq(a) + d]);
                self.m.store(dst, r);
            }
            Instr::I32Load16U { dst, addr, offset } | Instr::I64Load16U { dst, addr, offset } => {
                let (a, d) = self.address(addr, offset, 2)?;
                let r = self.m.alloc(&[Opnd::Reg(a)]);
                self.m.trap_site(TrapCode::MemoryOutOfBounds);
                dynasm!(self.m.ops ; .arch x64 ; movzx Rd(r), WORD [r14 + Rq(a) + d]);
                self.m.store(dst, r);
            }
            Instr::I64Load8S { dst, addr, offset } => {
                let (a, d) = self.address(addr, offset, 1)?;
                let r = self.m.alloc(&[Opnd::Reg(a)]);
                self.m.trap_site(TrapCode::MemoryOutOfBounds);
                dynasm!(self.m.ops ; .arch x64 ; movsx Rq(r), BYTE [r14 + Rq(a) + d]);
                self.m.store(dst, r);
            }
            Instr::I64Load16S { dst, addr, offset } => {
                let (a, d) = self.address(addr, offset, 2)?;
                let r = self.m.alloc(&[Opnd::Reg(a)]);
                self.m.trap_site(TrapCode::MemoryOutOfBounds);
                dynasm!(self.m.ops ; .arch x64 ; movsx Rq(r), WORD [r14 + Rq(a) + d]);
                self.m.store(dst, r);
            }
            Instr::I64Load32S { dst, addr, offset } => {
                let (a, d) = self.address(addr, offset, 4)?;
                let r = self.m.alloc(&[Opnd::Reg(a)]);
                self.m.trap_site(TrapCode::MemoryOutOfBounds);
                dynasm!(self.m.ops ; .arch x64 ; movsxd Rq(r), DWORD [r14 + Rq(a) + d]);
                self.m.store(dst, r);
            }
            Instr::I32Store { addr, src, offset } => {
                let v = self.value_reg(src);
                let (a, d) = self.address_avoiding(addr, offset, 4, v)?;
                self.m.trap_site(TrapCode::MemoryOutOfBounds);
                dynasm!(self.m.ops ; .arch x64 ; mov DWORD [r14 + Rq(a) + d], Rd(v));
            }
            Instr::I64Store { addr, src, offset } => {
                let v = self.value_reg(src);
                let (a, d) = self.address_avoiding(addr, offset, 8, v)?;
                self.m.trap_site(TrapCode::MemoryOutOfBounds);
                dynasm!(self.m.ops ; .arch x64 ; mov QWORD [r14 + Rq(a) + d], Rq(v));
            }
            Instr::Store8 { addr, src, offset } => {
                let v = self.value_reg(src);
                let (a, d) = self.address_avoiding(addr, offset, 1, v)?;
                self.m.trap_site(TrapCode::MemoryOutOfBounds);
                dynasm!(self.m.ops ; .arch x64 ; mov BYTE [r14 + Rq(a) + d], Rb(v));
            }
            Instr::Store16 { addr, src, offset } => {
                let v = self.value_reg(src);
                let (a, d) = self.address_avoiding(addr, offset, 2, v)?;
                self.m.trap_site(TrapCode::MemoryOutOfBounds);
                dynasm!(self.m.ops ; .arch x64 ; mov WORD [r14 + Rq(a) + d], Rw(v));
            }
            Instr::I32StoreImm { addr, imm, offset } => {
                let (a, d) = self.address(addr, offset, 4)?;
                self.m.trap_site(TrapCode::MemoryOutOfBounds);
                dynasm!(self.m.ops ; .arch x64 ; mov DWORD [r14 + Rq(a) + d], imm);
            }
            Instr::I64StoreImm { addr, imm, offset } => {
                let (a, d) = self.address(addr, offset, 8)?;
                self.m.trap_site(TrapCode::MemoryOutOfBounds);
                dynasm!(self.m.ops ; .arch x64 ; mov QWORD [r14 + Rq(a) + d], imm);
            }
            Instr::Store8Imm { addr, imm, offset } => {
                let (a, d) = self.address(addr, offset, 1)?;
                self.m.trap_site(TrapCode::MemoryOutOfBounds);
                dynasm!(self.m.ops ; .arch x64 ; mov BYTE [r14 + Rq(a) + d], imm as i8);
            }
            Instr::Store16Imm { addr, imm, offset } => {
                let (a, d) = self.address(addr, offset, 2)?;
                self.m.trap_site(TrapCode::MemoryOutOfBounds);
                dynasm!(self.m.ops ; .arch x64 ; mov WORD [r14 + Rq(a) + d], imm as i16);
            }
            Instr::MemorySize { dst } => {
                let r = self.m.alloc(&[]);
                dynasm!(self.m.ops
                    ; .arch x64
                    ; mov Rq(r), [r15 + off::MEMORIES as i32]
                    ; mov Rq(r), [Rq(r)]
                    ; mov Rq(r), [Rq(r) + off::MEMORY_LENGTH as i32]
                    ; shr Rq(r), 16
                );
                self.m.store(dst, r);
            }
            Instr::MemoryGrow { dst, delta } => {
                self.m.load32(reg::RDX, delta);
                dynasm!(self.m.ops
                    ; .arch x64
                    ; mov rdi, r15
                    ; xor esi, esi
                    ; mov rax, [r15 + off::LIBCALLS as i32]
                    ; call QWORD [rax + Libcall::memory_grow().offset() as i32]
                    ; mov eax, eax
                );
                self.m.forget_all();
                self.m.store(dst, reg::RAX);
            }
            Instr::MemoryFill { addr, value, len } => {
                self.m.load32(reg::RSI, addr);
                self.m.load32(reg::RDX, value);
                self.m.load32(reg::RCX, len);
                self.bulk_call(Libcall::memory_fill());
            }
            Instr::MemoryCopy { to, from, len } => {
                self.m.load32(reg::RSI, to);
                self.m.load32(reg::RDX, from);
                self.m.load32(reg::RCX, len);
                self.bulk_call(Libcall::memory_copy());
            }
            Instr::MemoryInit { to, from, len } => {
                let (segment, _, _) = self.extra(i);
                self.m.load32(reg::RDX, to);
                self.m.load32(reg::RCX, from);
                self.m.load32(reg::R8, len);
                dynasm!(self.m.ops ; .arch x64 ; mov esi, segment as i32);
                self.bulk_call(Libcall::memory_init());
            }
            Instr::DataDrop { segment } => {
                let at = (segment as usize * off::DATA_SEGMENT_SIZE + 8) as i32;
                dynasm!(self.m.ops
                    ; .arch x64
                    ; mov rax, [r15 + off::DATA_SEGMENTS as i32]
                    ; mov QWORD [rax + at], 0
                );
                self.m.clobber(reg::RAX);
            }

            // ---- tables and references ----
            Instr::TableGet { dst, table, index } => {
                self.table_entry(table, index);
                let r = self.m.alloc(&[]);
                dynasm!(self.m.ops ; .arch x64 ; mov Rq(r), [rax + rcx * 8]);
                self.m.store(dst, r);
            }
            Instr::TableSet {
                table,
                index,
                value,
            } => {
                let v = self.m.alloc(&[Opnd::Reg(reg::RAX), Opnd::Reg(reg::RCX)]);
                self.m.load64(v, value);
                self.table_entry(table, index);
                dynasm!(self.m.ops ; .arch x64 ; mov [rax + rcx * 8], Rq(v));
            }
            Instr::TableSize { dst, table } => {
                let r = self.m.alloc(&[]);
                let t = (table * 8) as i32;
                dynasm!(self.m.ops
                    ; .arch x64
                    ; mov Rq(r), [r15 + off::TABLES as i32]
                    ; mov Rq(r), [Rq(r) + t]
                    ; mov Rq(r), [Rq(r) + off::TABLE_LENGTH as i32]
                );
                self.m.store(dst, r);
            }
            Instr::TableGrow { dst, table, delta } => {
                let (init, _, _) = self.extra(i);
                self.m.load32(reg::RDX, delta);
                self.m.load64(reg::RCX, init);
                dynasm!(self.m.ops
                    ; .arch x64
                    ; mov rdi, r15
                    ; mov esi, table as i32
                    ; mov rax, [r15 + off::LIBCALLS as i32]
                    ; call QWORD [rax + Libcall::table_grow().offset() as i32]
                    ; mov eax, eax
                );
                self.m.forget_all();
                self.m.store(dst, reg::RAX);
            }
            Instr::TableFill {
                table,
                index,
                value,
            } => {
                let (len, _, _) = self.extra(i);
                self.m.load32(reg::RDX, index);
                self.m.load64(reg::RCX, value);
                self.m.load32(reg::R8, len);
                dynasm!(self.m.ops ; .arch x64 ; mov esi, table as i32);
                self.bulk_call(Libcall::table_fill());
            }
            Instr::TableCopy { to, from, len } => {
                let (dst_table, src_table, _) = self.extra(i);
                self.m.load32(reg::RCX, to);
                self.m.load32(reg::R8, from);
                self.m.load32(reg::R9, len);
                dynasm!(self.m.ops
                    ; .arch x64
                    ; mov esi, dst_table as i32
                    ; mov edx, src_table as i32
                );
                self.bulk_call(Libcall::table_copy());
            }
            Instr::TableInit { to, from, len } => {
                let (table, segment, _) = self.extra(i);
                self.m.load32(reg::RCX, to);
                self.m.load32(reg::R8, from);
                self.m.load32(reg::R9, len);
                dynasm!(self.m.ops
                    ; .arch x64
                    ; mov esi, table as i32
                    ; mov edx, segment as i32
                );
                self.bulk_call(Libcall::table_init());
            }
            Instr::ElemDrop { segment } => {
                let at = (segment as usize * off::ELEM_SEGMENT_SIZE + 8) as i32;
                dynasm!(self.m.ops
                    ; .arch x64
                    ; mov rax, [r15 + off::ELEM_SEGMENTS as i32]
                    ; mov QWORD [rax + at], 0
                );
                self.m.clobber(reg::RAX);
            }
            Instr::RefFunc { dst, func } => {
                let r = self.m.alloc(&[]);
                let f = (func * 8) as i32;
                dynasm!(self.m.ops
                    ; .arch x64
                    ; mov Rq(r), [r15 + off::FUNCS as i32]
                    ; mov Rq(r), [Rq(r) + f]
                );
                self.m.store(dst, r);
            }

            // ---- integer arithmetic ----
            Instr::I32Add { dst, lhs, rhs } => self.alu(Alu::Add, false, dst, lhs, Rhs::Slot(rhs)),
            Instr::I32Sub { dst, lhs, rhs } => self.alu(Alu::Sub, false, dst, lhs, Rhs::Slot(rhs)),
            Instr::I32Mul { dst, lhs, rhs } => self.alu(Alu::Mul, false, dst, lhs, Rhs::Slot(rhs)),
            Instr::I32And { dst, lhs, rhs } => self.alu(Alu::And, false, dst, lhs, Rhs::Slot(rhs)),
            Instr::I32Or { dst, lhs, rhs } => self.alu(Alu::Or, false, dst, lhs, Rhs::Slot(rhs)),
            Instr::I32Xor { dst, lhs, rhs } => self.alu(Alu::Xor, false, dst, lhs, Rhs::Slot(rhs)),
            Instr::I32AddImm { dst, lhs, imm } => {
                self.alu(Alu::Add, false, dst, lhs, Rhs::Imm(imm))
            }
            Instr::I32SubImm { dst, lhs, imm } => {
                self.alu(Alu::Sub, false, dst, lhs, Rhs::Imm(imm))
            }
            Instr::I32MulImm { dst, lhs, imm } => {
                self.alu(Alu::Mul, false, dst, lhs, Rhs::Imm(imm))
            }
            Instr::I32AndImm { dst, lhs, imm } => {
                self.alu(Alu::And, false, dst, lhs, Rhs::Imm(imm))
            }
            Instr::I32OrImm { dst, lhs, imm } => self.alu(Alu::Or, false, dst, lhs, Rhs::Imm(imm)),
            Instr::I32XorImm { dst, lhs, imm } => {
                self.alu(Alu::Xor, false, dst, lhs, Rhs::Imm(imm))
            }
            Instr::I64Add { dst, lhs, rhs } => self.alu(Alu::Add, true, dst, lhs, Rhs::Slot(rhs)),
            Instr::I64Sub { dst, lhs, rhs } => self.alu(Alu::Sub, true, dst, lhs, Rhs::Slot(rhs)),
            Instr::I64Mul { dst, lhs, rhs } => self.alu(Alu::Mul, true, dst, lhs, Rhs::Slot(rhs)),
            Instr::I64And { dst, lhs, rhs } => self.alu(Alu::And, true, dst, lhs, Rhs::Slot(rhs)),
            Instr::I64Or { dst, lhs, rhs } => self.alu(Alu::Or, true, dst, lhs, Rhs::Slot(rhs)),
            Instr::I64Xor { dst, lhs, rhs } => self.alu(Alu::Xor, true, dst, lhs, Rhs::Slot(rhs)),
            Instr::I64AddImm { dst, lhs, imm } => self.alu(Alu::Add, true, dst, lhs, Rhs::Imm(imm)),
            Instr::I64SubImm { dst, lhs, imm } => self.alu(Alu::Sub, true, dst, lhs, Rhs::Imm(imm)),
            Instr::I64MulImm { dst, lhs, imm } => self.alu(Alu::Mul, true, dst, lhs, Rhs::Imm(imm)),
            Instr::I64AndImm { dst, lhs, imm } => self.alu(Alu::And, true, dst, lhs, Rhs::Imm(imm)),
            Instr::I64OrImm { dst, lhs, imm } => self.alu(Alu::Or, true, dst, lhs, Rhs::Imm(imm)),
            Instr::I64XorImm { dst, lhs, imm } => self.alu(Alu::Xor, true, dst, lhs, Rhs::Imm(imm)),

            Instr::I32Shl { dst, lhs, rhs } => {
                self.shift(Shift::Shl, false, dst, lhs, Rhs::Slot(rhs))
            }
            Instr::I32ShrS { dst, lhs, rhs } => {
                self.shift(Shift::Sar, false, dst, lhs, Rhs::Slot(rhs))
            }
            Instr::I32ShrU { dst, lhs, rhs } => {
                self.shift(Shift::Shr, false, dst, lhs, Rhs::Slot(rhs))
            }
            Instr::I32Rotl { dst, lhs, rhs } => {
                self.shift(Shift::Rol, false, dst, lhs, Rhs::Slot(rhs))
            }
            Instr::I32Rotr { dst, lhs, rhs } => {
                self.shift(Shift::Ror, false, dst, lhs, Rhs::Slot(rhs))
            }
            Instr::I32ShlImm { dst, lhs, imm } => {
                self.shift(Shift::Shl, false, dst, lhs, Rhs::Imm(imm))
            }
            Instr::I32ShrSImm { dst, lhs, imm } => {
                self.shift(Shift::Sar, false, dst, lhs, Rhs::Imm(imm))
            }
            Instr::I32ShrUImm { dst, lhs, imm } => {
                self.shift(Shift::Shr, false, dst, lhs, Rhs::Imm(imm))
            }
            Instr::I32RotlImm { dst, lhs, imm } => {
                self.shift(Shift::Rol, false, dst, lhs, Rhs::Imm(imm))
            }
            Instr::I32RotrImm { dst, lhs, imm } => {
                self.shift(Shift::Ror, false, dst, lhs, Rhs::Imm(imm))
            }
            Instr::I64Shl { dst, lhs, rhs } => {
                self.shift(Shift::Shl, true, dst, lhs, Rhs::Slot(rhs))
            }
            Instr::I64ShrS { dst, lhs, rhs } => {
                self.shift(Shift::Sar, true, dst, lhs, Rhs::Slot(rhs))
            }
            Instr::I64ShrU { dst, lhs, rhs } => {
                self.shift(Shift::Shr, true, dst, lhs, Rhs::Slot(rhs))
            }
            Instr::I64Rotl { dst, lhs, rhs } => {
                self.shift(Shift::Rol, true, dst, lhs, Rhs::Slot(rhs))
            }
            Instr::I64Rotr { dst, lhs, rhs } => {
                self.shift(Shift::Ror, true, dst, lhs, Rhs::Slot(rhs))
            }
            Instr::I64ShlImm { dst, lhs, imm } => {
                self.shift(Shift::Shl, true, dst, lhs, Rhs::Imm(imm))
            }
            Instr::I64ShrSImm { dst, lhs, imm } => {
                self.shift(Shift::Sar, true, dst, lhs, Rhs::Imm(imm))
            }
            Instr::I64ShrUImm { dst, lhs, imm } => {
                self.shift(Shift::Shr, true, dst, lhs, Rhs::Imm(imm))
            }
            Instr::I64RotlImm { dst, lhs, imm } => {
                self.shift(Shift::Rol, true, dst, lhs, Rhs::Imm(imm))
            }
            Instr::I64RotrImm { dst, lhs, imm } => {
                self.shift(Shift::Ror, true, dst, lhs, Rhs::Imm(imm))
            }

            Instr::I32DivS { dst, lhs, rhs } => {
                self.div(Div::DivS, false, dst, lhs, Rhs::Slot(rhs))
            }
            Instr::I32DivU { dst, lhs, rhs } => {
                self.div(Div::DivU, false, dst, lhs, Rhs::Slot(rhs))
            }
            Instr::I32RemS { dst, lhs, rhs } => {
                self.div(Div::RemS, false, dst, lhs, Rhs::Slot(rhs))
            }
            Instr::I32RemU { dst, lhs, rhs } => {
                self.div(Div::RemU, false, dst, lhs, Rhs::Slot(rhs))
            }
            Instr::I32DivSImm { dst, lhs, imm } => {
                self.div(Div::DivS, false, dst, lhs, Rhs::Imm(imm))
            }
            Instr::I32DivUImm { dst, lhs, imm } => {
                self.div(Div::DivU, false, dst, lhs, Rhs::Imm(imm))
            }
            Instr::I32RemSImm { dst, lhs, imm } => {
                self.div(Div::RemS, false, dst, lhs, Rhs::Imm(imm))
            }
            Instr::I32RemUImm { dst, lhs, imm } => {
                self.div(Div::RemU, false, dst, lhs, Rhs::Imm(imm))
            }
            Instr::I64DivS { dst, lhs, rhs } => self.div(Div::DivS, true, dst, lhs, Rhs::Slot(rhs)),
            Instr::I64DivU { dst, lhs, rhs } => self.div(Div::DivU, true, dst, lhs, Rhs::Slot(rhs)),
            Instr::I64RemS { dst, lhs, rhs } => self.div(Div::RemS, true, dst, lhs, Rhs::Slot(rhs)),
            Instr::I64RemU { dst, lhs, rhs } => self.div(Div::RemU, true, dst, lhs, Rhs::Slot(rhs)),
            Instr::I64DivSImm { dst, lhs, imm } => {
                self.div(Div::DivS, true, dst, lhs, Rhs::Imm(imm))
            }
            Instr::I64DivUImm { dst, lhs, imm } => {
                self.div(Div::DivU, true, dst, lhs, Rhs::Imm(imm))
            }
            Instr::I64RemSImm { dst, lhs, imm } => {
                self.div(Div::RemS, true, dst, lhs, Rhs::Imm(imm))
            }
            Instr::I64RemUImm { dst, lhs, imm } => {
                self.div(Div::RemU, true, dst, lhs, Rhs::Imm(imm))
            }

            Instr::I32Eq { dst, lhs, rhs } => self.cmp_set(false, dst, lhs, Rhs::Slot(rhs), Eq),
            Instr::I32Ne { dst, lhs, rhs } => self.cmp_set(false, dst, lhs, Rhs::Slot(rhs), Ne),
            Instr::I32LtS { dst, lhs, rhs } => self.cmp_set(false, dst, lhs, Rhs::Slot(rhs), LtS),
            Instr::I32LtU { dst, lhs, rhs } => self.cmp_set(false, dst, lhs, Rhs::Slot(rhs), LtU),
            Instr::I32GtS { dst, lhs, rhs } => self.cmp_set(false, dst, lhs, Rhs::Slot(rhs), GtS),
            Instr::I32GtU { dst, lhs, rhs } => self.cmp_set(false, dst, lhs, Rhs::Slot(rhs), GtU),
            Instr::I32LeS { dst, lhs, rhs } => self.cmp_set(false, dst, lhs, Rhs::Slot(rhs), LeS),
            Instr::I32LeU { dst, lhs, rhs } => self.cmp_set(false, dst, lhs, Rhs::Slot(rhs), LeU),
            Instr::I32GeS { dst, lhs, rhs } => self.cmp_set(false, dst, lhs, Rhs::Slot(rhs), GeS),
            Instr::I32GeU { dst, lhs, rhs } => self.cmp_set(false, dst, lhs, Rhs::Slot(rhs), GeU),
            Instr::I32EqImm { dst, lhs, imm } => self.cmp_set(false, dst, lhs, Rhs::Imm(imm), Eq),
            Instr::I32NeImm { dst, lhs, imm } => self.cmp_set(false, dst, lhs, Rhs::Imm(imm), Ne),
            Instr::I32LtSImm { dst, lhs, imm } => self.cmp_set(false, dst, lhs, Rhs::Imm(imm), LtS),
            Instr::I32LtUImm { dst, lhs, imm } => self.cmp_set(false, dst, lhs, Rhs::Imm(imm), LtU),
            Instr::I32GtSImm { dst, lhs, imm } => self.cmp_set(false, dst, lhs, Rhs::Imm(imm), GtS),
            Instr::I32GtUImm { dst, lhs, imm } => self.cmp_set(false, dst, lhs, Rhs::Imm(imm), GtU),
            Instr::I32LeSImm { dst, lhs, imm } => self.cmp_set(false, dst, lhs, Rhs::Imm(imm), LeS),
            Instr::I32LeUImm { dst, lhs, imm } => self.cmp_set(false, dst, lhs, Rhs::Imm(imm), LeU),
            Instr::I32GeSImm { dst, lhs, imm } => self.cmp_set(false, dst, lhs, Rhs::Imm(imm), GeS),
            Instr::I32GeUImm { dst, lhs, imm } => self.cmp_set(false, dst, lhs, Rhs::Imm(imm), GeU),
            Instr::I64Eq { dst, lhs, rhs } => self.cmp_set(true, dst, lhs, Rhs::Slot(rhs), Eq),
            Instr::I64Ne { dst, lhs, rhs } => self.cmp_set(true, dst, lhs, Rhs::Slot(rhs), Ne),
            Instr::I64LtS { dst, lhs, rhs } => self.cmp_set(true, dst, lhs, Rhs::Slot(rhs), LtS),
            Instr::I64LtU { dst, lhs, rhs } => self.cmp_set(true, dst, lhs, Rhs::Slot(rhs), LtU),
            Instr::I64GtS { dst, lhs, rhs } => self.cmp_set(true, dst, lhs, Rhs::Slot(rhs), GtS),
            Instr::I64GtU { dst, lhs, rhs } => self.cmp_set(true, dst, lhs, Rhs::Slot(rhs), GtU),
            Instr::I64LeS { dst, lhs, rhs } => self.cmp_set(true, dst, lhs, Rhs::Slot(rhs), LeS),
            Instr::I64LeU { dst, lhs, rhs } => self.cmp_set(true, dst, lhs, Rhs::Slot(rhs), LeU),
            Instr::I64GeS { dst, lhs, rhs } => self.cmp_set(true, dst, lhs, Rhs::Slot(rhs), GeS),
            Instr::I64GeU { dst, lhs, rhs } => self.cmp_set(true, dst, lhs, Rhs::Slot(rhs), GeU),
            Instr::I64EqImm { dst, lhs, imm } => self.cmp_set(true, dst, lhs, Rhs::Imm(imm), Eq),
            Instr::I64NeImm { dst, lhs, imm } => self.cmp_set(true, dst, lhs, Rhs::Imm(imm), Ne),
            Instr::I64LtSImm { dst, lhs, imm } => self.cmp_set(true, dst, lhs, Rhs::Imm(imm), LtS),
            Instr::I64LtUImm { dst, lhs, imm } => self.cmp_set(true, dst, lhs, Rhs::Imm(imm), LtU),
            Instr::I64GtSImm { dst, lhs, imm } => self.cmp_set(true, dst, lhs, Rhs::Imm(imm), GtS),
            Instr::I64GtUImm { dst, lhs, imm } => self.cmp_set(true, dst, lhs, Rhs::Imm(imm), GtU),
            Instr::I64LeSImm { dst, lhs, imm } => self.cmp_set(true, dst, lhs, Rhs::Imm(imm), LeS),
            Instr::I64LeUImm { dst, lhs, imm } => self.cmp_set(true, dst, lhs, Rhs::Imm(imm), LeU),
            Instr::I64GeSImm { dst, lhs, imm } => self.cmp_set(true, dst, lhs, Rhs::Imm(imm), GeS),
            Instr::I64GeUImm { dst, lhs, imm } => self.cmp_set(true, dst, lhs, Rhs::Imm(imm), GeU),
            Instr::I32Eqz { dst, src } => self.cmp_set(false, dst, src, Rhs::Imm(0), Eq),
            Instr::I64Eqz { dst, src } => self.cmp_set(true, dst, src, Rhs::Imm(0), Eq),

            Instr::I32Clz { dst, src } => {
                self.m.load32(reg::RAX, src);
                self.m.clobber(reg::RCX);
                dynasm!(self.m.ops
                    ; .arch x64
                    ; mov ecx, -1
                    ; bsr eax, eax
                    ; cmovz eax, ecx
                    ; neg eax
                    ; add eax, 31
                );
                self.m.clobber(reg::RAX);
                self.m.store(dst, reg::RAX);
            }
            Instr::I64Clz { dst, src } => {
                self.m.load64(reg::RAX, src);
                self.m.clobber(reg::RCX);
                dynasm!(self.m.ops
                    ; .arch x64
                    ; mov rcx, -1
                    ; bsr rax, rax
                    ; cmovz rax, rcx
                    ; neg rax
                    ; add rax, 63
                );
                self.m.clobber(reg::RAX);
                self.m.store(dst, reg::RAX);
            }
            Instr::I32Ctz { dst, src } => {
                self.m.load32(reg::RAX, src);
                self.m.clobber(reg::RCX);
                dynasm!(self.m.ops
                    ; .arch x64
                    ; mov ecx, 32
                    ; bsf eax, eax
                    ; cmovz eax, ecx
                );
                self.m.clobber(reg::RAX);
                self.m.store(dst, reg::RAX);
            }
            Instr::I64Ctz { dst, src } => {
                self.m.load64(reg::RAX, src);
                self.m.clobber(reg::RCX);
                dynasm!(self.m.ops
                    ; .arch x64
                    ; mov ecx, 64
                    ; bsf rax, rax
                    ; cmovz rax, rcx
                );
                self.m.clobber(reg::RAX);
                self.m.store(dst, reg::RAX);
            }
            Instr::I32Popcnt { dst, src } => {
                let r = self.m.alloc(&[]);
                self.m.load32(r, src);
                dynasm!(self.m.ops ; .arch x64 ; popcnt Rd(r), Rd(r));
                self.m.clobber(r);
                self.m.store(dst, r);
            }
            Instr::I64Popcnt { dst, src } => {
                let r = self.m.alloc(&[]);
                self.m.load64(r, src);
                dynasm!(self.m.ops ; .arch x64 ; popcnt Rq(r), Rq(r));
                self.m.clobber(r);
                self.m.store(dst, r);
            }
            Instr::I32Extend8S { dst, src } => self.unary64(
                dst,
                src,
                |m, r| dynasm!(m.ops ; .arch x64 ; movsx Rd(r), Rb(r)),
            ),
            Instr::I32Extend16S { dst, src } => self.unary64(
                dst,
                src,
                |m, r| dynasm!(m.ops ; .arch x64 ; movsx Rd(r), Rw(r)),
            ),
            Instr::I64Extend8S { dst, src } => self.unary64(
                dst,
                src,
                |m, r| dynasm!(m.ops ; .arch x64 ; movsx Rq(r), Rb(r)),
            ),
            Instr::I64Extend16S { dst, src } => self.unary64(
                dst,
                src,
                |m, r| dynasm!(m.ops ; .arch x64 ; movsx Rq(r), Rw(r)),
            ),
            Instr::I64Extend32S { dst, src } => self.unary64(
                dst,
                src,
                |m, r| dynasm!(m.ops ; .arch x64 ; movsxd Rq(r), Rd(r)),
            ),
            Instr::I64Extend32U { dst, src } => self.unary64(
                dst,
                src,
                |m, r| dynasm!(m.ops ; .arch x64 ; mov Rd(r), Rd(r)),
            ),

            // ---- floats ----
            Instr::F32Add { dst, lhs, rhs } => self.fbin(false, dst, lhs, rhs, Fop::Add),
            Instr::F32Sub { dst, lhs, rhs } => self.fbin(false, dst, lhs, rhs, Fop::Sub),
            Instr::F32Mul { dst, lhs, rhs } => self.fbin(false, dst, lhs, rhs, Fop::Mul),
            Instr::F32Div { dst, lhs, rhs } => self.fbin(false, dst, lhs, rhs, Fop::Div),
            Instr::F64Add { dst, lhs, rhs } => self.fbin(true, dst, lhs, rhs, Fop::Add),
            Instr::F64Sub { dst, lhs, rhs } => self.fbin(true, dst, lhs, rhs, Fop::Sub),
            Instr::F64Mul { dst, lhs, rhs } => self.fbin(true, dst, lhs, rhs, Fop::Mul),
            Instr::F64Div { dst, lhs, rhs } => self.fbin(true, dst, lhs, rhs, Fop::Div),
            Instr::F32Min { dst, lhs, rhs } => self.helper2(dst, lhs, rhs, Libcall::f32_min()),
            Instr::F32Max { dst, lhs, rhs } => self.helper2(dst, lhs, rhs, Libcall::f32_max()),
            Instr::F64Min { dst, lhs, rhs } => self.helper2(dst, lhs, rhs, Libcall::f64_min()),
            Instr::F64Max { dst, lhs, rhs } => self.helper2(dst, lhs, rhs, Libcall::f64_max()),
            Instr::F32Copysign { dst, lhs, rhs } => {
                let a = self.m.alloc(&[]);
                self.m.load32(a, lhs);
                let b = self.m.alloc(&[Opnd::Reg(a)]);
                self.m.load32(b, rhs);
                dynasm!(self.m.ops
                    ; .arch x64
                    ; and Rd(a), 0x7fff_ffff
                    ; and Rd(b), 0x8000_0000u32 as i32
                    ; or Rd(a), Rd(b)
                );
                self.m.clobber(a);
                self.m.clobber(b);
                self.m.store(dst, a);
            }
            Instr::F64Copysign { dst, lhs, rhs } => {
                let a = self.m.alloc(&[]);
                self.m.load64(a, lhs);
                let b = self.m.alloc(&[Opnd::Reg(a)]);
                self.m.load64(b, rhs);
                dynasm!(self.m.ops
                    ; .arch x64
                    ; btr Rq(a), 63
                    ; shr Rq(b), 63
                    ; shl Rq(b), 63
                    ; or Rq(a), Rq(b)
                );
                self.m.clobber(a);
                self.m.clobber(b);
                self.m.store(dst, a);
            }
            Instr::F32Abs { dst, src } => self.unary64(
                dst,
                src,
                |m, r| dynasm!(m.ops ; .arch x64 ; and Rd(r), 0x7fff_ffff),
            ),
            Instr::F32Neg { dst, src } => self.unary64(
                dst,
                src,
                |m, r| dynasm!(m.ops ; .arch x64 ; xor Rd(r), 0x8000_0000u32 as i32),
            ),
            Instr::F64Abs { dst, src } => {
                self.unary64(dst, src, |m, r| dynasm!(m.ops ; .arch x64 ; btr Rq(r), 63))
            }
            Instr::F64Neg { dst, src } => {
                self.unary64(dst, src, |m, r| dynasm!(m.ops ; .arch x64 ; btc Rq(r), 63))
            }
            Instr::F32Eq { dst, lhs, rhs } => self.fcmp(false, dst, lhs, rhs, FCmp::Eq),
            Instr::F32Ne { dst, lhs, rhs } => self.fcmp(false, dst, lhs, rhs, FCmp::Ne),
            Instr::F32Lt { dst, lhs, rhs } => self.fcmp(false, dst, rhs, lhs, FCmp::Gt),
            Instr::F32Gt { dst, lhs, rhs } => self.fcmp(false, dst, lhs, rhs, FCmp::Gt),
            Instr::F32Le { dst, lhs, rhs } => self.fcmp(false, dst, rhs, lhs, FCmp::Ge),
            Instr::F32Ge { dst, lhs, rhs } => self.fcmp(false, dst, lhs, rhs, FCmp::Ge),
            Instr::F64Eq { dst, lhs, rhs } => self.fcmp(true, dst, lhs, rhs, FCmp::Eq),
            Instr::F64Ne { dst, lhs, rhs } => self.fcmp(true, dst, lhs, rhs, FCmp::Ne),
            Instr::F64Lt { dst, lhs, rhs } => self.fcmp(true, dst, rhs, lhs, FCmp::Gt),
            Instr::F64Gt { dst, lhs, rhs } => self.fcmp(true, dst, lhs, rhs, FCmp::Gt),
            Instr::F64Le { dst, lhs, rhs } => self.fcmp(true, dst, rhs, lhs, FCmp::Ge),
            Instr::F64Ge { dst, lhs, rhs } => self.fcmp(true, dst, lhs, rhs, FCmp::Ge),
            Instr::F32Ceil { dst, src } => self.fround(false, dst, src, 2),
            Instr::F32Floor { dst, src } => self.fround(false, dst, src, 1),
            Instr::F32Trunc { dst, src } => self.fround(false, dst, src, 3),
            Instr::F32Nearest { dst, src } => self.fround(false, dst, src, 0),
            Instr::F64Ceil { dst, src } => self.fround(true, dst, src, 2),
            Instr::F64Floor { dst, src } => self.fround(true, dst, src, 1),
            Instr::F64Trunc { dst, src } => self.fround(true, dst, src, 3),
            Instr::F64Nearest { dst, src } => self.fround(true, dst, src, 0),
            Instr::F32Sqrt { dst, src } => {
                self.m.load_xmm(0, src);
                dynasm!(self.m.ops ; .arch x64 ; sqrtss xmm0, xmm0);
                self.m.store_xmm32(dst, 0);
            }
            Instr::F64Sqrt { dst, src } => {
                self.m.load_xmm(0, src);
                dynasm!(self.m.ops ; .arch x64 ; sqrtsd xmm0, xmm0);
                self.m.store_xmm64(dst, 0);
            }

            // ---- conversions ----
            Instr::I32TruncF32S { dst, src } => self.checked(dst, src, Libcall::i32_trunc_f32_s()),
            Instr::I32TruncF32U { dst, src } => self.checked(dst, src, Libcall::i32_trunc_f32_u()),
            Instr::I32TruncF64S { dst, src } => self.checked(dst, src, Libcall::i32_trunc_f64_s()),
            Instr::I32TruncF64U { dst, src } => self.checked(dst, src, Libcall::i32_trunc_f64_u()),
            Instr::I64TruncF32S { dst, src } => self.checked(dst, src, Libcall::i64_trunc_f32_s()),
            Instr::I64TruncF32U { dst, src } => self.checked(dst, src, Libcall::i64_trunc_f32_u()),
            Instr::I64TruncF64S { dst, src } => self.checked(dst, src, Libcall::i64_trunc_f64_s()),
            Instr::I64TruncF64U { dst, src } => self.checked(dst, src, Libcall::i64_trunc_f64_u()),
            Instr::I32TruncSatF32S { dst, src } => {
                self.helper1(dst, src, Libcall::i32_trunc_sat_f32_s())
            }
            Instr::I32TruncSatF32U { dst, src } => {
                self.helper1(dst, src, Libcall::i32_trunc_sat_f32_u())
            }
            Instr::I32TruncSatF64S { dst, src } => {
                self.helper1(dst, src, Libcall::i32_trunc_sat_f64_s())
            }
            Instr::I32TruncSatF64U { dst, src } => {
                self.helper1(dst, src, Libcall::i32_trunc_sat_f64_u())
            }
            Instr::I64TruncSatF32S { dst, src } => {
                self.helper1(dst, src, Libcall::i64_trunc_sat_f32_s())
            }
            Instr::I64TruncSatF32U { dst, src } => {
                self.helper1(dst, src, Libcall::i64_trunc_sat_f32_u())
            }
            Instr::I64TruncSatF64S { dst, src } => {
                self.helper1(dst, src, Libcall::i64_trunc_sat_f64_s())
            }
            Instr::I64TruncSatF64U { dst, src } => {
                self.helper1(dst, src, Libcall::i64_trunc_sat_f64_u())
            }
            Instr::F32ConvertI64U { dst, src } => {
                self.helper1(dst, src, Libcall::f32_convert_i64_u())
            }
            Instr::F64ConvertI64U { dst, src } => {
                self.helper1(dst, src, Libcall::f64_convert_i64_u())
            }
            Instr::F32ConvertI32S { dst, src } => {
                let r = self.m.alloc(&[]);
                self.m.load32(r, src);
                dynasm!(self.m.ops ; .arch x64 ; xorps xmm0, xmm0 ; cvtsi2ss xmm0, Rd(r));
                self.m.store_xmm32(dst, 0);
            }
            Instr::F32ConvertI32U { dst, src } => {
                let r = self.m.alloc(&[]);
                self.m.load32(r, src);
                dynasm!(self.m.ops ; .arch x64 ; xorps xmm0, xmm0 ; cvtsi2ss xmm0, Rq(r));
                self.m.store_xmm32(dst, 0);
            }
            Instr::F32ConvertI64S { dst, src } => {
                let r = self.m.alloc(&[]);
                self.m.load64(r, src);
                dynasm!(self.m.ops ; .arch x64 ; xorps xmm0, xmm0 ; cvtsi2ss xmm0, Rq(r));
                self.m.store_xmm32(dst, 0);
            }
            Instr::F64ConvertI32S { dst, src } => {
                let r = self.m.alloc(&[]);
                self.m.load32(r, src);
                dynasm!(self.m.ops ; .arch x64 ; xorps xmm0, xmm0 ; cvtsi2sd xmm0, Rd(r));
                self.m.store_xmm64(dst, 0);
            }
            Instr::F64ConvertI32U { dst, src } => {
                let r = self.m.alloc(&[]);
                self.m.load32(r, src);
                dynasm!(self.m.ops ; .arch x64 ; xorps xmm0, xmm0 ; cvtsi2sd xmm0, Rq(r));
                self.m.store_xmm64(dst, 0);
            }
            Instr::F64ConvertI64S { dst, src } => {
                let r = self.m.alloc(&[]);
                self.m.load64(r, src);
                dynasm!(self.m.ops ; .arch x64 ; xorps xmm0, xmm0 ; cvtsi2sd xmm0, Rq(r));
                self.m.store_xmm64(dst, 0);
            }
            Instr::F32DemoteF64 { dst, src } => {
                self.m.load_xmm(0, src);
                dynasm!(self.m.ops ; .arch x64 ; cvtsd2ss xmm0, xmm0);
                self.m.store_xmm32(dst, 0);
            }
            Instr::F64PromoteF32 { dst, src } => {
                self.m.load_xmm(0, src);
                dynasm!(self.m.ops ; .arch x64 ; cvtss2sd xmm0, xmm0);
                self.m.store_xmm64(dst, 0);
            }
        }
        Ok(())
    }

    // ---- instruction families ----

    fn ret(&mut self) {
        let epilogue = self.epilogue;
        dynasm!(self.m.ops ; .arch x64 ; jmp =>epilogue);
    }

    fn const64(&mut self, dst: u32, value: u64) {
        if let Ok(imm) = i32::try_from(value as i64) {
            self.m.store_imm(dst, imm);
        } else {
            let r = self.m.alloc(&[]);
            dynasm!(self.m.ops ; .arch x64 ; mov Rq(r), QWORD value as i64);
            self.m.store(dst, r);
        }
    }

    fn br_cmp(&mut self, i: usize, wide: bool, lhs: u32, rhs: u32, cond: Cond, offset: i32) {
        self.m.cmp_slots(wide, lhs, rhs);
        self.branch(i, Some(cond), offset);
    }

    fn br_imm(&mut self, i: usize, wide: bool, lhs: u32, imm: i32, cond: Cond, offset: i32) {
        self.m.cmp_imm(wide, lhs, imm);
        self.branch(i, Some(cond), offset);
    }

    fn br_table(&mut self, i: usize, index: u32, len: u32) {
        self.m.load32(reg::RAX, index);
        self.m.clobber(reg::RCX);
        let table = self.m.ops.new_dynamic_label();
        dynasm!(self.m.ops
            ; .arch x64
            ; mov ecx, len as i32
            ; cmp eax, ecx
            ; cmova eax, ecx
            ; lea rcx, [=>table]
            ; lea rax, [rax + rax * 4]
            ; add rcx, rax
            ; jmp rcx
            ; =>table
        );
        for k in 0..=len as usize {
            let target = self.labels[i + 1 + k].expect("br_table entries have labels");
            // Always `jmp rel32`: 5 bytes per entry.
            dynasm!(self.m.ops ; .arch x64 ; jmp =>target);
        }
    }

    /// Calls defined or imported function `func` with its frame at slot `args`.
    fn call(&mut self, func: u32, args: u32) {
        let a = disp(args);
        if let Some(defined) = func.checked_sub(self.env.num_imported_funcs) {
            let entry = off::pointer_entry(defined);
            dynasm!(self.m.ops
                ; .arch x64
                ; mov rax, [r15 + off::CODE_TABLE as i32]
                ; mov rdi, r15
                ; lea rsi, [rbx + a]
                ; call QWORD [rax + entry]
            );
        } else {
            let f = (func * 8) as i32;
            let helper = self.call_ref_helper;
            dynasm!(self.m.ops
                ; .arch x64
                ; mov rax, [r15 + off::FUNCS as i32]
                ; mov rdx, [rax + f]
                ; lea rsi, [rbx + a]
                ; call =>helper
            );
        }
        self.m.forget_all();
    }

    fn call_indirect(&mut self, type_index: u32, table: u32, index: u32, args: u32) {
        self.table_entry(table, index);
        let null = self.m.trap_label(TrapCode::IndirectCallToNull);
        let bad = self.m.trap_label(TrapCode::BadSignature);
        let helper = self.call_ref_helper;
        let ty = (type_index * 4) as i32;
        let a = disp(args);
        dynasm!(self.m.ops
            ; .arch x64
            ; mov rdx, [rax + rcx * 8]
            ; test rdx, rdx
            ; jz =>null
            ; mov eax, [rdx + off::FUNCREF_TYPE_ID as i32]
            ; mov rcx, [r15 + off::TYPE_IDS as i32]
            ; cmp eax, [rcx + ty]
            ; jne =>bad
            ; lea rsi, [rbx + a]
            ; call =>helper
        );
        self.m.forget_all();
    }

    /// Bounds-checks slot `index` against table `table`: afterwards `rax` = the element base
    /// and `rcx` = the index.
    fn table_entry(&mut self, table: u32, index: u32) {
        self.m.load32(reg::RCX, index);
        self.m.clobber(reg::RAX);
        let oob = self.m.trap_label(TrapCode::TableOutOfBounds);
        let t = (table * 8) as i32;
        dynasm!(self.m.ops
            ; .arch x64
            ; mov rax, [r15 + off::TABLES as i32]
            ; mov rax, [rax + t]
            ; cmp rcx, [rax + off::TABLE_LENGTH as i32]
            ; jae =>oob
            ; mov rax, [rax + off::TABLE_BASE as i32]
        );
        self.m.clobber(reg::RCX);
    }

    /// Calls a bulk operation (arguments from `rsi` on already loaded) with `rdi` = vmctx;
    /// traps with its status.
    fn bulk_call(&mut self, libcall: Libcall) {
        dynasm!(self.m.ops ; .arch x64 ; mov rdi, r15);
        self.m.call_libcall(libcall);
        self.m.check_status();
    }

    /// A register holding the value of slot `src` (loaded if not cached).
    fn value_reg(&mut self, src: u32) -> u8 {
        match self.m.opnd(src) {
            Opnd::Reg(r) => r,
            Opnd::Mem(_) => {
                let r = self.m.alloc(&[]);
                self.m.load64(r, src);
                r
            }
        }
    }

    fn address(&mut self, addr: u32, offset: u32, size: u32) -> Result<(u8, i32), CompileError> {
        self.address_avoiding(addr, offset, size, 0xff)
    }

    /// Prepares an access of `size` bytes at `addr + offset` of memory 0: returns `(reg,
    /// disp)` such that `[r14 + reg + disp]` is the effective address, after an explicit
    /// bounds check when guard pages cannot catch it. Never uses register `keep`.
    fn address_avoiding(
        &mut self,
        addr: u32,
        offset: u32,
        size: u32,
        keep: u8,
    ) -> Result<(u8, i32), CompileError> {
        let avoid = [Opnd::Reg(keep)];
        let a = self.m.alloc(&avoid);
        self.m.load32(a, addr);
        let guarded =
            self.env.bounds_checks == BoundsChecks::Guard && u64::from(offset) <= GUARD_SAFE_OFFSET;
        if guarded {
            return Ok((a, offset as i32));
        }
        let end = self.m.alloc(&[Opnd::Reg(keep), Opnd::Reg(a)]);
        let len = self
            .m
            .alloc(&[Opnd::Reg(keep), Opnd::Reg(a), Opnd::Reg(end)]);
        let oob = self.m.trap_label(TrapCode::MemoryOutOfBounds);
        let reach = i64::from(offset) + i64::from(size);
        dynasm!(self.m.ops
            ; .arch x64
            ; mov Rq(end), QWORD reach
            ; add Rq(end), Rq(a)
            ; mov Rq(len), [r15 + off::MEMORIES as i32]
            ; mov Rq(len), [Rq(len)]
            ; cmp Rq(end), [Rq(len) + off::MEMORY_LENGTH as i32]
            ; ja =>oob
        );
        self.m.clobber(end);
        self.m.clobber(len);
        if offset <= i32::MAX as u32 {
            Ok((a, offset as i32))
        } else {
            let size = size as i32;
            dynasm!(self.m.ops ; .arch x64 ; lea Rq(a), [Rq(end) - size]);
            self.m.clobber(a);
            Ok((a, 0))
        }
    }

    fn alu(&mut self, op: Alu, wide: bool, dst: u32, lhs: u32, rhs: Rhs) {
        let b = match rhs {
            Rhs::Slot(s) => Some(self.m.opnd(s)),
            Rhs::Imm(_) => None,
        };
        let avoid: Vec<Opnd> = b.into_iter().collect();
        let r = self.m.alloc(&avoid);
        if wide {
            self.m.load64(r, lhs);
        } else {
            self.m.load32(r, lhs);
        }
        self.m.clobber(r);
        let ops = &mut self.m.ops;
        macro_rules! each {
            ($($op:ident => $mn:ident),*) => {
                match (op, wide, rhs, b) {
                    $(
                    (Alu::$op, false, Rhs::Imm(imm), _) => dynasm!(ops ; .arch x64 ; $mn Rd(r), imm),
                    (Alu::$op, true, Rhs::Imm(imm), _) => dynasm!(ops ; .arch x64 ; $mn Rq(r), imm),
                    (Alu::$op, false, _, Some(Opnd::Reg(s))) => dynasm!(ops ; .arch x64 ; $mn Rd(r), Rd(s)),
                    (Alu::$op, true, _, Some(Opnd::Reg(s))) => dynasm!(ops ; .arch x64 ; $mn Rq(r), Rq(s)),
                    (Alu::$op, false, _, Some(Opnd::Mem(d))) => dynasm!(ops ; .arch x64 ; $mn Rd(r), DWORD [rbx + d]),
                    (Alu::$op, true, _, Some(Opnd::Mem(d))) => dynasm!(ops ; .arch x64 ; $mn Rq(r), QWORD [rbx + d]),
                    )*
                    (Alu::Mul, false, Rhs::Imm(imm), _) => dynasm!(ops ; .arch x64 ; imul Rd(r), Rd(r), imm),
                    (Alu::Mul, true, Rhs::Imm(imm), _) => dynasm!(ops ; .arch x64 ; imul Rq(r), Rq(r), imm),
                    (Alu::Mul, false, _, Some(Opnd::Reg(s))) => dynasm!(ops ; .arch x64 ; imul Rd(r), Rd(s)),
                    (Alu::Mul, true, _, Some(Opnd::Reg(s))) => dynasm!(ops ; .arch x64 ; imul Rq(r), Rq(s)),
                    (Alu::Mul, false, _, Some(Opnd::Mem(d))) => dynasm!(ops ; .arch x64 ; imul Rd(r), DWORD [rbx + d]),
                    (Alu::Mul, true, _, Some(Opnd::Mem(d))) => dynasm!(ops ; .arch x64 ; imul Rq(r), QWORD [rbx + d]),
                    (_, _, Rhs::Slot(_), None) => unreachable!("slot operands have a location"),
                }
            };
        }
        each!(Add => add, Sub => sub, And => and, Or => or, Xor => xor);
        self.m.store(dst, r);
    }

    fn shift(&mut self, op: Shift, wide: bool, dst: u32, lhs: u32, rhs: Rhs) {
        let r = match rhs {
            Rhs::Imm(_) => self.m.alloc(&[]),
            Rhs::Slot(s) => {
                let b = self.m.opnd(s);
                self.m.alloc(&[b, Opnd::Reg(reg::RCX)])
            }
        };
        if wide {
            self.m.load64(r, lhs);
        } else {
            self.m.load32(r, lhs);
        }
        if let Rhs::Slot(s) = rhs {
            self.m.load32(reg::RCX, s);
        }
        self.m.clobber(r);
        let ops = &mut self.m.ops;
        macro_rules! each {
            ($($op:ident => $mn:ident),*) => {
                match (op, wide, rhs) {
                    $(
                    (Shift::$op, false, Rhs::Imm(imm)) => dynasm!(ops ; .arch x64 ; $mn Rd(r), (imm & 31) as i8),
                    (Shift::$op, true, Rhs::Imm(imm)) => dynasm!(ops ; .arch x64 ; $mn Rq(r), (imm & 63) as i8),
                    (Shift::$op, false, Rhs::Slot(_)) => dynasm!(ops ; .arch x64 ; $mn Rd(r), cl),
                    (Shift::$op, true, Rhs::Slot(_)) => dynasm!(ops ; .arch x64 ; $mn Rq(r), cl),
                    )*
                }
            };
        }
        each!(Shl => shl, Sar => sar, Shr => shr, Rol => rol, Ror => ror);
        self.m.store(dst, r);
    }

    fn div(&mut self, op: Div, wide: bool, dst: u32, lhs: u32, rhs: Rhs) {
        // The divisor goes to rcx first (it may be cached in rax or rdx).
        match rhs {
            Rhs::Slot(s) if wide => self.m.load64(reg::RCX, s),
            Rhs::Slot(s) => self.m.load32(reg::RCX, s),
            Rhs::Imm(imm) => {
                self.m.clobber(reg::RCX);
                if wide {
                    dynasm!(self.m.ops ; .arch x64 ; mov rcx, imm);
                } else {
                    dynasm!(self.m.ops ; .arch x64 ; mov ecx, imm);
                }
            }
        }
        if wide {
            self.m.load64(reg::RAX, lhs);
        } else {
            self.m.load32(reg::RAX, lhs);
        }
        self.m.clobber(reg::RAX);
        self.m.clobber(reg::RCX);
        self.m.clobber(reg::RDX);
        let div0 = self.m.trap_label(TrapCode::IntegerDivisionByZero);
        let overflow = self.m.trap_label(TrapCode::IntegerOverflow);
        if wide {
            dynasm!(self.m.ops ; .arch x64 ; test rcx, rcx ; jz =>div0);
        } else {
            dynasm!(self.m.ops ; .arch x64 ; test ecx, ecx ; jz =>div0);
        }
        let result = match (op, wide) {
            (Div::DivS, false) => {
                dynasm!(self.m.ops
                    ; .arch x64
                    ; cmp ecx, -1
                    ; jne >ok
                    ; cmp eax, i32::MIN
                    ; je =>overflow
                    ; ok:
                    ; cdq
                    ; idiv ecx
                );
                reg::RAX
            }
            (Div::DivS, true) => {
                dynasm!(self.m.ops
                    ; .arch x64
                    ; cmp rcx, -1
                    ; jne >ok
                    ; mov rdx, QWORD i64::MIN
                    ; cmp rax, rdx
                    ; je =>overflow
                    ; ok:
                    ; cqo
                    ; idiv rcx
                );
                reg::RAX
            }
            (Div::RemS, false) => {
                dynasm!(self.m.ops
                    ; .arch x64
                    ; cmp ecx, -1
                    ; jne >divide
                    ; xor edx, edx
                    ; jmp >done
                    ; divide:
                    ; cdq
                    ; idiv ecx
                    ; done:
                );
                reg::RDX
            }
            (Div::RemS, true) => {
                dynasm!(self.m.ops
                    ; .arch x64
                    ; cmp rcx, -1
                    ; jne >divide
                    ; xor edx, edx
                    ; jmp >done
                    ; divide:
                    ; cqo
                    ; idiv rcx
                    ; done:
                );
                reg::RDX
            }
            (Div::DivU, false) => {
                dynasm!(self.m.ops ; .arch x64 ; xor edx, edx ; div ecx);
                reg::RAX
            }
            (Div::DivU, true) => {
                dynasm!(self.m.ops ; .arch x64 ; xor edx, edx ; div rcx);
                reg::RAX
            }
            (Div::RemU, false) => {
                dynasm!(self.m.ops ; .arch x64 ; xor edx, edx ; div ecx);
                reg::RDX
            }
            (Div::RemU, true) => {
                dynasm!(self.m.ops ; .arch x64 ; xor edx, edx ; div rcx);
                reg::RDX
            }
        };
        self.m.store(dst, result);
    }

    fn cmp_set(&mut self, wide: bool, dst: u32, lhs: u32, rhs: Rhs, cond: Cond) {
        match rhs {
            Rhs::Slot(s) => self.m.cmp_slots(wide, lhs, s),
            Rhs::Imm(imm) => self.m.cmp_imm(wide, lhs, imm),
        }
        let r = self.m.alloc(&[]);
        self.m.setcc(cond, r);
        dynasm!(self.m.ops ; .arch x64 ; movzx Rd(r), Rb(r));
        self.m.store(dst, r);
    }

    /// `dst = f(src)` computed in place in a scratch register.
    fn unary64(&mut self, dst: u32, src: u32, f: impl FnOnce(&mut Masm, u8)) {
        let r = self.m.alloc(&[]);
        self.m.load64(r, src);
        self.m.clobber(r);
        f(&mut self.m, r);
        self.m.store(dst, r);
    }

    fn fbin(&mut self, wide: bool, dst: u32, lhs: u32, rhs: u32, op: Fop) {
        self.m.load_xmm(0, lhs);
        self.m.load_xmm(1, rhs);
        let ops = &mut self.m.ops;
        match (op, wide) {
            (Fop::Add, false) => dynasm!(ops ; .arch x64 ; addss xmm0, xmm1),
            (Fop::Sub, false) => dynasm!(ops ; .arch x64 ; subss xmm0, xmm1),
            (Fop::Mul, false) => dynasm!(ops ; .arch x64 ; mulss xmm0, xmm1),
            (Fop::Div, false) => dynasm!(ops ; .arch x64 ; divss xmm0, xmm1),
            (Fop::Add, true) => dynasm!(ops ; .arch x64 ; addsd xmm0, xmm1),
            (Fop::Sub, true) => dynasm!(ops ; .arch x64 ; subsd xmm0, xmm1),
            (Fop::Mul, true) => dynasm!(ops ; .arch x64 ; mulsd xmm0, xmm1),
            (Fop::Div, true) => dynasm!(ops ; .arch x64 ; divsd xmm0, xmm1),
        }
        if wide {
            self.m.store_xmm64(dst, 0);
        } else {
            self.m.store_xmm32(dst, 0);
        }
    }

    /// Float comparison `a <cmp> b` (callers swap operands for `<` and `<=`).
    fn fcmp(&mut self, wide: bool, dst: u32, a: u32, b: u32, cmp: FCmp) {
        self.m.load_xmm(0, a);
        self.m.load_xmm(1, b);
        if wide {
            dynasm!(self.m.ops ; .arch x64 ; ucomisd xmm0, xmm1);
        } else {
            dynasm!(self.m.ops ; .arch x64 ; ucomiss xmm0, xmm1);
        }
        let r = self.m.alloc(&[]);
        match cmp {
            FCmp::Eq | FCmp::Ne => {
                let t = self.m.alloc(&[Opnd::Reg(r)]);
                if cmp == FCmp::Eq {
                    self.m.setcc(Cond::Eq, r);
                    self.m.setcc(Cond::NoParity, t);
                    dynasm!(self.m.ops ; .arch x64 ; and Rb(r), Rb(t));
                } else {
                    self.m.setcc(Cond::Ne, r);
                    self.m.setcc(Cond::Parity, t);
                    dynasm!(self.m.ops ; .arch x64 ; or Rb(r), Rb(t));
                }
            }
            FCmp::Gt => self.m.setcc(Cond::GtU, r),
            FCmp::Ge => self.m.setcc(Cond::GeU, r),
        }
        dynasm!(self.m.ops ; .arch x64 ; movzx Rd(r), Rb(r));
        self.m.store(dst, r);
    }

    fn fround(&mut self, wide: bool, dst: u32, src: u32, mode: i8) {
        self.m.load_xmm(0, src);
        if wide {
            dynasm!(self.m.ops ; .arch x64 ; roundsd xmm0, xmm0, mode);
            self.m.store_xmm64(dst, 0);
        } else {
            dynasm!(self.m.ops ; .arch x64 ; roundss xmm0, xmm0, mode);
            self.m.store_xmm32(dst, 0);
        }
    }

    /// `dst = f(src)` through a Rust helper on bit patterns.
    fn helper1(&mut self, dst: u32, src: u32, f: Libcall) {
        self.m.load64(reg::RDI, src);
        self.m.call_libcall(f);
        self.m.store(dst, reg::RAX);
    }

    /// `dst = f(lhs, rhs)` through a Rust helper on bit patterns.
    fn helper2(&mut self, dst: u32, lhs: u32, rhs: u32, f: Libcall) {
        let b = self.m.opnd(rhs);
        if b == Opnd::Reg(reg::RDI) {
            self.m.load64(reg::RSI, rhs);
            self.m.load64(reg::RDI, lhs);
        } else {
            self.m.load64(reg::RDI, lhs);
            self.m.load64(reg::RSI, rhs);
        }
        self.m.call_libcall(f);
        self.m.store(dst, reg::RAX);
    }

    /// `dst = f(src)` through a checked Rust helper: traps with its status.
    fn checked(&mut self, dst: u32, src: u32, f: Libcall) {
        self.m.load64(reg::RDI, src);
        self.m.call_libcall(f);
        self.m.check_status();
        self.m.store(dst, reg::RDX);
    }
}

#[derive(Clone, Copy)]
enum Alu {
    Add,
    Sub,
    Mul,
    And,
    Or,
    Xor,
}

#[derive(Clone, Copy)]
enum Shift {
    Shl,
    Sar,
    Shr,
    Rol,
    Ror,
}

#[derive(Clone, Copy)]
enum Div {
    DivS,
    DivU,
    RemS,
    RemU,
}

#[derive(Clone, Copy)]
enum Fop {
    Add,
    Sub,
    Mul,
    Div,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum FCmp {
    Eq,
    Ne,
    Gt,
    Ge,
}
