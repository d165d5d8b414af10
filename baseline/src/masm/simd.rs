//! The masm's `v128` operations: lane-wise arithmetic, comparisons, conversions, shifts,
//! reductions, lanes, splats, constants and shuffles, `v128` moves and `select`, globals, and
//! the 16-byte and lane accesses of linear memory.
//!
//! A `v128` lives in two consecutive frame slots (the slot named is the first, low half
//! first). Operations compute in SSE registers of the cache's `xmm` class: an operand is read
//! from the register caching it, or loaded (`movdqu`, frames are only 8-byte aligned) into a
//! fresh cache register that then caches it; the result is computed into a fresh cache
//! register distinct from the operands, written through to its two slots at once and cached
//! there. Sequences longer than one instruction use the fixed temporaries `xmm0`, `xmm1`,
//! `xmm14` and `xmm15`, which never cache. Scalar operands (shift counts, splatted values,
//! replaced lanes) come from the general-purpose cache or the frame, and scalar results
//! (extracted lanes, reductions) leave through a general-purpose register, as in
//! `numeric.rs`.
//!
//! The vocabulary names operations after wasm's (the visitor maps the relaxed operations to
//! the strict ones their deterministic lowering computes); `x64/simd.rs` holds the sequence
//! each one becomes.

use tierup_abi::TrapCode;
use tierup_abi::vmctx::offsets as off;

use super::memory::HeapCheck;
use super::x64::Xmm;
use super::{Compare, Cond, Masm, Operand, Width};

// ---- the vocabulary ----

/// One-operand `v128` → `v128` operations.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum V128Unary {
    V128Not,
    I8x16Abs,
    I8x16Neg,
    I8x16Popcnt,
    I16x8ExtAddPairwiseI8x16S,
    I16x8ExtAddPairwiseI8x16U,
    I16x8Abs,
    I16x8Neg,
    I16x8ExtendLowI8x16S,
    I16x8ExtendHighI8x16S,
    I16x8ExtendLowI8x16U,
    I16x8ExtendHighI8x16U,
    I32x4ExtAddPairwiseI16x8S,
    I32x4ExtAddPairwiseI16x8U,
    I32x4Abs,
    I32x4Neg,
    I32x4ExtendLowI16x8S,
    I32x4ExtendHighI16x8S,
    I32x4ExtendLowI16x8U,
    I32x4ExtendHighI16x8U,
    I64x2Abs,
    I64x2Neg,
    I64x2ExtendLowI32x4S,
    I64x2ExtendHighI32x4S,
    I64x2ExtendLowI32x4U,
    I64x2ExtendHighI32x4U,
    F32x4Ceil,
    F32x4Floor,
    F32x4Trunc,
    F32x4Nearest,
    F32x4Abs,
    F32x4Neg,
    F32x4Sqrt,
    F64x2Ceil,
    F64x2Floor,
    F64x2Trunc,
    F64x2Nearest,
    F64x2Abs,
    F64x2Neg,
    F64x2Sqrt,
    I32x4TruncSatF32x4S,
    I32x4TruncSatF32x4U,
    F32x4ConvertI32x4S,
    F32x4ConvertI32x4U,
    I32x4TruncSatF64x2SZero,
    I32x4TruncSatF64x2UZero,
    F64x2ConvertLowI32x4S,
    F64x2ConvertLowI32x4U,
    F32x4DemoteF64x2Zero,
    F64x2PromoteLowF32x4,
}

