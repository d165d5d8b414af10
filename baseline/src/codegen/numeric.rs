//! Numbers: integer and float arithmetic, comparisons and conversions, and the value moves
//! (copies, constants, `select`).
//!
//! What wasm asks for and how it is met: integer arithmetic wraps, as x86's does; division
//! traps on a zero divisor and on `MIN / -1` (and `MIN % -1` is 0); shift counts are taken
//! modulo the width. Float arithmetic, square root and rounding map to SSE instructions; `abs`,
//! `neg` and `copysign` work on the bit pattern; `min`/`max` (NaN and signed-zero rules) and the
//! conversions without a short x86 sequence (checked and saturating float → int, u64 → float)
//! call the runtime's libcalls on bit patterns (`tierup_abi::libcalls`). Float comparisons are
//! false on NaN but for `ne`.

use tierup_abi::Libcall;
use tierup_interp::Instr;

use super::Codegen;
use crate::masm::{
    AluOp, BitCount, Compare, Cond, DivRemOp, ExtendOp, FloatCond, FloatOp, FloatSignOp,
    FloatUnaryOp, IntToFloat, Operand, ShiftOp, Width,
};

/// `min` or `max`.
#[derive(Clone, Copy)]
pub(super) enum MinMax {
    Min,
    Max,
}

/// wasm's float comparisons.
#[derive(Clone, Copy)]
pub(super) enum FloatRelation {
    Eq,
    Ne,
    Lt,
    Gt,
    Le,
    Ge,
}

