//! The semantics of every SIMD instruction, on `v128` values held as `u128` (lane 0 in the
//! least significant bits, wasm's little-endian lane order).
//!
//! Each operation is a small `#[inline(always)]` function, written lane by lane in portable
//! Rust: LLVM turns most of them into SSE instructions (the interpreter's handlers are built
//! optimized), and other hosts get the same results. The few integer operations it computes
//! lane by lane in general-purpose registers instead have SSE2 versions in [`fast`] (x86-64
//! only, checked against the portable definitions by a test), which the handlers call.
//! Lanes are viewed through [`Lanes`], a transmute between `u128` and the lane array.
//!
//! Float results follow the host's IEEE arithmetic (on x86-64 the same SSE instructions the
//! machine-code tiers use, so NaN payloads agree between tiers); `min`/`max` follow wasm's NaN
//! and ±0 rules with the NaN lanes every tier gives (`tierup_abi::numeric::f32_lane_min` and
//! its siblings), and rounding operations return quiet NaNs.
//!
//! Relaxed SIMD uses one deterministic lowering, shared by every tier (DESIGN.md §8a): each
//! relaxed operation computes what its strict counterpart does — `relaxed_swizzle` is
//! `swizzle`, `relaxed_trunc*` are the `trunc_sat*`, `relaxed_min/max` are `min/max`,
//! `relaxed_laneselect` is `bitselect`, `relaxed_q15mulr_s` is `q15mulr_sat_s` — and
//! `relaxed_madd(a, b, c)` is `a * b + c` rounded twice (not fused), `relaxed_nmadd` is
//! `-(a * b) + c`; the relaxed dot products read both operands' bytes as signed.

use tierup_abi::numeric;

/// A lane array that a `u128` can be viewed as.
pub(crate) trait Lanes: Copy {
    /// The lanes of `v`.
    fn of(v: u128) -> Self;
    /// The `v128` made of these lanes.
    fn bits(self) -> u128;
}

macro_rules! lanes {
    ($($t:ty),*) => {$(
        #[allow(
            unnecessary_transmutes,
            reason = "one generic definition for every lane type, byte arrays included"
        )]
        impl Lanes for $t {
            #[inline(always)]
            fn of(v: u128) -> Self {
                // SAFETY: the array is 16 bytes like `u128`, and every bit pattern is a valid
                // value of its integer or float lanes.
                unsafe { std::mem::transmute::<u128, $t>(v) }
            }
            #[inline(always)]
            fn bits(self) -> u128 {
                // SAFETY: as above, the other way round.
                unsafe { std::mem::transmute::<$t, u128>(self) }
            }
        }
    )*};
}

lanes!(
    [i8; 16], [u8; 16], [i16; 8], [u16; 8], [i32; 4], [u32; 4], [i64; 2], [u64; 2], [f32; 4],
    [f64; 2]
);

/// `f(lane)` for every lane.
#[inline(always)]
fn map<T: Copy, const N: usize>(v: u128, f: impl Fn(T) -> T) -> u128
where
    [T; N]: Lanes,
{
    let a = <[T; N]>::of(v);
    std::array::from_fn::<T, N, _>(|i| f(a[i])).bits()
}

/// `f(lhs lane, rhs lane)` for every lane.
#[inline(always)]
fn zip<T: Copy, const N: usize>(x: u128, y: u128, f: impl Fn(T, T) -> T) -> u128
where
    [T; N]: Lanes,
{
    let (a, b) = (<[T; N]>::of(x), <[T; N]>::of(y));
    std::array::from_fn::<T, N, _>(|i| f(a[i], b[i])).bits()
}

/// All ones when `true`, for comparison results.
macro_rules! mask {
    ($cond:expr, $t:ty) => {
        if $cond { !(0 as $t) } else { 0 as $t }
    };
}

// ---- lane-wise integer operations ----