/// Two-operand `v128` operations (`lhs`, `rhs`) with a `v128` result.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum V128Binary {
    I8x16Swizzle,
    I8x16Eq,
    I8x16Ne,
    I8x16LtS,
    I8x16LtU,
    I8x16GtS,
    I8x16GtU,
    I8x16LeS,
    I8x16LeU,
    I8x16GeS,
    I8x16GeU,
    I16x8Eq,
    I16x8Ne,
    I16x8LtS,
    I16x8LtU,
    I16x8GtS,
    I16x8GtU,
    I16x8LeS,
    I16x8LeU,
    I16x8GeS,
    I16x8GeU,
    I32x4Eq,
    I32x4Ne,
    I32x4LtS,
    I32x4LtU,
    I32x4GtS,
    I32x4GtU,
    I32x4LeS,
    I32x4LeU,
    I32x4GeS,
    I32x4GeU,
    I64x2Eq,
    I64x2Ne,
    I64x2LtS,
    I64x2GtS,
    I64x2LeS,
    I64x2GeS,
    F32x4Eq,
    F32x4Ne,
    F32x4Lt,
    F32x4Gt,
    F32x4Le,
    F32x4Ge,
    F64x2Eq,
    F64x2Ne,
    F64x2Lt,
    F64x2Gt,
    F64x2Le,
    F64x2Ge,
    V128And,
    V128AndNot,
    V128Or,
    V128Xor,
    I8x16NarrowI16x8S,
    I8x16NarrowI16x8U,
    I8x16Add,
    I8x16AddSatS,
    I8x16AddSatU,
    I8x16Sub,
    I8x16SubSatS,
    I8x16SubSatU,
    I8x16MinS,
    I8x16MinU,
    I8x16MaxS,
    I8x16MaxU,
    I8x16AvgrU,
    I16x8Q15MulrSatS,
    I16x8NarrowI32x4S,
    I16x8NarrowI32x4U,
    I16x8Add,
    I16x8AddSatS,
    I16x8AddSatU,
    I16x8Sub,
    I16x8SubSatS,
    I16x8SubSatU,
    I16x8Mul,
    I16x8MinS,
    I16x8MinU,
    I16x8MaxS,
    I16x8MaxU,
    I16x8AvgrU,
    I16x8ExtMulLowI8x16S,
    I16x8ExtMulHighI8x16S,
    I16x8ExtMulLowI8x16U,
    I16x8ExtMulHighI8x16U,
    /// Both operands' bytes signed (the deterministic `relaxed_dot_i8x16_i7x16_s`).
    I16x8DotI8x16S,
    I32x4Add,
    I32x4Sub,
    I32x4Mul,
    I32x4MinS,
    I32x4MinU,
    I32x4MaxS,
    I32x4MaxU,
    I32x4DotI16x8S,
    I32x4ExtMulLowI16x8S,
    I32x4ExtMulHighI16x8S,
    I32x4ExtMulLowI16x8U,
    I32x4ExtMulHighI16x8U,
    I64x2Add,
    I64x2Sub,
    I64x2Mul,
    I64x2ExtMulLowI32x4S,
    I64x2ExtMulHighI32x4S,
    I64x2ExtMulLowI32x4U,
    I64x2ExtMulHighI32x4U,
    F32x4Add,
    F32x4Sub,
    F32x4Mul,
    F32x4Div,
    F32x4Min,
    F32x4Max,
    F32x4PMin,
    F32x4PMax,
    F64x2Add,
    F64x2Sub,
    F64x2Mul,
    F64x2Div,
    F64x2Min,
    F64x2Max,
    F64x2PMin,
    F64x2PMax,
}

/// Three-operand `v128` operations (`a`, `b`, `c`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum V128Ternary {
    /// `(a & c) | (b & !c)`.
    Bitselect,
    /// `a * b + c`, rounded twice.
    F32x4MulAdd,
    /// `-(a * b) + c`, rounded twice (the product's sign flipped, then `c` added).
    F32x4NegMulAdd,
    /// `a * b + c`, rounded twice.
    F64x2MulAdd,
    /// `-(a * b) + c`, rounded twice (the product's sign flipped, then `c` added).
    F64x2NegMulAdd,
    /// Four signed byte products per `i32` lane, plus `c`.
    I32x4DotI8x16AddS,
}

/// Lane-wise shifts by a scalar count (taken modulo the lane width).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum V128Shift {
    I8x16Shl,
    I8x16ShrS,
    I8x16ShrU,
    I16x8Shl,
    I16x8ShrS,
    I16x8ShrU,
    I32x4Shl,
    I32x4ShrS,
    I32x4ShrU,
    I64x2Shl,
    I64x2ShrS,
    I64x2ShrU,
}

impl V128Binary {
    /// Whether the operation's sequence is one two-operand instruction `d = d op b` after
    /// `d = a` (skipped when `d` is `a`), so `d` may be `a`.
    fn in_place(self) -> bool {
        use V128Binary::*;
        matches!(
            self,
            V128And
                | V128Or
                | V128Xor
                | I8x16Add
                | I8x16Sub
                | I16x8Add
                | I16x8Sub
                | I16x8Mul
                | I32x4Add
                | I32x4Sub
                | I32x4Mul
                | I64x2Add
                | I64x2Sub
                | F32x4Add
                | F32x4Sub
                | F32x4Mul
                | F32x4Div
                | F64x2Add
                | F64x2Sub
                | F64x2Mul
                | F64x2Div
        )
    }
}

