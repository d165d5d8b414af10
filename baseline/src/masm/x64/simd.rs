//! SSE encodings of the `v128` operations (the vocabulary of `masm/simd.rs`), part of the
//! x86-64 layer: every sequence is written here once, with dynasm.
//!
//! Register contract of every sequence: `d` (the result) is distinct from the operands,
//! which may equal each other; the sequence may clobber the fixed temporaries `xmm0`
//! (`MASK`, the implicit operand of `blendvps`/`blendvpd`), `xmm1`, `xmm14` and `xmm15`
//! (`T2`, `T1`, `T0`), and writes nothing else but `d` and the general-purpose registers it
//! is given. Operands are always registers: frame slots are only 8-byte aligned, and SSE's
//! packed memory operands need 16. Constants are 16-byte aligned in the constant pool after
//! the code ([`X64::constant`]) and used as RIP-relative memory operands.
//!
//! The instruction set is SSE4.1 (what the tier requires); `pcmpgtq` (SSE4.2) is used when
//! the CPU has it ([`crate::CpuFeatures`]), else a seven-instruction SSE2 sequence. Where
//! wasm and SSE disagree the sequences fix up the difference: float `min`/`max` combine both
//! operand orders of `minps`/`maxps` (for ±0) and take `a + b` where an operand is NaN (the
//! result every tier computes); saturating truncations clamp before converting; unsigned
//! integer comparisons go through `pmin`/`pmax`; byte shifts through word shifts and masks;
//! `i64x2.mul`, `i64x2.abs` and `i64x2.shr_s` are built from 32-bit pieces. The sequences
//! follow Cranelift's x64 lowering and V8's Liftoff where those agree with the semantics every
//! tier shares (`interp/src/simd.rs`).

use dynasmrt::{DynamicLabel, DynasmApi, DynasmLabelApi, dynasm};
use tierup_abi::slot_offset;

use super::{Gpr, Place, X64, Xmm};
use crate::masm::simd::{
    ExtractLane, LaneSize, V128Binary, V128LoadKind, V128Reduce, V128Shift, V128Ternary, V128Unary,
};

/// `xmm0`: the implicit mask of SSE4.1's blends.
const MASK: u8 = 0;
/// Fixed temporaries.
const T0: u8 = 15;
const T1: u8 = 14;

/// `byte` in every byte.
const fn splat8(byte: u8) -> u128 {
    u128::from_le_bytes([byte; 16])
}

/// `v` in every 16-bit lane.
const fn splat16(v: u16) -> u128 {
    splat32(v as u32 | (v as u32) << 16)
}

/// `v` in every 32-bit lane.
const fn splat32(v: u32) -> u128 {
    splat64(v as u64 | (v as u64) << 32)
}

/// `v` in every 64-bit lane.
const fn splat64(v: u64) -> u128 {
    v as u128 | (v as u128) << 64
}

/// The popcount of each nibble value, a `pshufb` table.
const NIBBLE_POPCOUNT: u128 = u128::from_le_bytes([0, 1, 1, 2, 1, 2, 2, 3, 1, 2, 2, 3, 2, 3, 3, 4]);
/// `i32::MAX` as an `f64`, in both lanes.
const F64X2_I32_MAX: u128 = splat64(2_147_483_647.0f64.to_bits());
/// `u32::MAX` as an `f64`, in both lanes.
const F64X2_U32_MAX: u128 = splat64(4_294_967_295.0f64.to_bits());
/// 2^52 as an `f64`, in both lanes: adding it puts an integer below 2^32 in the low bits.
const F64X2_2P52: u128 = splat64(0x4330_0000_0000_0000);

// `pshufd`/`shufps` selectors (two bits per destination dword, lowest first).
/// Dwords 2, 3, 2, 3: the high half moved down.
const HIGH_HALF: i8 = 0xeeu8 as i8;
/// Dwords 1, 1, 3, 3: each quadword's high dword in both of its halves.
const ODD_DWORDS: i8 = 0xf5u8 as i8;
/// Dwords 0, 0, 1, 1: the low two dwords, each at the bottom of a quadword.
const LOW_PAIRS: i8 = 0x50;
/// Dwords 2, 2, 3, 3: the high two dwords, each at the bottom of a quadword.
const HIGH_PAIRS: i8 = 0xfau8 as i8;
/// `shufps`: dwords 0 and 2 of the destination, then dwords 0 and 2 of the source.
const EVEN_DWORDS_THEN_ZERO: i8 = 0x88u8 as i8;

/// Emits `movdqa d, a; <op> d, b` (the two-operand shape) for each `$mn`.
macro_rules! two_operand {
    ($ops:expr, $mn:ident, $d:expr, $a:expr, $b:expr) => {{
        if $d != $a {
            dynasm!($ops ; .arch x64 ; movdqa Rx($d), Rx($a));
        }
        dynasm!($ops ; .arch x64 ; $mn Rx($d), Rx($b))
    }};
}

impl X64 {
    // ---- the constant pool ----

    /// The label of a 16-byte-aligned constant holding `value` in the pool after the code.
    pub(crate) fn constant(&mut self, value: u128) -> DynamicLabel {
        if let Some(&(_, label)) = self.consts.iter().find(|(v, _)| *v == value) {
            return label;
        }
        let label = self.ops.new_dynamic_label();
        self.consts.push((value, label));
        label
    }

    /// Emits the constant pool (if any constant was used) and returns where the code ends:
    /// the pool follows, 16-byte aligned.
    pub(crate) fn emit_constants(&mut self) -> u32 {
        let end = self.offset();
        if self.consts.is_empty() {
            return end;
        }
        dynasm!(self.ops ; .arch x64 ; .align 16, 0xcc);
        for (value, label) in std::mem::take(&mut self.consts) {
            dynasm!(self.ops ; .arch x64 ; =>label);
            self.ops.extend(value.to_le_bytes());
        }
        end
    }

    // ---- moves between registers, slots and memory ----

    /// `movdqu x, [slot]` (16 bytes: slots `slot` and `slot + 1`).
    pub(crate) fn load_v128(&mut self, x: Xmm, slot: u32) {
        self.wrote_xmm(&[x]);
        let d = slot_offset(slot);
        dynasm!(self.ops ; .arch x64 ; movdqu Rx(x.0), [rbx + d]);
    }

    /// `movdqu [slot], x`.
    pub(crate) fn store_v128(&mut self, slot: u32, x: Xmm) {
        self.wrote_slots(slot, 2);
        let d = slot_offset(slot);
        dynasm!(self.ops ; .arch x64 ; movdqu [rbx + d], Rx(x.0));
    }

    /// `movdqa d, s`.
    pub(crate) fn mov_v128(&mut self, d: Xmm, s: Xmm) {
        self.wrote_xmm(&[d]);
        dynasm!(self.ops ; .arch x64 ; movdqa Rx(d.0), Rx(s.0));
    }

    /// `movdqu d, [p]`.
    pub(crate) fn load_v128_from(&mut self, d: Xmm, p: Gpr) {
        self.wrote_xmm(&[d]);
        dynasm!(self.ops ; .arch x64 ; movdqu Rx(d.0), [Rq(p.0)]);
    }

    /// `movdqu [p], x`.
    pub(crate) fn store_v128_to(&mut self, p: Gpr, x: Xmm) {
        dynasm!(self.ops ; .arch x64 ; movdqu [Rq(p.0)], Rx(x.0));
    }

    /// `d = a` unless the flags say "not equal" (after a compare of the condition with 0),
    /// else `d = b`: `select`.
    pub(crate) fn select_v128(&mut self, d: Xmm, a: Xmm, b: Xmm) {
        self.wrote_xmm(&[d]);
        dynasm!(self.ops
            ; .arch x64
            ; movdqa Rx(d.0), Rx(a.0)
            ; jne >keep
            ; movdqa Rx(d.0), Rx(b.0)
            ; keep:
        );
    }