macro_rules! int_binary {
    ($($(#[$m:meta])* $name:ident: [$t:ty; $n:literal], |$a:ident, $b:ident| $e:expr;)*) => {$(
        #[doc = concat!("`", stringify!($name), "`")]
        $(#[$m])*
        #[inline(always)]
        pub(crate) fn $name(x: u128, y: u128) -> u128 {
            zip::<$t, $n>(x, y, |$a, $b| $e)
        }
    )*};
}

int_binary! {
    #[cfg_attr(target_arch = "x86_64", allow(dead_code, reason = "x86-64 uses fast::i8x16_add"))]
    i8x16_add: [i8; 16], |a, b| a.wrapping_add(b);
    #[cfg_attr(target_arch = "x86_64", allow(dead_code, reason = "x86-64 uses fast::i8x16_sub"))]
    i8x16_sub: [i8; 16], |a, b| a.wrapping_sub(b);
    i8x16_add_sat_s: [i8; 16], |a, b| a.saturating_add(b);
    #[cfg_attr(target_arch = "x86_64", allow(dead_code, reason = "x86-64 uses fast::i8x16_add_sat_u"))]
    i8x16_add_sat_u: [u8; 16], |a, b| a.saturating_add(b);
    i8x16_sub_sat_s: [i8; 16], |a, b| a.saturating_sub(b);
    #[cfg_attr(target_arch = "x86_64", allow(dead_code, reason = "x86-64 uses fast::i8x16_sub_sat_u"))]
    i8x16_sub_sat_u: [u8; 16], |a, b| a.saturating_sub(b);
    i8x16_min_s: [i8; 16], |a, b| a.min(b);
    i8x16_min_u: [u8; 16], |a, b| a.min(b);
    i8x16_max_s: [i8; 16], |a, b| a.max(b);
    i8x16_max_u: [u8; 16], |a, b| a.max(b);
    i8x16_avgr_u: [u8; 16], |a, b| ((u16::from(a) + u16::from(b) + 1) >> 1) as u8;
    #[cfg_attr(target_arch = "x86_64", allow(dead_code, reason = "x86-64 uses fast::i8x16_eq"))]
    i8x16_eq: [i8; 16], |a, b| mask!(a == b, i8);
    i8x16_ne: [i8; 16], |a, b| mask!(a != b, i8);
    i8x16_lt_s: [i8; 16], |a, b| mask!(a < b, i8);
    i8x16_lt_u: [u8; 16], |a, b| mask!(a < b, u8);
    #[cfg_attr(target_arch = "x86_64", allow(dead_code, reason = "x86-64 uses fast::i8x16_gt_s"))]
    i8x16_gt_s: [i8; 16], |a, b| mask!(a > b, i8);
    i8x16_gt_u: [u8; 16], |a, b| mask!(a > b, u8);
    i8x16_le_s: [i8; 16], |a, b| mask!(a <= b, i8);
    i8x16_le_u: [u8; 16], |a, b| mask!(a <= b, u8);
    i8x16_ge_s: [i8; 16], |a, b| mask!(a >= b, i8);
    i8x16_ge_u: [u8; 16], |a, b| mask!(a >= b, u8);
    #[cfg_attr(target_arch = "x86_64", allow(dead_code, reason = "x86-64 uses fast::i16x8_add"))]
    i16x8_add: [i16; 8], |a, b| a.wrapping_add(b);
    i16x8_sub: [i16; 8], |a, b| a.wrapping_sub(b);
    i16x8_mul: [i16; 8], |a, b| a.wrapping_mul(b);
    i16x8_add_sat_s: [i16; 8], |a, b| a.saturating_add(b);
    i16x8_add_sat_u: [u16; 8], |a, b| a.saturating_add(b);
    i16x8_sub_sat_s: [i16; 8], |a, b| a.saturating_sub(b);
    i16x8_sub_sat_u: [u16; 8], |a, b| a.saturating_sub(b);
    i16x8_min_s: [i16; 8], |a, b| a.min(b);
    i16x8_min_u: [u16; 8], |a, b| a.min(b);
    i16x8_max_s: [i16; 8], |a, b| a.max(b);
    i16x8_max_u: [u16; 8], |a, b| a.max(b);
    i16x8_avgr_u: [u16; 8], |a, b| ((u32::from(a) + u32::from(b) + 1) >> 1) as u16;
    i16x8_q15mulr_sat_s: [i16; 8], |a, b| q15mulr(a, b);
    i16x8_eq: [i16; 8], |a, b| mask!(a == b, i16);
    i16x8_ne: [i16; 8], |a, b| mask!(a != b, i16);
    i16x8_lt_s: [i16; 8], |a, b| mask!(a < b, i16);
    i16x8_lt_u: [u16; 8], |a, b| mask!(a < b, u16);
    i16x8_gt_s: [i16; 8], |a, b| mask!(a > b, i16);
    i16x8_gt_u: [u16; 8], |a, b| mask!(a > b, u16);
    i16x8_le_s: [i16; 8], |a, b| mask!(a <= b, i16);
    i16x8_le_u: [u16; 8], |a, b| mask!(a <= b, u16);
    i16x8_ge_s: [i16; 8], |a, b| mask!(a >= b, i16);
    i16x8_ge_u: [u16; 8], |a, b| mask!(a >= b, u16);
    #[cfg_attr(target_arch = "x86_64", allow(dead_code, reason = "x86-64 uses fast::i32x4_add"))]
    i32x4_add: [i32; 4], |a, b| a.wrapping_add(b);
    i32x4_sub: [i32; 4], |a, b| a.wrapping_sub(b);
    i32x4_mul: [i32; 4], |a, b| a.wrapping_mul(b);
    i32x4_min_s: [i32; 4], |a, b| a.min(b);
    i32x4_min_u: [u32; 4], |a, b| a.min(b);
    i32x4_max_s: [i32; 4], |a, b| a.max(b);
    i32x4_max_u: [u32; 4], |a, b| a.max(b);
    i32x4_eq: [i32; 4], |a, b| mask!(a == b, i32);
    i32x4_ne: [i32; 4], |a, b| mask!(a != b, i32);
    i32x4_lt_s: [i32; 4], |a, b| mask!(a < b, i32);
    i32x4_lt_u: [u32; 4], |a, b| mask!(a < b, u32);
    i32x4_gt_s: [i32; 4], |a, b| mask!(a > b, i32);
    i32x4_gt_u: [u32; 4], |a, b| mask!(a > b, u32);
    i32x4_le_s: [i32; 4], |a, b| mask!(a <= b, i32);
    i32x4_le_u: [u32; 4], |a, b| mask!(a <= b, u32);
    i32x4_ge_s: [i32; 4], |a, b| mask!(a >= b, i32);
    i32x4_ge_u: [u32; 4], |a, b| mask!(a >= b, u32);
    i64x2_add: [i64; 2], |a, b| a.wrapping_add(b);
    i64x2_sub: [i64; 2], |a, b| a.wrapping_sub(b);
    i64x2_mul: [i64; 2], |a, b| a.wrapping_mul(b);
    i64x2_eq: [i64; 2], |a, b| mask!(a == b, i64);
    i64x2_ne: [i64; 2], |a, b| mask!(a != b, i64);
    i64x2_lt_s: [i64; 2], |a, b| mask!(a < b, i64);
    i64x2_gt_s: [i64; 2], |a, b| mask!(a > b, i64);
    i64x2_le_s: [i64; 2], |a, b| mask!(a <= b, i64);
    i64x2_ge_s: [i64; 2], |a, b| mask!(a >= b, i64);
}

/// The Q15 rounding multiply with saturation: `(a * b + 0x4000) >> 15`, clamped to `i16`.
#[inline(always)]
fn q15mulr(a: i16, b: i16) -> i16 {
    let p = (i32::from(a) * i32::from(b) + 0x4000) >> 15;
    p.clamp(i32::from(i16::MIN), i32::from(i16::MAX)) as i16
}

macro_rules! int_unary {
    ($($name:ident: [$t:ty; $n:literal], |$a:ident| $e:expr;)*) => {$(
        #[doc = concat!("`", stringify!($name), "`")]
        #[inline(always)]
        pub(crate) fn $name(x: u128) -> u128 {
            map::<$t, $n>(x, |$a| $e)
        }
    )*};
}

int_unary! {
    i8x16_abs: [i8; 16], |a| a.wrapping_abs();
    i8x16_neg: [i8; 16], |a| a.wrapping_neg();
    i8x16_popcnt: [u8; 16], |a| a.count_ones() as u8;
    i16x8_abs: [i16; 8], |a| a.wrapping_abs();
    i16x8_neg: [i16; 8], |a| a.wrapping_neg();
    i32x4_abs: [i32; 4], |a| a.wrapping_abs();
    i32x4_neg: [i32; 4], |a| a.wrapping_neg();
    i64x2_abs: [i64; 2], |a| a.wrapping_abs();
    i64x2_neg: [i64; 2], |a| a.wrapping_neg();
}

/// Shifts: the count is taken modulo the lane width.
macro_rules! shifts {
    ($($(#[$m:meta])* $name:ident: [$t:ty; $n:literal], $op:ident;)*) => {$(
        #[doc = concat!("`", stringify!($name), "` (count modulo the lane width)")]
        $(#[$m])*
        #[inline(always)]
        pub(crate) fn $name(x: u128, count: u32) -> u128 {
            let count = count % <$t>::BITS;
            map::<$t, $n>(x, |a| a.$op(count))
        }
    )*};
}

shifts! {
    i8x16_shl: [i8; 16], wrapping_shl;
    i8x16_shr_s: [i8; 16], wrapping_shr;
    i8x16_shr_u: [u8; 16], wrapping_shr;
    #[cfg_attr(target_arch = "x86_64", allow(dead_code, reason = "x86-64 uses fast::i16x8_shl"))]
    i16x8_shl: [i16; 8], wrapping_shl;
    i16x8_shr_s: [i16; 8], wrapping_shr;
    #[cfg_attr(target_arch = "x86_64", allow(dead_code, reason = "x86-64 uses fast::i16x8_shr_u"))]
    i16x8_shr_u: [u16; 8], wrapping_shr;
    i32x4_shl: [i32; 4], wrapping_shl;
    i32x4_shr_s: [i32; 4], wrapping_shr;
    i32x4_shr_u: [u32; 4], wrapping_shr;
    i64x2_shl: [i64; 2], wrapping_shl;
    i64x2_shr_s: [i64; 2], wrapping_shr;
    i64x2_shr_u: [u64; 2], wrapping_shr;
}

/// `all_true`: every lane is non-zero.
macro_rules! all_true {
    ($($name:ident: [$t:ty; $n:literal];)*) => {$(
        #[doc = concat!("`", stringify!($name), "`")]
        #[inline(always)]
        pub(crate) fn $name(x: u128) -> u32 {
            u32::from(<[$t; $n]>::of(x).iter().all(|&l| l != 0))
        }
    )*};
}

all_true! {
    i8x16_all_true: [u8; 16];
    i16x8_all_true: [u16; 8];
    i32x4_all_true: [u32; 4];
    i64x2_all_true: [u64; 2];
}

/// `bitmask`: the sign bit of every lane, lane 0 in bit 0.
macro_rules! bitmask {
    ($($name:ident: [$t:ty; $n:literal];)*) => {$(
        #[doc = concat!("`", stringify!($name), "`")]
        #[inline(always)]
        pub(crate) fn $name(x: u128) -> u32 {
            let lanes = <[$t; $n]>::of(x);
            (0..$n).fold(0, |m, i| m | (u32::from(lanes[i] < 0) << i))
        }
    )*};
}

bitmask! {
    i8x16_bitmask: [i8; 16];
    i16x8_bitmask: [i16; 8];
    i32x4_bitmask: [i32; 4];
    i64x2_bitmask: [i64; 2];
}

/// `narrow`: both operands' lanes, saturated to the half-width type (the inputs signed).
macro_rules! narrow {
    ($($name:ident: [$from:ty; $n:literal] => [$to:ty; $m:literal];)*) => {$(
        #[doc = concat!("`", stringify!($name), "`")]
        #[inline(always)]
        pub(crate) fn $name(x: u128, y: u128) -> u128 {
            let (a, b) = (<[$from; $n]>::of(x), <[$from; $n]>::of(y));
            let sat = |v: $from| v.clamp(<$to>::MIN as $from, <$to>::MAX as $from) as $to;
            std::array::from_fn::<$to, $m, _>(|i| sat(if i < $n { a[i] } else { b[i - $n] }))
                .bits()
        }
    )*};
}

narrow! {
    i8x16_narrow_i16x8_s: [i16; 8] => [i8; 16];
    i8x16_narrow_i16x8_u: [i16; 8] => [u8; 16];
    i16x8_narrow_i32x4_s: [i32; 4] => [i16; 8];
    i16x8_narrow_i32x4_u: [i32; 4] => [u16; 8];
}

/// `extend_low/high`: half of the lanes, widened.
macro_rules! extend {
    ($($name:ident: [$from:ty; $n:literal] => [$to:ty; $m:literal], $first:expr;)*) => {$(
        #[doc = concat!("`", stringify!($name), "`")]
        #[inline(always)]
        pub(crate) fn $name(x: u128) -> u128 {
            let a = <[$from; $n]>::of(x);
            std::array::from_fn::<$to, $m, _>(|i| <$to>::from(a[$first + i])).bits()
        }
    )*};
}

extend! {
    i16x8_extend_low_i8x16_s: [i8; 16] => [i16; 8], 0;
    i16x8_extend_high_i8x16_s: [i8; 16] => [i16; 8], 8;
    i16x8_extend_low_i8x16_u: [u8; 16] => [u16; 8], 0;
    i16x8_extend_high_i8x16_u: [u8; 16] => [u16; 8], 8;
    i32x4_extend_low_i16x8_s: [i16; 8] => [i32; 4], 0;
    i32x4_extend_high_i16x8_s: [i16; 8] => [i32; 4], 4;
    i32x4_extend_low_i16x8_u: [u16; 8] => [u32; 4], 0;
    i32x4_extend_high_i16x8_u: [u16; 8] => [u32; 4], 4;
    i64x2_extend_low_i32x4_s: [i32; 4] => [i64; 2], 0;
    i64x2_extend_high_i32x4_s: [i32; 4] => [i64; 2], 2;
    i64x2_extend_low_i32x4_u: [u32; 4] => [u64; 2], 0;
    i64x2_extend_high_i32x4_u: [u32; 4] => [u64; 2], 2;
}

/// `extmul_low/high`: half of the lanes of both, widened and multiplied.
macro_rules! extmul {
    ($($name:ident: [$from:ty; $n:literal] => [$to:ty; $m:literal], $first:expr;)*) => {$(
        #[doc = concat!("`", stringify!($name), "`")]
        #[inline(always)]
        pub(crate) fn $name(x: u128, y: u128) -> u128 {
            let (a, b) = (<[$from; $n]>::of(x), <[$from; $n]>::of(y));
            std::array::from_fn::<$to, $m, _>(|i| {
                <$to>::from(a[$first + i]).wrapping_mul(<$to>::from(b[$first + i]))
            })
            .bits()
        }
    )*};
}

extmul! {
    i16x8_extmul_low_i8x16_s: [i8; 16] => [i16; 8], 0;
    i16x8_extmul_high_i8x16_s: [i8; 16] => [i16; 8], 8;
    i16x8_extmul_low_i8x16_u: [u8; 16] => [u16; 8], 0;
    i16x8_extmul_high_i8x16_u: [u8; 16] => [u16; 8], 8;
    i32x4_extmul_low_i16x8_s: [i16; 8] => [i32; 4], 0;
    i32x4_extmul_high_i16x8_s: [i16; 8] => [i32; 4], 4;
    i32x4_extmul_low_i16x8_u: [u16; 8] => [u32; 4], 0;
    i32x4_extmul_high_i16x8_u: [u16; 8] => [u32; 4], 4;
    i64x2_extmul_low_i32x4_s: [i32; 4] => [i64; 2], 0;
    i64x2_extmul_high_i32x4_s: [i32; 4] => [i64; 2], 2;
    i64x2_extmul_low_i32x4_u: [u32; 4] => [u64; 2], 0;
    i64x2_extmul_high_i32x4_u: [u32; 4] => [u64; 2], 2;
}

/// `extadd_pairwise`: adjacent lanes, widened and added.
macro_rules! extadd_pairwise {
    ($($(#[$attr:meta])* $name:ident: [$from:ty; $n:literal] => [$to:ty; $m:literal];)*) => {$(
        #[doc = concat!("`", stringify!($name), "`")]
        $(#[$attr])*
        #[inline(always)]
        pub(crate) fn $name(x: u128) -> u128 {
            let a = <[$from; $n]>::of(x);
            std::array::from_fn::<$to, $m, _>(|i| <$to>::from(a[2 * i]) + <$to>::from(a[2 * i + 1]))
                .bits()
        }
    )*};
}

extadd_pairwise! {
    i16x8_extadd_pairwise_i8x16_s: [i8; 16] => [i16; 8];
    #[cfg_attr(target_arch = "x86_64", allow(dead_code, reason = "x86-64 uses fast::i16x8_extadd_pairwise_i8x16_u"))]
    i16x8_extadd_pairwise_i8x16_u: [u8; 16] => [u16; 8];
    i32x4_extadd_pairwise_i16x8_s: [i16; 8] => [i32; 4];
    #[cfg_attr(target_arch = "x86_64", allow(dead_code, reason = "x86-64 uses fast::i32x4_extadd_pairwise_i16x8_u"))]
    i32x4_extadd_pairwise_i16x8_u: [u16; 8] => [u32; 4];
}

/// `i32x4.dot_i16x8_s`: products of adjacent signed lanes, summed (wrapping).
#[inline(always)]
pub(crate) fn i32x4_dot_i16x8_s(x: u128, y: u128) -> u128 {
    let (a, b) = (<[i16; 8]>::of(x), <[i16; 8]>::of(y));
    std::array::from_fn::<i32, 4, _>(|i| {
        (i32::from(a[2 * i]) * i32::from(b[2 * i]))
            .wrapping_add(i32::from(a[2 * i + 1]) * i32::from(b[2 * i + 1]))
    })
    .bits()
}

// ---- bitwise ----

/// `v128.bitselect(a, b, mask)`: `a`'s bits where `mask` is set, else `b`'s.
#[inline(always)]
pub(crate) fn bitselect(a: u128, b: u128, mask: u128) -> u128 {
    (a & mask) | (b & !mask)
}

// ---- floats ----

macro_rules! float_binary {
    ($($name:ident: [$t:ty; $n:literal], |$a:ident, $b:ident| $e:expr;)*) => {$(
        #[doc = concat!("`", stringify!($name), "`")]
        #[inline(always)]
        pub(crate) fn $name(x: u128, y: u128) -> u128 {
            zip::<$t, $n>(x, y, |$a, $b| $e)
        }
    )*};
}

float_binary! {
    f32x4_add: [f32; 4], |a, b| a + b;
    f32x4_sub: [f32; 4], |a, b| a - b;
    f32x4_mul: [f32; 4], |a, b| a * b;
    f32x4_div: [f32; 4], |a, b| a / b;
    f32x4_min: [f32; 4], |a, b| numeric::f32_lane_min(a, b);
    f32x4_max: [f32; 4], |a, b| numeric::f32_lane_max(a, b);
    f32x4_pmin: [f32; 4], |a, b| if b < a { b } else { a };
    f32x4_pmax: [f32; 4], |a, b| if a < b { b } else { a };
    f64x2_add: [f64; 2], |a, b| a + b;
    f64x2_sub: [f64; 2], |a, b| a - b;
    f64x2_mul: [f64; 2], |a, b| a * b;
    f64x2_div: [f64; 2], |a, b| a / b;
    f64x2_min: [f64; 2], |a, b| numeric::f64_lane_min(a, b);
    f64x2_max: [f64; 2], |a, b| numeric::f64_lane_max(a, b);
    f64x2_pmin: [f64; 2], |a, b| if b < a { b } else { a };
    f64x2_pmax: [f64; 2], |a, b| if a < b { b } else { a };
}

/// Float comparisons: all-ones lanes where the comparison holds (`ne` holds for NaN).
macro_rules! float_compare {
    ($($name:ident: [$f:ty; $n:literal] as $i:ty, |$a:ident, $b:ident| $e:expr;)*) => {$(
        #[doc = concat!("`", stringify!($name), "`")]
        #[inline(always)]
        pub(crate) fn $name(x: u128, y: u128) -> u128 {
            let (a, b) = (<[$f; $n]>::of(x), <[$f; $n]>::of(y));
            std::array::from_fn::<$i, $n, _>(|i| {
                let ($a, $b) = (a[i], b[i]);
                mask!($e, $i)
            })
            .bits()
        }
    )*};
}

float_compare! {
    f32x4_eq: [f32; 4] as u32, |a, b| a == b;
    f32x4_ne: [f32; 4] as u32, |a, b| a != b;
    f32x4_lt: [f32; 4] as u32, |a, b| a < b;
    f32x4_gt: [f32; 4] as u32, |a, b| a > b;
    f32x4_le: [f32; 4] as u32, |a, b| a <= b;
    f32x4_ge: [f32; 4] as u32, |a, b| a >= b;
    f64x2_eq: [f64; 2] as u64, |a, b| a == b;
    f64x2_ne: [f64; 2] as u64, |a, b| a != b;
    f64x2_lt: [f64; 2] as u64, |a, b| a < b;
    f64x2_gt: [f64; 2] as u64, |a, b| a > b;
    f64x2_le: [f64; 2] as u64, |a, b| a <= b;
    f64x2_ge: [f64; 2] as u64, |a, b| a >= b;
}

/// A lane-wise float operation.
macro_rules! float_unary {
    ($($name:ident: [$t:ty; $n:literal], |$a:ident| $e:expr;)*) => {$(
        #[doc = concat!("`", stringify!($name), "`")]
        #[inline(always)]
        pub(crate) fn $name(x: u128) -> u128 {
            map::<$t, $n>(x, |$a| $e)
        }
    )*};
}

float_unary! {
    f32x4_ceil: [f32; 4], |a| numeric::f32_ceil(a);
    f32x4_floor: [f32; 4], |a| numeric::f32_floor(a);
    f32x4_trunc: [f32; 4], |a| numeric::f32_trunc(a);
    f32x4_nearest: [f32; 4], |a| numeric::f32_nearest(a);
    f32x4_sqrt: [f32; 4], |a| a.sqrt();
    f64x2_ceil: [f64; 2], |a| numeric::f64_ceil(a);
    f64x2_floor: [f64; 2], |a| numeric::f64_floor(a);
    f64x2_trunc: [f64; 2], |a| numeric::f64_trunc(a);
    f64x2_nearest: [f64; 2], |a| numeric::f64_nearest(a);
    f64x2_sqrt: [f64; 2], |a| a.sqrt();
}

/// `f32x4.abs`: the sign bits cleared.
#[inline(always)]
pub(crate) fn f32x4_abs(x: u128) -> u128 {
    x & 0x7fff_ffff_7fff_ffff_7fff_ffff_7fff_ffff
}

/// `f32x4.neg`: the sign bits flipped.
#[inline(always)]
pub(crate) fn f32x4_neg(x: u128) -> u128 {
    x ^ 0x8000_0000_8000_0000_8000_0000_8000_0000
}

/// `f64x2.abs`: the sign bits cleared.
#[inline(always)]
pub(crate) fn f64x2_abs(x: u128) -> u128 {
    x & 0x7fff_ffff_ffff_ffff_7fff_ffff_ffff_ffff
}

/// `f64x2.neg`: the sign bits flipped.
#[inline(always)]
pub(crate) fn f64x2_neg(x: u128) -> u128 {
    x ^ 0x8000_0000_0000_0000_8000_0000_0000_0000
}

// ---- conversions ----

/// `i32x4.trunc_sat_f32x4_s` (Rust's `as` saturates, NaN → 0, exactly as wasm).
#[inline(always)]
pub(crate) fn i32x4_trunc_sat_f32x4_s(x: u128) -> u128 {
    let a = <[f32; 4]>::of(x);
    std::array::from_fn::<i32, 4, _>(|i| a[i] as i32).bits()
}

/// `i32x4.trunc_sat_f32x4_u`.
#[inline(always)]
pub(crate) fn i32x4_trunc_sat_f32x4_u(x: u128) -> u128 {
    let a = <[f32; 4]>::of(x);
    std::array::from_fn::<u32, 4, _>(|i| a[i] as u32).bits()
}

/// `i32x4.trunc_sat_f64x2_s_zero`: two lanes, the upper two zero.
#[inline(always)]
pub(crate) fn i32x4_trunc_sat_f64x2_s_zero(x: u128) -> u128 {
    let a = <[f64; 2]>::of(x);
    [a[0] as i32, a[1] as i32, 0, 0].bits()
}

/// `i32x4.trunc_sat_f64x2_u_zero`.
#[inline(always)]
pub(crate) fn i32x4_trunc_sat_f64x2_u_zero(x: u128) -> u128 {
    let a = <[f64; 2]>::of(x);
    [a[0] as u32, a[1] as u32, 0, 0].bits()
}

/// `f32x4.convert_i32x4_s`.
#[inline(always)]
pub(crate) fn f32x4_convert_i32x4_s(x: u128) -> u128 {
    let a = <[i32; 4]>::of(x);
    std::array::from_fn::<f32, 4, _>(|i| a[i] as f32).bits()
}

/// `f32x4.convert_i32x4_u`.
#[inline(always)]
pub(crate) fn f32x4_convert_i32x4_u(x: u128) -> u128 {
    let a = <[u32; 4]>::of(x);
    std::array::from_fn::<f32, 4, _>(|i| a[i] as f32).bits()
}

/// `f64x2.convert_low_i32x4_s`.
#[inline(always)]
pub(crate) fn f64x2_convert_low_i32x4_s(x: u128) -> u128 {
    let a = <[i32; 4]>::of(x);
    [f64::from(a[0]), f64::from(a[1])].bits()
}

/// `f64x2.convert_low_i32x4_u`.
#[inline(always)]
pub(crate) fn f64x2_convert_low_i32x4_u(x: u128) -> u128 {
    let a = <[u32; 4]>::of(x);
    [f64::from(a[0]), f64::from(a[1])].bits()
}

/// `f32x4.demote_f64x2_zero`.
#[inline(always)]
pub(crate) fn f32x4_demote_f64x2_zero(x: u128) -> u128 {
    let a = <[f64; 2]>::of(x);
    [a[0] as f32, a[1] as f32, 0.0, 0.0].bits()
}

/// `f64x2.promote_low_f32x4`.
#[inline(always)]
pub(crate) fn f64x2_promote_low_f32x4(x: u128) -> u128 {
    let a = <[f32; 4]>::of(x);
    [f64::from(a[0]), f64::from(a[1])].bits()
}

// ---- lanes, splats, shuffles ----

/// `i8x16.swizzle`: lanes of `x` chosen by the bytes of `indices` (0 for an index ≥ 16).
#[inline(always)]
pub(crate) fn i8x16_swizzle(x: u128, indices: u128) -> u128 {
    let (a, s) = (<[u8; 16]>::of(x), <[u8; 16]>::of(indices));
    std::array::from_fn::<u8, 16, _>(|i| a.get(usize::from(s[i])).copied().unwrap_or(0)).bits()
}

/// `i8x16.shuffle`: lanes of the concatenation `x ++ y` chosen by `lanes` (each < 32).
#[inline(always)]
pub(crate) fn shuffle(x: u128, y: u128, lanes: u128) -> u128 {
    let (a, b, s) = (<[u8; 16]>::of(x), <[u8; 16]>::of(y), <[u8; 16]>::of(lanes));
    std::array::from_fn::<u8, 16, _>(|i| {
        let l = usize::from(s[i] & 31);
        if l < 16 { a[l] } else { b[l - 16] }
    })
    .bits()
}

/// `i8x16.splat`.
#[inline(always)]
pub(crate) fn i8x16_splat(v: u64) -> u128 {
    u128::from(v as u8) * 0x0101_0101_0101_0101_0101_0101_0101_0101
}

/// `i16x8.splat`.
#[inline(always)]
pub(crate) fn i16x8_splat(v: u64) -> u128 {
    u128::from(v as u16) * 0x0001_0001_0001_0001_0001_0001_0001_0001
}

/// `i32x4.splat` (also `f32x4.splat`, on bits). (x86-64 builds splat in an SSE register
/// instead: `crate::exec::store_splat32`.)
#[cfg_attr(
    target_arch = "x86_64",
    allow(dead_code, reason = "x86-64 uses store_splat32 (tests still use this)")
)]
#[inline(always)]
pub(crate) fn i32x4_splat(v: u64) -> u128 {
    u128::from(v as u32) * 0x0000_0001_0000_0001_0000_0001_0000_0001
}

/// `i64x2.splat` (also `f64x2.splat`, on bits).
#[inline(always)]
pub(crate) fn i64x2_splat(v: u64) -> u128 {
    u128::from(v) * 0x0000_0000_0000_0001_0000_0000_0000_0001
}

/// Lane `lane` of `x` viewed as `bits`-wide lanes, zero-extended.
#[inline(always)]
pub(crate) fn extract(x: u128, bits: u32, lane: u32) -> u64 {
    let mask = if bits == 64 {
        u64::MAX
    } else {
        (1 << bits) - 1
    };
    (x >> (bits * lane)) as u64 & mask
}

/// `x` with lane `lane` (of `bits`-wide lanes) replaced by the low bits of `value`.
#[inline(always)]
pub(crate) fn replace(x: u128, bits: u32, lane: u32, value: u64) -> u128 {
    let mask = if bits == 64 {
        u64::MAX
    } else {
        (1 << bits) - 1
    };
    let shift = bits * lane;
    (x & !(u128::from(mask) << shift)) | (u128::from(value & mask) << shift)
}

// ---- relaxed SIMD (the deterministic lowering of the module docs) ----

/// `f32x4.relaxed_madd`: `a * b + c`, rounded twice.
#[inline(always)]
pub(crate) fn f32x4_relaxed_madd(a: u128, b: u128, c: u128) -> u128 {
    let (p, c) = (<[f32; 4]>::of(f32x4_mul(a, b)), <[f32; 4]>::of(c));
    std::array::from_fn::<f32, 4, _>(|i| add_nan_first(p[i], c[i])).bits()
}

/// `f32x4.relaxed_nmadd`: `-(a * b) + c`, rounded twice: the product's sign bits flipped,
/// then `c` added, a NaN operand of the addition giving the first one quieted. That NaN rule
/// (x86's, which the machine-code tiers get from `addps`) is written out: LLVM may fold the
/// negation into a subtraction or swap the addition's operands, which changes the NaN a
/// plain `+` returns, and it did so differently in the two dispatch backends.
#[inline(always)]
pub(crate) fn f32x4_relaxed_nmadd(a: u128, b: u128, c: u128) -> u128 {
    let (p, c) = (<[f32; 4]>::of(f32x4_mul(a, b)), <[f32; 4]>::of(c));
    std::array::from_fn::<f32, 4, _>(|i| add_nan_first(-p[i], c[i])).bits()
}

/// `f64x2.relaxed_madd`: `a * b + c`, rounded twice.
#[inline(always)]
pub(crate) fn f64x2_relaxed_madd(a: u128, b: u128, c: u128) -> u128 {
    let (p, c) = (<[f64; 2]>::of(f64x2_mul(a, b)), <[f64; 2]>::of(c));
    std::array::from_fn::<f64, 2, _>(|i| add_nan_first(p[i], c[i])).bits()
}

/// `f64x2.relaxed_nmadd`: `-(a * b) + c`, rounded twice, with the NaN rule of
/// [`f32x4_relaxed_nmadd`].
#[inline(always)]
pub(crate) fn f64x2_relaxed_nmadd(a: u128, b: u128, c: u128) -> u128 {
    let (p, c) = (<[f64; 2]>::of(f64x2_mul(a, b)), <[f64; 2]>::of(c));
    std::array::from_fn::<f64, 2, _>(|i| add_nan_first(-p[i], c[i])).bits()
}

/// `x + y` with x86's NaN rule spelled out (a NaN operand comes back quieted, the first if
/// both are NaNs), for sums the compiler could otherwise rewrite into a form that picks the
/// other NaN: `-(a * b) + c` as `c - a * b`.
#[inline(always)]
fn add_nan_first<F: Float>(x: F, y: F) -> F {
    if x.is_nan() {
        x.quieted()
    } else if y.is_nan() {
        y.quieted()
    } else {
        x + y
    }
}

/// What [`add_nan_first`] needs of a float type.
trait Float: Copy + std::ops::Add<Output = Self> {
    fn is_nan(self) -> bool;
    fn quieted(self) -> Self;
}

impl Float for f32 {
    fn is_nan(self) -> bool {
        f32::is_nan(self)
    }
    fn quieted(self) -> f32 {
        f32::from_bits(self.to_bits() | 0x0040_0000)
    }
}

impl Float for f64 {
    fn is_nan(self) -> bool {
        f64::is_nan(self)
    }
    fn quieted(self) -> f64 {
        f64::from_bits(self.to_bits() | 0x0008_0000_0000_0000)
    }
}

/// `i16x8.relaxed_dot_i8x16_i7x16_s`: adjacent signed byte products, summed in `i16`.
#[inline(always)]
pub(crate) fn i16x8_relaxed_dot_i8x16_i7x16_s(x: u128, y: u128) -> u128 {
    let (a, b) = (<[i8; 16]>::of(x), <[i8; 16]>::of(y));
    std::array::from_fn::<i16, 8, _>(|i| {
        (i16::from(a[2 * i]) * i16::from(b[2 * i]))
            .wrapping_add(i16::from(a[2 * i + 1]) * i16::from(b[2 * i + 1]))
    })
    .bits()
}

/// `i32x4.relaxed_dot_i8x16_i7x16_add_s`: four signed byte products per lane, plus `c`.
#[inline(always)]
pub(crate) fn i32x4_relaxed_dot_i8x16_i7x16_add_s(x: u128, y: u128, c: u128) -> u128 {
    let (a, b, c) = (<[i8; 16]>::of(x), <[i8; 16]>::of(y), <[i32; 4]>::of(c));
    std::array::from_fn::<i32, 4, _>(|i| {
        (0..4).fold(c[i], |sum, k| {
            sum.wrapping_add(i32::from(a[4 * i + k]) * i32::from(b[4 * i + k]))
        })
    })
    .bits()
}

/// Integer operations that LLVM does not turn into SSE instructions from their portable
/// definitions above (it computes them lane by lane in general-purpose registers, and stores
/// the result as two 8-byte halves that the next 16-byte load cannot be forwarded from): on
/// x86-64 they use the SSE2 instruction for the operation, elsewhere the portable definition.
/// Both compute the same lanes (`tests::fast_agrees_with_portable`).
pub(crate) mod fast {
    #[cfg(target_arch = "x86_64")]
    use std::arch::x86_64::*;

    /// Defines `$name(x, y)` as SSE2 `$sse(x, y)` on x86-64, else as the portable `$name`.
    macro_rules! binary {
        ($($name:ident => $sse:ident;)*) => {$(
            #[doc = concat!("`", stringify!($name), "`")]
            #[inline(always)]
            pub(crate) fn $name(x: u128, y: u128) -> u128 {
                #[cfg(target_arch = "x86_64")]
                // SAFETY: SSE2 is part of x86-64; `u128` and `__m128i` are 16 plain bytes.
                unsafe {
                    std::mem::transmute::<__m128i, u128>($sse(
                        std::mem::transmute::<u128, __m128i>(x),
                        std::mem::transmute::<u128, __m128i>(y),
                    ))
                }
                #[cfg(not(target_arch = "x86_64"))]
                super::$name(x, y)
            }
        )*};
    }

    binary! {
        i8x16_add => _mm_add_epi8;
        i8x16_sub => _mm_sub_epi8;
        i8x16_add_sat_u => _mm_adds_epu8;
        i8x16_sub_sat_u => _mm_subs_epu8;
        i8x16_eq => _mm_cmpeq_epi8;
        i8x16_gt_s => _mm_cmpgt_epi8;
        i16x8_add => _mm_add_epi16;
        i32x4_add => _mm_add_epi32;
    }

    /// Defines `$name(x, count)`, a shift by `count` modulo `$bits`, as SSE2 `$sse` on
    /// x86-64, else as the portable `$name`.
    macro_rules! shift {
        ($($name:ident => $sse:ident, $bits:literal;)*) => {$(
            #[doc = concat!("`", stringify!($name), "` (count modulo the lane width)")]
            #[inline(always)]
            pub(crate) fn $name(x: u128, count: u32) -> u128 {
                #[cfg(target_arch = "x86_64")]
                // SAFETY: as in `binary!`.
                unsafe {
                    let count = _mm_cvtsi32_si128((count % $bits) as i32);
                    std::mem::transmute::<__m128i, u128>($sse(
                        std::mem::transmute::<u128, __m128i>(x),
                        count,
                    ))
                }
                #[cfg(not(target_arch = "x86_64"))]
                super::$name(x, count)
            }
        )*};
    }

    shift! {
        i16x8_shl => _mm_sll_epi16, 16;
        i16x8_shr_u => _mm_srl_epi16, 16;
    }

    /// `i16x8.extadd_pairwise_i8x16_u`: each 16-bit lane's low byte plus its high byte.
    #[inline(always)]
    pub(crate) fn i16x8_extadd_pairwise_i8x16_u(x: u128) -> u128 {
        #[cfg(target_arch = "x86_64")]
        // SAFETY: as in `binary!`.
        unsafe {
            let v = std::mem::transmute::<u128, __m128i>(x);
            let low = _mm_and_si128(v, _mm_set1_epi16(0xff));
            std::mem::transmute::<__m128i, u128>(_mm_add_epi16(low, _mm_srli_epi16(v, 8)))
        }
        #[cfg(not(target_arch = "x86_64"))]
        super::i16x8_extadd_pairwise_i8x16_u(x)
    }

    /// `i32x4.extadd_pairwise_i16x8_u`: each 32-bit lane's low half plus its high half.
    #[inline(always)]
    pub(crate) fn i32x4_extadd_pairwise_i16x8_u(x: u128) -> u128 {
        #[cfg(target_arch = "x86_64")]
        // SAFETY: as in `binary!`.
        unsafe {
            let v = std::mem::transmute::<u128, __m128i>(x);
            let low = _mm_and_si128(v, _mm_set1_epi32(0xffff));
            std::mem::transmute::<__m128i, u128>(_mm_add_epi32(low, _mm_srli_epi32(v, 16)))
        }
        #[cfg(not(target_arch = "x86_64"))]
        super::i32x4_extadd_pairwise_i16x8_u(x)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The `fast` operations compute what their portable definitions do.
    #[test]
    fn fast_agrees_with_portable() {
        let mut seed = 0x9E37_79B9_7F4A_7C15u64;
        let mut next = || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        };
        let mut value = || {
            let v = u128::from(next()) | (u128::from(next()) << 64);
            // Some lanes at the edges (0, 0x7f.., 0x80.., 0xff..).
            match next() % 4 {
                0 => v & 0x00ff_7f80_ff00_807f_0001_fffe_8000_7fff,
                1 => v | 0x8080_8080_0000_0000_ffff_0000_7f7f_0101,
                _ => v,
            }
        };
        for _ in 0..2000 {
            let (x, y) = (value(), value());
            assert_eq!(fast::i8x16_add(x, y), i8x16_add(x, y));
            assert_eq!(fast::i8x16_sub(x, y), i8x16_sub(x, y));
            assert_eq!(fast::i8x16_add_sat_u(x, y), i8x16_add_sat_u(x, y));
            assert_eq!(fast::i8x16_sub_sat_u(x, y), i8x16_sub_sat_u(x, y));
            assert_eq!(fast::i8x16_eq(x, y), i8x16_eq(x, y));
            assert_eq!(fast::i8x16_eq(x, x), i8x16_eq(x, x));
            assert_eq!(fast::i8x16_gt_s(x, y), i8x16_gt_s(x, y));
            assert_eq!(fast::i16x8_add(x, y), i16x8_add(x, y));
            assert_eq!(fast::i32x4_add(x, y), i32x4_add(x, y));
            let count = (y as u32) % 40;
            assert_eq!(fast::i16x8_shl(x, count), i16x8_shl(x, count));
            assert_eq!(fast::i16x8_shr_u(x, count), i16x8_shr_u(x, count));
            assert_eq!(
                fast::i16x8_extadd_pairwise_i8x16_u(x),
                i16x8_extadd_pairwise_i8x16_u(x)
            );
            assert_eq!(
                fast::i32x4_extadd_pairwise_i16x8_u(x),
                i32x4_extadd_pairwise_i16x8_u(x)
            );
        }
    }

    fn i32x4(l: [i32; 4]) -> u128 {
        l.bits()
    }

    #[test]
    fn lanes_are_little_endian() {
        let v = i32x4([1, 2, 3, 4]);
        assert_eq!(v & 0xffff_ffff, 1);
        assert_eq!(extract(v, 32, 3), 4);
        assert_eq!(replace(v, 32, 1, 9), i32x4([1, 9, 3, 4]));
        assert_eq!(i32x4_splat(7), i32x4([7; 4]));
    }

    #[test]
    fn saturation_shifts_and_masks() {
        let v = <[i8; 16]>::bits([100; 16]);
        assert_eq!(<[i8; 16]>::of(i8x16_add_sat_s(v, v)), [127; 16]);
        assert_eq!(<[i8; 16]>::of(i8x16_shl(v, 9)), [100i8.wrapping_shl(1); 16]);
        assert_eq!(i32x4_bitmask(i32x4([-1, 0, -5, 3])), 0b0101);
        assert_eq!(
            <[i8; 16]>::of(i8x16_narrow_i16x8_s(<[i16; 8]>::bits([300; 8]), 0))[0],
            127
        );
        assert_eq!(
            <[i16; 8]>::of(i16x8_q15mulr_sat_s(
                <[i16; 8]>::bits([i16::MIN; 8]),
                <[i16; 8]>::bits([i16::MIN; 8])
            ))[0],
            i16::MAX
        );
    }

    #[test]
    fn swizzle_and_shuffle_pick_bytes() {
        let v = <[u8; 16]>::bits(std::array::from_fn(|i| i as u8 * 10));
        let idx = <[u8; 16]>::bits(std::array::from_fn(
            |i| if i == 0 { 200 } else { 15 - i as u8 },
        ));
        let s = <[u8; 16]>::of(i8x16_swizzle(v, idx));
        assert_eq!((s[0], s[1], s[15]), (0, 140, 0));
        let lanes = <[u8; 16]>::bits(std::array::from_fn(|i| 31 - i as u8));
        assert_eq!(<[u8; 16]>::of(shuffle(0, v, lanes))[0], 150);
    }
}
