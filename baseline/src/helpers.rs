//! Out-of-line helpers that baseline code calls for operations with no short x86-64 sequence:
//! wasm `min`/`max` (NaN and signed-zero rules), checked and saturating float→int
//! truncation, and unsigned 64-bit int→float conversion.
//!
//! All are `extern "sysv64"`, never unwind and never fault. Floats travel as their bit
//! patterns in integer registers (JIT code keeps every value in slot form anyway). A checked
//! conversion returns a [`Checked`] in `rax:rdx`: `status` is 0 or a trap status.

use tierup_abi::TrapCode;

/// The result of a checked conversion: `status` (0 or a trap status) in `rax`, `value` in
/// `rdx`.
#[repr(C)]
pub struct Checked {
    /// 0, or the trap's status.
    pub status: u64,
    /// The converted value (zero-extended for 32-bit results).
    pub value: u64,
}

fn checked(r: Result<u64, TrapCode>) -> Checked {
    match r {
        Ok(value) => Checked { status: 0, value },
        Err(code) => Checked {
            status: u64::from(code.status()),
            value: 0,
        },
    }
}

/// wasm `min`: NaN if either operand is NaN; -0 is less than +0.
macro_rules! wasm_min_max {
    ($name:ident, $ft:ty, $bits:ty, $pick_lhs:expr, $zeros:tt) => {
        #[doc = concat!("wasm `", stringify!($name), "` on bit patterns.")]
        pub extern "sysv64" fn $name(a: u64, b: u64) -> u64 {
            let (a, b) = (<$ft>::from_bits(a as $bits), <$ft>::from_bits(b as $bits));
            let r = if a.is_nan() || b.is_nan() {
                a + b
            } else if a == b {
                <$ft>::from_bits(a.to_bits() $zeros b.to_bits())
            } else if $pick_lhs(a, b) {
                a
            } else {
                b
            };
            r.to_bits() as u64
        }
    };
}

wasm_min_max!(f32_min, f32, u32, |a: f32, b: f32| a < b, |);
wasm_min_max!(f32_max, f32, u32, |a: f32, b: f32| a > b, &);
wasm_min_max!(f64_min, f64, u64, |a: f64, b: f64| a < b, |);
wasm_min_max!(f64_max, f64, u64, |a: f64, b: f64| a > b, &);

/// Checked truncation of `x` into the open interval `(lo, hi)`.
fn trunc_checked(x: f64, lo: f64, hi: f64) -> Result<f64, TrapCode> {
    if x.is_nan() {
        return Err(TrapCode::BadConversionToInteger);
    }
    let t = x.trunc();
    if t <= lo || t >= hi {
        Err(TrapCode::IntegerOverflow)
    } else {
        Ok(t)
    }
}

/// Defines a checked float→int truncation (`$from` bits → `$to`, exclusive bounds).
macro_rules! trunc_fn {
    ($name:ident, $from:ty, $from_bits:ty, $to:ty, $lo:expr, $hi:expr, $widen:expr) => {
        #[doc = concat!("Checked `", stringify!($name), "` (traps on NaN and overflow).")]
        pub extern "sysv64" fn $name(bits: u64) -> Checked {
            let x = f64::from(<$from>::from_bits(bits as $from_bits));
            checked(trunc_checked(x, $lo, $hi).map(|t| $widen(t as $to)))
        }
    };
}

