//! The bits of every relaxed SIMD operator on sample inputs, from optimized code run here.
//!
//! Relaxed SIMD lets an engine choose among several results; tierup chooses one lowering that
//! every tier shares (the table in the crate docs of `tierup_optimizer`), so that tier-up never
//! changes a result. These cases pin that choice where it differs from the other permitted
//! ones (a fused `madd`, `pshufb`'s indices, `blendv`'s top-bit select, `minps`'s operand
//! order, `cvttps2dq`'s `0x8000_0000`, `pmulhrsw`'s unsaturated overflow, unsigned or 16-bit
//! sums in the dot products); the interpreter and the baseline JIT must give the same bits.
//!
//! Harness: each function is compiled as a tier-ABI entry and copied into executable memory.
//! The functions are leaves without memory, so the vmctx needs only a store with an
//! interrupt flag (clear) and a native stack limit (0); arguments and results travel in the
//! frame, a `v128` in two slots, low half first.

use std::sync::atomic::{AtomicBool, AtomicUsize};

use tierup_abi::vmctx::offsets as off;
use tierup_abi::{BoundsChecks, DefinedFuncIdx, Features, ModuleInfo, StoreCtx, VmCtx};
use tierup_optimizer::{Compiler, OptEnv};

/// Machine code in executable pages (unmapped on drop).
struct Executable {
    ptr: *mut libc::c_void,
    len: usize,
}

impl Executable {
    fn new(code: &[u8]) -> Executable {
        let len = code.len().next_multiple_of(4096);
        // SAFETY: a fresh private anonymous mapping; no existing memory is affected.
        let ptr = unsafe {
            libc::mmap(
                std::ptr::null_mut(),
                len,
                libc::PROT_READ | libc::PROT_WRITE,
                libc::MAP_PRIVATE | libc::MAP_ANONYMOUS,
                -1,
                0,
            )
        };
        assert_ne!(ptr, libc::MAP_FAILED, "mmap");
        // SAFETY: `ptr` is `len >= code.len()` writable bytes, not aliased; then the whole
        // mapping becomes read-execute (x86-64 needs no instruction-cache flush).
        unsafe {
            std::ptr::copy_nonoverlapping(code.as_ptr(), ptr.cast::<u8>(), code.len());
            assert_eq!(
                libc::mprotect(ptr, len, libc::PROT_READ | libc::PROT_EXEC),
                0
            );
        }
        Executable { ptr, len }
    }
}

impl Drop for Executable {
    fn drop(&mut self) {
        // SAFETY: the mapping made in `new`, no longer used.
        unsafe { libc::munmap(self.ptr, self.len) };
    }
}

/// A module with one function per entry of [`OPS`], each applying its operator to its
/// parameters.
struct Ops {
    info: ModuleInfo,
}

impl Ops {
    fn new() -> Ops {
        let funcs: String = OPS
            .iter()
            .map(|&(op, arity)| {
                let params = vec!["v128"; arity].join(" ");
                let gets: String = (0..arity).map(|i| format!("(local.get {i})")).collect();
                format!("(func (param {params}) (result v128) ({op} {gets}))\n")
            })
            .collect();
        let features = Features {
            simd: true,
            relaxed_simd: true,
            multi_memory: true,
        };
        let wasm = wat::parse_str(format!("(module {funcs})")).expect("valid text");
        Ops {
            info: ModuleInfo::parse_with(wasm, features).expect("valid module"),
        }
    }

