//! Shared helpers for the tierup benchmarks.
//!
//! The crate holds the benchmark inputs and everything the criterion benches (`benches/`) and the
//! side-by-side comparison (`src/bin/compare.rs`) have in common:
//!
//! - the execution kernels in `bench/kernels/*.wat` ([`KERNELS`], looked up by name with [`kernel`]),
//!   each with a plain-Rust reference implementation so any result can be checked;
//! - the tiny start-up module ([`SMALL_WAT`]) and a generator for a large one ([`large_module_wat`]);
//! - the list of tiers every benchmark runs ([`TIERS`]) and small helpers to instantiate a kernel.
//!
//! Every kernel exports one function `(param i32) (result i32)`: the parameter scales the work, the
//! result is a checksum masked to 31 bits, so that every engine prints it the same way.

use tierup_runtime::{Config, Engine, Error, Instance, Module, Store, TierMode, TypedFunc};

/// One execution kernel: a WAT module exporting `(func (param i32) (result i32))`.
#[derive(Debug)]
pub struct Kernel {
    /// Short name; also the file stem in `bench/kernels/` and in `target/kernels/`.
    pub name: &'static str,
    /// The exported function to call.
    pub export: &'static str,
    /// The module's WAT source.
    pub wat: &'static str,
    /// The size used by the whole-process comparison (and quoted in the `.wat` file's comment).
    pub default_size: i32,
    /// The size used by the criterion benchmark: about 10–50 ms per call in the interpreter.
    pub bench_size: i32,
    /// Computes in plain Rust the result the export returns for a given size.
    reference: fn(i32) -> i32,
}

impl Kernel {
    /// The module as a wasm binary.
    pub fn wasm(&self) -> Vec<u8> {
        wat::parse_str(self.wat)
            .unwrap_or_else(|e| panic!("kernel `{}` does not parse: {e}", self.name))
    }

    /// The result the kernel's export must return for `size` (computed in plain Rust).
    pub fn expected(&self, size: i32) -> i32 {
        (self.reference)(size)
    }
}

/// The execution kernels, in the order benchmarks report them.
pub const KERNELS: [Kernel; 12] = [
    Kernel {
        name: "fib",
        export: "fib",
        wat: include_str!("../kernels/fib.wat"),
        default_size: 32,
        bench_size: 29,
        reference: reference::fib,
    },
    Kernel {
        name: "loop",
        export: "run",
        wat: include_str!("../kernels/loop.wat"),
        default_size: 30_000_000,
        bench_size: 2_000_000,
        reference: reference::lcg_loop,
    },
    Kernel {
        name: "memory",
        export: "run",
        wat: include_str!("../kernels/memory.wat"),
        default_size: 20,
        bench_size: 1,
        reference: reference::memory,
    },
    Kernel {
        name: "calls",
        export: "run",
        wat: include_str!("../kernels/calls.wat"),
        default_size: 3_000_000,
        bench_size: 300_000,
        reference: reference::calls,
    },
    Kernel {
        name: "br_table",
        export: "run",
        wat: include_str!("../kernels/br_table.wat"),
        default_size: 3_000_000,
        bench_size: 300_000,
        reference: reference::br_table,
    },
    Kernel {
        name: "simd_dot",
        export: "run",
        wat: include_str!("../kernels/simd_dot.wat"),
        default_size: 20_000,
        bench_size: 100,
        reference: reference::simd_dot,
    },
    Kernel {
        name: "simd_base64",
        export: "run",
        wat: include_str!("../kernels/simd_base64.wat"),
        default_size: 5000,
        bench_size: 20,
        reference: reference::simd_base64,
    },
    Kernel {
        name: "simd_matmul",
        export: "run",
        wat: include_str!("../kernels/simd_matmul.wat"),
        default_size: 3000,
        bench_size: 20,
        reference: reference::simd_matmul,
    },
    Kernel {
        name: "dispatch",
        export: "run",
        wat: include_str!("../kernels/dispatch.wat"),
        default_size: 20_000_000,
        bench_size: 2_000_000,
        reference: reference::dispatch,
    },
    Kernel {
        name: "multiret",
        export: "run",
        wat: include_str!("../kernels/multiret.wat"),
        default_size: 10_000_000,
        bench_size: 1_000_000,
        reference: reference::multiret,
    },
    Kernel {
        name: "matmul",
        export: "run",
        wat: include_str!("../kernels/matmul.wat"),
        default_size: 400,
        bench_size: 60,
        reference: reference::matmul,
    },
    Kernel {
        name: "recursion",
        export: "run",
        wat: include_str!("../kernels/recursion.wat"),
        default_size: 3000,
        bench_size: 30,
        reference: reference::recursion,
    },
];