impl V128Shift {
    /// Whether a constant count shifts with one immediate-form instruction
    /// (`X64::v128_shift_imm`: the 16, 32 and 64-bit lanes but `i64x2.shr_s`).
    fn has_immediate_form(self) -> bool {
        use V128Shift::*;
        !matches!(self, I64x2ShrS | I8x16Shl | I8x16ShrS | I8x16ShrU)
    }

    /// The mask that reduces a count modulo the lane width.
    fn count_mask(self) -> u32 {
        use V128Shift::*;
        match self {
            I8x16Shl | I8x16ShrS | I8x16ShrU => 7,
            I16x8Shl | I16x8ShrS | I16x8ShrU => 15,
            I32x4Shl | I32x4ShrS | I32x4ShrU => 31,
            I64x2Shl | I64x2ShrS | I64x2ShrU => 63,
        }
    }
}

/// `v128` → `i32` reductions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum V128Reduce {
    AnyTrue,
    I8x16AllTrue,
    I16x8AllTrue,
    I32x4AllTrue,
    I64x2AllTrue,
    I8x16Bitmask,
    I16x8Bitmask,
    I32x4Bitmask,
    I64x2Bitmask,
}

/// A lane's width (floats go as their bit patterns: `f32` lanes are `L32`, `f64` `L64`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum LaneSize {
    L8,
    L16,
    L32,
    L64,
}

impl LaneSize {
    /// Bytes in a lane.
    pub(crate) fn bytes(self) -> u32 {
        match self {
            LaneSize::L8 => 1,
            LaneSize::L16 => 2,
            LaneSize::L32 => 4,
            LaneSize::L64 => 8,
        }
    }
}

/// How `extract_lane` widens a lane to its scalar (a 32-bit result is zero-extended in its
/// slot, as the slot ABI wants).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ExtractLane {
    /// `i8x16.extract_lane_s`: sign-extended to 32 bits.
    I8S,
    /// `i8x16.extract_lane_u`.
    I8U,
    /// `i16x8.extract_lane_s`: sign-extended to 32 bits.
    I16S,
    /// `i16x8.extract_lane_u`.
    I16U,
    /// `i32x4` and `f32x4`.
    I32,
    /// `i64x2` and `f64x2`.
    I64,
}

/// What a `v128` load reads from memory.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum V128LoadKind {
    /// 16 bytes.
    V128,
    /// 8 bytes, each lane widened (`v128.load8x8_s`…).
    Extend8x8S,
    Extend8x8U,
    Extend16x4S,
    Extend16x4U,
    Extend32x2S,
    Extend32x2U,
    /// One lane, copied to every lane.
    Splat(LaneSize),
    /// 4 bytes into lane 0, the rest zero.
    Zero32,
    /// 8 bytes into lane 0, the rest zero.
    Zero64,
}

impl V128LoadKind {
    /// Bytes read.
    pub(crate) fn bytes(self) -> u32 {
        match self {
            V128LoadKind::V128 => 16,
            V128LoadKind::Extend8x8S
            | V128LoadKind::Extend8x8U
            | V128LoadKind::Extend16x4S
            | V128LoadKind::Extend16x4U
            | V128LoadKind::Extend32x2S
            | V128LoadKind::Extend32x2U
            | V128LoadKind::Zero64 => 8,
            V128LoadKind::Zero32 => 4,
            V128LoadKind::Splat(size) => size.bytes(),
        }
    }
}

impl Masm {
    // ---- the xmm class of the register cache ----

    /// A register holding `slot`'s `v128`, not one of `avoid`: the one caching it, or a fresh
    /// one loaded from the frame (which then caches it).
    fn v128_operand(&mut self, slot: u32, avoid: &[Xmm]) -> Xmm {
        if let Some(x) = self.cache().xmm.find(slot) {
            return x;
        }
        self.exact_frame(slot, 2);
        let x = self.alloc_xmm(avoid);
        self.asm.load_v128(x, slot);
        self.cache().xmm.record(x, slot);
        x
    }

    /// Whether `dst = lhs <op> ..` may compute in `a`, the register caching `lhs`: when
    /// `dst` is `lhs` (a stack machine's `x = x <op> y` on a temporary) and `a` is no pin,
    /// `lhs`'s old value is superseded by the result. Then `a`'s entry (and its deferred
    /// store) is dropped: the caller writes `dst` from `a`.
    fn overwrites_in_place(&mut self, dst: u32, lhs: u32, a: Xmm) -> bool {
        if dst != lhs || self.v128_pins.iter().any(|&(p, _)| p == a) {
            return false;
        }
        self.forget_written(dst, 2);
        true
    }

