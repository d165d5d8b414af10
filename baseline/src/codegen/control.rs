//! Control flow: branches (with the hotness tick on back-edges), `br_table`, returns and
//! traps.

use tierup_abi::TrapCode;

use tierup_interp::Instr;

use super::{Codegen, branch_target};
use crate::masm::{AluOp, Compare, Cond, Operand, Width};

impl Codegen<'_> {
    /// Traps with `code`.
    pub(super) fn trap(&mut self, code: TrapCode) {
        self.m.trap(code);
    }

    /// Branches from `i` by `offset` when `lhs <cond> rhs` holds at `width`.
    pub(super) fn branch_if(
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

    /// The loop-counter fusions at `i` (`IncBrIf..` with an immediate step, `AddBrIf..`
    /// with a slot): `lhs += step` (i32), then branches by `offset` when `lhs <cond> rhs`
    /// holds.
    pub(super) fn increment_branch_if(
        &mut self,
        i: usize,
        step: Operand,
        lhs: u32,
        rhs: Operand,
        cond: Cond,
        offset: i32,
    ) {
        self.int_binary(AluOp::Add, Width::W32, lhs, lhs, step);
        self.branch_if(i, Width::W32, lhs, rhs, cond, offset);
    }

    /// Branches from `i` by `offset` (when `test` holds, if given). A back-edge ticks first,
    /// on the taken path only (without a countdown, before the test: on both paths).
    pub(super) fn branch(&mut self, i: usize, test: Option<Compare>, offset: i32) {
        let label = self.label_at(i, offset);
        let target = branch_target(i, offset);
        if offset > 0 {
            match test {
                // A conditional exit from a pinned region does its deferred stores on the
                // taken path only.
                Some(test) if self.leaves_region(target) => {
                    let not_taken = self.m.jump_unless(test);
                    self.before_edge_to(target);
                    self.m.jump(label);
                    self.m.bind_fall_through(not_taken);
                }
                Some(test) => {
                    self.before_edge_to(target);
                    self.m.compare_and_branch(test, label);
                }
                None => {
                    self.before_edge_to(target);
                    self.m.jump(label);
                }
            }
            return;
        }
        self.before_edge_to(target);
        let header = Some(branch_target(i, offset) as u32);
        match test {
            None => {
                self.emit_tick(header);
                self.m.jump(label);
            }
            // Without a countdown the tick only tests the interrupt flag, which may as well
            // be tested on the exit path too: it comes before the test, and the conditional
            // branch is the back-edge itself (no `jmp` per iteration). A countdown must not
            // count the exit (its tier-up may continue in the loop by on-stack replacement).
            Some(test) if !self.m.counts() => {
                self.emit_tick(header);
                self.m.compare_and_branch(test, label);
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
    /// last is the default), or straight to the target of that `Br` when it is a forward
    /// branch that needs nothing on its way (no tick, and the same pinned region or none).
    pub(super) fn br_table(&mut self, i: usize, index: u32, len: u32) {
        let targets: Vec<_> = (0..=len as usize)
            .map(|k| {
                let entry = i + 1 + k;
                match self.func.code[entry] {
                    Instr::Br { offset }
                        if offset > 0 && self.same_region(entry, branch_target(entry, offset)) =>
                    {
                        self.label_at(entry, offset)
                    }
                    _ => self.labels[entry].expect("br_table entries have labels"),
                }
            })
            .collect();
        self.before_edge_to(i + 1);
        self.before_edge_to(i + 1 + len as usize);
        self.m.jump_table(index, &targets);
    }

    /// Returns (the results are already in their slots).
    /// A function with a native entry also returns them in registers (the native
    /// convention's), whichever entry it came through.
    pub(super) fn ret(&mut self) {
        self.m.flush_results(self.result_slots);
        self.m.flush_region();
        if let Some(ty) = self.native {
            self.m.results_to_registers(ty.results());
        }
        self.m.leave_frame_and_return();
    }

    /// Returns the value of slot `src` (the single result goes to slot 0).
    pub(super) fn return_slot(&mut self, src: u32) {
        if src >= self.result_slots {
            self.m.skip_deferred_store(src);
        }
        self.m.copy_slot(0, src);
        self.ret();
    }

    /// Returns the constant `value`.
    pub(super) fn return_imm(&mut self, value: u64) {
        self.m.store_const(0, value);
        self.ret();
    }
}