/// Looks a kernel up by its name (`fib`, `loop`, `memory`, `calls`, `br_table`, `simd_dot`,
/// `simd_base64`, `simd_matmul`, `dispatch`, `multiret`, `matmul`, `recursion`).
pub fn kernel(name: &str) -> Option<&'static Kernel> {
    KERNELS.iter().find(|k| k.name == name)
}

/// The tiers every benchmark tries, in report order. A tier the engine does not offer yet
/// (`Engine::new` returns `Error::TierUnavailable`) is skipped with a note.
pub const TIERS: [TierMode; 4] = [
    TierMode::Interp,
    TierMode::Baseline,
    TierMode::Optimized,
    TierMode::Tiered,
];

/// An engine running everything in `tier`; `Err` if the tier is unavailable.
pub fn engine(tier: TierMode) -> Result<Engine, Error> {
    Engine::new(Config::new().tier(tier))
}

/// Compiles `wasm` and instantiates it (no imports) in a fresh store, returning the store and
/// the typed export `name: (i32) -> i32`.
pub fn instantiate(
    engine: &Engine,
    wasm: &[u8],
    name: &str,
) -> Result<(Store<()>, TypedFunc<i32, i32>), Error> {
    let module = Module::new(engine, wasm)?;
    let mut store = Store::new(engine, ());
    let instance = Instance::new(&mut store, &module, &[])?;
    let func = instance.get_typed_func::<i32, i32>(&mut store, name)?;
    Ok((store, func))
}

/// The WAT source of the tiny start-up module: `add(a: i32, b: i32) -> i32`.
pub const SMALL_WAT: &str = include_str!("../kernels/small.wat");

/// The tiny start-up module as a wasm binary.
pub fn small_wasm() -> Vec<u8> {
    wat::parse_str(SMALL_WAT).expect("small.wat parses")
}

/// Number of functions in the generated large module.
pub const LARGE_FUNCS: usize = 1_600;

/// The export of the large module to call first: `run(x: i32) -> i32`.
pub const LARGE_EXPORT: &str = "run";

/// The argument the start-up measurements pass to [`LARGE_EXPORT`].
pub const LARGE_ARG: i32 = 7;