    /// A cache register for a result, not one of `avoid` nor a pinned one; it has no entry.
    fn alloc_xmm(&mut self, avoid: &[Xmm]) -> Xmm {
        let pinned = self
            .v128_pins
            .iter()
            .fold(0u16, |mask, &(p, _)| mask | 1 << p.number());
        let (x, dropped) = self
            .cache()
            .xmm
            .take_next_dropping(|x| avoid.contains(&x) || pinned & (1 << x.number()) != 0);
        if self.deferred_xmm & (1 << x.number()) != 0 {
            // Evicting a deferred result: its store is due now.
            self.deferred_xmm &= !(1 << x.number());
            let slot = dropped.expect("a deferred register caches its slots");
            self.asm.store_v128(slot, x);
        }
        x
    }

    /// A register for slot `dst`'s new `v128`: its pinned register when it has one that
    /// `avoid` does not name (its entry dropped), else [`Masm::alloc_xmm`]'s.
    pub(super) fn alloc_xmm_for(&mut self, dst: u32, avoid: &[Xmm]) -> Xmm {
        let pinned = self
            .v128_pins
            .iter()
            .find(|&&(_, s)| s == dst)
            .map(|&(p, _)| p);
        match pinned {
            Some(p) if !avoid.contains(&p) => {
                // Its old value (dirty or not) is superseded by the result.
                self.forget_written(dst, 2);
                p
            }
            _ => self.alloc_xmm(avoid),
        }
    }

    /// Stores `x` to `slot`'s two slots and remembers that `x` holds them; a pinned `v128`'s
    /// value goes to its pinned register instead, unstored (dirty).
    pub(super) fn write_v128(&mut self, slot: u32, x: Xmm) {
        self.forget_written(slot, 2);
        match self.v128_pins.iter().position(|&(_, s)| s == slot) {
            // Deferred: the pinned register is the slots' value until a flush (a result
            // computed elsewhere moves there; its old value is superseded).
            Some(k) => {
                let p = self.v128_pins[k].0;
                if p != x {
                    self.cache().xmm.forget_reg(p);
                    self.asm.mov_v128(p, x);
                }
                self.dirty.xmm |= 1 << k;
                self.cache().xmm.record(p, slot);
            }
            None => {
                // A pinned register keeps its own slot's entry (its only one: it may be dirty).
                if self.v128_pins.iter().any(|&(p, _)| p == x) {
                    self.asm.store_v128(slot, x);
                } else {
                    // `x` may hold another `v128`'s deferred result (a copy): stored first,
                    // as `x`'s entry moves to `slot`.
                    self.store_deferred_xmm(x);
                    if self.deferring {
                        self.deferred_xmm |= 1 << x.number();
                    } else {
                        self.asm.store_v128(slot, x);
                    }
                    self.cache().xmm.record(x, slot);
                }
            }
        }
    }

    // ---- lane-wise operations ----

    /// `dst = op(src)`.
    pub(crate) fn v128_unary(&mut self, op: V128Unary, dst: u32, src: u32) {
        let a = self.v128_operand(src, &[]);
        let d = self.alloc_xmm_for(dst, &[a]);
        self.asm.v128_unary(op, d, a);
        self.write_v128(dst, d);
    }

    /// `dst = lhs <op> rhs`.
    pub(crate) fn v128_binary(&mut self, op: V128Binary, dst: u32, lhs: u32, rhs: u32) {
        let a = self.v128_operand(lhs, &[]);
        let b = self.v128_operand(rhs, &[a]);
        if a != b && op.in_place() && self.overwrites_in_place(dst, lhs, a) {
            self.asm.v128_binary(op, a, a, b);
            self.write_v128(dst, a);
            return;
        }
        // An accumulation into a pinned `v128` (`acc = acc + x`) computes in place.
        let pinned = self.v128_pins.iter().any(|&(p, s)| p == a && s == dst);
        let avoid: &[Xmm] = if pinned && a != b && op.in_place() {
            &[b]
        } else {
            &[a, b]
        };
        let d = self.alloc_xmm_for(dst, avoid);
        self.asm.v128_binary(op, d, a, b);
        self.write_v128(dst, d);
    }

