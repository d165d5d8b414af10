//! The visitor: one pass over a function's register bytecode, routing each instruction to the
//! method of its family, which lowers it to operations of the [`Masm`]. The visitor decides
//! *what* to emit (wasm semantics, the tiering protocol, the bounds-check policy); the masm
//! decides *how* in x86-64 and keeps the register cache. Nothing here writes machine code or
//! touches the cache.
//!
//! Files, one per concern: this one is the driver (the pass, the labels, the one `match`);
//! `frame.rs` the prologue, hotness ticks, OSR entries and exit, and the tier-up
//! helper; `control.rs` branches, `br_table`, returns (with the epilogue) and traps; `memory.rs` loads, stores,
//! bounds checks, `memory.size`/`grow`, bulk memory, globals, tables and segments; `calls.rs`
//! direct, imported and indirect calls and the call-reference helper (host calls);
//! `numeric.rs` integer and float arithmetic, comparisons, conversions, constants, copies and
//! `select`; `simd.rs` everything on `v128`s (lane operations, lanes, constants, shuffles,
//! moves, globals and memory accesses), with the lowering of relaxed SIMD.
//!
//! Frame and ABI: the function is `extern "sysv64" fn(vmctx: rdi, fp: rsi)` (DESIGN.md §3) and
//! keeps the interpreter's frame layout, so any bytecode index that is a loop header can be
//! entered from an interpreter frame (on-stack replacement): `frame.rs` emits, per loop
//! header, a prologue that jumps there. A function without loops whose type fits registers
//! also has a **native entry** (`frame.rs`; [`crate::fits_registers`]): `extern "sysv64"
//! fn(vmctx, fp, params..) -> results`, the optimizer's convention, whose prologue stores the
//! register parameters to their slots and joins the code-table entry's; every return of such
//! a function also leaves the results in the result registers. Calls of such types
//! (`calls.rs`) pass arguments and take results in registers whenever the callee has a native
//! entry.
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

mod calls;
mod control;
mod deferred;
mod frame;
mod memory;
mod numeric;
mod pinning;
mod simd;

use tierup_abi::{FuncType, Libcall};
use tierup_interp::{CompiledFunc, Instr};

use crate::masm::{
    AluOp, BitCount, Cond, DivRemOp, ExtendOp, ExtractLane, FloatOp, FloatSignOp, FloatUnaryOp,
    FrameRegs, IntToFloat, Label, LaneSize, LoadKind, Masm, Operand, Segment, ShiftOp, StoreKind,
    V128Binary, V128LoadKind, V128Reduce, V128Shift, V128Ternary, V128Unary, Width,
};
use crate::{BaselineCode, CompileEnv, CompileError};
use numeric::{FloatRelation, MinMax};

/// Compiles one function (see [`crate::compile`]).
pub(crate) struct Codegen<'a> {
    m: Masm,
    func: &'a CompiledFunc,
    env: &'a CompileEnv,
    /// A label per bytecode index that is a branch target.
    labels: Vec<Option<Label>>,
    /// Bytecode indices of loop headers (targets of back-edges), in order.
    loop_headers: Vec<u32>,
    /// The on-stack-replacement tail jump (`frame.rs`).
    osr_exit: Label,
    /// The tier-up helper the hotness ticks call (`frame.rs`).
    hot_helper: Label,
    /// The call-reference helper imported and indirect calls go through (`calls.rs`).
    call_ref_helper: Label,
    /// The loop regions that pin slots to registers, in bytecode order (`pinning.rs`).
    regions: Vec<pinning::Region>,
    /// The region being compiled, an index into `regions`.
    region: Option<usize>,
    /// The function's type when it gets a native entry (`BaselineCode::native_entry`).
    native: Option<&'a FuncType>,
    /// Where the native entry's prologue joins the code-table entry's (`frame.rs`).
    body: Label,
    /// The native entry's code offset, once emitted (after the function entry's prologue).
    native_at: Option<u32>,
    /// How many slots the function's results take (from slot 0 on), which its returns read.
    result_slots: u32,
    /// The headers of the innermost loops (no other loop header inside), which start a cache
    /// line of the code (the runtime places the innermost loop's header, `hot_loop`, on a
    /// line of its own, so the code starts one too): a loop's speed then does not depend on
    /// where the code before it ended (a 1-cycle loop straddling a line ran 15% slower).
    /// By instruction index.
    aligned_headers: Vec<bool>,
    /// The instruction just compiled also compiled the next one (a pair, see
    /// `Codegen::shift_add_pair`): the next emits nothing.
    fused_next: bool,
}