trunc_fn!(
    i32_trunc_f32_s,
    f32,
    u32,
    i32,
    -2147483904.0,
    2147483648.0,
    |v: i32| v as u32 as u64
);
trunc_fn!(
    i32_trunc_f32_u,
    f32,
    u32,
    u32,
    -1.0,
    4294967296.0,
    u64::from
);
trunc_fn!(
    i32_trunc_f64_s,
    f64,
    u64,
    i32,
    -2147483649.0,
    2147483648.0,
    |v: i32| v as u32 as u64
);
trunc_fn!(
    i32_trunc_f64_u,
    f64,
    u64,
    u32,
    -1.0,
    4294967296.0,
    u64::from
);
trunc_fn!(
    i64_trunc_f32_s,
    f32,
    u32,
    i64,
    -9223373136366403584.0,
    9223372036854775808.0,
    |v: i64| v as u64
);
trunc_fn!(
    i64_trunc_f32_u,
    f32,
    u32,
    u64,
    -1.0,
    18446744073709551616.0,
    |v: u64| v
);
trunc_fn!(
    i64_trunc_f64_s,
    f64,
    u64,
    i64,
    -9223372036854777856.0,
    9223372036854775808.0,
    |v: i64| v as u64
);
trunc_fn!(
    i64_trunc_f64_u,
    f64,
    u64,
    u64,
    -1.0,
    18446744073709551616.0,
    |v: u64| v
);

/// Defines a saturating float→int truncation (Rust's `as` has exactly wasm's semantics).
macro_rules! trunc_sat_fn {
    ($name:ident, $from:ty, $from_bits:ty, $to:ty, $widen:expr) => {
        #[doc = concat!("Saturating `", stringify!($name), "`.")]
        pub extern "sysv64" fn $name(bits: u64) -> u64 {
            $widen(<$from>::from_bits(bits as $from_bits) as $to)
        }
    };
}

trunc_sat_fn!(i32_trunc_sat_f32_s, f32, u32, i32, |v: i32| v as u32 as u64);
trunc_sat_fn!(i32_trunc_sat_f32_u, f32, u32, u32, u64::from);
trunc_sat_fn!(i32_trunc_sat_f64_s, f64, u64, i32, |v: i32| v as u32 as u64);
trunc_sat_fn!(i32_trunc_sat_f64_u, f64, u64, u32, u64::from);
trunc_sat_fn!(i64_trunc_sat_f32_s, f32, u32, i64, |v: i64| v as u64);
trunc_sat_fn!(i64_trunc_sat_f32_u, f32, u32, u64, |v: u64| v);
trunc_sat_fn!(i64_trunc_sat_f64_s, f64, u64, i64, |v: i64| v as u64);
trunc_sat_fn!(i64_trunc_sat_f64_u, f64, u64, u64, |v: u64| v);

/// `f32.convert_i64_u` on bit patterns.
pub extern "sysv64" fn f32_convert_i64_u(v: u64) -> u64 {
    u64::from((v as f32).to_bits())
}

/// `f64.convert_i64_u` on bit patterns.
pub extern "sysv64" fn f64_convert_i64_u(v: u64) -> u64 {
    (v as f64).to_bits()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn checked_truncation_traps_like_the_spec() {
        let t = |f: extern "sysv64" fn(u64) -> Checked, bits: u64| {
            let r = f(bits);
            (r.status, r.value)
        };
        assert_eq!(
            t(i32_trunc_f32_s, (-1.5f32).to_bits().into()),
            (0, u64::from(-1i32 as u32))
        );
        let nan = t(i32_trunc_f32_s, f32::NAN.to_bits().into()).0;
        assert_eq!(nan, u64::from(TrapCode::BadConversionToInteger.status()));
        let big = t(i32_trunc_f64_u, 4294967296.0f64.to_bits()).0;
        assert_eq!(big, u64::from(TrapCode::IntegerOverflow.status()));
        assert_eq!(t(i32_trunc_f64_u, (-0.9f64).to_bits()), (0, 0));
    }

    #[test]
    fn min_max_follow_wasm_zero_and_nan_rules() {
        let (pz, nz) = (0.0f64.to_bits(), (-0.0f64).to_bits());
        assert_eq!(f64_min(pz, nz), nz);
        assert_eq!(f64_max(pz, nz), pz);
        assert!(f64::from_bits(f64_min(f64::NAN.to_bits(), pz)).is_nan());
    }
}