    /// `d = value`: `pxor` for zero, `pcmpeqd` for all ones, else a load from the pool.
    pub(crate) fn v128_const(&mut self, d: Xmm, value: u128) {
        self.wrote_xmm(&[d]);
        let d = d.0;
        match value {
            0 => dynasm!(self.ops ; .arch x64 ; pxor Rx(d), Rx(d)),
            u128::MAX => dynasm!(self.ops ; .arch x64 ; pcmpeqd Rx(d), Rx(d)),
            _ => {
                let c = self.constant(value);
                dynasm!(self.ops ; .arch x64 ; movdqa Rx(d), [=>c]);
            }
        }
    }

    // ---- lane-wise operations ----

    /// `d = op(a)`.
    #[rustfmt::skip]
    pub(crate) fn v128_unary(&mut self, op: V128Unary, d: Xmm, a: Xmm) {
        use V128Unary::*;
        self.wrote_xmm(&[d]);
        let (d, a) = (d.0, a.0);
        match op {
            V128Not => dynasm!(self.ops ; .arch x64 ; pcmpeqd Rx(d), Rx(d) ; pxor Rx(d), Rx(a)),
            I8x16Abs => dynasm!(self.ops ; .arch x64 ; pabsb Rx(d), Rx(a)),
            I16x8Abs => dynasm!(self.ops ; .arch x64 ; pabsw Rx(d), Rx(a)),
            I32x4Abs => dynasm!(self.ops ; .arch x64 ; pabsd Rx(d), Rx(a)),
            // |x| = (x ^ s) - s with s the sign of each 64-bit lane (from its high dword).
            I64x2Abs => dynasm!(self.ops
                ; .arch x64
                ; pshufd Rx(T0), Rx(a), ODD_DWORDS
                ; psrad Rx(T0), 31
                ; movdqa Rx(d), Rx(a)
                ; pxor Rx(d), Rx(T0)
                ; psubq Rx(d), Rx(T0)
            ),
            I8x16Neg => dynasm!(self.ops ; .arch x64 ; pxor Rx(d), Rx(d) ; psubb Rx(d), Rx(a)),
            I16x8Neg => dynasm!(self.ops ; .arch x64 ; pxor Rx(d), Rx(d) ; psubw Rx(d), Rx(a)),
            I32x4Neg => dynasm!(self.ops ; .arch x64 ; pxor Rx(d), Rx(d) ; psubd Rx(d), Rx(a)),
            I64x2Neg => dynasm!(self.ops ; .arch x64 ; pxor Rx(d), Rx(d) ; psubq Rx(d), Rx(a)),
            // Both nibbles of every byte through a 16-entry `pshufb` table.
            I8x16Popcnt => {
                let low = self.constant(splat8(0x0f));
                let table = self.constant(NIBBLE_POPCOUNT);
                dynasm!(self.ops
                    ; .arch x64
                    ; movdqa Rx(T0), [=>low]
                    ; movdqa Rx(T1), Rx(a)
                    ; psrlw Rx(T1), 4
                    ; pand Rx(T1), Rx(T0)
                    ; pand Rx(T0), Rx(a)
                    ; movdqa Rx(d), [=>table]
                    ; pshufb Rx(d), Rx(T0)
                    ; movdqa Rx(T0), [=>table]
                    ; pshufb Rx(T0), Rx(T1)
                    ; paddb Rx(d), Rx(T0)
                );
            }
            // `pmaddubsw` multiplies unsigned bytes of its first operand by signed bytes of
            // its second and adds pairs: with ones on the other side, pairs are summed.
            I16x8ExtAddPairwiseI8x16S => {
                let ones = self.constant(splat8(1));
                dynasm!(self.ops ; .arch x64 ; movdqa Rx(d), [=>ones] ; pmaddubsw Rx(d), Rx(a));
            }
            I16x8ExtAddPairwiseI8x16U => {
                let ones = self.constant(splat8(1));
                dynasm!(self.ops ; .arch x64 ; movdqa Rx(d), Rx(a) ; pmaddubsw Rx(d), [=>ones]);
            }
            I32x4ExtAddPairwiseI16x8S => {
                let ones = self.constant(splat16(1));
                dynasm!(self.ops ; .arch x64 ; movdqa Rx(d), Rx(a) ; pmaddwd Rx(d), [=>ones]);
            }
            // Unsigned: bias every lane by -32768 (flip its sign bit), add pairs signed, and
            // add the 2 * 32768 back.
            I32x4ExtAddPairwiseI16x8U => {
                let sign = self.constant(splat16(0x8000));
                let ones = self.constant(splat16(1));
                let bias = self.constant(splat32(0x1_0000));
                dynasm!(self.ops
                    ; .arch x64
                    ; movdqa Rx(d), Rx(a)
                    ; pxor Rx(d), [=>sign]
                    ; pmaddwd Rx(d), [=>ones]
                    ; paddd Rx(d), [=>bias]
                );
            }
            I16x8ExtendLowI8x16S => dynasm!(self.ops ; .arch x64 ; pmovsxbw Rx(d), Rx(a)),
            I16x8ExtendLowI8x16U => dynasm!(self.ops ; .arch x64 ; pmovzxbw Rx(d), Rx(a)),
            I32x4ExtendLowI16x8S => dynasm!(self.ops ; .arch x64 ; pmovsxwd Rx(d), Rx(a)),
            I32x4ExtendLowI16x8U => dynasm!(self.ops ; .arch x64 ; pmovzxwd Rx(d), Rx(a)),
            I64x2ExtendLowI32x4S => dynasm!(self.ops ; .arch x64 ; pmovsxdq Rx(d), Rx(a)),
            I64x2ExtendLowI32x4U => dynasm!(self.ops ; .arch x64 ; pmovzxdq Rx(d), Rx(a)),
            // The high half moved down first.
            I16x8ExtendHighI8x16S => dynasm!(self.ops ; .arch x64 ; pshufd Rx(d), Rx(a), HIGH_HALF ; pmovsxbw Rx(d), Rx(d)),
            I16x8ExtendHighI8x16U => dynasm!(self.ops ; .arch x64 ; pshufd Rx(d), Rx(a), HIGH_HALF ; pmovzxbw Rx(d), Rx(d)),
            I32x4ExtendHighI16x8S => dynasm!(self.ops ; .arch x64 ; pshufd Rx(d), Rx(a), HIGH_HALF ; pmovsxwd Rx(d), Rx(d)),
            I32x4ExtendHighI16x8U => dynasm!(self.ops ; .arch x64 ; pshufd Rx(d), Rx(a), HIGH_HALF ; pmovzxwd Rx(d), Rx(d)),
            I64x2ExtendHighI32x4S => dynasm!(self.ops ; .arch x64 ; pshufd Rx(d), Rx(a), HIGH_HALF ; pmovsxdq Rx(d), Rx(d)),
            I64x2ExtendHighI32x4U => dynasm!(self.ops ; .arch x64 ; pshufd Rx(d), Rx(a), HIGH_HALF ; pmovzxdq Rx(d), Rx(d)),
            // `round` immediates: 0 nearest (ties to even), 1 down, 2 up, 3 toward zero. A NaN
            // comes out quiet, as wasm wants.
            F32x4Nearest => dynasm!(self.ops ; .arch x64 ; roundps Rx(d), Rx(a), 0),
            F32x4Floor => dynasm!(self.ops ; .arch x64 ; roundps Rx(d), Rx(a), 1),
            F32x4Ceil => dynasm!(self.ops ; .arch x64 ; roundps Rx(d), Rx(a), 2),
            F32x4Trunc => dynasm!(self.ops ; .arch x64 ; roundps Rx(d), Rx(a), 3),
            F64x2Nearest => dynasm!(self.ops ; .arch x64 ; roundpd Rx(d), Rx(a), 0),
            F64x2Floor => dynasm!(self.ops ; .arch x64 ; roundpd Rx(d), Rx(a), 1),
            F64x2Ceil => dynasm!(self.ops ; .arch x64 ; roundpd Rx(d), Rx(a), 2),
            F64x2Trunc => dynasm!(self.ops ; .arch x64 ; roundpd Rx(d), Rx(a), 3),
            F32x4Sqrt => dynasm!(self.ops ; .arch x64 ; sqrtps Rx(d), Rx(a)),
            F64x2Sqrt => dynasm!(self.ops ; .arch x64 ; sqrtpd Rx(d), Rx(a)),
            // Sign-bit masks made in the register (all ones, shifted).
            F32x4Abs => dynasm!(self.ops ; .arch x64 ; pcmpeqd Rx(d), Rx(d) ; psrld Rx(d), 1 ; pand Rx(d), Rx(a)),
            F32x4Neg => dynasm!(self.ops ; .arch x64 ; pcmpeqd Rx(d), Rx(d) ; pslld Rx(d), 31 ; pxor Rx(d), Rx(a)),
            F64x2Abs => dynasm!(self.ops ; .arch x64 ; pcmpeqd Rx(d), Rx(d) ; psrlq Rx(d), 1 ; pand Rx(d), Rx(a)),
            F64x2Neg => dynasm!(self.ops ; .arch x64 ; pcmpeqd Rx(d), Rx(d) ; psllq Rx(d), 63 ; pxor Rx(d), Rx(a)),
            // NaN lanes zeroed; `cvttps2dq` gives 0x8000_0000 out of range, which the last
            // three instructions turn into 0x7fff_ffff where the input was positive.
            I32x4TruncSatF32x4S => dynasm!(self.ops
                ; .arch x64
                ; movdqa Rx(T0), Rx(a)
                ; cmpps Rx(T0), Rx(a), 0
                ; movdqa Rx(d), Rx(a)
                ; pand Rx(d), Rx(T0)
                ; pxor Rx(T0), Rx(d)
                ; cvttps2dq Rx(d), Rx(d)
                ; pand Rx(T0), Rx(d)
                ; psrad Rx(T0), 31
                ; pxor Rx(d), Rx(T0)
            ),
            // max(x, 0) (NaN → 0), then x converted signed plus (x - 2^31) converted signed
            // and clamped to 0..; x ≥ 2^32 saturates through the `cmpleps` mask.
            I32x4TruncSatF32x4U => dynasm!(self.ops
                ; .arch x64
                ; pxor Rx(T0), Rx(T0)
                ; movdqa Rx(d), Rx(a)
                ; maxps Rx(d), Rx(T0)
                ; pcmpeqd Rx(T0), Rx(T0)
                ; psrld Rx(T0), 1
                ; cvtdq2ps Rx(T0), Rx(T0)
                ; movdqa Rx(T1), Rx(d)
                ; subps Rx(T1), Rx(T0)
                ; cmpps Rx(T0), Rx(T1), 2
                ; cvttps2dq Rx(T1), Rx(T1)
                ; pxor Rx(T1), Rx(T0)
                ; pxor Rx(T0), Rx(T0)
                ; pmaxsd Rx(T1), Rx(T0)
                ; cvttps2dq Rx(d), Rx(d)
                ; paddd Rx(d), Rx(T1)
            ),
            F32x4ConvertI32x4S => dynasm!(self.ops ; .arch x64 ; cvtdq2ps Rx(d), Rx(a)),
            // The low 16 bits and the high 16 bits of each lane convert exactly (the high ones
            // halved, then doubled); only the final addition rounds.
            F32x4ConvertI32x4U => dynasm!(self.ops
                ; .arch x64
                ; pxor Rx(T0), Rx(T0)
                ; pblendw Rx(T0), Rx(a), 0x55
                ; movdqa Rx(d), Rx(a)
                ; psubd Rx(d), Rx(T0)
                ; cvtdq2ps Rx(T0), Rx(T0)
                ; psrld Rx(d), 1
                ; cvtdq2ps Rx(d), Rx(d)
                ; addps Rx(d), Rx(d)
                ; addps Rx(d), Rx(T0)
            ),
            // NaN lanes clamped to 0 and the rest to i32::MAX, then converted (too negative
            // gives 0x8000_0000 = i32::MIN); the upper lanes come out zero.
            I32x4TruncSatF64x2SZero => {
                let max = self.constant(F64X2_I32_MAX);
                dynasm!(self.ops
                    ; .arch x64
                    ; movdqa Rx(T0), Rx(a)
                    ; cmppd Rx(T0), Rx(a), 0
                    ; andpd Rx(T0), [=>max]
                    ; movdqa Rx(d), Rx(a)
                    ; minpd Rx(d), Rx(T0)
                    ; cvttpd2dq Rx(d), Rx(d)
                );
            }
            // Clamped to 0..=u32::MAX (NaN → 0), truncated, and moved into the low 32 bits of
            // each double by adding 2^52; `shufps` gathers them and zeroes the upper lanes.
            I32x4TruncSatF64x2UZero => {
                let max = self.constant(F64X2_U32_MAX);
                let magic = self.constant(F64X2_2P52);
                dynasm!(self.ops
                    ; .arch x64
                    ; xorpd Rx(T0), Rx(T0)
                    ; movdqa Rx(d), Rx(a)
                    ; maxpd Rx(d), Rx(T0)
                    ; minpd Rx(d), [=>max]
                    ; roundpd Rx(d), Rx(d), 3
                    ; addpd Rx(d), [=>magic]
                    ; shufps Rx(d), Rx(T0), EVEN_DWORDS_THEN_ZERO
                );
            }
            F64x2ConvertLowI32x4S => dynasm!(self.ops ; .arch x64 ; cvtdq2pd Rx(d), Rx(a)),
            // Each u32 as the mantissa of 2^52 + u, minus 2^52: exact.
            F64x2ConvertLowI32x4U => {
                let high = self.constant(splat32(0x4330_0000));
                let magic = self.constant(F64X2_2P52);
                dynasm!(self.ops
                    ; .arch x64
                    ; movdqa Rx(d), Rx(a)
                    ; unpcklps Rx(d), [=>high]
                    ; subpd Rx(d), [=>magic]
                );
            }
            F32x4DemoteF64x2Zero => dynasm!(self.ops ; .arch x64 ; cvtpd2ps Rx(d), Rx(a)),
            F64x2PromoteLowF32x4 => dynasm!(self.ops ; .arch x64 ; cvtps2pd Rx(d), Rx(a)),
        }
    }

