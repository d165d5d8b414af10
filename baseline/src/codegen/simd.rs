//! `v128`s: lane-wise arithmetic, comparisons, conversions, shifts and reductions, lanes,
//! splats, constants and shuffles, `v128` moves, `select` and globals, and the 16-byte and
//! lane accesses of linear memory.
//!
//! What wasm asks for and how it is met: the semantics are the interpreter's
//! (`interp/src/simd.rs`), bit for bit; the masm's SSE sequences (`masm/x64/simd.rs`) fix up
//! where SSE differs (NaN and ±0 in `min`/`max`, saturating truncation, unsigned compares,
//! byte shifts). Relaxed SIMD has one deterministic lowering shared by every tier, decided
//! in the visitor's table (`mod.rs`): each relaxed operation is routed to the strict
//! operation it computes (`relaxed_swizzle` → `swizzle`, `relaxed_trunc*` → `trunc_sat*`,
//! `relaxed_min`/`max` → `min`/`max`, `relaxed_laneselect` → `bitselect`,
//! `relaxed_q15mulr_s` → `q15mulr_sat_s`), `relaxed_madd`/`nmadd` to an unfused multiply and
//! add, the relaxed dot products to signed-by-signed byte products. Memory accesses follow
//! the bounds-check policy of `memory.rs`; a 16-byte access needs 16 bytes of guard region
//! after its offset.

use tierup_interp::Instr;

use super::Codegen;
use crate::CompileError;
use crate::masm::{
    ExtractLane, LaneSize, V128Binary, V128LoadKind, V128Reduce, V128Shift, V128Ternary, V128Unary,
};