    /// Compiles the function of operator `op` and calls it with `args`.
    fn call(&self, op: &str, args: &[u128]) -> u128 {
        let func = OPS
            .iter()
            .position(|&(o, _)| o == op)
            .expect("an operator of OPS") as u32;
        let env = OptEnv {
            module: &self.info,
            bounds_checks: BoundsChecks::Guard,
            raise: 0,
            attention: 0,
            native: None,
            eager: false,
            type_ids: None,
            loops: tierup_optimizer::LoopSettings::default(),
            assume_published: true,
            optimized: None,
        };
        let code = Compiler::new()
            .expect("host ISA")
            .compile(&env, DefinedFuncIdx(func))
            .expect("compiles");
        let exe = Executable::new(&code.code);
        let interrupt = AtomicBool::new(false);
        let mut store = vec![0u64; size_of::<StoreCtx>().div_ceil(8)];
        store[off::STORE_INTERRUPT / 8] = &raw const interrupt as u64;
        store[off::STORE_NATIVE_STACK_LIMIT / 8] = 0;
        let stack_limit = AtomicUsize::new(0);
        let mut vmctx = vec![0u64; size_of::<VmCtx>().div_ceil(8)];
        vmctx[off::STORE / 8] = store.as_mut_ptr() as u64;
        vmctx[off::STACK_LIMIT / 8] = &raw const stack_limit as u64;
        let mut frame = vec![0u64; 2 * args.len().max(1)];
        for (i, &arg) in args.iter().enumerate() {
            frame[2 * i] = arg as u64;
            frame[2 * i + 1] = (arg >> 64) as u64;
        }
        // SAFETY: the code is a tier-ABI entry of a leaf function without memory: it reads
        // the store's interrupt flag and the stack limit, its arguments from the frame, and
        // writes its result there; it does not trap on these inputs.
        unsafe {
            let entry: unsafe extern "sysv64" fn(*mut u64, *mut u64) = std::mem::transmute(exe.ptr);
            entry(vmctx.as_mut_ptr(), frame.as_mut_ptr());
        }
        u128::from(frame[0]) | u128::from(frame[1]) << 64
    }
}

/// The operators under test and their number of `v128` operands.
const OPS: [(&str, usize); 20] = [
    ("i8x16.relaxed_swizzle", 2),
    ("i32x4.relaxed_trunc_f32x4_s", 1),
    ("i32x4.relaxed_trunc_f32x4_u", 1),
    ("i32x4.relaxed_trunc_f64x2_s_zero", 1),
    ("i32x4.relaxed_trunc_f64x2_u_zero", 1),
    ("f32x4.relaxed_madd", 3),
    ("f32x4.relaxed_nmadd", 3),
    ("f64x2.relaxed_madd", 3),
    ("f64x2.relaxed_nmadd", 3),
    ("i8x16.relaxed_laneselect", 3),
    ("i16x8.relaxed_laneselect", 3),
    ("i32x4.relaxed_laneselect", 3),
    ("i64x2.relaxed_laneselect", 3),
    ("f32x4.relaxed_min", 2),
    ("f32x4.relaxed_max", 2),
    ("f64x2.relaxed_min", 2),
    ("f64x2.relaxed_max", 2),
    ("i16x8.relaxed_q15mulr_s", 2),
    ("i16x8.relaxed_dot_i8x16_i7x16_s", 2),
    ("i32x4.relaxed_dot_i8x16_i7x16_add_s", 3),
];

fn i8x16(lanes: [i8; 16]) -> u128 {
    u128::from_le_bytes(lanes.map(|l| l as u8))
}

fn i16x8(lanes: [i16; 8]) -> u128 {
    lanes
        .iter()
        .rev()
        .fold(0, |acc, &l| acc << 16 | u128::from(l as u16))
}

fn i32x4(lanes: [i32; 4]) -> u128 {
    lanes
        .iter()
        .rev()
        .fold(0, |acc, &l| acc << 32 | u128::from(l as u32))
}

fn f32x4(lanes: [f32; 4]) -> u128 {
    i32x4(lanes.map(|l| l.to_bits() as i32))
}

fn f64x2(lanes: [f64; 2]) -> u128 {
    u128::from(lanes[0].to_bits()) | u128::from(lanes[1].to_bits()) << 64
}

fn lanes_i8(v: u128) -> [i8; 16] {
    v.to_le_bytes().map(|b| b as i8)
}

/// A few pseudo-random vectors (a fixed LCG), plus the extremes.
fn samples() -> Vec<u128> {
    let mut state = 0x2545_f491_4f6c_dd1d_u64;
    let mut next = || {
        state = state
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        state
    };
    let mut v: Vec<u128> = (0..24)
        .map(|_| u128::from(next()) | u128::from(next()) << 64)
        .collect();
    v.extend([0, u128::MAX, i8x16([-128; 16]), i8x16([127; 16])]);
    v
}

