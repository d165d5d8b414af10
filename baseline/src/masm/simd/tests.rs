//! The SSE sequences that are more than one instruction, run: each test assembles a masm
//! operation into a function `fn(vmctx, fp)`, maps it executable, runs it on a frame and
//! compares the result lanes with a lane-wise reference of wasm's semantics (as
//! `interp/src/simd.rs` defines them), on edge values of every kind. The `i64x2` compares
//! run with and without SSE4.2.

use tierup_abi::numeric;

use super::*;
use crate::CpuFeatures;

const SSE41: CpuFeatures = CpuFeatures { sse42: false };
const SSE42: CpuFeatures = CpuFeatures { sse42: true };

/// Frame slots of the operands and the result (each `v128` takes two).
const A: u32 = 0;
const B: u32 = 2;
const C: u32 = 4;
const OUT: u32 = 6;
/// A scalar operand (shift count, splatted value).
const SCALAR: u32 = 8;

/// Machine code mapped executable for the duration of a test.
struct Executable {
    base: *mut libc::c_void,
    len: usize,
}

impl Executable {
    fn new(code: &[u8]) -> Executable {
        let len = code.len().next_multiple_of(4096);
        // SAFETY: a fresh private anonymous mapping; nothing else refers to it.
        let base = unsafe {
            libc::mmap(
                std::ptr::null_mut(),
                len,
                libc::PROT_READ | libc::PROT_WRITE,
                libc::MAP_PRIVATE | libc::MAP_ANONYMOUS,
                -1,
                0,
            )
        };
        assert_ne!(base, libc::MAP_FAILED, "mmap");
        // SAFETY: the mapping is `len >= code.len()` bytes, writable, and not executed yet.
        unsafe {
            std::ptr::copy_nonoverlapping(code.as_ptr(), base.cast::<u8>(), code.len());
            assert_eq!(
                libc::mprotect(base, len, libc::PROT_READ | libc::PROT_EXEC),
                0
            );
        }
        Executable { base, len }
    }

    /// Calls the code as `fn(vmctx, fp)` with `frame` as the frame.
    fn call(&self, frame: &mut [u64; 10]) {
        // SAFETY: the code is a complete function of the tier ABI (prologue, the operation,
        // epilogue) that touches only the frame's slots, its own constant pool, and
        // caller-saved registers besides the ones it saves; it never reads the vmctx.
        unsafe {
            let f: unsafe extern "sysv64" fn(*mut u8, *mut u64) = std::mem::transmute(self.base);
            f(std::ptr::null_mut(), frame.as_mut_ptr());
        }
    }
}

impl Drop for Executable {
    fn drop(&mut self) {
        // SAFETY: unmaps exactly the mapping made in `new`, no longer executed.
        unsafe { libc::munmap(self.base, self.len) };
    }
}

/// Runs the operations `emit` on a frame holding `a`, `b`, `c` and `scalar`; returns the
/// frame afterwards.
fn run(
    cpu: CpuFeatures,
    [a, b, c]: [u128; 3],
    scalar: u64,
    emit: impl FnOnce(&mut Masm),
) -> [u64; 10] {
    let mut m = Masm::new(cpu);
    m.enter_frame();
    emit(&mut m);
    m.leave_frame_and_return();
    let (code, _, _) = m.finish().expect("assembles");
    let mut frame = [0u64; 10];
    for (slot, v) in [(A, a), (B, b), (C, c)] {
        frame[slot as usize] = v as u64;
        frame[slot as usize + 1] = (v >> 64) as u64;
    }
    frame[SCALAR as usize] = scalar;
    Executable::new(&code).call(&mut frame);
    frame
}

/// The `v128` result in slots `OUT`, `OUT + 1`.
fn result(frame: &[u64; 10]) -> u128 {
    u128::from(frame[OUT as usize]) | u128::from(frame[OUT as usize + 1]) << 64
}