    /// `d = a <op> b`.
    #[rustfmt::skip]
    pub(crate) fn v128_binary(&mut self, op: V128Binary, d: Xmm, a: Xmm, b: Xmm) {
        use V128Binary::*;
        self.wrote_xmm(&[d]);
        let (d, a, b) = (d.0, a.0, b.0);
        let ops = &mut self.ops;
        // `d = a <mn> b` in one instruction after the copy.
        macro_rules! ab {
            ($mn:ident) => { two_operand!(ops, $mn, d, a, b) };
        }
        // `d = b <mn> a`: the operation with its operands swapped.
        macro_rules! ba {
            ($mn:ident) => { two_operand!(ops, $mn, d, b, a) };
        }
        // `d = !(x <mn> y)`.
        macro_rules! not {
            ($mn:ident, $x:expr, $y:expr) => {
                dynasm!(ops
                    ; .arch x64
                    ; movdqa Rx(d), Rx($x)
                    ; $mn Rx(d), Rx($y)
                    ; pcmpeqd Rx(T0), Rx(T0)
                    ; pxor Rx(d), Rx(T0)
                )
            };
        }
        // `d = (a == minmax(a, b))`: `a >= b` with `pmax`, `a <= b` with `pmin`.
        macro_rules! is_a {
            ($minmax:ident, $eq:ident) => {
                dynasm!(ops ; .arch x64 ; movdqa Rx(d), Rx(a) ; $minmax Rx(d), Rx(b) ; $eq Rx(d), Rx(a))
            };
        }
        // `d = (a != minmax(a, b))`.
        macro_rules! is_not_a {
            ($minmax:ident, $eq:ident) => {
                dynasm!(ops
                    ; .arch x64
                    ; movdqa Rx(d), Rx(a)
                    ; $minmax Rx(d), Rx(b)
                    ; $eq Rx(d), Rx(a)
                    ; pcmpeqd Rx(T0), Rx(T0)
                    ; pxor Rx(d), Rx(T0)
                )
            };
        }
        // `d = a <cmp> b` with a `cmpps`/`cmppd` predicate.
        macro_rules! cmp {
            ($mn:ident, $x:expr, $y:expr, $pred:expr) => {
                dynasm!(ops ; .arch x64 ; movdqa Rx(d), Rx($x) ; $mn Rx(d), Rx($y), $pred)
            };
        }
        // wasm `min` on float lanes, as Cranelift lowers it (so every tier gives the same NaN;
        // `tierup_abi::numeric::f32_lane_min`): `min` in both operand orders or-ed (a NaN in
        // either order shows, and -0 wins over +0), then every lane with a NaN operand made
        // the canonical NaN with the sign set (`or` with the unordered mask, fraction below the
        // quiet bit cleared). `$shift` is the fraction's width below the quiet bit.
        macro_rules! min_seq {
            ($mn:ident, $or:ident, $cmp:ident, $andn:ident, $shr:ident, $shift:expr) => {
                dynasm!(ops
                    ; .arch x64
                    ; movdqa Rx(d), Rx(a)
                    ; $mn Rx(d), Rx(b)
                    ; movdqa Rx(T0), Rx(b)
                    ; $mn Rx(T0), Rx(a)
                    ; $or Rx(d), Rx(T0)
                    ; $cmp Rx(T0), Rx(d), 3
                    ; $or Rx(d), Rx(T0)
                    ; $shr Rx(T0), $shift
                    ; $andn Rx(T0), Rx(d)
                    ; movdqa Rx(d), Rx(T0)
                )
            };
        }
        // wasm `max` on float lanes, as Cranelift lowers it (`numeric::f32_lane_max`): `max`
        // in both orders, their xor or-ed into the first (a NaN in either order shows), the
        // xor subtracted (so +0 wins over -0), then lanes that are NaN made the canonical NaN
        // keeping the sign (fraction below the quiet bit cleared).
        macro_rules! max_seq {
            ($mx:ident, $xor:ident, $or:ident, $sub:ident, $cmp:ident, $andn:ident, $shr:ident, $shift:expr) => {
                dynasm!(ops
                    ; .arch x64
                    ; movdqa Rx(d), Rx(a)
                    ; $mx Rx(d), Rx(b)
                    ; movdqa Rx(T0), Rx(b)
                    ; $mx Rx(T0), Rx(a)
                    ; $xor Rx(T0), Rx(d)
                    ; $or Rx(d), Rx(T0)
                    ; movdqa Rx(MASK), Rx(d)
                    ; $cmp Rx(MASK), Rx(d), 3
                    ; $sub Rx(d), Rx(T0)
                    ; $shr Rx(MASK), $shift
                    ; $andn Rx(MASK), Rx(d)
                    ; movdqa Rx(d), Rx(MASK)
                )
            };
        }
        // `d = widen(a) * widen(b)` on 16-bit lanes, from the low half or (`high`) the high
        // half of the bytes.
        macro_rules! widened_mul {
            (none, $widen:ident) => {
                dynasm!(ops
                    ; .arch x64
                    ; $widen Rx(d), Rx(a)
                    ; $widen Rx(T0), Rx(b)
                    ; pmullw Rx(d), Rx(T0)
                )
            };
            (high, $widen:ident) => {
                dynasm!(ops
                    ; .arch x64
                    ; pshufd Rx(d), Rx(a), HIGH_HALF
                    ; $widen Rx(d), Rx(d)
                    ; pshufd Rx(T0), Rx(b), HIGH_HALF
                    ; $widen Rx(T0), Rx(T0)
                    ; pmullw Rx(d), Rx(T0)
                )
            };
        }
        // `d` = the 32-bit products of 16-bit lanes: high halves by `$mulh`, low ones by
        // `pmullw`, interleaved by `$unpack`.
        macro_rules! halves_mul {
            ($mulh:ident, $unpack:ident) => {
                dynasm!(ops
                    ; .arch x64
                    ; movdqa Rx(T0), Rx(a)
                    ; $mulh Rx(T0), Rx(b)
                    ; movdqa Rx(d), Rx(a)
                    ; pmullw Rx(d), Rx(b)
                    ; $unpack Rx(d), Rx(T0)
                )
            };
        }
        // `d` = the 64-bit products of the dwords `$pick` moves to the bottom of each
        // quadword.
        macro_rules! dwords_mul {
            ($pick:expr, $mul:ident) => {
                dynasm!(ops
                    ; .arch x64
                    ; pshufd Rx(d), Rx(a), $pick
                    ; pshufd Rx(T0), Rx(b), $pick
                    ; $mul Rx(d), Rx(T0)
                )
            };
        }
        match op {
            // Indices ≥ 16 must select 0: biased by 0x70 with saturation they reach bit 7,
            // which makes `pshufb` write 0.
            I8x16Swizzle => {
                let bias = self.constant(splat8(0x70));
                dynasm!(self.ops
                    ; .arch x64
                    ; movdqa Rx(T0), Rx(b)
                    ; paddusb Rx(T0), [=>bias]
                    ; movdqa Rx(d), Rx(a)
                    ; pshufb Rx(d), Rx(T0)
                );
            }
            I8x16Eq => ab!(pcmpeqb),
            I16x8Eq => ab!(pcmpeqw),
            I32x4Eq => ab!(pcmpeqd),
            I64x2Eq => ab!(pcmpeqq),
            I8x16Ne => not!(pcmpeqb, a, b),
            I16x8Ne => not!(pcmpeqw, a, b),
            I32x4Ne => not!(pcmpeqd, a, b),
            I64x2Ne => not!(pcmpeqq, a, b),
            I8x16GtS => ab!(pcmpgtb),
            I16x8GtS => ab!(pcmpgtw),
            I32x4GtS => ab!(pcmpgtd),
            I8x16LtS => ba!(pcmpgtb),
            I16x8LtS => ba!(pcmpgtw),
            I32x4LtS => ba!(pcmpgtd),
            I8x16GeS => is_a!(pmaxsb, pcmpeqb),
            I16x8GeS => is_a!(pmaxsw, pcmpeqw),
            I32x4GeS => is_a!(pmaxsd, pcmpeqd),
            I8x16LeS => is_a!(pminsb, pcmpeqb),
            I16x8LeS => is_a!(pminsw, pcmpeqw),
            I32x4LeS => is_a!(pminsd, pcmpeqd),
            I8x16GeU => is_a!(pmaxub, pcmpeqb),
            I16x8GeU => is_a!(pmaxuw, pcmpeqw),
            I32x4GeU => is_a!(pmaxud, pcmpeqd),
            I8x16LeU => is_a!(pminub, pcmpeqb),
            I16x8LeU => is_a!(pminuw, pcmpeqw),
            I32x4LeU => is_a!(pminud, pcmpeqd),
            I8x16GtU => is_not_a!(pminub, pcmpeqb),
            I16x8GtU => is_not_a!(pminuw, pcmpeqw),
            I32x4GtU => is_not_a!(pminud, pcmpeqd),
            I8x16LtU => is_not_a!(pmaxub, pcmpeqb),
            I16x8LtU => is_not_a!(pmaxuw, pcmpeqw),
            I32x4LtU => is_not_a!(pmaxud, pcmpeqd),
            I64x2GtS | I64x2LtS | I64x2LeS | I64x2GeS => {
                let (x, y) = match op {
                    I64x2GtS | I64x2LeS => (a, b),
                    _ => (b, a),
                };
                self.i64x2_greater(d, x, y);
                if matches!(op, I64x2LeS | I64x2GeS) {
                    dynasm!(self.ops ; .arch x64 ; pcmpeqd Rx(T0), Rx(T0) ; pxor Rx(d), Rx(T0));
                }
            }
            // `cmpps` predicates: 0 eq, 1 lt, 2 le, 3 unordered, 4 neq (true for NaN).
            F32x4Eq => cmp!(cmpps, a, b, 0),
            F32x4Ne => cmp!(cmpps, a, b, 4),
            F32x4Lt => cmp!(cmpps, a, b, 1),
            F32x4Le => cmp!(cmpps, a, b, 2),
            F32x4Gt => cmp!(cmpps, b, a, 1),
            F32x4Ge => cmp!(cmpps, b, a, 2),
            F64x2Eq => cmp!(cmppd, a, b, 0),
            F64x2Ne => cmp!(cmppd, a, b, 4),
            F64x2Lt => cmp!(cmppd, a, b, 1),
            F64x2Le => cmp!(cmppd, a, b, 2),
            F64x2Gt => cmp!(cmppd, b, a, 1),
            F64x2Ge => cmp!(cmppd, b, a, 2),
            V128And => ab!(pand),
            V128Or => ab!(por),
            V128Xor => ab!(pxor),
            // `pandn d, s` is `!d & s`.
            V128AndNot => ba!(pandn),
            I8x16NarrowI16x8S => ab!(packsswb),
            I8x16NarrowI16x8U => ab!(packuswb),
            I16x8NarrowI32x4S => ab!(packssdw),
            I16x8NarrowI32x4U => ab!(packusdw),
            I8x16Add => ab!(paddb),
            I8x16AddSatS => ab!(paddsb),
            I8x16AddSatU => ab!(paddusb),
            I8x16Sub => ab!(psubb),
            I8x16SubSatS => ab!(psubsb),
            I8x16SubSatU => ab!(psubusb),
            I8x16MinS => ab!(pminsb),
            I8x16MinU => ab!(pminub),
            I8x16MaxS => ab!(pmaxsb),
            I8x16MaxU => ab!(pmaxub),
            I8x16AvgrU => ab!(pavgb),
            I16x8Add => ab!(paddw),
            I16x8AddSatS => ab!(paddsw),
            I16x8AddSatU => ab!(paddusw),
            I16x8Sub => ab!(psubw),
            I16x8SubSatS => ab!(psubsw),
            I16x8SubSatU => ab!(psubusw),
            I16x8Mul => ab!(pmullw),
            I16x8MinS => ab!(pminsw),
            I16x8MinU => ab!(pminuw),
            I16x8MaxS => ab!(pmaxsw),
            I16x8MaxU => ab!(pmaxuw),
            I16x8AvgrU => ab!(pavgw),
            // `pmulhrsw` is the Q15 rounding multiply except for -1 * -1, which it wraps to
            // 0x8000: those lanes are flipped to 0x7fff.
            I16x8Q15MulrSatS => {
                let min = self.constant(splat16(0x8000));
                dynasm!(self.ops
                    ; .arch x64
                    ; movdqa Rx(d), Rx(a)
                    ; pmulhrsw Rx(d), Rx(b)
                    ; movdqa Rx(T0), [=>min]
                    ; pcmpeqw Rx(T0), Rx(d)
                    ; pxor Rx(d), Rx(T0)
                );
            }
            // Both operands' halves widened, then multiplied (the products fit 16 bits).
            I16x8ExtMulLowI8x16S => widened_mul!(none, pmovsxbw),
            I16x8ExtMulLowI8x16U => widened_mul!(none, pmovzxbw),
            I16x8ExtMulHighI8x16S => widened_mul!(high, pmovsxbw),
            I16x8ExtMulHighI8x16U => widened_mul!(high, pmovzxbw),
            I16x8DotI8x16S => self.signed_byte_products(d, a, b, false),
            I32x4Add => ab!(paddd),
            I32x4Sub => ab!(psubd),
            I32x4Mul => ab!(pmulld),
            I32x4MinS => ab!(pminsd),
            I32x4MinU => ab!(pminud),
            I32x4MaxS => ab!(pmaxsd),
            I32x4MaxU => ab!(pmaxud),
            I32x4DotI16x8S => ab!(pmaddwd),
            // The low and high halves of the 32-bit products, interleaved.
            I32x4ExtMulLowI16x8S => halves_mul!(pmulhw, punpcklwd),
            I32x4ExtMulHighI16x8S => halves_mul!(pmulhw, punpckhwd),
            I32x4ExtMulLowI16x8U => halves_mul!(pmulhuw, punpcklwd),
            I32x4ExtMulHighI16x8U => halves_mul!(pmulhuw, punpckhwd),
            I64x2Add => ab!(paddq),
            I64x2Sub => ab!(psubq),
            // lo(a) * lo(b) + ((hi(a) * lo(b) + lo(a) * hi(b)) << 32), from `pmuludq`s.
            I64x2Mul => dynasm!(ops
                ; .arch x64
                ; movdqa Rx(T0), Rx(a)
                ; psrlq Rx(T0), 32
                ; pmuludq Rx(T0), Rx(b)
                ; movdqa Rx(T1), Rx(b)
                ; psrlq Rx(T1), 32
                ; pmuludq Rx(T1), Rx(a)
                ; paddq Rx(T0), Rx(T1)
                ; psllq Rx(T0), 32
                ; movdqa Rx(d), Rx(a)
                ; pmuludq Rx(d), Rx(b)
                ; paddq Rx(d), Rx(T0)
            ),
            // The two dwords multiplied moved to the low dword of each quadword.
            I64x2ExtMulLowI32x4S => dwords_mul!(LOW_PAIRS, pmuldq),
            I64x2ExtMulHighI32x4S => dwords_mul!(HIGH_PAIRS, pmuldq),
            I64x2ExtMulLowI32x4U => dwords_mul!(LOW_PAIRS, pmuludq),
            I64x2ExtMulHighI32x4U => dwords_mul!(HIGH_PAIRS, pmuludq),
            F32x4Add => ab!(addps),
            F32x4Sub => ab!(subps),
            F32x4Mul => ab!(mulps),
            F32x4Div => ab!(divps),
            F64x2Add => ab!(addpd),
            F64x2Sub => ab!(subpd),
            F64x2Mul => ab!(mulpd),
            F64x2Div => ab!(divpd),
            F32x4Min => min_seq!(minps, orps, cmpps, andnps, psrld, 10),
            F32x4Max => max_seq!(maxps, xorps, orps, subps, cmpps, andnps, psrld, 10),
            F64x2Min => min_seq!(minpd, orpd, cmppd, andnpd, psrlq, 13),
            F64x2Max => max_seq!(maxpd, xorpd, orpd, subpd, cmppd, andnpd, psrlq, 13),
            // `pmin(a, b)` is `b < a ? b : a`, which is `minps` with `b` first (it returns
            // its second operand unless the first is less).
            F32x4PMin => ba!(minps),
            F32x4PMax => ba!(maxps),
            F64x2PMin => ba!(minpd),
            F64x2PMax => ba!(maxpd),
        }
    }