#[test]
fn relaxed_swizzle_is_swizzle_indices_past_15_give_zero() {
    let m = Ops::new();
    let x = u128::from_le_bytes(std::array::from_fn(|i| 0xa0 + i as u8));
    // pshufb would take 17 and 0x1f as indices 1 and 15; swizzle gives 0 for both.
    let indices = [0, 15, 16, 17, 0x1f, 0x80, 0xff, 1, 2, 3, 4, 5, 6, 7, 8, 9];
    let expected = indices.map(|i: u8| if i < 16 { 0xa0 + i } else { 0 });
    assert_eq!(
        m.call("i8x16.relaxed_swizzle", &[x, u128::from_le_bytes(indices)]),
        u128::from_le_bytes(expected)
    );
}

#[test]
fn relaxed_trunc_saturates_and_gives_zero_for_nan() {
    let m = Ops::new();
    let x = f32x4([f32::NAN, 3e9, -3e9, -1.5]);
    assert_eq!(
        m.call("i32x4.relaxed_trunc_f32x4_s", &[x]),
        i32x4([0, i32::MAX, i32::MIN, -1])
    );
    let x = f32x4([f32::NAN, 5e9, -1.0, 4_294_967_040.0]);
    assert_eq!(
        m.call("i32x4.relaxed_trunc_f32x4_u", &[x]),
        i32x4([0, -1, 0, 4_294_967_040_u32 as i32])
    );
    assert_eq!(
        m.call(
            "i32x4.relaxed_trunc_f64x2_s_zero",
            &[f64x2([f64::NAN, -1e10])]
        ),
        i32x4([0, i32::MIN, 0, 0])
    );
    assert_eq!(
        m.call("i32x4.relaxed_trunc_f64x2_u_zero", &[f64x2([1e10, 7.9])]),
        i32x4([-1, 7, 0, 0])
    );
}

#[test]
fn relaxed_madd_and_nmadd_round_the_product_then_the_sum() {
    let m = Ops::new();
    // (1 + 2^-23)(1 - 2^-23) = 1 - 2^-46 rounds to 1 in f32: unfused 1 - 1 = +0, where a
    // fused multiply-add would give -2^-46.
    let (a, b) = (f32::from_bits(0x3f80_0001), f32::from_bits(0x3f7f_ffff));
    let madd = m.call(
        "f32x4.relaxed_madd",
        &[f32x4([a; 4]), f32x4([b; 4]), f32x4([-1.0; 4])],
    );
    assert_eq!(madd, f32x4([0.0; 4]));
    let lanes = [1.5, -2.0, 3.0, 1e30];
    let madd = m.call(
        "f32x4.relaxed_madd",
        &[f32x4(lanes), f32x4([2.0; 4]), f32x4([0.25; 4])],
    );
    assert_eq!(madd, f32x4(lanes.map(|l| l * 2.0 + 0.25)));
    // -(a * b) + c: -1 + 1 = +0 unfused (fused: +2^-46).
    let nmadd = m.call(
        "f32x4.relaxed_nmadd",
        &[f32x4([a; 4]), f32x4([b; 4]), f32x4([1.0; 4])],
    );
    assert_eq!(nmadd, f32x4([0.0; 4]));
    let nmadd = m.call(
        "f32x4.relaxed_nmadd",
        &[f32x4(lanes), f32x4([2.0; 4]), f32x4([0.25; 4])],
    );
    assert_eq!(nmadd, f32x4(lanes.map(|l| -(l * 2.0) + 0.25)));

    let (a, b) = (
        f64::from_bits(0x3ff0_0000_0000_0001),
        f64::from_bits(0x3fef_ffff_ffff_ffff),
    );
    let madd = m.call(
        "f64x2.relaxed_madd",
        &[f64x2([a; 2]), f64x2([b; 2]), f64x2([-1.0; 2])],
    );
    assert_eq!(madd, f64x2([0.0; 2]));
    let nmadd = m.call(
        "f64x2.relaxed_nmadd",
        &[f64x2([a; 2]), f64x2([b; 2]), f64x2([1.0; 2])],
    );
    assert_eq!(nmadd, f64x2([0.0; 2]));
    let nmadd = m.call(
        "f64x2.relaxed_nmadd",
        &[f64x2([3.0, -0.5]), f64x2([0.5, 4.0]), f64x2([1.0, 1.0])],
    );
    assert_eq!(nmadd, f64x2([-0.5, 3.0]));
}