fn binary(cpu: CpuFeatures, op: V128Binary, a: u128, b: u128) -> u128 {
    result(&run(cpu, [a, b, 0], 0, |m| m.v128_binary(op, OUT, A, B)))
}

fn unary(op: V128Unary, a: u128) -> u128 {
    result(&run(SSE41, [a, 0, 0], 0, |m| m.v128_unary(op, OUT, A)))
}

fn ternary(op: V128Ternary, a: u128, b: u128, c: u128) -> u128 {
    result(&run(SSE41, [a, b, c], 0, |m| {
        m.v128_ternary(op, OUT, A, B, C)
    }))
}

fn shift(op: V128Shift, a: u128, count: u32) -> u128 {
    result(&run(SSE41, [a, 0, 0], u64::from(count), |m| {
        m.v128_shift(op, OUT, A, SCALAR)
    }))
}

fn reduce(op: V128Reduce, a: u128) -> u64 {
    run(SSE41, [a, 0, 0], 0, |m| m.v128_reduce(op, OUT, A))[OUT as usize]
}

// Lane views (lane 0 in the low bits).
fn i8s(v: u128) -> [i8; 16] {
    v.to_le_bytes().map(|b| b as i8)
}
fn from_i8s(l: [i8; 16]) -> u128 {
    u128::from_le_bytes(l.map(|x| x as u8))
}
fn i16s(v: u128) -> [i16; 8] {
    std::array::from_fn(|i| (v >> (16 * i)) as i16)
}
fn from_i16s(l: [i16; 8]) -> u128 {
    l.iter()
        .enumerate()
        .fold(0, |v, (i, &x)| v | u128::from(x as u16) << (16 * i))
}
fn u32s(v: u128) -> [u32; 4] {
    std::array::from_fn(|i| (v >> (32 * i)) as u32)
}
fn from_u32s(l: [u32; 4]) -> u128 {
    l.iter()
        .enumerate()
        .fold(0, |v, (i, &x)| v | u128::from(x) << (32 * i))
}
fn u64s(v: u128) -> [u64; 2] {
    [v as u64, (v >> 64) as u64]
}
fn from_u64s(l: [u64; 2]) -> u128 {
    u128::from(l[0]) | u128::from(l[1]) << 64
}

/// Every pair of `values`, `lanes` at a time: the operand pairs of a test.
fn pairs<T: Copy>(values: &[T]) -> impl Iterator<Item = (T, T)> + '_ {
    values
        .iter()
        .flat_map(move |&x| values.iter().map(move |&y| (x, y)))
}

const I64_EDGES: [i64; 10] = [
    0,
    1,
    -1,
    i64::MIN,
    i64::MAX,
    0x1_0000_0000,
    0xffff_ffff,
    -0x1_0000_0000,
    0x7fff_ffff,
    -0x8000_0001,
];

#[test]
fn i64x2_signed_compares_with_and_without_sse42() {
    type Cmp = fn(i64, i64) -> bool;
    let ops: [(V128Binary, Cmp); 4] = [
        (V128Binary::I64x2GtS, |x, y| x > y),
        (V128Binary::I64x2LtS, |x, y| x < y),
        (V128Binary::I64x2LeS, |x, y| x <= y),
        (V128Binary::I64x2GeS, |x, y| x >= y),
    ];
    for cpu in [SSE41, SSE42] {
        for (op, holds) in ops {
            for (x, y) in pairs(&I64_EDGES) {
                let a = from_u64s([x as u64, y as u64]);
                let b = from_u64s([y as u64, x as u64]);
                let mask = |t: bool| if t { u64::MAX } else { 0 };
                let want = from_u64s([mask(holds(x, y)), mask(holds(y, x))]);
                assert_eq!(binary(cpu, op, a, b), want, "{op:?} {x} {y} {cpu:?}");
            }
        }
    }
}