/// Generates the WAT text of a large module for start-up measurements: [`LARGE_FUNCS`] functions of
/// about 400 bytes of code each (well over 1 MB of code in all), made of a pseudo-random mix of
/// arithmetic, locals, loads and stores, globals, `if`, `loop`, `br_table`, `select` and calls.
///
/// Function `k` calls exactly one function of lower index, so the export [`LARGE_EXPORT`], which
/// calls the last function, runs a short chain of functions: the first call touches only a few of
/// them, as a real program's start-up does. The output is the same on every run.
pub fn large_module_wat() -> String {
    use std::fmt::Write as _;

    let mut rng = Lcg(0x5eed_1234_abcd_0001);
    let mut s = String::with_capacity(LARGE_FUNCS * 1_600);
    s.push_str("(module\n  (memory 1)\n  (global $g (mut i32) (i32.const 0))\n");
    for k in 0..LARGE_FUNCS {
        // params 0, 1 (i32); locals 2, 3 (i32), 4 (i64), 5 (i32 loop counter)
        writeln!(
            s,
            "  (func $f{k} (param i32 i32) (result i32) (local i32 i32 i64 i32)"
        )
        .unwrap();
        s.push_str("    (local.set 2 (local.get 0)) (local.set 3 (local.get 1))\n");
        let snippets = 36 + rng.below(8) as usize;
        let call_at = rng.below(snippets as u32) as usize;
        for i in 0..snippets {
            if i == call_at && k > 0 {
                let callee = rng.below(k as u32);
                writeln!(
                    s,
                    "    (local.set 3 (i32.add (local.get 3) (call $f{callee} (local.get 2) (local.get 1))))"
                )
                .unwrap();
                continue;
            }
            let c = rng.next() as i32;
            match rng.below(12) {
                0 => writeln!(s, "    (local.set 2 (i32.add (local.get 0) (i32.const {c})))"),
                1 => writeln!(
                    s,
                    "    (local.set 3 (i32.xor (i32.mul (local.get 2) (local.get 1)) (i32.const {c})))"
                ),
                2 => writeln!(
                    s,
                    "    (local.set 2 (i32.add (local.get 3) (i32.load offset={} (i32.and (local.get 2) (i32.const 0xfff0)))))",
                    4 * rng.below(3)
                ),
                3 => writeln!(
                    s,
                    "    (i32.store offset={} (i32.and (local.get 3) (i32.const 0xfff0)) (local.get 2))",
                    4 * rng.below(3)
                ),
                4 => writeln!(
                    s,
                    "    (local.set 4 (i64.add (local.get 4) (i64.mul (i64.extend_i32_u (local.get 2)) (i64.const {c}))))"
                ),
                5 => writeln!(
                    s,
                    "    (if (i32.lt_u (local.get 2) (local.get 3)) (then (local.set 2 (i32.rotl (local.get 2) (i32.const {})))) (else (local.set 3 (i32.sub (local.get 3) (local.get 0)))))",
                    1 + rng.below(31)
                ),
                6 => writeln!(
                    s,
                    "    (local.set 5 (i32.const {})) (loop (local.set 2 (i32.add (local.get 2) (i32.shr_u (local.get 3) (local.get 5)))) (br_if 0 (local.tee 5 (i32.sub (local.get 5) (i32.const 1)))))",
                    1 + rng.below(8)
                ),
                7 => writeln!(s, "    (global.set $g (i32.add (global.get $g) (local.get 2)))"),
                8 => writeln!(
                    s,
                    "    (local.set 2 (select (local.get 2) (local.get 3) (i32.eqz (i32.and (local.get 0) (i32.const {c})))))"
                ),
                9 => writeln!(
                    s,
                    "    (block (br_if 0 (i32.eqz (local.get 3))) (local.set 3 (i32.div_u (local.get 2) (local.get 3))))"
                ),
                10 => writeln!(
                    s,
                    "    (block (block (block (br_table 0 1 2 (i32.and (local.get 2) (i32.const 3)))) (local.set 2 (i32.add (local.get 2) (i32.const {c})))) (local.set 3 (i32.add (local.get 3) (i32.const 2))))"
                ),
                _ => writeln!(
                    s,
                    "    (local.set 3 (i32.add (local.get 3) (i32.wrap_i64 (i64.shr_u (local.get 4) (i64.const {})))))",
                    rng.below(64)
                ),
            }
            .unwrap();
        }
        s.push_str(
            "    (i32.add (i32.xor (local.get 2) (local.get 3)) (i32.wrap_i64 (local.get 4))))\n",
        );
    }
    writeln!(
        s,
        "  (func (export \"{LARGE_EXPORT}\") (param i32) (result i32)\n    (i32.and (call $f{} (local.get 0) (i32.const 12345)) (i32.const 0x7fffffff))))",
        LARGE_FUNCS - 1
    )
    .unwrap();
    s
}

