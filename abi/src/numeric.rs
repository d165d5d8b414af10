//! WebAssembly's numeric rules that have no single machine instruction, defined once for
//! every tier: the interpreter calls these functions inline, and the machine-code tiers reach
//! them through the libcall wrappers (`tierup_runtime`'s `jit::libcalls`).
//!
//! - `min`/`max`: NaN if either operand is NaN; −0 is less than +0. Which NaN is fixed, the
//!   same in every tier (wasm allows any quiet NaN): for scalars, the NaN operand quieted
//!   (the second one if both are NaNs); for vector lanes, the canonical NaN, with the sign bit
//!   set for `min` and the operands' sign bits or-ed for `max` (what Cranelift's branchless x86
//!   sequences give).
//! - Checked float → int truncation: NaN traps with `BadConversionToInteger`, a value whose
//!   truncation lies outside the target range traps with `IntegerOverflow`.
//! - Saturating truncation and unsigned 64-bit int → float conversion are Rust's `as`, which
//!   has exactly wasm's semantics (NaN → 0, out of range → the nearest bound; round to
//!   nearest, ties to even).
//! - Rounding to an integral value (`ceil`, `floor`, `trunc`, `nearest`, scalar and per lane):
//!   a NaN operand comes back as a quiet NaN (wasm's arithmetic NaN), which software rounding
//!   does not guarantee for a signalling NaN.

use crate::TrapCode;

macro_rules! roundings {
    ($($name:ident: $ft:ty, $quiet_bit:expr, $op:ident;)*) => {$(
        #[doc = concat!("wasm `", stringify!($ft), ".", stringify!($name), "`, the `", stringify!($op),
            "` of `x` (a NaN comes back quiet).")]
        #[inline(always)]
        pub fn $name(x: $ft) -> $ft {
            if x.is_nan() {
                <$ft>::from_bits(x.to_bits() | $quiet_bit)
            } else {
                x.$op()
            }
        }
    )*};
}

roundings! {
    f32_ceil: f32, 0x0040_0000, ceil;
    f32_floor: f32, 0x0040_0000, floor;
    f32_trunc: f32, 0x0040_0000, trunc;
    f32_nearest: f32, 0x0040_0000, round_ties_even;
    f64_ceil: f64, 0x0008_0000_0000_0000, ceil;
    f64_floor: f64, 0x0008_0000_0000_0000, floor;
    f64_trunc: f64, 0x0008_0000_0000_0000, trunc;
    f64_nearest: f64, 0x0008_0000_0000_0000, round_ties_even;
}

macro_rules! min_max {
    ($min:ident, $max:ident, $lane_min:ident, $lane_max:ident, $ft:ty, $quiet:expr, $sign:expr) => {
        #[doc = concat!("wasm `", stringify!($ft), ".min`; with a NaN operand, `b` quieted if it is a NaN, else `a` quieted.")]
        #[inline(always)]
        pub fn $min(a: $ft, b: $ft) -> $ft {
            if a.is_nan() || b.is_nan() {
                scalar_nan(a, b)
            } else if a == b {
                <$ft>::from_bits(a.to_bits() | b.to_bits())
            } else if a < b {
                a
            } else {
                b
            }
        }

        #[doc = concat!("wasm `", stringify!($ft), ".max`; with a NaN operand, as [`", stringify!($min), "`].")]
        #[inline(always)]
        pub fn $max(a: $ft, b: $ft) -> $ft {
            if a.is_nan() || b.is_nan() {
                scalar_nan(a, b)
            } else if a == b {
                <$ft>::from_bits(a.to_bits() & b.to_bits())
            } else if a > b {
                a
            } else {
                b
            }
        }

        #[doc = concat!("A lane of wasm's vector `min` on `", stringify!($ft), "`: as [`", stringify!($min),
            "`] on numbers; a lane with a NaN operand is the canonical NaN with the sign bit set.")]
        #[inline(always)]
        pub fn $lane_min(a: $ft, b: $ft) -> $ft {
            if a.is_nan() || b.is_nan() {
                <$ft>::from_bits($sign | $quiet)
            } else {
                $min(a, b)
            }
        }

        #[doc = concat!("A lane of wasm's vector `max` on `", stringify!($ft), "`: as [`", stringify!($max),
            "`] on numbers; a lane with a NaN operand is the canonical NaN, negative when either operand's sign bit is set.")]
        #[inline(always)]
        pub fn $lane_max(a: $ft, b: $ft) -> $ft {
            if a.is_nan() || b.is_nan() {
                <$ft>::from_bits(((a.to_bits() | b.to_bits()) & $sign) | $quiet)
            } else {
                $max(a, b)
            }
        }

        impl ScalarNan for $ft {
            #[inline(always)]
            fn quieted(self) -> $ft {
                <$ft>::from_bits(self.to_bits() | ($quiet & !(<$ft>::INFINITY.to_bits())))
            }
        }
    };
}