#[test]
fn i64x2_mul_abs_and_arithmetic_shift() {
    for (x, y) in pairs(&I64_EDGES) {
        let a = from_u64s([x as u64, y as u64]);
        let b = from_u64s([y as u64, x.wrapping_add(3) as u64]);
        let want = from_u64s([
            x.wrapping_mul(y) as u64,
            y.wrapping_mul(x.wrapping_add(3)) as u64,
        ]);
        assert_eq!(binary(SSE41, V128Binary::I64x2Mul, a, b), want, "{x} * {y}");
    }
    for x in I64_EDGES {
        let a = from_u64s([x as u64, x.wrapping_neg() as u64]);
        let want = from_u64s([
            x.wrapping_abs() as u64,
            x.wrapping_neg().wrapping_abs() as u64,
        ]);
        assert_eq!(unary(V128Unary::I64x2Abs, a), want, "abs {x}");
        for count in [0, 1, 31, 32, 33, 63, 64, 65, 200] {
            let want = from_u64s([
                (x >> (count % 64)) as u64,
                (x.wrapping_neg() >> (count % 64)) as u64,
            ]);
            assert_eq!(
                shift(V128Shift::I64x2ShrS, a, count),
                want,
                "{x} >> {count}"
            );
        }
    }
}

#[test]
fn byte_shifts_for_every_count() {
    let a = from_i8s(std::array::from_fn(|i| {
        [0, 1, -1, 127, -128, 0x55, -0x56, 64][i % 8] ^ i as i8
    }));
    for count in (0..=17).chain([31, 255, u32::MAX]) {
        let s = count % 8;
        let l = i8s(a);
        let shl = from_i8s(l.map(|x| x.wrapping_shl(s)));
        let shr_s = from_i8s(l.map(|x| x >> s));
        let shr_u = from_i8s(l.map(|x| ((x as u8) >> s) as i8));
        assert_eq!(shift(V128Shift::I8x16Shl, a, count), shl, "shl {count}");
        assert_eq!(
            shift(V128Shift::I8x16ShrS, a, count),
            shr_s,
            "shr_s {count}"
        );
        assert_eq!(
            shift(V128Shift::I8x16ShrU, a, count),
            shr_u,
            "shr_u {count}"
        );
        let w = i16s(a);
        let s16 = count % 16;
        assert_eq!(
            shift(V128Shift::I16x8ShrS, a, count),
            from_i16s(w.map(|x| x >> s16)),
            "i16 shr_s {count}"
        );
    }
}

/// `f32` edge values: zeros, infinities, NaNs with payloads and signs, the bounds of the
/// integer conversions, fractions.
const F32_EDGES: [u32; 16] = [
    0x0000_0000,
    0x8000_0000,
    0x7f80_0000,
    0xff80_0000,
    0x7fc0_0000,
    0xffc0_0001,
    0x7fa0_0001,
    0x3f80_0000,
    0xbf80_0000,
    0x4f00_0000, // 2^31
    0x4eff_ffff, // the largest f32 below 2^31
    0x4f80_0000, // 2^32
    0x4f7f_ffff, // the largest f32 below 2^32
    0xcf00_0000, // -2^31
    0xcf00_0001,
    0xbf7f_ffff, // -0.99999994
];