    /// `d = x > y` on signed 64-bit lanes: `pcmpgtq` (SSE4.2), or from 32-bit compares: the
    /// high dwords compared, or, where they are equal, the borrow of `y - x` (the low dwords
    /// compared unsigned); the answer is in each high dword, copied to the low one.
    fn i64x2_greater(&mut self, d: u8, x: u8, y: u8) {
        if self.cpu.sse42 {
            two_operand!(self.ops, pcmpgtq, d, x, y);
            return;
        }
        dynasm!(self.ops
            ; .arch x64
            ; movdqa Rx(d), Rx(y)
            ; psubq Rx(d), Rx(x)
            ; movdqa Rx(T0), Rx(x)
            ; pcmpeqd Rx(T0), Rx(y)
            ; pand Rx(d), Rx(T0)
            ; movdqa Rx(T0), Rx(x)
            ; pcmpgtd Rx(T0), Rx(y)
            ; por Rx(d), Rx(T0)
            ; pshufd Rx(d), Rx(d), ODD_DWORDS
        );
    }

    /// The relaxed dot products' core: the even and the odd bytes of `a` and `b` are
    /// sign-extended to words (`psllw 8; psraw 8`, and `psraw 8`) and multiplied. Without
    /// `widen32`, `d` = each pair of products summed into 16 bits (wrapping); with it, `d` =
    /// the four products of each 32-bit lane summed there (`pmaddwd` adds word pairs into
    /// 32 bits, so nothing wraps early).
    fn signed_byte_products(&mut self, d: u8, a: u8, b: u8, widen32: bool) {
        dynasm!(self.ops
            ; .arch x64
            ; movdqa Rx(d), Rx(a)
            ; psllw Rx(d), 8
            ; psraw Rx(d), 8
            ; movdqa Rx(T0), Rx(b)
            ; psllw Rx(T0), 8
            ; psraw Rx(T0), 8
            ; movdqa Rx(T1), Rx(b)
            ; psraw Rx(T1), 8
        );
        if widen32 {
            dynasm!(self.ops
                ; .arch x64
                ; pmaddwd Rx(d), Rx(T0)
                ; movdqa Rx(T0), Rx(a)
                ; psraw Rx(T0), 8
                ; pmaddwd Rx(T0), Rx(T1)
                ; paddd Rx(d), Rx(T0)
            );
        } else {
            dynasm!(self.ops
                ; .arch x64
                ; pmullw Rx(d), Rx(T0)
                ; movdqa Rx(T0), Rx(a)
                ; psraw Rx(T0), 8
                ; pmullw Rx(T0), Rx(T1)
                ; paddw Rx(d), Rx(T0)
            );
        }
    }

