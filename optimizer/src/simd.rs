//! The SIMD operators: fixed-width SIMD (every `v128` operator of WebAssembly 2.0) and relaxed
//! SIMD, with the one deterministic lowering of each relaxed operator that every tier shares
//! (the table in the crate docs). Same visitor style as `translate`: one match arm per
//! operator, small helpers for the common shapes.
//!
//! Representation: outside an operator a `v128` is always CLIF `i8x16`: on the value stack,
//! in locals (`Variable`s), block parameters, `select`, calls, frame slots and globals. An
//! operator bitcasts its operands to the lane shape it reads ([`Translator::pop_as`]) and its
//! result back ([`Translator::push_v128`]); such bitcasts cost no instruction (the same xmm
//! register). Wasmtime casts lazily, at every use that needs the canonical type; casting
//! eagerly here keeps every other path (branches, locals, calls) unaware of lane shapes.
//!
//! Where Cranelift's vector instructions already have wasm's semantics we use them as they
//! are: shift counts are taken modulo the lane width, `swizzle` gives 0 for indices ≥ 16,
//! `snarrow`/`unarrow` saturate, `fmin`/`fmax` return NaN for a NaN operand and order −0 below
//! +0, `nearest` rounds ties to even, `fcvt_to_*_sat` saturate and give 0 for NaN. Some
//! operators are written as the patterns the x64 backend matches to one instruction (as
//! Wasmtime writes them): extadd_pairwise and `i32x4.dot_i16x8_s` (`pmaddwd`/`pmaddubsw`),
//! `pmin`/`pmax` (`minps`/`maxps`, from `bitselect` of a `fcmp` in the spec's operand order),
//! `trunc_sat_f64x2_*_zero` (`snarrow`/`uunarrow` of a conversion with a zero vector) and
//! `convert_low_i32x4_*` (a conversion of `*widen_low`).
//!
//! Memory accesses go through the bounds checks of scalar ones (`vm.rs`) with their access
//! size: 16 bytes, 8 for the extending loads, the lane size for splat, zero and lane accesses.
//! All are little-endian and unaligned (their flags never say `aligned`).

use cranelift_codegen::ir::condcodes::{FloatCC, IntCC};
use cranelift_codegen::ir::types::{F32X4, F64X2, I8, I8X16, I16, I16X8, I32, I32X4, I64X2};
use cranelift_codegen::ir::{ConstantData, Endianness, InstBuilder, MemFlagsData, Type, Value};
use cranelift_frontend::FunctionBuilder;
use wasmparser::{MemArg, Operator};

use crate::CompileError;
use crate::translate::Translator;

/// `v` as a vector of shape `ty`: a bitcast (no instruction) unless it is one already. Lanes
/// are numbered little-endian, as in wasm (Cranelift requires the byte order when a bitcast
/// changes the lane count).
fn as_shape(b: &mut FunctionBuilder<'_>, v: Value, ty: Type) -> Value {
    if b.func.dfg.value_type(v) == ty {
        v
    } else {
        let flags = MemFlagsData::new().with_endianness(Endianness::Little);
        b.ins().bitcast(ty, flags, v)
    }
}

/// The signed dot product of two vectors: their lanes sign-extended to twice their width and
/// multiplied, each pair of adjacent products added (in the wide lanes, wrapping). On `i16x8`
/// operands this is `i32x4.dot_i16x8_s` (the pattern x64 lowers to `pmaddwd`); on `i8x16`
/// operands, `i16x8.relaxed_dot_i8x16_i7x16_s` as every tier computes it (both operands
/// signed; the sum of two products can wrap).
fn dot_s(b: &mut FunctionBuilder<'_>, x: Value, y: Value) -> Value {
    let (x_low, y_low) = (b.ins().swiden_low(x), b.ins().swiden_low(y));
    let low = b.ins().imul(x_low, y_low);
    let (x_high, y_high) = (b.ins().swiden_high(x), b.ins().swiden_high(y));
    let high = b.ins().imul(x_high, y_high);
    b.ins().iadd_pairwise(low, high)
}

impl Translator<'_, '_> {
    /// Pops a `v128` as a vector of shape `ty`.
    fn pop_as(&mut self, ty: Type) -> Value {
        let v = self.pop();
        as_shape(&mut self.b, v, ty)
    }

    /// Pushes vector `v` as a `v128` (canonical `i8x16`).
    fn push_v128(&mut self, v: Value) {
        let v = as_shape(&mut self.b, v, I8X16);
        self.push(v);
    }