#[test]
fn float_min_max_follow_wasm_bit_for_bit() {
    // min/max: the lane rule of `numeric` (NaN lanes canonical); pmin/pmax pick an operand
    // (a NaN comes out as it is).
    let reference = |op: V128Binary, a: f32, b: f32| -> u32 {
        match op {
            V128Binary::F32x4PMin => if b < a { b } else { a }.to_bits(),
            V128Binary::F32x4PMax => if a < b { b } else { a }.to_bits(),
            V128Binary::F32x4Min => numeric::f32_lane_min(a, b).to_bits(),
            _ => numeric::f32_lane_max(a, b).to_bits(),
        }
    };
    let ops = [
        V128Binary::F32x4Min,
        V128Binary::F32x4Max,
        V128Binary::F32x4PMin,
        V128Binary::F32x4PMax,
    ];
    for op in ops {
        for (x, y) in pairs(&F32_EDGES) {
            let a = from_u32s([x, y, x, 0]);
            let b = from_u32s([y, x, x, 0x8000_0000]);
            let got = u32s(binary(SSE41, op, a, b));
            for (lane, (p, q)) in u32s(a).into_iter().zip(u32s(b)).enumerate() {
                let want = reference(op, f32::from_bits(p), f32::from_bits(q));
                assert_eq!(got[lane], want, "{op:?} {p:#x} {q:#x}");
            }
        }
    }
    let f64_edges = [
        0.0f64,
        -0.0,
        1.0,
        -1.0,
        f64::INFINITY,
        f64::NAN,
        -f64::NAN,
        f64::from_bits(0x7ff0_0000_0000_0001),
    ];
    for (x, y) in pairs(&f64_edges) {
        let (a, b) = (
            from_u64s([x.to_bits(), y.to_bits()]),
            from_u64s([y.to_bits(), x.to_bits()]),
        );
        for (op, f) in [
            (
                V128Binary::F64x2Min,
                numeric::f64_lane_min as fn(f64, f64) -> f64,
            ),
            (V128Binary::F64x2Max, numeric::f64_lane_max),
        ] {
            let got = u64s(binary(SSE41, op, a, b));
            for (lane, (p, q)) in [(x, y), (y, x)].into_iter().enumerate() {
                let want = f(p, q).to_bits();
                assert_eq!(got[lane], want, "{op:?} {p} {q}");
            }
        }
    }
}

#[test]
fn saturating_truncations_and_unsigned_conversions() {
    for chunk in F32_EDGES.chunks(4) {
        let a = from_u32s(chunk.try_into().unwrap());
        let f = chunk.iter().map(|&x| f32::from_bits(x));
        let signed: Vec<u32> = f.clone().map(|x| x as i32 as u32).collect();
        let unsigned: Vec<u32> = f.map(|x| x as u32).collect();
        assert_eq!(
            unary(V128Unary::I32x4TruncSatF32x4S, a),
            from_u32s(signed.try_into().unwrap())
        );
        assert_eq!(
            unary(V128Unary::I32x4TruncSatF32x4U, a),
            from_u32s(unsigned.try_into().unwrap())
        );
    }
    let f64_edges = [
        0.0f64,
        -0.0,
        0.5,
        -0.999,
        f64::NAN,
        f64::INFINITY,
        f64::NEG_INFINITY,
        2147483647.9,
        2147483648.0,
        -2147483648.9,
        -2147483649.0,
        4294967295.9,
        4294967296.0,
        1e300,
        -1.5,
        3.7,
    ];
    for pair in f64_edges.chunks(2) {
        let a = from_u64s([pair[0].to_bits(), pair[1].to_bits()]);
        let s = from_u32s([pair[0] as i32 as u32, pair[1] as i32 as u32, 0, 0]);
        let u = from_u32s([pair[0] as u32, pair[1] as u32, 0, 0]);
        assert_eq!(unary(V128Unary::I32x4TruncSatF64x2SZero, a), s, "{pair:?}");
        assert_eq!(unary(V128Unary::I32x4TruncSatF64x2UZero, a), u, "{pair:?}");
    }
    let u32_edges = [
        0u32,
        1,
        0x7fff_ffff,
        0x8000_0000,
        0xffff_ffff,
        0x0100_0001,
        0x7fff_ffbf,
        0xffff_ff7f,
        0x8000_0081,
        0xffff_fe80,
        12_345_678,
        0xdead_beef,
    ];
    for lanes in u32_edges.chunks(4) {
        let a = from_u32s(lanes.try_into().unwrap());
        let want = from_u32s(std::array::from_fn(|i| (lanes[i] as f32).to_bits()));
        assert_eq!(unary(V128Unary::F32x4ConvertI32x4U, a), want, "{lanes:x?}");
        let want = from_u64s([f64::from(lanes[0]).to_bits(), f64::from(lanes[1]).to_bits()]);
        assert_eq!(
            unary(V128Unary::F64x2ConvertLowI32x4U, a),
            want,
            "{lanes:x?}"
        );
    }
}