#[test]
fn relaxed_laneselect_selects_bits_not_lanes() {
    let m = Ops::new();
    // A mask whose lanes are neither all ones nor all zeros: `blendv` would pick whole lanes
    // by their top bit; `bitselect` takes each bit.
    let (a, b, mask) = (
        0xaaaa_aaaa_aaaa_aaaa_aaaa_aaaa_aaaa_aaaa_u128,
        0x5555_5555_5555_5555_5555_5555_5555_5555_u128,
        0x0123_4567_89ab_cdef_f0e1_d2c3_b4a5_9687_u128,
    );
    for op in [
        "i8x16.relaxed_laneselect",
        "i16x8.relaxed_laneselect",
        "i32x4.relaxed_laneselect",
        "i64x2.relaxed_laneselect",
    ] {
        assert_eq!(m.call(op, &[a, b, mask]), (a & mask) | (b & !mask), "{op}");
    }
}

#[test]
fn relaxed_min_max_are_wasm_min_max() {
    let m = Ops::new();
    let is_nan_f32 = |v: u128, lane: u32| f32::from_bits((v >> (32 * lane)) as u32).is_nan();
    // NaN in either operand gives NaN (`minps` would return the second operand).
    for (x, y) in [(f32::NAN, 1.0), (1.0, f32::NAN)] {
        let v = [x, y, x, y];
        let w = [y, x, y, x];
        for func in ["f32x4.relaxed_min", "f32x4.relaxed_max"] {
            let r = m.call(func, &[f32x4(v), f32x4(w)]);
            assert!((0..4).all(|lane| is_nan_f32(r, lane)), "{func}: {r:032x}");
        }
    }
    // -0 is below +0 in either operand order.
    let zeros = f32x4([-0.0, 0.0, -0.0, 0.0]);
    let swapped = f32x4([0.0, -0.0, 0.0, -0.0]);
    assert_eq!(
        m.call("f32x4.relaxed_min", &[zeros, swapped]),
        f32x4([-0.0; 4])
    );
    assert_eq!(
        m.call("f32x4.relaxed_max", &[zeros, swapped]),
        f32x4([0.0; 4])
    );
    assert_eq!(
        m.call(
            "f32x4.relaxed_min",
            &[f32x4([1.0, -2.0, 3.0, -4.0]), f32x4([2.0, -1.0, -3.0, 4.0])]
        ),
        f32x4([1.0, -2.0, -3.0, -4.0])
    );
    let (zeros, swapped) = (f64x2([-0.0, 0.0]), f64x2([0.0, -0.0]));
    assert_eq!(
        m.call("f64x2.relaxed_min", &[zeros, swapped]),
        f64x2([-0.0; 2])
    );
    assert_eq!(
        m.call("f64x2.relaxed_max", &[zeros, swapped]),
        f64x2([0.0; 2])
    );
    let r = m.call(
        "f64x2.relaxed_max",
        &[f64x2([f64::NAN, 1.0]), f64x2([1.0, f64::NAN])],
    );
    assert!(f64::from_bits(r as u64).is_nan() && f64::from_bits((r >> 64) as u64).is_nan());
}

/// `i16x8.q15mulr_sat_s` of one lane: the rounded Q15 product, saturated.
fn q15mulr(x: i16, y: i16) -> i16 {
    let product = (i32::from(x) * i32::from(y) + 0x4000) >> 15;
    product.clamp(i32::from(i16::MIN), i32::from(i16::MAX)) as i16
}