impl<'a> Codegen<'a> {
    pub(crate) fn new(func: &'a CompiledFunc, env: &'a CompileEnv) -> Codegen<'a> {
        let mut m = Masm::new(env.cpu);
        m.set_entry_attention(env.epoch_interruption);
        m.set_counting(env.tier_up);
        let hot_helper = m.new_label();
        let osr_exit = m.new_label();
        let call_ref_helper = m.new_label();
        let mut labels = vec![None; func.code.len()];
        let mut loop_headers = Vec::new();
        // The last back-edge to each of `loop_headers`.
        let mut last_edges = Vec::new();
        for (i, instr) in func.code.iter().enumerate() {
            let mut mark = |target: usize, labels: &mut Vec<Option<Label>>| {
                if labels[target].is_none() {
                    labels[target] = Some(m.new_label());
                }
            };
            if let Some(offset) = instr.branch_offset() {
                let target = branch_target(i, offset);
                mark(target, &mut labels);
                if offset <= 0 {
                    match loop_headers.iter().position(|&h| h == target as u32) {
                        Some(k) => last_edges[k] = i,
                        None => {
                            loop_headers.push(target as u32);
                            last_edges.push(i);
                        }
                    }
                }
            }
            if let Instr::BrTable { len, .. } = *instr {
                for k in 0..=len as usize {
                    mark(i + 1 + k, &mut labels);
                }
            }
        }
        // A leaf: no loops and nothing that calls (integer and vector operations, loads and
        // stores, constants, copies, branches, returns and traps only).
        let leaf = loop_headers.is_empty()
            && func.code.iter().all(|instr| {
                let name = instr.opcode().name();
                deferred::defers_results(instr)
                    || name.starts_with("Br")
                    || name.starts_with("Return")
                    || name == "Trap"
            });
        m.set_leaf(leaf);
        let frame = FrameRegs {
            ticks: !loop_headers.is_empty(),
            memory: env.has_memory && func.code.iter().any(uses_memory_base),
        };
        m.set_frame(frame, func.defined.as_u32());
        let ty = env.func_type(func.func_index.as_u32());
        let native = (loop_headers.is_empty() && crate::fits_registers(ty)).then_some(ty);
        let body = m.new_label();
        let aligned_headers = innermost_loop_headers(func.code.len(), &loop_headers, &last_edges);
        Codegen {
            m,
            func,
            env,
            labels,
            loop_headers,
            osr_exit,
            hot_helper,
            call_ref_helper,
            regions: pinning::loop_regions(func, ty.params()),
            region: None,
            native,
            body,
            native_at: None,
            result_slots: ty.result_slots() as u32,
            aligned_headers,
            fused_next: false,
        }
    }

    pub(crate) fn finish(mut self) -> Result<BaselineCode, CompileError> {
        self.emit_prologue(true);
        let mut instr_offsets = Vec::with_capacity(self.func.code.len());
        let mut next_region = 0;
        for i in 0..self.func.code.len() {
            // Deferred result stores (see `defers_results`) are done before any other
            // instruction, label or region boundary.
            let defers = deferred::defers_results(&self.func.code[i]);
            let region_boundary = self.region.is_some_and(|k| !self.regions[k].contains(i))
                || self
                    .regions
                    .get(next_region)
                    .is_some_and(|r| r.header as usize == i);
            // A return does the deferred stores of the results only (`Codegen::ret`).
            let returns = self.func.code[i].opcode().name().starts_with("Return");
            if (!defers && !returns) || self.labels[i].is_some() || region_boundary {
                for result in self.m.deferred_results() {
                    if (result.slot..result.slot + result.span).all(|slot| self.dead_at(i, slot)) {
                        self.m.discard_deferred(&result);
                    }
                }
                // A register call's arguments may stay deferred: it takes them from their
                // registers (and its slot path stores them).
                match self.register_call_args(i) {
                    Some((first, end)) if self.labels[i].is_none() && !region_boundary => {
                        self.m.flush_deferred_outside(first, end);
                    }
                    _ => self.m.flush_deferred(),
                }
            }
            self.enter_or_leave_region(i, &mut next_region);
            if let Some(label) = self.labels[i] {
                if self.aligned_headers[i] {
                    self.m.align_code(CACHE_LINE);
                }
                self.m.bind_branch_target(label);
            }
            instr_offsets.push(self.m.offset());
            self.m.set_deferring(defers);
            if defers {
                self.drop_half_dead_v128s(i);
            }
            if self.region.is_some() {
                self.skip_dead_pin_stores(i);
            }
            if self.fused_next {
                // The second instruction of a pair the first one compiled.
                self.fused_next = false;
            } else {
                self.emit(i)?;
            }
        }
        self.m.set_deferring(false);
        self.m.flush_deferred();
        if self.region.take().is_some() {
            self.m.leave_region();
        }
        let body_end = self.m.offset();
        self.emit_osr_exit();
        self.emit_hot_helper();
        self.emit_call_ref_helper();
        let osr_entries = self.emit_osr_entries();
        let native_entry = self.native_at;
        let hot_loop = self.innermost_loop_header(&instr_offsets, body_end);
        let (code, data_offset, traps) = self
            .m
            .finish()
            .map_err(|e| CompileError(format!("assembling: {e}")))?;
        Ok(BaselineCode {
            code,
            data_offset,
            traps,
            osr_entries,
            instr_offsets,
            body_end,
            hot_loop,
            native_entry,
        })
    }

    /// Whether `slot` is dead at bytecode index `at` (see [`deferred::dead_at`]).
    fn dead_at(&self, at: usize, slot: u32) -> bool {
        let env = self.env;
        let callee_params = |instr: &Instr| match *instr {
            Instr::Call { func, .. } => Some(env.func_type(func).param_slots() as u32),
            Instr::CallIndirect { type_index, .. } => env
                .types
                .get(type_index as usize)
                .map(|ty| ty.param_slots() as u32),
            _ => None,
        };
        deferred::dead_at(&self.func.code, self.result_slots, &callee_params, at, slot)
    }

    /// Before a call (instruction `i`) in a pinned region: the dirty pins whose values are dead
    /// after the call need not be stored (the call clobbers their registers anyway).
    fn skip_dead_pin_stores(&mut self, i: usize) {
        let (args, next) = match self.func.code[i] {
            Instr::Call { args, .. } => (args, 1),
            Instr::CallIndirect { args, .. } => (args, 2),
            _ => return,
        };
        let dead: Vec<u32> = self
            .m
            .dirty_pins()
            .into_iter()
            .filter(|&(slot, span)| {
                slot + span <= args && (slot..slot + span).all(|s| self.dead_at(i + next, s))
            })
            .map(|(slot, _)| slot)
            .collect();
        if !dead.is_empty() {
            self.m.skip_dead_pin_stores(&dead);
        }
    }

    /// Lets instruction `i` drop the deferred `v128` results it overwrites only in part when
    /// it does not read them and their other part is dead after it (a `v128` temporary
    /// whose lower slot the next scalar of a stack machine takes), instead of storing them.
    fn drop_half_dead_v128s(&mut self, i: usize) {
        let instr = &self.func.code[i];
        let Some((dst, span)) = deferred::written_slots(instr) else {
            return;
        };
        if matches!(self.func.code.get(i + 1), Some(Instr::Extra { .. })) {
            // Operands in the `Extra` are not modeled.
            return;
        }
        for result in self.m.deferred_results() {
            let (first, end) = (result.slot, result.slot + result.span);
            let overlaps = first < dst + span && dst < end;
            let covers = dst <= first && end <= dst + span;
            if result.span != 2 || !overlaps || covers {
                continue;
            }
            let mut read = false;
            deferred::for_each_slot_read(instr, &mut |s| read |= (first..end).contains(&s));
            if read {
                continue;
            }
            let rest_dead = (first..end)
                .filter(|s| !(dst..dst + span).contains(s))
                .all(|s| self.dead_at(i + 1, s));
            if rest_dead {
                self.m.drop_when_half_overwritten(&result);
            }
        }
    }

    /// The argument slots `first..end` of instruction `i` when it is a call that passes its
    /// arguments in registers whenever the callee has a native entry (see `calls.rs`).
    fn register_call_args(&self, i: usize) -> Option<(u32, u32)> {
        let (ty, args) = match self.func.code[i] {
            Instr::Call { func, args } => {
                let defined = func >= self.env.num_imported_funcs;
                if defined && self.env.native_entries == 0 {
                    return None;
                }
                (self.env.func_type(func), args)
            }
            Instr::CallIndirect {
                type_index, args, ..
            } => (&self.env.types[type_index as usize], args),
            _ => return None,
        };
        crate::fits_registers(ty).then(|| (args, args + ty.param_slots() as u32))
    }

    /// The code offset of the header of the innermost loop: the target of the back-edge
    /// (a branch to itself or an earlier instruction) whose code spans the fewest bytes, the
    /// first such on a tie.
    fn innermost_loop_header(&self, instr_offsets: &[u32], body_end: u32) -> Option<u32> {
        let end_of = |i: usize| instr_offsets.get(i + 1).copied().unwrap_or(body_end);
        self.func
            .code
            .iter()
            .enumerate()
            .filter_map(|(i, instr)| {
                let offset = instr.branch_offset().filter(|&o| o <= 0)?;
                let header = instr_offsets[branch_target(i, offset)];
                Some((end_of(i).saturating_sub(header), header))
            })
            .min()
            .map(|(_, header)| header)
    }

    /// Before instruction `i` (and its label): ends the current pinned region after its
    /// last instruction, starts the one whose header `i` is, and establishes the pins where
    /// control falls through into a label of the region (every other edge establishes them
    /// before its jump, see [`Codegen::before_edge_to`]).
    fn enter_or_leave_region(&mut self, i: usize, next_region: &mut usize) {
        if let Some(k) = self.region
            && !self.regions[k].contains(i)
        {
            self.region = None;
            self.m.leave_region();
        }
        if let Some(region) = self.regions.get(*next_region)
            && region.header as usize == i
        {
            self.m
                .enter_region(&region.slots, &region.v128_slots, &region.read_only);
            self.region = Some(*next_region);
            *next_region += 1;
        }
        if self.region.is_some() && self.labels[i].is_some() && !self.m.ends_in_jump() {
            self.m.restore_pins();
        }
    }

    /// Before a jump from the current instruction to bytecode index `target`: establishes the
    /// pins when the target is in the current pinned region, or does the deferred stores and
    /// puts the countdown back in memory when the jump leaves the region.
    fn before_edge_to(&mut self, target: usize) {
        if let Some(k) = self.region {
            if self.regions[k].contains(target) {
                self.m.restore_pins();
            } else {
                self.m.flush_region();
            }
        }
    }

    /// Whether a jump from bytecode index `from` to `to` stays where it is with respect to
    /// the current pinned region (both in it, or there is none), so it needs no edge code.
    fn same_region(&self, from: usize, to: usize) -> bool {
        match self.region {
            Some(k) => self.regions[k].contains(from) && self.regions[k].contains(to),
            None => true,
        }
    }

    /// Whether a jump to bytecode index `target` leaves the current pinned region.
    fn leaves_region(&self, target: usize) -> bool {
        self.region
            .is_some_and(|k| !self.regions[k].contains(target))
    }

    /// Whether bytecode index `header` is the header of the current pinned region.
    fn is_own_header(&self, header: u32) -> bool {
        self.region
            .is_some_and(|k| self.regions[k].header == header)
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
        use LaneSize::{L8, L16, L32, L64};
        use Operand::{Imm, Slot};
        use Width::{W32, W64};
        use {V128Binary as B, V128Reduce as R, V128Shift as S, V128Ternary as T, V128Unary as U};
        let instr = self.func.code[i];
        match instr {
            // ---- control (control.rs) ----
            Instr::Trap { code } => self.trap(code),
            Instr::ConsumeFuel { amount } => self.m.consume_fuel(amount),
            // (`BrLoad8UBrTable…`: the interpreter also runs the loop header's first two
            // instructions; here they run at the header as usual.)
            Instr::Br { offset } | Instr::BrLoad8UBrTable { offset } | Instr::BrLoad8UBrTableAcc { offset } => self.branch(i, None, offset),
            // (`IncBrLoad8UBrTable`: the interpreter also runs the loop header's first two
            // instructions; here they run at the header as usual.)
            Instr::IncBr { step, lhs, offset } | Instr::IncBrLoad8UBrTable { step, lhs, offset } => {
                self.int_binary(AluOp::Add, W32, lhs, lhs, Imm(i32::from(step)));
                self.branch(i, None, offset)
            }
            Instr::BrIfNez { src, offset } | Instr::BrIfNezAcc { src, offset } => self.branch_if(i, W32, src, Imm(0), Ne, offset),
            Instr::BrIfEqz { src, offset } | Instr::BrIfEqzAcc { src, offset } => self.branch_if(i, W32, src, Imm(0), Eq, offset),
            Instr::BrIfI32Eq { lhs, rhs, offset } | Instr::BrIfI32EqAcc { lhs, rhs, offset } => self.branch_if(i, W32, lhs, Slot(rhs), Eq, offset),
            Instr::BrIfI32Ne { lhs, rhs, offset } | Instr::BrIfI32NeAcc { lhs, rhs, offset } => self.branch_if(i, W32, lhs, Slot(rhs), Ne, offset),
            Instr::BrIfI32LtS { lhs, rhs, offset } | Instr::BrIfI32LtSAcc { lhs, rhs, offset } => self.branch_if(i, W32, lhs, Slot(rhs), LtS, offset),
            Instr::BrIfI32LtU { lhs, rhs, offset } | Instr::BrIfI32LtUAcc { lhs, rhs, offset } => self.branch_if(i, W32, lhs, Slot(rhs), LtU, offset),
            Instr::BrIfI32GtS { lhs, rhs, offset } | Instr::BrIfI32GtSAcc { lhs, rhs, offset } => self.branch_if(i, W32, lhs, Slot(rhs), GtS, offset),
            Instr::BrIfI32GtU { lhs, rhs, offset } | Instr::BrIfI32GtUAcc { lhs, rhs, offset } => self.branch_if(i, W32, lhs, Slot(rhs), GtU, offset),
            Instr::BrIfI32LeS { lhs, rhs, offset } | Instr::BrIfI32LeSAcc { lhs, rhs, offset } => self.branch_if(i, W32, lhs, Slot(rhs), LeS, offset),
            Instr::BrIfI32LeU { lhs, rhs, offset } | Instr::BrIfI32LeUAcc { lhs, rhs, offset } => self.branch_if(i, W32, lhs, Slot(rhs), LeU, offset),
            Instr::BrIfI32GeS { lhs, rhs, offset } | Instr::BrIfI32GeSAcc { lhs, rhs, offset } => self.branch_if(i, W32, lhs, Slot(rhs), GeS, offset),
            Instr::BrIfI32GeU { lhs, rhs, offset } | Instr::BrIfI32GeUAcc { lhs, rhs, offset } => self.branch_if(i, W32, lhs, Slot(rhs), GeU, offset),
            Instr::BrIfI32EqImm { lhs, imm, offset } | Instr::BrIfI32EqImmAcc { lhs, imm, offset } => self.branch_if(i, W32, lhs, Imm(imm), Eq, offset),
            Instr::BrIfI32NeImm { lhs, imm, offset } | Instr::BrIfI32NeImmAcc { lhs, imm, offset } => self.branch_if(i, W32, lhs, Imm(imm), Ne, offset),
            Instr::BrIfI32LtSImm { lhs, imm, offset } | Instr::BrIfI32LtSImmAcc { lhs, imm, offset } => self.branch_if(i, W32, lhs, Imm(imm), LtS, offset),
            Instr::BrIfI32LtUImm { lhs, imm, offset } | Instr::BrIfI32LtUImmAcc { lhs, imm, offset } => self.branch_if(i, W32, lhs, Imm(imm), LtU, offset),
            Instr::BrIfI32GtSImm { lhs, imm, offset } | Instr::BrIfI32GtSImmAcc { lhs, imm, offset } => self.branch_if(i, W32, lhs, Imm(imm), GtS, offset),
            Instr::BrIfI32GtUImm { lhs, imm, offset } | Instr::BrIfI32GtUImmAcc { lhs, imm, offset } => self.branch_if(i, W32, lhs, Imm(imm), GtU, offset),
            Instr::BrIfI32LeSImm { lhs, imm, offset } | Instr::BrIfI32LeSImmAcc { lhs, imm, offset } => self.branch_if(i, W32, lhs, Imm(imm), LeS, offset),
            Instr::BrIfI32LeUImm { lhs, imm, offset } | Instr::BrIfI32LeUImmAcc { lhs, imm, offset } => self.branch_if(i, W32, lhs, Imm(imm), LeU, offset),
            Instr::BrIfI32GeSImm { lhs, imm, offset } | Instr::BrIfI32GeSImmAcc { lhs, imm, offset } => self.branch_if(i, W32, lhs, Imm(imm), GeS, offset),
            Instr::BrIfI32GeUImm { lhs, imm, offset } | Instr::BrIfI32GeUImmAcc { lhs, imm, offset } => self.branch_if(i, W32, lhs, Imm(imm), GeU, offset),
            Instr::BrIfI64Eq { lhs, rhs, offset } | Instr::BrIfI64EqAcc { lhs, rhs, offset } => self.branch_if(i, W64, lhs, Slot(rhs), Eq, offset),
            Instr::BrIfI64Ne { lhs, rhs, offset } | Instr::BrIfI64NeAcc { lhs, rhs, offset } => self.branch_if(i, W64, lhs, Slot(rhs), Ne, offset),
            Instr::BrIfI64LtS { lhs, rhs, offset } | Instr::BrIfI64LtSAcc { lhs, rhs, offset } => self.branch_if(i, W64, lhs, Slot(rhs), LtS, offset),
            Instr::BrIfI64LtU { lhs, rhs, offset } | Instr::BrIfI64LtUAcc { lhs, rhs, offset } => self.branch_if(i, W64, lhs, Slot(rhs), LtU, offset),
            Instr::BrIfI64GtS { lhs, rhs, offset } | Instr::BrIfI64GtSAcc { lhs, rhs, offset } => self.branch_if(i, W64, lhs, Slot(rhs), GtS, offset),
            Instr::BrIfI64GtU { lhs, rhs, offset } | Instr::BrIfI64GtUAcc { lhs, rhs, offset } => self.branch_if(i, W64, lhs, Slot(rhs), GtU, offset),
            Instr::BrIfI64LeS { lhs, rhs, offset } | Instr::BrIfI64LeSAcc { lhs, rhs, offset } => self.branch_if(i, W64, lhs, Slot(rhs), LeS, offset),
            Instr::BrIfI64LeU { lhs, rhs, offset } | Instr::BrIfI64LeUAcc { lhs, rhs, offset } => self.branch_if(i, W64, lhs, Slot(rhs), LeU, offset),
            Instr::BrIfI64GeS { lhs, rhs, offset } | Instr::BrIfI64GeSAcc { lhs, rhs, offset } => self.branch_if(i, W64, lhs, Slot(rhs), GeS, offset),
            Instr::BrIfI64GeU { lhs, rhs, offset } | Instr::BrIfI64GeUAcc { lhs, rhs, offset } => self.branch_if(i, W64, lhs, Slot(rhs), GeU, offset),
            Instr::IncBrIfI32Eq { step, lhs, rhs, offset } => self.increment_branch_if(i, Imm(step.into()), lhs, Slot(rhs), Eq, offset),
            Instr::IncBrIfI32Ne { step, lhs, rhs, offset } => self.increment_branch_if(i, Imm(step.into()), lhs, Slot(rhs), Ne, offset),
            Instr::IncBrIfI32LtS { step, lhs, rhs, offset } => self.increment_branch_if(i, Imm(step.into()), lhs, Slot(rhs), LtS, offset),
            Instr::IncBrIfI32LtU { step, lhs, rhs, offset } => self.increment_branch_if(i, Imm(step.into()), lhs, Slot(rhs), LtU, offset),
            Instr::IncBrIfI32GtS { step, lhs, rhs, offset } => self.increment_branch_if(i, Imm(step.into()), lhs, Slot(rhs), GtS, offset),
            Instr::IncBrIfI32GtU { step, lhs, rhs, offset } => self.increment_branch_if(i, Imm(step.into()), lhs, Slot(rhs), GtU, offset),
            Instr::IncBrIfI32LeS { step, lhs, rhs, offset } => self.increment_branch_if(i, Imm(step.into()), lhs, Slot(rhs), LeS, offset),
            Instr::IncBrIfI32LeU { step, lhs, rhs, offset } => self.increment_branch_if(i, Imm(step.into()), lhs, Slot(rhs), LeU, offset),
            Instr::IncBrIfI32GeS { step, lhs, rhs, offset } => self.increment_branch_if(i, Imm(step.into()), lhs, Slot(rhs), GeS, offset),
            Instr::IncBrIfI32GeU { step, lhs, rhs, offset } => self.increment_branch_if(i, Imm(step.into()), lhs, Slot(rhs), GeU, offset),
            Instr::IncBrIfI32EqImm { step, lhs, imm, offset } => self.increment_branch_if(i, Imm(step.into()), lhs, Imm(imm), Eq, offset),
            Instr::IncBrIfI32NeImm { step, lhs, imm, offset } => self.increment_branch_if(i, Imm(step.into()), lhs, Imm(imm), Ne, offset),
            Instr::IncBrIfI32LtSImm { step, lhs, imm, offset } => self.increment_branch_if(i, Imm(step.into()), lhs, Imm(imm), LtS, offset),
            Instr::IncBrIfI32LtUImm { step, lhs, imm, offset } => self.increment_branch_if(i, Imm(step.into()), lhs, Imm(imm), LtU, offset),
            Instr::IncBrIfI32GtSImm { step, lhs, imm, offset } => self.increment_branch_if(i, Imm(step.into()), lhs, Imm(imm), GtS, offset),
            Instr::IncBrIfI32GtUImm { step, lhs, imm, offset } => self.increment_branch_if(i, Imm(step.into()), lhs, Imm(imm), GtU, offset),
            Instr::IncBrIfI32LeSImm { step, lhs, imm, offset } => self.increment_branch_if(i, Imm(step.into()), lhs, Imm(imm), LeS, offset),
            Instr::IncBrIfI32LeUImm { step, lhs, imm, offset } => self.increment_branch_if(i, Imm(step.into()), lhs, Imm(imm), LeU, offset),
            Instr::IncBrIfI32GeSImm { step, lhs, imm, offset } => self.increment_branch_if(i, Imm(step.into()), lhs, Imm(imm), GeS, offset),
            Instr::IncBrIfI32GeUImm { step, lhs, imm, offset } => self.increment_branch_if(i, Imm(step.into()), lhs, Imm(imm), GeU, offset),
            Instr::AddBrIfI32Ne { by, lhs, rhs, offset } => self.increment_branch_if(i, Slot(by.into()), lhs, Slot(rhs), Ne, offset),
            Instr::AddBrIfI32LtS { by, lhs, rhs, offset } => self.increment_branch_if(i, Slot(by.into()), lhs, Slot(rhs), LtS, offset),
            Instr::AddBrIfI32LtU { by, lhs, rhs, offset } => self.increment_branch_if(i, Slot(by.into()), lhs, Slot(rhs), LtU, offset),
            Instr::AddBrIfI32NeImm { by, lhs, imm, offset } => self.increment_branch_if(i, Slot(by.into()), lhs, Imm(imm), Ne, offset),
            Instr::AddBrIfI32LtSImm { by, lhs, imm, offset } => self.increment_branch_if(i, Slot(by.into()), lhs, Imm(imm), LtS, offset),
            Instr::AddBrIfI32LtUImm { by, lhs, imm, offset } => self.increment_branch_if(i, Slot(by.into()), lhs, Imm(imm), LtU, offset),
            Instr::BrTable { index, len } => self.br_table(i, index, len),
            Instr::Return {} => self.ret(),
            Instr::ReturnSlot { src } => self.return_slot(src),
            Instr::ReturnImm { value } => self.return_imm(value),
            // `(fp[0], fp[1]) = (lo, hi)`, then return: the high copy first when the low
            // one would overwrite its source (never a swap, the translator's promise).
            Instr::Return2 { lo, hi } => {
                // Each is copied once from its register (when cached) and every slot but the
                // two results dies: their own deferred stores are never due. (A slot copied
                // twice is read again after its register moved to a result: stored.)
                if lo != hi {
                    self.m.skip_deferred_store(lo);
                    self.m.skip_deferred_store(hi);
                }
                if hi == 0 {
                    self.copy(1, hi);
                    self.copy(0, lo);
                } else {
                    self.copy(0, lo);
                    self.copy(1, hi);
                }
                self.ret()
            }
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
            // The interpreter's pair fusions: the first instruction as its plain form (the
            // second follows as usual).
            Instr::I32ShlImmAdd { dst, lhs, imm }
            | Instr::I32ShlImmAddAcc { dst, lhs, imm }
            | Instr::I32ShlImmAddPrev { dst, lhs, imm } => self.shift_add_pair(i, dst, lhs, imm),
            Instr::I32ShlImmXor { dst, lhs, imm }
            | Instr::I32ShlImmXorAcc { dst, lhs, imm }
            | Instr::I32ShlImmXorSelf { dst, lhs, imm }
            | Instr::I32ShlImmXorAccSelf { dst, lhs, imm } => {
                self.int_shift(ShiftOp::Shl, W32, dst, lhs, Imm(imm))
            }
            Instr::I32ShrUImmXor { dst, lhs, imm }
            | Instr::I32ShrUImmXorAcc { dst, lhs, imm }
            | Instr::I32ShrUImmXorSelf { dst, lhs, imm }
            | Instr::I32ShrUImmXorAccSelf { dst, lhs, imm } => {
                self.int_shift(ShiftOp::ShrU, W32, dst, lhs, Imm(imm))
            }
            Instr::I32MulAdd { dst, lhs, rhs }
            | Instr::I32MulAddAcc { dst, lhs, rhs }
            | Instr::I32MulAddPrev { dst, lhs, rhs } => {
                self.int_binary(AluOp::Mul, W32, dst, lhs, Slot(rhs))
            }
            // A parallel copy of two neighbouring slots: the high one first when it is
            // what the low one would overwrite.
            Instr::Copy2 { dst, src } if dst == src.wrapping_add(1) => {
                self.copy(dst + 1, src + 1);
                self.copy(dst, src);
            }
            Instr::Copy2 { dst, src } => {
                self.copy(dst, src);
                self.copy(dst + 1, src + 1);
            }
            Instr::Const32 { dst, value } => self.const32(i, dst, value),
            Instr::Const64 { dst, value } => self.constant(dst, value),
            Instr::Select { dst, a, b } => {
                let (cond, _, _) = self.extra(i);
                self.select(dst, a, b, cond);
            }

            // ---- memory, globals, tables (memory.rs) ----
            Instr::GlobalGet { dst, global } => self.global_get(dst, global),
            Instr::GlobalSet { global, src } => self.global_set(global, src),
            Instr::I32Load { dst, addr, offset } | Instr::I32LoadAcc { dst, addr, offset } | Instr::I32LoadPair { dst, addr, offset } | Instr::I32LoadPairMulAdd { dst, addr, offset } | Instr::I32LoadAdd { dst, addr, offset }
            | Instr::F32Load { dst, addr, offset } | Instr::F32LoadAcc { dst, addr, offset }
            | Instr::I64Load32U { dst, addr, offset } => self.load(LoadKind::U32, dst, addr, offset),
            Instr::I64Load { dst, addr, offset } | Instr::I64LoadAcc { dst, addr, offset } | Instr::F64Load { dst, addr, offset } | Instr::F64LoadAcc { dst, addr, offset } => {
                self.load(LoadKind::U64, dst, addr, offset)
            }
            Instr::I32Load8S { dst, addr, offset } | Instr::I32Load8SAcc { dst, addr, offset } => self.load(LoadKind::S8ToI32, dst, addr, offset),
            // (`I32Load8UBrTable`: the interpreter's fusion with the `BrTable` after it.)
            Instr::I32Load8U { dst, addr, offset } | Instr::I32Load8UAcc { dst, addr, offset } | Instr::I32Load8UBrTable { dst, addr, offset } | Instr::I32Load8UAdd { dst, addr, offset } | Instr::I64Load8U { dst, addr, offset } => {
                self.load(LoadKind::U8, dst, addr, offset)
            }
            Instr::I32Load16S { dst, addr, offset } | Instr::I32Load16SAcc { dst, addr, offset } => self.load(LoadKind::S16ToI32, dst, addr, offset),
            Instr::I32Load16U { dst, addr, offset } | Instr::I32Load16UAcc { dst, addr, offset } | Instr::I64Load16U { dst, addr, offset } => {
                self.load(LoadKind::U16, dst, addr, offset)
            }
            Instr::I32Load8UDisp { dst, addr, disp } => self.load_displaced(LoadKind::U8, dst, addr, disp),
            Instr::I32Load16UDisp { dst, addr, disp } => self.load_displaced(LoadKind::U16, dst, addr, disp),
            Instr::I32LoadDisp { dst, addr, disp } => self.load_displaced(LoadKind::U32, dst, addr, disp),
            Instr::I64Load8S { dst, addr, offset } => self.load(LoadKind::S8ToI64, dst, addr, offset),
            Instr::I64Load16S { dst, addr, offset } => self.load(LoadKind::S16ToI64, dst, addr, offset),
            Instr::I64Load32S { dst, addr, offset } => self.load(LoadKind::S32ToI64, dst, addr, offset),
            Instr::I32Store { addr, src, offset } | Instr::I32StoreAddrAcc { addr, src, offset } | Instr::I32StoreAcc { addr, src, offset } => self.store(StoreKind::I32, addr, Slot(src), offset),
            Instr::I64Store { addr, src, offset } | Instr::I64StoreAddrAcc { addr, src, offset } | Instr::I64StoreAcc { addr, src, offset } => self.store(StoreKind::I64, addr, Slot(src), offset),
            Instr::Store8 { addr, src, offset } | Instr::Store8AddrAcc { addr, src, offset } | Instr::Store8Acc { addr, src, offset } => self.store(StoreKind::I8, addr, Slot(src), offset),
            Instr::Store16 { addr, src, offset } | Instr::Store16AddrAcc { addr, src, offset } | Instr::Store16Acc { addr, src, offset } => self.store(StoreKind::I16, addr, Slot(src), offset),
            Instr::I32StoreImm { addr, imm, offset } | Instr::I32StoreImmAddrAcc { addr, imm, offset } => self.store(StoreKind::I32, addr, Imm(imm), offset),
            Instr::I64StoreImm { addr, imm, offset } | Instr::I64StoreImmAddrAcc { addr, imm, offset } => self.store(StoreKind::I64, addr, Imm(imm), offset),
            Instr::Store8Imm { addr, imm, offset } | Instr::Store8ImmAddrAcc { addr, imm, offset } => self.store(StoreKind::I8, addr, Imm(imm), offset),
            Instr::Store16Imm { addr, imm, offset } | Instr::Store16ImmAddrAcc { addr, imm, offset } => self.store(StoreKind::I16, addr, Imm(imm), offset),
            Instr::UseMemory { memory } => self.use_memory(memory),
            Instr::MemorySize { dst, memory } => self.memory_size(dst, memory),
            Instr::MemoryGrow { dst, delta, memory } => self.memory_grow(dst, delta, memory),
            Instr::MemoryFill { addr, value, len } => {
                let (memory, _, _) = self.extra(i);
                self.memory_fill(memory, addr, value, len);
            }
            Instr::MemoryCopy { to, from, len } => {
                let (to_memory, from_memory, _) = self.extra(i);
                self.memory_copy(to_memory, from_memory, to, from, len);
            }
            Instr::MemoryInit { to, from, len } => {
                let (segment, memory, _) = self.extra(i);
                self.memory_init(memory, segment, to, from, len);
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
            Instr::I32Add { dst, lhs, rhs } | Instr::I32AddAcc { dst, lhs, rhs } => self.int_binary(AluOp::Add, W32, dst, lhs, Slot(rhs)),
            Instr::I32Sub { dst, lhs, rhs } | Instr::I32SubAcc { dst, lhs, rhs } => self.int_binary(AluOp::Sub, W32, dst, lhs, Slot(rhs)),
            Instr::I32Mul { dst, lhs, rhs } | Instr::I32MulAcc { dst, lhs, rhs } => self.int_binary(AluOp::Mul, W32, dst, lhs, Slot(rhs)),
            Instr::I32And { dst, lhs, rhs } | Instr::I32AndAcc { dst, lhs, rhs } => self.int_binary(AluOp::And, W32, dst, lhs, Slot(rhs)),
            Instr::I32Or { dst, lhs, rhs } | Instr::I32OrAcc { dst, lhs, rhs } => self.int_binary(AluOp::Or, W32, dst, lhs, Slot(rhs)),
            Instr::I32Xor { dst, lhs, rhs } | Instr::I32XorAcc { dst, lhs, rhs } | Instr::I32XorAdd { dst, lhs, rhs } | Instr::I32XorAddAcc { dst, lhs, rhs } | Instr::I32XorAddPrev { dst, lhs, rhs } => self.int_binary(AluOp::Xor, W32, dst, lhs, Slot(rhs)),
            Instr::I32AddImm { dst, lhs, imm } | Instr::I32AddImmAcc { dst, lhs, imm } => self.int_binary(AluOp::Add, W32, dst, lhs, Imm(imm)),
            Instr::I32SubImm { dst, lhs, imm } | Instr::I32SubImmAcc { dst, lhs, imm } => self.int_binary(AluOp::Sub, W32, dst, lhs, Imm(imm)),
            Instr::I32MulImm { dst, lhs, imm } | Instr::I32MulImmAcc { dst, lhs, imm } => self.int_binary(AluOp::Mul, W32, dst, lhs, Imm(imm)),
            Instr::I32AndImm { dst, lhs, imm } | Instr::I32AndImmAcc { dst, lhs, imm } => self.int_binary(AluOp::And, W32, dst, lhs, Imm(imm)),
            Instr::I32OrImm { dst, lhs, imm } | Instr::I32OrImmAcc { dst, lhs, imm } => self.int_binary(AluOp::Or, W32, dst, lhs, Imm(imm)),
            Instr::I32XorImm { dst, lhs, imm } | Instr::I32XorImmAcc { dst, lhs, imm } => self.int_binary(AluOp::Xor, W32, dst, lhs, Imm(imm)),
            Instr::I64Add { dst, lhs, rhs } | Instr::I64AddAcc { dst, lhs, rhs } => self.int_binary(AluOp::Add, W64, dst, lhs, Slot(rhs)),
            Instr::I64Sub { dst, lhs, rhs } | Instr::I64SubAcc { dst, lhs, rhs } => self.int_binary(AluOp::Sub, W64, dst, lhs, Slot(rhs)),
            Instr::I64Mul { dst, lhs, rhs } | Instr::I64MulAcc { dst, lhs, rhs } => self.int_binary(AluOp::Mul, W64, dst, lhs, Slot(rhs)),
            Instr::I64And { dst, lhs, rhs } | Instr::I64AndAcc { dst, lhs, rhs } => self.int_binary(AluOp::And, W64, dst, lhs, Slot(rhs)),
            Instr::I64Or { dst, lhs, rhs } | Instr::I64OrAcc { dst, lhs, rhs } => self.int_binary(AluOp::Or, W64, dst, lhs, Slot(rhs)),
            Instr::I64Xor { dst, lhs, rhs } | Instr::I64XorAcc { dst, lhs, rhs } => self.int_binary(AluOp::Xor, W64, dst, lhs, Slot(rhs)),
            Instr::I64AddImm { dst, lhs, imm } | Instr::I64AddImmAcc { dst, lhs, imm } => self.int_binary(AluOp::Add, W64, dst, lhs, Imm(imm)),
            Instr::I64SubImm { dst, lhs, imm } | Instr::I64SubImmAcc { dst, lhs, imm } => self.int_binary(AluOp::Sub, W64, dst, lhs, Imm(imm)),
            Instr::I64MulImm { dst, lhs, imm } | Instr::I64MulImmAcc { dst, lhs, imm } => self.int_binary(AluOp::Mul, W64, dst, lhs, Imm(imm)),
            Instr::I64AndImm { dst, lhs, imm } | Instr::I64AndImmAcc { dst, lhs, imm } => self.int_binary(AluOp::And, W64, dst, lhs, Imm(imm)),
            Instr::I64OrImm { dst, lhs, imm } | Instr::I64OrImmAcc { dst, lhs, imm } => self.int_binary(AluOp::Or, W64, dst, lhs, Imm(imm)),
            Instr::I64XorImm { dst, lhs, imm } | Instr::I64XorImmAcc { dst, lhs, imm } => self.int_binary(AluOp::Xor, W64, dst, lhs, Imm(imm)),

            Instr::I32Shl { dst, lhs, rhs } | Instr::I32ShlAcc { dst, lhs, rhs } => self.int_shift(ShiftOp::Shl, W32, dst, lhs, Slot(rhs)),
            Instr::I32ShrS { dst, lhs, rhs } | Instr::I32ShrSAcc { dst, lhs, rhs } => self.int_shift(ShiftOp::ShrS, W32, dst, lhs, Slot(rhs)),
            Instr::I32ShrU { dst, lhs, rhs } | Instr::I32ShrUAcc { dst, lhs, rhs } => self.int_shift(ShiftOp::ShrU, W32, dst, lhs, Slot(rhs)),
            Instr::I32Rotl { dst, lhs, rhs } => self.int_shift(ShiftOp::Rotl, W32, dst, lhs, Slot(rhs)),
            Instr::I32Rotr { dst, lhs, rhs } => self.int_shift(ShiftOp::Rotr, W32, dst, lhs, Slot(rhs)),
            Instr::I32ShlImm { dst, lhs, imm } | Instr::I32ShlImmAcc { dst, lhs, imm } => self.int_shift(ShiftOp::Shl, W32, dst, lhs, Imm(imm)),
            Instr::I32ShrSImm { dst, lhs, imm } | Instr::I32ShrSImmAcc { dst, lhs, imm } => self.int_shift(ShiftOp::ShrS, W32, dst, lhs, Imm(imm)),
            Instr::I32ShrUImm { dst, lhs, imm } | Instr::I32ShrUImmAcc { dst, lhs, imm } => self.int_shift(ShiftOp::ShrU, W32, dst, lhs, Imm(imm)),
            Instr::I32RotlImm { dst, lhs, imm } => self.int_shift(ShiftOp::Rotl, W32, dst, lhs, Imm(imm)),
            Instr::I32RotrImm { dst, lhs, imm } => self.int_shift(ShiftOp::Rotr, W32, dst, lhs, Imm(imm)),
            Instr::I64Shl { dst, lhs, rhs } | Instr::I64ShlAcc { dst, lhs, rhs } => self.int_shift(ShiftOp::Shl, W64, dst, lhs, Slot(rhs)),
            Instr::I64ShrS { dst, lhs, rhs } | Instr::I64ShrSAcc { dst, lhs, rhs } => self.int_shift(ShiftOp::ShrS, W64, dst, lhs, Slot(rhs)),
            Instr::I64ShrU { dst, lhs, rhs } | Instr::I64ShrUAcc { dst, lhs, rhs } => self.int_shift(ShiftOp::ShrU, W64, dst, lhs, Slot(rhs)),
            Instr::I64Rotl { dst, lhs, rhs } => self.int_shift(ShiftOp::Rotl, W64, dst, lhs, Slot(rhs)),
            Instr::I64Rotr { dst, lhs, rhs } => self.int_shift(ShiftOp::Rotr, W64, dst, lhs, Slot(rhs)),
            Instr::I64ShlImm { dst, lhs, imm } | Instr::I64ShlImmAcc { dst, lhs, imm } => self.int_shift(ShiftOp::Shl, W64, dst, lhs, Imm(imm)),
            Instr::I64ShrSImm { dst, lhs, imm } | Instr::I64ShrSImmAcc { dst, lhs, imm } => self.int_shift(ShiftOp::ShrS, W64, dst, lhs, Imm(imm)),
            Instr::I64ShrUImm { dst, lhs, imm } | Instr::I64ShrUImmAcc { dst, lhs, imm } => self.int_shift(ShiftOp::ShrU, W64, dst, lhs, Imm(imm)),
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
            // ---- v128 (simd.rs) ----
            Instr::Copy128 { dst, src } => self.v128_copy(dst, src),
            Instr::Select128 { dst, a, b } => self.v128_select(i, dst, a, b),
            Instr::GlobalGet128 { dst, global } => self.v128_global_get(dst, global),
            Instr::GlobalSet128 { global, src } => self.v128_global_set(global, src),
            Instr::V128Load { dst, addr, offset } => self.v128_load(V128LoadKind::V128, dst, addr, offset),
            Instr::V128Load8x8S { dst, addr, offset } => self.v128_load(V128LoadKind::Extend8x8S, dst, addr, offset),
            Instr::V128Load8x8U { dst, addr, offset } => self.v128_load(V128LoadKind::Extend8x8U, dst, addr, offset),
            Instr::V128Load16x4S { dst, addr, offset } => self.v128_load(V128LoadKind::Extend16x4S, dst, addr, offset),
            Instr::V128Load16x4U { dst, addr, offset } => self.v128_load(V128LoadKind::Extend16x4U, dst, addr, offset),
            Instr::V128Load32x2S { dst, addr, offset } => self.v128_load(V128LoadKind::Extend32x2S, dst, addr, offset),
            Instr::V128Load32x2U { dst, addr, offset } => self.v128_load(V128LoadKind::Extend32x2U, dst, addr, offset),
            Instr::V128Load8Splat { dst, addr, offset } => self.v128_load(V128LoadKind::Splat(L8), dst, addr, offset),
            Instr::V128Load16Splat { dst, addr, offset } => self.v128_load(V128LoadKind::Splat(L16), dst, addr, offset),
            Instr::V128Load32Splat { dst, addr, offset } => self.v128_load(V128LoadKind::Splat(L32), dst, addr, offset),
            Instr::V128Load64Splat { dst, addr, offset } => self.v128_load(V128LoadKind::Splat(L64), dst, addr, offset),
            Instr::V128Load32Zero { dst, addr, offset } => self.v128_load(V128LoadKind::Zero32, dst, addr, offset),
            Instr::V128Load64Zero { dst, addr, offset } => self.v128_load(V128LoadKind::Zero64, dst, addr, offset),
            Instr::V128Store { addr, src, offset } => self.v128_store(addr, src, offset),
            Instr::V128Load8Lane { dst, addr, offset } => self.v128_load_lane(i, L8, dst, addr, offset),
            Instr::V128Load16Lane { dst, addr, offset } => self.v128_load_lane(i, L16, dst, addr, offset),
            Instr::V128Load32Lane { dst, addr, offset } => self.v128_load_lane(i, L32, dst, addr, offset),
            Instr::V128Load64Lane { dst, addr, offset } => self.v128_load_lane(i, L64, dst, addr, offset),
            Instr::V128Store8Lane { addr, src, offset } => self.v128_store_lane(i, L8, addr, src, offset),
            Instr::V128Store16Lane { addr, src, offset } => self.v128_store_lane(i, L16, addr, src, offset),
            Instr::V128Store32Lane { addr, src, offset } => self.v128_store_lane(i, L32, addr, src, offset),
            Instr::V128Store64Lane { addr, src, offset } => self.v128_store_lane(i, L64, addr, src, offset),
            Instr::V128Const { dst, index } => self.v128_const(dst, index)?,
            Instr::I8x16Shuffle { dst, lhs, rhs } => self.v128_shuffle(i, dst, lhs, rhs)?,
            Instr::I8x16ExtractLaneS { dst, src, lane } => self.v128_extract_lane(ExtractLane::I8S, dst, src, lane),
            Instr::I8x16ExtractLaneU { dst, src, lane } => self.v128_extract_lane(ExtractLane::I8U, dst, src, lane),
            Instr::I16x8ExtractLaneS { dst, src, lane } => self.v128_extract_lane(ExtractLane::I16S, dst, src, lane),
            Instr::I16x8ExtractLaneU { dst, src, lane } => self.v128_extract_lane(ExtractLane::I16U, dst, src, lane),
            Instr::I32x4ExtractLane { dst, src, lane } | Instr::F32x4ExtractLane { dst, src, lane } => {
                self.v128_extract_lane(ExtractLane::I32, dst, src, lane)
            }
            Instr::I64x2ExtractLane { dst, src, lane } | Instr::F64x2ExtractLane { dst, src, lane } => {
                self.v128_extract_lane(ExtractLane::I64, dst, src, lane)
            }
            Instr::I8x16ReplaceLane { dst, src, value } => self.v128_replace_lane(i, L8, dst, src, value),
            Instr::I16x8ReplaceLane { dst, src, value } => self.v128_replace_lane(i, L16, dst, src, value),
            Instr::I32x4ReplaceLane { dst, src, value } | Instr::F32x4ReplaceLane { dst, src, value } => {
                self.v128_replace_lane(i, L32, dst, src, value)
            }
            Instr::I64x2ReplaceLane { dst, src, value } | Instr::F64x2ReplaceLane { dst, src, value } => {
                self.v128_replace_lane(i, L64, dst, src, value)
            }
            // Lane-wise operations; each relaxed one goes to the strict operation its
            // deterministic lowering computes.
            Instr::I8x16Swizzle { dst, lhs, rhs } => self.v128_binary(B::I8x16Swizzle, dst, lhs, rhs),
            Instr::I8x16Splat { dst, src } => self.v128_splat(L8, dst, src),
            Instr::I16x8Splat { dst, src } => self.v128_splat(L16, dst, src),
            Instr::I32x4Splat { dst, src } => self.v128_splat(L32, dst, src),
            Instr::I64x2Splat { dst, src } => self.v128_splat(L64, dst, src),
            Instr::F32x4Splat { dst, src } => self.v128_splat(L32, dst, src),
            Instr::F64x2Splat { dst, src } => self.v128_splat(L64, dst, src),
            Instr::I8x16Eq { dst, lhs, rhs } => self.v128_binary(B::I8x16Eq, dst, lhs, rhs),
            Instr::I8x16Ne { dst, lhs, rhs } => self.v128_binary(B::I8x16Ne, dst, lhs, rhs),
            Instr::I8x16LtS { dst, lhs, rhs } => self.v128_binary(B::I8x16LtS, dst, lhs, rhs),
            Instr::I8x16LtU { dst, lhs, rhs } => self.v128_binary(B::I8x16LtU, dst, lhs, rhs),
            Instr::I8x16GtS { dst, lhs, rhs } => self.v128_binary(B::I8x16GtS, dst, lhs, rhs),
            Instr::I8x16GtU { dst, lhs, rhs } => self.v128_binary(B::I8x16GtU, dst, lhs, rhs),
            Instr::I8x16LeS { dst, lhs, rhs } => self.v128_binary(B::I8x16LeS, dst, lhs, rhs),
            Instr::I8x16LeU { dst, lhs, rhs } => self.v128_binary(B::I8x16LeU, dst, lhs, rhs),
            Instr::I8x16GeS { dst, lhs, rhs } => self.v128_binary(B::I8x16GeS, dst, lhs, rhs),
            Instr::I8x16GeU { dst, lhs, rhs } => self.v128_binary(B::I8x16GeU, dst, lhs, rhs),
            Instr::I16x8Eq { dst, lhs, rhs } => self.v128_binary(B::I16x8Eq, dst, lhs, rhs),
            Instr::I16x8Ne { dst, lhs, rhs } => self.v128_binary(B::I16x8Ne, dst, lhs, rhs),
            Instr::I16x8LtS { dst, lhs, rhs } => self.v128_binary(B::I16x8LtS, dst, lhs, rhs),
            Instr::I16x8LtU { dst, lhs, rhs } => self.v128_binary(B::I16x8LtU, dst, lhs, rhs),
            Instr::I16x8GtS { dst, lhs, rhs } => self.v128_binary(B::I16x8GtS, dst, lhs, rhs),
            Instr::I16x8GtU { dst, lhs, rhs } => self.v128_binary(B::I16x8GtU, dst, lhs, rhs),
            Instr::I16x8LeS { dst, lhs, rhs } => self.v128_binary(B::I16x8LeS, dst, lhs, rhs),
            Instr::I16x8LeU { dst, lhs, rhs } => self.v128_binary(B::I16x8LeU, dst, lhs, rhs),
            Instr::I16x8GeS { dst, lhs, rhs } => self.v128_binary(B::I16x8GeS, dst, lhs, rhs),
            Instr::I16x8GeU { dst, lhs, rhs } => self.v128_binary(B::I16x8GeU, dst, lhs, rhs),
            Instr::I32x4Eq { dst, lhs, rhs } => self.v128_binary(B::I32x4Eq, dst, lhs, rhs),
            Instr::I32x4Ne { dst, lhs, rhs } => self.v128_binary(B::I32x4Ne, dst, lhs, rhs),
            Instr::I32x4LtS { dst, lhs, rhs } => self.v128_binary(B::I32x4LtS, dst, lhs, rhs),
            Instr::I32x4LtU { dst, lhs, rhs } => self.v128_binary(B::I32x4LtU, dst, lhs, rhs),
            Instr::I32x4GtS { dst, lhs, rhs } => self.v128_binary(B::I32x4GtS, dst, lhs, rhs),
            Instr::I32x4GtU { dst, lhs, rhs } => self.v128_binary(B::I32x4GtU, dst, lhs, rhs),
            Instr::I32x4LeS { dst, lhs, rhs } => self.v128_binary(B::I32x4LeS, dst, lhs, rhs),
            Instr::I32x4LeU { dst, lhs, rhs } => self.v128_binary(B::I32x4LeU, dst, lhs, rhs),
            Instr::I32x4GeS { dst, lhs, rhs } => self.v128_binary(B::I32x4GeS, dst, lhs, rhs),
            Instr::I32x4GeU { dst, lhs, rhs } => self.v128_binary(B::I32x4GeU, dst, lhs, rhs),
            Instr::I64x2Eq { dst, lhs, rhs } => self.v128_binary(B::I64x2Eq, dst, lhs, rhs),
            Instr::I64x2Ne { dst, lhs, rhs } => self.v128_binary(B::I64x2Ne, dst, lhs, rhs),
            Instr::I64x2LtS { dst, lhs, rhs } => self.v128_binary(B::I64x2LtS, dst, lhs, rhs),
            Instr::I64x2GtS { dst, lhs, rhs } => self.v128_binary(B::I64x2GtS, dst, lhs, rhs),
            Instr::I64x2LeS { dst, lhs, rhs } => self.v128_binary(B::I64x2LeS, dst, lhs, rhs),
            Instr::I64x2GeS { dst, lhs, rhs } => self.v128_binary(B::I64x2GeS, dst, lhs, rhs),
            Instr::F32x4Eq { dst, lhs, rhs } => self.v128_binary(B::F32x4Eq, dst, lhs, rhs),
            Instr::F32x4Ne { dst, lhs, rhs } => self.v128_binary(B::F32x4Ne, dst, lhs, rhs),
            Instr::F32x4Lt { dst, lhs, rhs } => self.v128_binary(B::F32x4Lt, dst, lhs, rhs),
            Instr::F32x4Gt { dst, lhs, rhs } => self.v128_binary(B::F32x4Gt, dst, lhs, rhs),
            Instr::F32x4Le { dst, lhs, rhs } => self.v128_binary(B::F32x4Le, dst, lhs, rhs),
            Instr::F32x4Ge { dst, lhs, rhs } => self.v128_binary(B::F32x4Ge, dst, lhs, rhs),
            Instr::F64x2Eq { dst, lhs, rhs } => self.v128_binary(B::F64x2Eq, dst, lhs, rhs),
            Instr::F64x2Ne { dst, lhs, rhs } => self.v128_binary(B::F64x2Ne, dst, lhs, rhs),
            Instr::F64x2Lt { dst, lhs, rhs } => self.v128_binary(B::F64x2Lt, dst, lhs, rhs),
            Instr::F64x2Gt { dst, lhs, rhs } => self.v128_binary(B::F64x2Gt, dst, lhs, rhs),
            Instr::F64x2Le { dst, lhs, rhs } => self.v128_binary(B::F64x2Le, dst, lhs, rhs),
            Instr::F64x2Ge { dst, lhs, rhs } => self.v128_binary(B::F64x2Ge, dst, lhs, rhs),
            Instr::V128Not { dst, src } => self.v128_unary(U::V128Not, dst, src),
            Instr::V128And { dst, lhs, rhs } => self.v128_binary(B::V128And, dst, lhs, rhs),
            Instr::V128AndNot { dst, lhs, rhs } => self.v128_binary(B::V128AndNot, dst, lhs, rhs),
            Instr::V128Or { dst, lhs, rhs } => self.v128_binary(B::V128Or, dst, lhs, rhs),
            Instr::V128Xor { dst, lhs, rhs } => self.v128_binary(B::V128Xor, dst, lhs, rhs),
            Instr::V128Bitselect { dst, lhs, rhs } => self.v128_ternary(i, T::Bitselect, dst, lhs, rhs),
            Instr::V128AnyTrue { dst, src } => self.v128_reduce(R::AnyTrue, dst, src),
            Instr::I8x16Abs { dst, src } => self.v128_unary(U::I8x16Abs, dst, src),
            Instr::I8x16Neg { dst, src } => self.v128_unary(U::I8x16Neg, dst, src),
            Instr::I8x16Popcnt { dst, src } => self.v128_unary(U::I8x16Popcnt, dst, src),
            Instr::I8x16AllTrue { dst, src } => self.v128_reduce(R::I8x16AllTrue, dst, src),
            Instr::I8x16Bitmask { dst, src } => self.v128_reduce(R::I8x16Bitmask, dst, src),
            Instr::I8x16NarrowI16x8S { dst, lhs, rhs } => self.v128_binary(B::I8x16NarrowI16x8S, dst, lhs, rhs),
            Instr::I8x16NarrowI16x8U { dst, lhs, rhs } => self.v128_binary(B::I8x16NarrowI16x8U, dst, lhs, rhs),
            Instr::I8x16Shl { dst, lhs, rhs } => self.v128_shift(i, S::I8x16Shl, dst, lhs, rhs),
            Instr::I8x16ShrS { dst, lhs, rhs } => self.v128_shift(i, S::I8x16ShrS, dst, lhs, rhs),
            Instr::I8x16ShrU { dst, lhs, rhs } => self.v128_shift(i, S::I8x16ShrU, dst, lhs, rhs),
            Instr::I8x16Add { dst, lhs, rhs } => self.v128_binary(B::I8x16Add, dst, lhs, rhs),
            Instr::I8x16AddSatS { dst, lhs, rhs } => self.v128_binary(B::I8x16AddSatS, dst, lhs, rhs),
            Instr::I8x16AddSatU { dst, lhs, rhs } => self.v128_binary(B::I8x16AddSatU, dst, lhs, rhs),
            Instr::I8x16Sub { dst, lhs, rhs } => self.v128_binary(B::I8x16Sub, dst, lhs, rhs),
            Instr::I8x16SubSatS { dst, lhs, rhs } => self.v128_binary(B::I8x16SubSatS, dst, lhs, rhs),
            Instr::I8x16SubSatU { dst, lhs, rhs } => self.v128_binary(B::I8x16SubSatU, dst, lhs, rhs),
            Instr::I8x16MinS { dst, lhs, rhs } => self.v128_binary(B::I8x16MinS, dst, lhs, rhs),
            Instr::I8x16MinU { dst, lhs, rhs } => self.v128_binary(B::I8x16MinU, dst, lhs, rhs),
            Instr::I8x16MaxS { dst, lhs, rhs } => self.v128_binary(B::I8x16MaxS, dst, lhs, rhs),
            Instr::I8x16MaxU { dst, lhs, rhs } => self.v128_binary(B::I8x16MaxU, dst, lhs, rhs),
            Instr::I8x16AvgrU { dst, lhs, rhs } => self.v128_binary(B::I8x16AvgrU, dst, lhs, rhs),
            Instr::I16x8ExtAddPairwiseI8x16S { dst, src } => self.v128_unary(U::I16x8ExtAddPairwiseI8x16S, dst, src),
            Instr::I16x8ExtAddPairwiseI8x16U { dst, src } => self.v128_unary(U::I16x8ExtAddPairwiseI8x16U, dst, src),
            Instr::I16x8Abs { dst, src } => self.v128_unary(U::I16x8Abs, dst, src),
            Instr::I16x8Neg { dst, src } => self.v128_unary(U::I16x8Neg, dst, src),
            Instr::I16x8Q15MulrSatS { dst, lhs, rhs } => self.v128_binary(B::I16x8Q15MulrSatS, dst, lhs, rhs),
            Instr::I16x8AllTrue { dst, src } => self.v128_reduce(R::I16x8AllTrue, dst, src),
            Instr::I16x8Bitmask { dst, src } => self.v128_reduce(R::I16x8Bitmask, dst, src),
            Instr::I16x8NarrowI32x4S { dst, lhs, rhs } => self.v128_binary(B::I16x8NarrowI32x4S, dst, lhs, rhs),
            Instr::I16x8NarrowI32x4U { dst, lhs, rhs } => self.v128_binary(B::I16x8NarrowI32x4U, dst, lhs, rhs),
            Instr::I16x8ExtendLowI8x16S { dst, src } => self.v128_unary(U::I16x8ExtendLowI8x16S, dst, src),
            Instr::I16x8ExtendHighI8x16S { dst, src } => self.v128_unary(U::I16x8ExtendHighI8x16S, dst, src),
            Instr::I16x8ExtendLowI8x16U { dst, src } => self.v128_unary(U::I16x8ExtendLowI8x16U, dst, src),
            Instr::I16x8ExtendHighI8x16U { dst, src } => self.v128_unary(U::I16x8ExtendHighI8x16U, dst, src),
            Instr::I16x8Shl { dst, lhs, rhs } => self.v128_shift(i, S::I16x8Shl, dst, lhs, rhs),
            Instr::I16x8ShrS { dst, lhs, rhs } => self.v128_shift(i, S::I16x8ShrS, dst, lhs, rhs),
            Instr::I16x8ShrU { dst, lhs, rhs } => self.v128_shift(i, S::I16x8ShrU, dst, lhs, rhs),
            Instr::I16x8Add { dst, lhs, rhs } => self.v128_binary(B::I16x8Add, dst, lhs, rhs),
            Instr::I16x8AddSatS { dst, lhs, rhs } => self.v128_binary(B::I16x8AddSatS, dst, lhs, rhs),
            Instr::I16x8AddSatU { dst, lhs, rhs } => self.v128_binary(B::I16x8AddSatU, dst, lhs, rhs),
            Instr::I16x8Sub { dst, lhs, rhs } => self.v128_binary(B::I16x8Sub, dst, lhs, rhs),
            Instr::I16x8SubSatS { dst, lhs, rhs } => self.v128_binary(B::I16x8SubSatS, dst, lhs, rhs),
            Instr::I16x8SubSatU { dst, lhs, rhs } => self.v128_binary(B::I16x8SubSatU, dst, lhs, rhs),
            Instr::I16x8Mul { dst, lhs, rhs } => self.v128_binary(B::I16x8Mul, dst, lhs, rhs),
            Instr::I16x8MinS { dst, lhs, rhs } => self.v128_binary(B::I16x8MinS, dst, lhs, rhs),
            Instr::I16x8MinU { dst, lhs, rhs } => self.v128_binary(B::I16x8MinU, dst, lhs, rhs),
            Instr::I16x8MaxS { dst, lhs, rhs } => self.v128_binary(B::I16x8MaxS, dst, lhs, rhs),
            Instr::I16x8MaxU { dst, lhs, rhs } => self.v128_binary(B::I16x8MaxU, dst, lhs, rhs),
            Instr::I16x8AvgrU { dst, lhs, rhs } => self.v128_binary(B::I16x8AvgrU, dst, lhs, rhs),
            Instr::I16x8ExtMulLowI8x16S { dst, lhs, rhs } => self.v128_binary(B::I16x8ExtMulLowI8x16S, dst, lhs, rhs),
            Instr::I16x8ExtMulHighI8x16S { dst, lhs, rhs } => self.v128_binary(B::I16x8ExtMulHighI8x16S, dst, lhs, rhs),
            Instr::I16x8ExtMulLowI8x16U { dst, lhs, rhs } => self.v128_binary(B::I16x8ExtMulLowI8x16U, dst, lhs, rhs),
            Instr::I16x8ExtMulHighI8x16U { dst, lhs, rhs } => self.v128_binary(B::I16x8ExtMulHighI8x16U, dst, lhs, rhs),
            Instr::I32x4ExtAddPairwiseI16x8S { dst, src } => self.v128_unary(U::I32x4ExtAddPairwiseI16x8S, dst, src),
            Instr::I32x4ExtAddPairwiseI16x8U { dst, src } => self.v128_unary(U::I32x4ExtAddPairwiseI16x8U, dst, src),
            Instr::I32x4Abs { dst, src } => self.v128_unary(U::I32x4Abs, dst, src),
            Instr::I32x4Neg { dst, src } => self.v128_unary(U::I32x4Neg, dst, src),
            Instr::I32x4AllTrue { dst, src } => self.v128_reduce(R::I32x4AllTrue, dst, src),
            Instr::I32x4Bitmask { dst, src } => self.v128_reduce(R::I32x4Bitmask, dst, src),
            Instr::I32x4ExtendLowI16x8S { dst, src } => self.v128_unary(U::I32x4ExtendLowI16x8S, dst, src),
            Instr::I32x4ExtendHighI16x8S { dst, src } => self.v128_unary(U::I32x4ExtendHighI16x8S, dst, src),
            Instr::I32x4ExtendLowI16x8U { dst, src } => self.v128_unary(U::I32x4ExtendLowI16x8U, dst, src),
            Instr::I32x4ExtendHighI16x8U { dst, src } => self.v128_unary(U::I32x4ExtendHighI16x8U, dst, src),
            Instr::I32x4Shl { dst, lhs, rhs } => self.v128_shift(i, S::I32x4Shl, dst, lhs, rhs),
            Instr::I32x4ShrS { dst, lhs, rhs } => self.v128_shift(i, S::I32x4ShrS, dst, lhs, rhs),
            Instr::I32x4ShrU { dst, lhs, rhs } => self.v128_shift(i, S::I32x4ShrU, dst, lhs, rhs),
            Instr::I32x4Add { dst, lhs, rhs } => self.v128_binary(B::I32x4Add, dst, lhs, rhs),
            Instr::I32x4Sub { dst, lhs, rhs } => self.v128_binary(B::I32x4Sub, dst, lhs, rhs),
            Instr::I32x4Mul { dst, lhs, rhs } => self.v128_binary(B::I32x4Mul, dst, lhs, rhs),
            Instr::I32x4MinS { dst, lhs, rhs } => self.v128_binary(B::I32x4MinS, dst, lhs, rhs),
            Instr::I32x4MinU { dst, lhs, rhs } => self.v128_binary(B::I32x4MinU, dst, lhs, rhs),
            Instr::I32x4MaxS { dst, lhs, rhs } => self.v128_binary(B::I32x4MaxS, dst, lhs, rhs),
            Instr::I32x4MaxU { dst, lhs, rhs } => self.v128_binary(B::I32x4MaxU, dst, lhs, rhs),
            Instr::I32x4DotI16x8S { dst, lhs, rhs } => self.v128_binary(B::I32x4DotI16x8S, dst, lhs, rhs),
            Instr::I32x4ExtMulLowI16x8S { dst, lhs, rhs } => self.v128_binary(B::I32x4ExtMulLowI16x8S, dst, lhs, rhs),
            Instr::I32x4ExtMulHighI16x8S { dst, lhs, rhs } => self.v128_binary(B::I32x4ExtMulHighI16x8S, dst, lhs, rhs),
            Instr::I32x4ExtMulLowI16x8U { dst, lhs, rhs } => self.v128_binary(B::I32x4ExtMulLowI16x8U, dst, lhs, rhs),
            Instr::I32x4ExtMulHighI16x8U { dst, lhs, rhs } => self.v128_binary(B::I32x4ExtMulHighI16x8U, dst, lhs, rhs),
            Instr::I64x2Abs { dst, src } => self.v128_unary(U::I64x2Abs, dst, src),
            Instr::I64x2Neg { dst, src } => self.v128_unary(U::I64x2Neg, dst, src),
            Instr::I64x2AllTrue { dst, src } => self.v128_reduce(R::I64x2AllTrue, dst, src),
            Instr::I64x2Bitmask { dst, src } => self.v128_reduce(R::I64x2Bitmask, dst, src),
            Instr::I64x2ExtendLowI32x4S { dst, src } => self.v128_unary(U::I64x2ExtendLowI32x4S, dst, src),
            Instr::I64x2ExtendHighI32x4S { dst, src } => self.v128_unary(U::I64x2ExtendHighI32x4S, dst, src),
            Instr::I64x2ExtendLowI32x4U { dst, src } => self.v128_unary(U::I64x2ExtendLowI32x4U, dst, src),
            Instr::I64x2ExtendHighI32x4U { dst, src } => self.v128_unary(U::I64x2ExtendHighI32x4U, dst, src),
            Instr::I64x2Shl { dst, lhs, rhs } => self.v128_shift(i, S::I64x2Shl, dst, lhs, rhs),
            Instr::I64x2ShrS { dst, lhs, rhs } => self.v128_shift(i, S::I64x2ShrS, dst, lhs, rhs),
            Instr::I64x2ShrU { dst, lhs, rhs } => self.v128_shift(i, S::I64x2ShrU, dst, lhs, rhs),
            Instr::I64x2Add { dst, lhs, rhs } => self.v128_binary(B::I64x2Add, dst, lhs, rhs),
            Instr::I64x2Sub { dst, lhs, rhs } => self.v128_binary(B::I64x2Sub, dst, lhs, rhs),
            Instr::I64x2Mul { dst, lhs, rhs } => self.v128_binary(B::I64x2Mul, dst, lhs, rhs),
            Instr::I64x2ExtMulLowI32x4S { dst, lhs, rhs } => self.v128_binary(B::I64x2ExtMulLowI32x4S, dst, lhs, rhs),
            Instr::I64x2ExtMulHighI32x4S { dst, lhs, rhs } => self.v128_binary(B::I64x2ExtMulHighI32x4S, dst, lhs, rhs),
            Instr::I64x2ExtMulLowI32x4U { dst, lhs, rhs } => self.v128_binary(B::I64x2ExtMulLowI32x4U, dst, lhs, rhs),
            Instr::I64x2ExtMulHighI32x4U { dst, lhs, rhs } => self.v128_binary(B::I64x2ExtMulHighI32x4U, dst, lhs, rhs),
            Instr::F32x4Ceil { dst, src } => self.v128_unary(U::F32x4Ceil, dst, src),
            Instr::F32x4Floor { dst, src } => self.v128_unary(U::F32x4Floor, dst, src),
            Instr::F32x4Trunc { dst, src } => self.v128_unary(U::F32x4Trunc, dst, src),
            Instr::F32x4Nearest { dst, src } => self.v128_unary(U::F32x4Nearest, dst, src),
            Instr::F32x4Abs { dst, src } => self.v128_unary(U::F32x4Abs, dst, src),
            Instr::F32x4Neg { dst, src } => self.v128_unary(U::F32x4Neg, dst, src),
            Instr::F32x4Sqrt { dst, src } => self.v128_unary(U::F32x4Sqrt, dst, src),
            Instr::F32x4Add { dst, lhs, rhs } => self.v128_binary(B::F32x4Add, dst, lhs, rhs),
            Instr::F32x4Sub { dst, lhs, rhs } => self.v128_binary(B::F32x4Sub, dst, lhs, rhs),
            Instr::F32x4Mul { dst, lhs, rhs } => self.v128_binary(B::F32x4Mul, dst, lhs, rhs),
            // The interpreter's fusion of the two, undone: the product in its old slot.
            Instr::F32x4MulAdd { dst, lhs, rhs } => {
                let (addend, product, product_first) = self.extra(i);
                self.v128_binary(B::F32x4Mul, product, lhs, rhs);
                if product_first == 0 {
                    self.v128_binary(B::F32x4Add, dst, addend, product)
                } else {
                    self.v128_binary(B::F32x4Add, dst, product, addend)
                }
            }
            Instr::F32x4Div { dst, lhs, rhs } => self.v128_binary(B::F32x4Div, dst, lhs, rhs),
            Instr::F32x4Min { dst, lhs, rhs } => self.v128_binary(B::F32x4Min, dst, lhs, rhs),
            Instr::F32x4Max { dst, lhs, rhs } => self.v128_binary(B::F32x4Max, dst, lhs, rhs),
            Instr::F32x4PMin { dst, lhs, rhs } => self.v128_binary(B::F32x4PMin, dst, lhs, rhs),
            Instr::F32x4PMax { dst, lhs, rhs } => self.v128_binary(B::F32x4PMax, dst, lhs, rhs),
            Instr::F64x2Ceil { dst, src } => self.v128_unary(U::F64x2Ceil, dst, src),
            Instr::F64x2Floor { dst, src } => self.v128_unary(U::F64x2Floor, dst, src),
            Instr::F64x2Trunc { dst, src } => self.v128_unary(U::F64x2Trunc, dst, src),
            Instr::F64x2Nearest { dst, src } => self.v128_unary(U::F64x2Nearest, dst, src),
            Instr::F64x2Abs { dst, src } => self.v128_unary(U::F64x2Abs, dst, src),
            Instr::F64x2Neg { dst, src } => self.v128_unary(U::F64x2Neg, dst, src),
            Instr::F64x2Sqrt { dst, src } => self.v128_unary(U::F64x2Sqrt, dst, src),
            Instr::F64x2Add { dst, lhs, rhs } => self.v128_binary(B::F64x2Add, dst, lhs, rhs),
            Instr::F64x2Sub { dst, lhs, rhs } => self.v128_binary(B::F64x2Sub, dst, lhs, rhs),
            Instr::F64x2Mul { dst, lhs, rhs } => self.v128_binary(B::F64x2Mul, dst, lhs, rhs),
            Instr::F64x2Div { dst, lhs, rhs } => self.v128_binary(B::F64x2Div, dst, lhs, rhs),
            Instr::F64x2Min { dst, lhs, rhs } => self.v128_binary(B::F64x2Min, dst, lhs, rhs),
            Instr::F64x2Max { dst, lhs, rhs } => self.v128_binary(B::F64x2Max, dst, lhs, rhs),
            Instr::F64x2PMin { dst, lhs, rhs } => self.v128_binary(B::F64x2PMin, dst, lhs, rhs),
            Instr::F64x2PMax { dst, lhs, rhs } => self.v128_binary(B::F64x2PMax, dst, lhs, rhs),
            Instr::I32x4TruncSatF32x4S { dst, src } => self.v128_unary(U::I32x4TruncSatF32x4S, dst, src),
            Instr::I32x4TruncSatF32x4U { dst, src } => self.v128_unary(U::I32x4TruncSatF32x4U, dst, src),
            Instr::F32x4ConvertI32x4S { dst, src } => self.v128_unary(U::F32x4ConvertI32x4S, dst, src),
            Instr::F32x4ConvertI32x4U { dst, src } => self.v128_unary(U::F32x4ConvertI32x4U, dst, src),
            Instr::I32x4TruncSatF64x2SZero { dst, src } => self.v128_unary(U::I32x4TruncSatF64x2SZero, dst, src),
            Instr::I32x4TruncSatF64x2UZero { dst, src } => self.v128_unary(U::I32x4TruncSatF64x2UZero, dst, src),
            Instr::F64x2ConvertLowI32x4S { dst, src } => self.v128_unary(U::F64x2ConvertLowI32x4S, dst, src),
            Instr::F64x2ConvertLowI32x4U { dst, src } => self.v128_unary(U::F64x2ConvertLowI32x4U, dst, src),
            Instr::F32x4DemoteF64x2Zero { dst, src } => self.v128_unary(U::F32x4DemoteF64x2Zero, dst, src),
            Instr::F64x2PromoteLowF32x4 { dst, src } => self.v128_unary(U::F64x2PromoteLowF32x4, dst, src),
            Instr::I8x16RelaxedSwizzle { dst, lhs, rhs } => self.v128_binary(B::I8x16Swizzle, dst, lhs, rhs),
            Instr::I32x4RelaxedTruncF32x4S { dst, src } => self.v128_unary(U::I32x4TruncSatF32x4S, dst, src),
            Instr::I32x4RelaxedTruncF32x4U { dst, src } => self.v128_unary(U::I32x4TruncSatF32x4U, dst, src),
            Instr::I32x4RelaxedTruncF64x2SZero { dst, src } => self.v128_unary(U::I32x4TruncSatF64x2SZero, dst, src),
            Instr::I32x4RelaxedTruncF64x2UZero { dst, src } => self.v128_unary(U::I32x4TruncSatF64x2UZero, dst, src),
            Instr::F32x4RelaxedMadd { dst, lhs, rhs } => self.v128_ternary(i, T::F32x4MulAdd, dst, lhs, rhs),
            Instr::F32x4RelaxedNmadd { dst, lhs, rhs } => self.v128_ternary(i, T::F32x4NegMulAdd, dst, lhs, rhs),
            Instr::F64x2RelaxedMadd { dst, lhs, rhs } => self.v128_ternary(i, T::F64x2MulAdd, dst, lhs, rhs),
            Instr::F64x2RelaxedNmadd { dst, lhs, rhs } => self.v128_ternary(i, T::F64x2NegMulAdd, dst, lhs, rhs),
            Instr::I8x16RelaxedLaneselect { dst, lhs, rhs } => self.v128_ternary(i, T::Bitselect, dst, lhs, rhs),
            Instr::I16x8RelaxedLaneselect { dst, lhs, rhs } => self.v128_ternary(i, T::Bitselect, dst, lhs, rhs),
            Instr::I32x4RelaxedLaneselect { dst, lhs, rhs } => self.v128_ternary(i, T::Bitselect, dst, lhs, rhs),
            Instr::I64x2RelaxedLaneselect { dst, lhs, rhs } => self.v128_ternary(i, T::Bitselect, dst, lhs, rhs),
            Instr::F32x4RelaxedMin { dst, lhs, rhs } => self.v128_binary(B::F32x4Min, dst, lhs, rhs),
            Instr::F32x4RelaxedMax { dst, lhs, rhs } => self.v128_binary(B::F32x4Max, dst, lhs, rhs),
            Instr::F64x2RelaxedMin { dst, lhs, rhs } => self.v128_binary(B::F64x2Min, dst, lhs, rhs),
            Instr::F64x2RelaxedMax { dst, lhs, rhs } => self.v128_binary(B::F64x2Max, dst, lhs, rhs),
            Instr::I16x8RelaxedQ15mulrS { dst, lhs, rhs } => self.v128_binary(B::I16x8Q15MulrSatS, dst, lhs, rhs),
            Instr::I16x8RelaxedDotI8x16I7x16S { dst, lhs, rhs } => self.v128_binary(B::I16x8DotI8x16S, dst, lhs, rhs),
            Instr::I32x4RelaxedDotI8x16I7x16AddS { dst, lhs, rhs } => self.v128_ternary(i, T::I32x4DotI8x16AddS, dst, lhs, rhs),
        }
        Ok(())
    }
}