/// The large module of [`large_module_wat`] as a wasm binary.
pub fn large_module_wasm() -> Vec<u8> {
    wat::parse_str(large_module_wat()).expect("the generated large module parses")
}

/// A 64-bit linear congruential generator (Knuth's MMIX constants): deterministic filler.
struct Lcg(u64);

impl Lcg {
    fn next(&mut self) -> u32 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (self.0 >> 32) as u32
    }

    /// A value in `0..n` (`n > 0`).
    fn below(&mut self, n: u32) -> u32 {
        ((u64::from(self.next()) * u64::from(n)) >> 32) as u32
    }
}

/// Plain-Rust versions of the kernels; each mirrors its `.wat` file step by step.
mod reference {
    pub(super) fn fib(n: i32) -> i32 {
        let (mut a, mut b) = (0i32, 1i32);
        for _ in 0..n.max(0) {
            (a, b) = (b, a.wrapping_add(b));
        }
        a
    }

    pub(super) fn lcg_loop(n: i32) -> i32 {
        let mut x: u32 = 2_463_534_242;
        let mut acc: u32 = 0;
        for i in 0..n.max(0) as u32 {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            acc = acc.wrapping_mul(31).wrapping_add(x ^ i);
        }
        (acc & 0x7fff_ffff) as i32
    }

    pub(super) fn memory(n: i32) -> i32 {
        const LEN: usize = 1 << 18;
        const LIMIT: usize = 1 << 20;
        let mut b: Vec<u32> = (0..LEN as u32)
            .map(|k| k.wrapping_mul(0x9E37_79B1))
            .collect();
        let mut flags = vec![0u8; LIMIT];
        let mut acc: u32 = 0;
        for p in 0..n.max(0) as u32 {
            flags.fill(1);
            flags[0] = 0;
            flags[1] = 0;
            let mut i = 2;
            while i * i < LIMIT {
                if flags[i] != 0 {
                    for j in (i * i..LIMIT).step_by(i) {
                        flags[j] = 0;
                    }
                }
                i += 1;
            }
            let count: u32 = flags.iter().map(|&f| u32::from(f)).sum();
            acc = acc.wrapping_mul(31).wrapping_add(count);
            for _ in 0..2 {
                for k in 1..LEN {
                    b[k] = b[k].wrapping_add(b[k - 1]);
                }
            }
            acc ^= b[(p.wrapping_mul(40_503) & 0x3ffff) as usize];
            acc = acc.wrapping_add(b[LEN - 1]);
        }
        (acc & 0x7fff_ffff) as i32
    }

    pub(super) fn calls(n: i32) -> i32 {
        let mut acc: u32 = 0;
        for i in 0..n.max(0) as u32 {
            acc = acc.wrapping_add(i);
            acc = ((acc ^ i).wrapping_add(0x9E37_79B9)).rotate_left(5);
            acc = match i & 3 {
                0 => acc.wrapping_add(i),
                1 => acc.wrapping_sub(i),
                2 => acc ^ i,
                _ => acc.wrapping_mul(i | 1),
            };
        }
        (acc & 0x7fff_ffff) as i32
    }

    pub(super) fn dispatch(n: i32) -> i32 {
        let (mut acc, mut state) = (0x12345u32, 0u32);
        for i in 0..n.max(0) as u32 {
            acc = match state {
                0 => acc.wrapping_add(i),
                1 => acc ^ i.wrapping_mul(0x9E37_79B1),
                2 => acc.rotate_left(7).wrapping_add(1),
                3 => acc.wrapping_mul(0x0100_0193),
                4 => acc.wrapping_sub(i << 3),
                5 => acc ^ (acc >> 11),
                6 => acc.wrapping_add(0x7F4A_7C15) ^ i,
                _ => acc.rotate_right(3).wrapping_mul(5),
            };
            state = (acc >> 7) & 7;
        }
        (acc & 0x7fff_ffff) as i32
    }