    /// `dst = op(a, b, c)`.
    pub(crate) fn v128_ternary(&mut self, op: V128Ternary, dst: u32, a: u32, b: u32, c: u32) {
        let x = self.v128_operand(a, &[]);
        let y = self.v128_operand(b, &[x]);
        let z = self.v128_operand(c, &[x, y]);
        let d = if op == V128Ternary::Bitselect
            && y != x
            && z != x
            && self.overwrites_in_place(dst, a, x)
        {
            x
        } else {
            self.alloc_xmm_for(dst, &[x, y, z])
        };
        self.asm.v128_ternary(op, d, x, y, z);
        self.write_v128(dst, d);
    }

    /// `dst = lhs <op> count` (`count`'s low 32 bits, modulo the lane width).
    pub(crate) fn v128_shift(&mut self, op: V128Shift, dst: u32, lhs: u32, count: u32) {
        let a = self.v128_operand(lhs, &[]);
        let r = self.alloc(&[]);
        self.load_slot(Width::W32, r, count);
        self.claim(r);
        let d = self.alloc_xmm(&[a]);
        self.asm.v128_shift(op, d, a, r);
        self.write_v128(dst, d);
    }

    /// `dst = lhs` shifted by the constant `count` (modulo the lane width): an immediate
    /// shift where the lane width has one, else the count through a scratch register.
    pub(crate) fn v128_shift_by(&mut self, op: V128Shift, dst: u32, lhs: u32, count: u32) {
        let a = self.v128_operand(lhs, &[]);
        let d = if op.has_immediate_form() && self.overwrites_in_place(dst, lhs, a) {
            a
        } else {
            self.alloc_xmm(&[a])
        };
        if !self
            .asm
            .v128_shift_imm(op, d, a, (count & op.count_mask()) as u8)
        {
            let r = self.alloc(&[]);
            self.claim(r);
            self.asm.mov_imm32(r, count);
            self.asm.v128_shift(op, d, a, r);
        }
        self.write_v128(dst, d);
    }

    /// `dst = op(src)`, an `i32`.
    pub(crate) fn v128_reduce(&mut self, op: V128Reduce, dst: u32, src: u32) {
        let a = self.v128_operand(src, &[]);
        self.compute_into_slot(dst, |asm, r| asm.v128_reduce(op, r, a));
    }

    // ---- lanes, splats, constants, shuffles ----

    /// `dst` = every lane `src`'s low `size` bits.
    pub(crate) fn v128_splat(&mut self, size: LaneSize, dst: u32, src: u32) {
        let place = self.place(src);
        let d = self.alloc_xmm(&[]);
        self.asm.v128_splat(size, d, place);
        self.write_v128(dst, d);
    }

    /// `dst` = lane `lane` of `src`, widened as `kind` says. Read from the register caching
    /// `src`, or straight from its slots.
    pub(crate) fn v128_extract_lane(&mut self, kind: ExtractLane, dst: u32, src: u32, lane: u32) {
        let cached = self.cache().xmm.find(src);
        if cached.is_none() {
            self.exact_frame(src, 2);
        }
        self.compute_into_slot(dst, |asm, r| match cached {
            Some(x) => asm.extract_lane(kind, r, x, lane),
            None => asm.extract_lane_from_frame(kind, r, src, lane),
        });
    }

    /// `dst` = `src` with lane `lane` replaced by `value`'s low `size` bits.
    pub(crate) fn v128_replace_lane(
        &mut self,
        size: LaneSize,
        dst: u32,
        src: u32,
        value: u32,
        lane: u32,
    ) {
        let a = self.v128_operand(src, &[]);
        let place = self.place(value);
        let d = self.alloc_xmm(&[a]);
        self.asm.replace_lane(size, d, a, place, lane);
        self.write_v128(dst, d);
    }

    /// `dst = value`.
    pub(crate) fn v128_const(&mut self, dst: u32, value: u128) {
        let d = self.alloc_xmm(&[]);
        self.asm.v128_const(d, value);
        self.write_v128(dst, d);
    }

    /// `i8x16.shuffle`: `dst`'s byte `i` is byte `lanes[i]` (each < 32) of `lhs ++ rhs`.
    pub(crate) fn v128_shuffle(&mut self, dst: u32, lhs: u32, rhs: u32, lanes: [u8; 16]) {
        let a = self.v128_operand(lhs, &[]);
        let b = self.v128_operand(rhs, &[a]);
        let d = self.alloc_xmm(&[a, b]);
        self.asm.v128_shuffle(d, a, b, lanes);
        self.write_v128(dst, d);
    }

    // ---- moves, select, globals ----