#[test]
fn relaxed_q15mulr_saturates() {
    let m = Ops::new();
    // MIN * MIN saturates to MAX (`pmulhrsw` gives MIN).
    let x = i16x8([i16::MIN, i16::MIN, 16384, -16384, 1, 0x4000, 3, i16::MAX]);
    let y = i16x8([i16::MIN, i16::MAX, 16384, 16384, 1, 1, -3, i16::MAX]);
    assert_eq!(
        m.call("i16x8.relaxed_q15mulr_s", &[x, y]) as u16,
        i16::MAX as u16
    );
    let samples = samples();
    for (i, &a) in samples.iter().chain([&x]).enumerate() {
        let b = if i == samples.len() {
            y
        } else {
            samples[(i + 1) % samples.len()]
        };
        let lanes = |v: u128| -> [i16; 8] { std::array::from_fn(|j| (v >> (16 * j)) as i16) };
        let expected = std::array::from_fn(|j| q15mulr(lanes(a)[j], lanes(b)[j]));
        assert_eq!(
            m.call("i16x8.relaxed_q15mulr_s", &[a, b]),
            i16x8(expected),
            "{a:x} {b:x}"
        );
    }
}

/// `i16x8.relaxed_dot_i8x16_i7x16_s` as every tier computes it: both operands' bytes signed,
/// each pair of products summed in 16 bits (wrapping).
fn dot_i16_reference(a: u128, b: u128) -> u128 {
    let (a, b) = (lanes_i8(a), lanes_i8(b));
    i16x8(std::array::from_fn(|i| {
        let p = |j: usize| i16::from(a[j]) * i16::from(b[j]);
        p(2 * i).wrapping_add(p(2 * i + 1))
    }))
}

/// `i32x4.relaxed_dot_i8x16_i7x16_add_s` as every tier computes it: both operands' bytes
/// signed, the four products of each lane summed in 32 bits, plus `c`'s lane (wrapping).
fn dot_add_i32_reference(a: u128, b: u128, c: u128) -> u128 {
    let (a, b) = (lanes_i8(a), lanes_i8(b));
    i32x4(std::array::from_fn(|i| {
        let dot: i32 = (4 * i..4 * i + 4)
            .map(|j| i32::from(a[j]) * i32::from(b[j]))
            .sum();
        dot.wrapping_add((c >> (32 * i)) as u32 as i32)
    }))
}

#[test]
fn relaxed_dot_products_treat_both_operands_as_signed() {
    let m = Ops::new();
    // -128 * -128 twice is 32768: it wraps to -32768 in the 16-bit dot, but the 32-bit dot
    // sums all four products exactly (an i16 intermediate would give 0 or -65536).
    let min = i8x16([-128; 16]);
    assert_eq!(
        m.call("i16x8.relaxed_dot_i8x16_i7x16_s", &[min, min]),
        i16x8([i16::MIN; 8])
    );
    assert_eq!(
        m.call("i32x4.relaxed_dot_i8x16_i7x16_add_s", &[min, min, 0]),
        i32x4([65536; 4])
    );
    let c = i32x4([1, -1, i32::MAX, i32::MIN]);
    assert_eq!(
        m.call("i32x4.relaxed_dot_i8x16_i7x16_add_s", &[min, min, c]),
        i32x4([65537, 65535, i32::MAX.wrapping_add(65536), i32::MIN + 65536])
    );
    // Bytes with the top bit set in the second operand count as negative (an `i7` operand
    // read as unsigned, as `pmaddubsw` does, would not).
    let samples = samples();
    for (i, &a) in samples.iter().enumerate() {
        let b = samples[(i + 1) % samples.len()];
        let c = samples[(i + 2) % samples.len()];
        assert_eq!(
            m.call("i16x8.relaxed_dot_i8x16_i7x16_s", &[a, b]),
            dot_i16_reference(a, b),
            "{a:x} {b:x}"
        );
        assert_eq!(
            m.call("i32x4.relaxed_dot_i8x16_i7x16_add_s", &[a, b, c]),
            dot_add_i32_reference(a, b, c),
            "{a:x} {b:x} {c:x}"
        );
    }
}