    pub(super) fn multiret(n: i32) -> i32 {
        let (mut a, mut b) = (1u32, 2u32);
        let step = |a: u32, b: u32, i: u32| (b, a.wrapping_add(b) ^ i);
        for i in 0..n.max(0) as u32 {
            (a, b) = step(a, b, i);
            (a, b) = if i & 1 == 0 {
                step(a, b, i)
            } else {
                (a.wrapping_mul(3).wrapping_add(i), b.rotate_left(1) ^ a)
            };
        }
        ((a ^ b) & 0x7fff_ffff) as i32
    }

    pub(super) fn br_table(n: i32) -> i32 {
        // The VM program's loop body, run n times (`cnt` is unsigned in the VM).
        let (mut acc, mut x) = (0u32, 0u32);
        for _ in 0..n as u32 {
            acc = acc.wrapping_add(7);
            acc = acc.wrapping_mul(33);
            acc ^= x;
            acc ^= acc >> 13;
            x = x.wrapping_add(acc);
        }
        (acc & 0x7fff_ffff) as i32
    }

    /// `h(k)` of the SIMD kernels' inputs.
    fn h(k: u32) -> u32 {
        k.wrapping_mul(0x9E37_79B1)
    }

    pub(super) fn simd_dot(n: i32) -> i32 {
        let x: Vec<i32> = (0..16_384).map(|k| (h(k) >> 28) as i32 - 8).collect();
        let y: Vec<i32> = (0..16_384)
            .map(|k| ((h(k) >> 20) & 15) as i32 - 8)
            .collect();
        let dot: i32 = x.iter().zip(&y).map(|(a, b)| a * b).sum();
        let mut acc: u32 = 0;
        for p in 0..n.max(0) as u32 {
            acc = acc
                .wrapping_mul(31)
                .wrapping_add(dot as u32)
                .wrapping_add(p);
        }
        (acc & 0x7fff_ffff) as i32
    }

    pub(super) fn simd_base64(n: i32) -> i32 {
        const ALPHABET: &[u8; 64] =
            b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
        let mut input: Vec<u8> = (0..49_152).map(|k| (h(k) >> 24) as u8).collect();
        let mut acc: u32 = 0;
        for p in 0..n.max(0) as u32 {
            input[(p * 7919 % 49_152) as usize] ^= p as u8;
            let mut sum: u32 = 0;
            for triple in input.chunks(3) {
                let bits =
                    u32::from(triple[0]) << 16 | u32::from(triple[1]) << 8 | u32::from(triple[2]);
                for shift in [18, 12, 6, 0] {
                    sum += u32::from(ALPHABET[(bits >> shift & 63) as usize]);
                }
            }
            acc = acc.wrapping_mul(31).wrapping_add(sum);
        }
        (acc & 0x7fff_ffff) as i32
    }

    pub(super) fn simd_matmul(n: i32) -> i32 {
        const N: usize = 64;
        let mut a: Vec<i32> = (0..4096).map(|k| (h(k) >> 28) as i32 - 8).collect();
        let b: Vec<i32> = (0..4096).map(|k| ((h(k) >> 12) & 15) as i32 - 8).collect();
        let mut c = vec![0i32; N * N];
        let mut acc: u32 = 0;
        for p in 0..n.max(0) as u32 {
            for i in 0..N {
                for j in 0..N {
                    c[i * N + j] = (0..N).map(|k| a[i * N + k] * b[k * N + j]).sum();
                }
            }
            a[(p & 4095) as usize] += 1;
            acc = acc
                .wrapping_mul(31)
                .wrapping_add(c[(p.wrapping_mul(37) & 4095) as usize] as u32)
                .wrapping_add(c[4095] as u32);
        }
        (acc & 0x7fff_ffff) as i32
    }