    /// `d = op(x, y, z)`.
    pub(crate) fn v128_ternary(&mut self, op: V128Ternary, d: Xmm, x: Xmm, y: Xmm, z: Xmm) {
        self.wrote_xmm(&[d]);
        let (d, x, y, z) = (d.0, x.0, y.0, z.0);
        match op {
            // ((x ^ y) & z) ^ y.
            // In place (`d` is `x`) when neither `y` nor `z` is `x`.
            V128Ternary::Bitselect => {
                if d != x {
                    dynasm!(self.ops ; .arch x64 ; movdqa Rx(d), Rx(x));
                }
                dynasm!(self.ops
                    ; .arch x64
                    ; pxor Rx(d), Rx(y)
                    ; pand Rx(d), Rx(z)
                    ; pxor Rx(d), Rx(y)
                )
            }
            V128Ternary::F32x4MulAdd => dynasm!(self.ops
                ; .arch x64
                ; movdqa Rx(d), Rx(x)
                ; mulps Rx(d), Rx(y)
                ; addps Rx(d), Rx(z)
            ),
            V128Ternary::F64x2MulAdd => dynasm!(self.ops
                ; .arch x64
                ; movdqa Rx(d), Rx(x)
                ; mulpd Rx(d), Rx(y)
                ; addpd Rx(d), Rx(z)
            ),
            // `-(a * b) + c`: the product's sign bits flipped, then `c` added (so a NaN
            // product comes out negated; `c - a * b`, the same number, would keep its sign).
            V128Ternary::F32x4NegMulAdd => dynasm!(self.ops
                ; .arch x64
                ; movdqa Rx(d), Rx(x)
                ; mulps Rx(d), Rx(y)
                ; pcmpeqd Rx(T0), Rx(T0)
                ; pslld Rx(T0), 31
                ; pxor Rx(d), Rx(T0)
                ; addps Rx(d), Rx(z)
            ),
            V128Ternary::F64x2NegMulAdd => dynasm!(self.ops
                ; .arch x64
                ; movdqa Rx(d), Rx(x)
                ; mulpd Rx(d), Rx(y)
                ; pcmpeqd Rx(T0), Rx(T0)
                ; psllq Rx(T0), 63
                ; pxor Rx(d), Rx(T0)
                ; addpd Rx(d), Rx(z)
            ),
            V128Ternary::I32x4DotI8x16AddS => {
                self.signed_byte_products(d, x, y, true);
                dynasm!(self.ops ; .arch x64 ; paddd Rx(d), Rx(z));
            }
        }
    }