    /// `dst = src` (a `v128`).
    pub(crate) fn v128_copy(&mut self, dst: u32, src: u32) {
        let x = self.v128_operand(src, &[]);
        let pinned = self.v128_pins.iter().any(|&(_, s)| s == dst);
        if self.deferring && !pinned && src != dst && self.deferred_xmm & (1 << x.number()) != 0 {
            // `src`'s store is deferred: a register of its own for `dst` (a move, where
            // taking over `x` would store `src`).
            let d = self.alloc_xmm(&[x]);
            self.asm.mov_v128(d, x);
            self.write_v128(dst, d);
        } else {
            self.write_v128(dst, x);
        }
    }

    /// `dst = if cond != 0 { if_nonzero } else { if_zero }` (`v128`s; `cond`'s low 32 bits).
    pub(crate) fn v128_select(&mut self, dst: u32, if_nonzero: u32, if_zero: u32, cond: u32) {
        let a = self.v128_operand(if_nonzero, &[]);
        let b = self.v128_operand(if_zero, &[a]);
        let d = self.alloc_xmm(&[a, b]);
        self.compare(Compare {
            width: Width::W32,
            lhs: cond,
            rhs: Operand::Imm(0),
            cond: Cond::Ne,
        });
        self.asm.select_v128(d, a, b);
        self.write_v128(dst, d);
    }

    /// `dst = global` (a `v128` global: 16 bytes at the global's pointer).
    pub(crate) fn v128_global_get(&mut self, dst: u32, global: u32) {
        let p = self.alloc(&[]);
        self.asm.load_vmctx_pointer(p, off::GLOBALS, global);
        let d = self.alloc_xmm(&[]);
        self.asm.load_v128_from(d, p);
        self.write_v128(dst, d);
    }

    /// `global = src` (a `v128` global).
    pub(crate) fn v128_global_set(&mut self, global: u32, src: u32) {
        let x = self.v128_operand(src, &[]);
        let p = self.alloc(&[]);
        self.asm.load_vmctx_pointer(p, off::GLOBALS, global);
        self.asm.store_v128_to(p, x);
    }

    // ---- linear memory ----

    /// `dst = memory[addr + offset]` read as `kind` says.
    pub(crate) fn v128_load(
        &mut self,
        kind: V128LoadKind,
        dst: u32,
        addr: u32,
        offset: u32,
        check: HeapCheck,
    ) {
        let (a, disp) = self.memory_address(addr, offset, kind.bytes(), check, None);
        let d = self.alloc_xmm_for(dst, &[]);
        self.trap_site(TrapCode::MemoryOutOfBounds);
        self.asm.heap_load_v128(kind, d, a, disp);
        self.write_v128(dst, d);
    }

    /// `memory[addr + offset] = src` (16 bytes).
    pub(crate) fn v128_store(&mut self, addr: u32, src: u32, offset: u32, check: HeapCheck) {
        let x = self.v128_operand(src, &[]);
        let (a, disp) = self.memory_address(addr, offset, 16, check, None);
        self.trap_site(TrapCode::MemoryOutOfBounds);
        self.asm.heap_store_v128(a, disp, x);
    }

    /// `dst` = `vector` with lane `lane` (of `size`) loaded from `memory[addr + offset]`.
    #[expect(
        clippy::too_many_arguments,
        reason = "a lane load has that many operands"
    )]
    pub(crate) fn v128_load_lane(
        &mut self,
        size: LaneSize,
        dst: u32,
        vector: u32,
        lane: u32,
        addr: u32,
        offset: u32,
        check: HeapCheck,
    ) {
        let v = self.v128_operand(vector, &[]);
        let (a, disp) = self.memory_address(addr, offset, size.bytes(), check, None);
        let d = self.alloc_xmm(&[v]);
        self.asm.mov_v128(d, v);
        self.trap_site(TrapCode::MemoryOutOfBounds);
        self.asm.heap_load_lane(size, d, a, disp, lane);
        self.write_v128(dst, d);
    }

    /// `memory[addr + offset]` = lane `lane` (of `size`) of `src`.
    pub(crate) fn v128_store_lane(
        &mut self,
        size: LaneSize,
        addr: u32,
        src: u32,
        lane: u32,
        offset: u32,
        check: HeapCheck,
    ) {
        let x = self.v128_operand(src, &[]);
        let (a, disp) = self.memory_address(addr, offset, size.bytes(), check, None);
        self.trap_site(TrapCode::MemoryOutOfBounds);
        self.asm.heap_store_lane(size, a, disp, x, lane);
    }
}

#[cfg(test)]
mod tests;