/// Whether `instr` accesses linear memory through its base in `r14` (the loads and stores
/// of every shape, by the instruction list's names), so the function's frame must load it
/// (`X64::uses_memory_base` checks it in debug builds). `memory.size`, `memory.grow` and the
/// bulk operations reach memory through the vmctx.
fn uses_memory_base(instr: &Instr) -> bool {
    let name = instr.opcode().name();
    name.contains("Load") || name.contains("Store") || name == "UseMemory"
}

/// The alignment of the innermost loops' headers in the code (`Codegen::aligned_headers`).
const CACHE_LINE: u32 = 64;

/// Which of the `len` instructions are loop headers (of `headers`, whose last back-edges
/// are `last_edges`) with no other loop header between them and their last back-edge.
fn innermost_loop_headers(len: usize, headers: &[u32], last_edges: &[usize]) -> Vec<bool> {
    let mut innermost = vec![false; len];
    for (&h, &end) in headers.iter().zip(last_edges) {
        if !headers
            .iter()
            .any(|&other| other > h && other as usize <= end)
        {
            innermost[h as usize] = true;
        }
    }
    innermost
}

/// The bytecode index a branch at `i` with `offset` goes to.
fn branch_target(i: usize, offset: i32) -> usize {
    (i as i64 + i64::from(offset)) as usize
}