impl Codegen<'_> {
    /// Entry `index` of the function's constant pool (`v128` constants, shuffle patterns).
    fn pool_constant(&self, index: u32) -> Result<u128, CompileError> {
        self.func
            .consts
            .get(index as usize)
            .copied()
            .ok_or_else(|| {
                CompileError(format!(
                    "constant {index} is missing from the constant pool"
                ))
            })
    }

    // ---- lane-wise operations ----

    pub(super) fn v128_unary(&mut self, op: V128Unary, dst: u32, src: u32) {
        self.m.v128_unary(op, dst, src);
    }

    pub(super) fn v128_binary(&mut self, op: V128Binary, dst: u32, lhs: u32, rhs: u32) {
        self.m.v128_binary(op, dst, lhs, rhs);
    }

    /// A three-operand operation at `i`: its third operand is in the `Extra` after it.
    pub(super) fn v128_ternary(&mut self, i: usize, op: V128Ternary, dst: u32, a: u32, b: u32) {
        let (c, _, _) = self.extra(i);
        self.m.v128_ternary(op, dst, a, b, c);
    }

    /// The `i32` constant `value` into `dst` at `i`; nothing when it is only the count of the
    /// `v128` shift right after it (which shifts by the immediate, see
    /// [`Codegen::v128_shift`]) and dead after that.
    pub(super) fn const32(&mut self, i: usize, dst: u32, value: u32) {
        let count_only = self.labels.get(i + 1).is_some_and(Option::is_none)
            && self
                .func
                .code
                .get(i + 1)
                .and_then(shift_operands)
                .is_some_and(|(shift_dst, lhs, count)| {
                    count == dst
                        && lhs != dst
                        && lhs + 1 != dst
                        && (shift_dst == dst || shift_dst + 1 == dst || self.dead_at(i + 2, dst))
                });
        if count_only {
            // The slot's old value is superseded (and the new one never read).
            self.m.discard_slot(dst);
        } else {
            self.constant(dst, u64::from(value));
        }
    }

    /// Shifts by the scalar in slot `count`, modulo the lane width. When the instruction
    /// before (`i - 1`) sets `count` to a constant and nothing else jumps in between (wasm's
    /// `i32.const` then the shift), shifts by that constant instead.
    pub(super) fn v128_shift(&mut self, i: usize, op: V128Shift, dst: u32, lhs: u32, count: u32) {
        let before = i.checked_sub(1).map(|b| self.func.code[b]);
        match before {
            Some(Instr::Const32 { dst: c, value }) if c == count && self.labels[i].is_none() => {
                self.m.v128_shift_by(op, dst, lhs, value);
            }
            _ => self.m.v128_shift(op, dst, lhs, count),
        }
    }

    /// `any_true`, `all_true`, `bitmask`: an `i32`.
    pub(super) fn v128_reduce(&mut self, op: V128Reduce, dst: u32, src: u32) {
        self.m.v128_reduce(op, dst, src);
    }

    // ---- lanes, splats, constants, shuffles ----

    /// `splat` of the scalar in slot `src` (a float as its bits).
    pub(super) fn v128_splat(&mut self, size: LaneSize, dst: u32, src: u32) {
        self.m.v128_splat(size, dst, src);
    }

    pub(super) fn v128_extract_lane(&mut self, kind: ExtractLane, dst: u32, src: u32, lane: u32) {
        self.m.v128_extract_lane(kind, dst, src, lane);
    }

    /// `replace_lane` at `i`: the lane index is in the `Extra` after it.
    pub(super) fn v128_replace_lane(
        &mut self,
        i: usize,
        size: LaneSize,
        dst: u32,
        src: u32,
        value: u32,
    ) {
        let (lane, _, _) = self.extra(i);
        self.m.v128_replace_lane(size, dst, src, value, lane);
    }

    /// `v128.const`, from the constant pool.
    pub(super) fn v128_const(&mut self, dst: u32, index: u32) -> Result<(), CompileError> {
        let value = self.pool_constant(index)?;
        self.m.v128_const(dst, value);
        Ok(())
    }

    /// `i8x16.shuffle` at `i`: its pattern is constant `Extra.a` of the pool.
    pub(super) fn v128_shuffle(
        &mut self,
        i: usize,
        dst: u32,
        lhs: u32,
        rhs: u32,
    ) -> Result<(), CompileError> {
        let (index, _, _) = self.extra(i);
        let lanes = self.pool_constant(index)?.to_le_bytes().map(|l| l & 31);
        self.m.v128_shuffle(dst, lhs, rhs, lanes);
        Ok(())
    }

    // ---- moves, select, globals ----

    pub(super) fn v128_copy(&mut self, dst: u32, src: u32) {
        self.m.v128_copy(dst, src);
    }

    /// `select` of `v128`s at `i`: the condition is in the `Extra` after it.
    pub(super) fn v128_select(&mut self, i: usize, dst: u32, a: u32, b: u32) {
        let (cond, _, _) = self.extra(i);
        self.m.v128_select(dst, a, b, cond);
    }

    /// `global.get` of a `v128` global, through its pointer in the vmctx.
    pub(super) fn v128_global_get(&mut self, dst: u32, global: u32) {
        self.m.v128_global_get(dst, global);
    }

    pub(super) fn v128_global_set(&mut self, global: u32, src: u32) {
        self.m.v128_global_set(global, src);
    }

    // ---- linear memory ----

    /// `v128.load*`: 16 bytes, or fewer extended, splatted or zero-extended.
    pub(super) fn v128_load(&mut self, kind: V128LoadKind, dst: u32, addr: u32, offset: u32) {
        let check = self.heap_check_for(offset, kind.bytes());
        self.m.v128_load(kind, dst, addr, offset, check);
    }

    pub(super) fn v128_store(&mut self, addr: u32, src: u32, offset: u32) {
        let check = self.heap_check_for(offset, 16);
        self.m.v128_store(addr, src, offset, check);
    }

    /// `v128.load*_lane` at `i`: the vector and the lane index are in the `Extra` after it.
    pub(super) fn v128_load_lane(
        &mut self,
        i: usize,
        size: LaneSize,
        dst: u32,
        addr: u32,
        offset: u32,
    ) {
        let (vector, lane, _) = self.extra(i);
        let check = self.heap_check_for(offset, size.bytes());
        self.m
            .v128_load_lane(size, dst, vector, lane, addr, offset, check);
    }

    /// `v128.store*_lane` at `i`: the lane index is in the `Extra` after it.
    pub(super) fn v128_store_lane(
        &mut self,
        i: usize,
        size: LaneSize,
        addr: u32,
        src: u32,
        offset: u32,
    ) {
        let (lane, _, _) = self.extra(i);
        let check = self.heap_check_for(offset, size.bytes());
        self.m.v128_store_lane(size, addr, src, lane, offset, check);
    }
}

/// `(dst, lhs, count)` of a `v128` shift.
fn shift_operands(instr: &Instr) -> Option<(u32, u32, u32)> {
    match *instr {
        Instr::I8x16Shl { dst, lhs, rhs }
        | Instr::I8x16ShrS { dst, lhs, rhs }
        | Instr::I8x16ShrU { dst, lhs, rhs }
        | Instr::I16x8Shl { dst, lhs, rhs }
        | Instr::I16x8ShrS { dst, lhs, rhs }
        | Instr::I16x8ShrU { dst, lhs, rhs }
        | Instr::I32x4Shl { dst, lhs, rhs }
        | Instr::I32x4ShrS { dst, lhs, rhs }
        | Instr::I32x4ShrU { dst, lhs, rhs }
        | Instr::I64x2Shl { dst, lhs, rhs }
        | Instr::I64x2ShrS { dst, lhs, rhs }
        | Instr::I64x2ShrU { dst, lhs, rhs } => Some((dst, lhs, rhs)),
        _ => None,
    }
}