    /// `d = a <op> r` (the count in `r`'s low 32 bits, taken modulo the lane width here).
    /// Writes `r`.
    pub(crate) fn v128_shift(&mut self, op: V128Shift, d: Xmm, a: Xmm, r: Gpr) {
        use V128Shift::*;
        self.wrote_xmm(&[d]);
        self.wrote(&[r]);
        let (d, a, c) = (d.0, a.0, r.0);
        let ops = &mut self.ops;
        // `d = a <mn> (c & mask)`.
        macro_rules! shift {
            ($mn:ident, $mask:expr) => {
                dynasm!(ops
                    ; .arch x64
                    ; and Rd(c), $mask
                    ; movd Rx(T0), Rd(c)
                    ; movdqa Rx(d), Rx(a)
                    ; $mn Rx(d), Rx(T0)
                )
            };
        }
        match op {
            I16x8Shl => shift!(psllw, 15),
            I16x8ShrS => shift!(psraw, 15),
            I16x8ShrU => shift!(psrlw, 15),
            I32x4Shl => shift!(pslld, 31),
            I32x4ShrS => shift!(psrad, 31),
            I32x4ShrU => shift!(psrld, 31),
            I64x2Shl => shift!(psllq, 63),
            I64x2ShrU => shift!(psrlq, 63),
            // ((x >>u s) ^ m) - m with m = the sign bit >>u s: sign extension.
            I64x2ShrS => {
                let sign = self.constant(splat64(1 << 63));
                dynasm!(self.ops
                    ; .arch x64
                    ; and Rd(c), 63
                    ; movd Rx(T0), Rd(c)
                    ; movdqa Rx(T1), [=>sign]
                    ; psrlq Rx(T1), Rx(T0)
                    ; movdqa Rx(d), Rx(a)
                    ; psrlq Rx(d), Rx(T0)
                    ; pxor Rx(d), Rx(T1)
                    ; psubq Rx(d), Rx(T1)
                );
            }
            // Bytes shift as words: the bits that would cross into the next byte are
            // cleared first.
            I8x16Shl => {
                self.byte_shift_mask(c);
                dynasm!(self.ops
                    ; .arch x64
                    ; movdqa Rx(d), Rx(a)
                    ; pand Rx(d), Rx(T1)
                    ; psllw Rx(d), Rx(T0)
                );
            }
            // The bits shifted in from the next byte are cleared afterwards.
            I8x16ShrU => {
                self.byte_shift_mask(c);
                dynasm!(self.ops
                    ; .arch x64
                    ; movdqa Rx(d), Rx(a)
                    ; psrlw Rx(d), Rx(T0)
                    ; pand Rx(d), Rx(T1)
                );
            }
            // Each byte unpacked into the high byte of a word, shifted arithmetically by
            // s + 8, and packed back (the values fit, so nothing saturates).
            I8x16ShrS => dynasm!(ops
                ; .arch x64
                ; and Rd(c), 7
                ; add Rd(c), 8
                ; movd Rx(T0), Rd(c)
                ; movdqa Rx(T1), Rx(a)
                ; punpckhbw Rx(T1), Rx(a)
                ; movdqa Rx(d), Rx(a)
                ; punpcklbw Rx(d), Rx(a)
                ; psraw Rx(T1), Rx(T0)
                ; psraw Rx(d), Rx(T0)
                ; packsswb Rx(d), Rx(T1)
            ),
        }
    }

    /// `d = a` shifted by the constant `count` (already reduced modulo the lane width), for
    /// the shifts with an immediate form (16-, 32- and 64-bit lanes, but `i64x2.shr_s`);
    /// returns false, emitting nothing, for the others.
    pub(crate) fn v128_shift_imm(&mut self, op: V128Shift, d: Xmm, a: Xmm, count: u8) -> bool {
        use V128Shift::*;
        let (dn, an) = (d.0, a.0);
        let c = count as i8;
        let ops = &mut self.ops;
        macro_rules! shift {
            ($mn:ident) => {{
                if dn != an {
                    dynasm!(ops ; .arch x64 ; movdqa Rx(dn), Rx(an));
                }
                dynasm!(ops ; .arch x64 ; $mn Rx(dn), c)
            }};
        }
        match op {
            I16x8Shl => shift!(psllw),
            I16x8ShrS => shift!(psraw),
            I16x8ShrU => shift!(psrlw),
            I32x4Shl => shift!(pslld),
            I32x4ShrS => shift!(psrad),
            I32x4ShrU => shift!(psrld),
            I64x2Shl => shift!(psllq),
            I64x2ShrU => shift!(psrlq),
            I64x2ShrS | I8x16Shl | I8x16ShrS | I8x16ShrU => return false,
        }
        self.wrote_xmm(&[d]);
        true
    }