#[test]
fn byte_sequences_popcnt_swizzle_q15_dots() {
    for k in 0..16u8 {
        let a = u128::from_le_bytes(std::array::from_fn(|i| k * 16 + i as u8));
        let want = u128::from_le_bytes(a.to_le_bytes().map(|b| b.count_ones() as u8));
        assert_eq!(unary(V128Unary::I8x16Popcnt, a), want);
    }
    let table = u128::from_le_bytes(std::array::from_fn(|i| 0xa0 + i as u8));
    let idx = u128::from_le_bytes([
        0, 15, 16, 17, 31, 0x70, 0x7f, 0x80, 0xff, 1, 2, 3, 100, 14, 8, 240,
    ]);
    let want = u128::from_le_bytes(idx.to_le_bytes().map(|i| if i < 16 { 0xa0 + i } else { 0 }));
    assert_eq!(binary(SSE41, V128Binary::I8x16Swizzle, table, idx), want);

    let edges = [i16::MIN, i16::MAX, -1, 0, 1, 0x4000, -0x4000, 12345];
    for (x, y) in pairs(&edges) {
        let (a, b) = (from_i16s([x; 8]), from_i16s([y; 8]));
        let q15 = ((i32::from(x) * i32::from(y) + 0x4000) >> 15).clamp(-32768, 32767) as i16;
        assert_eq!(
            binary(SSE41, V128Binary::I16x8Q15MulrSatS, a, b),
            from_i16s([q15; 8]),
            "{x} {y}"
        );
    }

    let bytes = [0i8, 1, -1, 127, -128, 7, -7, 64];
    for (x, y) in pairs(&bytes) {
        let a = from_i8s(std::array::from_fn(|i| if i % 2 == 0 { x } else { y }));
        let b = from_i8s(std::array::from_fn(|i| if i % 3 == 0 { y } else { x }));
        let (la, lb) = (i8s(a), i8s(b));
        let dot16 = from_i16s(std::array::from_fn(|i| {
            (i16::from(la[2 * i]) * i16::from(lb[2 * i]))
                .wrapping_add(i16::from(la[2 * i + 1]) * i16::from(lb[2 * i + 1]))
        }));
        assert_eq!(
            binary(SSE41, V128Binary::I16x8DotI8x16S, a, b),
            dot16,
            "{x} {y}"
        );
        let c = from_u32s([1, u32::MAX, 0x7fff_ffff, 0x8000_0000]);
        let dot32 = from_u32s(std::array::from_fn(|i| {
            (0..4).fold(u32s(c)[i], |s, k| {
                s.wrapping_add((i32::from(la[4 * i + k]) * i32::from(lb[4 * i + k])) as u32)
            })
        }));
        assert_eq!(
            ternary(V128Ternary::I32x4DotI8x16AddS, a, b, c),
            dot32,
            "{x} {y}"
        );
        let pairwise_u = from_i16s(std::array::from_fn(|i| {
            (u16::from(la[2 * i] as u8) + u16::from(la[2 * i + 1] as u8)) as i16
        }));
        assert_eq!(unary(V128Unary::I16x8ExtAddPairwiseI8x16U, a), pairwise_u);
        let pairwise_s = from_i16s(std::array::from_fn(|i| {
            i16::from(la[2 * i]) + i16::from(la[2 * i + 1])
        }));
        assert_eq!(unary(V128Unary::I16x8ExtAddPairwiseI8x16S, a), pairwise_s);
    }
    let w = from_i16s([0, -1, i16::MIN, i16::MAX, -2, 3, -32767, 1]);
    let lw = i16s(w).map(|x| x as u16);
    let want = from_u32s(std::array::from_fn(|i| {
        u32::from(lw[2 * i]) + u32::from(lw[2 * i + 1])
    }));
    assert_eq!(unary(V128Unary::I32x4ExtAddPairwiseI16x8U, w), want);
    assert_eq!(reduce(V128Reduce::I16x8Bitmask, w), 0b0101_0110);
}