impl Codegen<'_> {
    // ---- values ----

    /// `dst = src` (what `local.set` and block results become).
    pub(super) fn copy(&mut self, dst: u32, src: u32) {
        self.m.copy_slot(dst, src);
    }

    /// `dst = value` (an `i32` constant arrives zero-extended).
    pub(super) fn constant(&mut self, dst: u32, value: u64) {
        self.m.store_const(dst, value);
    }

    /// `dst = if cond != 0 { a } else { b }`.
    pub(super) fn select(&mut self, dst: u32, a: u32, b: u32, cond: u32) {
        self.m.select(dst, a, b, cond);
    }

    // ---- integers ----

    /// `dst = lhs <op> rhs`, wrapping.
    pub(super) fn int_binary(&mut self, op: AluOp, width: Width, dst: u32, lhs: u32, rhs: Operand) {
        self.m.alu(op, width, dst, lhs, rhs);
    }

    /// `I32ShlImmAdd` at `i` (`dst = lhs << imm`, `dst` a temporary only the `I32Add` right
    /// after it reads, as its `rhs`): both in one when nothing comes between them (no label,
    /// no region boundary), the shifted value in a register only, as the interpreter leaves
    /// it unwritten too (`Masm::shift_add`: one `lea` for shifts up to 3). Else the shift
    /// alone.
    pub(super) fn shift_add_pair(&mut self, i: usize, dst: u32, lhs: u32, imm: i32) {
        let next = match self.func.code.get(i + 1) {
            Some(&Instr::I32Add {
                dst: sum,
                lhs: base,
                rhs,
            })
            | Some(&Instr::I32AddAcc {
                dst: sum,
                lhs: base,
                rhs,
            }) if rhs == dst && base != dst => Some((sum, base)),
            _ => None,
        };
        let inside = |k: usize| self.region.is_some_and(|r| self.regions[r].contains(k));
        let together = self.labels[i + 1].is_none()
            && inside(i) == inside(i + 1)
            && !self.regions.iter().any(|r| r.header as usize == i + 1);
        match next {
            Some((sum, base)) if together => {
                self.m.shift_add(sum, base, lhs, imm);
                self.fused_next = true;
            }
            _ => self.int_shift(ShiftOp::Shl, Width::W32, dst, lhs, Operand::Imm(imm)),
        }
    }

    /// Shifts and rotates, the count taken modulo the width.
    pub(super) fn int_shift(
        &mut self,
        op: ShiftOp,
        width: Width,
        dst: u32,
        lhs: u32,
        rhs: Operand,
    ) {
        self.m.shift(op, width, dst, lhs, rhs);
    }

    /// Division and remainder, trapping on a zero divisor and on `MIN / -1`.
    pub(super) fn int_div_rem(
        &mut self,
        op: DivRemOp,
        width: Width,
        dst: u32,
        lhs: u32,
        rhs: Operand,
    ) {
        self.m.div_rem(op, width, dst, lhs, rhs);
    }

    /// `dst = lhs <cond> rhs` (`eqz` is `== 0`).
    pub(super) fn int_compare(
        &mut self,
        width: Width,
        cond: Cond,
        dst: u32,
        lhs: u32,
        rhs: Operand,
    ) {
        let cmp = Compare {
            width,
            lhs,
            rhs,
            cond,
        };
        self.m.compare_and_set(dst, cmp);
    }

    /// `clz`, `ctz`, `popcnt`.
    pub(super) fn int_count_bits(&mut self, count: BitCount, width: Width, dst: u32, src: u32) {
        self.m.count_bits(count, width, dst, src);
    }

    /// The sign extensions and `i64.extend_i32_u`.
    pub(super) fn int_extend(&mut self, op: ExtendOp, dst: u32, src: u32) {
        self.m.extend(op, dst, src);
    }

    // ---- floats ----

    /// `add`, `sub`, `mul`, `div` (SSE: IEEE 754, as wasm wants).
    pub(super) fn float_binary(&mut self, op: FloatOp, width: Width, dst: u32, lhs: u32, rhs: u32) {
        self.m.float_binary(op, width, dst, lhs, rhs);
    }

    /// wasm `min`/`max` (NaN in, NaN out; `-0 < +0`): `minss`/`maxss` differ, so a libcall.
    pub(super) fn float_min_max(&mut self, op: MinMax, width: Width, dst: u32, lhs: u32, rhs: u32) {
        let libcall = match (op, width) {
            (MinMax::Min, Width::W32) => Libcall::f32_min(),
            (MinMax::Max, Width::W32) => Libcall::f32_max(),
            (MinMax::Min, Width::W64) => Libcall::f64_min(),
            (MinMax::Max, Width::W64) => Libcall::f64_max(),
        };
        self.m.call_binary_libcall(libcall, dst, lhs, rhs);
    }

    /// `sqrt`, `ceil`, `floor`, `trunc`, `nearest` (SSE4.1 `round` for the roundings).
    pub(super) fn float_unary(&mut self, op: FloatUnaryOp, width: Width, dst: u32, src: u32) {
        self.m.float_unary(op, width, dst, src);
    }

    /// `abs` and `neg`, on the sign bit (NaN payloads are kept, as wasm requires).
    pub(super) fn float_sign(&mut self, op: FloatSignOp, width: Width, dst: u32, src: u32) {
        self.m.float_sign(op, width, dst, src);
    }

    /// `copysign`, on the bit patterns.
    pub(super) fn float_copysign(&mut self, width: Width, dst: u32, lhs: u32, rhs: u32) {
        self.m.float_copysign(width, dst, lhs, rhs);
    }

    /// `dst = lhs <relation> rhs`: `<` and `<=` are `>` and `>=` with the operands swapped,
    /// which `ucomis*`'s flags answer for NaN too.
    pub(super) fn float_compare(
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
    pub(super) fn trunc(&mut self, libcall: Libcall, dst: u32, src: u32) {
        self.m.call_checked_libcall(libcall, dst, src);
    }

    /// A conversion without a short x86 sequence: saturating truncation, u64 → float.
    pub(super) fn convert_by_libcall(&mut self, libcall: Libcall, dst: u32, src: u32) {
        self.m.call_unary_libcall(libcall, dst, src);
    }

    /// int → float of width `to` (`cvtsi2ss`/`cvtsi2sd`; a u32 converts as an i64).
    pub(super) fn convert_int(&mut self, from: IntToFloat, to: Width, dst: u32, src: u32) {
        self.m.convert_int_to_float(from, to, dst, src);
    }

    /// `f32.demote_f64` (`to` = 32) and `f64.promote_f32` (`to` = 64).
    pub(super) fn convert_float(&mut self, to: Width, dst: u32, src: u32) {
        self.m.convert_float(to, dst, src);
    }
}