    /// For the byte shifts: `T0` = the count `s = c & 7` and `T1` = `0xff >> s` in every
    /// byte (all ones shifted right by `s + 8` as words, packed), the bits of a byte that a
    /// word shift by `s` moves without crossing into the next byte. Writes `c`.
    fn byte_shift_mask(&mut self, c: u8) {
        dynasm!(self.ops
            ; .arch x64
            ; and Rd(c), 7
            ; add Rd(c), 8
            ; movd Rx(T0), Rd(c)
            ; pcmpeqd Rx(T1), Rx(T1)
            ; psrlw Rx(T1), Rx(T0)
            ; packuswb Rx(T1), Rx(T1)
            ; sub Rd(c), 8
            ; movd Rx(T0), Rd(c)
        );
    }

    /// `r = op(a)`, an `i32` (zero-extended). Writes `r`.
    pub(crate) fn v128_reduce(&mut self, op: V128Reduce, r: Gpr, a: Xmm) {
        use V128Reduce::*;
        self.wrote(&[r]);
        let (r, a) = (r.0, a.0);
        let ops = &mut self.ops;
        // `r = (no lane of a is zero)`: the lanes equal to zero, tested for none.
        macro_rules! all_true {
            ($eq:ident) => {
                dynasm!(ops
                    ; .arch x64
                    ; pxor Rx(T0), Rx(T0)
                    ; $eq Rx(T0), Rx(a)
                    ; xor Rd(r), Rd(r)
                    ; ptest Rx(T0), Rx(T0)
                    ; sete Rb(r)
                )
            };
        }
        match op {
            AnyTrue => dynasm!(ops
                ; .arch x64
                ; xor Rd(r), Rd(r)
                ; ptest Rx(a), Rx(a)
                ; setne Rb(r)
            ),
            I8x16AllTrue => all_true!(pcmpeqb),
            I16x8AllTrue => all_true!(pcmpeqw),
            I32x4AllTrue => all_true!(pcmpeqd),
            I64x2AllTrue => all_true!(pcmpeqq),
            I8x16Bitmask => dynasm!(ops ; .arch x64 ; pmovmskb Rd(r), Rx(a)),
            // Words packed to bytes with saturation (signs kept); the copy in the high half
            // is shifted out.
            I16x8Bitmask => dynasm!(ops
                ; .arch x64
                ; movdqa Rx(T0), Rx(a)
                ; packsswb Rx(T0), Rx(T0)
                ; pmovmskb Rd(r), Rx(T0)
                ; shr Rd(r), 8
            ),
            I32x4Bitmask => dynasm!(ops ; .arch x64 ; movmskps Rd(r), Rx(a)),
            I64x2Bitmask => dynasm!(ops ; .arch x64 ; movmskpd Rd(r), Rx(a)),
        }
    }

    // ---- lanes, splats, shuffles ----

    /// `d` = `src`'s low `size` bits in every lane.
    pub(crate) fn v128_splat(&mut self, size: LaneSize, d: Xmm, src: Place) {
        self.wrote_xmm(&[d]);
        let d = d.0;
        match (size, src) {
            (LaneSize::L64, Place::Reg(r)) => dynasm!(self.ops ; .arch x64 ; movq Rx(d), Rq(r.0)),
            (LaneSize::L64, Place::Frame(slot)) => {
                let at = slot_offset(slot);
                dynasm!(self.ops ; .arch x64 ; movq Rx(d), QWORD [rbx + at]);
            }
            (_, Place::Reg(r)) => dynasm!(self.ops ; .arch x64 ; movd Rx(d), Rd(r.0)),
            (_, Place::Frame(slot)) => {
                let at = slot_offset(slot);
                dynasm!(self.ops ; .arch x64 ; movd Rx(d), DWORD [rbx + at]);
            }
        }
        self.broadcast_lane_0(size, d);
    }

    /// Copies lane 0 (of `size`) of `d` to every lane.
    fn broadcast_lane_0(&mut self, size: LaneSize, d: u8) {
        match size {
            LaneSize::L8 => dynasm!(self.ops
                ; .arch x64
                ; pxor Rx(T0), Rx(T0)
                ; pshufb Rx(d), Rx(T0)
            ),
            LaneSize::L16 => dynasm!(self.ops
                ; .arch x64
                ; pshuflw Rx(d), Rx(d), 0
                ; pshufd Rx(d), Rx(d), 0
            ),
            LaneSize::L32 => dynasm!(self.ops ; .arch x64 ; pshufd Rx(d), Rx(d), 0),
            LaneSize::L64 => dynasm!(self.ops ; .arch x64 ; punpcklqdq Rx(d), Rx(d)),
        }
    }

    /// `r` = lane `lane` of `x`, widened as `kind` says. Writes `r`.
    pub(crate) fn extract_lane(&mut self, kind: ExtractLane, r: Gpr, x: Xmm, lane: u32) {
        self.wrote(&[r]);
        let (r, x) = (r.0, x.0);
        let l = lane as i8;
        match kind {
            ExtractLane::I8U => dynasm!(self.ops ; .arch x64 ; pextrb Rd(r), Rx(x), l),
            ExtractLane::I8S => dynasm!(self.ops
                ; .arch x64
                ; pextrb Rd(r), Rx(x), l
                ; movsx Rd(r), Rb(r)
            ),
            ExtractLane::I16U => dynasm!(self.ops ; .arch x64 ; pextrw Rd(r), Rx(x), l),
            ExtractLane::I16S => dynasm!(self.ops
                ; .arch x64
                ; pextrw Rd(r), Rx(x), l
                ; movsx Rd(r), Rw(r)
            ),
            ExtractLane::I32 if lane == 0 => dynasm!(self.ops ; .arch x64 ; movd Rd(r), Rx(x)),
            ExtractLane::I32 => dynasm!(self.ops ; .arch x64 ; pextrd Rd(r), Rx(x), l),
            ExtractLane::I64 if lane == 0 => dynasm!(self.ops ; .arch x64 ; movq Rq(r), Rx(x)),
            ExtractLane::I64 => dynasm!(self.ops ; .arch x64 ; pextrq Rq(r), Rx(x), l),
        }
    }

    /// `r` = lane `lane` of the `v128` in slots `slot`, `slot + 1`, read from the frame.
    /// Writes `r`.
    pub(crate) fn extract_lane_from_frame(
        &mut self,
        kind: ExtractLane,
        r: Gpr,
        slot: u32,
        lane: u32,
    ) {
        self.wrote(&[r]);
        let r = r.0;
        let size = match kind {
            ExtractLane::I8S | ExtractLane::I8U => 1,
            ExtractLane::I16S | ExtractLane::I16U => 2,
            ExtractLane::I32 => 4,
            ExtractLane::I64 => 8,
        };
        let at = slot_offset(slot) + (lane * size) as i32;
        match kind {
            ExtractLane::I8U => dynasm!(self.ops ; .arch x64 ; movzx Rd(r), BYTE [rbx + at]),
            ExtractLane::I8S => dynasm!(self.ops ; .arch x64 ; movsx Rd(r), BYTE [rbx + at]),
            ExtractLane::I16U => dynasm!(self.ops ; .arch x64 ; movzx Rd(r), WORD [rbx + at]),
            ExtractLane::I16S => dynasm!(self.ops ; .arch x64 ; movsx Rd(r), WORD [rbx + at]),
            ExtractLane::I32 => dynasm!(self.ops ; .arch x64 ; mov Rd(r), DWORD [rbx + at]),
            ExtractLane::I64 => dynasm!(self.ops ; .arch x64 ; mov Rq(r), QWORD [rbx + at]),
        }
    }