#[test]
fn shuffles_from_one_source_both_and_the_same_register() {
    let a = u128::from_le_bytes(std::array::from_fn(|i| i as u8));
    let b = u128::from_le_bytes(std::array::from_fn(|i| 0x10 + i as u8));
    let patterns: [[u8; 16]; 3] = [
        std::array::from_fn(|i| 15 - i as u8),
        std::array::from_fn(|i| 16 + (i as u8 * 5) % 16),
        std::array::from_fn(|i| (i as u8 * 7) % 32),
    ];
    for lanes in patterns {
        let frame = run(SSE41, [a, b, 0], 0, |m| m.v128_shuffle(OUT, A, B, lanes));
        assert_eq!(result(&frame), u128::from_le_bytes(lanes), "{lanes:?}");
        // Both operands the same v128: indices ≥ 16 pick from it too.
        let frame = run(SSE41, [a, b, 0], 0, |m| m.v128_shuffle(OUT, A, A, lanes));
        assert_eq!(
            result(&frame),
            u128::from_le_bytes(lanes.map(|l| l % 16)),
            "{lanes:?}"
        );
    }
}

#[test]
fn operations_chain_through_the_xmm_cache() {
    // b = a + a (a loaded once, cached); then a scalar store into a's high half must drop
    // a's xmm entry, so the next use of a reads the new bits from the frame.
    let a = from_u32s([1, 2, 3, 4]);
    let frame = run(SSE41, [a, 0, 0], 0, |m| {
        m.v128_binary(V128Binary::I32x4Add, B, A, A);
        m.store_const(A + 1, 0x0000_0010_0000_0020);
        m.v128_binary(V128Binary::I32x4Add, OUT, A, B);
        m.v128_extract_lane(ExtractLane::I32, SCALAR, OUT, 3);
    });
    assert_eq!(u32s(result(&frame)), [3, 6, 0x20 + 6, 0x10 + 8]);
    assert_eq!(frame[SCALAR as usize], 0x18);
}

/// `dst = dst <op> ..` computes in the register caching `dst` (a stack machine's temporary),
/// deferred or not: the results are those of the copying forms, and the other operands are
/// left alone.
#[test]
fn in_place_operations_on_a_temporary() {
    let a = 0x0123_4567_89ab_cdef_fedc_ba98_7654_3210u128;
    let b = 0x0f0f_0f0f_ff00_ff00_1234_5678_9abc_def0u128;
    let c = 0xffff_0000_ffff_0000_00ff_00ff_0f0f_f0f0u128;
    for deferring in [false, true] {
        let frame = run(SSE41, [a, b, c], 0, |m| {
            m.set_deferring(deferring);
            // OUT = A; OUT = OUT + B; OUT = OUT << 3 (i16 lanes); OUT = bitselect(OUT, A, C).
            m.v128_binary(V128Binary::V128Or, OUT, A, A);
            m.v128_binary(V128Binary::I32x4Add, OUT, OUT, B);
            m.v128_shift_by(V128Shift::I16x8Shl, OUT, OUT, 3);
            m.v128_ternary(V128Ternary::Bitselect, OUT, OUT, A, C);
            m.set_deferring(false);
            m.flush_deferred();
        });
        let sum = from_u32s(std::array::from_fn(|k| u32s(a)[k].wrapping_add(u32s(b)[k])));
        let shifted = from_i16s(i16s(sum).map(|l| l.wrapping_shl(3)));
        let selected = (shifted & c) | (a & !c);
        assert_eq!(result(&frame), selected, "deferring: {deferring}");
        let operand = |slot: u32| {
            u128::from(frame[slot as usize]) | u128::from(frame[slot as usize + 1]) << 64
        };
        assert_eq!((operand(A), operand(B), operand(C)), (a, b, c));
    }
}