/// Quieting a NaN: setting the top bit of its fraction.
trait ScalarNan: Copy {
    fn quieted(self) -> Self;
}

/// The NaN a scalar `min`/`max` gives when an operand is a NaN: `b` quieted if `b` is a NaN,
/// else `a` quieted, which is what `addss b, a` gives on x86-64 (the machine-code tiers'
/// sequence for this case).
#[inline(always)]
fn scalar_nan<F: ScalarNan + PartialEq>(a: F, b: F) -> F {
    #[allow(clippy::eq_op, reason = "x != x is the NaN test of a generic float")]
    if b != b { b.quieted() } else { a.quieted() }
}

min_max!(
    f32_min,
    f32_max,
    f32_lane_min,
    f32_lane_max,
    f32,
    0x7fc0_0000,
    0x8000_0000
);
min_max!(
    f64_min,
    f64_max,
    f64_lane_min,
    f64_lane_max,
    f64,
    0x7ff8_0000_0000_0000,
    0x8000_0000_0000_0000
);

/// Defines a checked truncation from `$from` to `$to`; `$lo` and `$hi` are the exclusive
/// bounds of the truncated value, exactly representable in `$from`.
macro_rules! checked_trunc {
    ($($name:ident: $from:ty => $to:ty, ($lo:expr, $hi:expr);)*) => {$(
        #[doc = concat!("wasm `", stringify!($name), "` (checked).")]
        ///
        /// # Errors
        /// `BadConversionToInteger` for NaN, `IntegerOverflow` when the truncated value is out
        /// of range.
        #[inline(always)]
        pub fn $name(x: $from) -> Result<$to, TrapCode> {
            if x.is_nan() {
                return Err(TrapCode::BadConversionToInteger);
            }
            let t = x.trunc();
            if t <= $lo || t >= $hi {
                Err(TrapCode::IntegerOverflow)
            } else {
                Ok(t as $to)
            }
        }
    )*};
}

checked_trunc! {
    i32_trunc_f32_s: f32 => i32, (-2147483904.0f32, 2147483648.0f32);
    i32_trunc_f32_u: f32 => u32, (-1.0f32, 4294967296.0f32);
    i32_trunc_f64_s: f64 => i32, (-2147483649.0f64, 2147483648.0f64);
    i32_trunc_f64_u: f64 => u32, (-1.0f64, 4294967296.0f64);
    i64_trunc_f32_s: f32 => i64, (-9223373136366403584.0f32, 9223372036854775808.0f32);
    i64_trunc_f32_u: f32 => u64, (-1.0f32, 18446744073709551616.0f32);
    i64_trunc_f64_s: f64 => i64, (-9223372036854777856.0f64, 9223372036854775808.0f64);
    i64_trunc_f64_u: f64 => u64, (-1.0f64, 18446744073709551616.0f64);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn checked_truncation_traps_like_the_spec() {
        assert_eq!(i32_trunc_f32_s(-1.5), Ok(-1));
        assert_eq!(
            i32_trunc_f32_s(f32::NAN),
            Err(TrapCode::BadConversionToInteger)
        );
        assert_eq!(
            i32_trunc_f64_u(4294967296.0),
            Err(TrapCode::IntegerOverflow)
        );
        assert_eq!(i32_trunc_f64_u(-0.9), Ok(0));
        assert_eq!(i64_trunc_f64_s(-9223372036854775808.0), Ok(i64::MIN));
    }

    #[test]
    fn min_max_follow_wasm_zero_and_nan_rules() {
        assert_eq!(f64_min(0.0, -0.0).to_bits(), (-0.0f64).to_bits());
        assert_eq!(f64_max(0.0, -0.0).to_bits(), 0.0f64.to_bits());
        assert!(f64_min(f64::NAN, 0.0).is_nan());
        assert!(f32_max(1.0, f32::NAN).is_nan());
    }
}