    /// `d` = `a` with lane `lane` (of `size`) replaced by `value`'s low bits.
    pub(crate) fn replace_lane(&mut self, size: LaneSize, d: Xmm, a: Xmm, value: Place, lane: u32) {
        self.mov_v128(d, a);
        let d = d.0;
        let l = lane as i8;
        match (size, value) {
            (LaneSize::L8, Place::Reg(r)) => {
                dynasm!(self.ops ; .arch x64 ; pinsrb Rx(d), Rd(r.0), l)
            }
            (LaneSize::L16, Place::Reg(r)) => {
                dynasm!(self.ops ; .arch x64 ; pinsrw Rx(d), Rd(r.0), l)
            }
            (LaneSize::L32, Place::Reg(r)) => {
                dynasm!(self.ops ; .arch x64 ; pinsrd Rx(d), Rd(r.0), l)
            }
            (LaneSize::L64, Place::Reg(r)) => {
                dynasm!(self.ops ; .arch x64 ; pinsrq Rx(d), Rq(r.0), l)
            }
            (size, Place::Frame(slot)) => {
                let at = slot_offset(slot);
                match size {
                    LaneSize::L8 => {
                        dynasm!(self.ops ; .arch x64 ; pinsrb Rx(d), BYTE [rbx + at], l)
                    }
                    LaneSize::L16 => {
                        dynasm!(self.ops ; .arch x64 ; pinsrw Rx(d), WORD [rbx + at], l)
                    }
                    LaneSize::L32 => {
                        dynasm!(self.ops ; .arch x64 ; pinsrd Rx(d), DWORD [rbx + at], l)
                    }
                    LaneSize::L64 => {
                        dynasm!(self.ops ; .arch x64 ; pinsrq Rx(d), QWORD [rbx + at], l)
                    }
                }
            }
        }
    }

    /// `d` = bytes `lanes[i]` of `a ++ b` (each < 32): one `pshufb` per source that is
    /// used, with zeroing indices (bit 7) for the bytes the other source supplies.
    pub(crate) fn v128_shuffle(&mut self, d: Xmm, a: Xmm, b: Xmm, lanes: [u8; 16]) {
        self.wrote_xmm(&[d]);
        let (d, a, b) = (d.0, a.0, b.0);
        // Indices into one source (mod 16 when both are the same register), 0x80 where the
        // byte comes from the other.
        let pick = |from_b: bool| {
            u128::from_le_bytes(lanes.map(|l| {
                if a == b || (l >= 16) == from_b {
                    l & 15
                } else {
                    0x80
                }
            }))
        };
        let from_a = a == b || lanes.iter().any(|&l| l < 16);
        let from_b = a != b && lanes.iter().any(|&l| l >= 16);
        if from_a {
            let mask = self.constant(pick(false));
            dynasm!(self.ops ; .arch x64 ; movdqa Rx(d), Rx(a) ; pshufb Rx(d), [=>mask]);
        }
        if from_b {
            let mask = self.constant(pick(true));
            let into = if from_a { T0 } else { d };
            dynasm!(self.ops ; .arch x64 ; movdqa Rx(into), Rx(b) ; pshufb Rx(into), [=>mask]);
            if from_a {
                dynasm!(self.ops ; .arch x64 ; por Rx(d), Rx(T0));
            }
        }
    }

    // ---- linear memory (base in r14) ----

    /// `d` = memory at `[r14 + index + disp]` read as `kind` says. The first instruction is
    /// the access (the trap site).
    #[rustfmt::skip]
    pub(crate) fn heap_load_v128(&mut self, kind: V128LoadKind, d: Xmm, index: Gpr, disp: i32) {
        self.uses_memory_base();
        use V128LoadKind::*;
        self.wrote_xmm(&[d]);
        let (d, i) = (d.0, index.0);
        match kind {
            V128 => dynasm!(self.ops ; .arch x64 ; movdqu Rx(d), [r14 + Rq(i) + disp]),
            Extend8x8S => dynasm!(self.ops ; .arch x64 ; pmovsxbw Rx(d), QWORD [r14 + Rq(i) + disp]),
            Extend8x8U => dynasm!(self.ops ; .arch x64 ; pmovzxbw Rx(d), QWORD [r14 + Rq(i) + disp]),
            Extend16x4S => dynasm!(self.ops ; .arch x64 ; pmovsxwd Rx(d), QWORD [r14 + Rq(i) + disp]),
            Extend16x4U => dynasm!(self.ops ; .arch x64 ; pmovzxwd Rx(d), QWORD [r14 + Rq(i) + disp]),
            Extend32x2S => dynasm!(self.ops ; .arch x64 ; pmovsxdq Rx(d), QWORD [r14 + Rq(i) + disp]),
            Extend32x2U => dynasm!(self.ops ; .arch x64 ; pmovzxdq Rx(d), QWORD [r14 + Rq(i) + disp]),
            Splat(LaneSize::L8) => {
                dynasm!(self.ops ; .arch x64 ; pinsrb Rx(d), BYTE [r14 + Rq(i) + disp], 0);
                self.broadcast_lane_0(LaneSize::L8, d);
            }
            Splat(LaneSize::L16) => {
                dynasm!(self.ops ; .arch x64 ; pinsrw Rx(d), WORD [r14 + Rq(i) + disp], 0);
                self.broadcast_lane_0(LaneSize::L16, d);
            }
            Splat(LaneSize::L32) => {
                dynasm!(self.ops ; .arch x64 ; movd Rx(d), DWORD [r14 + Rq(i) + disp]);
                self.broadcast_lane_0(LaneSize::L32, d);
            }
            Splat(LaneSize::L64) => dynasm!(self.ops ; .arch x64 ; movddup Rx(d), QWORD [r14 + Rq(i) + disp]),
            Zero32 => dynasm!(self.ops ; .arch x64 ; movd Rx(d), DWORD [r14 + Rq(i) + disp]),
            Zero64 => dynasm!(self.ops ; .arch x64 ; movq Rx(d), QWORD [r14 + Rq(i) + disp]),
        }
    }

    /// `[r14 + index + disp] = x` (16 bytes).
    pub(crate) fn heap_store_v128(&mut self, index: Gpr, disp: i32, x: Xmm) {
        self.uses_memory_base();
        let (i, x) = (index.0, x.0);
        dynasm!(self.ops ; .arch x64 ; movdqu [r14 + Rq(i) + disp], Rx(x));
    }

    /// Lane `lane` (of `size`) of `d` = memory at `[r14 + index + disp]`.
    pub(crate) fn heap_load_lane(
        &mut self,
        size: LaneSize,
        d: Xmm,
        index: Gpr,
        disp: i32,
        lane: u32,
    ) {
        self.uses_memory_base();
        self.wrote_xmm(&[d]);
        let (d, i, l) = (d.0, index.0, lane as i8);
        match size {
            LaneSize::L8 => {
                dynasm!(self.ops ; .arch x64 ; pinsrb Rx(d), BYTE [r14 + Rq(i) + disp], l)
            }
            LaneSize::L16 => {
                dynasm!(self.ops ; .arch x64 ; pinsrw Rx(d), WORD [r14 + Rq(i) + disp], l)
            }
            LaneSize::L32 => {
                dynasm!(self.ops ; .arch x64 ; pinsrd Rx(d), DWORD [r14 + Rq(i) + disp], l)
            }
            LaneSize::L64 => {
                dynasm!(self.ops ; .arch x64 ; pinsrq Rx(d), QWORD [r14 + Rq(i) + disp], l)
            }
        }
    }

    /// Memory at `[r14 + index + disp]` = lane `lane` (of `size`) of `x`.
    pub(crate) fn heap_store_lane(
        &mut self,
        size: LaneSize,
        index: Gpr,
        disp: i32,
        x: Xmm,
        lane: u32,
    ) {
        self.uses_memory_base();
        let (i, x, l) = (index.0, x.0, lane as i8);
        match size {
            LaneSize::L8 => {
                dynasm!(self.ops ; .arch x64 ; pextrb BYTE [r14 + Rq(i) + disp], Rx(x), l)
            }
            LaneSize::L16 => {
                dynasm!(self.ops ; .arch x64 ; pextrw WORD [r14 + Rq(i) + disp], Rx(x), l)
            }
            LaneSize::L32 if lane == 0 => {
                dynasm!(self.ops ; .arch x64 ; movd DWORD [r14 + Rq(i) + disp], Rx(x))
            }
            LaneSize::L32 => {
                dynasm!(self.ops ; .arch x64 ; pextrd DWORD [r14 + Rq(i) + disp], Rx(x), l)
            }
            LaneSize::L64 if lane == 0 => {
                dynasm!(self.ops ; .arch x64 ; movq QWORD [r14 + Rq(i) + disp], Rx(x))
            }
            LaneSize::L64 => {
                dynasm!(self.ops ; .arch x64 ; pextrq QWORD [r14 + Rq(i) + disp], Rx(x), l)
            }
        }
    }
}