    pub(super) fn matmul(n: i32) -> i32 {
        let n = n as u32 as usize;
        let at = |i: usize, j: usize| ((i * 7 + j * 3) & 255) as i32;
        let bt = |i: usize, j: usize| (((i * 5) ^ (j * 11)) & 255) as i32;
        let mut acc = 0i32;
        for i in 0..n {
            for j in 0..n {
                let mut sum = 0i32;
                for k in 0..n {
                    sum = sum.wrapping_add(at(i, k).wrapping_mul(bt(k, j)));
                }
                let weight = (i as i32).wrapping_add((j as i32) << 1).wrapping_add(1);
                acc = acc.wrapping_add(sum.wrapping_mul(weight));
            }
        }
        acc & 0x7fff_ffff
    }

    pub(super) fn recursion(n: i32) -> i32 {
        fn down(d: i32, x: i32) -> i32 {
            // Iterative: the values on the way down, folded on the way back up.
            let mut xs = Vec::with_capacity(d as usize + 1);
            let mut x = x;
            for _ in 0..d {
                xs.push(x);
                x = x.wrapping_mul(1_103_515_245).wrapping_add(12345);
            }
            let mut r = x;
            for depth in 1..=d {
                let x = xs[(d - depth) as usize];
                r = (r ^ depth).wrapping_add(((x as u32) >> 16) as i32);
            }
            r
        }
        let mut acc = 0i32;
        for round in 0..n.max(0) {
            acc = acc.wrapping_add(down(10_000, acc.wrapping_add(round)));
        }
        acc & 0x7fff_ffff
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kernels_parse() {
        for k in &KERNELS {
            assert!(!k.wasm().is_empty(), "{}", k.name);
            assert_eq!(kernel(k.name).map(|k| k.name), Some(k.name));
        }
        assert!(!small_wasm().is_empty());
    }

    #[test]
    fn large_module_is_large() {
        let wasm = large_module_wasm();
        assert!(wasm.len() >= 1_000_000, "only {} bytes", wasm.len());
    }

    /// The expected values quoted in each `.wat` file's comment.
    #[test]
    fn documented_defaults() {
        for k in &KERNELS {
            let want = format!(
                "{}) = {}",
                fmt_size(k.default_size),
                k.expected(k.default_size)
            );
            assert!(k.wat.contains(&want), "{}.wat should say `{want}`", k.name);
        }
    }

    fn fmt_size(n: i32) -> String {
        let digits = n.to_string();
        if digits.len() <= 4 {
            return digits;
        }
        let mut out = String::new();
        for (i, c) in digits.chars().enumerate() {
            if i > 0 && (digits.len() - i).is_multiple_of(3) {
                out.push('_');
            }
            out.push(c);
        }
        out
    }

    /// Every kernel, run by tierup's interpreter at small sizes, agrees with its reference.
    #[test]
    fn interpreter_agrees_with_reference() {
        let engine = engine(TierMode::Interp).expect("the interpreter is always available");
        for k in &KERNELS {
            let (mut store, func) = instantiate(&engine, &k.wasm(), k.export).unwrap();
            let sizes: &[i32] = match k.name {
                "memory" => &[0, 1, 2],
                "fib" => &[0, 1, 2, 17, 20],
                "simd_dot" | "simd_base64" | "simd_matmul" => &[0, 1, 2, 7],
                "matmul" => &[0, 1, 2, 17, 64],
                "recursion" => &[0, 1, 2, 17],
                _ => &[0, 1, 2, 17, 1000],
            };
            for &size in sizes {
                let got = func.call(&mut store, size).unwrap();
                assert_eq!(got, k.expected(size), "{}({size})", k.name);
            }
        }
        let (mut store, func) = instantiate(&engine, &large_module_wasm(), LARGE_EXPORT).unwrap();
        func.call(&mut store, LARGE_ARG).unwrap();
    }
}