    /// A vector operation of one `ty` operand.
    fn v_unop(&mut self, ty: Type, f: impl FnOnce(&mut FunctionBuilder<'_>, Value) -> Value) {
        let x = self.pop_as(ty);
        let v = f(&mut self.b, x);
        self.push_v128(v);
    }

    /// A vector operation of two `ty` operands.
    fn v_binop(
        &mut self,
        ty: Type,
        f: impl FnOnce(&mut FunctionBuilder<'_>, Value, Value) -> Value,
    ) {
        let y = self.pop_as(ty);
        let x = self.pop_as(ty);
        let v = f(&mut self.b, x, y);
        self.push_v128(v);
    }

    /// A vector operation of three `ty` operands.
    fn v_ternop(
        &mut self,
        ty: Type,
        f: impl FnOnce(&mut FunctionBuilder<'_>, Value, Value, Value) -> Value,
    ) {
        let z = self.pop_as(ty);
        let y = self.pop_as(ty);
        let x = self.pop_as(ty);
        let v = f(&mut self.b, x, y, z);
        self.push_v128(v);
    }

    /// A lane-wise integer comparison: all ones in each lane where it holds.
    fn v_icmp(&mut self, ty: Type, cc: IntCC) {
        self.v_binop(ty, |b, x, y| b.ins().icmp(cc, x, y));
    }

    /// A lane-wise float comparison: all ones in each lane where it holds.
    fn v_fcmp(&mut self, ty: Type, cc: FloatCC) {
        self.v_binop(ty, |b, x, y| b.ins().fcmp(cc, x, y));
    }

    /// A lane-wise shift of a `ty` vector by an `i32` count (Cranelift takes it modulo the
    /// lane width, as wasm does).
    fn v_shift(
        &mut self,
        ty: Type,
        f: impl FnOnce(&mut FunctionBuilder<'_>, Value, Value) -> Value,
    ) {
        let count = self.pop();
        let x = self.pop_as(ty);
        let v = f(&mut self.b, x, count);
        self.push_v128(v);
    }

    /// An operation from a `ty` vector to a scalar.
    fn v_to_scalar(&mut self, ty: Type, f: impl FnOnce(&mut FunctionBuilder<'_>, Value) -> Value) {
        let x = self.pop_as(ty);
        let v = f(&mut self.b, x);
        self.push(v);
    }

    /// `*.all_true` of a `ty` vector: 1 if every lane is non-zero.
    fn v_all_true(&mut self, ty: Type) {
        self.v_to_scalar(ty, |b, x| {
            let t = b.ins().vall_true(x);
            b.ins().uextend(I32, t)
        });
    }

    /// `*.bitmask` of a `ty` vector: the top bit of each lane, lane 0 in bit 0.
    fn v_bitmask(&mut self, ty: Type) {
        self.v_to_scalar(ty, |b, x| b.ins().vhigh_bits(I32, x));
    }

    /// `*.splat`: every lane of a `ty` vector from a scalar (an `i32` truncated for 8- and
    /// 16-bit lanes).
    fn v_splat(&mut self, ty: Type) {
        let x = self.pop();
        let x = self.lane_value(ty, x);
        let v = self.b.ins().splat(ty, x);
        self.push_v128(v);
    }

    /// Scalar `x` as a lane of `ty`: an `i32` operand truncated to 8 or 16 bits.
    fn lane_value(&mut self, ty: Type, x: Value) -> Value {
        let lane = ty.lane_type();
        if self.b.func.dfg.value_type(x) == lane {
            x
        } else {
            self.b.ins().ireduce(lane, x)
        }
    }

    /// `*.extract_lane`: lane `lane` of a `ty` vector; an 8- or 16-bit lane extended to
    /// `i32` (sign-extended when `signed`).
    fn v_extract_lane(&mut self, ty: Type, lane: u8, signed: bool) {
        self.v_to_scalar(ty, |b, x| {
            let v = b.ins().extractlane(x, lane);
            match b.func.dfg.value_type(v) {
                I8 | I16 if signed => b.ins().sextend(I32, v),
                I8 | I16 => b.ins().uextend(I32, v),
                _ => v,
            }
        });
    }

    /// `*.replace_lane`: lane `lane` of a `ty` vector replaced by a scalar.
    fn v_replace_lane(&mut self, ty: Type, lane: u8) {
        let x = self.pop();
        let vector = self.pop_as(ty);
        let x = self.lane_value(ty, x);
        let v = self.b.ins().insertlane(vector, x, lane);
        self.push_v128(v);
    }

    /// A vector load of `size` bytes; `load` emits it from (flags, address, offset).
    fn v_load(
        &mut self,
        memarg: &MemArg,
        size: u32,
        load: impl FnOnce(&mut FunctionBuilder<'_>, MemFlagsData, Value, i32) -> Value,
    ) {
        self.load(memarg, size, |b, flags, addr, offset| {
            let v = load(b, flags, addr, offset);
            as_shape(b, v, I8X16)
        });
    }

    /// `v128.loadN_splat`: one lane of `ty` loaded and copied to every lane.
    fn v_load_splat(&mut self, ty: Type, memarg: &MemArg) {
        let lane = ty.lane_type();
        self.v_load(memarg, lane.bytes(), |b, flags, addr, offset| {
            let x = b.ins().load(lane, flags, addr, offset);
            b.ins().splat(ty, x)
        });
    }

    /// `v128.loadN_zero`: one lane of `ty` loaded into lane 0, the others zero.
    fn v_load_zero(&mut self, ty: Type, memarg: &MemArg) {
        let lane = ty.lane_type();
        self.v_load(memarg, lane.bytes(), |b, flags, addr, offset| {
            let x = b.ins().load(lane, flags, addr, offset);
            b.ins().scalar_to_vector(ty, x)
        });
    }

    /// `v128.loadN_lane`: lane `index` of a `ty` vector replaced by one loaded from memory.
    fn v_load_lane(&mut self, ty: Type, memarg: &MemArg, index: u8) {
        let vector = self.pop_as(ty);
        let lane = ty.lane_type();
        self.v_load(memarg, lane.bytes(), |b, flags, addr, offset| {
            let x = b.ins().load(lane, flags, addr, offset);
            b.ins().insertlane(vector, x, index)
        });
    }

    /// `v128.storeN_lane`: lane `index` of a `ty` vector stored to memory.
    fn v_store_lane(&mut self, ty: Type, memarg: &MemArg, index: u8) {
        let vector = self.pop_as(ty);
        let x = self.b.ins().extractlane(vector, index);
        let size = ty.lane_type().bytes();
        self.store(memarg, size, x, |b, flags, v, addr, offset| {
            b.ins().store(flags, v, addr, offset)
        });
    }

    /// `f32x4/f64x2.pmin` (`pmax` with `max`): `b < a ? b : a` (`a < b ? b : a`) per lane,
    /// exactly the spec's definition (NaN and zero signs follow from the operand order).
    fn v_pseudo_min_max(&mut self, ty: Type, max: bool) {
        self.v_binop(ty, |b, x, y| {
            let less = if max {
                b.ins().fcmp(FloatCC::LessThan, x, y)
            } else {
                b.ins().fcmp(FloatCC::LessThan, y, x)
            };
            let mask = as_shape(b, less, ty);
            b.ins().bitselect(mask, y, x)
        });
    }

    /// `i32x4.trunc_sat_f64x2_{s,u}_zero`: the two lanes converted with saturation into
    /// lanes 0 and 1, lanes 2 and 3 zero.
    fn v_trunc_sat_f64x2_zero(&mut self, signed: bool) {
        self.v_unop(F64X2, |b, x| {
            let zero = b
                .func
                .dfg
                .constants
                .insert(ConstantData::from(&[0u8; 16][..]));
            let zero = b.ins().vconst(I64X2, zero);
            if signed {
                let wide = b.ins().fcvt_to_sint_sat(I64X2, x);
                b.ins().snarrow(wide, zero)
            } else {
                let wide = b.ins().fcvt_to_uint_sat(I64X2, x);
                b.ins().uunarrow(wide, zero)
            }
        });
    }

    /// Translates one SIMD operator (in reachable code).
    ///
    /// # Errors
    /// `Unsupported` for any operator that is not a SIMD one (the caller handles the rest).
    pub(crate) fn simd_operator(&mut self, op: Operator<'_>) -> Result<(), CompileError> {
        use Operator as O;
        match op {
            // ---- memory ----
            O::V128Load { memarg } => {
                self.v_load(&memarg, 16, |b, f, a, o| b.ins().load(I8X16, f, a, o));
            }
            O::V128Load8x8S { memarg } => {
                self.v_load(&memarg, 8, |b, f, a, o| b.ins().sload8x8(f, a, o))
            }
            O::V128Load8x8U { memarg } => {
                self.v_load(&memarg, 8, |b, f, a, o| b.ins().uload8x8(f, a, o))
            }
            O::V128Load16x4S { memarg } => {
                self.v_load(&memarg, 8, |b, f, a, o| b.ins().sload16x4(f, a, o));
            }
            O::V128Load16x4U { memarg } => {
                self.v_load(&memarg, 8, |b, f, a, o| b.ins().uload16x4(f, a, o));
            }
            O::V128Load32x2S { memarg } => {
                self.v_load(&memarg, 8, |b, f, a, o| b.ins().sload32x2(f, a, o));
            }
            O::V128Load32x2U { memarg } => {
                self.v_load(&memarg, 8, |b, f, a, o| b.ins().uload32x2(f, a, o));
            }
            O::V128Load8Splat { memarg } => self.v_load_splat(I8X16, &memarg),
            O::V128Load16Splat { memarg } => self.v_load_splat(I16X8, &memarg),
            O::V128Load32Splat { memarg } => self.v_load_splat(I32X4, &memarg),
            O::V128Load64Splat { memarg } => self.v_load_splat(I64X2, &memarg),
            O::V128Load32Zero { memarg } => self.v_load_zero(I32X4, &memarg),
            O::V128Load64Zero { memarg } => self.v_load_zero(I64X2, &memarg),
            O::V128Store { memarg } => {
                let v = self.pop();
                self.store(&memarg, 16, v, |b, f, v, a, o| b.ins().store(f, v, a, o));
            }
            O::V128Load8Lane { memarg, lane } => self.v_load_lane(I8X16, &memarg, lane),
            O::V128Load16Lane { memarg, lane } => self.v_load_lane(I16X8, &memarg, lane),
            O::V128Load32Lane { memarg, lane } => self.v_load_lane(I32X4, &memarg, lane),
            O::V128Load64Lane { memarg, lane } => self.v_load_lane(I64X2, &memarg, lane),
            O::V128Store8Lane { memarg, lane } => self.v_store_lane(I8X16, &memarg, lane),
            O::V128Store16Lane { memarg, lane } => self.v_store_lane(I16X8, &memarg, lane),
            O::V128Store32Lane { memarg, lane } => self.v_store_lane(I32X4, &memarg, lane),
            O::V128Store64Lane { memarg, lane } => self.v_store_lane(I64X2, &memarg, lane),

            // ---- constants, shuffles, lanes ----
            O::V128Const { value } => {
                let v = self.v128_const(value.i128() as u128);
                self.push(v);
            }
            O::I8x16Shuffle { lanes } => {
                let mask = self
                    .b
                    .func
                    .dfg
                    .immediates
                    .push(ConstantData::from(&lanes[..]));
                self.v_binop(I8X16, |b, x, y| b.ins().shuffle(x, y, mask));
            }
            // Relaxed: out-of-range indices give 0, as `i8x16.swizzle`.
            O::I8x16Swizzle | O::I8x16RelaxedSwizzle => {
                self.v_binop(I8X16, |b, x, y| b.ins().swizzle(x, y));
            }
            O::I8x16Splat => self.v_splat(I8X16),
            O::I16x8Splat => self.v_splat(I16X8),
            O::I32x4Splat => self.v_splat(I32X4),
            O::I64x2Splat => self.v_splat(I64X2),
            O::F32x4Splat => self.v_splat(F32X4),
            O::F64x2Splat => self.v_splat(F64X2),
            O::I8x16ExtractLaneS { lane } => self.v_extract_lane(I8X16, lane, true),
            O::I8x16ExtractLaneU { lane } => self.v_extract_lane(I8X16, lane, false),
            O::I16x8ExtractLaneS { lane } => self.v_extract_lane(I16X8, lane, true),
            O::I16x8ExtractLaneU { lane } => self.v_extract_lane(I16X8, lane, false),
            O::I32x4ExtractLane { lane } => self.v_extract_lane(I32X4, lane, false),
            O::I64x2ExtractLane { lane } => self.v_extract_lane(I64X2, lane, false),
            O::F32x4ExtractLane { lane } => self.v_extract_lane(F32X4, lane, false),
            O::F64x2ExtractLane { lane } => self.v_extract_lane(F64X2, lane, false),
            O::I8x16ReplaceLane { lane } => self.v_replace_lane(I8X16, lane),
            O::I16x8ReplaceLane { lane } => self.v_replace_lane(I16X8, lane),
            O::I32x4ReplaceLane { lane } => self.v_replace_lane(I32X4, lane),
            O::I64x2ReplaceLane { lane } => self.v_replace_lane(I64X2, lane),
            O::F32x4ReplaceLane { lane } => self.v_replace_lane(F32X4, lane),
            O::F64x2ReplaceLane { lane } => self.v_replace_lane(F64X2, lane),

            // ---- integer comparisons ----
            O::I8x16Eq => self.v_icmp(I8X16, IntCC::Equal),
            O::I8x16Ne => self.v_icmp(I8X16, IntCC::NotEqual),
            O::I8x16LtS => self.v_icmp(I8X16, IntCC::SignedLessThan),
            O::I8x16LtU => self.v_icmp(I8X16, IntCC::UnsignedLessThan),
            O::I8x16GtS => self.v_icmp(I8X16, IntCC::SignedGreaterThan),
            O::I8x16GtU => self.v_icmp(I8X16, IntCC::UnsignedGreaterThan),
            O::I8x16LeS => self.v_icmp(I8X16, IntCC::SignedLessThanOrEqual),
            O::I8x16LeU => self.v_icmp(I8X16, IntCC::UnsignedLessThanOrEqual),
            O::I8x16GeS => self.v_icmp(I8X16, IntCC::SignedGreaterThanOrEqual),
            O::I8x16GeU => self.v_icmp(I8X16, IntCC::UnsignedGreaterThanOrEqual),
            O::I16x8Eq => self.v_icmp(I16X8, IntCC::Equal),
            O::I16x8Ne => self.v_icmp(I16X8, IntCC::NotEqual),
            O::I16x8LtS => self.v_icmp(I16X8, IntCC::SignedLessThan),
            O::I16x8LtU => self.v_icmp(I16X8, IntCC::UnsignedLessThan),
            O::I16x8GtS => self.v_icmp(I16X8, IntCC::SignedGreaterThan),
            O::I16x8GtU => self.v_icmp(I16X8, IntCC::UnsignedGreaterThan),
            O::I16x8LeS => self.v_icmp(I16X8, IntCC::SignedLessThanOrEqual),
            O::I16x8LeU => self.v_icmp(I16X8, IntCC::UnsignedLessThanOrEqual),
            O::I16x8GeS => self.v_icmp(I16X8, IntCC::SignedGreaterThanOrEqual),
            O::I16x8GeU => self.v_icmp(I16X8, IntCC::UnsignedGreaterThanOrEqual),
            O::I32x4Eq => self.v_icmp(I32X4, IntCC::Equal),
            O::I32x4Ne => self.v_icmp(I32X4, IntCC::NotEqual),
            O::I32x4LtS => self.v_icmp(I32X4, IntCC::SignedLessThan),
            O::I32x4LtU => self.v_icmp(I32X4, IntCC::UnsignedLessThan),
            O::I32x4GtS => self.v_icmp(I32X4, IntCC::SignedGreaterThan),
            O::I32x4GtU => self.v_icmp(I32X4, IntCC::UnsignedGreaterThan),
            O::I32x4LeS => self.v_icmp(I32X4, IntCC::SignedLessThanOrEqual),
            O::I32x4LeU => self.v_icmp(I32X4, IntCC::UnsignedLessThanOrEqual),
            O::I32x4GeS => self.v_icmp(I32X4, IntCC::SignedGreaterThanOrEqual),
            O::I32x4GeU => self.v_icmp(I32X4, IntCC::UnsignedGreaterThanOrEqual),
            O::I64x2Eq => self.v_icmp(I64X2, IntCC::Equal),
            O::I64x2Ne => self.v_icmp(I64X2, IntCC::NotEqual),
            O::I64x2LtS => self.v_icmp(I64X2, IntCC::SignedLessThan),
            O::I64x2GtS => self.v_icmp(I64X2, IntCC::SignedGreaterThan),
            O::I64x2LeS => self.v_icmp(I64X2, IntCC::SignedLessThanOrEqual),
            O::I64x2GeS => self.v_icmp(I64X2, IntCC::SignedGreaterThanOrEqual),

            // ---- float comparisons (false for NaN but in `ne`) ----
            O::F32x4Eq => self.v_fcmp(F32X4, FloatCC::Equal),
            O::F32x4Ne => self.v_fcmp(F32X4, FloatCC::NotEqual),
            O::F32x4Lt => self.v_fcmp(F32X4, FloatCC::LessThan),
            O::F32x4Gt => self.v_fcmp(F32X4, FloatCC::GreaterThan),
            O::F32x4Le => self.v_fcmp(F32X4, FloatCC::LessThanOrEqual),
            O::F32x4Ge => self.v_fcmp(F32X4, FloatCC::GreaterThanOrEqual),
            O::F64x2Eq => self.v_fcmp(F64X2, FloatCC::Equal),
            O::F64x2Ne => self.v_fcmp(F64X2, FloatCC::NotEqual),
            O::F64x2Lt => self.v_fcmp(F64X2, FloatCC::LessThan),
            O::F64x2Gt => self.v_fcmp(F64X2, FloatCC::GreaterThan),
            O::F64x2Le => self.v_fcmp(F64X2, FloatCC::LessThanOrEqual),
            O::F64x2Ge => self.v_fcmp(F64X2, FloatCC::GreaterThanOrEqual),

            // ---- bitwise ----
            O::V128Not => self.v_unop(I8X16, |b, x| b.ins().bnot(x)),
            O::V128And => self.v_binop(I8X16, |b, x, y| b.ins().band(x, y)),
            O::V128AndNot => self.v_binop(I8X16, |b, x, y| b.ins().band_not(x, y)),
            O::V128Or => self.v_binop(I8X16, |b, x, y| b.ins().bor(x, y)),
            O::V128Xor => self.v_binop(I8X16, |b, x, y| b.ins().bxor(x, y)),
            // Relaxed: every bit from `a` where the mask's bit is set, else from `b`.
            O::V128Bitselect
            | O::I8x16RelaxedLaneselect
            | O::I16x8RelaxedLaneselect
            | O::I32x4RelaxedLaneselect
            | O::I64x2RelaxedLaneselect => {
                self.v_ternop(I8X16, |b, x, y, mask| b.ins().bitselect(mask, x, y));
            }
            O::V128AnyTrue => self.v_to_scalar(I8X16, |b, x| {
                let t = b.ins().vany_true(x);
                b.ins().uextend(I32, t)
            }),

            // ---- lane-wise integer ----
            O::I8x16AllTrue => self.v_all_true(I8X16),
            O::I16x8AllTrue => self.v_all_true(I16X8),
            O::I32x4AllTrue => self.v_all_true(I32X4),
            O::I64x2AllTrue => self.v_all_true(I64X2),
            O::I8x16Bitmask => self.v_bitmask(I8X16),
            O::I16x8Bitmask => self.v_bitmask(I16X8),
            O::I32x4Bitmask => self.v_bitmask(I32X4),
            O::I64x2Bitmask => self.v_bitmask(I64X2),
            O::I8x16Abs => self.v_unop(I8X16, |b, x| b.ins().iabs(x)),
            O::I16x8Abs => self.v_unop(I16X8, |b, x| b.ins().iabs(x)),
            O::I32x4Abs => self.v_unop(I32X4, |b, x| b.ins().iabs(x)),
            O::I64x2Abs => self.v_unop(I64X2, |b, x| b.ins().iabs(x)),
            O::I8x16Neg => self.v_unop(I8X16, |b, x| b.ins().ineg(x)),
            O::I16x8Neg => self.v_unop(I16X8, |b, x| b.ins().ineg(x)),
            O::I32x4Neg => self.v_unop(I32X4, |b, x| b.ins().ineg(x)),
            O::I64x2Neg => self.v_unop(I64X2, |b, x| b.ins().ineg(x)),
            O::I8x16Popcnt => self.v_unop(I8X16, |b, x| b.ins().popcnt(x)),
            O::I8x16Shl => self.v_shift(I8X16, |b, x, n| b.ins().ishl(x, n)),
            O::I16x8Shl => self.v_shift(I16X8, |b, x, n| b.ins().ishl(x, n)),
            O::I32x4Shl => self.v_shift(I32X4, |b, x, n| b.ins().ishl(x, n)),
            O::I64x2Shl => self.v_shift(I64X2, |b, x, n| b.ins().ishl(x, n)),
            O::I8x16ShrS => self.v_shift(I8X16, |b, x, n| b.ins().sshr(x, n)),
            O::I16x8ShrS => self.v_shift(I16X8, |b, x, n| b.ins().sshr(x, n)),
            O::I32x4ShrS => self.v_shift(I32X4, |b, x, n| b.ins().sshr(x, n)),
            O::I64x2ShrS => self.v_shift(I64X2, |b, x, n| b.ins().sshr(x, n)),
            O::I8x16ShrU => self.v_shift(I8X16, |b, x, n| b.ins().ushr(x, n)),
            O::I16x8ShrU => self.v_shift(I16X8, |b, x, n| b.ins().ushr(x, n)),
            O::I32x4ShrU => self.v_shift(I32X4, |b, x, n| b.ins().ushr(x, n)),
            O::I64x2ShrU => self.v_shift(I64X2, |b, x, n| b.ins().ushr(x, n)),
            O::I8x16Add => self.v_binop(I8X16, |b, x, y| b.ins().iadd(x, y)),
            O::I16x8Add => self.v_binop(I16X8, |b, x, y| b.ins().iadd(x, y)),
            O::I32x4Add => self.v_binop(I32X4, |b, x, y| b.ins().iadd(x, y)),
            O::I64x2Add => self.v_binop(I64X2, |b, x, y| b.ins().iadd(x, y)),
            O::I8x16Sub => self.v_binop(I8X16, |b, x, y| b.ins().isub(x, y)),
            O::I16x8Sub => self.v_binop(I16X8, |b, x, y| b.ins().isub(x, y)),
            O::I32x4Sub => self.v_binop(I32X4, |b, x, y| b.ins().isub(x, y)),
            O::I64x2Sub => self.v_binop(I64X2, |b, x, y| b.ins().isub(x, y)),
            O::I16x8Mul => self.v_binop(I16X8, |b, x, y| b.ins().imul(x, y)),
            O::I32x4Mul => self.v_binop(I32X4, |b, x, y| b.ins().imul(x, y)),
            O::I64x2Mul => self.v_binop(I64X2, |b, x, y| b.ins().imul(x, y)),
            O::I8x16AddSatS => self.v_binop(I8X16, |b, x, y| b.ins().sadd_sat(x, y)),
            O::I16x8AddSatS => self.v_binop(I16X8, |b, x, y| b.ins().sadd_sat(x, y)),
            O::I8x16AddSatU => self.v_binop(I8X16, |b, x, y| b.ins().uadd_sat(x, y)),
            O::I16x8AddSatU => self.v_binop(I16X8, |b, x, y| b.ins().uadd_sat(x, y)),
            O::I8x16SubSatS => self.v_binop(I8X16, |b, x, y| b.ins().ssub_sat(x, y)),
            O::I16x8SubSatS => self.v_binop(I16X8, |b, x, y| b.ins().ssub_sat(x, y)),
            O::I8x16SubSatU => self.v_binop(I8X16, |b, x, y| b.ins().usub_sat(x, y)),
            O::I16x8SubSatU => self.v_binop(I16X8, |b, x, y| b.ins().usub_sat(x, y)),
            O::I8x16MinS => self.v_binop(I8X16, |b, x, y| b.ins().smin(x, y)),
            O::I16x8MinS => self.v_binop(I16X8, |b, x, y| b.ins().smin(x, y)),
            O::I32x4MinS => self.v_binop(I32X4, |b, x, y| b.ins().smin(x, y)),
            O::I8x16MinU => self.v_binop(I8X16, |b, x, y| b.ins().umin(x, y)),
            O::I16x8MinU => self.v_binop(I16X8, |b, x, y| b.ins().umin(x, y)),
            O::I32x4MinU => self.v_binop(I32X4, |b, x, y| b.ins().umin(x, y)),
            O::I8x16MaxS => self.v_binop(I8X16, |b, x, y| b.ins().smax(x, y)),
            O::I16x8MaxS => self.v_binop(I16X8, |b, x, y| b.ins().smax(x, y)),
            O::I32x4MaxS => self.v_binop(I32X4, |b, x, y| b.ins().smax(x, y)),
            O::I8x16MaxU => self.v_binop(I8X16, |b, x, y| b.ins().umax(x, y)),
            O::I16x8MaxU => self.v_binop(I16X8, |b, x, y| b.ins().umax(x, y)),
            O::I32x4MaxU => self.v_binop(I32X4, |b, x, y| b.ins().umax(x, y)),
            O::I8x16AvgrU => self.v_binop(I8X16, |b, x, y| b.ins().avg_round(x, y)),
            O::I16x8AvgrU => self.v_binop(I16X8, |b, x, y| b.ins().avg_round(x, y)),
            // Relaxed: saturating, as `i16x8.q15mulr_sat_s`.
            O::I16x8Q15MulrSatS | O::I16x8RelaxedQ15mulrS => {
                self.v_binop(I16X8, |b, x, y| b.ins().sqmul_round_sat(x, y));
            }

            // ---- narrowing, widening, pairwise, products ----
            O::I8x16NarrowI16x8S => self.v_binop(I16X8, |b, x, y| b.ins().snarrow(x, y)),
            O::I8x16NarrowI16x8U => self.v_binop(I16X8, |b, x, y| b.ins().unarrow(x, y)),
            O::I16x8NarrowI32x4S => self.v_binop(I32X4, |b, x, y| b.ins().snarrow(x, y)),
            O::I16x8NarrowI32x4U => self.v_binop(I32X4, |b, x, y| b.ins().unarrow(x, y)),
            O::I16x8ExtendLowI8x16S => self.v_unop(I8X16, |b, x| b.ins().swiden_low(x)),
            O::I16x8ExtendHighI8x16S => self.v_unop(I8X16, |b, x| b.ins().swiden_high(x)),
            O::I16x8ExtendLowI8x16U => self.v_unop(I8X16, |b, x| b.ins().uwiden_low(x)),
            O::I16x8ExtendHighI8x16U => self.v_unop(I8X16, |b, x| b.ins().uwiden_high(x)),
            O::I32x4ExtendLowI16x8S => self.v_unop(I16X8, |b, x| b.ins().swiden_low(x)),
            O::I32x4ExtendHighI16x8S => self.v_unop(I16X8, |b, x| b.ins().swiden_high(x)),
            O::I32x4ExtendLowI16x8U => self.v_unop(I16X8, |b, x| b.ins().uwiden_low(x)),
            O::I32x4ExtendHighI16x8U => self.v_unop(I16X8, |b, x| b.ins().uwiden_high(x)),
            O::I64x2ExtendLowI32x4S => self.v_unop(I32X4, |b, x| b.ins().swiden_low(x)),
            O::I64x2ExtendHighI32x4S => self.v_unop(I32X4, |b, x| b.ins().swiden_high(x)),
            O::I64x2ExtendLowI32x4U => self.v_unop(I32X4, |b, x| b.ins().uwiden_low(x)),
            O::I64x2ExtendHighI32x4U => self.v_unop(I32X4, |b, x| b.ins().uwiden_high(x)),
            O::I16x8ExtAddPairwiseI8x16S => self.v_extadd_pairwise(I8X16, true),
            O::I16x8ExtAddPairwiseI8x16U => self.v_extadd_pairwise(I8X16, false),
            O::I32x4ExtAddPairwiseI16x8S => self.v_extadd_pairwise(I16X8, true),
            O::I32x4ExtAddPairwiseI16x8U => self.v_extadd_pairwise(I16X8, false),
            O::I16x8ExtMulLowI8x16S => self.v_extmul(I8X16, true, false),
            O::I16x8ExtMulHighI8x16S => self.v_extmul(I8X16, true, true),
            O::I16x8ExtMulLowI8x16U => self.v_extmul(I8X16, false, false),
            O::I16x8ExtMulHighI8x16U => self.v_extmul(I8X16, false, true),
            O::I32x4ExtMulLowI16x8S => self.v_extmul(I16X8, true, false),
            O::I32x4ExtMulHighI16x8S => self.v_extmul(I16X8, true, true),
            O::I32x4ExtMulLowI16x8U => self.v_extmul(I16X8, false, false),
            O::I32x4ExtMulHighI16x8U => self.v_extmul(I16X8, false, true),
            O::I64x2ExtMulLowI32x4S => self.v_extmul(I32X4, true, false),
            O::I64x2ExtMulHighI32x4S => self.v_extmul(I32X4, true, true),
            O::I64x2ExtMulLowI32x4U => self.v_extmul(I32X4, false, false),
            O::I64x2ExtMulHighI32x4U => self.v_extmul(I32X4, false, true),
            O::I32x4DotI16x8S => self.v_binop(I16X8, dot_s),
            // Relaxed: both operands' bytes signed; the sum of each pair wraps in 16 bits.
            O::I16x8RelaxedDotI8x16I7x16S => self.v_binop(I8X16, dot_s),
            // Relaxed: both operands' bytes signed; the four products of each 32-bit lane
            // summed in 32 bits (two exact `pmaddwd` dots of the widened bytes, then pairwise),
            // plus the accumulator's lane, wrapping.
            O::I32x4RelaxedDotI8x16I7x16AddS => {
                let acc = self.pop_as(I32X4);
                self.v_binop(I8X16, |b, x, y| {
                    let (x_low, y_low) = (b.ins().swiden_low(x), b.ins().swiden_low(y));
                    let low = dot_s(b, x_low, y_low);
                    let (x_high, y_high) = (b.ins().swiden_high(x), b.ins().swiden_high(y));
                    let high = dot_s(b, x_high, y_high);
                    let dot = b.ins().iadd_pairwise(low, high);
                    b.ins().iadd(dot, acc)
                });
            }

            // ---- float arithmetic ----
            O::F32x4Ceil => self.v_unop(F32X4, |b, x| b.ins().ceil(x)),
            O::F64x2Ceil => self.v_unop(F64X2, |b, x| b.ins().ceil(x)),
            O::F32x4Floor => self.v_unop(F32X4, |b, x| b.ins().floor(x)),
            O::F64x2Floor => self.v_unop(F64X2, |b, x| b.ins().floor(x)),
            O::F32x4Trunc => self.v_unop(F32X4, |b, x| b.ins().trunc(x)),
            O::F64x2Trunc => self.v_unop(F64X2, |b, x| b.ins().trunc(x)),
            O::F32x4Nearest => self.v_unop(F32X4, |b, x| b.ins().nearest(x)),
            O::F64x2Nearest => self.v_unop(F64X2, |b, x| b.ins().nearest(x)),
            O::F32x4Abs => self.v_unop(F32X4, |b, x| b.ins().fabs(x)),
            O::F64x2Abs => self.v_unop(F64X2, |b, x| b.ins().fabs(x)),
            O::F32x4Neg => self.v_unop(F32X4, |b, x| b.ins().fneg(x)),
            O::F64x2Neg => self.v_unop(F64X2, |b, x| b.ins().fneg(x)),
            O::F32x4Sqrt => self.v_unop(F32X4, |b, x| b.ins().sqrt(x)),
            O::F64x2Sqrt => self.v_unop(F64X2, |b, x| b.ins().sqrt(x)),
            O::F32x4Add => self.v_binop(F32X4, |b, x, y| b.ins().fadd(x, y)),
            O::F64x2Add => self.v_binop(F64X2, |b, x, y| b.ins().fadd(x, y)),
            O::F32x4Sub => self.v_binop(F32X4, |b, x, y| b.ins().fsub(x, y)),
            O::F64x2Sub => self.v_binop(F64X2, |b, x, y| b.ins().fsub(x, y)),
            O::F32x4Mul => self.v_binop(F32X4, |b, x, y| b.ins().fmul(x, y)),
            O::F64x2Mul => self.v_binop(F64X2, |b, x, y| b.ins().fmul(x, y)),
            O::F32x4Div => self.v_binop(F32X4, |b, x, y| b.ins().fdiv(x, y)),
            O::F64x2Div => self.v_binop(F64X2, |b, x, y| b.ins().fdiv(x, y)),
            // Relaxed: wasm's `min`/`max` (NaN in, NaN out; −0 < +0).
            O::F32x4Min | O::F32x4RelaxedMin => self.v_binop(F32X4, |b, x, y| b.ins().fmin(x, y)),
            O::F64x2Min | O::F64x2RelaxedMin => self.v_binop(F64X2, |b, x, y| b.ins().fmin(x, y)),
            O::F32x4Max | O::F32x4RelaxedMax => self.v_binop(F32X4, |b, x, y| b.ins().fmax(x, y)),
            O::F64x2Max | O::F64x2RelaxedMax => self.v_binop(F64X2, |b, x, y| b.ins().fmax(x, y)),
            O::F32x4PMin => self.v_pseudo_min_max(F32X4, false),
            O::F64x2PMin => self.v_pseudo_min_max(F64X2, false),
            O::F32x4PMax => self.v_pseudo_min_max(F32X4, true),
            O::F64x2PMax => self.v_pseudo_min_max(F64X2, true),
            O::F32x4RelaxedMadd => self.v_relaxed_madd(F32X4, false),
            O::F64x2RelaxedMadd => self.v_relaxed_madd(F64X2, false),
            O::F32x4RelaxedNmadd => self.v_relaxed_madd(F32X4, true),
            O::F64x2RelaxedNmadd => self.v_relaxed_madd(F64X2, true),

            // ---- conversions ----
            // Relaxed: saturating (NaN → 0), as `trunc_sat`.
            O::I32x4TruncSatF32x4S | O::I32x4RelaxedTruncF32x4S => {
                self.v_unop(F32X4, |b, x| b.ins().fcvt_to_sint_sat(I32X4, x));
            }
            O::I32x4TruncSatF32x4U | O::I32x4RelaxedTruncF32x4U => {
                self.v_unop(F32X4, |b, x| b.ins().fcvt_to_uint_sat(I32X4, x));
            }
            O::I32x4TruncSatF64x2SZero | O::I32x4RelaxedTruncF64x2SZero => {
                self.v_trunc_sat_f64x2_zero(true);
            }
            O::I32x4TruncSatF64x2UZero | O::I32x4RelaxedTruncF64x2UZero => {
                self.v_trunc_sat_f64x2_zero(false);
            }
            O::F32x4ConvertI32x4S => self.v_unop(I32X4, |b, x| b.ins().fcvt_from_sint(F32X4, x)),
            O::F32x4ConvertI32x4U => self.v_unop(I32X4, |b, x| b.ins().fcvt_from_uint(F32X4, x)),
            O::F64x2ConvertLowI32x4S => self.v_unop(I32X4, |b, x| {
                let wide = b.ins().swiden_low(x);
                b.ins().fcvt_from_sint(F64X2, wide)
            }),
            O::F64x2ConvertLowI32x4U => self.v_unop(I32X4, |b, x| {
                let wide = b.ins().uwiden_low(x);
                b.ins().fcvt_from_uint(F64X2, wide)
            }),
            O::F32x4DemoteF64x2Zero => self.v_unop(F64X2, |b, x| b.ins().fvdemote(x)),
            O::F64x2PromoteLowF32x4 => self.v_unop(F32X4, |b, x| b.ins().fvpromote_low(x)),

            other => return Err(CompileError::Unsupported(format!("{other:?}"))),
        }
        Ok(())
    }

    /// `extadd_pairwise`: the lanes of a `ty` vector widened (sign- or zero-extended) and
    /// each adjacent pair added (the pattern x64 lowers to `pmaddwd`/`pmaddubsw`).
    fn v_extadd_pairwise(&mut self, ty: Type, signed: bool) {
        self.v_unop(ty, |b, x| {
            let (low, high) = if signed {
                (b.ins().swiden_low(x), b.ins().swiden_high(x))
            } else {
                (b.ins().uwiden_low(x), b.ins().uwiden_high(x))
            };
            b.ins().iadd_pairwise(low, high)
        });
    }

    /// `relaxed_madd(a, b, c)` as every tier computes it: unfused, `a * b` rounded, then
    /// `+ c` rounded; with `negate` (`relaxed_nmadd`), the rounded product is negated before
    /// the addition.
    fn v_relaxed_madd(&mut self, ty: Type, negate: bool) {
        self.v_ternop(ty, |b, x, y, z| {
            let mut product = b.ins().fmul(x, y);
            if negate {
                product = b.ins().fneg(product);
            }
            b.ins().fadd(product, z)
        });
    }

    /// `extmul_{low,high}`: the low (or high) half of two `ty` vectors widened (sign- or
    /// zero-extended) and multiplied lane by lane.
    fn v_extmul(&mut self, ty: Type, signed: bool, high: bool) {
        self.v_binop(ty, |b, x, y| {
            let widen = |b: &mut FunctionBuilder<'_>, v| match (signed, high) {
                (true, false) => b.ins().swiden_low(v),
                (true, true) => b.ins().swiden_high(v),
                (false, false) => b.ins().uwiden_low(v),
                (false, true) => b.ins().uwiden_high(v),
            };
            let (x, y) = (widen(b, x), widen(b, y));
            b.ins().imul(x, y)
        });
    }
}

#[cfg(test)]
mod tests {
    use tierup_abi::{BoundsChecks, DefinedFuncIdx, ModuleInfo};
    use wasmparser::Operator;

    use crate::Compiler;
    use crate::tests::{env, module};
    use crate::translate::Entry;

    /// The CLIF of entry `kind` of defined function `func`, as translated (in the slot and
    /// OSR entries, `v1` is the frame pointer).
    fn clif(info: &ModuleInfo, func: u32, kind: Entry<'_>) -> String {
        let mut compiler = Compiler::new().expect("host ISA");
        compiler
            .translate_entry(&env(info, BoundsChecks::Guard), DefinedFuncIdx(func), kind)
            .expect("translates");
        compiler.ctx.func.display().to_string()
    }

    /// Whether some line of `clif` contains every one of `parts` (a part ending in `$`: ends
    /// with it).
    fn has_line(clif: &str, parts: &[&str]) -> bool {
        clif.lines().any(|l| {
            parts.iter().all(|p| match p.strip_suffix('$') {
                Some(end) => l.ends_with(end),
                None => l.contains(p),
            })
        })
    }

    /// `$f`'s frame: params i32 (slot 0), v128 (1-2), f64 (3); result v128 (0-1); own frame
    /// 4 slots. `$h` (f64, v128, i32) -> (v128, i32): its frame at `fp + 32` holds the
    /// arguments at slots 0, 1-2, 3 and then the results at slots 0-1, 2.
    const MIXED: &str = r#"(module (global $g (mut v128) (v128.const i64x2 1 2))
        (func $f (param i32 v128 f64) (result v128) (local v128 i64)
          (global.set $g (local.get 1))
          (loop (br_if 0 (i32.eqz (local.get 0))))
          (call $h (local.get 2) (local.get 1) (local.get 0)) drop drop
          (global.get $g))
        (func $h (param f64 v128 i32) (result v128 i32) (local.get 1) (local.get 2)))"#;

    #[test]
    fn v128_values_take_two_slots_in_every_frame() {
        let info = module(MIXED);
        let f = clif(&info, 0, Entry::Slot);
        for parts in [
            // Parameters at their slot offsets.
            &["load.i32 notrap aligned v1$"][..],
            &["load.i8x16 notrap v1+8"],
            &["load.f64 notrap aligned v1+24"],
            // The callee's frame at fp + 4 slots, its arguments at slots 0, 1 and 3.
            &["iconst.i64 32"],
            &["store notrap aligned", ", v1+32"],
            &["store.i8x16 notrap", ", v1+40"],
            &["store notrap aligned", ", v1+56"],
            // Its results at slots 0 and 2.
            &["load.i8x16 notrap v1+32"],
            &["load.i32 notrap aligned v1+48"],
            // The frame check: own 4 slots + the callee's 4.
            &["iconst.i64 64"],
        ] {
            assert!(has_line(&f, parts), "{parts:?} in\n{f}");
        }
        // The result in slots 0-1.
        assert!(has_line(&f, &["store notrap v", ", v1$"]), "{f}");
        let h = clif(&info, 1, Entry::Slot);
        for parts in [
            &["load.f64 notrap aligned v1$"][..],
            &["load.i8x16 notrap v1+8"],
            &["load.i32 notrap aligned v1+24"],
            &["store notrap aligned", ", v1+16"],
        ] {
            assert!(has_line(&h, parts), "{parts:?} in\n{h}");
        }
    }

    #[test]
    fn v128_accesses_to_slots_and_globals_are_not_marked_aligned() {
        let info = module(MIXED);
        let f = clif(&info, 0, Entry::Slot);
        let vector_accesses: Vec<&str> = f
            .lines()
            .filter(|l| l.contains("load.i8x16") || l.contains("store.i8x16"))
            .collect();
        assert!(vector_accesses.len() >= 4, "{f}");
        for line in vector_accesses {
            assert!(!line.contains("aligned"), "{line}");
        }
        // The global: 16 bytes at its pointer, mutable (neither readonly nor movable), stored
        // as a whole.
        let global = |l: &&str| !l.contains("v1+") && !l.contains("readonly");
        assert!(
            f.lines()
                .filter(global)
                .any(|l| l.contains("load.i8x16 notrap v")),
            "{f}"
        );
        let immutable = module(
            r#"(module (global v128 (v128.const i32x4 1 2 3 4))
                 (func (result v128) (global.get 0)))"#,
        );
        let g = clif(&immutable, 0, Entry::Slot);
        assert!(
            has_line(&g, &["load.i8x16 notrap readonly can_move"]),
            "{g}"
        );
    }

    #[test]
    fn native_entries_take_and_return_v128_in_registers() {
        let info = module(MIXED);
        let ty = info.func_type(info.func_of(DefinedFuncIdx(0)));
        assert!(crate::has_native_entry(ty));
        let native = clif(&info, 0, Entry::Native);
        assert!(
            native.contains("(i64 vmctx, i64, i32, i8x16, f64) -> i8x16 system_v"),
            "{native}"
        );
        // Cranelift lowers vector parameters and results (xmm registers in SysV), for the
        // entry and for its slot-ABI wrapper.
        let mut compiler = Compiler::new().expect("host ISA");
        compiler
            .compile_native(&env(&info, BoundsChecks::Guard), DefinedFuncIdx(0))
            .expect("native entry compiles");
        compiler
            .compile_slot_wrapper(&env(&info, BoundsChecks::Guard), DefinedFuncIdx(0), 0x1000)
            .expect("wrapper compiles");
        let mut func = cranelift_codegen::ir::Function::new();
        func.signature = crate::slot_abi_signature();
        crate::vm::build_slot_wrapper(
            &mut func,
            &mut cranelift_frontend::FunctionBuilderContext::new(),
            compiler.isa.frontend_config(),
            ty,
            DefinedFuncIdx(0),
        );
        let wrapper = func.display().to_string();
        for parts in [
            &["load.i32 notrap aligned v1$"][..],
            &["load.i8x16 notrap v1+8"],
            &["load.f64 notrap aligned v1+24"],
            &["call_indirect"],
        ] {
            assert!(has_line(&wrapper, parts), "{parts:?} in\n{wrapper}");
        }
        assert!(
            has_line(&wrapper, &["store notrap v", ", v1$"]),
            "{wrapper}"
        );
    }

    #[test]
    fn the_osr_entry_loads_every_local_from_its_slots() {
        // Locals: the i32 parameter (slot 0), a v128 (1-2), an i32 (3), an f64 (4).
        let info = module(
            r#"(module (func (param i32) (result v128) (local v128 i32 f64)
                 (loop (br_if 0 (local.get 2)))
                 (local.get 1)))"#,
        );
        let body = info.body(DefinedFuncIdx(0));
        let mut ops = body.get_operators_reader().expect("body");
        let loop_offset = loop {
            let at = ops.original_position() as u32;
            if let Operator::Loop { .. } = ops.read().expect("operator") {
                break at;
            }
        };
        let osr = clif(&info, 0, Entry::Osr(&[loop_offset]));
        for parts in [
            &["load.i32 notrap aligned v1$"][..],
            &["load.i8x16 notrap v1+8"],
            &["load.i32 notrap aligned v1+24"],
            &["load.f64 notrap aligned v1+32"],
        ] {
            assert!(has_line(&osr, parts), "{parts:?} in\n{osr}");
        }
        Compiler::new()
            .expect("host ISA")
            .compile_osr(
                &env(&info, BoundsChecks::Guard),
                DefinedFuncIdx(0),
                &[loop_offset],
            )
            .expect("compiles");
    }

    /// Each relaxed operator, the CLIF instructions its lowering uses, and those of the other
    /// permitted (host-dependent) lowerings it must not use.
    const RELAXED: &[(&str, &str, &[&str], &[&str])] = &[
        (
            "v128 v128",
            "i8x16.relaxed_swizzle",
            &["swizzle"],
            &["x86_pshufb"],
        ),
        (
            "v128",
            "i32x4.relaxed_trunc_f32x4_s",
            &["fcvt_to_sint_sat.i32x4"],
            &["x86_cvtt2dq"],
        ),
        (
            "v128",
            "i32x4.relaxed_trunc_f32x4_u",
            &["fcvt_to_uint_sat.i32x4"],
            &["x86_cvtt2dq"],
        ),
        (
            "v128",
            "i32x4.relaxed_trunc_f64x2_s_zero",
            &["fcvt_to_sint_sat.i64x2", "snarrow"],
            &["x86_cvtt2dq"],
        ),
        (
            "v128",
            "i32x4.relaxed_trunc_f64x2_u_zero",
            &["fcvt_to_uint_sat.i64x2", "uunarrow"],
            &["x86_cvtt2dq"],
        ),
        (
            "v128 v128 v128",
            "f32x4.relaxed_madd",
            &["fmul", "fadd"],
            &["fma", "fneg"],
        ),
        (
            "v128 v128 v128",
            "f64x2.relaxed_madd",
            &["fmul", "fadd"],
            &["fma", "fneg"],
        ),
        (
            "v128 v128 v128",
            "f32x4.relaxed_nmadd",
            &["fmul", "fneg", "fadd"],
            &["fma"],
        ),
        (
            "v128 v128 v128",
            "f64x2.relaxed_nmadd",
            &["fmul", "fneg", "fadd"],
            &["fma"],
        ),
        (
            "v128 v128 v128",
            "i8x16.relaxed_laneselect",
            &["bitselect"],
            &["blendv"],
        ),
        (
            "v128 v128 v128",
            "i16x8.relaxed_laneselect",
            &["bitselect"],
            &["blendv"],
        ),
        (
            "v128 v128 v128",
            "i32x4.relaxed_laneselect",
            &["bitselect"],
            &["blendv"],
        ),
        (
            "v128 v128 v128",
            "i64x2.relaxed_laneselect",
            &["bitselect"],
            &["blendv"],
        ),
        (
            "v128 v128",
            "f32x4.relaxed_min",
            &["fmin"],
            &["bitselect", "fcmp"],
        ),
        (
            "v128 v128",
            "f32x4.relaxed_max",
            &["fmax"],
            &["bitselect", "fcmp"],
        ),
        (
            "v128 v128",
            "f64x2.relaxed_min",
            &["fmin"],
            &["bitselect", "fcmp"],
        ),
        (
            "v128 v128",
            "f64x2.relaxed_max",
            &["fmax"],
            &["bitselect", "fcmp"],
        ),
        (
            "v128 v128",
            "i16x8.relaxed_q15mulr_s",
            &["sqmul_round_sat"],
            &["x86_pmulhrsw"],
        ),
        (
            "v128 v128",
            "i16x8.relaxed_dot_i8x16_i7x16_s",
            &["swiden_low", "swiden_high", "imul", "iadd_pairwise"],
            &["x86_pmaddubsw", "uwiden_low", "uwiden_high"],
        ),
        (
            "v128 v128 v128",
            "i32x4.relaxed_dot_i8x16_i7x16_add_s",
            &["swiden_low", "swiden_high", "imul", "iadd_pairwise", "iadd"],
            &["x86_pmaddubsw", "uwiden_low", "uwiden_high"],
        ),
    ];

    #[test]
    fn relaxed_simd_has_the_deterministic_lowering() {
        for &(params, op, uses, avoids) in RELAXED {
            let gets = (0..params.split(' ').count())
                .map(|i| format!("(local.get {i})"))
                .collect::<String>();
            let info = module(&format!(
                "(module (func (param {params}) (result v128) ({op} {gets})))"
            ));
            let f = clif(&info, 0, Entry::Slot);
            // The instruction of each `vN = opcode[.type] ...` line, with and without type.
            let insts: Vec<&str> = f
                .lines()
                .filter_map(|l| l.split_once(" = ")?.1.split(' ').next())
                .collect();
            let used = |name: &str| {
                insts
                    .iter()
                    .any(|&i| i == name || i.split('.').next() == Some(name))
            };
            for u in uses {
                assert!(used(u), "{op} uses {u}:\n{f}");
            }
            for a in avoids {
                assert!(!used(a), "{op} avoids {a}:\n{f}");
            }
            Compiler::new()
                .expect("host ISA")
                .compile(&env(&info, BoundsChecks::Guard), DefinedFuncIdx(0))
                .unwrap_or_else(|e| panic!("{op}: {e}"));
        }
    }
}
